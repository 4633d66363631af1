"""Audit records: who, when, what, before and after, written in the transaction of the change."""

from __future__ import annotations

import uuid
from datetime import datetime

import httpx

from service_kit.db import Database

from .kitapp import sql_rows, sql_value

AUDIT_QUERY = (
    "SELECT actor, actor_roles, action, entity_type, entity_id, before, after, request_id, "
    "occurred_at FROM audit_record ORDER BY occurred_at, action"
)


class TestRecordAudit:
    async def test_create_records_who_what_and_after(
        self, probe: httpx.AsyncClient, writer: dict[str, str], kit_db: Database
    ) -> None:
        response = await probe.post(
            "/probes",
            json={"name": "audited", "audit": True},
            headers={**writer, "X-Request-ID": "req-audit-1"},
        )
        assert response.status_code == 201
        created = response.json()
        [record] = await sql_rows(kit_db, AUDIT_QUERY)
        assert record.actor == "secretary.kit"
        assert record.actor_roles == ["org_admin", "secretary"]
        assert record.action == "probe.create"
        assert (record.entity_type, record.entity_id) == ("probe", created["id"])
        assert record.before is None
        assert record.after == {
            "id": created["id"],
            "name": "audited",
            "created_at": record.after["created_at"],
        }
        assert datetime.fromisoformat(record.after["created_at"]) == datetime.fromisoformat(
            created["created_at"]
        )
        assert record.request_id == "req-audit-1"
        assert record.occurred_at.tzinfo is not None

    async def test_update_records_before_and_after(
        self, probe: httpx.AsyncClient, writer: dict[str, str], kit_db: Database
    ) -> None:
        created = (await probe.post("/probes", json={"name": "old"}, headers=writer)).json()
        response = await probe.patch(
            f"/probes/{created['id']}", json={"name": "new"}, headers=writer
        )
        assert response.status_code == 200
        [record] = await sql_rows(kit_db, AUDIT_QUERY)
        assert record.action == "probe.rename"
        assert record.before["name"] == "old"
        assert record.after["name"] == "new"
        assert record.before["id"] == record.after["id"] == created["id"]

    async def test_audit_record_rolls_back_with_a_failed_create(
        self, probe: httpx.AsyncClient, writer: dict[str, str], kit_db: Database
    ) -> None:
        response = await probe.post(
            "/probes", json={"name": "refused", "audit": True, "fail": True}, headers=writer
        )
        assert response.status_code == 409
        assert await sql_value(kit_db, "SELECT count(*) FROM audit_record") == 0
        assert await sql_value(kit_db, "SELECT count(*) FROM kit_probe") == 0

    async def test_audit_record_rolls_back_with_a_failed_update(
        self, probe: httpx.AsyncClient, writer: dict[str, str], kit_db: Database
    ) -> None:
        created = (await probe.post("/probes", json={"name": "kept"}, headers=writer)).json()
        response = await probe.patch(
            f"/probes/{created['id']}", json={"name": "lost", "fail": True}, headers=writer
        )
        assert response.status_code == 409
        assert await sql_value(kit_db, "SELECT count(*) FROM audit_record") == 0
        assert await sql_value(kit_db, "SELECT name FROM kit_probe") == "kept"

    async def test_generated_request_id_is_recorded_when_the_caller_sends_none(
        self, probe: httpx.AsyncClient, writer: dict[str, str], kit_db: Database
    ) -> None:
        response = await probe.post(
            "/probes", json={"name": "no-id", "audit": True}, headers=writer
        )
        [record] = await sql_rows(kit_db, AUDIT_QUERY)
        assert record.request_id == response.headers["x-request-id"]

    async def test_oversized_caller_request_id_does_not_break_the_write(
        self, probe: httpx.AsyncClient, writer: dict[str, str], kit_db: Database
    ) -> None:
        response = await probe.post(
            "/probes",
            json={"name": "long-id", "audit": True},
            headers={**writer, "X-Request-ID": "x" * 500},
        )
        assert response.status_code == 201, response.text
        [record] = await sql_rows(kit_db, AUDIT_QUERY)
        assert record.request_id == response.headers["x-request-id"]
        assert len(record.request_id) <= 100

    async def test_records_of_separate_writes_are_separate(
        self, probe: httpx.AsyncClient, writer: dict[str, str], kit_db: Database
    ) -> None:
        ids = set()
        for name in ("one", "two"):
            body = {"name": name, "audit": True, "id": str(uuid.uuid4())}
            response = await probe.post("/probes", json=body, headers=writer)
            ids.add(response.json()["id"])
        records = await sql_rows(kit_db, AUDIT_QUERY)
        assert {r.entity_id for r in records} == ids
