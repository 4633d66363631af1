"""Many rows in one statement (jsonb_to_recordset): inserts that skip conflicts and return what
they inserted, updates by key, upserts; JSON nulls stay SQL NULL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from service_kit.audit import AuditEntry, record_audits
from service_kit.auth import Principal
from service_kit.db import Database
from service_kit.rows import insert_rows, update_rows, upsert_rows

from .kitapp import KitProbe, sql_rows

PROBES = KitProbe.__table__  # type: ignore[attr-defined]
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def probe(name: str, probe_id: uuid.UUID | None = None) -> dict[str, object]:
    return {"id": probe_id or uuid.uuid4(), "name": name, "created_at": NOW}


async def names(database: Database) -> list[tuple[str, datetime]]:
    rows = await sql_rows(database, "SELECT name, created_at FROM kit_probe ORDER BY name")
    return [(r.name, r.created_at) for r in rows]


class TestRows:
    async def test_insert_skips_conflicts_and_returns_what_it_inserted(
        self, kit_db: Database
    ) -> None:
        taken = uuid.uuid4()
        async with kit_db.sessionmaker() as session, session.begin():
            await insert_rows(session, PROBES, [probe("first", taken)])
            fresh = probe("引号\"和'反斜杠\\")
            inserted = await insert_rows(
                session,
                PROBES,
                [probe("again", taken), fresh],
                skip_conflicts_on=["id"],
                returning="id",
            )
        assert inserted == [fresh["id"]]
        assert await names(kit_db) == [("first", NOW), ("引号\"和'反斜杠\\", NOW)]

    async def test_update_and_upsert_by_key(self, kit_db: Database) -> None:
        a, b = uuid.uuid4(), uuid.uuid4()
        async with kit_db.sessionmaker() as session, session.begin():
            await insert_rows(session, PROBES, [probe("a", a), probe("b", b)])
            await update_rows(session, PROBES, [{"id": a, "name": "a2"}])
            await upsert_rows(session, PROBES, [probe("b2", b), probe("c")], key=["id"])
        assert [n for n, _ in await names(kit_db)] == ["a2", "b2", "c"]

    async def test_json_null_is_stored_as_sql_null(self, kit_db: Database) -> None:
        principal = Principal(subject="bulk", roles=frozenset({"service"}), scopes=frozenset())
        async with kit_db.sessionmaker() as session, session.begin():
            await record_audits(
                session,
                principal=principal,
                entries=[AuditEntry("probe.create", "probe", uuid.uuid4(), after={"n": [1]})],
            )
        [row] = await sql_rows(kit_db, "SELECT before IS NULL AS none, after FROM audit_record")
        assert row.none
        assert row.after == {"n": [1]}
