"""Work targets over HTTP: registration, coverage links, instructor assignments, visibility."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest

from service_kit.testing import TestIssuer

from .conftest import Tree
from .work_helpers import World, count, credit_code, db_rows, district_admin


@pytest.fixture
async def world(tree: Tree) -> World:
    return await World(tree).setup()


def new_target(world: World, **extra: Any) -> dict[str, Any]:
    return {
        "credit_code": credit_code(900),
        "name": "新企业",
        "kind": "enterprise",
        "industry": "retail",
        "region_id": str(world.ids["南关区"]),
        "registered_on": "2020-05-01",
        **extra,
    }


async def coverage_of(world: World, target: str, as_of: str | None = None) -> dict[str, Any]:
    params = {"as_of": as_of} if as_of else {}
    response = await world.client.get(
        f"/work-targets/{world.ids[target]}", params=params, headers=world.headers
    )
    assert response.status_code == 200, response.text
    coverage: dict[str, Any] = response.json()["coverage"]
    return coverage


class TestCreateWorkTarget:
    async def test_creates_target_with_all_fields(self, world: World) -> None:
        body = new_target(
            world,
            place_id=str(world.ids["北湖科技园"]),
            employee_count=120,
            pays_tax=True,
            pays_social_insurance=True,
            party_member_count=2,
            investor_name="张三",
            external_refs={"park_system": "BH-0042"},
        )
        response = await world.client.post("/work-targets", json=body, headers=world.headers)
        assert response.status_code == 201, response.text
        created = response.json()
        for key, value in body.items():
            assert created[key] == value, key
        assert created["deregistered_on"] is None
        assert created["coverage"]["state"] == "uncovered"
        fetched = await world.client.get(f"/work-targets/{created['id']}", headers=world.headers)
        assert fetched.json() == created

    async def test_rule_credit_code_check_character(self, world: World, org_db_url: str) -> None:
        before = await count(org_db_url, "work_target")
        code = credit_code(900)
        wrong = code[:17] + ("0" if code[17] != "0" else "1")
        response = await world.client.post(
            "/work-targets", json=new_target(world, credit_code=wrong), headers=world.headers
        )
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "invalid_credit_code"
        assert error["details"]["reason"] == "check_character"
        assert await count(org_db_url, "work_target") == before
        assert await count(org_db_url, "audit_record") > 0  # the world's, not this one's

    async def test_rule_credit_code_unique(self, world: World, org_db_url: str) -> None:
        code = world.codes["盈科律师事务所"]
        before = await count(org_db_url, "work_target")
        response = await world.client.post(
            "/work-targets",
            json=new_target(world, credit_code=code.lower()),  # the same code, typed lower case
            headers=world.headers,
        )
        assert response.status_code == 409
        error = response.json()["error"]
        assert error["code"] == "duplicate_credit_code"
        assert error["details"]["work_target_id"] == str(world.ids["盈科律师事务所"])
        assert await count(org_db_url, "work_target") == before

    async def test_credit_code_is_stored_canonical(self, world: World) -> None:
        code = credit_code(901)
        response = await world.client.post(
            "/work-targets",
            json=new_target(world, credit_code=f" {code[:9].lower()} {code[9:]} "),
            headers=world.headers,
        )
        assert response.status_code == 201
        assert response.json()["credit_code"] == code

    async def test_unknown_region_or_place_is_422(self, world: World) -> None:
        region = await world.client.post(
            "/work-targets",
            json=new_target(world, region_id=str(uuid.uuid4())),
            headers=world.headers,
        )
        assert region.status_code == 422
        assert region.json()["error"]["code"] == "region_not_found"
        place = await world.client.post(
            "/work-targets",
            json=new_target(world, place_id=str(uuid.uuid4())),
            headers=world.headers,
        )
        assert place.status_code == 422
        assert place.json()["error"]["code"] == "place_not_found"

    async def test_rule_place_and_region_on_one_line(self, world: World) -> None:
        # 同心港 is in 二道区; a 南关区 target cannot be in it
        response = await world.client.post(
            "/work-targets",
            json=new_target(world, place_id=str(world.ids["同心港"])),
            headers=world.headers,
        )
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "place_outside_region"
        # a target in 南岭街道 may sit in a 南关区 park (the park's region contains it)
        ok = await world.client.post(
            "/work-targets",
            json=new_target(
                world, region_id=str(world.ids["南岭街道"]), place_id=str(world.ids["北湖科技园"])
            ),
            headers=world.headers,
        )
        assert ok.status_code == 201

    async def test_rule_deregistered_not_before_registered(self, world: World) -> None:
        response = await world.client.post(
            "/work-targets",
            json=new_target(world, registered_on="2020-05-01", deregistered_on="2020-04-30"),
            headers=world.headers,
        )
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "deregistered_before_registered"

    async def test_rule_registered_not_in_future(self, world: World) -> None:
        tomorrow = (date.today() + timedelta(days=1)).isoformat()
        response = await world.client.post(
            "/work-targets", json=new_target(world, registered_on=tomorrow), headers=world.headers
        )
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "registered_in_future"

    async def test_count_beyond_integer_range_is_validation_error(self, world: World) -> None:
        response = await world.client.post(
            "/work-targets", json=new_target(world, employee_count=2**40), headers=world.headers
        )
        assert response.status_code == 422
        assert response.json()["error"]["details"][0]["loc"] == ["body", "employee_count"]

    async def test_unknown_industry_is_validation_error(self, world: World) -> None:
        response = await world.client.post(
            "/work-targets", json=new_target(world, industry="mining"), headers=world.headers
        )
        assert response.status_code == 422
        assert response.json()["error"]["details"][0]["loc"] == ["body", "industry"]

    async def test_create_is_audited(self, world: World, org_db_url: str) -> None:
        rows = await db_rows(
            org_db_url,
            "SELECT actor, action FROM audit_record WHERE entity_id = :id",
            id=str(world.ids["汇通驾校"]),
        )
        assert rows == [("admin.city", "work_target.create")]


class TestUpdateWorkTarget:
    async def test_patch_changes_only_given_fields(self, world: World) -> None:
        target_id = world.ids["北湖网络"]
        response = await world.client.patch(
            f"/work-targets/{target_id}",
            json={"employee_count": 80, "party_member_count": 3, "industry": "logistics"},
            headers=world.headers,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["employee_count"], body["party_member_count"], body["industry"]) == (
            80,
            3,
            "logistics",
        )
        assert body["name"] == "北湖网络"
        assert body["place_id"] == str(world.ids["北湖科技园"])

    async def test_null_for_required_field_is_422(self, world: World) -> None:
        response = await world.client.patch(
            f"/work-targets/{world.ids['北湖网络']}", json={"name": None}, headers=world.headers
        )
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "field_required"

    async def test_patch_to_known_credit_code_is_409(self, world: World) -> None:
        response = await world.client.patch(
            f"/work-targets/{world.ids['北湖网络']}",
            json={"credit_code": world.codes["汇通驾校"]},
            headers=world.headers,
        )
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "duplicate_credit_code"

    async def test_rule_deregistration_ends_coverage(self, world: World, org_db_url: str) -> None:
        assert (
            await world.cover("北湖网络", "盈科律所支部", "own", "2019-01-01")
        ).status_code == 201
        response = await world.client.patch(
            f"/work-targets/{world.ids['北湖网络']}",
            json={"deregistered_on": "2021-06-30"},
            headers=world.headers,
        )
        assert response.status_code == 200, response.text
        assert response.json()["coverage"]["state"] == "not_registered"
        assert (await coverage_of(world, "北湖网络", "2021-06-29"))["state"] == "organizational"
        links = (
            await world.client.get(
                f"/work-targets/{world.ids['北湖网络']}/coverage", headers=world.headers
            )
        ).json()["items"]
        assert [link["valid_to"] for link in links] == ["2021-06-30"]
        events = await db_rows(
            org_db_url,
            "SELECT data->>'change' FROM outbox_event WHERE subject = :id ORDER BY seq",
            id=str(world.ids["北湖网络"]),
        )
        assert [e[0] for e in events] == ["started", "deregistered"]

    async def test_rule_deregistration_before_coverage_start_is_refused(self, world: World) -> None:
        assert (
            await world.cover("北湖网络", "盈科律所支部", "own", "2022-01-01")
        ).status_code == 201
        response = await world.client.patch(
            f"/work-targets/{world.ids['北湖网络']}",
            json={"deregistered_on": "2021-06-30"},
            headers=world.headers,
        )
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "coverage_outside_registration"


class TestListWorkTargets:
    async def names(self, world: World, **params: Any) -> set[str]:
        response = await world.client.get("/work-targets", params=params, headers=world.headers)
        assert response.status_code == 200, response.text
        return world.names(response.json())

    async def test_filters(self, world: World) -> None:
        everything = {"盈科律师事务所", "中天物业", "北湖网络", "汇通驾校"}
        assert await self.names(world) == everything
        assert await self.names(world, region_id=str(world.ids["南关区"])) == everything - {
            "汇通驾校"
        }
        assert await self.names(world, region_id=str(world.ids["南岭街道"])) == {"中天物业"}
        assert await self.names(world, industry="law") == {"盈科律师事务所"}
        assert await self.names(world, kind="social_organization") == {"盈科律师事务所"}
        assert await self.names(world, credit_code=world.codes["汇通驾校"].lower()) == {"汇通驾校"}

    async def test_place_filter_takes_in_buildings_inside(self, world: World) -> None:
        assert await self.names(world, place_id=str(world.ids["红旗商圈"])) == {"中天物业"}
        assert await self.names(world, place_id=str(world.ids["中天大厦"])) == {"中天物业"}

    async def test_uncovered_only_and_coverage_state(self, world: World) -> None:
        assert (
            await world.cover("盈科律师事务所", "盈科律所支部", "own", "2019-01-01")
        ).status_code == 201
        await assign(world, "北湖网络", "王指导", "2019-01-01")
        assert await self.names(world, uncovered_only="true") == {
            "中天物业",
            "北湖网络",
            "汇通驾校",
        }
        assert await self.names(world, coverage_state="organizational") == {"盈科律师事务所"}
        assert await self.names(world, coverage_state="work") == {"北湖网络"}
        assert await self.names(world, coverage_state="uncovered") == {"中天物业", "汇通驾校"}
        # before the link started, the law firm was uncovered
        assert "盈科律师事务所" in await self.names(
            world, uncovered_only="true", as_of="2018-12-31"
        )
        assert await self.names(world, covered_by=str(world.ids["盈科律所支部"])) == {
            "盈科律师事务所"
        }

    async def test_keyset_pages_and_batch(self, world: World) -> None:
        seen: list[str] = []
        after = None
        while True:
            params = {"limit": 3, **({"after": after} if after else {})}
            page = (
                await world.client.get("/work-targets", params=params, headers=world.headers)
            ).json()
            seen += [item["id"] for item in page["items"]]
            after = page["next_cursor"]
            if after is None:
                break
        assert len(seen) == len(set(seen)) == 4
        wanted = [world.ids["汇通驾校"], world.ids["中天物业"], uuid.uuid4()]
        batch = (
            await world.client.get(
                "/work-targets",
                params={"ids": ",".join(str(i) for i in wanted)},
                headers=world.headers,
            )
        ).json()
        assert world.names(batch) == {"汇通驾校", "中天物业"}
        assert all("coverage" in item for item in batch["items"])

    async def test_invalid_credit_code_filter_is_422(self, world: World) -> None:
        response = await world.client.get(
            "/work-targets", params={"credit_code": "123"}, headers=world.headers
        )
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "invalid_credit_code"


class TestCoverageLinks:
    async def test_rule_covered_on_day_by_valid_link(self, world: World) -> None:
        response = await world.cover("盈科律师事务所", "盈科律所支部", "own", "2019-03-01")
        assert response.status_code == 201, response.text
        link = response.json()
        assert (await coverage_of(world, "盈科律师事务所", "2019-02-28"))["state"] == "uncovered"
        on_start = await coverage_of(world, "盈科律师事务所", "2019-03-01")
        assert on_start["state"] == "organizational"
        assert on_start["mode"] == "own"
        assert on_start["link_id"] == link["id"]
        ended = await world.client.post(
            f"/work-targets/{world.ids['盈科律师事务所']}/coverage/{link['id']}/end",
            json={"valid_to": "2020-01-01"},
            headers=world.headers,
        )
        assert ended.status_code == 200, ended.text
        assert (await coverage_of(world, "盈科律师事务所", "2019-12-31"))[
            "state"
        ] == "organizational"
        # valid_to is exclusive: the target is uncovered from that day on
        assert (await coverage_of(world, "盈科律师事务所", "2020-01-01"))["state"] == "uncovered"

    async def test_rule_own_coverage_needs_single_organization(self, world: World) -> None:
        response = await world.cover("中天物业", "红旗商圈联合支部", "own", "2019-01-01")
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "own_coverage_needs_single_organization"
        committee = await world.cover("中天物业", "南关区工委2018", "own", "2019-01-01")
        assert committee.json()["error"]["code"] == "own_coverage_needs_single_organization"

    async def test_rule_joint_coverage_needs_joint_organization(self, world: World) -> None:
        response = await world.cover("中天物业", "盈科律所支部", "joint", "2019-01-01")
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "joint_coverage_needs_joint_organization"
        ok = await world.cover("中天物业", "红旗商圈联合支部", "joint", "2019-01-01")
        assert ok.status_code == 201

    async def test_rule_dispatched_coverage_needs_functional_branch(self, world: World) -> None:
        response = await world.cover("中天物业", "红旗商圈联合支部", "dispatched", "2019-01-01")
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "dispatched_coverage_needs_functional_branch"
        ok = await world.cover("中天物业", "红旗商圈功能型支部", "dispatched", "2019-01-01")
        assert ok.status_code == 201

    async def test_rule_one_open_coverage_link(self, world: World, org_db_url: str) -> None:
        first = await world.cover("中天物业", "红旗商圈功能型支部", "dispatched", "2019-01-01")
        assert first.status_code == 201
        before = await count(org_db_url, "work_target_coverage")
        second = await world.cover("中天物业", "红旗商圈联合支部", "joint", "2020-01-01")
        assert second.status_code == 409
        error = second.json()["error"]
        assert error["code"] == "coverage_link_open"
        assert error["details"]["open_link_id"] == first.json()["id"]
        assert await count(org_db_url, "work_target_coverage") == before

    async def test_rule_replace_ends_open_link(self, world: World, org_db_url: str) -> None:
        first = await world.cover("中天物业", "红旗商圈功能型支部", "dispatched", "2019-01-01")
        second = await world.cover(
            "中天物业", "红旗商圈联合支部", "joint", "2020-01-01", replace=True
        )
        assert second.status_code == 201, second.text
        history = (
            await world.client.get(
                f"/work-targets/{world.ids['中天物业']}/coverage", headers=world.headers
            )
        ).json()["items"]
        assert [(h["id"], h["valid_from"], h["valid_to"]) for h in history] == [
            (first.json()["id"], "2019-01-01", "2020-01-01"),
            (second.json()["id"], "2020-01-01", None),
        ]
        assert (await coverage_of(world, "中天物业", "2019-12-31"))["mode"] == "dispatched"
        assert (await coverage_of(world, "中天物业", "2020-01-01"))["mode"] == "joint"
        events = await db_rows(
            org_db_url,
            "SELECT data FROM outbox_event WHERE type = 'org.work_target.coverage_changed' "
            "AND subject = :id ORDER BY seq",
            id=str(world.ids["中天物业"]),
        )
        assert [e[0]["change"] for e in events] == ["started", "replaced"]
        assert events[1][0]["previous_link"]["valid_to"] == "2020-01-01"
        assert events[1][0]["coverage"]["mode"] == "joint"

    async def test_rule_replacing_link_starts_after_open_one(self, world: World) -> None:
        await world.cover("中天物业", "红旗商圈功能型支部", "dispatched", "2019-01-01")
        response = await world.cover(
            "中天物业", "红旗商圈联合支部", "joint", "2019-01-01", replace=True
        )
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "end_before_start"

    async def test_rule_coverage_links_do_not_overlap(self, world: World) -> None:
        first = await world.cover("中天物业", "红旗商圈功能型支部", "dispatched", "2019-01-01")
        await world.client.post(
            f"/work-targets/{world.ids['中天物业']}/coverage/{first.json()['id']}/end",
            json={"valid_to": "2020-01-01"},
            headers=world.headers,
        )
        inside = await world.cover("中天物业", "红旗商圈联合支部", "joint", "2019-06-01")
        assert inside.status_code == 409
        assert inside.json()["error"]["code"] == "coverage_overlap"
        after = await world.cover("中天物业", "红旗商圈联合支部", "joint", "2020-01-01")
        assert after.status_code == 201

    async def test_rule_end_before_start_is_refused(self, world: World) -> None:
        link = (await world.cover("中天物业", "红旗商圈联合支部", "joint", "2019-01-01")).json()
        url = f"/work-targets/{world.ids['中天物业']}/coverage/{link['id']}/end"
        same_day = await world.client.post(
            url, json={"valid_to": "2019-01-01"}, headers=world.headers
        )
        assert same_day.status_code == 422
        assert same_day.json()["error"]["code"] == "end_before_start"
        assert (
            await world.client.post(url, json={"valid_to": "2019-02-01"}, headers=world.headers)
        ).status_code == 200
        twice = await world.client.post(url, json={"valid_to": "2019-03-01"}, headers=world.headers)
        assert twice.status_code == 409
        assert twice.json()["error"]["code"] == "coverage_link_ended"

    async def test_link_of_another_target_is_404(self, world: World) -> None:
        link = (await world.cover("中天物业", "红旗商圈联合支部", "joint", "2019-01-01")).json()
        response = await world.client.post(
            f"/work-targets/{world.ids['北湖网络']}/coverage/{link['id']}/end",
            json={"valid_to": "2020-01-01"},
            headers=world.headers,
        )
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "coverage_link_not_found"

    async def test_unknown_organization_is_422(self, world: World) -> None:
        world.ids["nobody"] = uuid.uuid4()
        response = await world.cover("中天物业", "nobody", "own", "2019-01-01")
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "organization_not_found"

    async def test_rule_coverage_not_before_founding(self, world: World) -> None:
        await world.target("老企业", "南关区", registered_on="2015-01-01")
        response = await world.cover("老企业", "盈科律所支部", "own", "2017-12-31")
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "before_founding"

    async def test_rule_coverage_within_registration(self, world: World) -> None:
        target = await world.client.post(
            "/work-targets",
            json=new_target(world, registered_on="2020-05-01"),
            headers=world.headers,
        )
        world.ids["新企业"] = uuid.UUID(target.json()["id"])
        response = await world.cover("新企业", "盈科律所支部", "own", "2020-04-30")
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "outside_registration"

    async def test_rule_dissolved_organization_stops_covering(self, world: World) -> None:
        link = (await world.cover("盈科律师事务所", "盈科律所支部", "own", "2019-01-01")).json()
        dissolved = await world.client.post(
            f"/organizations/{world.ids['盈科律所支部']}/dissolve",
            json={"effective_on": "2021-01-01"},
            headers=world.headers,
        )
        assert dissolved.status_code == 200, dissolved.text
        assert (await coverage_of(world, "盈科律师事务所", "2020-12-31"))[
            "state"
        ] == "organizational"
        # the link was left open, but an organization that has ended covers nobody
        assert (await coverage_of(world, "盈科律师事务所", "2021-01-01"))["state"] == "uncovered"
        history = (
            await world.client.get(
                f"/work-targets/{world.ids['盈科律师事务所']}/coverage", headers=world.headers
            )
        ).json()["items"]
        assert [h["id"] for h in history] == [link["id"]]
        assert history[0]["valid_to"] is None
        later = await world.cover(
            "盈科律师事务所", "盈科律所支部", "own", "2021-02-01", replace=True
        )
        assert later.status_code == 422
        assert later.json()["error"]["code"] == "organization_dissolved"

    async def test_rule_coverage_can_be_recorded_for_the_past_of_an_ended_organization(
        self, world: World
    ) -> None:
        await world.client.post(
            f"/organizations/{world.ids['盈科律所支部']}/dissolve",
            json={"effective_on": "2021-01-01"},
            headers=world.headers,
        )
        response = await world.cover("盈科律师事务所", "盈科律所支部", "own", "2019-01-01")
        assert response.status_code == 201, response.text
        assert (await coverage_of(world, "盈科律师事务所", "2020-06-01"))[
            "state"
        ] == "organizational"

    async def test_coverage_start_is_audited_and_published(
        self, world: World, org_db_url: str
    ) -> None:
        link = (await world.cover("盈科律师事务所", "盈科律所支部", "own", "2019-01-01")).json()
        audit = await db_rows(
            org_db_url,
            "SELECT action, after->>'id' FROM audit_record WHERE entity_id = :id "
            "AND action LIKE 'work_target.coverage%'",
            id=str(world.ids["盈科律师事务所"]),
        )
        assert audit == [("work_target.coverage.start", link["id"])]
        events = await db_rows(
            org_db_url,
            "SELECT type, data FROM outbox_event WHERE subject = :id",
            id=str(world.ids["盈科律师事务所"]),
        )
        assert len(events) == 1
        event_type, data = events[0]
        assert event_type == "org.work_target.coverage_changed"
        assert data["change"] == "started"
        assert data["link"]["organization_id"] == str(world.ids["盈科律所支部"])
        assert data["coverage"]["state"] == "organizational"


async def assign(
    world: World,
    target: str,
    person: str,
    valid_from: str,
    *,
    subject: str | None = None,
    unit: str = "work_target_id",
    role: str = "instructor",
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    response = await world.client.post(
        "/instructor-assignments",
        json={
            "role": role,
            "person_name": person,
            "subject": subject,
            unit: str(world.ids[target]),
            "valid_from": valid_from,
        },
        headers=headers or world.headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


class TestInstructorAssignments:
    async def test_rule_work_coverage_needs_no_organizational_coverage(self, world: World) -> None:
        await assign(world, "中天物业", "李联络", "2019-01-01", role="liaison")
        assert (await coverage_of(world, "中天物业", "2019-01-01"))["state"] == "work"
        await world.cover("中天物业", "红旗商圈联合支部", "joint", "2020-01-01")
        assert (await coverage_of(world, "中天物业", "2019-12-31"))["state"] == "work"
        # with an organization, the target counts as organizationally covered only
        assert (await coverage_of(world, "中天物业", "2020-01-01"))["state"] == "organizational"

    async def test_rule_work_coverage_counts_target_assignments_only(self, world: World) -> None:
        await assign(world, "盈科律所支部", "王指导", "2019-01-01", unit="organization_id")
        assert (await coverage_of(world, "中天物业"))["state"] == "uncovered"

    async def test_rule_assignment_names_exactly_one_unit(self, world: World) -> None:
        body = {
            "role": "instructor",
            "person_name": "王指导",
            "work_target_id": str(world.ids["中天物业"]),
            "organization_id": str(world.ids["盈科律所支部"]),
            "valid_from": "2019-01-01",
        }
        both = await world.client.post("/instructor-assignments", json=body, headers=world.headers)
        assert both.status_code == 422
        assert both.json()["error"]["code"] == "assignment_needs_one_unit"
        del body["work_target_id"], body["organization_id"]
        neither = await world.client.post(
            "/instructor-assignments", json=body, headers=world.headers
        )
        assert neither.json()["error"]["code"] == "assignment_needs_one_unit"

    async def test_rule_no_duplicate_assignment(self, world: World) -> None:
        await assign(world, "中天物业", "王指导", "2019-01-01", subject="wang")
        response = await world.client.post(
            "/instructor-assignments",
            json={
                "role": "instructor",
                "person_name": "王指导",
                "subject": "wang",
                "work_target_id": str(world.ids["中天物业"]),
                "valid_from": "2020-01-01",
            },
            headers=world.headers,
        )
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "duplicate_assignment"

    async def test_end_assignment_ends_work_coverage(self, world: World, org_db_url: str) -> None:
        assignment = await assign(world, "中天物业", "王指导", "2019-01-01")
        url = f"/instructor-assignments/{assignment['id']}/end"
        early = await world.client.post(url, json={"valid_to": "2018-12-01"}, headers=world.headers)
        assert early.status_code == 422
        assert early.json()["error"]["code"] == "end_before_start"
        ended = await world.client.post(url, json={"valid_to": "2020-01-01"}, headers=world.headers)
        assert ended.status_code == 200
        assert ended.json()["valid_to"] == "2020-01-01"
        assert (await coverage_of(world, "中天物业", "2020-01-01"))["state"] == "uncovered"
        events = await db_rows(
            org_db_url,
            "SELECT data->>'change' FROM outbox_event WHERE subject = :id ORDER BY seq",
            id=str(world.ids["中天物业"]),
        )
        assert [e[0] for e in events] == ["instructor_assigned", "instructor_ended"]

    async def test_list_assignments_filters(self, world: World) -> None:
        await assign(world, "中天物业", "王指导", "2019-01-01", subject="wang")
        await assign(
            world, "盈科律所支部", "王指导", "2019-01-01", subject="wang", unit="organization_id"
        )
        await assign(world, "汇通驾校", "赵联络", "2019-01-01", role="liaison")
        page = (
            await world.client.get(
                "/instructor-assignments", params={"subject": "wang"}, headers=world.headers
            )
        ).json()
        assert len(page["items"]) == 2
        liaisons = (
            await world.client.get(
                "/instructor-assignments", params={"role": "liaison"}, headers=world.headers
            )
        ).json()
        assert [a["person_name"] for a in liaisons["items"]] == ["赵联络"]


class TestVisibility:
    async def test_rule_district_admin_cannot_read_or_change_other_district_target(
        self, world: World, test_issuer: TestIssuer, org_db_url: str
    ) -> None:
        """南关区's administrator sees 南关区's targets; 二道区's answer 404 to reads and writes."""
        headers = district_admin(test_issuer, world, "南关区")
        erdao = world.ids["汇通驾校"]
        read = await world.client.get(f"/work-targets/{erdao}", headers=headers)
        assert read.status_code == 404
        assert read.json()["error"]["code"] == "work_target_not_found"
        before = await count(org_db_url, "audit_record")
        patch = await world.client.patch(
            f"/work-targets/{erdao}", json={"name": "改名"}, headers=headers
        )
        assert patch.status_code == 404
        cover = await world.client.post(
            f"/work-targets/{erdao}/coverage",
            json={
                "organization_id": str(world.ids["汇通驾校支部"]),
                "mode": "own",
                "valid_from": "2019-01-01",
            },
            headers=headers,
        )
        assert cover.status_code == 404
        assert await count(org_db_url, "audit_record") == before
        listed = (await world.client.get("/work-targets", headers=headers)).json()
        assert world.names(listed) == {"盈科律师事务所", "中天物业", "北湖网络"}
        batch = (
            await world.client.get("/work-targets", params={"ids": str(erdao)}, headers=headers)
        ).json()
        assert batch["items"] == []
        create = await world.client.post(
            "/work-targets",
            json=new_target(world, region_id=str(world.ids["二道区"])),
            headers=headers,
        )
        assert create.status_code == 403
        assert create.json()["error"]["code"] == "outside_your_region"
        # and its own district's targets are readable and writable
        own = await world.client.patch(
            f"/work-targets/{world.ids['中天物业']}", json={"employee_count": 9}, headers=headers
        )
        assert own.status_code == 200

    async def test_rule_district_admin_cannot_move_target_out_of_district(
        self, world: World, test_issuer: TestIssuer
    ) -> None:
        headers = district_admin(test_issuer, world, "南关区")
        response = await world.client.patch(
            f"/work-targets/{world.ids['盈科律师事务所']}",
            json={"region_id": str(world.ids["二道区"])},
            headers=headers,
        )
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "outside_your_region"

    async def test_rule_secretary_sees_targets_covered_by_subtree(
        self, world: World, test_issuer: TestIssuer
    ) -> None:
        await world.cover("中天物业", "红旗商圈联合支部", "joint", "2019-01-01")
        await world.cover("盈科律师事务所", "盈科律所支部", "own", "2019-01-01")
        secretary = test_issuer.headers(
            subject="sec",
            roles=["secretary"],
            scopes=["org:read", "org:write"],
            org_id=world.ids["红旗商圈联合支部"],
        )
        listed = (await world.client.get("/work-targets", headers=secretary)).json()
        assert world.names(listed) == {"中天物业"}
        committee = test_issuer.headers(
            subject="adm",
            roles=["org_admin"],
            scopes=["org:read", "org:write"],
            org_id=world.ids["南关区工委2018"],
        )
        listed = (await world.client.get("/work-targets", headers=committee)).json()
        assert world.names(listed) == {"中天物业", "盈科律师事务所"}
        hidden = await world.client.get(f"/work-targets/{world.ids['北湖网络']}", headers=secretary)
        assert hidden.status_code == 404

    async def test_rule_instructor_reads_only_assignments(
        self, world: World, test_issuer: TestIssuer
    ) -> None:
        await assign(world, "中天物业", "王指导", "2019-01-01", subject="wang")
        await assign(
            world, "盈科律所支部", "王指导", "2019-01-01", subject="wang", unit="organization_id"
        )
        await world.cover("盈科律师事务所", "盈科律所支部", "own", "2019-01-01")
        await assign(world, "汇通驾校", "赵指导", "2019-01-01", subject="zhao")
        wang = test_issuer.headers(subject="wang", roles=["instructor"], scopes=["org:read"])
        targets = (await world.client.get("/work-targets", headers=wang)).json()
        # assigned directly, and covered by the organization assigned to them
        assert world.names(targets) == {"中天物业", "盈科律师事务所"}
        assert (
            await world.client.get(f"/work-targets/{world.ids['汇通驾校']}", headers=wang)
        ).status_code == 404
        orgs = (await world.client.get("/organizations", headers=wang)).json()
        assert world.names(orgs) == {"盈科律所支部"}
        hidden_org = await world.client.get(
            f"/organizations/{world.ids['汇通驾校支部']}", headers=wang
        )
        assert hidden_org.status_code == 404
        assignments = (await world.client.get("/instructor-assignments", headers=wang)).json()
        assert {a["subject"] for a in assignments["items"]} == {"wang"}

    async def test_rule_ended_assignment_hides_target_from_instructor(
        self, world: World, test_issuer: TestIssuer
    ) -> None:
        assignment = await assign(world, "中天物业", "王指导", "2019-01-01", subject="wang")
        await world.client.post(
            f"/instructor-assignments/{assignment['id']}/end",
            json={"valid_to": "2020-01-01"},
            headers=world.headers,
        )
        wang = test_issuer.headers(subject="wang", roles=["instructor"], scopes=["org:read"])
        assert (await world.client.get("/work-targets", headers=wang)).json()["items"] == []

    async def test_member_sees_no_targets(self, world: World, test_issuer: TestIssuer) -> None:
        member = test_issuer.headers(subject="m", roles=["member"], scopes=["org:read"])
        assert (await world.client.get("/work-targets", headers=member)).json()["items"] == []

    async def test_secretary_cannot_start_coverage(
        self, world: World, test_issuer: TestIssuer
    ) -> None:
        await world.cover("中天物业", "红旗商圈联合支部", "joint", "2019-01-01")
        secretary = test_issuer.headers(
            subject="sec",
            roles=["secretary"],
            scopes=["org:read", "org:write"],
            org_id=world.ids["红旗商圈联合支部"],
        )
        response = await world.client.post(
            f"/work-targets/{world.ids['中天物业']}/coverage",
            json={
                "organization_id": str(world.ids["红旗商圈联合支部"]),
                "mode": "joint",
                "valid_from": "2020-01-01",
                "replace": True,
            },
            headers=secretary,
        )
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "outside_your_region"
