"""The double-entry ledger over HTTP: accounts, transfers, reversals, and the invariants that
hold whatever happens (every transfer sums to zero, every balance equals its entries, a
budget's execution equals the sum of its transfers), also under concurrent requests."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from service_kit.testing import TestIssuer

from .conftest import THIS_YEAR, City, Funds, district_admin


async def assert_ledger_invariants(db: asyncpg.Connection) -> None:
    """The three invariants of the ledger, checked over every row."""
    unbalanced = await db.fetch(
        "SELECT transfer_id, sum(amount_fen) FROM ledger_entry GROUP BY transfer_id "
        "HAVING sum(amount_fen) <> 0 OR count(*) <> 2"
    )
    assert unbalanced == []
    mismatched_transfers = await db.fetchval(
        "SELECT count(*) FROM transfer t WHERE NOT EXISTS (SELECT 1 FROM ledger_entry e "
        "WHERE e.transfer_id = t.id AND e.account_id = t.debit_account_id "
        "AND e.amount_fen = -t.amount_fen) OR NOT EXISTS (SELECT 1 FROM ledger_entry e "
        "WHERE e.transfer_id = t.id AND e.account_id = t.credit_account_id "
        "AND e.amount_fen = t.amount_fen)"
    )
    assert mismatched_transfers == 0
    wrong_balances = await db.fetch(
        "SELECT a.id, a.balance_fen, coalesce(sum(e.amount_fen), 0) AS entries FROM account a "
        "LEFT JOIN ledger_entry e ON e.account_id = a.id GROUP BY a.id "
        "HAVING a.balance_fen <> coalesce(sum(e.amount_fen), 0)"
    )
    assert wrong_balances == []
    running = await db.fetchval(
        "SELECT count(*) FROM (SELECT balance_after_fen, sum(amount_fen) OVER "
        "(PARTITION BY account_id ORDER BY id) AS running FROM ledger_entry) r "
        "WHERE balance_after_fen <> running"
    )
    assert running == 0
    # budget execution = what left the budget's account for anything but the treasury
    wrong_execution = await db.fetch(
        "SELECT b.id FROM budget b JOIN account a ON a.id = b.account_id "
        "WHERE b.amount_fen - a.balance_fen <> coalesce((SELECT sum(t.amount_fen) FROM transfer t "
        "WHERE t.debit_account_id = b.account_id AND t.kind <> 'budget_adjustment'), 0) "
        "- coalesce((SELECT sum(t.amount_fen) FROM transfer t WHERE t.credit_account_id = "
        "b.account_id AND t.kind = 'reversal'), 0) "
        "OR b.amount_fen <> coalesce((SELECT sum(e.amount_fen) FROM ledger_entry e "
        "JOIN account c ON c.id = e.counter_account_id WHERE e.account_id = b.account_id "
        "AND c.kind = 'treasury'), 0)"
    )
    assert wrong_execution == []


async def count(db: asyncpg.Connection, table: str) -> int:
    return int(await db.fetchval(f"SELECT count(*) FROM {table}"))  # noqa: S608


@pytest.fixture
async def setup(funds: Funds) -> dict[str, Any]:
    """A district budget of 1000 yuan, a branch account of the same line, a payee."""
    budget = await funds.budget("南关区", "per_member_funds", 100_000)
    branch = await funds.org_account("盈科律所党支部", "per_member_funds")
    payee = await funds.payee("长春印刷厂", organization_id=str(funds.city["盈科律所党支部"]))
    return {"budget": budget, "branch": branch, "payee": payee}


class TestTransfers:
    async def test_rule_transfer_debits_one_account_and_credits_another_by_the_same_amount(
        self, funds: Funds, setup: dict[str, Any], db: asyncpg.Connection
    ) -> None:
        made = await funds.transfer(
            "appropriation", setup["budget"]["account_id"], setup["branch"]["id"], 30_000
        )
        entries = await db.fetch(
            "SELECT account_id, counter_account_id, amount_fen FROM ledger_entry "
            "WHERE transfer_id = $1 ORDER BY amount_fen",
            uuid.UUID(made["id"]),
        )
        assert [(str(e["account_id"]), e["amount_fen"]) for e in entries] == [
            (setup["budget"]["account_id"], -30_000),
            (setup["branch"]["id"], 30_000),
        ]
        assert entries[0]["counter_account_id"] == entries[1]["account_id"]
        branch = await funds.get(f"/accounts/{setup['branch']['id']}")
        assert branch["balance_fen"] == 30_000
        budget = await funds.get(f"/budgets/{setup['budget']['id']}")
        assert (budget["budgeted_fen"], budget["executed_fen"], budget["available_fen"]) == (
            100_000,
            30_000,
            70_000,
        )
        await assert_ledger_invariants(db)

    async def test_entries_show_the_balance_each_left(
        self, funds: Funds, setup: dict[str, Any]
    ) -> None:
        for amount in (10_000, 2_500):
            await funds.transfer(
                "appropriation", setup["budget"]["account_id"], setup["branch"]["id"], amount
            )
        await funds.transfer("disbursement", setup["branch"]["id"], setup["payee"]["id"], 1_234)
        page = await funds.get(f"/accounts/{setup['branch']['id']}/entries")
        assert [(e["kind"], e["amount_fen"], e["balance_after_fen"]) for e in page["items"]] == [
            ("appropriation", 10_000, 10_000),
            ("appropriation", 2_500, 12_500),
            ("disbursement", -1_234, 11_266),
        ]

    async def test_rule_no_account_is_overdrawn(
        self, funds: Funds, setup: dict[str, Any], db: asyncpg.Connection
    ) -> None:
        await funds.transfer(
            "appropriation", setup["budget"]["account_id"], setup["branch"]["id"], 500
        )
        before = await count(db, "ledger_entry")
        refused = await funds.transfer(
            "disbursement", setup["branch"]["id"], setup["payee"]["id"], 501, expect=422
        )
        assert refused["error"]["code"] == "insufficient_funds"
        assert refused["error"]["details"]["short_by_fen"] == 1
        assert await count(db, "ledger_entry") == before

    async def test_rule_no_transfer_exceeds_its_budget(
        self, funds: Funds, setup: dict[str, Any], db: asyncpg.Connection
    ) -> None:
        before = await count(db, "transfer")
        refused = await funds.transfer(
            "appropriation",
            setup["budget"]["account_id"],
            setup["branch"]["id"],
            100_001,
            expect=422,
        )
        assert refused["error"]["code"] == "budget_exceeded"
        assert await count(db, "transfer") == before
        await funds.transfer(
            "appropriation", setup["budget"]["account_id"], setup["branch"]["id"], 100_000
        )
        assert (await funds.get(f"/budgets/{setup['budget']['id']}"))["available_fen"] == 0

    async def test_rule_a_budget_is_spent_within_its_fiscal_year(self, funds: Funds) -> None:
        last_year = await funds.budget("南关区", "venue_funds", 50_000, year=THIS_YEAR - 1)
        payee = await funds.payee("装修公司")
        refused = await funds.transfer(
            "disbursement", last_year["account_id"], payee["id"], 100, expect=422
        )
        assert refused["error"]["code"] == "outside_fiscal_year"
        made = await funds.transfer(
            "disbursement",
            last_year["account_id"],
            payee["id"],
            100,
            value_date=f"{THIS_YEAR - 1}-12-31",
        )
        assert made["value_date"] == f"{THIS_YEAR - 1}-12-31"

    async def test_bad_amounts_are_refused_with_their_codes_and_write_nothing(
        self, funds: Funds, setup: dict[str, Any], db: asyncpg.Connection
    ) -> None:
        before = await count(db, "transfer")
        for amount, code in (
            (-100, "amount_not_positive"),
            (0, "amount_not_positive"),
            (12.5, "fractional_fen"),
            (10**13, "amount_too_large"),
            (True, "invalid_amount"),
        ):
            refused = await funds.transfer(
                "appropriation",
                setup["budget"]["account_id"],
                setup["branch"]["id"],
                amount,  # type: ignore[arg-type]
                expect=422,
            )
            assert refused["error"]["code"] == code, amount
        whole = await funds.transfer(
            "appropriation",
            setup["budget"]["account_id"],
            setup["branch"]["id"],
            100.0,  # type: ignore[arg-type]
        )
        assert whole["amount_fen"] == 100
        assert await count(db, "transfer") == before + 1

    async def test_bad_references_and_dates_are_refused(
        self, funds: Funds, setup: dict[str, Any], db: asyncpg.Connection
    ) -> None:
        before = await count(db, "transfer")
        budget, branch, payee = (setup[k] for k in ("budget", "branch", "payee"))
        cases: list[tuple[dict[str, Any], str]] = [
            (
                {"kind": "appropriation", "debit": str(uuid.uuid4()), "credit": branch["id"]},
                "unknown_account",
            ),
            (
                {
                    "kind": "appropriation",
                    "debit": budget["account_id"],
                    "credit": str(uuid.uuid4()),
                },
                "unknown_account",
            ),
            (
                {"kind": "appropriation", "debit": budget["account_id"], "credit": payee["id"]},
                "transfer_kind_not_allowed",
            ),
            (
                {"kind": "reallocation", "debit": branch["id"], "credit": branch["id"]},
                "same_account",
            ),
            (
                {
                    "kind": "appropriation",
                    "debit": budget["account_id"],
                    "credit": branch["id"],
                    "value_date": (date.today() + timedelta(days=1)).isoformat(),
                },
                "value_date_in_future",
            ),
        ]
        for case, code in cases:
            extra = {k: v for k, v in case.items() if k not in ("kind", "debit", "credit")}
            refused = await funds.transfer(
                case["kind"], case["debit"], case["credit"], 100, expect=422, **extra
            )
            assert refused["error"]["code"] == code, case
        assert await count(db, "transfer") == before

    async def test_rule_funds_stay_on_their_budget_line(
        self, funds: Funds, setup: dict[str, Any]
    ) -> None:
        venue = await funds.org_account("盈科律所党支部", "venue_funds")
        refused = await funds.transfer(
            "appropriation", setup["budget"]["account_id"], venue["id"], 100, expect=422
        )
        assert refused["error"]["code"] == "budget_line_mismatch"

    async def test_rule_entries_are_immutable(
        self, funds: Funds, setup: dict[str, Any], db: asyncpg.Connection
    ) -> None:
        await funds.transfer(
            "appropriation", setup["budget"]["account_id"], setup["branch"]["id"], 100
        )
        for statement in (
            "UPDATE ledger_entry SET amount_fen = amount_fen * 2",
            "DELETE FROM ledger_entry",
            "UPDATE transfer SET amount_fen = 1",
            "DELETE FROM transfer",
        ):
            with pytest.raises(asyncpg.RestrictViolationError, match="append-only"):
                await db.execute(statement)


class TestReversals:
    async def test_rule_a_reversal_is_a_new_transfer_in_the_opposite_direction(
        self, funds: Funds, setup: dict[str, Any], db: asyncpg.Connection
    ) -> None:
        made = await funds.transfer(
            "appropriation", setup["budget"]["account_id"], setup["branch"]["id"], 40_000
        )
        reversal = await funds.post(f"/transfers/{made['id']}/reversal", {"memo": "错拨"})
        assert reversal["kind"] == "reversal"
        assert reversal["reverses_transfer_id"] == made["id"]
        assert (reversal["debit_account_id"], reversal["credit_account_id"]) == (
            made["credit_account_id"],
            made["debit_account_id"],
        )
        assert (await funds.get(f"/accounts/{setup['branch']['id']}"))["balance_fen"] == 0
        budget = await funds.get(f"/budgets/{setup['budget']['id']}")
        assert (budget["executed_fen"], budget["available_fen"]) == (0, 100_000)
        assert await count(db, "ledger_entry") == 6  # allocation, transfer, reversal
        await assert_ledger_invariants(db)

    async def test_a_transfer_is_reversed_once(self, funds: Funds, setup: dict[str, Any]) -> None:
        made = await funds.transfer(
            "appropriation", setup["budget"]["account_id"], setup["branch"]["id"], 100
        )
        reversal = await funds.post(f"/transfers/{made['id']}/reversal", {})
        again = await funds.post(f"/transfers/{made['id']}/reversal", {}, expect=409)
        assert again["error"]["code"] == "already_reversed"
        undo = await funds.post(f"/transfers/{reversal['id']}/reversal", {}, expect=422)
        assert undo["error"]["code"] == "reversal_not_reversible"
        allocation = (await funds.get("/transfers", kind="budget_allocation"))["items"][0]
        refused = await funds.post(f"/transfers/{allocation['id']}/reversal", {}, expect=422)
        assert refused["error"]["code"] == "budget_allocation_not_reversible"

    async def test_a_reversal_never_overdraws(self, funds: Funds, setup: dict[str, Any]) -> None:
        made = await funds.transfer(
            "appropriation", setup["budget"]["account_id"], setup["branch"]["id"], 1_000
        )
        await funds.transfer("disbursement", setup["branch"]["id"], setup["payee"]["id"], 600)
        refused = await funds.post(f"/transfers/{made['id']}/reversal", {}, expect=422)
        assert refused["error"]["code"] == "insufficient_funds"


class TestConcurrency:
    async def test_rule_concurrent_spends_never_exceed_a_budget(
        self, funds: Funds, db: asyncpg.Connection
    ) -> None:
        """50 concurrent spends of 100 yuan against a budget that fits 10 make exactly 10."""
        budget = await funds.budget("二道区", "venue_funds", 100_000)
        payee = await funds.payee("同心港物业")

        async def spend() -> int:
            response = await funds.client.post(
                "/transfers",
                json={
                    "kind": "disbursement",
                    "debit_account_id": budget["account_id"],
                    "credit_account_id": payee["id"],
                    "amount_fen": 10_000,
                },
                headers={**funds.headers, "Idempotency-Key": uuid.uuid4().hex},
            )
            return response.status_code

        statuses = await asyncio.gather(*(spend() for _ in range(50)))
        assert statuses.count(201) == 10
        assert statuses.count(422) == 40
        after = await funds.get(f"/budgets/{budget['id']}")
        assert (after["executed_fen"], after["available_fen"]) == (100_000, 0)
        assert (await funds.get(f"/accounts/{payee['id']}"))["balance_fen"] == 100_000
        await assert_ledger_invariants(db)


class TestAccounts:
    async def test_opening_accounts_checks_the_organization_in_org_service(
        self, funds: Funds
    ) -> None:
        missing = await funds.post(
            "/accounts",
            {
                "kind": "organization",
                "organization_id": str(uuid.uuid4()),
                "budget_line": "venue_funds",
            },
            expect=422,
        )
        assert missing["error"]["code"] == "organization_not_found"
        account = await funds.org_account("盈科律所党支部", "venue_funds")
        assert account["district_id"] == str(funds.city["南关区"])  # through 南岭街道
        assert account["level"] == "district"
        again = await funds.post(
            "/accounts",
            {
                "kind": "organization",
                "organization_id": str(funds.city["盈科律所党支部"]),
                "budget_line": "venue_funds",
            },
            expect=409,
        )
        assert again["error"]["code"] == "account_exists"
        unknown_line = await funds.post(
            "/accounts",
            {
                "kind": "organization",
                "organization_id": str(funds.city["盈科律所党支部"]),
                "budget_line": "no_such_line",
            },
            expect=422,
        )
        assert unknown_line["error"]["code"] == "unknown_budget_line"

    async def test_batch_get_and_pages(self, funds: Funds, setup: dict[str, Any]) -> None:
        ids = [setup["branch"]["id"], setup["payee"]["id"], str(uuid.uuid4())]
        batch = await funds.get("/accounts", ids=",".join(ids))
        assert {a["id"] for a in batch["items"]} == set(ids[:2])
        first = await funds.get("/accounts", limit=1)
        assert len(first["items"]) == 1
        assert first["next_cursor"]
        second = await funds.get("/accounts", limit=1, after=first["next_cursor"])
        assert second["items"][0]["id"] != first["items"][0]["id"]
        venue = await funds.org_account("中天物业党支部", "venue_funds")
        many = await funds.get(
            "/accounts",
            organization_ids=f"{funds.city['盈科律所党支部']},{funds.city['中天物业党支部']}",
            kind="organization",
        )
        assert {a["id"] for a in many["items"]} == {setup["branch"]["id"], venue["id"]}
        too_many = await funds.client.get("/accounts", params={"limit": 201}, headers=funds.headers)
        assert too_many.status_code == 422


class TestAccess:
    async def test_district_admin_sees_and_spends_only_in_their_district(
        self, funds: Funds, setup: dict[str, Any], test_issuer: TestIssuer, city: City
    ) -> None:
        erdao = await funds.budget("二道区", "per_member_funds", 10_000)
        nanguan_admin = district_admin(test_issuer, city["南关区"], "admin.nanguan")
        erdao_admin = district_admin(test_issuer, city["二道区"], "admin.erdao")
        budgets = await funds.client.get("/budgets", headers=nanguan_admin)
        assert {b["id"] for b in budgets.json()["items"]} == {setup["budget"]["id"]}
        hidden = await funds.client.get(f"/budgets/{erdao['id']}", headers=nanguan_admin)
        assert hidden.status_code == 404
        hidden_account = await funds.client.get(
            f"/accounts/{setup['branch']['id']}", headers=erdao_admin
        )
        assert hidden_account.status_code == 404
        # references to accounts one may not see are unknown accounts
        refused = await funds.post(
            "/transfers",
            {
                "kind": "appropriation",
                "debit_account_id": setup["budget"]["account_id"],
                "credit_account_id": setup["branch"]["id"],
                "amount_fen": 100,
            },
            headers=erdao_admin,
            expect=422,
        )
        assert refused["error"]["code"] == "unknown_account"
        made = await funds.post(
            "/transfers",
            {
                "kind": "appropriation",
                "debit_account_id": setup["budget"]["account_id"],
                "credit_account_id": setup["branch"]["id"],
                "amount_fen": 100,
            },
            headers=nanguan_admin,
        )
        assert made["created_by"] == "admin.nanguan"
        city_budget = await funds.post(
            "/budgets",
            {
                "fiscal_year": THIS_YEAR,
                "level": "city",
                "region_id": str(city["长春市"]),
                "budget_line": "operating_funds",
                "amount_fen": 100,
            },
            headers=nanguan_admin,
            expect=403,
        )
        assert city_budget["error"]["code"] == "city_wide_role_required"

    async def test_member_sees_own_payee_account_only(
        self, funds: Funds, setup: dict[str, Any], test_issuer: TestIssuer
    ) -> None:
        member_id = uuid.uuid4()
        own = await funds.payee("王书记", member_id=str(member_id))
        member = test_issuer.headers(
            subject="member.wang", roles=["member"], scopes=["funding:read"], member_id=member_id
        )
        listed = await funds.client.get("/accounts", headers=member)
        assert [a["id"] for a in listed.json()["items"]] == [own["id"]]
        other = await funds.client.get(f"/accounts/{setup['payee']['id']}", headers=member)
        assert other.status_code == 404
        write = await funds.client.post(
            "/transfers",
            json={},
            headers={**member, "Idempotency-Key": "k"},
        )
        assert write.status_code == 403
        assert write.json()["error"]["code"] == "insufficient_scope"

    async def test_reads_need_a_token(self, funding: httpx.AsyncClient) -> None:
        response = await funding.get("/accounts")
        assert response.status_code == 401
