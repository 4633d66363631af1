"""Dues: the brackets of the party rules, monthly assessments, payments into the
organization's dues account, arrears and the list of members six months in arrears."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import asyncpg
import pytest

from funding_service.dues.rules import dues_rate_bp, monthly_dues_fen
from service_kit.testing import TestIssuer

from .conftest import City, Funds, role_headers, secretary
from .test_ledger import assert_ledger_invariants


class TestBrackets:
    @pytest.mark.parametrize(
        ("income_fen", "retired", "rate_bp", "dues_fen"),
        [
            (300_000, False, 50, 1_500),  # 3000 yuan: 0.5%
            (300_001, False, 100, 3_000),  # just above 3000: 1%
            (500_000, False, 100, 5_000),
            (500_001, False, 150, 7_500),  # 1.5%, 75.00 yuan (half a fen rounds up)
            (1_000_000, False, 150, 15_000),
            (1_000_001, False, 200, 20_000),
            (0, False, 50, 0),
            (123_456, False, 50, 617),  # 6.1728 yuan → 6.17
            (500_000, True, 50, 2_500),  # retirees: 0.5% up to 5000
            (500_001, True, 100, 5_000),
            (2_000_000, True, 100, 20_000),
        ],
    )
    def test_rule_dues_brackets(
        self, income_fen: int, retired: bool, rate_bp: int, dues_fen: int
    ) -> None:
        assert dues_rate_bp(income_fen, retired=retired) == rate_bp
        assert monthly_dues_fen(income_fen, retired=retired) == dues_fen


MEMBERS = [uuid.uuid4() for _ in range(3)]


async def declare(
    funds: Funds, member: uuid.UUID, organization: uuid.UUID, month: str, income: int, **extra: Any
) -> dict[str, Any]:
    return await funds.post(
        "/dues/declarations",
        {
            "member_id": str(member),
            "organization_id": str(organization),
            "month": month,
            "monthly_income_fen": income,
            **extra,
        },
    )


async def assess(funds: Funds, month: str, **extra: Any) -> dict[str, Any]:
    return await funds.post("/dues/assessments", {"month": month, **extra}, expect=200)


async def pay(funds: Funds, member: uuid.UUID, month: str, amount: int, expect: int = 201) -> Any:
    return await funds.post(
        "/dues/payments",
        {"member_id": str(member), "month": month, "amount_fen": amount},
        expect=expect,
    )


@pytest.fixture
async def declared(funds: Funds, city: City) -> None:
    branch = city["盈科律所党支部"]
    await declare(funds, MEMBERS[0], branch, "2024-01", 800_000)  # 1.5%: 120 yuan
    await declare(funds, MEMBERS[1], branch, "2024-01", 250_000)  # 0.5%: 12.50 yuan
    await declare(funds, MEMBERS[2], branch, "2024-01", 400_000, retired=True)  # 20 yuan
    await declare(funds, MEMBERS[0], branch, "2024-04", 1_200_000)  # raise: 2%, 240 yuan


class TestAssessmentsAndPayments:
    async def test_rule_a_month_is_assessed_from_the_declaration_in_force(
        self, funds: Funds, declared: None
    ) -> None:
        march = await assess(funds, "2024-03")
        assert (march["assessed"], march["total_fen"]) == (3, 12_000 + 1_250 + 2_000)
        april = await assess(funds, "2024-04")
        assert april["total_fen"] == 24_000 + 1_250 + 2_000
        again = await assess(funds, "2024-04")
        assert (again["assessed"], again["total_fen"]) == (0, 0)
        rows = await funds.get("/dues/assessments", member_id=str(MEMBERS[0]))
        assert [(a["month"], a["rate_bp"], a["amount_fen"]) for a in rows["items"]] == [
            ("2024-03-01", 150, 12_000),
            ("2024-04-01", 200, 24_000),
        ]

    async def test_declaring_an_assessed_month_is_refused(
        self, funds: Funds, declared: None, city: City
    ) -> None:
        await assess(funds, "2024-04")
        refused = await funds.post(
            "/dues/declarations",
            {
                "member_id": str(MEMBERS[1]),
                "organization_id": str(city["盈科律所党支部"]),
                "month": "2024-04",
                "monthly_income_fen": 1,
            },
            expect=409,
        )
        assert refused["error"]["code"] == "dues_month_assessed"

    async def test_payments_go_to_the_dues_account_and_never_exceed_what_is_owed(
        self, funds: Funds, declared: None, city: City, db: asyncpg.Connection
    ) -> None:
        await assess(funds, "2024-03")
        await pay(funds, MEMBERS[0], "2024-03", 5_000)
        await pay(funds, MEMBERS[0], "2024-03", 7_000)
        over = await pay(funds, MEMBERS[0], "2024-03", 1, expect=422)
        assert over["error"]["code"] == "dues_overpaid"
        missing = await pay(funds, MEMBERS[0], "2023-12", 100, expect=422)
        assert missing["error"]["code"] == "dues_not_assessed"
        fractional = await pay(funds, MEMBERS[1], "2024-03", 0.5, expect=422)  # type: ignore[arg-type]
        assert fractional["error"]["code"] == "fractional_fen"
        dues = (
            await funds.get("/accounts", kind="dues", organization_id=str(city["盈科律所党支部"]))
        )["items"][0]
        assert dues["balance_fen"] == 12_000
        await assert_ledger_invariants(db)

    async def test_a_reversed_payment_is_owed_again(self, funds: Funds, declared: None) -> None:
        await assess(funds, "2024-03")
        payment = await pay(funds, MEMBERS[1], "2024-03", 1_250)
        await funds.post(f"/transfers/{payment['transfer_id']}/reversal", {"memo": "误收"})
        rows = await funds.get("/dues/assessments", member_id=str(MEMBERS[1]))
        assert rows["items"][0]["outstanding_fen"] == 1_250

    async def test_a_month_not_yet_begun_is_not_assessed(self, funds: Funds) -> None:
        today = date.today()
        later = f"{today.year + 1}-01"
        refused = await funds.post("/dues/assessments", {"month": later}, expect=422)
        assert refused["error"]["code"] == "period_in_future"


class TestArrears:
    async def test_rule_members_six_months_in_arrears_are_listed(
        self, funds: Funds, declared: None
    ) -> None:
        for month in range(1, 9):
            await assess(funds, f"2024-{month:02d}")
        # 0 pays every month; 1 paid up to February, then stopped (June-August: 6 months
        # unpaid in a row by August); 2 paid January only and then April.
        for month in range(1, 9):
            owed = 12_000 if month < 4 else 24_000
            await pay(funds, MEMBERS[0], f"2024-{month:02d}", owed)
        for month in (1, 2):
            await pay(funds, MEMBERS[1], f"2024-{month:02d}", 1_250)
        for month in (1, 4):
            await pay(funds, MEMBERS[2], f"2024-{month:02d}", 2_000)

        arrears = await funds.get("/dues/arrears", as_of="2024-08")
        by_member = {uuid.UUID(a["member_id"]): a for a in arrears["items"]}
        assert set(by_member) == {MEMBERS[1], MEMBERS[2]}
        assert (
            by_member[MEMBERS[1]]["consecutive_unpaid_months"],
            by_member[MEMBERS[1]]["outstanding_fen"],
            by_member[MEMBERS[1]]["oldest_unpaid_month"],
        ) == (6, 6 * 1_250, "2024-03-01")
        assert (
            by_member[MEMBERS[2]]["unpaid_months"],
            by_member[MEMBERS[2]]["consecutive_unpaid_months"],
        ) == (6, 4)

        six = await funds.get("/dues/arrears/six-months", as_of="2024-08")
        assert [a["member_id"] for a in six["items"]] == [str(MEMBERS[1])]
        earlier = await funds.get("/dues/arrears/six-months", as_of="2024-07")
        assert earlier["items"] == []

    async def test_a_member_sees_only_their_own_dues(
        self, funds: Funds, declared: None, test_issuer: TestIssuer
    ) -> None:
        await assess(funds, "2024-03")
        member = role_headers(test_issuer, "member", "member.1", member_id=MEMBERS[1])
        rows = await funds.client.get("/dues/assessments", headers=member)
        assert {a["member_id"] for a in rows.json()["items"]} == {str(MEMBERS[1])}
        arrears = await funds.client.get(
            "/dues/arrears", params={"as_of": "2024-03"}, headers=member
        )
        assert [a["member_id"] for a in arrears.json()["items"]] == [str(MEMBERS[1])]

    async def test_a_secretary_records_dues_of_their_own_organization_only(
        self, funds: Funds, test_issuer: TestIssuer, city: City
    ) -> None:
        headers = secretary(test_issuer, city["盈科律所党支部"])
        mine = await funds.post(
            "/dues/declarations",
            {
                "member_id": str(uuid.uuid4()),
                "organization_id": str(city["盈科律所党支部"]),
                "month": "2024-01",
                "monthly_income_fen": 100_000,
            },
            headers=headers,
        )
        assert mine["monthly_dues_fen"] == 500
        other = await funds.post(
            "/dues/declarations",
            {
                "member_id": str(uuid.uuid4()),
                "organization_id": str(city["汇通驾校党支部"]),
                "month": "2024-01",
                "monthly_income_fen": 100_000,
            },
            headers=headers,
            expect=403,
        )
        assert other["error"]["code"] == "outside_your_organizations"
