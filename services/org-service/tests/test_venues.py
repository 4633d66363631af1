"""Venues (guidance and activity centers) and showcase sites over HTTP."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from org_service.venues.models import SHOWCASE_CRITERIA
from org_service.venues.schemas import ShowcaseCriteria
from service_kit.testing import TestIssuer

from .conftest import Tree
from .work_helpers import World, count, district_admin


@pytest.fixture
async def world(tree: Tree) -> World:
    return await World(tree).setup()


async def venue(world: World, name: str, region: str = "南关区", **extra: Any) -> dict[str, Any]:
    body = {
        "kind": "guidance_center",
        "name": name,
        "region_id": str(world.ids[region]),
        "opened_on": "2018-06-01",
        **extra,
    }
    response = await world.client.post("/venues", json=body, headers=world.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    world.ids[name] = uuid.UUID(created["id"])
    return created


async def set_policy(world: World, key: str, value: Any, valid_from: str, **extra: Any) -> None:
    response = await world.client.put(
        f"/policy-parameters/{key}",
        json={"value": value, "valid_from": valid_from, **extra},
        headers=world.headers,
    )
    assert response.status_code == 200, response.text


class TestVenues:
    async def test_creates_venue_with_all_fields(self, world: World) -> None:
        created = await venue(
            world,
            "星火源党建指导中心",
            region="南岭街道",
            place_id=str(world.ids["中天大厦"]),
            address="南关区人民大街1号",
            area_m2=1200.5,
            opening_hours="周一至周五 8:30-17:00",
            run_by_organization_id=str(world.ids["南关区工委2018"]),
        )
        assert created["area_m2"] == 1200.5
        assert created["is_open"] is True
        assert created["place_id"] == str(world.ids["中天大厦"])
        fetched = await world.client.get(f"/venues/{created['id']}", headers=world.headers)
        assert fetched.json() == created

    async def test_rule_guidance_center_meets_area_standard(self, world: World) -> None:
        large = await venue(world, "大中心", area_m2=1000)
        small = await venue(world, "小中心", area_m2=999.5)
        unknown = await venue(world, "未知面积中心")
        activity = await venue(world, "红帆党群活动中心", kind="activity_center", area_m2=300)
        assert (large["meets_area_standard"], large["area_standard_m2"]) == (True, 1000)
        assert small["meets_area_standard"] is False
        assert unknown["meets_area_standard"] is None
        assert (activity["meets_area_standard"], activity["area_standard_m2"]) == (None, None)

    async def test_rule_area_standard_is_a_dated_policy_parameter(self, world: World) -> None:
        created = await venue(world, "中心", region="南岭街道", area_m2=1100)
        await set_policy(world, "guidance_center_min_area_m2", 1200, "2020-01-01")

        async def meets(as_of: str) -> Any:
            response = await world.client.get(
                f"/venues/{created['id']}", params={"as_of": as_of}, headers=world.headers
            )
            return response.json()["meets_area_standard"]

        assert await meets("2019-12-31") is True
        assert await meets("2020-01-01") is False
        # a district's own value holds for the regions below it
        await set_policy(
            world,
            "guidance_center_min_area_m2",
            1000,
            "2021-01-01",
            region_id=str(world.ids["南关区"]),
        )
        assert await meets("2021-01-01") is True
        erdao = await venue(world, "二道中心", region="二道区", area_m2=1100)
        assert erdao["meets_area_standard"] is False  # the city-wide 1200 holds in 二道区

    async def test_bad_references_are_422_and_write_nothing(
        self, world: World, org_db_url: str
    ) -> None:
        before = await count(org_db_url, "venue")
        base = {"kind": "guidance_center", "name": "x", "opened_on": "2018-06-01"}
        cases = [
            ({"region_id": str(uuid.uuid4())}, "region_not_found"),
            (
                {"region_id": str(world.ids["南关区"]), "place_id": str(world.ids["同心港"])},
                "place_outside_region",
            ),
            (
                {
                    "region_id": str(world.ids["南关区"]),
                    "run_by_organization_id": str(uuid.uuid4()),
                },
                "organization_not_found",
            ),
            (
                {"region_id": str(world.ids["南关区"]), "closed_on": "2018-05-31"},
                "closed_before_opened",
            ),
        ]
        for extra, code in cases:
            response = await world.client.post(
                "/venues", json={**base, **extra}, headers=world.headers
            )
            assert response.status_code == 422, code
            assert response.json()["error"]["code"] == code
        assert await count(org_db_url, "venue") == before

    async def test_rule_district_admin_writes_venues_only_in_own_district(
        self, world: World, test_issuer: TestIssuer
    ) -> None:
        headers = district_admin(test_issuer, world, "南关区")
        erdao = await venue(world, "同心港中心", region="二道区")
        response = await world.client.post(
            "/venues",
            json={
                "kind": "activity_center",
                "name": "x",
                "region_id": str(world.ids["二道区"]),
                "opened_on": "2018-06-01",
            },
            headers=headers,
        )
        assert response.status_code == 403
        patch = await world.client.patch(
            f"/venues/{erdao['id']}", json={"closed_on": "2020-01-01"}, headers=headers
        )
        assert patch.status_code == 403
        assert patch.json()["error"]["code"] == "outside_your_region"

    async def test_close_by_patch_and_open_only_filter(self, world: World) -> None:
        created = await venue(world, "旧中心")
        await venue(world, "新中心")
        response = await world.client.patch(
            f"/venues/{created['id']}", json={"closed_on": "2020-01-01"}, headers=world.headers
        )
        assert response.status_code == 200
        assert response.json()["is_open"] is False
        page = (
            await world.client.get("/venues", params={"open_only": "true"}, headers=world.headers)
        ).json()
        assert world.names(page) == {"新中心"}
        then = (
            await world.client.get(
                "/venues",
                params={"open_only": "true", "as_of": "2019-12-31"},
                headers=world.headers,
            )
        ).json()
        assert world.names(then) == {"旧中心", "新中心"}

    async def test_list_filters_pages_and_batch(self, world: World) -> None:
        await venue(world, "南关中心", region="南岭街道")
        await venue(world, "二道中心", region="二道区")
        await venue(world, "活动中心", kind="activity_center")

        async def names(**params: str) -> set[str]:
            page = (await world.client.get("/venues", params=params, headers=world.headers)).json()
            return world.names(page)

        assert await names(kind="activity_center") == {"活动中心"}
        assert await names(region_id=str(world.ids["南关区"])) == {"南关中心", "活动中心"}
        first = (
            await world.client.get("/venues", params={"limit": 2}, headers=world.headers)
        ).json()
        second = (
            await world.client.get(
                "/venues", params={"limit": 2, "after": first["next_cursor"]}, headers=world.headers
            )
        ).json()
        assert len(first["items"]) == 2
        assert len(second["items"]) == 1
        assert second["next_cursor"] is None
        assert await names(ids=f"{world.ids['二道中心']},{uuid.uuid4()}") == {"二道中心"}

    async def test_unknown_venue_is_404(self, world: World) -> None:
        response = await world.client.get(f"/venues/{uuid.uuid4()}", headers=world.headers)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "venue_not_found"


ALL_FIVE = {name: True for name in SHOWCASE_CRITERIA}


async def showcase(world: World, org: str, since: str, **criteria: bool) -> Any:
    return await world.client.post(
        "/showcase-sites",
        json={
            "organization_id": str(world.ids[org]),
            "since": since,
            "criteria": {**ALL_FIVE, **criteria},
        },
        headers=world.headers,
    )


class TestShowcaseSites:
    def test_criteria_are_the_five_of_the_domain(self) -> None:
        assert set(ShowcaseCriteria.model_fields) == set(SHOWCASE_CRITERIA)
        assert len(SHOWCASE_CRITERIA) == 5

    async def test_rule_showcase_site_needs_all_five_criteria(
        self, world: World, org_db_url: str
    ) -> None:
        for name in SHOWCASE_CRITERIA:
            response = await showcase(world, "盈科律所支部", "2020-01-01", **{name: False})
            assert response.status_code == 422
            error = response.json()["error"]
            assert error["code"] == "showcase_criteria_not_met"
            assert error["details"]["missing"] == [name]
        assert await count(org_db_url, "showcase_site") == 0
        ok = await showcase(world, "盈科律所支部", "2020-01-01")
        assert ok.status_code == 201, ok.text
        assert ok.json()["criteria"] == ALL_FIVE
        assert ok.json()["source"] == "manual"

    async def test_criteria_must_name_all_five_and_nothing_else(self, world: World) -> None:
        partial = await world.client.post(
            "/showcase-sites",
            json={
                "organization_id": str(world.ids["盈科律所支部"]),
                "since": "2020-01-01",
                "criteria": {"standardized": True},
            },
            headers=world.headers,
        )
        assert partial.status_code == 422
        assert partial.json()["error"]["code"] == "validation_error"
        extra = await showcase(world, "盈科律所支部", "2020-01-01", famous=True)
        assert extra.status_code == 422

    async def test_rule_one_showcase_period_at_a_time(self, world: World) -> None:
        first = (await showcase(world, "盈科律所支部", "2020-01-01")).json()
        again = await showcase(world, "盈科律所支部", "2021-01-01")
        assert again.status_code == 409
        assert again.json()["error"]["code"] == "showcase_site_open"
        url = f"/showcase-sites/{first['id']}/end"
        early = await world.client.post(url, json={"until": "2020-01-01"}, headers=world.headers)
        assert early.status_code == 422
        assert early.json()["error"]["code"] == "end_before_start"
        ended = await world.client.post(url, json={"until": "2021-01-01"}, headers=world.headers)
        assert ended.status_code == 200
        overlap = await showcase(world, "盈科律所支部", "2020-06-01")
        assert overlap.status_code == 409
        assert overlap.json()["error"]["code"] == "showcase_overlap"
        assert (await showcase(world, "盈科律所支部", "2021-01-01")).status_code == 201

    async def test_showcase_sites_as_of_a_day(self, world: World) -> None:
        first = (await showcase(world, "盈科律所支部", "2020-01-01")).json()
        await world.client.post(
            f"/showcase-sites/{first['id']}/end",
            json={"until": "2021-01-01"},
            headers=world.headers,
        )
        await showcase(world, "红旗商圈联合支部", "2020-06-01")

        async def orgs(day: str) -> set[str]:
            page = (
                await world.client.get(
                    "/showcase-sites", params={"valid_on": day}, headers=world.headers
                )
            ).json()
            return {world.name_of(item["organization_id"]) for item in page["items"]}

        assert await orgs("2019-12-31") == set()
        assert await orgs("2020-06-01") == {"盈科律所支部", "红旗商圈联合支部"}
        assert await orgs("2021-01-01") == {"红旗商圈联合支部"}

    async def test_rule_showcase_not_before_founding(self, world: World) -> None:
        response = await showcase(world, "盈科律所支部", "2017-01-01")
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "before_founding"

    async def test_showcase_visibility_follows_organizations(
        self, world: World, test_issuer: TestIssuer
    ) -> None:
        site = (await showcase(world, "汇通驾校支部", "2020-01-01")).json()
        nanguan = district_admin(test_issuer, world, "南关区")
        hidden = await world.client.get(f"/showcase-sites/{site['id']}", headers=nanguan)
        assert hidden.status_code == 404
        assert (await world.client.get("/showcase-sites", headers=nanguan)).json()["items"] == []
        create = await world.client.post(
            "/showcase-sites",
            json={
                "organization_id": str(world.ids["汇通驾校支部"]),
                "since": "2021-01-01",
                "criteria": ALL_FIVE,
            },
            headers=nanguan,
        )
        assert create.status_code == 422
        assert create.json()["error"]["code"] == "organization_not_found"
