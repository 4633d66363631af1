"""funding-service app: assembled from service-kit and the domain routers."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from funding_service import policy_keys
from funding_service.budgets.router import budgets as budgets_router
from funding_service.budgets.router import lines as budget_lines_router
from funding_service.dues.router import router as dues_router
from funding_service.events import inbox
from funding_service.exports.router import router as exports_router
from funding_service.idempotency import IdempotencyKey
from funding_service.ledger.router import accounts as accounts_router
from funding_service.ledger.router import transfers as transfers_router
from funding_service.projects.router import router as projects_router
from funding_service.roster import models as roster_models
from funding_service.roster import service as roster_service
from funding_service.runs.router import router as runs_router
from funding_service.settings import FundingSettings
from funding_service.star_levels import models as star_level_models
from funding_service.star_levels import service as star_level_service
from service_kit.app import create_service_app
from service_kit.policy import policy_router

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"

# Modules whose tables or event handlers register on import.
REGISTERED = (IdempotencyKey, roster_models, roster_service, star_level_models, star_level_service)


def create_app(settings: FundingSettings | None = None, **kwargs: object) -> FastAPI:
    return create_service_app(
        settings=settings or FundingSettings(),
        title="funding-service",
        routers=[
            budget_lines_router,
            budgets_router,
            accounts_router,
            transfers_router,
            runs_router,
            dues_router,
            projects_router,
            exports_router,
            policy_router(
                policy_keys.ALL_KEYS, read_scope="funding:read", admin_scope="funding:admin"
            ),
        ],
        migrations_dir=MIGRATIONS_DIR,
        inbox=inbox,
        **kwargs,  # type: ignore[arg-type]
    )
