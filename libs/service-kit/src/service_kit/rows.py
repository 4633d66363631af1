"""Many rows written in one statement: the rows travel as one JSON document that the server
unpacks with jsonb_to_recordset.

For bulk writes of thousands of rows. A driver's executemany, or a VALUES list with a bind
parameter per value, spends more time in Python on each value than the server spends
storing the row; one JSON text is serialized in C and parsed by the server in one go.
"""

from __future__ import annotations

import enum
import json
import uuid
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, text
from sqlalchemy.dialects import postgresql
from sqlmodel.ext.asyncio.session import AsyncSession

_DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]


def _encode(value: Any) -> Any:
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return "\\x" + value.hex()  # bytea's text form
    if isinstance(value, enum.Enum):
        return value.value
    raise TypeError(f"cannot write a {type(value).__name__} as JSON")


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _recordset(table: Table, columns: Sequence[str]) -> str:
    """`jsonb_to_recordset(...) AS r(col type, …)` for these columns of `table`."""
    definitions = ", ".join(
        f"{_quoted(c)} {table.c[c].type.compile(dialect=_DIALECT)}" for c in columns
    )
    return f"jsonb_to_recordset(CAST(:rows AS jsonb)) AS r({definitions})"


def rows_document(rows: Sequence[dict[str, Any]]) -> str:
    return json.dumps(list(rows), default=_encode, ensure_ascii=False, separators=(",", ":"))


async def insert_rows(
    session: AsyncSession,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    skip_conflicts_on: Sequence[str] | None = None,
    returning: str | None = None,
) -> list[Any]:
    """Insert `rows` (dicts with the same keys) into `table` in one statement.

    With `skip_conflicts_on` (the columns of a unique index) a row that would duplicate one
    already stored is skipped; with `returning` (a column name) the values of that column
    of the rows inserted are returned.
    """
    if not rows:
        return []
    columns = list(rows[0])
    names = ", ".join(_quoted(c) for c in columns)
    statement = f"INSERT INTO {_quoted(table.name)} ({names}) SELECT {names} FROM "  # noqa: S608
    statement += _recordset(table, columns)
    if skip_conflicts_on:
        statement += f" ON CONFLICT ({', '.join(_quoted(c) for c in skip_conflicts_on)}) DO NOTHING"
    if returning:
        statement += f" RETURNING {_quoted(returning)}"
    connection = await session.connection()
    result = await connection.execute(text(statement), {"rows": rows_document(rows)})
    return list(result.scalars().all()) if returning else []


async def update_rows(
    session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]], *, key: str = "id"
) -> None:
    """Set each row's other columns on the stored row whose `key` column matches, in one
    statement (rows are dicts with the same keys)."""
    if not rows:
        return
    columns = list(rows[0])
    changed = ", ".join(f"{_quoted(c)} = r.{_quoted(c)}" for c in columns if c != key)
    statement = (
        f"UPDATE {_quoted(table.name)} AS t SET {changed} FROM {_recordset(table, columns)} "  # noqa: S608
        f"WHERE t.{_quoted(key)} = r.{_quoted(key)}"
    )
    connection = await session.connection()
    await connection.execute(text(statement), {"rows": rows_document(rows)})


async def upsert_rows(
    session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]], *, key: Sequence[str]
) -> None:
    """Insert `rows`, or set the other columns of the stored row with the same `key` (the
    columns of a unique index), in one statement."""
    if not rows:
        return
    columns = list(rows[0])
    names = ", ".join(_quoted(c) for c in columns)
    changed = ", ".join(f"{_quoted(c)} = EXCLUDED.{_quoted(c)}" for c in columns if c not in key)
    statement = (
        f"INSERT INTO {_quoted(table.name)} ({names}) SELECT {names} FROM "  # noqa: S608
        f"{_recordset(table, columns)} ON CONFLICT ({', '.join(_quoted(c) for c in key)}) "
        f"DO UPDATE SET {changed}"
    )
    connection = await session.connection()
    await connection.execute(text(statement), {"rows": rows_document(rows)})
