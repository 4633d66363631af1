"""Async engine, one session and one transaction per request, constraint naming."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Every table of every service lives in SQLModel's one metadata; each service's
# migrations create only the tables it owns (see migrations.py).
SQLModel.metadata.naming_convention = NAMING_CONVENTION


def async_url(url: str) -> str:
    """Accept plain postgresql:// URLs and use the asyncpg driver for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


class Database:
    """An engine and its session factory; one per process and database."""

    def __init__(self, url: str, *, pool_size: int = 10, max_overflow: int = 10) -> None:
        self.url = async_url(url)
        self.engine: AsyncEngine = create_async_engine(
            self.url,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_pre_ping=True,
        )
        self.sessionmaker = async_sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False, autoflush=True
        )

    async def dispose(self) -> None:
        await self.engine.dispose()


async def request_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's session: committed once when the endpoint returns, else rolled back.

    Declared with scope="function" so that the commit happens before the response is
    sent: a write that fails to commit answers with an error, never with a 2xx.
    """
    database: Database = request.app.state.database
    async with database.sessionmaker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


SessionDep = Annotated[AsyncSession, Depends(request_session, scope="function")]


async def lock_keys(session: AsyncSession, space: int, keys: Iterable[str]) -> None:
    """Transaction-level advisory locks on `keys` (hashed) in the key space `space`, taken in
    sorted order and in one statement however many: until commit, other transactions locking
    any of them wait; two such transactions cannot deadlock on each other's keys."""
    ordered = sorted(set(keys))
    if not ordered:
        return
    connection = await session.connection()
    await connection.execute(
        text(
            "SELECT pg_advisory_xact_lock(:space, hashtext(k)) "
            "FROM unnest(CAST(:keys AS text[])) WITH ORDINALITY AS t(k, n) ORDER BY n"
        ),
        {"space": space, "keys": ordered},
    )
