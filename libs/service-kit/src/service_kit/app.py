"""Assemble a service's FastAPI app from the kit: lifespan, errors, auth, events, operations."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI

from service_kit.auth import TokenVerifier
from service_kit.db import Database
from service_kit.errors import ErrorResponse, install_error_handlers
from service_kit.events import EventPublisher, Inbox, OutboxRelay
from service_kit.http import HttpClient
from service_kit.logs import configure_logging
from service_kit.ops import install_ops
from service_kit.settings import KitSettings

ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    status: {"model": ErrorResponse} for status in (400, 401, 403, 404, 409, 422)
}


def create_service_app(
    *,
    settings: KitSettings,
    title: str,
    routers: Sequence[APIRouter],
    migrations_dir: Path | None,
    inbox: Inbox | None = None,
    database: Database | None = None,
    configure_logs: bool = True,
) -> FastAPI:
    """A service app: its database, token verifier, HTTP client, outbox relay and inbox."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if configure_logs:
            configure_logging(settings.service_name, settings.log_level, settings.log_json)
        owns_database = database is None
        db = database or Database(
            settings.database_url,
            pool_size=settings.database_pool_size,
            max_overflow=settings.database_max_overflow,
        )
        http = HttpClient.from_settings(settings)
        app.state.database = db
        app.state.http = http
        relay = OutboxRelay(
            db,
            http,
            batch_size=settings.relay_batch_size,
            concurrency=settings.relay_concurrency,
            interval_seconds=settings.relay_interval_seconds,
            max_backoff_seconds=settings.relay_max_backoff_seconds,
        )
        app.state.relay = relay
        if settings.relay_enabled:
            relay.start()
        try:
            yield
        finally:
            await relay.stop()
            await http.aclose()
            if owns_database:
                await db.dispose()

    app = FastAPI(title=title, lifespan=lifespan, responses=ERROR_RESPONSES)
    app.state.settings = settings
    app.state.token_verifier = TokenVerifier.from_settings(settings)
    app.state.publisher = EventPublisher(
        source=settings.service_name, subscriptions=settings.event_subscriptions
    )
    install_error_handlers(app)
    install_ops(app, settings.service_name, migrations_dir)
    for router in routers:
        app.include_router(router)
    if inbox is not None:
        app.include_router(inbox.router())
    return app
