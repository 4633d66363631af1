"""One session and one transaction per request: committed when the endpoint returns, else none."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateTable

from service_kit.db import NAMING_CONVENTION, Database, async_url, lock_keys

from .kitapp import KitProbe, sql_rows, sql_value


async def probe_names(database: Database) -> list[str]:
    return [r.name for r in await sql_rows(database, "SELECT name FROM kit_probe ORDER BY name")]


class TestOneTransactionPerRequest:
    async def test_row_added_by_a_successful_request_is_committed(
        self, probe: httpx.AsyncClient, writer: dict[str, str], kit_db: Database
    ) -> None:
        response = await probe.post("/probes", json={"name": "committed"}, headers=writer)
        assert response.status_code == 201
        probe_id = response.json()["id"]
        rows = await sql_rows(kit_db, "SELECT id, name FROM kit_probe")
        assert [(str(r.id), r.name) for r in rows] == [(probe_id, "committed")]

    async def test_row_added_before_an_app_error_is_not_stored(
        self, probe: httpx.AsyncClient, writer: dict[str, str], kit_db: Database
    ) -> None:
        response = await probe.post(
            "/probes", json={"name": "refused", "fail": True}, headers=writer
        )
        assert response.status_code == 409
        assert await probe_names(kit_db) == []

    async def test_row_added_before_an_unexpected_error_is_not_stored(
        self, probe: httpx.AsyncClient, writer: dict[str, str], kit_db: Database
    ) -> None:
        response = await probe.post(
            "/probes", json={"name": "crashed", "crash": True}, headers=writer
        )
        assert response.status_code == 500
        assert await probe_names(kit_db) == []

    async def test_failing_commit_answers_an_error_never_a_2xx(
        self, probe: httpx.AsyncClient, writer: dict[str, str], kit_db: Database
    ) -> None:
        # The duplicate key only surfaces at commit (nothing flushes earlier), so the answer
        # shows whether the commit ran before the response was sent.
        probe_id = str(uuid.uuid4())
        first = await probe.post("/probes", json={"id": probe_id, "name": "a"}, headers=writer)
        assert first.status_code == 201
        second = await probe.post("/probes", json={"id": probe_id, "name": "b"}, headers=writer)
        assert second.status_code == 409
        assert second.json()["error"]["code"] == "conflict"
        assert await probe_names(kit_db) == ["a"]

    async def test_value_the_database_refuses_is_the_callers_error(
        self, probe: httpx.AsyncClient, writer: dict[str, str], kit_db: Database
    ) -> None:
        # PostgreSQL text cannot hold NUL; the input is refused as invalid, not a 500.
        response = await probe.post("/probes", json={"name": "a\u0000b"}, headers=writer)
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "invalid_value"
        assert await probe_names(kit_db) == []

    async def test_requests_do_not_share_a_transaction(
        self, probe: httpx.AsyncClient, writer: dict[str, str], kit_db: Database
    ) -> None:
        ok = await probe.post("/probes", json={"name": "kept"}, headers=writer)
        failed = await probe.post("/probes", json={"name": "gone", "fail": True}, headers=writer)
        again = await probe.post("/probes", json={"name": "kept too"}, headers=writer)
        assert (ok.status_code, failed.status_code, again.status_code) == (201, 409, 201)
        assert await probe_names(kit_db) == ["kept", "kept too"]


class TestDatabase:
    def test_plain_postgresql_urls_use_asyncpg(self) -> None:
        assert async_url("postgresql://u@h:5/db") == "postgresql+asyncpg://u@h:5/db"
        assert async_url("postgres://u@h:5/db") == "postgresql+asyncpg://u@h:5/db"
        assert async_url("postgresql+asyncpg://u@h/db") == "postgresql+asyncpg://u@h/db"

    async def test_database_connects_with_a_plain_url(self, kit_db_url: str) -> None:
        database = Database(kit_db_url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            assert await sql_value(database, "SELECT current_database()") == "kit_test"
        finally:
            await database.dispose()

    def test_tables_follow_the_naming_convention(self) -> None:
        table = KitProbe.__table__  # type: ignore[attr-defined]
        assert table.metadata.naming_convention == NAMING_CONVENTION
        ddl = str(CreateTable(table).compile(dialect=postgresql.dialect()))
        assert "CONSTRAINT pk_kit_probe PRIMARY KEY (id)" in ddl


class TestLockKeys:
    async def test_locked_keys_make_another_transaction_wait_until_commit(
        self, kit_db: Database
    ) -> None:
        order: list[str] = []

        async def second() -> None:
            async with kit_db.sessionmaker() as session, session.begin():
                await lock_keys(session, 4242, ["b"])
                order.append("second locked b")

        async with kit_db.sessionmaker() as first, first.begin():
            await lock_keys(first, 4242, ["c", "b", "a", "b"])
            waiting = asyncio.create_task(second())
            for _ in range(200):  # until the second transaction waits for the lock
                if await sql_value(kit_db, "SELECT count(*) FROM pg_locks WHERE NOT granted"):
                    break
                await asyncio.sleep(0.01)
            assert (
                await sql_value(
                    kit_db, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                )
                == 3
            )
            order.append("first commits")
        await waiting
        assert order == ["first commits", "second locked b"]

    async def test_no_keys_lock_nothing(self, kit_db: Database) -> None:
        async with kit_db.sessionmaker() as session, session.begin():
            await lock_keys(session, 4242, [])
            assert (
                await sql_value(kit_db, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
                == 0
            )
