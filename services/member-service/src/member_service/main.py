"""member-service app: assembled from service-kit and the domain routers."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from member_service.settings import MemberSettings
from service_kit.app import create_service_app
from service_kit.events import Inbox

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"

inbox = Inbox()


def create_app(settings: MemberSettings | None = None, **kwargs: object) -> FastAPI:
    return create_service_app(
        settings=settings or MemberSettings(),
        title="member-service",
        routers=[],
        migrations_dir=MIGRATIONS_DIR,
        inbox=inbox,
        **kwargs,  # type: ignore[arg-type]
    )
