"""Bulk writes over HTTP: POST /organizations/bulk and POST /work-targets/coverage/bulk.

Each is all or none: the first refused item refuses the request with the error a single
write gives, its details naming the item, and nothing (rows, audit, events) is stored.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from service_kit.testing import TestIssuer

from .conftest import Tree
from .work_helpers import World, count, db_rows, district_admin

FOUNDED = "2019-03-01"


@pytest.fixture
async def world(tree: Tree) -> World:
    return await World(tree).setup()


async def written(url: str) -> dict[str, int]:
    """How many rows a bulk write may add to, by table."""
    tables = [
        "organization",
        "organization_version",
        "organization_change",
        "work_target_coverage",
        "audit_record",
        "outbox_event",
    ]
    return {t: await count(url, t) for t in tables}


def branch(
    tree: Tree, name: str, parent: str | uuid.UUID = "南关区党工委", **extra: Any
) -> dict[str, Any]:
    parent_id = parent if isinstance(parent, uuid.UUID) else tree.ids[parent]
    return {
        "name": name,
        "kind": "branch",
        "region_id": str(tree.ids["南关区"]),
        "parent_id": str(parent_id),
        "founded_on": FOUNDED,
        **extra,
    }


async def post_organizations(
    tree: Tree, items: list[dict[str, Any]], headers: dict[str, str] | None = None
) -> httpx.Response:
    return await tree.client.post(
        "/organizations/bulk", json={"items": items}, headers=headers or tree.headers
    )


class TestOrganizationsBulk:
    async def test_bulk_creates_many_in_order(self, tree: Tree, org_db_url: str) -> None:
        items = [branch(tree, f"第{n}党支部") for n in range(60)]
        response = await post_organizations(tree, items)
        assert response.status_code == 201, response.text
        ids = response.json()["ids"]
        assert len(set(ids)) == 60
        fetched = await tree.client.get(
            "/organizations", params={"ids": ",".join(ids)}, headers=tree.headers
        )
        by_id = {o["id"]: o for o in fetched.json()["items"]}
        assert [by_id[i]["name"] for i in ids] == [f"第{n}党支部" for n in range(60)]
        assert all(by_id[i]["parent_id"] == str(tree.ids["南关区党工委"]) for i in ids)
        assert all(by_id[i]["founded_on"] == FOUNDED for i in ids)

    async def test_bulk_writes_history_audit_and_event_of_every_item(
        self, tree: Tree, org_db_url: str
    ) -> None:
        items = [branch(tree, f"第{n}党支部", full_members=3 + n) for n in range(5)]
        ids = (await post_organizations(tree, items)).json()["ids"]
        events = await db_rows(
            org_db_url,
            "SELECT subject, type, data FROM outbox_event WHERE subject = ANY(:ids) ORDER BY seq",
            ids=ids,
        )
        assert [e[0] for e in events] == ids  # one each, in the order of the items
        assert {e[1] for e in events} == {"org.organization.changed"}
        assert [e[2]["change"] for e in events] == ["founded"] * 5
        assert [e[2]["organization"]["full_members"] for e in events] == [3, 4, 5, 6, 7]
        audit = await db_rows(
            org_db_url,
            "SELECT entity_id, action, actor FROM audit_record WHERE entity_id = ANY(:ids)",
            ids=ids,
        )
        assert sorted(audit) == sorted((i, "organization.create", "admin.city") for i in ids)
        history = await tree.client.get(f"/organizations/{ids[2]}/history", headers=tree.headers)
        body = history.json()
        assert [c["kind"] for c in body["changes"]] == ["founded"]
        assert [v["valid_from"] for v in body["versions"]] == [FOUNDED]
        assert [c["full_members"] for c in body["member_counts"]] == [5]

    async def test_bulk_parent_in_same_request(self, tree: Tree) -> None:
        committee_id = uuid.uuid4()
        items = [
            {
                "id": str(committee_id),
                "name": "新建综合党委",
                "kind": "party_committee",
                "subkind": "comprehensive",
                "region_id": str(tree.ids["南关区"]),
                "parent_id": str(tree.ids["南关区党工委"]),
                "founded_on": FOUNDED,
            },
            branch(tree, "新建党支部甲", committee_id),
            branch(tree, "新建党支部乙", committee_id),
        ]
        response = await post_organizations(tree, items)
        assert response.status_code == 201, response.text
        ids = response.json()["ids"]
        assert ids[0] == str(committee_id)
        below = await tree.client.get(
            "/organizations", params={"under": str(committee_id)}, headers=tree.headers
        )
        assert {o["id"] for o in below.json()["items"]} == set(ids)
        child = (await tree.client.get(f"/organizations/{ids[1]}", headers=tree.headers)).json()
        assert child["parent_id"] == str(committee_id)
        assert child["depth"] == 4

    async def test_rule_bulk_parent_must_come_earlier(self, tree: Tree, org_db_url: str) -> None:
        committee_id = uuid.uuid4()
        before = await written(org_db_url)
        items = [
            branch(tree, "新建党支部甲", committee_id),
            {
                "id": str(committee_id),
                "name": "新建综合党委",
                "kind": "party_committee",
                "subkind": "comprehensive",
                "region_id": str(tree.ids["南关区"]),
                "parent_id": str(tree.ids["南关区党工委"]),
            },
        ]
        response = await post_organizations(tree, items)
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "parent_not_found"
        assert error["details"]["item"] == 0
        assert await written(org_db_url) == before

    async def test_rule_bulk_invalid_item_refuses_whole_request(
        self, tree: Tree, org_db_url: str
    ) -> None:
        before = await written(org_db_url)
        items = [branch(tree, f"第{n}党支部") for n in range(10)]
        items[6] = branch(tree, "错误支部", "盈科律所党支部")  # a branch under a branch
        response = await post_organizations(tree, items)
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "invalid_parent_kind"  # what the single create says
        assert error["details"]["item"] == 6
        assert error["details"]["field"] == "parent_id"
        assert await written(org_db_url) == before

    async def test_rule_bulk_child_not_founded_before_parent_of_same_request(
        self, tree: Tree, org_db_url: str
    ) -> None:
        committee_id = uuid.uuid4()
        before = await written(org_db_url)
        items = [
            {
                "id": str(committee_id),
                "name": "新建综合党委",
                "kind": "party_committee",
                "subkind": "comprehensive",
                "region_id": str(tree.ids["南关区"]),
                "parent_id": str(tree.ids["南关区党工委"]),
                "founded_on": "2020-01-01",
            },
            branch(tree, "早于上级的支部", committee_id, founded_on="2019-12-31"),
        ]
        response = await post_organizations(tree, items)
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "effective_date_before_last_change"
        assert error["details"]["item"] == 1
        assert await written(org_db_url) == before

    async def test_rule_bulk_ids_unique_within_request(self, tree: Tree, org_db_url: str) -> None:
        same = str(uuid.uuid4())
        before = await written(org_db_url)
        items = [branch(tree, "甲", id=same), branch(tree, "乙", id=same)]
        response = await post_organizations(tree, items)
        assert response.status_code == 409
        error = response.json()["error"]
        assert error["code"] == "organization_exists"
        assert error["details"] == {"id": same, "item": 1}
        assert await written(org_db_url) == before

    async def test_rule_bulk_known_id_is_refused(self, tree: Tree) -> None:
        items = [branch(tree, "甲"), branch(tree, "乙", id=str(tree.ids["盈科律所党支部"]))]
        response = await post_organizations(tree, items)
        assert response.status_code == 409
        assert response.json()["error"]["details"]["item"] == 1

    async def test_rule_bulk_at_most_500_items(self, tree: Tree, org_db_url: str) -> None:
        before = await written(org_db_url)
        too_many = await post_organizations(tree, [branch(tree, f"支部{n}") for n in range(501)])
        assert too_many.status_code == 422
        assert too_many.json()["error"]["code"] == "validation_error"
        none = await post_organizations(tree, [])
        assert none.status_code == 422
        assert await written(org_db_url) == before

    async def test_rule_bulk_needs_write_scope(
        self, tree: Tree, test_issuer: TestIssuer, org_db_url: str
    ) -> None:
        before = await written(org_db_url)
        reader = test_issuer.headers(subject="r", roles=["city_admin"], scopes=["org:read"])
        response = await post_organizations(tree, [branch(tree, "甲")], reader)
        assert response.status_code == 403
        assert await written(org_db_url) == before

    async def test_rule_bulk_caller_writes_only_own_region(
        self, tree: Tree, test_issuer: TestIssuer, org_db_url: str
    ) -> None:
        admin = test_issuer.headers(
            subject="admin.南关区",
            roles=["district_admin"],
            scopes=["org:read", "org:write"],
            region_id=tree.ids["南关区"],
        )
        before = await written(org_db_url)
        elsewhere = {
            **branch(tree, "农安支部", "农安县党工委"),
            "region_id": str(tree.ids["农安县"]),
        }
        response = await post_organizations(tree, [branch(tree, "甲"), elsewhere], admin)
        assert response.status_code == 403
        error = response.json()["error"]
        assert error["code"] == "region_outside_scope"
        assert error["details"]["item"] == 1
        assert await written(org_db_url) == before
        ok = await post_organizations(tree, [branch(tree, "甲"), branch(tree, "乙")], admin)
        assert ok.status_code == 201, ok.text


# --- coverage links ---------------------------------------------------------------------------


def link(
    world: World, target: str, org: str, mode: str, valid_from: str, **extra: Any
) -> dict[str, Any]:
    return {
        "work_target_id": str(world.ids[target]),
        "organization_id": str(world.ids[org]),
        "mode": mode,
        "valid_from": valid_from,
        **extra,
    }


async def post_links(
    world: World, items: list[dict[str, Any]], headers: dict[str, str] | None = None
) -> httpx.Response:
    return await world.client.post(
        "/work-targets/coverage/bulk", json={"items": items}, headers=headers or world.headers
    )


async def links_of(world: World, target: str) -> list[tuple[str, str, str | None]]:
    response = await world.client.get(
        f"/work-targets/{world.ids[target]}/coverage", headers=world.headers
    )
    return [(i["id"], i["valid_from"], i["valid_to"]) for i in response.json()["items"]]


class TestCoverageBulk:
    async def test_bulk_starts_many_in_order(self, world: World, org_db_url: str) -> None:
        names = [f"商户{n}" for n in range(25)]
        for name in names:
            await world.target(name, "南岭街道", place="中天大厦")
        items = [link(world, n, "红旗商圈联合支部", "joint", "2019-01-01") for n in names]
        response = await post_links(world, items)
        assert response.status_code == 201, response.text
        ids = response.json()["ids"]
        assert len(ids) == 25
        for name, link_id in zip(names, ids, strict=True):
            assert await links_of(world, name) == [(link_id, "2019-01-01", None)]
        target = await world.client.get(
            f"/work-targets/{world.ids[names[3]]}", headers=world.headers
        )
        assert target.json()["coverage"]["link_id"] == ids[3]

    async def test_bulk_audits_and_publishes_every_link(
        self, world: World, org_db_url: str
    ) -> None:
        items = [
            link(world, "盈科律师事务所", "盈科律所支部", "own", "2019-01-01"),
            link(world, "中天物业", "红旗商圈联合支部", "joint", "2019-01-01"),
            link(world, "北湖网络", "红旗商圈功能型支部", "dispatched", "2019-01-01"),
        ]
        ids = (await post_links(world, items)).json()["ids"]
        targets = [str(world.ids[t]) for t in ("盈科律师事务所", "中天物业", "北湖网络")]
        events = await db_rows(
            org_db_url,
            "SELECT subject, data FROM outbox_event WHERE subject = ANY(:ids) "
            "AND type = 'org.work_target.coverage_changed' ORDER BY seq",
            ids=targets,
        )
        assert [e[0] for e in events] == targets
        assert [e[1]["change"] for e in events] == ["started"] * 3
        assert [e[1]["link"]["id"] for e in events] == ids
        assert [e[1]["coverage"]["link_id"] for e in events] == ids
        assert [e[1]["coverage"]["state"] for e in events] == ["organizational"] * 3
        audit = await db_rows(
            org_db_url,
            "SELECT entity_id, after->>'id' FROM audit_record "
            "WHERE action = 'work_target.coverage.start' ORDER BY entity_id",
        )
        assert sorted(audit) == sorted(zip(targets, ids, strict=True))

    async def test_rule_bulk_invalid_item_refuses_whole_request(
        self, world: World, org_db_url: str
    ) -> None:
        before = await written(org_db_url)
        items = [
            link(world, "盈科律师事务所", "盈科律所支部", "own", "2019-01-01"),
            link(world, "中天物业", "红旗商圈联合支部", "dispatched", "2019-01-01"),
            link(world, "北湖网络", "红旗商圈功能型支部", "dispatched", "2019-01-01"),
        ]
        response = await post_links(world, items)
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "dispatched_coverage_needs_functional_branch"
        assert error["details"]["item"] == 1
        assert error["details"]["field"] == "mode"
        assert await written(org_db_url) == before

    async def test_rule_bulk_unknown_target_names_item(self, world: World, org_db_url: str) -> None:
        before = await written(org_db_url)
        items = [
            link(world, "盈科律师事务所", "盈科律所支部", "own", "2019-01-01"),
            {
                **link(world, "中天物业", "红旗商圈联合支部", "joint", "2019-01-01"),
                "work_target_id": str(uuid.uuid4()),
            },
        ]
        response = await post_links(world, items)
        assert response.status_code == 404
        error = response.json()["error"]
        assert error["code"] == "work_target_not_found"
        assert error["details"]["item"] == 1
        assert await written(org_db_url) == before

    async def test_rule_bulk_one_open_link_between_items(
        self, world: World, org_db_url: str
    ) -> None:
        before = await written(org_db_url)
        items = [
            link(world, "中天物业", "红旗商圈功能型支部", "dispatched", "2019-01-01"),
            link(world, "中天物业", "红旗商圈联合支部", "joint", "2020-01-01"),
        ]
        response = await post_links(world, items)
        assert response.status_code == 409
        error = response.json()["error"]
        assert error["code"] == "coverage_link_open"
        assert error["details"]["item"] == 1
        assert await written(org_db_url) == before

    async def test_rule_bulk_replacing_link_starts_after_earlier_item(
        self, world: World, org_db_url: str
    ) -> None:
        before = await written(org_db_url)
        items = [
            link(world, "中天物业", "红旗商圈功能型支部", "dispatched", "2019-01-01"),
            link(world, "中天物业", "红旗商圈联合支部", "joint", "2019-01-01", replace=True),
        ]
        response = await post_links(world, items)
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "end_before_start"
        assert response.json()["error"]["details"]["item"] == 1
        assert await written(org_db_url) == before

    async def test_rule_bulk_replace_ends_link_of_earlier_item(
        self, world: World, org_db_url: str
    ) -> None:
        items = [
            link(world, "中天物业", "红旗商圈功能型支部", "dispatched", "2019-01-01"),
            link(world, "中天物业", "红旗商圈联合支部", "joint", "2020-01-01", replace=True),
        ]
        response = await post_links(world, items)
        assert response.status_code == 201, response.text
        first, second = response.json()["ids"]
        assert await links_of(world, "中天物业") == [
            (first, "2019-01-01", "2020-01-01"),
            (second, "2020-01-01", None),
        ]
        events = await db_rows(
            org_db_url,
            "SELECT data FROM outbox_event WHERE type = 'org.work_target.coverage_changed' "
            "AND subject = :id ORDER BY seq",
            id=str(world.ids["中天物业"]),
        )
        data = [e[0] for e in events]
        assert [d["change"] for d in data] == ["started", "replaced"]
        # each event carries the coverage right after its own change
        assert data[0]["coverage"]["link_id"] == first
        assert data[1]["coverage"]["link_id"] == second
        assert data[1]["previous_link"]["id"] == first
        assert data[1]["previous_link"]["valid_to"] == "2020-01-01"

    async def test_rule_bulk_coverage_within_registration(self, world: World) -> None:
        items = [
            link(world, "盈科律师事务所", "盈科律所支部", "own", "2019-01-01"),
            link(world, "中天物业", "红旗商圈联合支部", "joint", "2017-06-01"),
        ]
        response = await post_links(world, items)
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "outside_registration"
        assert response.json()["error"]["details"]["item"] == 1

    async def test_rule_bulk_coverage_not_before_founding(self, world: World) -> None:
        await world.tree.org(
            "新联合支部",
            "branch",
            "南关区",
            "南关区工委2018",
            formation="joint",
            joint_mode="area",
            founded_on="2020-01-01",
        )
        items = [
            link(world, "北湖网络", "新联合支部", "joint", "2020-01-01"),
            link(world, "中天物业", "新联合支部", "joint", "2019-06-01"),
        ]
        response = await post_links(world, items)
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "before_founding"
        assert response.json()["error"]["details"]["item"] == 1
        items[1]["valid_from"] = "2020-02-01"
        assert (await post_links(world, items)).status_code == 201

    async def test_rule_bulk_at_most_1000_items(self, world: World, org_db_url: str) -> None:
        one = link(world, "中天物业", "红旗商圈联合支部", "joint", "2019-01-01")
        too_many = await post_links(world, [one] * 1001)
        assert too_many.status_code == 422
        assert too_many.json()["error"]["code"] == "validation_error"
        assert (await post_links(world, [])).status_code == 422
        assert await count(org_db_url, "work_target_coverage") == 0

    async def test_rule_bulk_coverage_needs_write_scope_and_region(
        self, world: World, test_issuer: TestIssuer, org_db_url: str
    ) -> None:
        items = [
            link(world, "中天物业", "红旗商圈联合支部", "joint", "2019-01-01"),
            link(world, "汇通驾校", "汇通驾校支部", "own", "2019-01-01"),
        ]
        reader = test_issuer.headers(subject="r", roles=["city_admin"], scopes=["org:read"])
        assert (await post_links(world, items, reader)).status_code == 403
        # 二道区's target is hidden from 南关区's administrator: as for a single start, 404
        admin = district_admin(test_issuer, world, "南关区")
        response = await post_links(world, items, admin)
        assert response.status_code == 404
        assert response.json()["error"]["details"]["item"] == 1
        assert await count(org_db_url, "work_target_coverage") == 0
        ok = await post_links(world, items[:1], admin)
        assert ok.status_code == 201, ok.text
