"""Operations endpoints and middleware: /healthz, /readyz, /metrics, request ids, access logs."""

from __future__ import annotations

import logging
import re
import time
import uuid
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from sqlalchemy import text
from starlette.datastructures import Headers, MutableHeaders
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service_kit.errors import error_json
from service_kit.logs import bound_request
from service_kit.migrations import current_revision, head_revision

access_log = logging.getLogger("service_kit.access")

# An incoming X-Request-ID is kept only when it is short and plain: it goes into logs,
# headers of calls to other services and the audit table (100 characters).
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}")
OPS_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})


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


def accepted_request_id(incoming: str | None) -> str:
    """The caller's request id when it is usable, else a new one."""
    if incoming and REQUEST_ID_PATTERN.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def _flat_routes(app: Any) -> list[Any]:
    """Every route of the app with its full path template, also inside included routers."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI before included routers were kept as groups
        return list(app.router.routes)
    return list(iter_route_contexts(app.router.routes))


def route_template(routes: list[Any], scope: Scope) -> str:
    """The matched route's template (`/organizations/{organization_id}`), never the raw path.

    Raw paths would give the metrics one label value per id ever requested.
    """
    for route in routes:
        match, _ = route.matches(scope)
        if match == Match.FULL:
            template = getattr(route, "path_format", None) or getattr(route, "path", None)
            if isinstance(template, str):
                return template
    return "unmatched"


class RequestContextMiddleware:
    """Binds the request id and trace context, measures, and logs each request.

    Plain ASGI, so that a request that ends in an unhandled exception is still counted
    (as a 500) and its context is unbound whatever happens.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._routes: list[Any] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        request_id = accepted_request_id(headers.get("x-request-id"))
        # Read back by the handler of unexpected errors, which runs outside this middleware.
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500

        async def send_with_request_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        started = time.perf_counter()
        with bound_request(request_id, headers.get("traceparent")):
            try:
                await self.app(scope, receive, send_with_request_id)
            finally:
                self._observe(scope, status, time.perf_counter() - started)

    def _observe(self, scope: Scope, status: int, elapsed: float) -> None:
        app = scope.get("app")
        if app is None:
            return
        if self._routes is None:
            self._routes = _flat_routes(app)
        route = route_template(self._routes, scope)
        method = scope["method"]
        metrics: Metrics | None = getattr(app.state, "metrics", None)
        if metrics is not None:
            metrics.requests.labels(metrics.service, method, route, str(status)).inc()
            metrics.latency.labels(metrics.service, method, route).observe(elapsed)
        if route not in OPS_ROUTES:
            access_log.info(
                "%s %s %s",
                method,
                scope["path"],
                status,
                extra={
                    "method": method,
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )


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
        except Exception as exc:  # any failure means not ready
            return error_json(
                503, "database_unavailable", f"Database unreachable: {type(exc).__name__}."
            )
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
