"""Size rules (DOMAIN.md "Organizations"): each rule by name, its severity, and what it writes."""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from org_service.organizations.rules import RULES
from org_service.work_targets.credit_code import ALPHABET, check_character

from .conftest import Tree

REFUSING = {
    "branch_needs_three_full_members",
    "functional_branch_three_dispatched_members",
    "functional_branch_serves_target_without_members",
}


async def found(t: Tree, name: str, kind: str = "branch", **body: Any) -> httpx.Response:
    """POST /organizations under 星火源综合党委 (or `parent`; None: a root), in 南关区."""
    parent = body.pop("parent", "星火源综合党委")
    response = await t.client.post(
        "/organizations",
        json={
            "name": name,
            "kind": kind,
            "region_id": str(t.ids["南关区"]),
            "parent_id": str(t.ids[parent]) if parent else None,
            **body,
        },
        headers=t.headers,
    )
    if response.status_code == 201:
        t.ids[name] = uuid.UUID(response.json()["id"])
    return response


async def report(t: Tree, name: str, **counts: Any) -> httpx.Response:
    return await t.client.put(
        f"/organizations/{t.ids[name]}/member-counts", json=counts, headers=t.headers
    )


def warned(response: httpx.Response) -> set[str]:
    return {w["rule"] for w in response.json()["warnings"]}


def code(response: httpx.Response) -> str:
    value: str = response.json()["error"]["code"]
    return value


async def work_target(t: Tree, party_member_count: int) -> str:
    body17 = "91220102" + "".join(random.choices(ALPHABET, k=9))
    response = await t.client.post(
        "/work-targets",
        json={
            "name": f"某企业{body17[-4:]}",
            "kind": "enterprise",
            "industry": "retail",
            "region_id": str(t.ids["南关区"]),
            "registered_on": "2018-01-01",
            "credit_code": body17 + check_character(body17),
            "party_member_count": party_member_count,
        },
        headers=t.headers,
    )
    assert response.status_code == 201, response.text
    target_id: str = response.json()["id"]
    return target_id


