"""funding-service app: assembled from service-kit and the domain routers."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from funding_service.settings import FundingSettings
from service_kit.app import create_service_app
from service_kit.events import Inbox

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"

inbox = Inbox()


def create_app(settings: FundingSettings | None = None, **kwargs: object) -> FastAPI:
    return create_service_app(
        settings=settings or FundingSettings(),
        title="funding-service",
        routers=[],
        migrations_dir=MIGRATIONS_DIR,
        inbox=inbox,
        **kwargs,  # type: ignore[arg-type]
    )
