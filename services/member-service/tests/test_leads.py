"""Party members reported by tenant enterprises through the sync API: matched to members by the
keyed hash of the ID number, or kept as leads that the responsible organization confirms
into members or rejects; per-record outcomes, the client's places, idempotent batches."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest

from org_service.work_targets.credit_code import check_character as credit_check

from .conftest import City, Members, count, error_code, id_number

SYNC = "/sync/members"
_keys = itertools.count(1)


@dataclass(frozen=True)
class Tenants:
    """Two enterprises the park client pushed into 高新文化创意园 (org-service), one covered by
    盈科律所党支部, and one in 北湖科技园 pushed by that park's client."""

    covered: str
    uncovered: str
    elsewhere: str
    covered_id: str


def code(n: int) -> str:
    first17 = f"91220102MA{n:07d}"
    return first17 + credit_check(first17)


def client_headers(city: City, subject: str, *places: str, **extra: Any) -> dict[str, str]:
    extra.setdefault("scopes", ["sync:write", "sync:read", "org:read"])
    return city.headers(
        subject=subject, roles=["sync_client"], places=[str(city[p]) for p in places], **extra
    )


@pytest.fixture(scope="module")
async def tenants(city: City) -> Tenants:
    """Pushed once per module through org-service's own sync API."""
    numbers = {"covered": 9_100_001, "uncovered": 9_100_002, "elsewhere": 9_100_003}
    async with httpx.AsyncClient(base_url=city.org_url) as org:
        for place, names in (
            ("高新文化创意园", ("covered", "uncovered")),
            ("北湖科技园", ("elsewhere",)),
        ):
            records = [
                {
                    "credit_code": code(numbers[n]),
                    "name": f"{n}公司",
                    "place_id": str(city[place]),
                    "registered_on": "2015-06-01",
                }
                for n in names
            ]
            response = await org.post(
                "/sync/work-targets",
                content=json.dumps(records).encode(),
                headers={
                    **client_headers(city, f"{place}-system", place),
                    "Idempotency-Key": f"tenants-{names[0]}",
                    "Content-Type": "application/json",
                },
            )
            assert response.status_code == 200, response.text
            assert {r["outcome"] for r in response.json()["records"]} <= {"created", "unchanged"}
        listing = await org.get(
            "/sync/work-targets",
            params={"credit_codes": code(numbers["covered"])},
            headers=client_headers(city, "高新文化创意园-system", "高新文化创意园"),
        )
        covered_id = listing.json()["items"][0]["id"]
        admin = city.headers(subject="org.admin", roles=["city_admin"], scopes=["org:write"])
        link = await org.post(
            f"/work-targets/{covered_id}/coverage",
            json={
                "organization_id": str(city["盈科律所党支部"]),
                "mode": "own",
                "valid_from": "2020-01-01",
            },
            headers=admin,
        )
        assert link.status_code in (201, 409), link.text
    return Tenants(
        code(numbers["covered"]), code(numbers["uncovered"]), code(numbers["elsewhere"]), covered_id
    )


@pytest.fixture
def park(city: City) -> dict[str, str]:
    return client_headers(city, "park-system", "高新文化创意园")


def report(employer: str, **extra: Any) -> dict[str, Any]:
    return {
        "employer_credit_code": employer,
        "name": extra.pop("name", "李四"),
        "id_number": extra.pop("id_number", None) or id_number(date(1972, 3, 9)),
        **extra,
    }


async def push(
    client: httpx.AsyncClient, headers: dict[str, str], records: list[Any], key: str | None = None
) -> httpx.Response:
    return await client.post(
        SYNC,
        content=json.dumps(records, ensure_ascii=False).encode(),
        headers={
            **headers,
            "Idempotency-Key": key or f"members-{next(_keys)}",
            "Content-Type": "application/json",
        },
    )


