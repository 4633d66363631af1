"""Migration member_0003 creates exactly the tables, columns, indexes and keys the models of
leads declare (and the kit's tables of idempotency keys and batches they use)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

import member_service.main  # noqa: F401  (registers every table)

from .test_schema import tables_in

TABLES_OF_0003 = {"member_lead", "idempotent_request", "bulk_batch"}


async def test_migration_0003_matches_the_models(member_db_url: str) -> None:
    engine = create_async_engine(member_db_url.replace("postgresql://", "postgresql+asyncpg://"))
    try:
        async with engine.connect() as conn:
            diffs = await conn.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": True}),
                    SQLModel.metadata,
                )
            )
    finally:
        await engine.dispose()
    assert set(SQLModel.metadata.tables) >= TABLES_OF_0003
    assert [d for d in diffs if tables_in(d) & TABLES_OF_0003] == []
