"""The /graphql endpoint: request size, persisted queries, and errors that always carry a code."""

from __future__ import annotations

from typing import Any

from cross_web import HTTPException
from fastapi import Request, Response
from fastapi.responses import JSONResponse
from starlette.websockets import WebSocket
from strawberry.fastapi import GraphQLRouter
from strawberry.http import GraphQLRequestData
from strawberry.types.unset import UNSET

from gateway.context import Context, Unauthenticated
from gateway.persisted import PersistedQueries, PersistedQueryRefused


def graphql_errors(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """A request refused before it ran, as a GraphQL response: no data, one coded error."""
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": code}}]},
        status_code=status,
        headers=headers,
    )


def unauthenticated(request: Request, exc: Exception) -> Response:
    """401 in both shapes: GraphQL clients read `errors`, REST-minded ones `error`."""
    assert isinstance(exc, Unauthenticated)
    error = exc.error
    return JSONResponse(
        {
            **error.body(),
            "errors": [
                {"message": error.detail_message, "extensions": {"code": error.instance_code}}
            ],
        },
        status_code=error.status_code,
        headers={"WWW-Authenticate": "Bearer"} if error.status_code == 401 else None,
    )


HTTP_ERROR_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}


class GatewayRouter(GraphQLRouter[Context, None]):
    """Strawberry's router with the gateway's refusals in GraphQL's error shape."""

    def __init__(
        self,
        schema: Any,
        *,
        persisted: PersistedQueries,
        max_request_bytes: int,
        **kwargs: Any,
    ) -> None:
        super().__init__(schema, **kwargs)
        self.persisted = persisted
        self.max_request_bytes = max_request_bytes

    def should_render_graphql_ide(self, request: Any) -> bool:
        # A persisted query over GET has no `query` either; it asks for data, not the IDE.
        return bool(
            super().should_render_graphql_ide(request)
            and request.query_params.get("extensions") is None
        )

    async def parse_http_body(self, request: Any) -> GraphQLRequestData | list[GraphQLRequestData]:
        data = await super().parse_http_body(request)
        for item in data if isinstance(data, list) else [data]:
            self.persisted.resolve(item)
        return data

    async def run(  # type: ignore[override]
        self,
        request: Request | WebSocket,
        context: Context = UNSET,
        root_value: None = UNSET,
    ) -> Response | WebSocket:
        if isinstance(request, Request):
            declared = request.headers.get("content-length")
            if (
                declared is not None
                and declared.isdigit()
                and int(declared) > self.max_request_bytes
            ) or (request.method == "POST" and len(await request.body()) > self.max_request_bytes):
                return graphql_errors(
                    413,
                    "request_too_large",
                    f"A GraphQL request may be at most {self.max_request_bytes} bytes; use "
                    "variables or a persisted query rather than a longer document.",
                )
        try:
            return await super().run(request, context, root_value)
        except PersistedQueryRefused as exc:
            return graphql_errors(200, exc.code, str(exc))
        except HTTPException as exc:
            return graphql_errors(
                exc.status_code, HTTP_ERROR_CODES.get(exc.status_code, "bad_request"), exc.reason
            )
