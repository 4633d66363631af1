"""The sync API of park, business-district and building systems: per-record outcomes, the
client's places, idempotent batches, the sync log, places with floors and tenancies."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from org_service.main import create_app
from service_kit.testing import TestIssuer, app_client, serve_app, truncate_all

from .conftest import org_settings
from .sync_helpers import SyncCity, clear_sync_writes, errors, outcomes, push, target_record
from .work_helpers import count, credit_code, db_rows

WT = "/sync/work-targets"
PL = "/sync/places"


@pytest.fixture(scope="module")
async def built_city(org_db_url: str, test_issuer: TestIssuer) -> AsyncIterator[SyncCity]:
    """The city, built once for the module (the tests write only what `city` clears)."""
    await truncate_all(org_db_url)
    app = create_app(org_settings(org_db_url, test_issuer), configure_logs=False)
    admin = test_issuer.headers(
        subject="admin.city", roles=["city_admin"], scopes=["org:read", "org:write", "org:admin"]
    )
    async with app_client(app) as client:
        yield await SyncCity(client, admin, test_issuer, org_db_url).setup()
    await truncate_all(org_db_url)


@pytest.fixture
async def city(built_city: SyncCity) -> AsyncIterator[SyncCity]:
    yield built_city
    await clear_sync_writes(built_city)


@pytest.fixture
def park(city: SyncCity) -> dict[str, str]:
    """The system of 高新文化创意园."""
    return city.client_headers("park-system", "高新文化创意园")


@pytest.fixture
def district(city: SyncCity) -> dict[str, str]:
    """The system of 红旗商圈 (and so of 中天大厦 inside it)."""
    return city.client_headers("district-system", "红旗商圈")


@pytest.fixture
def building(city: SyncCity) -> dict[str, str]:
    """The system of 中天大厦 alone."""
    return city.client_headers("building-system", "中天大厦")


async def read_back(city: SyncCity, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    response = await city.client.get(WT, params=params, headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


class TestWorkTargetOutcomes:
    async def test_rule_each_record_is_answered_created_updated_unchanged_or_rejected(
        self, city: SyncCity, park: dict[str, str]
    ) -> None:
        place = city["高新文化创意园"]
        first = [target_record(n, place) for n in (1, 2, 3)]
        assert outcomes(await push(city.client, WT, park, first)) == ["created"] * 3
        second = [first[0], {**first[1], "employee_count": 40}, {**first[2], "credit_code": "X"}]
        response = await push(city.client, WT, park, second)
        assert outcomes(response) == ["unchanged", "updated", "rejected"]
        body = response.json()
        assert (body["created"], body["updated"], body["unchanged"], body["rejected"]) == (
            0,
            1,
            1,
            1,
        )
        assert [r["key"] for r in body["records"]][:2] == [credit_code(1), credit_code(2)]

    async def test_rule_good_records_are_stored_when_others_in_the_batch_are_rejected(
        self, city: SyncCity, park: dict[str, str]
    ) -> None:
        place = city["高新文化创意园"]
        records = [
            target_record(1, place),
            {**target_record(2, place), "credit_code": credit_code(2)[:17] + "0"},
            target_record(3, place),
        ]
        response = await push(city.client, WT, park, records)
        assert outcomes(response) == ["created", "rejected", "created"]
        stored = await db_rows(city.db, "SELECT credit_code FROM work_target")
        assert sorted(r.credit_code for r in stored) == [credit_code(1), credit_code(3)]

    async def test_rule_a_wrong_credit_code_is_rejected_naming_the_field(
        self, city: SyncCity, park: dict[str, str]
    ) -> None:
        bad = credit_code(7)[:17] + ("0" if credit_code(7)[17] != "0" else "1")
        response = await push(
            city.client, WT, park, [target_record(7, city["高新文化创意园"], credit_code=bad)]
        )
        [record] = response.json()["records"]
        assert record["error"]["code"] == "invalid_credit_code"
        assert record["error"]["field"] == "credit_code"
        assert "check character" in record["error"]["message"]
        assert record["key"] == bad

    async def test_rule_a_missing_required_field_is_rejected_naming_the_field(
        self, city: SyncCity, park: dict[str, str]
    ) -> None:
        place = city["高新文化创意园"]
        no_name = target_record(1, place)
        del no_name["name"]
        no_place = target_record(2)
        response = await push(city.client, WT, park, [no_name, no_place, "not a record"])
        assert errors(response) == [
            ("missing_field", "name"),
            ("missing_field", "place_id"),
            ("not_an_object", None),
        ]

    async def test_rule_unknown_fields_are_rejected_not_ignored(
        self, city: SyncCity, park: dict[str, str]
    ) -> None:
        record = {**target_record(1, city["高新文化创意园"]), "credit_cod": "x"}
        assert errors(await push(city.client, WT, park, [record])) == [
            ("unknown_field", "credit_cod")
        ]

    async def test_rule_a_credit_code_twice_in_one_batch_is_stored_once(
        self, city: SyncCity, park: dict[str, str]
    ) -> None:
        place = city["高新文化创意园"]
        response = await push(
            city.client, WT, park, [target_record(1, place), target_record(1, place, name="又一")]
        )
        assert outcomes(response) == ["created", "rejected"]
        assert errors(response) == [("duplicate_in_batch", "credit_code")]

    async def test_rule_registration_cannot_lie_in_the_future(
        self, city: SyncCity, park: dict[str, str]
    ) -> None:
        record = target_record(1, city["高新文化创意园"], registered_on="2999-01-01")
        assert errors(await push(city.client, WT, park, [record])) == [
            ("registered_in_future", "registered_on")
        ]

    async def test_rule_a_field_left_out_keeps_what_is_stored(
        self, city: SyncCity, park: dict[str, str]
    ) -> None:
        place = city["高新文化创意园"]
        await push(
            city.client, WT, park, [target_record(1, place, employee_count=12, pays_tax=True)]
        )
        response = await push(city.client, WT, park, [target_record(1, place, name="改名")])
        assert outcomes(response) == ["updated"]
        [item] = await read_back(city, park)
        assert (item["name"], item["employee_count"], item["pays_tax"]) == ("改名", 12, True)

    async def test_rule_each_change_is_audited(self, city: SyncCity, park: dict[str, str]) -> None:
        place = city["高新文化创意园"]
        await push(city.client, WT, park, [target_record(1, place)])
        await push(city.client, WT, park, [target_record(1, place, employee_count=5)])
        await push(city.client, WT, park, [target_record(1, place, employee_count=5)])
        rows = await db_rows(
            city.db,
            "SELECT actor, action, before, after FROM audit_record "
            "WHERE entity_type = 'work_target' ORDER BY occurred_at",
        )
        assert [(r.actor, r.action) for r in rows] == [
            ("park-system", "work_target.sync_create"),
            ("park-system", "work_target.sync_update"),
        ]
        assert rows[1].before == {"employee_count": None}
        assert rows[1].after == {"employee_count": 5}


class TestTheClientsPlaces:
    async def test_rule_a_record_outside_the_clients_places_is_rejected(
        self, city: SyncCity, park: dict[str, str]
    ) -> None:
        records = [target_record(1, city["北湖科技园"]), target_record(2, city["中天大厦"])]
        response = await push(city.client, WT, park, records)
        assert errors(response) == [("outside_your_places", "place_id")] * 2
        assert await count(city.db, "work_target") == 0

    async def test_rule_a_building_inside_the_clients_business_district_is_the_clients(
        self, city: SyncCity, district: dict[str, str]
    ) -> None:
        records = [target_record(1, city["中天大厦"]), target_record(2, city["红旗商圈"])]
        assert outcomes(await push(city.client, WT, district, records)) == ["created"] * 2

    async def test_rule_a_unit_registered_outside_the_clients_places_is_not_taken_over(
        self, city: SyncCity, park: dict[str, str], city_admin: dict[str, str]
    ) -> None:
        registered = await city.client.post(
            "/work-targets",
            json={
                "credit_code": credit_code(1),
                "name": "北湖网络",
                "kind": "enterprise",
                "industry": "internet",
                "region_id": str(city["南关区"]),
                "place_id": str(city["北湖科技园"]),
                "registered_on": "2016-01-01",
            },
            headers=city_admin,
        )
        assert registered.status_code == 201
        response = await push(city.client, WT, park, [target_record(1, city["高新文化创意园"])])
        assert errors(response) == [("registered_elsewhere", "credit_code")]
        [row] = await db_rows(city.db, "SELECT name, place_id FROM work_target")
        assert (row.name, row.place_id) == ("北湖网络", city["北湖科技园"])

    async def test_rule_a_client_reads_back_only_its_own_places_and_its_own_ids(
        self,
        city: SyncCity,
        district: dict[str, str],
        building: dict[str, str],
        park: dict[str, str],
    ) -> None:
        await push(
            city.client,
            WT,
            district,
            [
                target_record(1, city["中天大厦"], external_id="D-1"),
                target_record(2, city["红旗商圈"], external_id="D-2"),
            ],
        )
        response = await push(
            city.client, WT, building, [target_record(1, city["中天大厦"], external_id="B-77")]
        )
        assert outcomes(response) == ["updated"]
        as_district = await read_back(city, district)
        assert [(t["credit_code"], t["external_id"]) for t in as_district] == [
            (credit_code(1), "D-1"),
            (credit_code(2), "D-2"),
        ]
        as_building = await read_back(city, building)
        assert [(t["credit_code"], t["external_id"]) for t in as_building] == [
            (credit_code(1), "B-77")
        ]
        assert await read_back(city, park) == []
        found = await read_back(city, building, external_id="B-77")
        assert [t["credit_code"] for t in found] == [credit_code(1)]
        assert await read_back(city, building, external_id="D-1") == []
        [refs] = await db_rows(
            city.db,
            "SELECT external_refs FROM work_target WHERE credit_code = :c",
            c=credit_code(1),
        )
        assert refs.external_refs == {"district-system": "D-1", "building-system": "B-77"}

    async def test_rule_reading_back_by_credit_codes_leaves_out_other_places(
        self, city: SyncCity, park: dict[str, str], district: dict[str, str]
    ) -> None:
        await push(city.client, WT, park, [target_record(1, city["高新文化创意园"])])
        await push(city.client, WT, district, [target_record(2, city["红旗商圈"])])
        codes = f"{credit_code(1)},{credit_code(2)}"
        found = await read_back(city, park, credit_codes=codes)
        assert [t["credit_code"] for t in found] == [credit_code(1)]

    async def test_rule_the_responsible_organization_covers_the_unit_else_its_district(
        self,
        city: SyncCity,
        district: dict[str, str],
        city_admin: dict[str, str],
    ) -> None:
        await push(
            city.client,
            WT,
            district,
            [target_record(1, city["中天大厦"]), target_record(2, city["红旗商圈"])],
        )
        [covered, _] = await read_back(city, district)
        link = await city.client.post(
            f"/work-targets/{covered['id']}/coverage",
            json={
                "organization_id": str(city["中天大厦联合支部"]),
                "mode": "joint",
                "valid_from": "2020-01-01",
            },
            headers=city_admin,
        )
        assert link.status_code == 201, link.text
        responsible = {
            t["credit_code"]: t["responsible_organization_id"]
            for t in await read_back(city, district)
        }
        assert responsible == {
            credit_code(1): str(city["中天大厦联合支部"]),
            credit_code(2): str(city["南关区党工委"]),
        }

    async def test_rule_region_defaults_to_the_places_and_must_lie_on_its_line(
        self, city: SyncCity, district: dict[str, str]
    ) -> None:
        records = [
            target_record(1, city["中天大厦"]),
            target_record(2, city["中天大厦"], region_id=str(city["南关区"])),
            target_record(3, city["中天大厦"], region_id=str(city["二道区"])),
        ]
        response = await push(city.client, WT, district, records)
        assert outcomes(response) == ["created", "created", "rejected"]
        assert errors(response) == [("place_outside_region", "region_id")]
        regions = {t["credit_code"]: t["region_id"] for t in await read_back(city, district)}
        assert regions == {
            credit_code(1): str(city["南岭街道"]),
            credit_code(2): str(city["南关区"]),
        }


class TestScopes:
    async def test_rule_pushing_needs_the_sync_write_scope(
        self, city: SyncCity, city_admin: dict[str, str]
    ) -> None:
        reader = city.client_headers("reader", "高新文化创意园", scopes=["sync:read"])
        for headers in (reader, city_admin):
            response = await push(
                city.client, WT, headers, [target_record(1, city["高新文化创意园"])]
            )
            assert response.status_code == 403
            assert response.json()["error"]["code"] == "insufficient_scope"

    async def test_rule_a_client_registered_for_no_place_is_refused(self, city: SyncCity) -> None:
        nowhere = city.issuer.headers(
            subject="nowhere",
            roles=["sync_client"],
            scopes=["sync:write"],
            places=["高新文化创意园"],
        )
        response = await push(city.client, WT, nowhere, [target_record(1, city["高新文化创意园"])])
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "no_places_granted"

    async def test_rule_reading_back_needs_the_sync_read_scope(self, city: SyncCity) -> None:
        writer = city.client_headers("writer", "高新文化创意园", scopes=["sync:write"])
        for path in (WT, PL, "/sync/batches"):
            response = await city.client.get(path, headers=writer)
            assert response.status_code == 403, path


class TestWholeRequests:
    async def test_rule_a_batch_over_ten_thousand_records_is_refused_whole(
        self, city: SyncCity, park: dict[str, str]
    ) -> None:
        response = await push(city.client, WT, park, [{}] * 10_001)
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "batch_too_large"

    async def test_rule_a_body_that_is_not_json_is_refused_and_nothing_is_stored(
        self, city: SyncCity, park: dict[str, str]
    ) -> None:
        place = str(city["高新文化创意园"])
        good = json.dumps(target_record(1, city["高新文化创意园"]))
        for content, media in (
            (b"credit_code=1", "application/json"),
            (good.encode() + b"\n" + good[:40].encode(), "application/x-ndjson"),
            (f'[{good}, {{"place_id": "{place}"'.encode(), "application/json"),
        ):
            response = await city.client.post(
                WT, content=content, headers={**park, "Idempotency-Key": "k", "Content-Type": media}
            )
            assert response.status_code == 400
            assert response.json()["error"]["code"] == "malformed_json"
        assert await count(city.db, "work_target") == 0
        assert await count(city.db, "bulk_batch") == 0

    async def test_rule_ndjson_is_accepted_one_record_a_line(
        self, city: SyncCity, park: dict[str, str]
    ) -> None:
        place = city["高新文化创意园"]
        records = [target_record(n, place) for n in range(1, 4)]
        assert outcomes(await push(city.client, WT, park, records, ndjson=True)) == ["created"] * 3

    async def test_rule_without_an_idempotency_key_nothing_is_written(
        self, city: SyncCity, park: dict[str, str]
    ) -> None:
        response = await city.client.post(
            WT,
            content=json.dumps([target_record(1, city["高新文化创意园"])]).encode(),
            headers={**park, "Content-Type": "application/json"},
        )
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "idempotency_key_required"

    async def test_rule_a_key_reused_for_another_batch_is_refused(
        self, city: SyncCity, park: dict[str, str]
    ) -> None:
        place = city["高新文化创意园"]
        await push(city.client, WT, park, [target_record(1, place)], key="batch-7")
        response = await push(city.client, WT, park, [target_record(2, place)], key="batch-7")
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "idempotency_key_reused"
        assert await count(city.db, "work_target") == 1


@pytest.fixture
async def served(org_db_url: str, test_issuer: TestIssuer, city: SyncCity) -> AsyncIterator[str]:
    """The same org-service over real HTTP (the city is already in its database)."""
    app = create_app(org_settings(org_db_url, test_issuer), configure_logs=False)
    async with serve_app(app) as url:
        yield url


async def send_and_hang_up(base_url: str, headers: dict[str, str], body: bytes, db: str) -> None:
    """Send a whole request and let the server store it, then close the connection without
    reading the answer: the response is lost on the way back."""
    host, port = base_url.removeprefix("http://").split(":")
    _, writer = await asyncio.open_connection(host, int(port))
    head = [f"POST {WT} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
    await writer.drain()
    for _ in range(400):
        if await count(db, "bulk_batch") == 1:
            break
        await asyncio.sleep(0.05)
    writer.close()
    await writer.wait_closed()


class TestRetries:
    async def test_rule_a_retry_of_a_batch_whose_response_was_lost_changes_nothing_more(
        self, city: SyncCity, park: dict[str, str], served: str
    ) -> None:
        place = city["高新文化创意园"]
        records = [target_record(n, place) for n in range(1, 6)] + [{"name": "no code"}]
        body = json.dumps(records).encode()
        headers = {**park, "Idempotency-Key": "lost-1", "Content-Type": "application/json"}
        db = city.db
        await send_and_hang_up(served, headers, body, db)
        stored = (await count(db, "work_target"), await count(db, "audit_record"))
        assert stored[0] == 5
        async with httpx.AsyncClient(base_url=served) as client:
            retry = await client.post(WT, content=body, headers=headers)
        assert retry.status_code == 200
        assert retry.headers["Idempotent-Replayed"] == "true"
        assert outcomes(retry) == ["created"] * 5 + ["rejected"]
        assert (await count(db, "work_target"), await count(db, "audit_record")) == stored
        assert await count(db, "bulk_batch") == 1
        [batch] = await db_rows(db, "SELECT id FROM bulk_batch")
        assert retry.json()["batch_id"] == str(batch.id)

    async def test_rule_concurrent_retries_of_one_batch_store_it_once(
        self, city: SyncCity, park: dict[str, str], served: str
    ) -> None:
        place = city["高新文化创意园"]
        body = json.dumps([target_record(n, place) for n in range(1, 51)]).encode()
        headers = {**park, "Idempotency-Key": "race-1", "Content-Type": "application/json"}
        async with httpx.AsyncClient(base_url=served, timeout=30) as client:
            answers = await asyncio.gather(
                *(client.post(WT, content=body, headers=headers) for _ in range(3))
            )
        assert [a.status_code for a in answers] == [200] * 3
        assert len({a.json()["batch_id"] for a in answers}) == 1
        assert await count(city.db, "work_target") == 50
        assert await count(city.db, "bulk_batch") == 1


class TestSyncLog:
    async def test_rule_the_log_holds_each_batch_with_its_counts_and_errors(
        self,
        city: SyncCity,
        park: dict[str, str],
        district: dict[str, str],
        city_admin: dict[str, str],
    ) -> None:
        place = city["高新文化创意园"]
        sent = await push(
            city.client,
            WT,
            park,
            [target_record(1, place), target_record(2, city["北湖科技园"])],
            key="log-1",
        )
        await push(city.client, WT, district, [target_record(3, city["红旗商圈"])])
        listing = await city.client.get("/sync/batches", headers=park)
        assert listing.status_code == 200
        [summary] = listing.json()["items"]
        assert summary["id"] == sent.json()["batch_id"]
        assert (summary["subject"], summary["kind"], summary["idempotency_key"]) == (
            "park-system",
            "work_targets",
            "log-1",
        )
        assert (summary["received"], summary["created"], summary["rejected"]) == (2, 1, 1)
        detail = await city.client.get(f"/sync/batches/{summary['id']}", headers=park)
        assert detail.json()["errors"] == [
            {
                "index": 1,
                "key": credit_code(2),
                "code": "outside_your_places",
                "field": "place_id",
                "message": detail.json()["errors"][0]["message"],
            }
        ]
        hidden = await city.client.get(f"/sync/batches/{summary['id']}", headers=district)
        assert hidden.status_code == 404
        admin = city.issuer.headers(
            subject="admin.city", roles=["city_admin"], scopes=["org:read", "sync:read"]
        )
        everything = await city.client.get("/sync/batches", headers=admin)
        assert {b["subject"] for b in everything.json()["items"]} == {
            "park-system",
            "district-system",
        }
        one = await city.client.get(
            "/sync/batches", params={"client": "district-system"}, headers=admin
        )
        assert {b["subject"] for b in one.json()["items"]} == {"district-system"}


class TestPlacesAndTenants:
    async def test_rule_a_client_adds_buildings_with_floors_inside_its_places(
        self, city: SyncCity, park: dict[str, str], city_admin: dict[str, str]
    ) -> None:
        park_id = str(city["高新文化创意园"])
        records = [
            {
                "external_id": "A",
                "name": "创意大厦A座",
                "parent_place_id": park_id,
                "floors": ["B1", "1", "2"],
            },
            {
                "external_id": "B",
                "name": "创意大厦B座",
                "parent_external_id": "P",
                "kind": "building",
            },
            {"external_id": "P", "place_id": park_id, "address": "长春市朝阳区某路1号"},
        ]
        response = await push(city.client, PL, park, records)
        assert outcomes(response) == ["created", "rejected", "updated"]
        assert errors(response) == [("unknown_place_external_id", "parent_external_id")]
        again = await push(city.client, PL, park, [{**records[1]}])
        assert outcomes(again) == ["created"]
        listing = await city.client.get(PL, headers=park)
        mine = {p["name"]: p for p in listing.json()["items"]}
        assert mine["创意大厦A座"]["floors"] == ["B1", "1", "2"]
        assert mine["创意大厦A座"]["external_id"] == "A"
        assert mine["创意大厦A座"]["parent_place_id"] == park_id
        assert mine["高新文化创意园"]["granted"] is True
        assert mine["高新文化创意园"]["external_id"] == "P"
        public = await city.client.get(f"/places/{mine['创意大厦A座']['id']}", headers=city_admin)
        assert public.status_code == 200
        assert "external_refs" not in public.json()

    async def test_rule_a_tenant_sits_on_a_listed_floor_of_its_building(
        self, city: SyncCity, park: dict[str, str]
    ) -> None:
        park_id = str(city["高新文化创意园"])
        await push(
            city.client,
            PL,
            park,
            [
                {
                    "external_id": "A",
                    "name": "创意大厦A座",
                    "parent_place_id": park_id,
                    "floors": ["1", "2"],
                }
            ],
        )
        records = [
            target_record(1, place_external_id="A", floor="2", unit="201"),
            target_record(2, place_external_id="A", floor="9"),
            target_record(3, city["高新文化创意园"], floor="1"),
        ]
        response = await push(city.client, WT, park, records)
        assert outcomes(response) == ["created", "rejected", "rejected"]
        assert errors(response) == [("unknown_floor", "floor"), ("unknown_floor", "floor")]
        [tenant] = await read_back(city, park)
        assert (tenant["floor"], tenant["unit"]) == ("2", "201")
        moved = await push(
            city.client, WT, park, [target_record(1, place_external_id="A", unit="202")]
        )
        assert outcomes(moved) == ["updated"]
        [tenant] = await read_back(city, park)
        assert (tenant["floor"], tenant["unit"]) == ("2", "202")

    async def test_rule_a_place_outside_the_clients_places_is_rejected(
        self, city: SyncCity, park: dict[str, str]
    ) -> None:
        records = [
            {"external_id": "X", "name": "外楼", "parent_place_id": str(city["北湖科技园"])},
            {"external_id": "Y", "place_id": str(city["中天大厦"])},
        ]
        response = await push(city.client, PL, park, records)
        assert errors(response) == [
            ("outside_your_places", "parent_place_id"),
            ("outside_your_places", "place_id"),
        ]

    async def test_rule_a_synced_place_keeps_its_kind_and_its_parent(
        self, city: SyncCity, district: dict[str, str]
    ) -> None:
        district_id = str(city["红旗商圈"])
        await push(
            city.client,
            PL,
            district,
            [
                {
                    "external_id": "M",
                    "name": "红旗市场",
                    "kind": "market",
                    "parent_place_id": district_id,
                }
            ],
        )
        records = [
            {"external_id": "M", "kind": "building"},
            {
                "external_id": "Z",
                "place_id": str(city["中天大厦"]),
                "parent_place_id": str(city["中天大厦"]),
            },
            {
                "external_id": "M2",
                "name": "园中市场",
                "kind": "market",
                "parent_place_id": str(city["中天大厦"]),
            },
        ]
        response = await push(city.client, PL, district, records)
        assert errors(response) == [
            ("place_cannot_change_kind", "kind"),
            ("place_cannot_move", "parent_place_id"),
            ("invalid_place_parent", "parent_place_id"),
        ]

    async def test_rule_a_floor_is_listed_once(self, city: SyncCity, park: dict[str, str]) -> None:
        record = {
            "external_id": "A",
            "name": "重复楼层楼",
            "parent_place_id": str(city["高新文化创意园"]),
            "floors": ["1", "2", "1"],
        }
        response = await push(city.client, PL, park, [record])
        assert errors(response) == [("duplicate_floor", "floors")]

    async def test_rule_a_place_name_is_unique_in_its_region(
        self, city: SyncCity, district: dict[str, str]
    ) -> None:
        district_id = str(city["红旗商圈"])
        records = [
            {
                "external_id": "1",
                "name": "中天大厦",
                "parent_place_id": district_id,
                "region_id": str(city["南岭街道"]),
            },
            {"external_id": "2", "name": "新楼", "parent_place_id": district_id},
            {"external_id": "3", "name": "新楼", "parent_place_id": district_id},
        ]
        response = await push(city.client, PL, district, records)
        assert outcomes(response) == ["rejected", "created", "rejected"]
        assert errors(response) == [("place_name_taken", "name"), ("place_name_taken", "name")]


class TestRegistrationThroughSync:
    async def test_rule_deregistration_through_a_sync_ends_the_units_coverage(
        self, city: SyncCity, district: dict[str, str], city_admin: dict[str, str]
    ) -> None:
        place = city["中天大厦"]
        await push(city.client, WT, district, [target_record(1, place), target_record(2, place)])
        [first, second] = await read_back(city, district)
        for target in (first, second):
            link = await city.client.post(
                f"/work-targets/{target['id']}/coverage",
                json={
                    "organization_id": str(city["中天大厦联合支部"]),
                    "mode": "joint",
                    "valid_from": "2020-01-01",
                },
                headers=city_admin,
            )
            assert link.status_code == 201, link.text
        response = await push(
            city.client,
            WT,
            district,
            [
                target_record(1, place, deregistered_on="2024-06-01"),
                target_record(2, place, registered_on="2021-01-01"),
            ],
        )
        assert outcomes(response) == ["updated", "rejected"]
        assert errors(response) == [("coverage_outside_registration", "registered_on")]
        links = await db_rows(
            city.db,
            "SELECT w.credit_code, c.valid_to FROM work_target_coverage c "
            "JOIN work_target w ON w.id = c.work_target_id ORDER BY w.credit_code",
        )
        assert [(r.credit_code, str(r.valid_to)) for r in links] == [
            (credit_code(1), "2024-06-01"),
            (credit_code(2), "None"),
        ]
        [event] = await db_rows(
            city.db,
            "SELECT type, data FROM outbox_event WHERE data->>'change' = 'deregistered'",
        )
        assert event.type == "org.work_target.coverage_changed"
        assert event.data["work_target_id"] == first["id"]
        [row] = await db_rows(
            city.db,
            "SELECT registered_on FROM work_target WHERE credit_code = :c",
            c=credit_code(2),
        )
        assert str(row.registered_on) == "2019-03-01"
