"""The hand-written migrations create exactly the tables, columns, types, indexes and keys that
rating-service's models declare."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, Table
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

import rating_service.main  # noqa: F401  (registers every table)

KIT_TABLES = {"audit_record", "outbox_event", "outbox_delivery", "inbox_event", "policy_parameter"}
RATING_TABLES = {
    "campaign",
    "campaign_organization",
    "campaign_subject",
    "campaign_secretary",
    "evaluator_registration",
    "ballot",
    "evaluation_result",
    "rating_scheme",
    "organization_rating",
    "star_level_history",
}


def rating_metadata() -> MetaData:
    """The models of rating-service (and the kit), without other services' tables."""
    metadata = MetaData(naming_convention=SQLModel.metadata.naming_convention)
    for name, table in SQLModel.metadata.tables.items():
        if name in RATING_TABLES | KIT_TABLES:
            table.to_metadata(metadata)
    return metadata


def tables_in(diff: Any) -> set[str]:
    if isinstance(diff, list):
        return set().union(*(tables_in(d) for d in diff))
    names: set[str] = set()
    for part in diff[1:]:
        if isinstance(part, Table):
            names.add(part.name)
        elif isinstance(part, str):
            names.add(part)
        else:
            table = getattr(part, "table", None)
            if isinstance(table, Table):
                names.add(table.name)
    return names


async def test_migrations_match_the_models(rating_db_url: str) -> None:
    assert set(SQLModel.metadata.tables) >= RATING_TABLES
    engine = create_async_engine(rating_db_url.replace("postgresql://", "postgresql+asyncpg://"))
    try:
        async with engine.connect() as conn:
            diffs = await conn.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": True}),
                    rating_metadata(),
                )
            )
    finally:
        await engine.dispose()
    assert [d for d in diffs if tables_in(d) & RATING_TABLES] == []
