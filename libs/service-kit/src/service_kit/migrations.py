"""Alembic runner: programmatic upgrade, the env.py body of every service, the kit's own tables."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command, context
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from service_kit.db import async_url


def alembic_config(script_location: Path, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.set_main_option("sqlalchemy.url", async_url(database_url).replace("%", "%%"))
    return config


def upgrade(script_location: Path, database_url: str, revision: str = "head") -> None:
    """Migrate a database to `revision` (blocking; call from a thread inside an event loop)."""
    command.upgrade(alembic_config(script_location, database_url), revision)


async def upgrade_async(script_location: Path, database_url: str, revision: str = "head") -> None:
    await asyncio.to_thread(upgrade, script_location, database_url, revision)


def head_revision(script_location: Path) -> str | None:
    script = ScriptDirectory.from_config(alembic_config(script_location, "postgresql://x/y"))
    return script.get_current_head()


async def current_revision(connection: AsyncConnection) -> str | None:
    def _current(sync_conn: Connection) -> str | None:
        return MigrationContext.configure(sync_conn).get_current_revision()

    return await connection.run_sync(_current)


def run_env(target_metadata: sa.MetaData | None = None) -> None:
    """The body of a service's migrations/env.py (online migrations over asyncpg)."""
    config = context.config
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("sqlalchemy.url is not set for the migration")

    def _run(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            transaction_per_migration=False,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def _main() -> None:
        engine = create_async_engine(url, poolclass=sa.pool.NullPool)
        async with engine.connect() as connection:
            # One migrator at a time per database, whoever starts it.
            await connection.execute(sa.text("SELECT pg_advisory_lock(7263540001)"))
            await connection.commit()
            try:
                await connection.run_sync(_run)
                await connection.commit()
            finally:
                await connection.execute(sa.text("SELECT pg_advisory_unlock(7263540001)"))
                await connection.commit()
        await engine.dispose()

    asyncio.run(_main())


def create_kit_tables(op: Any) -> None:
    """Create the tables every service has (audit, outbox, inbox); call from a first migration."""
    tz = sa.DateTime(timezone=True)
    op.create_table(
        "audit_record",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("occurred_at", tz, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("actor_roles", postgresql.JSONB(), nullable=False),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("entity_type", sa.String(100), nullable=False),
        sa.Column("entity_id", sa.String(100), nullable=False),
        sa.Column("before", postgresql.JSONB()),
        sa.Column("after", postgresql.JSONB()),
        sa.Column("request_id", sa.String(100)),
        sa.PrimaryKeyConstraint("id", name="pk_audit_record"),
    )
    op.create_index(
        "ix_audit_record_entity", "audit_record", ["entity_type", "entity_id", "occurred_at"]
    )
    op.create_table(
        "outbox_event",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("type", sa.String(200), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("occurred_at", tz, nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("data", postgresql.JSONB(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_outbox_event"),
        sa.UniqueConstraint("seq", name="uq_outbox_event_seq"),
    )
    op.create_table(
        "outbox_delivery",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("event_seq", sa.BigInteger(), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("subscriber", sa.String(500), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", tz, nullable=False),
        sa.Column("delivered_at", tz),
        sa.Column("last_error", sa.String(1000)),
        sa.PrimaryKeyConstraint("id", name="pk_outbox_delivery"),
        sa.ForeignKeyConstraint(
            ["event_id"], ["outbox_event.id"], name="fk_outbox_delivery_event_id_outbox_event"
        ),
    )
    op.create_index("ix_outbox_delivery_event_id", "outbox_delivery", ["event_id"])
    op.create_index(
        "ix_outbox_delivery_due",
        "outbox_delivery",
        ["next_attempt_at"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_outbox_delivery_order",
        "outbox_delivery",
        ["subscriber", "subject", "event_seq"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        "inbox_event",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(200), nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("received_at", tz, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_inbox_event"),
    )


def drop_kit_tables(op: Any) -> None:
    for table in ("inbox_event", "outbox_delivery", "outbox_event", "audit_record"):
        op.drop_table(table)