async def count(url: str, table: str) -> int:
    engine = create_async_engine(url.replace("postgresql://", "postgresql+asyncpg://"))
    async with engine.connect() as conn:
        value = (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()  # noqa: S608
    await engine.dispose()
    return int(value)


class TestRuleTable:
    async def test_rules_endpoint_lists_each_rule_with_its_severity(self, tree: Tree) -> None:
        response = await tree.client.get("/organization-rules", headers=tree.headers)
        assert response.status_code == 200
        listed = {r["id"]: r for r in response.json()}
        assert set(listed) == {rule.id for rule in RULES}
        assert {i for i, r in listed.items() if r["severity"] == "refuse"} == REFUSING
        assert all(r["description"] and r["checked_on"] for r in listed.values())

    async def test_rules_endpoint_needs_read_scope(self, tree: Tree) -> None:
        response = await tree.client.get("/organization-rules")
        assert response.status_code == 401


class TestFounding:
    async def test_rule_branch_needs_three_full_members(self, tree: Tree, org_db_url: str) -> None:
        before = (await count(org_db_url, "organization"), await count(org_db_url, "audit_record"))
        response = await found(tree, "两人支部", full_members=2)
        assert response.status_code == 422
        assert code(response) == "branch_needs_three_full_members"
        assert "joint" in response.json()["error"]["message"]
        assert response.json()["error"]["details"]["severity"] == "refuse"
        after = (await count(org_db_url, "organization"), await count(org_db_url, "audit_record"))
        assert after == before
        ok = await found(tree, "三人支部", full_members=3, probationary_members=1)
        assert ok.status_code == 201, ok.text
        assert ok.json()["warnings"] == []
        assert (ok.json()["full_members"], ok.json()["probationary_members"]) == (3, 1)

    async def test_rule_branch_needs_three_full_members_for_a_joint_branch(
        self, tree: Tree
    ) -> None:
        joint = {"formation": "joint", "joint_mode": "area"}
        response = await found(tree, "联合支部", full_members=2, **joint)
        assert (response.status_code, code(response)) == (422, "branch_needs_three_full_members")
        assert (await found(tree, "联合支部", full_members=3, **joint)).status_code == 201

    async def test_rule_functional_branch_three_dispatched_members(self, tree: Tree) -> None:
        dispatched = {"formation": "dispatched", "parent": "南关区党工委"}
        for wrong in (2, 4):
            response = await found(tree, "功能型党支部", dispatched_members=wrong, **dispatched)
            assert response.status_code == 422
            assert code(response) == "functional_branch_three_dispatched_members"
        ok = await found(tree, "功能型党支部", dispatched_members=3, **dispatched)
        assert ok.status_code == 201, ok.text
        assert (ok.json()["dispatched_members"], ok.json()["full_members"]) == (3, 0)
        assert ok.json()["is_functional_branch"] is True

    async def test_rule_functional_branch_serves_target_without_members(self, tree: Tree) -> None:
        dispatched = {"formation": "dispatched", "parent": "南关区党工委", "dispatched_members": 3}
        organized = await work_target(tree, party_member_count=2)
        response = await found(tree, "功能型党支部", serves_work_target_id=organized, **dispatched)
        assert response.status_code == 422
        assert code(response) == "functional_branch_serves_target_without_members"
        empty = await work_target(tree, party_member_count=0)
        ok = await found(tree, "功能型党支部", serves_work_target_id=empty, **dispatched)
        assert ok.status_code == 201, ok.text
        assert ok.json()["serves_work_target_id"] == empty
        assert ok.json()["warnings"] == []

    async def test_unknown_work_target_is_refused(self, tree: Tree) -> None:
        response = await found(
            tree,
            "功能型党支部",
            formation="dispatched",
            parent="南关区党工委",
            dispatched_members=3,
            serves_work_target_id=str(uuid.uuid4()),
        )
        assert (response.status_code, code(response)) == (422, "work_target_not_found")

    async def test_dispatched_fields_only_for_functional_branch(self, tree: Tree) -> None:
        response = await found(tree, "普通支部", full_members=3, dispatched_members=3)
        assert (response.status_code, code(response)) == (422, "not_a_functional_branch")

    async def test_rule_member_counts_reported(self, tree: Tree) -> None:
        response = await found(tree, "未报人数支部")
        assert response.status_code == 201
        assert warned(response) == {"member_counts_reported"}
        assert response.json()["full_members"] is None

    async def test_rule_branch_committee_for_seven_full_members_at_founding(
        self, tree: Tree
    ) -> None:
        response = await found(tree, "七人支部", full_members=7)
        assert response.status_code == 201
        assert warned(response) == {"branch_committee_for_seven_full_members"}
        with_committee = await found(tree, "七人支部二", full_members=7, committee_size=3)
        assert warned(with_committee) == set()

    async def test_founded_before_the_parents_latest_change_is_refused(self, tree: Tree) -> None:
        renamed = await tree.client.post(
            f"/organizations/{tree.ids['星火源综合党委']}/rename",
            json={"name": "星火源综合党委（新）"},
            headers=tree.headers,
        )
        assert renamed.status_code == 200, renamed.text
        earlier = (date.today() - timedelta(days=30)).isoformat()
        response = await found(tree, "早支部", full_members=3, founded_on=earlier)
        assert (response.status_code, code(response)) == (422, "effective_date_before_last_change")
        assert date.today().isoformat() in response.json()["error"]["message"]

    async def test_founded_in_future_is_refused(self, tree: Tree) -> None:
        tomorrow = (date.today() + timedelta(days=1)).isoformat()
        response = await found(tree, "明日支部", full_members=3, founded_on=tomorrow)
        assert (response.status_code, code(response)) == (422, "effective_date_in_future")


class TestMemberCounts:
    async def test_rule_unit_below_three_joins_joint_branch(self, tree: Tree) -> None:
        response = await report(tree, "盈科律所党支部", full_members=2, probationary_members=1)
        assert response.status_code == 200, response.text
        assert warned(response) == {"unit_below_three_joins_joint_branch"}
        assert response.json()["full_members"] == 2

    async def test_rule_branch_committee_for_seven_full_members(self, tree: Tree) -> None:
        assert warned(await report(tree, "盈科律所党支部", full_members=7)) == {
            "branch_committee_for_seven_full_members"
        }
        assert warned(await report(tree, "盈科律所党支部", full_members=7, committee_size=6)) == {
            "branch_committee_for_seven_full_members"
        }
        assert (
            warned(await report(tree, "盈科律所党支部", full_members=7, committee_size=5)) == set()
        )

    async def test_rule_branch_at_most_fifty_members(self, tree: Tree) -> None:
        response = await report(
            tree, "盈科律所党支部", full_members=45, probationary_members=6, committee_size=5
        )
        assert response.status_code == 200
        assert warned(response) == {"branch_at_most_fifty_members"}
        fifty = await report(
            tree, "盈科律所党支部", full_members=45, probationary_members=5, committee_size=5
        )
        assert warned(fifty) == set()

    async def test_rule_party_committee_for_hundred_members(self, tree: Tree) -> None:
        response = await report(tree, "盈科律所党支部", full_members=100, committee_size=5)
        assert "party_committee_for_hundred_members" in warned(response)

    async def test_rule_general_branch_fifty_to_hundred_members(self, tree: Tree) -> None:
        await report(tree, "盈科律所党支部", full_members=30, committee_size=5)
        upgraded = await tree.client.post(
            f"/organizations/{tree.ids['盈科律所党支部']}/upgrade",
            json={"kind": "general_branch"},
            headers=tree.headers,
        )
        assert upgraded.status_code == 200, upgraded.text
        assert warned(upgraded) == {"general_branch_fifty_to_hundred_members"}
        assert warned(await report(tree, "盈科律所党支部", full_members=60)) == set()

    async def test_rule_functional_branch_three_dispatched_members_on_report(
        self, tree: Tree, org_db_url: str
    ) -> None:
        await found(
            tree,
            "功能型党支部",
            formation="dispatched",
            parent="南关区党工委",
            dispatched_members=3,
        )
        before = await count(org_db_url, "organization_member_count")
        response = await report(tree, "功能型党支部", full_members=0, dispatched_members=4)
        assert (response.status_code, code(response)) == (
            422,
            "functional_branch_three_dispatched_members",
        )
        assert await count(org_db_url, "organization_member_count") == before
        current = await tree.client.get(
            f"/organizations/{tree.ids['功能型党支部']}", headers=tree.headers
        )
        assert current.json()["dispatched_members"] == 3

    async def test_dispatched_members_only_for_functional_branch(self, tree: Tree) -> None:
        response = await report(tree, "盈科律所党支部", full_members=5, dispatched_members=3)
        assert (response.status_code, code(response)) == (422, "not_a_functional_branch")

    async def test_earlier_report_is_history_not_current(self, tree: Tree) -> None:
        founded = (date.today() - timedelta(days=30)).isoformat()
        committee = await found(
            tree,
            "老党工委",
            "working_committee",
            subkind="district",
            parent=None,
            founded_on=founded,
        )
        assert committee.status_code == 201, committee.text
        branch = await found(tree, "老支部", full_members=5, founded_on=founded, parent="老党工委")
        assert branch.status_code == 201, branch.text
        await report(tree, "老支部", full_members=8, committee_size=3)
        earlier = (date.today() - timedelta(days=10)).isoformat()
        response = await report(tree, "老支部", full_members=6, as_of=earlier)
        assert response.status_code == 200, response.text
        assert response.json()["full_members"] == 8
        history = await tree.client.get(
            f"/organizations/{tree.ids['老支部']}/history", headers=tree.headers
        )
        assert [(c["as_of"], c["full_members"]) for c in history.json()["member_counts"]] == [
            (founded, 5),
            (earlier, 6),
            (date.today().isoformat(), 8),
        ]
        then = await tree.client.get(
            f"/organizations/{tree.ids['老支部']}",
            params={"as_of": earlier},
            headers=tree.headers,
        )
        assert then.json()["full_members"] == 6

    async def test_counts_in_future_or_before_founding_are_refused(self, tree: Tree) -> None:
        tomorrow = (date.today() + timedelta(days=1)).isoformat()
        future = await report(tree, "盈科律所党支部", full_members=5, as_of=tomorrow)
        assert (future.status_code, code(future)) == (422, "effective_date_in_future")
        assert (await found(tree, "新支部", full_members=3)).status_code == 201  # founded today
        yesterday = (date.today() - timedelta(days=1)).isoformat()
        early = await report(tree, "新支部", full_members=5, as_of=yesterday)
        assert (early.status_code, code(early)) == (422, "before_founding")

    async def test_negative_count_is_validation_error(self, tree: Tree) -> None:
        response = await report(tree, "盈科律所党支部", full_members=-1)
        assert (response.status_code, code(response)) == (422, "validation_error")

    async def test_report_writes_audit(self, tree: Tree, org_db_url: str) -> None:
        before = await count(org_db_url, "audit_record")
        await report(tree, "盈科律所党支部", full_members=5)
        assert await count(org_db_url, "audit_record") == before + 1
