"""Write rows that may break a unique constraint without spoiling the request's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

UNIQUE_VIOLATION = "23505"


async def flush_unique(session: AsyncSession, row: Any) -> str | None:
    """Add `row` (new or changed) and flush it in a savepoint; the unique constraint it
    broke, else None.

    A pre-check cannot see a concurrent insert; the database's unique index can. The
    savepoint keeps the rest of the transaction usable, so the caller answers 409.
    """
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError as exc:
        if getattr(exc.orig, "pgcode", None) != UNIQUE_VIOLATION:
            raise
        cause = getattr(exc.orig, "__cause__", None)
        return str(getattr(cause, "constraint_name", None) or "unique")
    return None
