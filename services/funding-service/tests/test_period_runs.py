"""Period runs against a hand-built city: an urban district (南关区), a county (农安县) and the
city itself, secretaries who change mid-month and mid-year, members who join, leave and
move. Every figure below is computed by hand from DOMAIN.md's numbers (urban 400 yuan,
county 200 yuan a month; 300 yuan per member a year; 4,000,000 yuan for the city committee).

Secretary terms and member counts come from member-service's events here (the projection);
organizations, regions and district classes from a real org-service.
"""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any

import asyncpg
import pytest

from funding_service.runs.rules import Holding, allowance_shares
from service_kit.testing import TestIssuer

from .conftest import THIS_YEAR, City, Funds
from .test_ledger import assert_ledger_invariants

A, B, C, D, E, F, G = (uuid.uuid4() for _ in range(7))
NAMES = {A: "安书记", B: "白书记", C: "陈书记", D: "邓书记", E: "鄂书记", F: "冯书记", G: "高书记"}


async def term(
    funds: Funds,
    issuer: TestIssuer,
    member: uuid.UUID,
    organization: uuid.UUID,
    start: str,
    end: str | None = None,
) -> None:
    data: dict[str, Any] = {
        "member_id": str(member),
        "organization_id": str(organization),
        "change": "started",
        "term_start": start,
        "term_end": None,
        "name": NAMES[member],
    }
    await funds.event(issuer, "member.secretary_term.changed", member, data)
    if end is not None:
        data = {**data, "change": "ended", "term_end": end}
        await funds.event(issuer, "member.secretary_term.changed", member, data)


@pytest.fixture
async def secretaries(funds: Funds, test_issuer: TestIssuer, city: City) -> dict[str, Any]:
    """Terms of 2024 and the 2024 allowance budgets of the city, 南关区 and 农安县."""
    await term(funds, test_issuer, A, city["盈科律所党支部"], "2023-03-01")
    await term(funds, test_issuer, B, city["农安某企业党支部"], "2022-01-01", "2024-06-10")
    await term(funds, test_issuer, C, city["农安某企业党支部"], "2024-06-11")
    # 邓 changes mid-year from an urban branch to a county branch
    await term(funds, test_issuer, D, city["中天物业党支部"], "2024-01-01", "2024-04-15")
    await term(funds, test_issuer, D, city["农安合作社党支部"], "2024-04-16")
    await term(funds, test_issuer, E, city["南关区党工委"], "2020-01-01")
    await term(funds, test_issuer, F, city["律师行业党委"], "2021-01-01")
    await term(funds, test_issuer, G, uuid.uuid4(), "2024-01-01")  # unknown to org-service
    return {
        "nanguan": await funds.budget("南关区", "secretary_allowance", 1_000_000, year=2024),
        "nongan": await funds.budget("农安县", "secretary_allowance", 1_000_000, year=2024),
        "city": await funds.budget("长春市", "secretary_allowance", 1_000_000, year=2024),
    }


async def run(funds: Funds, kind: str, period: str, expect: int = 201) -> dict[str, Any]:
    return await funds.post("/period-runs", {"kind": kind, "period": period}, expect=expect)


