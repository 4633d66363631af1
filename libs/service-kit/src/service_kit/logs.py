"""JSON logs carrying the request id of the request being served."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
_traceparent: ContextVar[str | None] = ContextVar("traceparent", default=None)


def current_request_id() -> str | None:
    return _request_id.get()


def current_traceparent() -> str | None:
    return _traceparent.get()


def bind_request(request_id: str | None, traceparent: str | None) -> None:
    """Bind for the rest of the current context (prefer `bound_request`, which unbinds)."""
    _request_id.set(request_id)
    _traceparent.set(traceparent)


@contextmanager
def bound_request(request_id: str | None, traceparent: str | None) -> Iterator[None]:
    """Bind the request's id and trace context while it is served, then restore the previous.

    An app called in process (tests, ASGI transports) runs in its caller's task; without
    the reset, the caller's later calls would carry the finished request's id.
    """
    id_token = _request_id.set(request_id)
    trace_token = _traceparent.set(traceparent)
    try:
        yield
    finally:
        _traceparent.reset(trace_token)
        _request_id.reset(id_token)


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or current_request_id(),
        }
        for key in ("method", "path", "status", "duration_ms"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(service: str, level: str = "INFO", json_logs: bool = True) -> None:
    """Route the root logger to stderr, one JSON object a line."""
    handler = logging.StreamHandler(sys.stderr)
    if json_logs:
        handler.setFormatter(JsonFormatter(service))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("uvicorn.access").disabled = True
    # One line per outgoing call is noise next to our own access log.
    logging.getLogger("httpx").setLevel(logging.WARNING)
