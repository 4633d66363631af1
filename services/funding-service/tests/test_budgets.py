"""Budget lines as data and budgets per fiscal year, level, region and line."""

from __future__ import annotations

import uuid

import asyncpg

from service_kit.testing import TestIssuer

from .conftest import THIS_YEAR, City, Funds, district_admin
from .test_ledger import assert_ledger_invariants


class TestBudgetLines:
    async def test_rule_the_four_lines_are_seeded(self, funds: Funds) -> None:
        lines = await funds.get("/budget-lines")
        assert {line["code"]: line["name"] for line in lines} == {
            "operating_funds": "工委工作经费",
            "per_member_funds": "基层党建工作经费",
            "venue_funds": "阵地建设运行经费",
            "secretary_allowance": "党组织书记津贴",
        }

    async def test_rule_a_new_line_works_without_a_change_of_code(
        self, funds: Funds, db: asyncpg.Connection
    ) -> None:
        line = await funds.post(
            "/budget-lines",
            {"code": "party_building_projects", "name": "党建项目经费", "description": "二道区"},
        )
        budget = await funds.budget("二道区", "party_building_projects", 300_000)
        assert (budget["budget_line"], budget["budget_line_name"]) == (line["code"], "党建项目经费")
        account = await funds.org_account("汇通驾校党支部", "party_building_projects")
        await funds.transfer("appropriation", budget["account_id"], account["id"], 100_000)
        export = await funds.get("/exports/budget-execution", budget_line="party_building_projects")
        assert [b["executed_fen"] for b in export["items"]] == [100_000]
        again = await funds.post(
            "/budget-lines", {"code": "party_building_projects", "name": "x"}, expect=409
        )
        assert again["error"]["code"] == "budget_line_exists"
        bad = await funds.client.post(
            "/budget-lines",
            json={"code": "Not A Code", "name": "x"},
            headers={**funds.headers, "Idempotency-Key": "bad-code"},
        )
        assert bad.status_code == 422
        await assert_ledger_invariants(db)

    async def test_only_city_admins_add_lines(
        self, funds: Funds, test_issuer: TestIssuer, city: City
    ) -> None:
        refused = await funds.post(
            "/budget-lines",
            {"code": "other", "name": "其他"},
            headers=district_admin(test_issuer, city["南关区"]),
            expect=403,
        )
        assert refused["error"]["code"] == "insufficient_scope"


class TestBudgets:
    async def test_rule_a_budget_is_funded_from_the_treasury_of_its_level_and_region(
        self, funds: Funds, city: City, db: asyncpg.Connection
    ) -> None:
        budget = await funds.budget("农安县", "secretary_allowance", 2_400_000)
        assert (budget["level"], budget["region_name"], budget["district_id"]) == (
            "district",
            "农安县",
            str(city["农安县"]),
        )
        treasury = (await funds.get("/accounts", kind="treasury"))["items"]
        assert [(t["name"], t["balance_fen"]) for t in treasury] == [("农安县财政预算", -2_400_000)]
        allocation = (await funds.get("/transfers", budget_id=budget["id"]))["items"]
        assert [(t["kind"], t["amount_fen"]) for t in allocation] == [
            ("budget_allocation", 2_400_000)
        ]
        await assert_ledger_invariants(db)

    async def test_rule_one_budget_per_year_level_region_and_line(
        self, funds: Funds, city: City
    ) -> None:
        await funds.budget("南关区", "venue_funds", 100)
        again = await funds.post(
            "/budgets",
            {
                "fiscal_year": THIS_YEAR,
                "level": "district",
                "region_id": str(city["南关区"]),
                "budget_line": "venue_funds",
                "amount_fen": 100,
            },
            expect=409,
        )
        assert again["error"]["code"] == "budget_exists"
        await funds.budget("南关区", "venue_funds", 100, year=THIS_YEAR + 1)

    async def test_regions_are_checked_in_org_service(self, funds: Funds, city: City) -> None:
        body = {"fiscal_year": THIS_YEAR, "budget_line": "venue_funds", "amount_fen": 100}
        cases = [
            ({"level": "district", "region_id": str(uuid.uuid4())}, "region_not_found"),
            ({"level": "district", "region_id": str(city["南岭街道"])}, "region_not_at_level"),
            ({"level": "district", "region_id": str(city["长春市"])}, "region_not_at_level"),
            ({"level": "city", "region_id": str(city["南关区"])}, "region_not_at_level"),
        ]
        for extra, code in cases:
            refused = await funds.post("/budgets", {**body, **extra}, expect=422)
            assert refused["error"]["code"] == code, extra

    async def test_rule_a_budget_is_never_lowered_below_its_execution(
        self, funds: Funds, db: asyncpg.Connection
    ) -> None:
        budget = await funds.budget("二道区", "venue_funds", 100_000)
        payee = await funds.payee("物业公司")
        await funds.transfer("disbursement", budget["account_id"], payee["id"], 70_000)
        path = f"/budgets/{budget['id']}/adjustments"
        refused = await funds.post(path, {"change": "decrease", "amount_fen": 30_001}, expect=422)
        assert refused["error"]["code"] == "budget_below_execution"
        lowered = await funds.post(path, {"change": "decrease", "amount_fen": 30_000}, expect=200)
        assert (lowered["budgeted_fen"], lowered["executed_fen"], lowered["available_fen"]) == (
            70_000,
            70_000,
            0,
        )
        raised = await funds.post(path, {"change": "increase", "amount_fen": 5_000}, expect=200)
        assert raised["available_fen"] == 5_000
        await assert_ledger_invariants(db)

    async def test_budgets_by_year_level_region_and_line(self, funds: Funds, city: City) -> None:
        await funds.budget("南关区", "venue_funds", 100)
        await funds.budget("南关区", "secretary_allowance", 200)
        await funds.budget("二道区", "venue_funds", 300)
        await funds.budget("长春市", "operating_funds", 400)
        by_region = await funds.get("/budgets", region_id=str(city["南关区"]))
        assert sorted(b["budgeted_fen"] for b in by_region["items"]) == [100, 200]
        by_line = await funds.get("/budgets", budget_line="venue_funds", level="district")
        assert sorted(b["budgeted_fen"] for b in by_line["items"]) == [100, 300]
        city_level = await funds.get("/budgets", level="city", fiscal_year=THIS_YEAR)
        assert [b["budgeted_fen"] for b in city_level["items"]] == [400]
        unknown_line = await funds.client.get(
            "/budgets", params={"budget_line": "nope"}, headers=funds.headers
        )
        assert unknown_line.json()["error"]["code"] == "unknown_budget_line"
