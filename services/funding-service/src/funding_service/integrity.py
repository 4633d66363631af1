"""Write a row that may break a unique constraint without spoiling the request's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

UNIQUE_VIOLATION = "23505"


async def flush_unique(session: AsyncSession, row: Any) -> bool:
    """Add `row` and flush it in a savepoint; False when a unique constraint refused it.

    A pre-check cannot see a concurrent insert; the unique index can, and the savepoint
    keeps the rest of the transaction usable so the caller answers 409.
    """
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError as exc:
        if getattr(exc.orig, "pgcode", None) != UNIQUE_VIOLATION:
            raise
        return False
    return True
