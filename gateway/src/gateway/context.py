"""The typed per-request GraphQL context: the caller, their token, the loaders, the services."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from strawberry.fastapi import BaseContext

from gateway.loaders import Loaders, make_loaders
from gateway.upstream import ServiceClient
from service_kit.auth import Principal, current_principal
from service_kit.errors import AppError

# Who opens GraphiQL: the page itself asks nothing of any service; queries sent from it
# carry the token typed into its headers.
IDE_VISITOR = Principal(subject="graphiql", roles=frozenset(), scopes=frozenset())


class Unauthenticated(Exception):
    """The caller's token was missing or refused: answered as a GraphQL error with a code."""

    def __init__(self, error: AppError) -> None:
        super().__init__(error.detail_message)
        self.error = error


@dataclass
class Context(BaseContext):
    principal: Principal
    loaders: Loaders
    services: dict[str, ServiceClient]
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def token(self) -> str:
        return self.principal.token


def wants_ide(request: Request) -> bool:
    """A browser opening GraphiQL (GET, HTML, no query), where the local default serves it."""
    return (
        request.method == "GET"
        and request.app.state.settings.ide_enabled
        and "query" not in request.query_params
        and "extensions" not in request.query_params
        and any(kind in request.headers.get("accept", "") for kind in ("text/html", "*/*"))
    )


async def get_context(request: Request) -> Context:
    """Verify the caller (401 otherwise) and build their loaders."""
    services: dict[str, ServiceClient] = request.app.state.services
    if wants_ide(request):
        principal = IDE_VISITOR
    else:
        try:
            principal = await current_principal(request)
        except AppError as exc:
            raise Unauthenticated(exc) from exc
    return Context(
        principal=principal, loaders=make_loaders(services, principal.token), services=services
    )
