"""Responsibility assignments (三级包保, first secretaries) and front-line work days over HTTP."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from service_kit.testing import TestIssuer

from .conftest import Tree
from .work_helpers import World, count, district_admin


@pytest.fixture
async def world(tree: Tree) -> World:
    return await World(tree).setup()


async def responsible(
    world: World,
    person: str,
    unit: str,
    *,
    level: str = "county",
    unit_field: str = "work_target_id",
    valid_from: str = "2019-01-01",
    expect: int = 201,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    response = await world.client.post(
        "/responsibility-assignments",
        json={
            "person_name": person,
            "level": level,
            "position": "区委副书记" if level == "county" else "街道党工委书记",
            unit_field: str(world.ids[unit]),
            "valid_from": valid_from,
            **extra,
        },
        headers=headers or world.headers,
    )
    assert response.status_code == expect, response.text
    body: dict[str, Any] = response.json()
    return body


async def workday(
    world: World, assignment: dict[str, Any], day: str, items: list[str], **extra: Any
) -> Any:
    headers = extra.pop("headers", world.headers)
    return await world.client.post(
        f"/responsibility-assignments/{assignment['id']}/workdays",
        json={"day": day, "items": items, **extra},
        headers=headers,
    )


class TestAssignments:
    async def test_three_levels_take_responsibility_for_a_target(self, world: World) -> None:
        for person, level in (("刘县长", "county"), ("陈书记", "township"), ("赵主任", "village")):
            await responsible(world, person, "中天物业", level=level)
        page = (
            await world.client.get(
                "/responsibility-assignments",
                params={"work_target_id": str(world.ids["中天物业"])},
                headers=world.headers,
            )
        ).json()
        assert {(a["person_name"], a["level"]) for a in page["items"]} == {
            ("刘县长", "county"),
            ("陈书记", "township"),
            ("赵主任", "village"),
        }

    async def test_rule_assignment_names_exactly_one_unit(self, world: World) -> None:
        body = await responsible(
            world,
            "刘县长",
            "中天物业",
            organization_id=str(world.ids["盈科律所支部"]),
            expect=422,
        )
        assert body["error"]["code"] == "assignment_needs_one_unit"

    async def test_rule_no_duplicate_responsibility(self, world: World) -> None:
        await responsible(world, "刘县长", "盈科律所支部", unit_field="organization_id")
        body = await responsible(
            world,
            "刘县长",
            "盈科律所支部",
            unit_field="organization_id",
            valid_from="2020-01-01",
            expect=409,
        )
        assert body["error"]["code"] == "duplicate_assignment"

    async def test_rule_one_first_secretary_per_unit(self, world: World, org_db_url: str) -> None:
        first = await responsible(world, "刘县长", "中天物业", first_secretary=True)
        before = await count(org_db_url, "responsibility_assignment")
        body = await responsible(
            world, "陈书记", "中天物业", level="township", first_secretary=True, expect=409
        )
        assert body["error"]["code"] == "first_secretary_taken"
        assert await count(org_db_url, "responsibility_assignment") == before
        # a second non-first-secretary is fine
        await responsible(world, "陈书记", "中天物业", level="township")
        ended = await world.client.post(
            f"/responsibility-assignments/{first['id']}/end",
            json={"valid_to": "2020-01-01"},
            headers=world.headers,
        )
        assert ended.status_code == 200
        overlap = await responsible(
            world,
            "王书记",
            "中天物业",
            level="village",
            first_secretary=True,
            valid_from="2019-06-01",
            expect=409,
        )
        assert overlap["error"]["code"] == "first_secretary_taken"
        await responsible(
            world,
            "王书记",
            "中天物业",
            level="village",
            first_secretary=True,
            valid_from="2020-01-01",
        )

    async def test_rule_end_before_start_is_refused(self, world: World) -> None:
        assignment = await responsible(world, "刘县长", "中天物业")
        url = f"/responsibility-assignments/{assignment['id']}/end"
        early = await world.client.post(url, json={"valid_to": "2018-01-01"}, headers=world.headers)
        assert early.status_code == 422
        assert early.json()["error"]["code"] == "end_before_start"
        assert (
            await world.client.post(url, json={"valid_to": "2020-01-01"}, headers=world.headers)
        ).status_code == 200
        twice = await world.client.post(url, json={"valid_to": "2021-01-01"}, headers=world.headers)
        assert twice.status_code == 409
        assert twice.json()["error"]["code"] == "assignment_ended"

    async def test_unknown_unit_and_outside_registration(self, world: World) -> None:
        world.ids["nothing"] = world.ids["南关区"]  # a region id is no work target
        unknown = await responsible(world, "刘县长", "nothing", expect=422)
        assert unknown["error"]["code"] == "work_target_not_found"
        early = await responsible(world, "刘县长", "中天物业", valid_from="2017-01-01", expect=422)
        assert early["error"]["code"] == "outside_registration"

    async def test_list_by_person(self, world: World) -> None:
        await responsible(world, "刘县长", "中天物业", subject="liu")
        await responsible(
            world, "刘县长", "盈科律所支部", unit_field="organization_id", subject="liu"
        )
        await responsible(world, "陈书记", "北湖网络", level="township")

        async def units(**params: str) -> set[str]:
            page = (
                await world.client.get(
                    "/responsibility-assignments", params=params, headers=world.headers
                )
            ).json()
            return {
                world.name_of(a["work_target_id"] or a["organization_id"]) for a in page["items"]
            }

        assert await units(person_name="刘县长") == {"中天物业", "盈科律所支部"}
        assert await units(subject="liu") == {"中天物业", "盈科律所支部"}
        assert await units(level="township") == {"北湖网络"}
        assert await units(valid_on="2018-12-31") == set()

    async def test_rule_district_admin_sees_only_own_district(
        self, world: World, test_issuer: TestIssuer
    ) -> None:
        erdao = await responsible(world, "二道领导", "汇通驾校")
        await responsible(world, "南关领导", "中天物业")
        nanguan = district_admin(test_issuer, world, "南关区")
        page = (await world.client.get("/responsibility-assignments", headers=nanguan)).json()
        assert [a["person_name"] for a in page["items"]] == ["南关领导"]
        hidden = await world.client.get(
            f"/responsibility-assignments/{erdao['id']}", headers=nanguan
        )
        assert hidden.status_code == 404
        create = await responsible(world, "x", "汇通驾校", headers=nanguan, expect=422)
        assert create["error"]["code"] == "work_target_not_found"


class TestWorkdays:
    async def test_logs_a_workday(self, world: World) -> None:
        assignment = await responsible(world, "刘县长", "中天物业")
        response = await workday(
            world,
            assignment,
            "2019-03-05",
            ["visit_unit", "find_activists", "visit_unit"],
            note="走访物业公司，发现两名积极分子",
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["items"] == ["visit_unit", "find_activists"]
        assert body["recorded_by"] == "admin.city"

    async def test_rule_one_workday_per_assignment_and_day(
        self, world: World, org_db_url: str
    ) -> None:
        assignment = await responsible(world, "刘县长", "中天物业")
        assert (await workday(world, assignment, "2019-03-05", ["visit_unit"])).status_code == 201
        before = await count(org_db_url, "audit_record")
        again = await workday(world, assignment, "2019-03-05", ["solve_problem"])
        assert again.status_code == 409
        assert again.json()["error"]["code"] == "duplicate_workday"
        assert await count(org_db_url, "audit_record") == before
        other = await responsible(world, "陈书记", "中天物业", level="township")
        assert (await workday(world, other, "2019-03-05", ["visit_unit"])).status_code == 201

    async def test_rule_workday_items_come_from_the_checklist_policy(self, world: World) -> None:
        assignment = await responsible(world, "刘县长", "中天物业")
        response = await workday(world, assignment, "2019-03-05", ["visit_unit", "hold_banquet"])
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "unknown_checklist_item"
        assert error["details"]["unknown"] == ["hold_banquet"]
        assert "explain_policy" in error["details"]["allowed"]
        checklist = [*error["details"]["allowed"], "train_secretary"]
        put = await world.client.put(
            "/policy-parameters/frontline_checklist",
            json={"value": checklist, "valid_from": "2020-01-01"},
            headers=world.headers,
        )
        assert put.status_code == 200, put.text
        before = await workday(world, assignment, "2019-12-31", ["train_secretary"])
        assert before.status_code == 422
        after = await workday(world, assignment, "2020-01-01", ["train_secretary"])
        assert after.status_code == 201

    async def test_rule_workday_within_assignment(self, world: World) -> None:
        assignment = await responsible(world, "刘县长", "中天物业")
        await world.client.post(
            f"/responsibility-assignments/{assignment['id']}/end",
            json={"valid_to": "2020-01-01"},
            headers=world.headers,
        )
        for day in ("2018-12-31", "2020-01-01"):
            response = await workday(world, assignment, day, ["visit_unit"])
            assert response.status_code == 422
            assert response.json()["error"]["code"] == "workday_outside_assignment"
        tomorrow = (date.today() + timedelta(days=1)).isoformat()
        future = await workday(world, assignment, tomorrow, ["visit_unit"])
        assert future.json()["error"]["code"] == "workday_in_future"

    async def test_empty_items_are_refused(self, world: World) -> None:
        assignment = await responsible(world, "刘县长", "中天物业")
        response = await workday(world, assignment, "2019-03-05", [])
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "validation_error"

    async def test_person_logs_own_workday_and_lists_by_person(
        self, world: World, test_issuer: TestIssuer
    ) -> None:
        mine = await responsible(world, "刘县长", "中天物业", subject="liu")
        await responsible(world, "刘县长", "北湖网络", subject="liu")
        others = await responsible(world, "陈书记", "中天物业", level="township", subject="chen")
        liu = test_issuer.headers(
            subject="liu", roles=["secretary"], scopes=["org:read", "org:write"]
        )
        assert (
            await workday(world, mine, "2019-03-05", ["visit_unit"], headers=liu)
        ).status_code == 201
        refused = await workday(world, others, "2019-03-05", ["visit_unit"], headers=liu)
        assert refused.status_code == 404  # not theirs, and not a unit they may see
        await workday(world, others, "2019-03-06", ["visit_unit"])
        own = (
            await world.client.get("/frontline-workdays", params={"subject": "liu"}, headers=liu)
        ).json()
        assert [(w["day"], w["recorded_by"]) for w in own["items"]] == [("2019-03-05", "liu")]
        everyone = (await world.client.get("/frontline-workdays", headers=world.headers)).json()
        assert [w["day"] for w in everyone["items"]] == ["2019-03-05", "2019-03-06"]
        chen = (
            await world.client.get(
                "/frontline-workdays", params={"person_name": "陈书记"}, headers=world.headers
            )
        ).json()
        assert [w["day"] for w in chen["items"]] == ["2019-03-06"]
