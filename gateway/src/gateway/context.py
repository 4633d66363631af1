"""The typed per-request GraphQL context: the caller, their token, the loaders, the services."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from strawberry.fastapi import BaseContext

from gateway.loaders import Loaders, make_loaders
from gateway.upstream import ServiceClient
from service_kit.auth import Principal, current_principal


@dataclass
class Context(BaseContext):
    principal: Principal
    loaders: Loaders
    services: dict[str, ServiceClient]

    @property
    def token(self) -> str:
        return self.principal.token


async def get_context(request: Request) -> Context:
    """Verify the caller (401 otherwise) and build their loaders."""
    principal = await current_principal(request)
    services: dict[str, ServiceClient] = request.app.state.services
    return Context(
        principal=principal, loaders=make_loaders(services, principal.token), services=services
    )
