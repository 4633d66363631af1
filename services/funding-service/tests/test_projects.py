"""Party-building projects: a district turns budget into projects, organizations of the
district bid if their star level is high enough, and an award moves the funds.

rating-service is not running in these tests (its address answers nothing), so the level
comes from the projection of rating.star_level.changed: the documented fallback. The
bid records which source decided it.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import asyncpg
import pytest

from service_kit.testing import TestIssuer

from .conftest import City, Funds, district_admin, secretary
from .test_ledger import assert_ledger_invariants


async def stars(funds: Funds, issuer: TestIssuer, organization: uuid.UUID, level: int) -> None:
    await funds.event(
        issuer,
        "rating.star_level.changed",
        organization,
        {
            "subject_kind": "organization",
            "subject_id": str(organization),
            "stars": level,
            "previous_stars": None,
            "valid_from": "2024-01-01",
            "valid_until": None,
            "showcase": False,
        },
    )


@pytest.fixture
async def project(funds: Funds, test_issuer: TestIssuer, city: City) -> dict[str, Any]:
    budget = await funds.budget("南关区", "per_member_funds", 500_000)
    await stars(funds, test_issuer, city["盈科律所党支部"], 4)
    await stars(funds, test_issuer, city["中天物业党支部"], 2)
    made = await funds.post(
        "/projects",
        {
            "title": "楼宇党建阵地提升",
            "budget_id": budget["id"],
            "budget_fen": 200_000,
            "min_stars": 3,
            "bids_close_on": (date.today() + timedelta(days=30)).isoformat(),
        },
        headers=district_admin(test_issuer, city["南关区"], "admin.nanguan"),
    )
    return {"budget": budget, "project": made}


async def bid(
    funds: Funds, project: dict[str, Any], organization: uuid.UUID, amount: int, **kw: Any
) -> dict[str, Any]:
    return await funds.post(
        f"/projects/{project['project']['id']}/bids",
        {"organization_id": str(organization), "amount_fen": amount, "proposal": "方案"},
        **kw,
    )


class TestBids:
    async def test_rule_a_bid_below_the_star_level_is_refused(
        self, funds: Funds, project: dict[str, Any], city: City, db: asyncpg.Connection
    ) -> None:
        refused = await bid(funds, project, city["中天物业党支部"], 50_000, expect=422)
        assert refused["error"]["code"] == "star_level_too_low"
        assert refused["error"]["details"] == {
            "organization_id": str(city["中天物业党支部"]),
            "stars": 2,
            "min_stars": 3,
            "source": "projection",
        }
        assert await db.fetchval("SELECT count(*) FROM project_bid") == 0

    async def test_an_organization_without_a_star_level_cannot_bid(
        self, funds: Funds, project: dict[str, Any], city: City
    ) -> None:
        refused = await bid(funds, project, city["星火源综合党委"], 50_000, expect=422)
        assert refused["error"]["code"] == "star_level_too_low"
        assert refused["error"]["details"]["stars"] is None

    async def test_the_latest_level_decides(
        self, funds: Funds, project: dict[str, Any], city: City, test_issuer: TestIssuer
    ) -> None:
        await stars(funds, test_issuer, city["中天物业党支部"], 3)
        made = await bid(funds, project, city["中天物业党支部"], 50_000)
        assert (made["stars"], made["star_source"]) == (3, "projection")

    async def test_bids_are_for_organizations_of_the_district_while_bidding_is_open(
        self,
        funds: Funds,
        project: dict[str, Any],
        city: City,
        test_issuer: TestIssuer,
        db: asyncpg.Connection,
    ) -> None:
        await stars(funds, test_issuer, city["汇通驾校党支部"], 5)
        outside = await bid(funds, project, city["汇通驾校党支部"], 50_000, expect=422)
        assert outside["error"]["code"] == "organization_outside_district"
        committee = await bid(funds, project, city["南关区党工委"], 50_000, expect=422)
        assert committee["error"]["code"] == "working_committee_cannot_bid"
        unknown = await bid(funds, project, uuid.uuid4(), 50_000, expect=422)
        assert unknown["error"]["code"] == "organization_not_found"
        too_much = await bid(funds, project, city["盈科律所党支部"], 200_001, expect=422)
        assert too_much["error"]["code"] == "bid_exceeds_project_budget"
        await bid(funds, project, city["盈科律所党支部"], 150_000)
        twice = await bid(funds, project, city["盈科律所党支部"], 150_000, expect=409)
        assert twice["error"]["code"] == "bid_exists"
        await db.execute(
            "UPDATE project SET bids_close_on = current_date - 1 WHERE id = $1",
            uuid.UUID(project["project"]["id"]),
        )
        await stars(funds, test_issuer, city["中天物业党支部"], 3)
        closed = await bid(funds, project, city["中天物业党支部"], 10_000, expect=422)
        assert closed["error"]["code"] == "bidding_closed"

    async def test_a_secretary_bids_for_their_own_organization(
        self, funds: Funds, project: dict[str, Any], city: City, test_issuer: TestIssuer
    ) -> None:
        headers = secretary(test_issuer, city["盈科律所党支部"], "secretary.yingke")
        made = await bid(funds, project, city["盈科律所党支部"], 80_000, headers=headers)
        assert made["organization_name"] == "盈科律所党支部"
        await stars(funds, test_issuer, city["中天物业党支部"], 5)
        other = await bid(
            funds, project, city["中天物业党支部"], 80_000, headers=headers, expect=403
        )
        assert other["error"]["code"] == "outside_your_organizations"
        listed = await funds.client.get(
            f"/projects/{project['project']['id']}/bids", headers=headers
        )
        assert [b["id"] for b in listed.json()["items"]] == [made["id"]]


class TestAwards:
    async def test_rule_awarding_a_bid_commits_the_funds(
        self, funds: Funds, project: dict[str, Any], city: City, db: asyncpg.Connection
    ) -> None:
        made = await bid(funds, project, city["盈科律所党支部"], 150_000)
        awarded = await funds.post(
            f"/projects/{project['project']['id']}/awards", {"bid_id": made["id"]}, expect=200
        )
        assert awarded["status"] == "awarded"
        transfer = await funds.get(f"/transfers/{awarded['transfer_id']}")
        assert (transfer["kind"], transfer["amount_fen"]) == ("project_award", 150_000)
        account = await funds.get(f"/accounts/{transfer['credit_account_id']}")
        assert (account["organization_id"], account["budget_line"], account["balance_fen"]) == (
            str(city["盈科律所党支部"]),
            "per_member_funds",
            150_000,
        )
        budget = await funds.get(f"/budgets/{project['budget']['id']}")
        assert budget["executed_fen"] == 150_000
        state = await funds.get(f"/projects/{project['project']['id']}")
        assert state["awarded_fen"] == 150_000
        batch = await funds.get("/projects", ids=f"{project['project']['id']},{uuid.uuid4()}")
        assert [p["awarded_fen"] for p in batch["items"]] == [150_000]
        again = await funds.post(
            f"/projects/{project['project']['id']}/awards", {"bid_id": made["id"]}, expect=409
        )
        assert again["error"]["code"] == "bid_already_awarded"
        await assert_ledger_invariants(db)

    async def test_awards_never_exceed_the_project_budget(
        self, funds: Funds, project: dict[str, Any], city: City, test_issuer: TestIssuer
    ) -> None:
        first = await bid(funds, project, city["盈科律所党支部"], 150_000)
        await stars(funds, test_issuer, city["中天物业党支部"], 3)
        second = await bid(funds, project, city["中天物业党支部"], 60_000)
        path = f"/projects/{project['project']['id']}/awards"
        await funds.post(path, {"bid_id": first["id"]}, expect=200)
        refused = await funds.post(path, {"bid_id": second["id"]}, expect=422)
        assert refused["error"]["code"] == "project_budget_exceeded"
        partly = await funds.post(path, {"bid_id": second["id"], "amount_fen": 50_000}, expect=200)
        assert partly["status"] == "awarded"

    async def test_a_reversed_award_can_be_awarded_again(
        self, funds: Funds, project: dict[str, Any], city: City
    ) -> None:
        made = await bid(funds, project, city["盈科律所党支部"], 100_000)
        path = f"/projects/{project['project']['id']}/awards"
        awarded = await funds.post(path, {"bid_id": made["id"]}, expect=200)
        await funds.post(f"/transfers/{awarded['transfer_id']}/reversal", {})
        state = await funds.get(f"/projects/{project['project']['id']}")
        assert state["awarded_fen"] == 0
        again = await funds.post(path, {"bid_id": made["id"]}, expect=200)
        assert again["transfer_id"] != awarded["transfer_id"]


class TestProjects:
    async def test_a_project_is_funded_from_a_district_budget_that_can_pay_it(
        self, funds: Funds, test_issuer: TestIssuer, city: City
    ) -> None:
        city_budget = await funds.budget("长春市", "operating_funds", 100_000)
        district = await funds.budget("二道区", "venue_funds", 100_000)
        base = {
            "title": "项目",
            "min_stars": 3,
            "bids_close_on": (date.today() + timedelta(days=3)).isoformat(),
        }
        not_district = await funds.post(
            "/projects", {**base, "budget_id": city_budget["id"], "budget_fen": 100}, expect=422
        )
        assert not_district["error"]["code"] == "project_budget_not_district"
        too_big = await funds.post(
            "/projects", {**base, "budget_id": district["id"], "budget_fen": 100_001}, expect=422
        )
        assert too_big["error"]["code"] == "budget_exceeded"
        past = await funds.post(
            "/projects",
            {**base, "budget_id": district["id"], "budget_fen": 100, "bids_close_on": "2020-01-01"},
            expect=422,
        )
        assert past["error"]["code"] == "bids_close_in_past"
        other_district = await funds.post(
            "/projects",
            {**base, "budget_id": district["id"], "budget_fen": 100},
            headers=district_admin(test_issuer, city["南关区"]),
            expect=404,
        )
        assert other_district["error"]["code"] == "budget_not_found"
        stars_out_of_range = await funds.client.post(
            "/projects",
            json={**base, "budget_id": district["id"], "budget_fen": 100, "min_stars": 6},
            headers={**funds.headers, "Idempotency-Key": "k6"},
        )
        assert stars_out_of_range.status_code == 422
