"""One error shape for every service: {"error": {"code", "message", "details"}}."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("service_kit.errors")


class ErrorBody(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorResponse(BaseModel):
    """The body of every 4xx/5xx answer."""

    error: ErrorBody


class AppError(Exception):
    """Base of every error a service raises on purpose: a stable code, a status, a message."""

    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    message: ClassVar[str] = "The request cannot be processed."

    def __init__(
        self, message: str | None = None, *, details: Any = None, code: str | None = None
    ) -> None:
        self.detail_message = message or self.message
        self.details = details
        self.instance_code = code or self.code
        super().__init__(self.detail_message)

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "code": self.instance_code,
                "message": self.detail_message,
                "details": self.details,
            }
        }


class BadRequest(AppError):
    status_code = 400
    code = "bad_request"


class Unauthorized(AppError):
    status_code = 401
    code = "unauthorized"
    message = "A valid bearer token is required."


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"
    message = "The token does not grant access to this resource."


class NotFound(AppError):
    status_code = 404
    code = "not_found"
    message = "No such resource."


class Conflict(AppError):
    status_code = 409
    code = "conflict"
    message = "The request conflicts with the current state."


class Unprocessable(AppError):
    status_code = 422
    code = "unprocessable"
    message = "The request breaks a rule."


class ServiceUnavailable(AppError):
    status_code = 503
    code = "unavailable"
    message = "The service cannot answer right now."


@contextlib.contextmanager
def naming_item(index: int | None) -> Iterator[None]:
    """An AppError raised inside is about the item `index` of a bulk request: its details say
    so (`"item": index`), so that the caller knows which record to fix. None: a single write,
    whose errors are left as they are."""
    try:
        yield
    except AppError as exc:
        if index is not None:
            given = exc.details if isinstance(exc.details, dict) else {}
            exc.details = {**given, "item": index}
        raise


def error_json(
    status: int,
    code: str,
    message: str,
    details: Any = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        status_code=status,
        content={"error": {"code": code, "message": message, "details": details}},
        headers=headers,
    )


def _validation_details(exc: RequestValidationError) -> tuple[str, str, list[dict[str, Any]]]:
    details = []
    malformed = False
    for err in exc.errors():
        if err.get("type") == "json_invalid":
            malformed = True
        details.append(
            {
                "loc": [str(p) for p in err.get("loc", ())],
                "type": err.get("type"),
                "message": err.get("msg"),
            }
        )
    if malformed:
        return "malformed_json", "The request body is not valid JSON.", details
    first = details[0] if details else None
    where = ".".join(first["loc"][1:] or first["loc"]) if first else "request"
    what = first["message"] if first else "invalid"
    # A validator may name a stable code of its own (PydanticCustomError with an
    # `error_code` in its context), so that a rule checked while parsing still answers
    # with the rule's code rather than the generic one.
    context = exc.errors()[0].get("ctx") if details else None
    code = context.get("error_code") if isinstance(context, dict) else None
    if isinstance(code, str) and code:
        return code, f"Invalid value at {where}: {what}.", details
    return "validation_error", f"Invalid value at {where}: {what}.", details


# SQLSTATE (or its class) → what the caller is told; anything else stays a 500.
_DATABASE_REFUSALS: dict[str, tuple[int, str, str]] = {
    "22": (
        422,
        "invalid_value",
        "A value cannot be stored: it holds a NUL character, is out of range, or is "
        "not valid for its field. Correct it and send the request again.",
    ),
    "23505": (409, "conflict", "This would duplicate something that exists already."),
    "23503": (422, "reference_not_found", "The request refers to something that does not exist."),
    "23514": (422, "rule_violated", "The request breaks a rule of the stored data."),
    "23502": (422, "missing_value", "A required value is missing."),
    "40P01": (409, "concurrent_change", "A concurrent change got in the way; try again."),
    "40001": (409, "concurrent_change", "A concurrent change got in the way; try again."),
}


def install_error_handlers(app: FastAPI) -> None:
    """Render every error, including FastAPI's own, in the one shape."""

    @app.exception_handler(AppError)
    async def _app_error(_: Request, exc: AppError) -> JSONResponse:
        return JSONResponse(status_code=exc.status_code, content=exc.body())

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        code, message, details = _validation_details(exc)
        status = 400 if code == "malformed_json" else 422
        return error_json(status, code, message, details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {
            404: ("not_found", "No such route."),
            405: ("method_not_allowed", "This method is not allowed on this route."),
            401: ("unauthorized", "A valid bearer token is required."),
            403: ("forbidden", "Access denied."),
        }
        code, default = codes.get(exc.status_code, ("http_error", "Request failed."))
        message = exc.detail if isinstance(exc.detail, str) and exc.status_code != 404 else default
        # Keep the headers the status needs (Allow on 405, WWW-Authenticate on 401).
        return error_json(exc.status_code, code, message, headers=exc.headers)

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError) -> JSONResponse:
        # The last line of defence: a value the rules let through but the database
        # refuses (a NUL character, a number out of range, a constraint) is the
        # caller's input, not a server fault. The request's transaction is rolled back.
        sqlstate = str(getattr(exc.orig, "sqlstate", "") or "")
        known = _DATABASE_REFUSALS.get(sqlstate) or _DATABASE_REFUSALS.get(sqlstate[:2])
        if known is None:
            return await _unexpected(request, exc)
        status, code, message = known
        return error_json(status, code, message, {"sqlstate": sqlstate})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Starlette runs this handler outside every middleware, so the request id the
        # operations middleware chose is read back from the request's state.
        request_id: str | None = getattr(request.state, "request_id", None)
        log.exception(
            "unhandled error on %s %s",
            request.method,
            request.url.path,
            extra={"request_id": request_id},
        )
        headers = {"X-Request-ID": request_id} if request_id else None
        return error_json(500, "internal_error", "An unexpected error occurred.", headers=headers)
