"""Keyset (cursor) pages with a hard maximum page size."""

from __future__ import annotations

import base64
import enum
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import and_, or_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from service_kit.errors import BadRequest, Unprocessable

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_BATCH_IDS = 500

T = TypeVar("T")


class InvalidCursor(BadRequest):
    code = "invalid_cursor"
    message = "The cursor is not one this service issued; start again without it."


class PageSizeTooLarge(Unprocessable):
    code = "page_size_too_large"
    message = f"limit must be between 1 and {MAX_PAGE_SIZE}."


class TooManyIds(Unprocessable):
    code = "too_many_ids"
    message = f"At most {MAX_BATCH_IDS} ids can be asked for at once."


class Page(BaseModel, Generic[T]):
    """One page of a list; pass next_cursor back as `after` for the next one."""

    items: list[T]
    next_cursor: str | None = None
    cursors: list[str] | None = None


@dataclass
class KeysetPage:
    rows: list[Any]
    cursors: list[str]
    next_cursor: str | None


class PageParams(BaseModel):
    limit: int
    after: str | None


def page_params(
    limit: Annotated[int, Query(description=f"page size, 1 to {MAX_PAGE_SIZE}")] = (
        DEFAULT_PAGE_SIZE
    ),
    after: Annotated[str | None, Query(description="cursor from the previous page")] = None,
) -> PageParams:
    if limit < 1 or limit > MAX_PAGE_SIZE:
        raise PageSizeTooLarge(details={"limit": limit, "max": MAX_PAGE_SIZE})
    return PageParams(limit=limit, after=after)


PageParamsDep = Annotated[PageParams, Depends(page_params)]


def parse_ids(raw: str | None) -> list[uuid.UUID] | None:
    """`?ids=a,b,c` → UUIDs (None when absent); bad or too many ids are a 4xx."""
    if raw is None:
        return None
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    if len(parts) > MAX_BATCH_IDS:
        raise TooManyIds(details={"count": len(parts), "max": MAX_BATCH_IDS})
    try:
        return [uuid.UUID(p) for p in parts]
    except ValueError as exc:
        raise BadRequest("ids must be a comma-separated list of UUIDs.", code="invalid_id") from exc


def _encode_value(value: Any) -> Any:
    if isinstance(value, uuid.UUID | Decimal):
        return {"t": type(value).__name__, "v": str(value)}
    if isinstance(value, datetime | date):
        return {"t": type(value).__name__, "v": value.isoformat()}
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict):
        kind, raw = value.get("t"), value.get("v")
        if not isinstance(raw, str):
            raise TypeError("cursor value")
        if kind == "UUID":
            return uuid.UUID(raw)
        if kind == "Decimal":
            return Decimal(raw)
        if kind == "datetime":
            return datetime.fromisoformat(raw)
        if kind == "date":
            return date.fromisoformat(raw)
        raise ValueError(kind)
    return value


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps([_encode_value(v) for v in values], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, width: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list) or len(values) != width:
            raise ValueError("width")
        return [_decode_value(v) for v in values]
    except (ValueError, TypeError, KeyError, ArithmeticError) as exc:
        raise InvalidCursor(details={"after": cursor}) from exc


def _typed_like(columns: Sequence[ColumnElement[Any]], values: list[Any], cursor: str) -> list[Any]:
    """The cursor's values, checked against the columns they compare with.

    A forged cursor with a value of another type would otherwise reach the database and
    fail there (a 500) instead of being refused as a bad cursor.
    """
    typed = []
    for column, value in zip(columns, values, strict=True):
        # `object` where SQLAlchemy knows no Python type for the column: taken as it is.
        expected: type = column.type.python_type
        if isinstance(value, expected):
            typed.append(value)
        elif issubclass(expected, enum.Enum):
            try:
                typed.append(expected(value))
            except ValueError as exc:
                raise InvalidCursor(details={"after": cursor}) from exc
        elif expected is float and isinstance(value, int) and not isinstance(value, bool):
            typed.append(float(value))
        else:
            raise InvalidCursor(details={"after": cursor})
    return typed


def _after_clause(
    columns: Sequence[ColumnElement[Any]], values: Sequence[Any], descending: bool = False
) -> Any:
    # (a, b, c) > (x, y, z) spelled out so that each column may use its own index order.
    clauses = []
    for i, column in enumerate(columns):
        equal = [columns[j] == values[j] for j in range(i)]
        beyond = column < values[i] if descending else column > values[i]
        clauses.append(and_(*equal, beyond))
    return or_(*clauses)


async def keyset_page(
    session: AsyncSession,
    statement: SelectOfScalar[Any],
    *,
    order_by: Sequence[ColumnElement[Any]],
    params: PageParams,
    descending: bool = False,
) -> KeysetPage:
    """Run `statement` ordered by `order_by` (ascending, or every column descending; unique
    as a whole) one page at a time.

    `statement` selects one entity; `order_by` as a whole must make the order unique.
    Every row comes with its own cursor (for connections whose edges carry one).
    """
    if params.after is not None:
        values = _typed_like(order_by, decode_cursor(params.after, len(order_by)), params.after)
        statement = statement.where(_after_clause(order_by, values, descending))
    ordering = [c.desc() for c in order_by] if descending else list(order_by)
    statement = statement.order_by(*ordering).limit(params.limit + 1)
    rows = list((await session.exec(statement)).all())
    has_more = len(rows) > params.limit
    rows = rows[: params.limit]
    keys = [str(c.key) for c in order_by]
    cursors = [encode_cursor([getattr(row, key) for key in keys]) for row in rows]
    return KeysetPage(rows, cursors, cursors[-1] if has_more and cursors else None)
