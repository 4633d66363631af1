"""Bulk writes: many records in one request (a JSON array or NDJSON), an outcome per record, and
a log of every batch by caller.

The body is read whole before anything is written: a body cut short (a broken
connection) or not JSON at all is refused as a whole, never stored in part. A record that
can be read but breaks a rule is rejected on its own, with a code, the field at fault and
a message, and the others are stored. A service that keeps the log creates its table in
one of its migrations (`create_bulk_tables`).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

import sqlalchemy as sa
from fastapi import Request
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import Column, DateTime, Index, Integer, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import ClientDisconnect

from service_kit.auth import Principal
from service_kit.errors import AppError, BadRequest, ErrorResponse, Unprocessable
from service_kit.pagination import KeysetPage, PageParams, keyset_page

R = TypeVar("R", bound=BaseModel)

MAX_RECORDS = 10_000
# Ten thousand records of a few kilobytes each, with room to spare.
MAX_BODY_BYTES = 64 * 1024 * 1024
JSON_TYPES = frozenset({"application/json"})
NDJSON_TYPES = frozenset({"application/x-ndjson", "application/ndjson", "application/jsonl"})


def utcnow() -> datetime:
    return datetime.now(UTC)


class BatchTooLarge(AppError):
    status_code = 413
    code = "batch_too_large"
    message = f"A batch holds at most {MAX_RECORDS} records; split it and send the parts."


class UnsupportedMediaType(AppError):
    status_code = 415
    code = "unsupported_media_type"
    message = (
        "Send the records as a JSON array (Content-Type: application/json) or one JSON "
        "object a line (Content-Type: application/x-ndjson)."
    )


class MalformedBody(BadRequest):
    code = "malformed_json"
    message = "The request body is not valid JSON; nothing was stored."


class EmptyBatch(Unprocessable):
    code = "empty_batch"
    message = "The batch holds no records."


@dataclass(frozen=True)
class BulkBody:
    """A bulk request as read: its bytes (for the idempotency fingerprint) and its records."""

    raw: bytes
    records: list[Any]


async def _read_capped(request: Request, max_bytes: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise BatchTooLarge(
            f"The body is larger than {max_bytes} bytes; send fewer records a request.",
            details={"max_bytes": max_bytes},
        )
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_bytes:
                raise BatchTooLarge(
                    f"The body is larger than {max_bytes} bytes; send fewer records a request.",
                    details={"max_bytes": max_bytes},
                )
            chunks.append(chunk)
    except ClientDisconnect as exc:
        # Nobody is left to answer, but the request ends as a refusal, not a server fault.
        raise BadRequest(
            "The connection broke before the whole body arrived; nothing was stored.",
            code="body_incomplete",
        ) from exc
    return b"".join(chunks)


def _too_many(count: int, max_records: int) -> BatchTooLarge:
    return BatchTooLarge(
        f"The batch holds {count} records; at most {max_records} are accepted in one request.",
        details={"count": count, "max": max_records},
    )


async def read_bulk_body(
    request: Request, *, max_records: int = MAX_RECORDS, max_bytes: int = MAX_BODY_BYTES
) -> BulkBody:
    """The records of a JSON-array or NDJSON body, or a 4xx that stores nothing."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in JSON_TYPES | NDJSON_TYPES:
        raise UnsupportedMediaType(details={"content_type": media_type or None})
    raw = await _read_capped(request, max_bytes)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedBody(
            "The request body is not UTF-8 text; nothing was stored.",
            details={"position": exc.start},
        ) from exc
    records: list[Any]
    if media_type in NDJSON_TYPES:
        lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
        if len(lines) > max_records:
            raise _too_many(len(lines), max_records)
        records = []
        for number, line in lines:
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise MalformedBody(
                    f"Line {number} is not a JSON value ({exc.msg}); nothing was stored. A "
                    "line cut short usually means the connection broke: send the batch again.",
                    details={"line": number, "column": exc.colno},
                ) from exc
    else:
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            raise MalformedBody(
                f"The body is not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); "
                "nothing was stored.",
                details={"line": exc.lineno, "column": exc.colno},
            ) from exc
        if not isinstance(parsed, list):
            raise MalformedBody(
                "The body must be a JSON array of records (or NDJSON, one record a line).",
                code="not_an_array",
            )
        if len(parsed) > max_records:
            raise _too_many(len(parsed), max_records)
        records = parsed
    if not records:
        raise EmptyBatch()
    return BulkBody(raw=raw, records=records)


