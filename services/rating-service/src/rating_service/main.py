"""rating-service app: assembled from service-kit and the domain routers."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from rating_service import policy_keys
from rating_service.ballots.router import router as ballots_router
from rating_service.campaigns.router import router as campaigns_router
from rating_service.evaluators.router import router as evaluators_router
from rating_service.organization_ratings.router import router as organization_ratings_router
from rating_service.organization_ratings.router import scheme_router
from rating_service.results.router import router as results_router
from rating_service.settings import RatingSettings
from rating_service.star_levels.router import router as star_levels_router
from service_kit.app import create_service_app
from service_kit.events import Inbox
from service_kit.policy import policy_router

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"

inbox = Inbox()


def create_app(settings: RatingSettings | None = None, **kwargs: object) -> FastAPI:
    return create_service_app(
        settings=settings or RatingSettings(),
        title="rating-service",
        routers=[
            campaigns_router,
            ballots_router,
            results_router,
            evaluators_router,
            scheme_router,
            organization_ratings_router,
            star_levels_router,
            policy_router(
                policy_keys.ALL_KEYS, read_scope="rating:read", admin_scope="rating:admin"
            ),
        ],
        migrations_dir=MIGRATIONS_DIR,
        inbox=inbox,
        **kwargs,  # type: ignore[arg-type]
    )
