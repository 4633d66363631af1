"""Gateway app: GraphQL over the services, and the built-in issuer of the local default."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from strawberry.fastapi import GraphQLRouter

from gateway.context import get_context
from gateway.issuer import Issuer, issuer_router
from gateway.schema.root import build_schema
from gateway.settings import GatewaySettings
from gateway.upstream import ServiceClient
from service_kit.app import ERROR_RESPONSES
from service_kit.auth import TokenVerifier
from service_kit.errors import install_error_handlers
from service_kit.http import HttpClient
from service_kit.logs import configure_logging
from service_kit.ops import install_ops
from service_kit.tokens import SigningKey


def create_app(given: GatewaySettings | None = None, *, configure_logs: bool = True) -> FastAPI:
    settings = given or GatewaySettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if configure_logs:
            configure_logging(settings.service_name, settings.log_level, settings.log_json)
        http = HttpClient.from_settings(settings)
        app.state.http = http
        app.state.services = {
            "org": ServiceClient("org-service", settings.org_service_url, http),
            "member": ServiceClient("member-service", settings.member_service_url, http),
            "funding": ServiceClient("funding-service", settings.funding_service_url, http),
            "rating": ServiceClient("rating-service", settings.rating_service_url, http),
        }
        try:
            yield
        finally:
            await http.aclose()

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
    install_ops(app, settings.service_name, None)
    graphql = GraphQLRouter(
        build_schema(settings.max_query_depth),
        context_getter=get_context,
        graphql_ide="graphiql" if settings.graphql_ide else None,
    )
    app.include_router(graphql, prefix="/graphql")
    return app
