"""Operations endpoints and middleware: /healthz, /readyz, /metrics, request ids, access logs."""

from __future__ import annotations

import logging
import time
import uuid
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client import generate_latest
from sqlalchemy import text
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.routing import Match

from service_kit.errors import error_json
from service_kit.logs import bind_request
from service_kit.migrations import current_revision, head_revision

access_log = logging.getLogger("service_kit.access")


class Metrics:
    """A registry per app, so that several apps can live in one process (tests)."""

    def __init__(self, service: str) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests by route and status",
            ["service", "method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "HTTP request latency by route",
            ["service", "method", "route"],
            registry=self.registry,
        )
        self.service = service


def _route_template(request: Request) -> str:
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match == Match.FULL:
            return str(getattr(route, "path", request.url.path))
    return "unmatched"


class RequestContextMiddleware(BaseHTTPMiddleware):
    """Binds the request id and trace context, measures, and logs each request."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
        bind_request(request_id, request.headers.get("traceparent"))
        started = time.perf_counter()
        response = await call_next(request)
        elapsed = time.perf_counter() - started
        response.headers["X-Request-ID"] = request_id
        metrics: Metrics | None = getattr(request.app.state, "metrics", None)
        route = _route_template(request)
        if metrics is not None:
            metrics.requests.labels(
                metrics.service, request.method, route, str(response.status_code)
            ).inc()
            metrics.latency.labels(metrics.service, request.method, route).observe(elapsed)
        if route not in ("/healthz", "/readyz", "/metrics"):
            access_log.info(
                "%s %s %s",
                request.method,
                request.url.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.url.path,
                    "status": response.status_code,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )
        return response


def ops_router(migrations_dir: Path | None) -> APIRouter:
    router = APIRouter(tags=["operations"], include_in_schema=False)
    head = head_revision(migrations_dir) if migrations_dir is not None else None

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        """Alive: the process answers."""
        return {"status": "ok"}

    @router.get("/readyz", response_model=None)
    async def readyz(request: Request) -> Response | dict[str, str | None]:
        """Ready: the database answers and its migrations are at head."""
        database = getattr(request.app.state, "database", None)
        if database is None:
            return {"status": "ok", "migration": None}
        try:
            async with database.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
                current = await current_revision(connection)
        except Exception as exc:  # noqa: BLE001 - any failure means not ready
            return error_json(503, "database_unavailable", f"Database unreachable: {type(exc).__name__}.")
        if head is not None and current != head:
            return error_json(
                503,
                "migrations_pending",
                f"Database is at migration {current}, the code expects {head}.",
                {"current": current, "head": head},
            )
        return {"status": "ok", "migration": current}

    @router.get("/metrics")
    async def metrics(request: Request) -> Response:
        """Prometheus exposition of this process's metrics."""
        registry: Metrics = request.app.state.metrics
        return Response(generate_latest(registry.registry), media_type=CONTENT_TYPE_LATEST)

    return router


def install_ops(app: FastAPI, service: str, migrations_dir: Path | None) -> None:
    app.state.metrics = Metrics(service)
    app.add_middleware(RequestContextMiddleware)
    app.include_router(ops_router(migrations_dir))
