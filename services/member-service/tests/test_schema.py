"""Migration member_0002 creates exactly the tables, columns, types, indexes and keys the models
declare."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

import member_service.main  # noqa: F401  (registers every table)

TABLES_OF_0002 = {
    "member_org_reference",
    "member_region_reference",
    "member",
    "member_version",
    "admission",
    "member_training",
    "development_quota",
    "quota_draw",
    "archive_entry",
    "member_transfer",
    "member_post",
    "activity",
    "activity_attendance",
    "team_secretary_term",
    "team_instructor",
    "team_instructor_assignment",
    "team_investor",
    "team_investor_training",
    "policy_parameter",
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


async def test_migration_0002_matches_the_models(member_db_url: str) -> None:
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
    mine = [d for d in diffs if tables_in(d) & TABLES_OF_0002]
    assert mine == []
