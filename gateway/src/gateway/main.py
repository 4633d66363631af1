"""Gateway app: GraphQL over the services, and the built-in issuer of the local default."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from prometheus_client import Counter

from gateway.context import Unauthenticated, get_context
from gateway.endpoint import GatewayRouter, unauthenticated
from gateway.issuer import Issuer, issuer_router
from gateway.persisted import PersistedQueries
from gateway.schema.limits import Limits
from gateway.schema.root import build_schema
from gateway.settings import GatewaySettings
from gateway.upstream import CircuitBreaker, ServiceClient
from service_kit.app import ERROR_RESPONSES
from service_kit.auth import TokenVerifier
from service_kit.errors import install_error_handlers
from service_kit.http import HttpClient
from service_kit.logs import configure_logging
from service_kit.ops import install_ops
from service_kit.tokens import SigningKey

SERVICES = {
    "org": "org-service",
    "member": "member-service",
    "funding": "funding-service",
    "rating": "rating-service",
}


def create_app(given: GatewaySettings | None = None, *, configure_logs: bool = True) -> FastAPI:
    settings = given or GatewaySettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if configure_logs:
            configure_logging(settings.service_name, settings.log_level, settings.log_json)
        # A connection pool per service: httpcore looks over every connection of a pool to
        # place each request, so four small pools cost less than one large one.
        clients = {key: HttpClient.from_settings(settings) for key in SERVICES}
        app.state.services = {
            key: ServiceClient(
                name,
                getattr(settings, f"{key}_service_url"),
                clients[key],
                timeout=settings.service_timeout(key),
                breaker=CircuitBreaker(
                    settings.circuit_breaker_failures, settings.circuit_breaker_cooldown_seconds
                ),
                observe=lambda service, method, outcome: upstream_calls.labels(
                    service, method, outcome
                ).inc(),
            )
            for key, name in SERVICES.items()
        }
        try:
            yield
        finally:
            for client in clients.values():
                await client.aclose()

    app = FastAPI(title="party-building gateway", lifespan=lifespan, responses=ERROR_RESPONSES)
    app.state.settings = settings
    if settings.builtin_issuer:
        issuer = Issuer(settings, SigningKey.load_or_create(settings.issuer_key_file))
        app.state.issuer = issuer
        app.include_router(issuer_router(issuer))
        # The gateway trusts its own keys directly rather than fetching them from itself.
        settings = settings.model_copy(update={"auth_jwks": json.dumps(issuer.key.jwks())})
    app.state.token_verifier = TokenVerifier.from_settings(settings)
    install_error_handlers(app)
    app.add_exception_handler(Unauthenticated, unauthenticated)
    install_ops(app, settings.service_name, None)
    upstream_calls = Counter(
        "gateway_upstream_requests_total",
        "Calls from the gateway to the services, by service, method and outcome",
        ["service", "method", "outcome"],
        registry=app.state.metrics.registry,
    )
    schema = build_schema(
        Limits(
            max_depth=settings.max_query_depth,
            max_cost=settings.max_query_cost,
            max_aliases=settings.max_aliases,
            introspection=settings.introspection,
        ),
        max_tokens=settings.max_tokens,
    )
    graphql = GatewayRouter(
        schema,
        persisted=PersistedQueries.load(
            settings.persisted_queries_dir, only=settings.persisted_queries_only
        ),
        max_request_bytes=settings.max_request_bytes,
        context_getter=get_context,
        graphql_ide="graphiql" if settings.ide_enabled else None,
    )
    app.include_router(graphql, prefix="/graphql")
    return app