def bulk_request_body(record: type[BaseModel], *, max_records: int = MAX_RECORDS) -> dict[str, Any]:
    """The OpenAPI requestBody of a bulk endpoint (for a route's `openapi_extra`)."""
    schema = _inline_refs(record.model_json_schema())
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "array",
                        "items": schema,
                        "minItems": 1,
                        "maxItems": max_records,
                    }
                },
                "application/x-ndjson": {
                    "schema": {
                        "type": "string",
                        "description": f"one {record.__name__} a line, at most {max_records}",
                    }
                },
            },
        }
    }


def _inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with its local $defs written in place (an OpenAPI document has its own root)."""
    definitions = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(definitions[ref.removeprefix("#/$defs/")])
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


BULK_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "not JSON (or a line cut short): nothing stored"},
    409: {"model": ErrorResponse, "description": "the Idempotency-Key was used for another body"},
    413: {"model": ErrorResponse, "description": f"more than {MAX_RECORDS} records"},
    415: {"model": ErrorResponse, "description": "neither JSON nor NDJSON"},
}


# --- per-record outcomes ----------------------------------------------------------------------


class Outcome(StrEnum):
    created = "created"
    updated = "updated"
    unchanged = "unchanged"
    rejected = "rejected"


class RecordError(BaseModel):
    code: str = Field(description="stable, snake_case")
    field: str | None = Field(description="the field at fault (dotted for nested ones)")
    message: str


class RecordOutcome(BaseModel):
    index: int = Field(description="the record's position in the batch, from 0")
    outcome: Outcome
    key: str | None = Field(default=None, description="the record's key as sent")
    id: uuid.UUID | None = Field(default=None, description="what the record is stored as")
    error: RecordError | None = None


class BulkResult(BaseModel):
    """What became of each record of a batch, in the order sent."""

    batch_id: uuid.UUID = Field(description="the batch's entry in the sync log")
    kind: str
    received: int
    created: int
    updated: int
    unchanged: int
    rejected: int
    records: list[RecordOutcome]


class Rejected(Exception):
    """A record refused: a stable code, the field at fault and an actionable message."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.error = RecordError(code=code, field=field, message=message)

    @classmethod
    def from_app_error(cls, exc: AppError, field: str | None) -> Rejected:
        details = exc.details if isinstance(exc.details, dict) else {}
        named = details.get("field")
        at = named if isinstance(named, str) else field
        return cls(exc.instance_code, exc.detail_message, at)


