"""POST /secretary-terms/bulk: many secretaries' terms in one request, under the rules of the single
start (also among the items), all written or none."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx

from .conftest import City, Members, count, error_code, plain_url

TODAY = date.today()
TERMS = "team_secretary_term"
TERM_EVENTS = "type = 'member.secretary_term.changed'"


def item(member: dict[str, Any], **body: Any) -> dict[str, Any]:
    return {"member_id": member["id"], **{k: str(v) for k, v in body.items()}}


async def bulk(
    client: httpx.AsyncClient, items: list[dict[str, Any]], headers: dict[str, str]
) -> httpx.Response:
    return await client.post("/secretary-terms/bulk", json={"items": items}, headers=headers)


async def nothing_stored(url: str) -> None:
    assert await count(url, TERMS) == 0
    assert await count(url, "outbox_event", TERM_EVENTS) == 0
    assert await count(url, "audit_record", "entity_type = 'secretary_term'") == 0
    assert await count(url, "archive_entry", "payload LIKE '%secretary_term_id%'") == 0


class TestSecretaryTermsBulk:
    async def test_many_terms_created_in_item_order(
        self, client: httpx.AsyncClient, city: City, members: Members, member_db_url: str
    ) -> None:
        old = await members.full_member(name="老书记")
        new = await members.full_member(name="新书记")
        harbour = await members.full_member("同心港企业党支部", name="同心港书记")
        accounting = await members.full_member("瑞华会计所党支部", name="瑞华书记")
        items = [
            item(harbour, term_start=date(2019, 6, 1)),
            item(old, term_start=date(2018, 1, 1), term_end=date(2019, 12, 31)),
            item(new, term_start=date(2020, 1, 1)),
            item(accounting, organization_id=city["瑞华会计所党支部"]),
        ]
        response = await bulk(client, items, city.admin())
        assert response.status_code == 201, response.text
        ids = response.json()["ids"]
        assert len(ids) == 4
        terms = [
            (await client.get(f"/secretary-terms/{i}", headers=city.admin())).json() for i in ids
        ]
        assert [(t["name"], t["term_start"], t["term_end"]) for t in terms] == [
            ("同心港书记", "2019-06-01", None),
            ("老书记", "2018-01-01", "2019-12-31"),
            ("新书记", "2020-01-01", None),
            ("瑞华书记", str(TODAY), None),
        ]
        assert terms[1]["organization_id"] == str(city["盈科律所党支部"])
        assert await count(member_db_url, TERMS) == 4

    async def test_events_audit_and_archive_written_for_each_item(
        self, client: httpx.AsyncClient, city: City, members: Members, member_db_url: str
    ) -> None:
        old = await members.full_member(name="老书记")
        new = await members.full_member(name="新书记")
        harbour = await members.full_member("同心港企业党支部", name="同心港书记")
        response = await bulk(
            client,
            [
                item(old, term_start=date(2018, 1, 1), term_end=date(2019, 12, 31)),
                item(new, term_start=date(2020, 1, 1)),
                item(harbour, term_start=date(2019, 6, 1)),
            ],
            city.admin(),
        )
        assert response.status_code == 201, response.text
        connection = await asyncpg.connect(plain_url(member_db_url))
        try:
            events = await connection.fetch(
                "SELECT subject, data FROM outbox_event "
                "WHERE type = 'member.secretary_term.changed' ORDER BY seq"
            )
            audits = await connection.fetch(
                "SELECT action, entity_id, before, after FROM audit_record "
                "WHERE entity_type = 'secretary_term' ORDER BY action, entity_id"
            )
            archived = await connection.fetch(
                "SELECT member_id, seq, payload FROM archive_entry "
                "WHERE payload LIKE '%secretary_term_id%' ORDER BY member_id, seq"
            )
        finally:
            await connection.close()
        data = [json.loads(e["data"]) for e in events]
        # the ended term starts, then ends; each organization's events in item order
        assert [(d["name"], d["change"]) for d in data] == [
            ("老书记", "started"),
            ("老书记", "ended"),
            ("新书记", "started"),
            ("同心港书记", "started"),
        ]
        assert [e["subject"] for e in events] == [str(city["盈科律所党支部"])] * 3 + [
            str(city["同心港企业党支部"])
        ]
        assert data[3] == {
            "member_id": harbour["id"],
            "organization_id": str(city["同心港企业党支部"]),
            "change": "started",
            "term_start": "2019-06-01",
            "term_end": None,
            "name": "同心港书记",
        }
        ids = response.json()["ids"]
        assert sorted((a["action"], a["entity_id"]) for a in audits) == sorted(
            [
                ("secretary_term.started", ids[0]),
                ("secretary_term.ended", ids[0]),
                ("secretary_term.started", ids[1]),
                ("secretary_term.started", ids[2]),
            ]
        )
        ended = next(a for a in audits if a["action"] == "secretary_term.ended")
        assert json.loads(ended["before"])["term_end"] is None
        assert json.loads(ended["after"])["term_end"] == "2019-12-31"
        # each secretary's archive gains the entries, chained after what it held
        by_member: dict[str, list[tuple[int, str]]] = {}
        for row in archived:
            by_member.setdefault(str(row["member_id"]), []).append(
                (row["seq"], json.loads(row["payload"])["change"])
            )
        assert [c for _, c in by_member[old["id"]]] == ["started", "ended"]
        assert [c for _, c in by_member[new["id"]]] == ["started"]
        for member in (old, new, harbour):
            verified = await client.get(
                f"/members/{member['id']}/archive/verification", headers=city.admin()
            )
            assert verified.status_code == 200, verified.text
            assert verified.json()["valid"] is True

    async def test_rule_invalid_item_refuses_whole_request_naming_the_item(
        self, client: httpx.AsyncClient, city: City, members: Members, member_db_url: str
    ) -> None:
        first = await members.full_member(name="王书记")
        probationer = await members.at_stage("probationary_member", "同心港企业党支部")
        third = await members.full_member("瑞华会计所党支部", name="瑞华书记")
        response = await bulk(client, [item(first), item(probationer), item(third)], city.admin())
        assert response.status_code == 422
        assert error_code(response) == "secretary_needs_full_member"
        assert response.json()["error"]["details"]["item"] == 1
        # the single start refuses that item with the same code, and names no item
        single = await client.post("/secretary-terms", json=item(probationer), headers=city.admin())
        assert error_code(single) == "secretary_needs_full_member"
        assert "item" not in single.json()["error"]["details"]
        await nothing_stored(member_db_url)

    async def test_rule_unknown_member_or_date_refused_naming_the_item(
        self, client: httpx.AsyncClient, city: City, members: Members, member_db_url: str
    ) -> None:
        first = await members.full_member(name="王书记")
        unknown = await bulk(client, [item(first), {"member_id": str(uuid.uuid4())}], city.admin())
        assert unknown.status_code == 404
        assert error_code(unknown) == "member_not_found"
        assert unknown.json()["error"]["details"]["item"] == 1
        backwards = await bulk(
            client,
            [item(first, term_start=TODAY - timedelta(days=5), term_end=TODAY - timedelta(days=9))],
            city.admin(),
        )
        assert backwards.status_code == 422
        assert error_code(backwards) == "invalid_secretary_term"
        assert backwards.json()["error"]["details"] == {"field": "term_end", "item": 0}
        future = await bulk(
            client, [item(first, term_start=TODAY + timedelta(days=1))], city.admin()
        )
        assert error_code(future) == "date_in_future"
        assert future.json()["error"]["details"]["item"] == 0
        await nothing_stored(member_db_url)

    async def test_rule_one_secretary_per_organization_among_items(
        self, client: httpx.AsyncClient, city: City, members: Members, member_db_url: str
    ) -> None:
        first = await members.full_member(name="王书记")
        second = await members.full_member(name="李书记")
        harbour = await members.full_member("同心港企业党支部", name="同心港书记")
        both_running = await bulk(
            client,
            [
                item(first, term_start=date(2020, 1, 1)),
                item(harbour),
                item(second, term_start=date(2022, 1, 1)),
            ],
            city.admin(),
        )
        assert both_running.status_code == 409
        assert error_code(both_running) == "organization_has_secretary"
        details = both_running.json()["error"]["details"]
        assert (details["item"], details["with_item"], details["member_id"]) == (
            2,
            0,
            first["id"],
        )
        overlapping = await bulk(
            client,
            [
                item(first, term_start=date(2018, 1, 1), term_end=date(2019, 12, 31)),
                item(second, term_start=date(2019, 12, 31)),
            ],
            city.admin(),
        )
        assert error_code(overlapping) == "organization_has_secretary"
        assert overlapping.json()["error"]["details"]["earliest_on"] == "2020-01-01"
        await nothing_stored(member_db_url)
        one_after_the_other = await bulk(
            client,
            [
                item(first, term_start=date(2018, 1, 1), term_end=date(2019, 12, 31)),
                item(second, term_start=date(2020, 1, 1)),
            ],
            city.admin(),
        )
        assert one_after_the_other.status_code == 201, one_after_the_other.text

    async def test_rule_one_secretary_per_organization_against_stored_terms(
        self, client: httpx.AsyncClient, city: City, members: Members, member_db_url: str
    ) -> None:
        first = await members.full_member(name="王书记")
        second = await members.full_member(name="李书记")
        harbour = await members.full_member("同心港企业党支部", name="同心港书记")
        stored = await client.post(
            "/secretary-terms", json=item(first, term_start=date(2020, 1, 1)), headers=city.admin()
        )
        assert stored.status_code == 201, stored.text
        response = await bulk(client, [item(harbour), item(second)], city.admin())
        assert response.status_code == 409
        details = response.json()["error"]["details"]
        assert (details["item"], details["secretary_term_id"]) == (1, stored.json()["id"])
        assert "with_item" not in details
        assert await count(member_db_url, TERMS) == 1
        assert await count(member_db_url, "outbox_event", TERM_EVENTS) == 1

    async def test_over_the_limit_or_empty_is_422(
        self, client: httpx.AsyncClient, city: City, members: Members, member_db_url: str
    ) -> None:
        first = await members.full_member(name="王书记")
        too_many = await bulk(client, [item(first)] * 501, city.admin())
        assert too_many.status_code == 422
        assert error_code(too_many) == "validation_error"
        empty = await bulk(client, [], city.admin())
        assert empty.status_code == 422
        unknown_field = await bulk(client, [{**item(first), "salary": 1}], city.admin())
        assert unknown_field.status_code == 422
        await nothing_stored(member_db_url)

    async def test_permission_enforced(
        self, client: httpx.AsyncClient, city: City, members: Members, member_db_url: str
    ) -> None:
        harbour = await members.full_member("同心港企业党支部", name="同心港书记")
        mine = await members.full_member("同心港企业党支部", name="同心港委员")
        secretary = city.secretary("同心港企业党支部")
        # outside the secretary's reach: another organization
        outside = await bulk(
            client,
            [item(mine), item(harbour, organization_id=city["盈科律所党支部"])],
            secretary,
        )
        assert outside.status_code == 403
        assert error_code(outside) == "organization_outside_scope"
        assert outside.json()["error"]["details"]["item"] == 1
        # a member (no member:write) may not start terms at all
        member = await bulk(client, [item(mine)], city.member(mine["id"]))
        assert member.status_code == 403
        assert await count(member_db_url, TERMS) == 0
        # within reach it is allowed
        allowed = await bulk(client, [item(mine)], secretary)
        assert allowed.status_code == 201, allowed.text
