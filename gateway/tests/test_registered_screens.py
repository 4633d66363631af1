"""The mini-program's registered screens (gateway/src/gateway/persisted): each is valid against
the schema, and answers by its hash what the services answer, in few backend calls."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from graphql import parse, validate

import demo_data
from gateway.persisted import query_hash
from gateway.schema.root import build_schema
from org_service.work_targets.credit_code import check_character

from .conftest import GatewayStack

PERSISTED = Path(__file__).resolve().parents[1] / "src/gateway/persisted"
BRANCH = str(demo_data.organization_id(demo_data.DEMO_BRANCH))
MEMBER_DEMO = str(demo_data.demo_id("member", "member.demo"))
ERDAO = str(demo_data.region_id("二道区"))
TODAY = date.today()


async def by_hash(
    stack: GatewayStack, name: str, token: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    text = (PERSISTED / f"{name}.graphql").read_text(encoding="utf-8")
    body = await stack.graphql(
        None,
        token,
        variables,
        extensions={"persistedQuery": {"version": 1, "sha256Hash": query_hash(text)}},
    )
    assert body.get("errors") is None, body
    data: dict[str, Any] = body["data"]
    return data


@pytest.mark.parametrize("path", sorted(PERSISTED.glob("*.graphql")), ids=lambda p: p.stem)
def test_registered_query_is_valid_against_the_schema(path: Path) -> None:
    schema = build_schema()._schema
    assert validate(schema, parse(path.read_text(encoding="utf-8"))) == []


class TestMemberArchive:
    async def test_newest_entries_first(self, gateway_stack: GatewayStack) -> None:
        token = await gateway_stack.token("member.demo")
        member = (await by_hash(gateway_stack, "member_archive", token))["me"]["member"]
        assert member["name"] == "盈科律所党员"
        assert member["organization"]["name"] == demo_data.DEMO_BRANCH
        seqs = [e["seq"] for e in member["archive"]["nodes"]]
        async with gateway_stack.rest("member", token) as rest:
            listed = await rest.get(f"/members/{MEMBER_DEMO}/archive", params={"limit": 200})
        assert seqs == [e["seq"] for e in reversed(listed.json()["items"])]
        assert seqs == sorted(seqs, reverse=True)


class TestDistrictCoverage:
    async def test_the_districts_figures_and_uncovered_targets(
        self, gateway_stack: GatewayStack
    ) -> None:
        token = await gateway_stack.token("admin.erdao")
        async with gateway_stack.rest("org", token) as rest:
            for i in range(2):
                first17 = f"91220105MA0099{i:03d}"
                created = await rest.post(
                    "/work-targets",
                    json={
                        "name": f"二道区未覆盖企业{i}",
                        "credit_code": first17 + check_character(first17),
                        "kind": "enterprise",
                        "industry": "other",
                        "region_id": ERDAO,
                        "registered_on": "2020-01-01",
                    },
                )
                assert created.status_code == 201, created.text
        year, half = TODAY.year, 1 if TODAY.month <= 6 else 2
        before = await gateway_stack.calls()
        data = await by_hash(
            gateway_stack, "district_coverage", token, {"year": year, "half": half}
        )
        calls = await gateway_stack.calls() - before
        assert data["byRegion"]["total"]["name"] == "二道区"
        assert data["uncovered"]["provisional"] is True
        async with gateway_stack.rest("org", token) as rest:
            inspection = (
                await rest.get(f"/coverage/inspections/{year}/{half}", params={"region_id": ERDAO})
            ).json()
        assert [t["creditCode"] for t in data["uncovered"]["items"]] == [
            t["credit_code"] for t in inspection["items"]
        ]
        names = {t["name"] for t in data["uncovered"]["items"]}
        assert {"二道区未覆盖企业0", "二道区未覆盖企业1"} <= names
        # Two coverage reports and one inspection page: nothing per target or per group.
        assert sum(calls.values()) == 3, calls


class TestCastBallot:
    async def test_the_ballot_cast_names_its_member(self, gateway_stack: GatewayStack) -> None:
        admin = await gateway_stack.token("admin.city")
        async with gateway_stack.rest("rating", admin) as rest:
            created = await rest.post(
                "/campaigns",
                json={
                    "name": "盈科律所支部登记表评议",
                    "organization_id": BRANCH,
                    "period_start": f"{TODAY.year}-01-01",
                    "period_end": f"{TODAY.year}-12-31",
                    "closes_at": (datetime.now(UTC) + timedelta(days=30)).isoformat(),
                },
            )
        assert created.status_code == 201, created.text
        campaign = created.json()
        token = await gateway_stack.token("secretary.demo")
        data = await by_hash(
            gateway_stack,
            "cast_ballot",
            token,
            {
                "campaignId": campaign["id"],
                "input": {
                    "memberId": MEMBER_DEMO,
                    "party": "SECRETARY",
                    "scores": [{"criterion": c, "score": 90} for c in campaign["criteria"]],
                },
            },
        )
        ballot = data["castBallot"]
        assert ballot["memberId"] == MEMBER_DEMO
        assert ballot["party"] == "SECRETARY"
        assert ballot["score"] == 90
