"""The command line every service has: `migrate` brings its database to head."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import pytest
from pydantic_settings import SettingsConfigDict

from service_kit.pgcluster import drop_database, ensure_database
from service_kit.serve import main
from service_kit.settings import KitSettings

from .kitapp import MIGRATIONS_DIR


class ServeSettings(KitSettings):
    model_config = SettingsConfigDict(env_prefix="KITSERVE_")

    service_name: str = "kit-serve"


def no_app(settings: Any) -> None:
    raise AssertionError("migrate must not build the app")


class TestMigrateCommand:
    async def test_migrate_brings_a_fresh_database_to_head(
        self, pg_server_url: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        name = "kit_serve_" + uuid.uuid4().hex[:8]
        url = await ensure_database(pg_server_url, name)
        monkeypatch.setenv("KITSERVE_DATABASE_URL", url)
        try:
            # Alembic runs its own event loop: keep it off the test's.
            await asyncio.to_thread(main, no_app, ServeSettings, MIGRATIONS_DIR, ["migrate"])
            await asyncio.to_thread(main, no_app, ServeSettings, MIGRATIONS_DIR, ["migrate"])
            connection = await asyncpg.connect(url)
            try:
                version = await connection.fetchval("SELECT version_num FROM alembic_version")
                tables = await connection.fetch(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                )
            finally:
                await connection.close()
        finally:
            await drop_database(pg_server_url, name)
        assert version == "kit_0002"
        assert {t["tablename"] for t in tables} >= {
            "audit_record",
            "outbox_event",
            "outbox_delivery",
            "inbox_event",
            "kit_probe",
        }

    def test_migrate_without_a_database_url_stops_with_a_message(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("KITSERVE_DATABASE_URL", raising=False)
        with pytest.raises(SystemExit, match="database_url is not set"):
            main(no_app, ServeSettings, MIGRATIONS_DIR, ["migrate"])

    def test_unknown_command_is_refused(self) -> None:
        with pytest.raises(SystemExit):
            main(no_app, ServeSettings, MIGRATIONS_DIR, ["dance"])
