"""Organization history over HTTP: rename, upgrade, move, merge, dissolve; "as of" reads; access."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from service_kit.testing import TestIssuer

from .conftest import Tree

D0 = date.today() - timedelta(days=400)  # the day the test city's organizations were founded
TODAY = date.today().isoformat()


def day(offset: int) -> date:
    return D0 + timedelta(days=offset)


@pytest.fixture
async def city(org_client: httpx.AsyncClient, city_admin: dict[str, str]) -> Tree:
    """Two districts, founded 400 days ago: city → district committees → committees → branches."""
    t = Tree(org_client, city_admin)
    await t.region("长春市", "city")
    await t.region("南关区", "district", "长春市", district_class="urban")
    await t.region("二道区", "district", "长春市", district_class="urban")
    founded = {"founded_on": D0.isoformat()}
    await t.org("市党工委", "working_committee", "长春市", subkind="city", **founded)
    await t.org(
        "南关区党工委", "working_committee", "南关区", "市党工委", subkind="district", **founded
    )
    await t.org(
        "二道区党工委", "working_committee", "二道区", "市党工委", subkind="district", **founded
    )
    await t.org(
        "星火源综合党委",
        "party_committee",
        "南关区",
        "南关区党工委",
        subkind="comprehensive",
        **founded,
    )
    await t.org(
        "南岭综合党委",
        "party_committee",
        "南关区",
        "南关区党工委",
        subkind="comprehensive",
        **founded,
    )
    await t.org(
        "同心港综合党委",
        "party_committee",
        "二道区",
        "二道区党工委",
        subkind="comprehensive",
        **founded,
    )
    await t.org("盈科律所党支部", "branch", "南关区", "星火源综合党委", full_members=5, **founded)
    await t.org("汇通驾校党支部", "branch", "二道区", "同心港综合党委", full_members=4, **founded)
    return t


async def act(
    t: Tree, org: str, action: str, headers: dict[str, str] | None = None, /, **body: Any
) -> httpx.Response:
    """POST /organizations/{id}/{action} with `body`, as the city admin unless `headers`."""
    return await t.client.post(
        f"/organizations/{t.ids[org]}/{action}",
        json={k: v.isoformat() if isinstance(v, date) else v for k, v in body.items()},
        headers=headers or t.headers,
    )


async def get(t: Tree, name: str, as_of: date | None = None) -> dict[str, Any]:
    params = {"as_of": as_of.isoformat()} if as_of else {}
    response = await t.client.get(f"/organizations/{t.ids[name]}", params=params, headers=t.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def names_under(t: Tree, name: str, as_of: date | None = None) -> list[str]:
    params: dict[str, Any] = {"under": str(t.ids[name])}
    if as_of:
        params["as_of"] = as_of.isoformat()
    response = await t.client.get("/organizations", params=params, headers=t.headers)
    assert response.status_code == 200, response.text
    return [name_of(t, item["id"]) for item in response.json()["items"]]


async def history(t: Tree, name: str) -> dict[str, Any]:
    response = await t.client.get(f"/organizations/{t.ids[name]}/history", headers=t.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def name_of(t: Tree, org_id: str) -> str:
    return next(k for k, v in t.ids.items() if str(v) == org_id)


def error(response: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()["error"]
    return body


async def rows(url: str, sql: str, **params: Any) -> list[Any]:
    engine = create_async_engine(url.replace("postgresql://", "postgresql+asyncpg://"))
    async with engine.connect() as conn:
        result = list((await conn.execute(text(sql), params)).all())
    await engine.dispose()
    return result


async def assert_history_consistent(url: str) -> None:
    """Every organization: one open version equal to its current row, versions back to back."""
    mismatched = await rows(
        url,
        """
        SELECT o.name FROM organization o
        LEFT JOIN organization_version v ON v.organization_id = o.id AND v.valid_to IS NULL
        WHERE v.id IS NULL OR (o.name, o.kind, o.subkind, o.formation, o.joint_mode, o.parent_id,
            o.industry_committee_id, o.region_id, o.path, o.status)
          IS DISTINCT FROM (v.name, v.kind, v.subkind, v.formation, v.joint_mode, v.parent_id,
            v.industry_committee_id, v.region_id, v.path, v.status)
        """,
    )
    assert mismatched == []
    gaps = await rows(
        url,
        """
        SELECT organization_id FROM (
            SELECT organization_id, valid_to,
                lead(valid_from) OVER (PARTITION BY organization_id ORDER BY valid_from) AS next
            FROM organization_version) v
        WHERE valid_to IS DISTINCT FROM next
        """,
    )
    assert gaps == []
    # paths of every version agree with its parent's version on the day it starts
    orphans = await rows(
        url,
        """
        SELECT c.organization_id FROM organization_version c
        JOIN organization_version p ON p.organization_id = c.parent_id
            AND p.valid_from <= c.valid_from AND (p.valid_to IS NULL OR p.valid_to > c.valid_from)
        WHERE c.path <> p.path || replace(c.organization_id::text, '-', '') || '/'
        """,
    )
    assert orphans == []


class TestRename:
    async def test_old_name_holds_before_the_effective_date(self, city: Tree) -> None:
        response = await act(
            city, "盈科律所党支部", "rename", name="盈科律师事务所党支部", effective_on=day(100)
        )
        assert response.status_code == 200, response.text
        assert response.json()["name"] == "盈科律师事务所党支部"
        assert (await get(city, "盈科律所党支部", day(99)))["name"] == "盈科律所党支部"
        assert (await get(city, "盈科律所党支部", day(100)))["name"] == "盈科律师事务所党支部"
        assert (await get(city, "盈科律所党支部"))["name"] == "盈科律师事务所党支部"
        past = await city.client.get(
            "/organizations",
            params={"under": str(city.ids["星火源综合党委"]), "as_of": day(50).isoformat()},
            headers=city.headers,
        )
        assert [i["name"] for i in past.json()["items"]] == ["星火源综合党委", "盈科律所党支部"]

    async def test_history_lists_changes_and_versions(self, city: Tree) -> None:
        await act(city, "盈科律所党支部", "rename", name="新名", effective_on=day(100), note="更名")
        body = await history(city, "盈科律所党支部")
        assert [(c["kind"], c["effective_on"]) for c in body["changes"]] == [
            ("founded", D0.isoformat()),
            ("renamed", day(100).isoformat()),
        ]
        assert body["changes"][1]["details"] == {
            "from": "盈科律所党支部",
            "to": "新名",
            "note": "更名",
        }
        assert body["changes"][1]["recorded_by"] == "admin.city"
        assert [(v["valid_from"], v["valid_to"], v["name"]) for v in body["versions"]] == [
            (D0.isoformat(), day(100).isoformat(), "盈科律所党支部"),
            (day(100).isoformat(), None, "新名"),
        ]

    async def test_rule_effective_date_before_last_change_is_refused(self, city: Tree) -> None:
        await act(city, "盈科律所党支部", "rename", name="甲", effective_on=day(100))
        response = await act(city, "盈科律所党支部", "rename", name="乙", effective_on=day(99))
        assert response.status_code == 422
        assert error(response)["code"] == "effective_date_before_last_change"
        assert day(100).isoformat() in error(response)["message"]
        assert (await get(city, "盈科律所党支部"))["name"] == "甲"

    async def test_rule_effective_date_in_future_is_refused(self, city: Tree) -> None:
        tomorrow = date.today() + timedelta(days=1)
        response = await act(city, "盈科律所党支部", "rename", name="甲", effective_on=tomorrow)
        assert response.status_code == 422
        assert error(response)["code"] == "effective_date_in_future"

    async def test_two_changes_on_one_day_keep_one_version(self, city: Tree) -> None:
        await act(city, "盈科律所党支部", "rename", name="甲", effective_on=day(100))
        response = await act(city, "盈科律所党支部", "rename", name="乙", effective_on=day(100))
        assert response.status_code == 200, response.text
        body = await history(city, "盈科律所党支部")
        assert [c["kind"] for c in body["changes"]] == ["founded", "renamed", "renamed"]
        assert [(v["valid_from"], v["name"]) for v in body["versions"]] == [
            (D0.isoformat(), "盈科律所党支部"),
            (day(100).isoformat(), "乙"),
        ]

    async def test_same_name_is_nothing_to_change(self, city: Tree) -> None:
        response = await act(city, "盈科律所党支部", "rename", name="盈科律所党支部")
        assert response.status_code == 422
        assert error(response)["code"] == "nothing_to_change"

    async def test_rename_writes_audit_and_event(self, city: Tree, org_db_url: str) -> None:
        org_id = str(city.ids["盈科律所党支部"])
        await act(city, "盈科律所党支部", "rename", name="甲", effective_on=day(100))
        audit = await rows(
            org_db_url,
            "SELECT action, before->>'name', after->>'name' FROM audit_record "
            "WHERE entity_id = :id ORDER BY occurred_at",
            id=org_id,
        )
        assert audit[-1] == ("organization.renamed", "盈科律所党支部", "甲")
        events = await rows(
            org_db_url,
            "SELECT type, data->>'change', data->>'effective_on' FROM outbox_event "
            "WHERE subject = :id ORDER BY seq",
            id=org_id,
        )
        assert events[-1] == ("org.organization.changed", "renamed", day(100).isoformat())

    async def test_unknown_organization_is_404(self, city: Tree) -> None:
        response = await city.client.post(
            f"/organizations/{uuid.uuid4()}/rename", json={"name": "x"}, headers=city.headers
        )
        assert response.status_code == 404
        assert error(response)["code"] == "organization_not_found"


class TestUpgrade:
    async def test_branch_to_general_branch_to_party_committee(self, city: Tree) -> None:
        first = await act(
            city, "盈科律所党支部", "upgrade", kind="general_branch", effective_on=day(100)
        )
        assert first.status_code == 200, first.text
        second = await act(
            city,
            "盈科律所党支部",
            "upgrade",
            kind="party_committee",
            subkind="enterprise",
            effective_on=day(200),
        )
        assert second.status_code == 200, second.text
        assert (await get(city, "盈科律所党支部", day(99)))["kind"] == "branch"
        assert (await get(city, "盈科律所党支部", day(150)))["kind"] == "general_branch"
        now = await get(city, "盈科律所党支部")
        assert (now["kind"], now["subkind"]) == ("party_committee", "enterprise")
        changes = (await history(city, "盈科律所党支部"))["changes"]
        assert changes[-1]["details"] == {
            "from": {"kind": "general_branch", "subkind": None},
            "to": {"kind": "party_committee", "subkind": "enterprise"},
        }

    async def test_downgrade_is_not_an_upgrade(self, city: Tree) -> None:
        await act(city, "盈科律所党支部", "upgrade", kind="general_branch", effective_on=day(100))
        response = await act(city, "盈科律所党支部", "upgrade", kind="branch")
        assert response.status_code == 422
        assert error(response)["code"] == "not_an_upgrade"

    async def test_party_committee_needs_subkind(self, city: Tree) -> None:
        response = await act(city, "盈科律所党支部", "upgrade", kind="party_committee")
        assert response.status_code == 422
        assert error(response)["code"] == "invalid_subkind"

    async def test_working_committee_has_no_upgrade(self, city: Tree) -> None:
        response = await act(
            city, "南关区党工委", "upgrade", kind="party_committee", subkind="park"
        )
        assert response.status_code == 422
        assert error(response)["code"] == "invalid_upgrade"

    async def test_upgrade_keeps_parent_kind_rule(self, city: Tree) -> None:
        await city.org(
            "总支", "general_branch", "南关区", "星火源综合党委", full_members=60, founded_on=TODAY
        )
        await city.org("一支部", "branch", "南关区", "总支", full_members=3, founded_on=TODAY)
        response = await act(city, "一支部", "upgrade", kind="general_branch")
        assert response.status_code == 422
        assert error(response)["code"] == "invalid_parent_kind"

    async def test_functional_branch_stays_a_branch(self, city: Tree) -> None:
        await city.org(
            "功能型党支部",
            "branch",
            "南关区",
            "南关区党工委",
            formation="dispatched",
            dispatched_members=3,
            founded_on=TODAY,
        )
        response = await act(city, "功能型党支部", "upgrade", kind="general_branch")
        assert response.status_code == 422
        assert error(response)["code"] == "invalid_formation"


class TestMove:
    async def test_subtree_moves_and_past_tree_stays(self, city: Tree, org_db_url: str) -> None:
        response = await act(
            city,
            "星火源综合党委",
            "move",
            parent_id=str(city.ids["市党工委"]),
            effective_on=day(100),
        )
        assert response.status_code == 200, response.text
        assert response.json()["parent_id"] == str(city.ids["市党工委"])
        assert response.json()["depth"] == 2
        assert set(await names_under(city, "南关区党工委", day(99))) == {
            "南关区党工委",
            "南岭综合党委",
            "星火源综合党委",
            "盈科律所党支部",
        }
        assert await names_under(city, "南关区党工委") == ["南关区党工委", "南岭综合党委"]
        assert set(await names_under(city, "市党工委")) >= {"星火源综合党委", "盈科律所党支部"}
        assert await names_under(city, "星火源综合党委") == ["星火源综合党委", "盈科律所党支部"]
        assert (await get(city, "盈科律所党支部", day(99)))["depth"] == 4
        assert (await get(city, "盈科律所党支部"))["depth"] == 3
        # the descendant got a version of its own (new path) but no history entry
        branch = await history(city, "盈科律所党支部")
        assert [c["kind"] for c in branch["changes"]] == ["founded"]
        assert [v["valid_from"] for v in branch["versions"]] == [
            D0.isoformat(),
            day(100).isoformat(),
        ]
        await assert_history_consistent(org_db_url)

    async def test_move_to_region(self, city: Tree) -> None:
        response = await act(
            city,
            "盈科律所党支部",
            "move",
            parent_id=str(city.ids["同心港综合党委"]),
            region_id=str(city.ids["二道区"]),
            effective_on=day(10),
        )
        assert response.status_code == 200, response.text
        assert (await get(city, "盈科律所党支部", day(9)))["region_id"] == str(city.ids["南关区"])
        assert (await get(city, "盈科律所党支部"))["region_id"] == str(city.ids["二道区"])
        change = (await history(city, "盈科律所党支部"))["changes"][-1]
        assert change["kind"] == "moved"
        assert change["details"]["to_region_id"] == str(city.ids["二道区"])

    async def test_rule_cycle_in_tree_is_refused(self, city: Tree) -> None:
        await city.org(
            "某企业党委",
            "party_committee",
            "南关区",
            "星火源综合党委",
            subkind="enterprise",
            founded_on=TODAY,
        )
        response = await act(city, "星火源综合党委", "move", parent_id=str(city.ids["某企业党委"]))
        assert response.status_code == 422
        assert error(response)["code"] == "cycle_in_tree"
        itself = await act(
            city, "星火源综合党委", "move", parent_id=str(city.ids["星火源综合党委"])
        )
        assert error(itself)["code"] == "cycle_in_tree"
        assert (await get(city, "星火源综合党委"))["parent_id"] == str(city.ids["南关区党工委"])

    async def test_unknown_parent_is_parent_not_found(self, city: Tree) -> None:
        response = await act(city, "盈科律所党支部", "move", parent_id=str(uuid.uuid4()))
        assert response.status_code == 422
        assert error(response)["code"] == "parent_not_found"

    async def test_branch_under_branch_is_invalid_parent_kind(self, city: Tree) -> None:
        response = await act(
            city, "盈科律所党支部", "move", parent_id=str(city.ids["汇通驾校党支部"])
        )
        assert response.status_code == 422
        assert error(response)["code"] == "invalid_parent_kind"

    async def test_same_parent_is_nothing_to_change(self, city: Tree) -> None:
        response = await act(
            city, "盈科律所党支部", "move", parent_id=str(city.ids["星火源综合党委"])
        )
        assert response.status_code == 422
        assert error(response)["code"] == "nothing_to_change"

    async def test_move_before_a_descendants_latest_change_is_refused(self, city: Tree) -> None:
        await act(city, "盈科律所党支部", "rename", name="甲", effective_on=day(200))
        response = await act(
            city,
            "星火源综合党委",
            "move",
            parent_id=str(city.ids["市党工委"]),
            effective_on=day(100),
        )
        assert response.status_code == 422
        assert error(response)["code"] == "effective_date_before_last_change"
        assert "甲" in error(response)["message"]
        assert day(200).isoformat() in error(response)["message"]


class TestMerge:
    async def test_merged_organization_ends_and_children_move(
        self, city: Tree, org_db_url: str
    ) -> None:
        await city.org(
            "旧支部",
            "branch",
            "南关区",
            "星火源综合党委",
            full_members=3,
            founded_on=D0.isoformat(),
        )
        assert (await act(city, "旧支部", "dissolve", effective_on=day(50))).status_code == 200
        response = await act(
            city,
            "星火源综合党委",
            "merge",
            into_id=str(city.ids["南岭综合党委"]),
            effective_on=day(100),
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["status"], body["merged_into_id"], body["dissolved_on"]) == (
            "merged",
            str(city.ids["南岭综合党委"]),
            day(100).isoformat(),
        )
        branch = await get(city, "盈科律所党支部")
        assert branch["parent_id"] == str(city.ids["南岭综合党委"])
        before = await get(city, "盈科律所党支部", day(99))
        assert before["parent_id"] == str(city.ids["星火源综合党委"])
        assert (await get(city, "星火源综合党委", day(99)))["status"] == "active"
        assert (await get(city, "星火源综合党委", day(100)))["status"] == "merged"
        # the dissolved child stays where it ended
        assert (await get(city, "旧支部"))["parent_id"] == str(city.ids["星火源综合党委"])
        await assert_history_consistent(org_db_url)
        moved = (await history(city, "盈科律所党支部"))["changes"][-1]
        assert (moved["kind"], moved["details"]["reason"]) == ("moved", "merged")
        absorbed = (await history(city, "南岭综合党委"))["changes"][-1]
        assert absorbed["kind"] == "absorbed"
        assert absorbed["details"]["absorbed_id"] == str(city.ids["星火源综合党委"])
        events = await rows(
            org_db_url,
            "SELECT type, data->>'change', data->>'reason' FROM outbox_event "
            "WHERE subject = :id ORDER BY seq",
            id=str(city.ids["星火源综合党委"]),
        )
        assert events[-2:] == [
            ("org.organization.changed", "merged", None),
            ("org.organization.dissolved", None, "merged"),
        ]

    async def test_merge_into_self_is_refused(self, city: Tree) -> None:
        response = await act(
            city, "星火源综合党委", "merge", into_id=str(city.ids["星火源综合党委"])
        )
        assert response.status_code == 422
        assert error(response)["code"] == "merge_into_self"

    async def test_merge_into_descendant_is_refused(self, city: Tree) -> None:
        response = await act(
            city, "星火源综合党委", "merge", into_id=str(city.ids["盈科律所党支部"])
        )
        assert response.status_code == 422
        assert error(response)["code"] == "merge_into_descendant"

    async def test_merge_into_dissolved_is_refused(self, city: Tree) -> None:
        await city.org(
            "旧支部",
            "branch",
            "南关区",
            "星火源综合党委",
            full_members=3,
            founded_on=D0.isoformat(),
        )
        assert (await act(city, "旧支部", "dissolve", effective_on=day(50))).status_code == 200
        response = await act(city, "盈科律所党支部", "merge", into_id=str(city.ids["旧支部"]))
        assert response.status_code == 409
        assert error(response)["code"] == "merge_target_not_active"

    async def test_children_must_fit_under_the_target(self, city: Tree) -> None:
        response = await act(
            city, "星火源综合党委", "merge", into_id=str(city.ids["汇通驾校党支部"])
        )
        assert response.status_code == 422
        assert error(response)["code"] == "invalid_parent_kind"
        assert (await get(city, "星火源综合党委"))["status"] == "active"


class TestDissolve:
    async def test_rule_has_active_children_is_refused(self, city: Tree) -> None:
        response = await act(city, "星火源综合党委", "dissolve")
        assert response.status_code == 409
        assert error(response)["code"] == "has_active_children"
        assert "盈科律所党支部" in error(response)["message"]

    async def test_dissolved_organization_stays_readable(self, city: Tree, org_db_url: str) -> None:
        response = await act(
            city, "盈科律所党支部", "dissolve", effective_on=day(100), note="企业注销"
        )
        assert response.status_code == 200, response.text
        assert (response.json()["status"], response.json()["dissolved_on"]) == (
            "dissolved",
            day(100).isoformat(),
        )
        assert (await get(city, "盈科律所党支部", day(99)))["status"] == "active"
        past = await get(city, "盈科律所党支部", day(99))
        assert past["dissolved_on"] is None
        assert (await get(city, "盈科律所党支部", day(100)))["status"] == "dissolved"
        listed = await city.client.get(
            "/organizations", params={"status": "dissolved"}, headers=city.headers
        )
        assert [i["name"] for i in listed.json()["items"]] == ["盈科律所党支部"]
        events = await rows(
            org_db_url,
            "SELECT type, data->>'reason' FROM outbox_event WHERE subject = :id ORDER BY seq",
            id=str(city.ids["盈科律所党支部"]),
        )
        assert events[-1] == ("org.organization.dissolved", "dissolved")
        # now the parent has no active children and may be dissolved, but not before day 100
        early = await act(city, "星火源综合党委", "dissolve", effective_on=day(99))
        assert error(early)["code"] == "effective_date_before_last_change"
        assert (
            await act(city, "星火源综合党委", "dissolve", effective_on=day(100))
        ).status_code == 200

    async def test_ended_organization_cannot_change(self, city: Tree) -> None:
        await act(city, "南岭综合党委", "dissolve", effective_on=day(100))
        response = await act(city, "南岭综合党委", "rename", name="甲")
        assert response.status_code == 409
        assert error(response)["code"] == "organization_not_active"
        founding = await city.client.post(
            "/organizations",
            json={
                "name": "x",
                "kind": "branch",
                "full_members": 3,
                "region_id": str(city.ids["南关区"]),
                "parent_id": str(city.ids["南岭综合党委"]),
            },
            headers=city.headers,
        )
        assert (founding.status_code, error(founding)["code"]) == (422, "parent_dissolved")

    async def test_end_before_founding_is_refused(self, city: Tree) -> None:
        response = await act(city, "盈科律所党支部", "dissolve", effective_on=day(-1))
        assert response.status_code == 422
        assert error(response)["code"] == "effective_date_before_last_change"
        assert D0.isoformat() in error(response)["message"]


class TestEveryWrite:
    async def test_every_change_is_audited_and_published(self, city: Tree, org_db_url: str) -> None:
        writes = [
            (await act(city, "盈科律所党支部", "rename", name="甲", effective_on=day(10))),
            (
                await act(
                    city, "盈科律所党支部", "upgrade", kind="general_branch", effective_on=day(20)
                )
            ),
            (
                await act(
                    city,
                    "盈科律所党支部",
                    "move",
                    parent_id=str(city.ids["南岭综合党委"]),
                    effective_on=day(30),
                )
            ),
            (
                await act(
                    city,
                    "星火源综合党委",
                    "merge",
                    into_id=str(city.ids["南岭综合党委"]),
                    effective_on=day(40),
                )
            ),
            (await act(city, "汇通驾校党支部", "dissolve", effective_on=day(50))),
        ]
        assert [w.status_code for w in writes] == [200] * 5, [w.text for w in writes]
        audit = await rows(
            org_db_url,
            "SELECT action FROM audit_record WHERE action LIKE 'organization.%' "
            "AND action <> 'organization.create' "
            "ORDER BY occurred_at",
        )
        assert [a for (a,) in audit] == [
            "organization.renamed",
            "organization.upgraded",
            "organization.moved",
            "organization.merged",
            "organization.absorbed",
            "organization.dissolved",
        ]
        events = await rows(
            org_db_url,
            "SELECT type, data->>'change' FROM outbox_event WHERE data->>'change' IS DISTINCT "
            "FROM 'founded' ORDER BY seq",
        )
        assert events == [
            ("org.organization.changed", "renamed"),
            ("org.organization.changed", "upgraded"),
            ("org.organization.changed", "moved"),
            ("org.organization.changed", "merged"),
            ("org.organization.dissolved", None),
            ("org.organization.changed", "absorbed"),
            ("org.organization.changed", "dissolved"),
            ("org.organization.dissolved", None),
        ]
        await assert_history_consistent(org_db_url)

    async def test_concurrent_changes_are_serialized(self, city: Tree, org_db_url: str) -> None:
        names = [f"名称{i}" for i in range(6)]
        responses = await asyncio.gather(
            *(act(city, "盈科律所党支部", "rename", name=n, effective_on=day(100)) for n in names),
            act(city, "南岭综合党委", "dissolve", effective_on=day(100)),
            act(
                city,
                "盈科律所党支部",
                "move",
                parent_id=str(city.ids["南岭综合党委"]),
                effective_on=day(100),
            ),
        )
        assert all(r.status_code in (200, 409, 422) for r in responses), [r.text for r in responses]
        assert sum(r.status_code == 200 for r in responses[:6]) == 6
        await assert_history_consistent(org_db_url)
        branch = await get(city, "盈科律所党支部")
        parent = await get(city, "南岭综合党委")
        # never an active organization under a dissolved one
        assert not (branch["parent_id"] == parent["id"] and parent["status"] == "dissolved")


class TestAsOf:
    async def test_before_founding_the_organization_did_not_exist(self, city: Tree) -> None:
        response = await city.client.get(
            f"/organizations/{city.ids['盈科律所党支部']}",
            params={"as_of": (D0 - timedelta(days=1)).isoformat()},
            headers=city.headers,
        )
        assert response.status_code == 404
        listed = await city.client.get(
            "/organizations",
            params={"as_of": (D0 - timedelta(days=1)).isoformat()},
            headers=city.headers,
        )
        assert listed.json()["items"] == []

    async def test_as_of_in_future_is_refused(self, city: Tree) -> None:
        tomorrow = (date.today() + timedelta(days=1)).isoformat()
        for url in ("/organizations", f"/organizations/{city.ids['盈科律所党支部']}"):
            response = await city.client.get(url, params={"as_of": tomorrow}, headers=city.headers)
            assert response.status_code == 422
            assert error(response)["code"] == "as_of_in_future"

    async def test_batch_ids_as_of(self, city: Tree) -> None:
        await act(city, "盈科律所党支部", "rename", name="甲", effective_on=day(100))
        wanted = [city.ids["盈科律所党支部"], city.ids["汇通驾校党支部"], uuid.uuid4()]
        response = await city.client.get(
            "/organizations",
            params={"ids": ",".join(map(str, wanted)), "as_of": day(50).isoformat()},
            headers=city.headers,
        )
        assert sorted(i["name"] for i in response.json()["items"]) == sorted(
            ["盈科律所党支部", "汇通驾校党支部"]
        )

    async def test_pages_as_of_cover_everything_once(self, city: Tree) -> None:
        seen: list[str] = []
        after = None
        while True:
            params: dict[str, Any] = {"limit": 3, "as_of": day(10).isoformat()}
            if after:
                params["after"] = after
            page = (
                await city.client.get("/organizations", params=params, headers=city.headers)
            ).json()
            seen += [i["id"] for i in page["items"]]
            after = page["next_cursor"]
            if after is None:
                break
        assert sorted(seen) == sorted(str(v) for k, v in city.ids.items() if "党" in k)

    async def test_member_counts_as_of(self, city: Tree) -> None:
        response = await city.client.put(
            f"/organizations/{city.ids['盈科律所党支部']}/member-counts",
            json={"full_members": 9, "committee_size": 3, "as_of": day(100).isoformat()},
            headers=city.headers,
        )
        assert response.status_code == 200, response.text
        assert (await get(city, "盈科律所党支部", day(99)))["full_members"] == 5
        assert (await get(city, "盈科律所党支部", day(100)))["full_members"] == 9
        assert (await get(city, "盈科律所党支部"))["full_members"] == 9


class TestAccess:
    async def test_district_admin_of_nanguan_cannot_read_or_change_erdao(
        self, city: Tree, test_issuer: TestIssuer, org_db_url: str
    ) -> None:
        nanguan = test_issuer.headers(
            subject="admin.nanguan",
            roles=["district_admin"],
            scopes=["org:read", "org:write"],
            region_id=city.ids["南关区"],
        )
        erdao = city.ids["汇通驾校党支部"]
        before = await rows(org_db_url, "SELECT count(*) FROM audit_record")
        # reads: hidden, today and in the past, one by one, in lists and in batches
        for params in ({}, {"as_of": day(10).isoformat()}):
            response = await city.client.get(
                f"/organizations/{erdao}", params=params, headers=nanguan
            )
            assert response.status_code == 404
            listed = await city.client.get(
                "/organizations", params={**params, "ids": str(erdao)}, headers=nanguan
            )
            assert listed.json()["items"] == []
            under = await city.client.get(
                "/organizations",
                params={**params, "under": str(city.ids["二道区党工委"])},
                headers=nanguan,
            )
            assert under.json()["items"] == []
            everything = await city.client.get("/organizations", params=params, headers=nanguan)
            regions = {i["region_id"] for i in everything.json()["items"]}
            assert regions == {str(city.ids["南关区"])}
        history_response = await city.client.get(f"/organizations/{erdao}/history", headers=nanguan)
        assert history_response.status_code == 404
        # changes to 二道区's organizations: as if they did not exist
        for action, body in (
            ("rename", {"name": "x"}),
            ("upgrade", {"kind": "general_branch"}),
            ("move", {"parent_id": str(city.ids["星火源综合党委"])}),
            ("merge", {"into_id": str(city.ids["盈科律所党支部"])}),
            ("dissolve", {}),
        ):
            response = await city.client.post(
                f"/organizations/{erdao}/{action}", json=body, headers=nanguan
            )
            assert response.status_code == 404, (action, response.text)
        counts = await city.client.put(
            f"/organizations/{erdao}/member-counts", json={"full_members": 9}, headers=nanguan
        )
        assert counts.status_code == 404
        # nor can 南关区's organizations be put into 二道区
        into = await act(
            city, "盈科律所党支部", "move", nanguan, parent_id=str(city.ids["同心港综合党委"])
        )
        assert (into.status_code, error(into)["code"]) == (422, "parent_not_found")
        merge = await act(city, "盈科律所党支部", "merge", nanguan, into_id=str(erdao))
        assert (merge.status_code, error(merge)["code"]) == (422, "merge_target_not_found")
        found_under = await city.client.post(
            "/organizations",
            json={
                "name": "x",
                "kind": "branch",
                "full_members": 3,
                "region_id": str(city.ids["二道区"]),
                "parent_id": str(city.ids["同心港综合党委"]),
            },
            headers=nanguan,
        )
        assert found_under.status_code in (403, 422)
        found_in_region = await city.client.post(
            "/organizations",
            json={
                "name": "x",
                "kind": "branch",
                "full_members": 3,
                "region_id": str(city.ids["二道区"]),
                "parent_id": str(city.ids["星火源综合党委"]),
            },
            headers=nanguan,
        )
        assert (found_in_region.status_code, error(found_in_region)["code"]) == (
            403,
            "region_outside_scope",
        )
        assert await rows(org_db_url, "SELECT count(*) FROM audit_record") == before
        assert (await get(city, "汇通驾校党支部"))["name"] == "汇通驾校党支部"
        # and inside 南关区 the same admin may change things
        own = await act(city, "盈科律所党支部", "rename", nanguan, name="盈科新名")
        assert own.status_code == 200, own.text

    async def test_secretary_sees_the_chain_above_but_changes_only_below(
        self, city: Tree, test_issuer: TestIssuer
    ) -> None:
        secretary = test_issuer.headers(
            subject="secretary",
            roles=["secretary"],
            scopes=["org:read", "org:write"],
            org_id=city.ids["盈科律所党支部"],
        )
        above = await act(city, "星火源综合党委", "rename", secretary, name="x")
        assert (above.status_code, error(above)["code"]) == (403, "forbidden")
        found = await city.client.post(
            "/organizations",
            json={
                "name": "x",
                "kind": "branch",
                "full_members": 3,
                "region_id": str(city.ids["南关区"]),
                "parent_id": str(city.ids["星火源综合党委"]),
            },
            headers=secretary,
        )
        assert (found.status_code, error(found)["code"]) == (422, "parent_not_found")
        own = await act(city, "盈科律所党支部", "rename", secretary, name="新名")
        assert own.status_code == 200, own.text