def outcomes(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [r["outcome"] for r in response.json()["records"]]


def errors(response: httpx.Response) -> list[tuple[str, str | None]]:
    return [
        (r["error"]["code"], r["error"]["field"])
        for r in response.json()["records"]
        if r["outcome"] == "rejected"
    ]


async def leads(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> list[dict[str, Any]]:
    response = await client.get("/leads", params=params, headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


FULL_MEMBER_DAYS = {
    "applied_on": "2000-01-01",
    "activist_on": "2001-01-01",
    "development_target_on": "2002-06-01",
    "admitted_on": "2003-01-01",
    "full_member_on": "2004-01-02",
}


class TestMatchingAndLeads:
    async def test_rule_a_reported_member_is_matched_by_id_number_never_created(
        self,
        client: httpx.AsyncClient,
        city: City,
        members: Members,
        park: dict[str, str],
        tenants: Tenants,
        member_db_url: str,
    ) -> None:
        number = id_number(date(1979, 1, 5))
        known = await members.full_member(id_number=number)
        response = await push(client, park, [report(tenants.uncovered, id_number=number)])
        assert outcomes(response) == ["created"]
        [lead] = await leads(client, city.admin())
        assert (lead["status"], lead["member_id"]) == ("matched", known["id"])
        assert await count(member_db_url, "member") == 1

    async def test_rule_an_unknown_person_is_a_lead_in_the_responsible_organizations_list(
        self, client: httpx.AsyncClient, city: City, park: dict[str, str], tenants: Tenants
    ) -> None:
        response = await push(
            client,
            park,
            [report(tenants.covered, name="王五"), report(tenants.uncovered, name="赵六")],
        )
        assert outcomes(response) == ["created", "created"]
        branch = await leads(
            client, city.secretary("盈科律所党支部"), organization_id=str(city["盈科律所党支部"])
        )
        assert [(lead["name"], lead["status"]) for lead in branch] == [("王五", "pending")]
        assert branch[0]["id_number"].count("*") == 8
        district = await leads(client, city.district_admin("南关区"))
        assert {lead["name"]: lead["responsible_organization_id"] for lead in district} == {
            "王五": str(city["盈科律所党支部"]),
            "赵六": str(city["南关区党工委"]),
        }
        assert await leads(client, city.district_admin("二道区")) == []
        hidden = await client.get(
            f"/leads/{branch[0]['id']}", headers=city.secretary("同心港企业党支部")
        )
        assert hidden.status_code == 404

    async def test_rule_a_lead_is_confirmed_into_a_member_by_the_responsible_organization(
        self,
        client: httpx.AsyncClient,
        city: City,
        park: dict[str, str],
        tenants: Tenants,
        member_db_url: str,
    ) -> None:
        number = id_number(date(1981, 7, 1))
        await push(
            client,
            park,
            [report(tenants.covered, name="钱七", id_number=number, joined_on="2003-01-01")],
        )
        secretary = city.secretary("盈科律所党支部")
        [lead] = await leads(client, secretary)
        days = {k: v for k, v in FULL_MEMBER_DAYS.items() if k != "admitted_on"}
        response = await client.post(
            f"/leads/{lead['id']}/confirm",
            json={"organization_id": str(city["盈科律所党支部"]), **days},
            headers=secretary,
        )
        assert response.status_code == 200, response.text
        confirmed = response.json()
        assert (confirmed["status"], confirmed["decided_by"]) == ("confirmed", "secretary")
        member = await client.get(f"/members/{confirmed['member_id']}", headers=city.admin())
        assert member.status_code == 200
        body = member.json()
        assert (body["name"], body["stage"], body["origin"]) == ("钱七", "full_member", "imported")
        assert (body["admitted_on"], body["employer_id"]) == ("2003-01-01", tenants.covered_id)
        assert body["id_number"] == number
        assert await count(member_db_url, "outbox_event", "type = 'member.stage.changed'") == 1
        assert await count(member_db_url, "audit_record", "action = 'lead.confirm'") == 1
        again = await client.post(
            f"/leads/{lead['id']}/reject", json={"reason": "late"}, headers=secretary
        )
        assert again.status_code == 409
        assert error_code(again) == "lead_decided"

    async def test_rule_confirming_a_lead_keeps_the_rules_of_bringing_in_a_record(
        self, client: httpx.AsyncClient, city: City, park: dict[str, str], tenants: Tenants
    ) -> None:
        await push(client, park, [report(tenants.covered)])
        secretary = city.secretary("盈科律所党支部")
        [lead] = await leads(client, secretary)
        too_soon = {**FULL_MEMBER_DAYS, "development_target_on": "2001-03-01"}
        response = await client.post(
            f"/leads/{lead['id']}/confirm",
            json={"organization_id": str(city["盈科律所党支部"]), **too_soon},
            headers=secretary,
        )
        assert response.status_code == 422
        assert error_code(response) == "activist_at_least_one_year"
        elsewhere = await client.post(
            f"/leads/{lead['id']}/confirm",
            json={"organization_id": str(city["同心港企业党支部"]), **FULL_MEMBER_DAYS},
            headers=secretary,
        )
        assert elsewhere.status_code == 403, elsewhere.text
        assert error_code(elsewhere) == "organization_outside_scope"
        [still] = await leads(client, secretary)
        assert still["status"] == "pending"

    async def test_rule_a_lead_is_rejected_with_a_reason(
        self, client: httpx.AsyncClient, city: City, park: dict[str, str], tenants: Tenants
    ) -> None:
        await push(client, park, [report(tenants.uncovered)])
        admin = city.district_admin("南关区")
        [lead] = await leads(client, admin)
        stranger = await client.post(
            f"/leads/{lead['id']}/reject",
            json={"reason": "not ours"},
            headers=city.secretary("盈科律所党支部"),
        )
        assert stranger.status_code == 404
        response = await client.post(
            f"/leads/{lead['id']}/reject", json={"reason": "不是党员"}, headers=admin
        )
        assert response.status_code == 200
        assert (response.json()["status"], response.json()["decision_note"]) == (
            "rejected",
            "不是党员",
        )

    async def test_rule_a_pending_lead_is_matched_once_the_person_is_a_member(
        self,
        client: httpx.AsyncClient,
        city: City,
        members: Members,
        park: dict[str, str],
        tenants: Tenants,
    ) -> None:
        number = id_number(date(1975, 2, 2))
        record = report(tenants.uncovered, id_number=number)
        assert outcomes(await push(client, park, [record])) == ["created"]
        assert outcomes(await push(client, park, [record])) == ["unchanged"]
        member = await members.full_member(id_number=number)
        assert outcomes(await push(client, park, [record])) == ["updated"]
        [lead] = await leads(client, city.admin())
        assert (lead["status"], lead["member_id"]) == ("matched", member["id"])
        refused = await client.post(
            f"/leads/{lead['id']}/reject", json={"reason": "x"}, headers=city.admin()
        )
        assert error_code(refused) == "lead_matched"


class TestReports:
    async def test_rule_an_id_number_with_a_bad_check_digit_is_rejected(
        self, client: httpx.AsyncClient, park: dict[str, str], tenants: Tenants
    ) -> None:
        good = id_number(date(1990, 1, 1))
        bad = good[:17] + ("0" if good[17] != "0" else "1")
        response = await push(
            client, park, [report(tenants.covered, id_number=bad, external_id="P-1")]
        )
        [record] = response.json()["records"]
        assert (record["outcome"], record["key"]) == ("rejected", "P-1")
        assert (record["error"]["code"], record["error"]["field"]) == (
            "invalid_id_number",
            "id_number",
        )

    async def test_rule_a_member_of_an_enterprise_outside_the_clients_places_is_rejected(
        self, client: httpx.AsyncClient, park: dict[str, str], tenants: Tenants, member_db_url: str
    ) -> None:
        records = [
            report(tenants.elsewhere),
            report("31220102MA0017037P"),  # 盈科律师事务所: registered, but in no place
            report(code(9_999_999)),  # registered nowhere
            report("9122"),
            report(tenants.covered, stage="activist"),
            report(tenants.covered, joined_on="2999-01-01"),
        ]
        response = await push(client, park, records)
        assert errors(response) == [
            ("employer_not_in_your_places", "employer_credit_code"),
            ("employer_not_in_your_places", "employer_credit_code"),
            ("employer_not_in_your_places", "employer_credit_code"),
            ("invalid_credit_code", "employer_credit_code"),
            ("invalid_value", "stage"),
            ("date_in_future", "joined_on"),
        ]
        assert await count(member_db_url, "member_lead") == 0

    async def test_rule_good_reports_are_stored_when_others_are_rejected(
        self, client: httpx.AsyncClient, park: dict[str, str], tenants: Tenants
    ) -> None:
        number = id_number(date(1988, 8, 8))
        response = await push(
            client,
            park,
            [
                report(tenants.covered, id_number=number),
                {"name": "无证"},
                report(tenants.covered, id_number=number, name="重复"),
                report(tenants.uncovered, id_number=number),
            ],
        )
        assert outcomes(response) == ["created", "rejected", "rejected", "created"]
        assert errors(response) == [
            ("missing_field", "employer_credit_code"),
            ("duplicate_in_batch", "id_number"),
        ]

    async def test_rule_a_retried_batch_whose_response_was_lost_changes_nothing_more(
        self, client: httpx.AsyncClient, park: dict[str, str], tenants: Tenants, member_db_url: str
    ) -> None:
        records = [report(tenants.covered), report(tenants.uncovered, name="孙八")]
        first = await push(client, park, records, key="lost-members")
        stored = (
            await count(member_db_url, "member_lead"),
            await count(member_db_url, "audit_record"),
            await count(member_db_url, "bulk_batch"),
        )
        retry = await push(client, park, records, key="lost-members")
        assert retry.headers["Idempotent-Replayed"] == "true"
        assert retry.json() == first.json()
        assert (
            (
                await count(member_db_url, "member_lead"),
                await count(member_db_url, "audit_record"),
                await count(member_db_url, "bulk_batch"),
            )
            == stored
            == (2, 2, 1)
        )

    async def test_rule_a_client_reads_back_its_own_reports_masked_and_not_their_fate(
        self, client: httpx.AsyncClient, city: City, park: dict[str, str], tenants: Tenants
    ) -> None:
        await push(client, park, [report(tenants.covered, external_id="E-9")])
        other = client_headers(city, "other-park", "北湖科技园")
        await push(client, other, [report(tenants.elsewhere, external_id="O-1")])
        mine = await client.get(SYNC, headers=park)
        [item] = mine.json()["items"]
        assert item["external_id"] == "E-9"
        assert item["id_number"].count("*") == 8
        assert not {"status", "member_id"} & set(item)
        batches = await client.get(f"{SYNC}/batches", headers=park)
        assert [b["subject"] for b in batches.json()["items"]] == ["park-system"]
        foreign = batches.json()["items"][0]["id"]
        assert (await client.get(f"{SYNC}/batches/{foreign}", headers=other)).status_code == 404

    async def test_rule_reporting_members_needs_the_sync_scopes(
        self, client: httpx.AsyncClient, city: City, tenants: Tenants
    ) -> None:
        write_only = client_headers(city, "w", "高新文化创意园", scopes=["sync:write"])
        response = await push(client, write_only, [report(tenants.covered)])
        assert response.status_code == 403
        assert response.json()["error"]["details"] == {"required_scope": "sync:read"}
        secretary = city.secretary("盈科律所党支部")
        assert (await push(client, secretary, [report(tenants.covered)])).status_code == 403
