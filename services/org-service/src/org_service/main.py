"""org-service app: assembled from service-kit and the domain routers."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from org_service import policy_keys
from org_service.coverage.router import router as coverage_router
from org_service.organizations.router import router as organizations_router
from org_service.places.router import place_router
from org_service.places.router import router as places_router
from org_service.responsibility.router import router as responsibility_router
from org_service.responsibility.router import workday_router
from org_service.settings import OrgSettings
from org_service.sync.router import router as sync_router
from org_service.venues.router import router as venues_router
from org_service.venues.router import showcase_router
from org_service.work_targets.router import assignment_router
from org_service.work_targets.router import router as work_targets_router
from service_kit.app import create_service_app
from service_kit.events import Inbox
from service_kit.policy import policy_router

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"

inbox = Inbox()


def create_app(settings: OrgSettings | None = None, **kwargs: object) -> FastAPI:
    return create_service_app(
        settings=settings or OrgSettings(),
        title="org-service",
        routers=[
            places_router,
            organizations_router,
            coverage_router,
            place_router,
            work_targets_router,
            assignment_router,
            venues_router,
            showcase_router,
            responsibility_router,
            workday_router,
            sync_router,
            policy_router(policy_keys.ALL_KEYS, read_scope="org:read", admin_scope="org:admin"),
        ],
        migrations_dir=MIGRATIONS_DIR,
        inbox=inbox,
        **kwargs,  # type: ignore[arg-type]
    )
