"""What a GraphQL error says: service codes pass through, the unexpected is masked."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from gateway.upstream import UpstreamError, UpstreamUnavailable

log = logging.getLogger("gateway.errors")


class GatewayError(Exception):
    """An error the gateway raises itself, with a stable code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def request_error_code(error: GraphQLError) -> str:
    """The code of an error in the request itself (found before anything ran)."""
    message = error.message
    if "Document contains more than" in message:
        return "query_too_large"
    if message.startswith("Syntax Error"):
        return "graphql_parse_failed"
    if message.startswith("Variable '$"):
        return "invalid_variables"
    return "graphql_validation_failed"


def shape(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if original is None or (error.path is None and error.message.startswith("Variable '$")):
        extensions = {"code": request_error_code(error), **(error.extensions or {})}
        return GraphQLError(
            error.message, error.nodes, error.source, error.positions, error.path, None, extensions
        )
    if isinstance(original, UpstreamError):
        extensions = {"code": original.code, "service": original.service}
        if original.details is not None and not isinstance(original, UpstreamUnavailable):
            extensions["details"] = original.details
        return GraphQLError(
            str(original),
            error.nodes,
            error.source,
            error.positions,
            error.path,
            original,
            extensions,
        )
    if isinstance(original, GatewayError):
        return GraphQLError(
            str(original),
            error.nodes,
            error.source,
            error.positions,
            error.path,
            original,
            {"code": original.code},
        )
    log.error("unexpected error in a resolver", exc_info=original)
    return GraphQLError(
        "An unexpected error occurred.",
        error.nodes,
        error.source,
        error.positions,
        error.path,
        None,
        {"code": "internal_error"},
    )


class ShapeErrors(SchemaExtension):
    """Rewrites every error of the result through `shape`."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [shape(e) for e in result.errors]
