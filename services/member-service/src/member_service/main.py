"""member-service app: assembled from service-kit and the domain routers."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from member_service import policy_keys
from member_service.activities.router import router as activities_router
from member_service.archive import service as archive_service
from member_service.archive.router import router as archive_router
from member_service.instructors.router import router as instructors_router
from member_service.investors.router import router as investors_router
from member_service.leads.router import router as leads_router
from member_service.leads.router import sync_router as sync_members_router
from member_service.members.id_numbers import IdNumberCipher
from member_service.members.router import router as members_router
from member_service.posts.router import router as posts_router
from member_service.quotas.router import router as quotas_router
from member_service.references import service as references_service
from member_service.secretaries.router import router as secretaries_router
from member_service.settings import MemberSettings
from member_service.transfers.router import router as transfers_router
from service_kit.app import create_service_app
from service_kit.events import Inbox
from service_kit.policy import policy_router

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"

inbox = Inbox()
inbox.on_many(archive_service.EVALUATION_FINALIZED)(archive_service.on_evaluations_finalized)
inbox.on("org.organization.changed")(references_service.on_organization_changed)
inbox.on("org.organization.dissolved")(references_service.on_organization_dissolved)


def create_app(settings: MemberSettings | None = None, **kwargs: object) -> FastAPI:
    settings = settings or MemberSettings()
    app = create_service_app(
        settings=settings,
        title="member-service",
        routers=[
            members_router,
            archive_router,
            quotas_router,
            transfers_router,
            posts_router,
            activities_router,
            secretaries_router,
            instructors_router,
            investors_router,
            leads_router,
            sync_members_router,
            policy_router(
                policy_keys.ALL_KEYS, read_scope="member:read", admin_scope="member:admin"
            ),
        ],
        migrations_dir=MIGRATIONS_DIR,
        inbox=inbox,
        **kwargs,  # type: ignore[arg-type]
    )
    app.state.id_number_cipher = IdNumberCipher.from_settings(settings)
    return app
