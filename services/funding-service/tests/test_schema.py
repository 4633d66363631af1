"""The hand-written migrations create exactly the tables, columns, types, indexes and keys
that funding-service's models declare."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

import funding_service.main  # noqa: F401  (registers every table)
from service_kit.db import async_url

# Every table of funding-service's migrations but the kit's own (the kit tests those).
FUNDING_TABLES = {
    "policy_parameter",
    "budget_line",
    "account",
    "transfer",
    "ledger_entry",
    "budget",
    "idempotency_key",
    "period_run",
    "period_line",
    "period_payment",
    "member_period",
    "secretary_term",
    "star_level",
    "dues_declaration",
    "dues_assessment",
    "dues_payment",
    "project",
    "project_bid",
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


async def test_migrations_match_the_models(funding_db_url: str) -> None:
    engine = create_async_engine(async_url(funding_db_url))
    try:
        async with engine.connect() as conn:
            diffs = await conn.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": True}),
                    SQLModel.metadata,
                )
            )
            present = await conn.run_sync(lambda sync: set(sync.dialect.get_table_names(sync)))
    finally:
        await engine.dispose()
    assert present >= FUNDING_TABLES
    assert [d for d in diffs if tables_in(d) & FUNDING_TABLES] == []
