"""Migration org_0003 creates exactly the tables, columns, types, indexes and keys the models
of places, work targets, venues and responsibility declare."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

import org_service.main  # noqa: F401  (registers every table)

TABLES_OF_0003 = {
    "place",
    "work_target",
    "work_target_coverage",
    "instructor_assignment",
    "venue",
    "showcase_site",
    "responsibility_assignment",
    "frontline_workday",
}


def tables_in(diff: Any) -> set[str]:
    """The tables an Alembic difference is about (a list for column modifications)."""
    if isinstance(diff, list):
        return set().union(*(tables_in(d) for d in diff))
    names: set[str] = set()
    for part in diff[1:]:
        if isinstance(part, str):
            names.add(part)
        elif isinstance(part, Table):
            names.add(part.name)
        else:
            table = getattr(part, "table", None)
            if table is None:
                table = getattr(part, "parent", None)
            if isinstance(table, Table):
                names.add(table.name)
    return names


async def test_migration_0003_matches_the_models(org_db_url: str) -> None:
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
    mine = [d for d in diffs if tables_in(d) & TABLES_OF_0003]
    assert mine == []
