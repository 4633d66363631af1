"""Bulk writes: JSON arrays and NDJSON, an outcome per record, refusals of whole bodies, the log
of batches, bulk audit records and idempotency keys."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from service_kit.db import Database
from service_kit.testing import TestIssuer, app_client

from .bulkapp import MAX_PROBES, bulk_app
from .kitapp import kit_settings, sql_exec, sql_rows, sql_value


@pytest.fixture
async def bulk(kit_db: Database, test_issuer: TestIssuer) -> AsyncIterator[httpx.AsyncClient]:
    app = bulk_app(kit_settings(test_issuer, kit_db.url), kit_db)
    async with app_client(app) as client:
        yield client


def post(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    records: Any,
    *,
    key: str | None = "key-1",
    ndjson: bool = False,
    content: bytes | None = None,
) -> Any:
    extra = {"Idempotency-Key": key} if key is not None else {}
    if content is None:
        if ndjson:
            content = "\n".join(json.dumps(r) for r in records).encode() + b"\n"
        else:
            content = json.dumps(records).encode()
    media = "application/x-ndjson" if ndjson else "application/json"
    return client.post(
        "/probes/bulk", content=content, headers={**headers, **extra, "Content-Type": media}
    )


def probe(name: str) -> dict[str, str]:
    return {"id": str(uuid.uuid4()), "name": name}


class TestRecordsAndOutcomes:
    async def test_each_record_gets_its_outcome_and_good_ones_are_stored(
        self, bulk: httpx.AsyncClient, writer: dict[str, str], kit_db: Database
    ) -> None:
        records = [probe("a"), {"id": str(uuid.uuid4())}, 7, probe("forbidden"), probe("b")]
        response = await post(bulk, writer, records)
        assert response.status_code == 200, response.text
        body = response.json()
        assert [r["outcome"] for r in body["records"]] == [
            "created",
            "rejected",
            "rejected",
            "rejected",
            "created",
        ]
        assert body["records"][1]["error"] == {
            "code": "missing_field",
            "field": "name",
            "message": "name: Field required.",
        }
        assert body["records"][2]["error"]["code"] == "not_an_object"
        assert body["records"][3]["error"]["field"] == "name"
        assert (body["created"], body["rejected"], body["received"]) == (2, 3, 5)
        names = {r.name for r in await sql_rows(kit_db, "SELECT name FROM kit_probe")}
        assert names == {"a", "b"}

    async def test_a_nul_character_rejects_its_record_only(
        self, bulk: httpx.AsyncClient, writer: dict[str, str]
    ) -> None:
        response = await post(bulk, writer, [probe("a\u0000b"), probe("c")])
        assert [r["outcome"] for r in response.json()["records"]] == ["rejected", "created"]
        assert response.json()["records"][0]["error"]["field"] == "name"

    async def test_updated_and_unchanged_are_told_apart(
        self, bulk: httpx.AsyncClient, writer: dict[str, str]
    ) -> None:
        first, second = probe("a"), probe("b")
        await post(bulk, writer, [first, second], key="k1")
        response = await post(bulk, writer, [first, {**second, "name": "c"}], key="k2")
        assert [r["outcome"] for r in response.json()["records"]] == ["unchanged", "updated"]

    async def test_ndjson_is_read_line_by_line(
        self, bulk: httpx.AsyncClient, writer: dict[str, str]
    ) -> None:
        response = await post(bulk, writer, [probe("a"), probe("b")], ndjson=True)
        assert response.status_code == 200, response.text
        assert response.json()["created"] == 2

    async def test_bulk_audit_records_one_row_per_change(
        self, bulk: httpx.AsyncClient, writer: dict[str, str], kit_db: Database
    ) -> None:
        await post(bulk, writer, [probe("a"), probe("b")], key="k1")
        rows = await sql_rows(kit_db, "SELECT actor, action, entity_type FROM audit_record")
        assert sorted(tuple(r) for r in rows) == [("secretary.kit", "probe.created", "probe")] * 2


class TestWholeBodyRefusals:
    @pytest.mark.parametrize(
        ("content", "ndjson", "code"),
        [
            (b'[{"name": "a"', False, "malformed_json"),
            (b"not json", False, "malformed_json"),
            (b'{"name": "a"}', False, "not_an_array"),
            (b'{"id": "x", "name": "a"}\n{"id": "y", "na', True, "malformed_json"),
            (b"\xff\xfe", False, "malformed_json"),
        ],
    )
    async def test_body_that_cannot_be_read_stores_nothing(
        self,
        bulk: httpx.AsyncClient,
        writer: dict[str, str],
        kit_db: Database,
        content: bytes,
        ndjson: bool,
        code: str,
    ) -> None:
        response = await post(bulk, writer, None, content=content, ndjson=ndjson)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == code
        assert await sql_value(kit_db, "SELECT count(*) FROM kit_probe") == 0
        assert await sql_value(kit_db, "SELECT count(*) FROM bulk_batch") == 0

    async def test_batch_over_the_limit_is_413(
        self, bulk: httpx.AsyncClient, writer: dict[str, str]
    ) -> None:
        response = await post(bulk, writer, [probe(str(i)) for i in range(MAX_PROBES + 1)])
        assert response.status_code == 413
        error = response.json()["error"]
        assert error["code"] == "batch_too_large"
        assert error["details"] == {"count": MAX_PROBES + 1, "max": MAX_PROBES}

    async def test_other_media_types_are_415(
        self, bulk: httpx.AsyncClient, writer: dict[str, str]
    ) -> None:
        response = await bulk.post(
            "/probes/bulk",
            content=b"name=a",
            headers={**writer, "Idempotency-Key": "k", "Content-Type": "text/plain"},
        )
        assert response.status_code == 415
        assert response.json()["error"]["code"] == "unsupported_media_type"

    async def test_empty_batch_is_422(
        self, bulk: httpx.AsyncClient, writer: dict[str, str]
    ) -> None:
        response = await post(bulk, writer, [])
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "empty_batch"


class TestBatchLog:
    async def test_batch_is_logged_with_counts_and_errors(
        self, bulk: httpx.AsyncClient, writer: dict[str, str], kit_db: Database
    ) -> None:
        response = await post(bulk, writer, [probe("a"), {"id": "nope", "name": "b"}], key="k9")
        [row] = await sql_rows(kit_db, "SELECT * FROM bulk_batch")
        assert str(row.id) == response.json()["batch_id"]
        assert (row.subject, row.kind, row.idempotency_key) == ("secretary.kit", "probes", "k9")
        assert (row.received, row.created, row.rejected) == (2, 1, 1)
        assert row.errors == [
            {
                "index": 1,
                "key": None,
                "code": "invalid_value",
                "field": "id",
                "message": row.errors[0]["message"],
            }
        ]


class TestIdempotencyKeys:
    async def test_key_is_required(self, bulk: httpx.AsyncClient, writer: dict[str, str]) -> None:
        response = await post(bulk, writer, [probe("a")], key=None)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "idempotency_key_required"

    async def test_retry_with_the_same_key_replays_the_first_answer_and_writes_nothing(
        self, bulk: httpx.AsyncClient, writer: dict[str, str], kit_db: Database
    ) -> None:
        records = [probe("a"), probe("b")]
        first = await post(bulk, writer, records, key="retry-1")
        again = await post(bulk, writer, records, key="retry-1")
        assert again.status_code == 200
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json() == first.json()
        assert await sql_value(kit_db, "SELECT count(*) FROM kit_probe") == 2
        assert await sql_value(kit_db, "SELECT count(*) FROM bulk_batch") == 1
        assert await sql_value(kit_db, "SELECT count(*) FROM audit_record") == 2

    async def test_same_key_with_another_body_is_a_conflict(
        self, bulk: httpx.AsyncClient, writer: dict[str, str]
    ) -> None:
        await post(bulk, writer, [probe("a")], key="k")
        response = await post(bulk, writer, [probe("b")], key="k")
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "idempotency_key_reused"

    async def test_keys_belong_to_their_caller(
        self, bulk: httpx.AsyncClient, writer: dict[str, str], test_issuer: TestIssuer
    ) -> None:
        other = test_issuer.headers(subject="other", scopes=["kit:write"])
        await post(bulk, writer, [probe("a")], key="shared")
        response = await post(bulk, other, [probe("b")], key="shared")
        assert response.status_code == 200
        assert "Idempotent-Replayed" not in response.headers

    async def test_refused_request_leaves_no_key_behind(
        self, bulk: httpx.AsyncClient, writer: dict[str, str], kit_db: Database
    ) -> None:
        response = await post(bulk, writer, None, content=b"[", key="k")
        assert response.status_code == 400
        assert await sql_value(kit_db, "SELECT count(*) FROM idempotent_request") == 0
        retry = await post(bulk, writer, [probe("a")], key="k")
        assert retry.status_code == 200
        assert retry.json()["created"] == 1

    async def test_expired_key_is_claimed_afresh(
        self, bulk: httpx.AsyncClient, writer: dict[str, str], kit_db: Database
    ) -> None:
        await post(bulk, writer, [probe("a")], key="old")
        await sql_exec(kit_db, "UPDATE idempotent_request SET expires_at = now() - interval '1 s'")
        response = await post(bulk, writer, [probe("b")], key="old")
        assert response.status_code == 200
        assert "Idempotent-Replayed" not in response.headers
        assert await sql_value(kit_db, "SELECT count(*) FROM kit_probe") == 2

    async def test_concurrent_requests_with_one_key_write_once(
        self, kit_db: Database, test_issuer: TestIssuer, writer: dict[str, str]
    ) -> None:
        app = bulk_app(kit_settings(test_issuer, kit_db.url), kit_db)
        records = [probe("a"), probe("b")]
        async with app_client(app) as client:
            answers = await asyncio.gather(
                *(post(client, writer, records, key="race") for _ in range(4))
            )
        assert {a.status_code for a in answers} == {200}
        assert sum("Idempotent-Replayed" in a.headers for a in answers) == 3
        assert await sql_value(kit_db, "SELECT count(*) FROM kit_probe") == 2
        assert await sql_value(kit_db, "SELECT count(*) FROM bulk_batch") == 1