def _nul_at(value: Any, path: str) -> str | None:
    """Where a NUL character sits in a JSON value (PostgreSQL text cannot hold one)."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        found = _nul_at(item, f"{path}.{key}" if path else str(key))
        if found is not None:
            return found
    return None


def parse_record(model: type[R], value: Any) -> R:
    """The record as `model`, or Rejected naming the first field at fault."""
    if not isinstance(value, dict):
        raise Rejected("not_an_object", "A record is a JSON object.")
    nul = _nul_at(value, "")
    if nul is not None:
        raise Rejected("invalid_value", f"{nul}: text cannot hold a NUL character.", nul)
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        field = ".".join(str(p) for p in first.get("loc", ())) or None
        context = first.get("ctx")
        named = context.get("error_code") if isinstance(context, dict) else None
        kind = first.get("type")
        if isinstance(named, str) and named:
            code = named
        elif kind == "missing":
            code = "missing_field"
        elif kind == "extra_forbidden":
            code = "unknown_field"
        else:
            code = "invalid_value"
        message = f"{field}: {first.get('msg')}." if field else f"{first.get('msg')}."
        raise Rejected(code, message, field) from exc


def rejected(index: int, error: RecordError, key: str | None = None) -> RecordOutcome:
    return RecordOutcome(index=index, outcome=Outcome.rejected, key=key, error=error)


def summarize(batch_id: uuid.UUID, kind: str, records: Sequence[RecordOutcome]) -> BulkResult:
    counts = {o: 0 for o in Outcome}
    for record in records:
        counts[record.outcome] += 1
    return BulkResult(
        batch_id=batch_id,
        kind=kind,
        received=len(records),
        created=counts[Outcome.created],
        updated=counts[Outcome.updated],
        unchanged=counts[Outcome.unchanged],
        rejected=counts[Outcome.rejected],
        records=list(records),
    )


# --- the log of batches -----------------------------------------------------------------------


class BulkBatch(SQLModel, table=True):
    """One batch a caller sent: when, how many of each outcome, and every rejection."""

    __tablename__ = "bulk_batch"
    __table_args__ = (Index("ix_bulk_batch_subject_received_at", "subject", "received_at", "id"),)

    id: uuid.UUID = SQLField(default_factory=uuid.uuid4, primary_key=True)
    subject: str = SQLField(sa_column=Column(String(200), nullable=False))
    kind: str = SQLField(sa_column=Column(String(50), nullable=False))
    idempotency_key: str | None = SQLField(default=None, sa_column=Column(String(200)))
    received_at: datetime = SQLField(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    received: int = SQLField(sa_column=Column(Integer, nullable=False))
    created: int = SQLField(sa_column=Column(Integer, nullable=False))
    updated: int = SQLField(sa_column=Column(Integer, nullable=False))
    unchanged: int = SQLField(sa_column=Column(Integer, nullable=False))
    rejected: int = SQLField(sa_column=Column(Integer, nullable=False))
    errors: list[dict[str, Any]] = SQLField(
        default_factory=list, sa_column=Column(JSONB, nullable=False)
    )


def create_bulk_tables(op: Any) -> None:
    """Create the log of batches; call from a service's migration."""
    op.create_table(
        "bulk_batch",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(50), nullable=False),
        sa.Column("idempotency_key", sa.String(200)),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("errors", JSONB(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_bulk_batch"),
    )
    op.create_index(
        "ix_bulk_batch_subject_received_at", "bulk_batch", ["subject", "received_at", "id"]
    )


class BatchSummary(BaseModel):
    """A batch in the log: who sent it, when, and how many records of each outcome."""

    id: uuid.UUID
    subject: str = Field(description="the client that sent it")
    kind: str
    idempotency_key: str | None
    received_at: datetime
    received: int
    created: int
    updated: int
    unchanged: int
    rejected: int


class BatchError(BaseModel):
    index: int
    key: str | None
    code: str
    field: str | None
    message: str


class BatchPublic(BatchSummary):
    errors: list[BatchError] = Field(description="every rejected record, in batch order")


async def log_batch(
    session: AsyncSession,
    *,
    principal: Principal,
    kind: str,
    idempotency_key: str | None,
    result: BulkResult,
) -> BulkBatch:
    """Add the batch's entry to the log, in the transaction that stores its records."""
    errors = [
        {
            "index": r.index,
            "key": r.key,
            "code": r.error.code,
            "field": r.error.field,
            "message": r.error.message,
        }
        for r in result.records
        if r.error is not None
    ]
    row = BulkBatch(
        id=result.batch_id,
        subject=principal.subject,
        kind=kind,
        idempotency_key=idempotency_key,
        received=result.received,
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
        rejected=result.rejected,
        errors=errors,
    )
    session.add(row)
    await session.flush()
    return row


async def page_batches(
    session: AsyncSession,
    params: PageParams,
    *,
    subject: str | None,
    kinds: Sequence[str],
    since: datetime | None = None,
) -> KeysetPage:
    """Batches of `kinds` (one caller's, or everyone's when `subject` is None), oldest first."""
    statement = select(BulkBatch).where(col(BulkBatch.kind).in_(kinds))
    if subject is not None:
        statement = statement.where(BulkBatch.subject == subject)
    if since is not None:
        statement = statement.where(col(BulkBatch.received_at) >= since)
    order: list[Any] = [col(BulkBatch.received_at), col(BulkBatch.id)]
    return await keyset_page(session, statement, order_by=order, params=params)


async def get_batch(
    session: AsyncSession, batch_id: uuid.UUID, *, subject: str | None, kinds: Sequence[str]
) -> BulkBatch | None:
    """The batch, if it is of `kinds` and (unless `subject` is None) that caller's."""
    statement = select(BulkBatch).where(BulkBatch.id == batch_id, col(BulkBatch.kind).in_(kinds))
    if subject is not None:
        statement = statement.where(BulkBatch.subject == subject)
    return (await session.exec(statement)).first()