async def lines(funds: Funds, run_id: str, **params: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    after = None
    while True:
        query = {"limit": 200, **params, **({"after": after} if after else {})}
        page = await funds.get(f"/period-runs/{run_id}/lines", **query)
        found.extend(page["items"])
        after = page["next_cursor"]
        if not after:
            return found


def paid_by_member(found: list[dict[str, Any]]) -> dict[uuid.UUID, int]:
    totals: dict[uuid.UUID, int] = {}
    for line in found:
        if line["status"] == "paid" and line["member_id"]:
            member = uuid.UUID(line["member_id"])
            totals[member] = totals.get(member, 0) + line["amount_fen"]
    return totals


class TestAllowanceRule:
    def test_rule_allowance_is_prorated_by_days_held(self) -> None:
        day = date(2024, 6, 1)
        b, c = uuid.uuid4(), uuid.uuid4()
        # June: 白 held 10 days, 陈 20; county 200 yuan. 66.666… and 133.333… yuan: the
        # leftover fen goes to the larger remainder, and the month adds up to 200.00.
        shares = allowance_shares(20_000, 30, 30, [Holding(b, 10, day), Holding(c, 20, day)])
        assert shares == [6_667, 13_333]
        assert allowance_shares(40_000, 30, 15, [Holding(b, 15, day)]) == [20_000]
        # a day two terms share is paid once: the month never pays more than one allowance
        overlapping = allowance_shares(20_000, 30, 30, [Holding(b, 10, day), Holding(c, 21, day)])
        assert sum(overlapping) == 20_000
        assert allowance_shares(40_000, 31, 0, []) == []


class TestSecretaryAllowance:
    async def test_rule_allowance_by_district_class_matches_hand_computed_figures(
        self, funds: Funds, secretaries: dict[str, Any], db: asyncpg.Connection
    ) -> None:
        june = await run(funds, "secretary_allowance", "2024-06")
        found = await lines(funds, june["id"])
        assert paid_by_member(found) == {
            A: 40_000,  # urban, whole month
            B: 6_667,  # county, 1-10 June
            C: 13_333,  # county, 11-30 June
            D: 20_000,  # county, whole month
            F: 40_000,  # city level counts as urban
        }
        assert june["paid_total_fen"] == 120_000
        assert june["skipped_by_reason"] == {
            "organization_not_found": 1,
            "working_committee_not_eligible": 1,
        }
        skipped = {uuid.UUID(line["member_id"]): line["reason"] for line in found if line["reason"]}
        assert skipped == {E: "working_committee_not_eligible", G: "organization_not_found"}
        basis = next(line["basis"] for line in found if line["member_id"] == str(B))
        assert basis == {
            "district_class": "county",
            "monthly_fen": 20_000,
            "days_held": 10,
            "days_covered": 30,
            "days_in_month": 30,
        }
        april = await run(funds, "secretary_allowance", "2024-04")
        assert paid_by_member(await lines(funds, april["id"]))[D] == 20_000 + 10_000
        await assert_ledger_invariants(db)

    async def test_rule_a_year_of_allowances_matches_hand_computed_totals(
        self, funds: Funds, secretaries: dict[str, Any]
    ) -> None:
        totals: dict[uuid.UUID, int] = {}
        for month in range(1, 13):
            made = await run(funds, "secretary_allowance", f"2024-{month:02d}")
            for member, amount in paid_by_member(await lines(funds, made["id"])).items():
                totals[member] = totals.get(member, 0) + amount
        assert totals == {
            A: 12 * 40_000,
            B: 5 * 20_000 + 6_667,
            C: 13_333 + 6 * 20_000,
            D: 3 * 40_000 + 20_000 + 10_000 + 8 * 20_000,
            F: 12 * 40_000,
        }
        executed = {
            name: (await funds.get(f"/budgets/{budget['id']}"))["executed_fen"]
            for name, budget in secretaries.items()
        }
        assert executed == {
            "nanguan": 12 * 40_000 + 3 * 40_000 + 20_000,
            "nongan": 5 * 20_000 + 6_667 + 13_333 + 6 * 20_000 + 10_000 + 8 * 20_000,
            "city": 12 * 40_000,
        }
        payee = (await funds.get("/accounts", member_id=str(D)))["items"][0]
        assert payee["balance_fen"] == totals[D]

    async def test_rule_running_a_month_twice_pays_once(
        self, funds: Funds, secretaries: dict[str, Any], db: asyncpg.Connection
    ) -> None:
        first = await run(funds, "secretary_allowance", "2024-06")
        transfers = await db.fetchval("SELECT count(*) FROM transfer")
        second = await run(funds, "secretary_allowance", "2024-06")
        assert second["id"] != first["id"]
        batch = await funds.get("/period-runs", ids=f"{first['id']},{second['id']}")
        assert {r["id"] for r in batch["items"]} == {first["id"], second["id"]}
        assert (second["paid_count"], second["paid_total_fen"]) == (0, 0)
        assert second["skipped_by_reason"] == {
            "already_paid": first["paid_count"],
            "organization_not_found": 1,
            "working_committee_not_eligible": 1,
        }
        assert await db.fetchval("SELECT count(*) FROM transfer") == transfers
        budget = await funds.get(f"/budgets/{secretaries['nongan']['id']}")
        assert budget["executed_fen"] == 6_667 + 13_333 + 20_000

    async def test_rule_a_month_is_paid_once_it_is_over(
        self, funds: Funds, secretaries: dict[str, Any]
    ) -> None:
        today = date.today()
        current = f"{today.year}-{today.month:02d}"
        refused = await run(funds, "secretary_allowance", current, expect=422)
        assert refused["error"]["code"] == "period_in_future"
        first_of_next = date(today.year + today.month // 12, today.month % 12 + 1, 1)
        assert refused["error"]["details"]["possible_from"] == first_of_next.isoformat()
        wrong = await run(funds, "secretary_allowance", "2024", expect=422)
        assert wrong["error"]["code"] == "invalid_period"

    async def test_a_budget_pays_what_it_holds_and_a_rerun_pays_the_rest(
        self, funds: Funds, test_issuer: TestIssuer, city: City
    ) -> None:
        await term(funds, test_issuer, B, city["农安某企业党支部"], "2022-01-01", "2024-06-10")
        await term(funds, test_issuer, C, city["农安某企业党支部"], "2024-06-11")
        await term(funds, test_issuer, D, city["农安合作社党支部"], "2024-04-16")
        # June owes 400 yuan in 农安县 (白 66.67, 陈 133.33, 邓 200.00); the budget holds 350.
        small = await funds.budget("农安县", "secretary_allowance", 35_000, year=2024)
        first = await run(funds, "secretary_allowance", "2024-06")
        assert first["skipped_by_reason"] == {"budget_exceeded": 1}
        (short,) = await lines(funds, first["id"], status="skipped")
        assert first["paid_total_fen"] + short["amount_fen"] == 40_000
        assert first["paid_total_fen"] <= 35_000
        await funds.post(
            f"/budgets/{small['id']}/adjustments",
            {"change": "increase", "amount_fen": 5_000},
            expect=200,
        )
        second = await run(funds, "secretary_allowance", "2024-06")
        assert paid_by_member(await lines(funds, second["id"])) == {
            uuid.UUID(short["member_id"]): short["amount_fen"]
        }
        assert second["skipped_by_reason"] == {"already_paid": 2}
        assert (await funds.get(f"/budgets/{small['id']}"))["available_fen"] == 0

    async def test_no_budget_is_a_reason_not_an_error(
        self, funds: Funds, test_issuer: TestIssuer, city: City
    ) -> None:
        await term(funds, test_issuer, A, city["盈科律所党支部"], "2023-03-01")
        made = await run(funds, "secretary_allowance", "2024-02")
        assert (made["paid_count"], made["skipped_by_reason"]) == (0, {"no_budget": 1})

    async def test_a_reversed_payment_is_paid_again_by_the_next_run(
        self, funds: Funds, secretaries: dict[str, Any], db: asyncpg.Connection
    ) -> None:
        first = await run(funds, "secretary_allowance", "2024-06")
        paid_a = next(
            line for line in await lines(funds, first["id"]) if line["member_id"] == str(A)
        )
        await funds.post(f"/transfers/{paid_a['transfer_id']}/reversal", {"memo": "重算"})
        second = await run(funds, "secretary_allowance", "2024-06")
        assert paid_by_member(await lines(funds, second["id"], status="paid")) == {A: 40_000}
        await assert_ledger_invariants(db)

    async def test_runs_are_for_city_wide_roles(
        self, funds: Funds, secretaries: dict[str, Any], test_issuer: TestIssuer, city: City
    ) -> None:
        from .conftest import district_admin

        refused = await funds.post(
            "/period-runs",
            {"kind": "secretary_allowance", "period": "2024-06"},
            headers=district_admin(test_issuer, city["南关区"]),
            expect=403,
        )
        assert refused["error"]["code"] == "city_wide_role_required"

    async def test_transfers_made_are_published(
        self, funds: Funds, secretaries: dict[str, Any], db: asyncpg.Connection
    ) -> None:
        made = await run(funds, "secretary_allowance", "2024-06")
        events = await db.fetch(
            "SELECT subject, data FROM outbox_event WHERE type = 'funding.transfer.made' "
            "AND data->>'period_run_id' = $1",
            made["id"],
        )
        assert len(events) == made["paid_count"]
        assert {e["subject"] for e in events} == {made["id"]}
        paid = sum(json.loads(e["data"])["amount_fen"] for e in events)
        assert paid == made["paid_total_fen"]


async def stage(
    funds: Funds,
    issuer: TestIssuer,
    member: uuid.UUID,
    organization: uuid.UUID,
    to_stage: str,
    on: str,
    from_stage: str | None = None,
) -> None:
    await funds.event(
        issuer,
        "member.stage.changed",
        member,
        {
            "member_id": str(member),
            "organization_id": str(organization),
            "serving_organization_id": str(organization),
            "from_stage": from_stage,
            "to_stage": to_stage,
            "effective_on": on,
        },
    )


class TestPerMemberFunds:
    @pytest.fixture
    async def members(self, funds: Funds, test_issuer: TestIssuer, city: City) -> dict[str, Any]:
        yingke, nongan = city["盈科律所党支部"], city["农安某企业党支部"]
        for _ in range(3):
            await stage(funds, test_issuer, uuid.uuid4(), yingke, "full_member", "2020-05-01")
        await stage(funds, test_issuer, uuid.uuid4(), yingke, "probationary_member", "2023-07-01")
        await stage(funds, test_issuer, uuid.uuid4(), yingke, "full_member", "2024-03-01")
        nongan_members = [uuid.uuid4() for _ in range(4)]
        for member in nongan_members:
            await stage(funds, test_issuer, member, nongan, "full_member", "2019-01-01")
        await stage(funds, test_issuer, nongan_members[0], nongan, "left", "2023-12-15")
        await funds.event(
            test_issuer,
            "member.transferred",
            nongan_members[1],
            {
                "member_id": str(nongan_members[1]),
                "from_organization_id": str(nongan),
                "to_organization_id": str(yingke),
                "effective_on": "2023-11-01",
                "stage": "full_member",
            },
        )
        return {
            "nanguan": await funds.budget("南关区", "per_member_funds", 1_000_000, year=2024),
            "nongan": await funds.budget("农安县", "per_member_funds", 1_000_000, year=2024),
        }

    async def test_rule_per_member_funds_count_members_on_the_stated_day(
        self, funds: Funds, members: dict[str, Any], city: City, db: asyncpg.Connection
    ) -> None:
        made = await run(funds, "per_member_funds", "2024")
        found = {line["organization_id"]: line for line in await lines(funds, made["id"])}
        yingke = found[str(city["盈科律所党支部"])]
        # 3 full + 1 probationary + 1 moved in; the member of March 2024 counts next year
        assert (yingke["status"], yingke["amount_fen"]) == ("paid", 5 * 30_000)
        assert yingke["basis"] == {
            "counted_on": "2024-01-01",
            "full_members": 4,
            "probationary_members": 1,
            "per_member_fen": 30_000,
        }
        nongan = found[str(city["农安某企业党支部"])]
        assert (nongan["status"], nongan["amount_fen"]) == ("paid", 2 * 30_000)
        assert found[str(city["中天物业党支部"])]["reason"] == "no_members"
        account = (await funds.get("/accounts", organization_id=str(city["盈科律所党支部"])))[
            "items"
        ][0]
        assert (account["budget_line"], account["balance_fen"]) == ("per_member_funds", 150_000)
        again = await run(funds, "per_member_funds", "2024")
        assert again["paid_total_fen"] == 0
        assert again["skipped_by_reason"]["already_paid"] == 2
        await assert_ledger_invariants(db)

    async def test_rule_per_member_amount_is_a_dated_policy_parameter(
        self, funds: Funds, members: dict[str, Any], city: City
    ) -> None:
        response = await funds.client.put(
            "/policy-parameters/per_member_fund_yearly_fen",
            json={"value": 25_000, "valid_from": "2024-01-01", "region_id": str(city["农安县"])},
            headers=funds.headers,
        )
        assert response.status_code == 200, response.text
        made = await run(funds, "per_member_funds", "2024")
        found = {line["organization_id"]: line for line in await lines(funds, made["id"])}
        assert found[str(city["农安某企业党支部"])]["amount_fen"] == 2 * 25_000
        assert found[str(city["盈科律所党支部"])]["amount_fen"] == 5 * 30_000

    async def test_a_year_not_yet_begun_cannot_be_run(self, funds: Funds) -> None:
        refused = await run(funds, "per_member_funds", str(THIS_YEAR + 1), expect=422)
        assert refused["error"]["code"] == "period_in_future"
        assert refused["error"]["details"]["possible_from"] == f"{THIS_YEAR + 1}-01-01"


class TestOperatingFunds:
    async def test_rule_city_committee_gets_its_yearly_operating_funds_once(
        self, funds: Funds, city: City
    ) -> None:
        budget = await funds.budget("长春市", "operating_funds", 400_000_000, year=2024)
        made = await run(funds, "operating_funds", "2024")
        (line,) = await lines(funds, made["id"])
        assert (line["organization_id"], line["amount_fen"]) == (
            str(city["市党工委"]),
            400_000_000,
        )
        again = await run(funds, "operating_funds", "2024")
        assert again["skipped_by_reason"] == {"already_paid": 1}
        after = await funds.get(f"/budgets/{budget['id']}")
        assert (after["executed_fen"], after["available_fen"]) == (400_000_000, 0)
