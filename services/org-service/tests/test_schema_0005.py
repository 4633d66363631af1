"""Migration org_0005 creates exactly the tables, columns, indexes and keys the sync API's models
declare (and the kit's tables of idempotency keys and batches it uses)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

import org_service.main  # noqa: F401  (registers every table)

from .test_schema_0003 import tables_in

TABLES_OF_0005 = {
    "place",  # external_refs
    "work_target",  # the index on external_refs
    "place_floor",
    "work_target_tenancy",
    "idempotent_request",
    "bulk_batch",
}


async def test_migration_0005_matches_the_models(org_db_url: str) -> None:
    engine = create_async_engine(org_db_url.replace("postgresql://", "postgresql+asyncpg://"))
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
    assert set(SQLModel.metadata.tables) >= TABLES_OF_0005
    assert [d for d in diffs if tables_in(d) & TABLES_OF_0005] == []
