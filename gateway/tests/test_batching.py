"""Backend calls per query: one per (service, key) level of the query, whatever the item count."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

import demo_data

from .conftest import GatewayStack
from .test_screens import HOME, id_number

BRANCHES = 100
MEMBERS_PER_BRANCH = 2
RATED = 3
WITH_ACCOUNTS = 2

LIST_QUERY = """query($p: ID!, $first: Int!) {
  organizations(first: $first, parentId: $p) { nodes {
    name
    members(first: 10) { nodes { name starRating { stars } posts { kind } } }
    secretary { name member { name } }
    starRating { stars }
    memberCounts { fullMembers }
    fundingBalance { totalFen accounts { budgetLine balanceFen } }
  } } }"""


def delta(before: Counter[Any], after: Counter[Any]) -> dict[Any, int]:
    return {k: after[k] - before[k] for k in after if after[k] != before[k]}


@pytest.fixture(scope="module")
async def park(gateway_stack: GatewayStack) -> str:
    """A park committee with 100 branches, two full members each, a secretary each, and
    three branches rated."""
    token = await gateway_stack.token("admin.city")
    region = str(demo_data.region_id("二道区"))
    async with gateway_stack.rest("org", token) as org:
        response = await org.post(
            "/organizations",
            json={
                "name": "二道区物流园综合党委",
                "kind": "party_committee",
                "subkind": "comprehensive",
                "region_id": region,
                "parent_id": str(
                    demo_data.organization_id("二道区非公有制经济组织和社会组织党工委")
                ),
                "founded_on": "2018-01-01",
            },
        )
        assert response.status_code == 201, response.text
        parent = response.json()["id"]
        branches = []
        for i in range(BRANCHES):
            response = await org.post(
                "/organizations",
                json={
                    "name": f"物流企业{i:03d}党支部",
                    "kind": "branch",
                    "region_id": region,
                    "parent_id": parent,
                    "founded_on": "2018-01-01",
                },
            )
            assert response.status_code == 201, response.text
            branches.append(response.json()["id"])
    items = [
        {
            "name": f"物流党员{i:03d}-{j}",
            "id_number": id_number("19800101", (i * MEMBERS_PER_BRANCH + j) % 1000),
            "organization_id": branch,
            "stage": "full_member",
            "applied_on": "2005-03-01",
            "activist_on": "2005-09-01",
            "development_target_on": "2006-10-01",
            "admitted_on": "2007-01-15",
            "full_member_on": "2008-01-15",
        }
        for i, branch in enumerate(branches)
        for j in range(MEMBERS_PER_BRANCH)
    ]
    async with gateway_stack.rest("member", token) as member:
        response = await member.post("/members/bulk", json={"items": items})
        assert response.status_code == 201, response.text
        ids = response.json()["ids"]
        for i, branch in enumerate(branches):
            response = await member.post(
                "/secretary-terms",
                json={
                    "member_id": ids[i * MEMBERS_PER_BRANCH],
                    "organization_id": branch,
                    "term_start": "2020-01-01",
                },
            )
            assert response.status_code == 201, response.text
    async with gateway_stack.rest("rating", token) as rating:
        scheme = (await rating.get("/rating-schemes")).json()["items"][0]
        full_points = {
            indicator["code"]: indicator["max_points"]
            for area in scheme["areas"]
            for indicator in area["indicators"]
        }
        for branch in branches[:RATED]:
            response = await rating.post(
                "/organization-ratings",
                json={
                    "organization_id": branch,
                    "indicator_points": full_points,
                    "showcase_criteria": {
                        "standardized": True,
                        "visualized": True,
                        "signature_method": True,
                        "innovative_project": True,
                        "culture": True,
                    },
                },
            )
            assert response.status_code == 201, response.text
    async with gateway_stack.rest("funding", token) as funding:
        line = (await funding.get("/budget-lines")).json()[0]["code"]
        for i, branch in enumerate(branches[:WITH_ACCOUNTS]):
            response = await funding.post(
                "/accounts",
                json={"kind": "organization", "organization_id": branch, "budget_line": line},
                headers={"Idempotency-Key": f"park-account-{i}"},
            )
            assert response.status_code == 201, response.text
    return parent


class TestListQueries:
    @pytest.mark.parametrize("first", [10, BRANCHES])
    async def test_organizations_with_members_secretaries_and_star_levels(
        self, gateway_stack: GatewayStack, park: str, first: int
    ) -> None:
        token = await gateway_stack.token("admin.city")
        before = await gateway_stack.calls()
        body = await gateway_stack.graphql(LIST_QUERY, token, {"p": park, "first": first})
        after = await gateway_stack.calls()
        assert body.get("errors") is None, body
        nodes = body["data"]["organizations"]["nodes"]
        assert len(nodes) == first
        assert all(len(n["members"]["nodes"]) == MEMBERS_PER_BRANCH for n in nodes)
        assert all(n["secretary"]["member"]["name"].endswith("-0") for n in nodes)
        assert all(n["memberCounts"]["fullMembers"] == MEMBERS_PER_BRANCH for n in nodes)
        rated = {f"物流企业{i:03d}党支部" for i in range(RATED)}
        with_accounts = {f"物流企业{i:03d}党支部" for i in range(WITH_ACCOUNTS)}
        for node in nodes:
            assert node["starRating"] == ({"stars": 5} if node["name"] in rated else None)
            accounts = node["fundingBalance"]["accounts"]
            assert len(accounts) == (1 if node["name"] in with_accounts else 0)
            assert node["fundingBalance"]["totalFen"] == 0
        # One call per (service, key) level, the same for 10 organizations as for 100.
        assert delta(before, after) == {
            ("org", "GET", "/organizations"): 1,
            ("member", "GET", "/organization-members"): 1,
            ("member", "GET", "/member-posts"): 1,
            ("member", "GET", "/secretary-terms"): 1,
            ("member", "GET", "/members"): 1,
            ("member", "GET", "/member-counts"): 1,
            ("rating", "GET", "/star-levels"): 2,
            ("funding", "GET", "/accounts"): 1,
        }

    async def test_members_of_many_organizations_page_by_page(
        self, gateway_stack: GatewayStack, park: str
    ) -> None:
        token = await gateway_stack.token("admin.city")
        query = """query($p: ID!) { organizations(first: 100, parentId: $p) { nodes {
                     members(first: 1) { nodes { name } pageInfo { hasNextPage endCursor } }
                   } } }"""
        before = await gateway_stack.calls()
        body = await gateway_stack.graphql(query, token, {"p": park})
        after = await gateway_stack.calls()
        pages = [n["members"] for n in body["data"]["organizations"]["nodes"]]
        assert all(p["pageInfo"]["hasNextPage"] for p in pages)
        assert delta(before, after) == {
            ("org", "GET", "/organizations"): 1,
            ("member", "GET", "/organization-members"): 1,
        }

    async def test_home_screen_calls_do_not_grow_with_members(
        self, gateway_stack: GatewayStack
    ) -> None:
        token = await gateway_stack.token("secretary.demo")
        before = await gateway_stack.calls()
        body = await gateway_stack.graphql(HOME, token)
        after = await gateway_stack.calls()
        assert body.get("errors") is None, body
        calls = delta(before, after)
        # member-service: counts, secretary, first members, their posts; rating: the two
        # star-level batches and the open campaigns; org: the organization; funding: its
        # accounts (funding-service asks org-service for the secretary's subtree).
        assert calls == {
            ("org", "GET", "/organizations"): 2,
            ("member", "GET", "/member-counts"): 1,
            ("member", "GET", "/secretary-terms"): 1,
            ("member", "GET", "/organization-members"): 1,
            ("member", "GET", "/member-posts"): 1,
            ("rating", "GET", "/star-levels"): 2,
            ("rating", "GET", "/campaigns"): 1,
            ("funding", "GET", "/accounts"): 1,
        }
