"""Places over HTTP: parks with levels, business districts, markets, buildings in regions."""

from __future__ import annotations

import uuid

import pytest

from service_kit.testing import TestIssuer

from .conftest import Tree
from .work_helpers import World, count, district_admin


@pytest.fixture
async def world(tree: Tree) -> World:
    return await World(tree).setup()


class TestCreatePlace:
    async def test_creates_park_with_level(self, world: World) -> None:
        response = await world.client.get(
            f"/places/{world.ids['北湖科技园']}", headers=world.headers
        )
        assert response.status_code == 200
        body = response.json()
        assert body["kind"] == "park"
        assert body["level"] == "national"
        assert body["provincial_or_above"] is True
        assert body["region_id"] == str(world.ids["南关区"])

    async def test_rule_park_needs_level(self, world: World) -> None:
        response = await world.client.post(
            "/places",
            json={"name": "无级别园区", "kind": "park", "region_id": str(world.ids["南关区"])},
            headers=world.headers,
        )
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "invalid_park_level"

    async def test_rule_only_parks_have_level(self, world: World) -> None:
        response = await world.client.post(
            "/places",
            json={
                "name": "某大厦",
                "kind": "building",
                "level": "provincial",
                "region_id": str(world.ids["南关区"]),
            },
            headers=world.headers,
        )
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "invalid_park_level"

    async def test_rule_building_sits_in_business_district_or_park(self, world: World) -> None:
        await world.place("园区大厦", "building", "南关区", parent="北湖科技园")
        response = await world.client.post(
            "/places",
            json={
                "name": "楼中楼",
                "kind": "building",
                "region_id": str(world.ids["南岭街道"]),
                "parent_place_id": str(world.ids["中天大厦"]),
            },
            headers=world.headers,
        )
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "invalid_place_parent"
        assert "business_district" in error["message"]

    async def test_rule_park_has_no_parent_place(self, world: World) -> None:
        response = await world.client.post(
            "/places",
            json={
                "name": "园中园",
                "kind": "park",
                "level": "municipal",
                "region_id": str(world.ids["南关区"]),
                "parent_place_id": str(world.ids["北湖科技园"]),
            },
            headers=world.headers,
        )
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "invalid_place_parent"

    async def test_rule_place_lies_in_its_parent_places_region(self, world: World) -> None:
        response = await world.client.post(
            "/places",
            json={
                "name": "二道某大厦",
                "kind": "building",
                "region_id": str(world.ids["二道区"]),
                "parent_place_id": str(world.ids["红旗商圈"]),
            },
            headers=world.headers,
        )
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "place_outside_parent_region"

    async def test_unknown_region_or_parent_is_422(self, world: World, org_db_url: str) -> None:
        before = await count(org_db_url, "place")
        unknown_region = await world.client.post(
            "/places",
            json={"name": "x", "kind": "market", "region_id": str(uuid.uuid4())},
            headers=world.headers,
        )
        assert unknown_region.status_code == 422
        assert unknown_region.json()["error"]["code"] == "region_not_found"
        unknown_parent = await world.client.post(
            "/places",
            json={
                "name": "x",
                "kind": "market",
                "region_id": str(world.ids["南关区"]),
                "parent_place_id": str(uuid.uuid4()),
            },
            headers=world.headers,
        )
        assert unknown_parent.status_code == 422
        assert unknown_parent.json()["error"]["details"]["field"] == "parent_place_id"
        assert await count(org_db_url, "place") == before

    async def test_duplicate_name_in_region_is_409(self, world: World) -> None:
        response = await world.client.post(
            "/places",
            json={"name": "红旗商圈", "kind": "market", "region_id": str(world.ids["南关区"])},
            headers=world.headers,
        )
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "place_exists"
        # the same name in another district is another place
        await world.place("红旗商圈", "business_district", "二道区")

    async def test_rule_district_admin_writes_places_only_in_own_district(
        self, world: World, test_issuer: TestIssuer
    ) -> None:
        headers = district_admin(test_issuer, world, "南关区")
        own = await world.client.post(
            "/places",
            json={"name": "南关市场", "kind": "market", "region_id": str(world.ids["南岭街道"])},
            headers=headers,
        )
        assert own.status_code == 201
        other = await world.client.post(
            "/places",
            json={"name": "二道市场", "kind": "market", "region_id": str(world.ids["二道区"])},
            headers=headers,
        )
        assert other.status_code == 403
        assert other.json()["error"]["code"] == "outside_your_region"

    async def test_member_cannot_write_places(self, world: World, test_issuer: TestIssuer) -> None:
        headers = test_issuer.headers(subject="m", roles=["member"], scopes=["org:read"])
        response = await world.client.post(
            "/places",
            json={"name": "x", "kind": "market", "region_id": str(world.ids["南关区"])},
            headers=headers,
        )
        assert response.status_code == 403


class TestListPlaces:
    async def test_rule_provincial_or_above_means_provincial_or_national(
        self, world: World
    ) -> None:
        await world.place("省级园区", "park", "二道区", level="provincial")
        page = (
            await world.client.get(
                "/places", params={"provincial_or_above": "true"}, headers=world.headers
            )
        ).json()
        assert world.names(page) == {"北湖科技园", "省级园区"}
        others = (
            await world.client.get(
                "/places", params={"provincial_or_above": "false"}, headers=world.headers
            )
        ).json()
        assert "高新文化创意园" in world.names(others)
        assert "红旗商圈" in world.names(others)
        assert not world.names(others) & {"北湖科技园", "省级园区"}

    async def test_filters_kind_level_region_subtree_and_parent(self, world: World) -> None:
        async def names(**params: str) -> set[str]:
            page = (await world.client.get("/places", params=params, headers=world.headers)).json()
            return world.names(page)

        assert await names(kind="park") == {"北湖科技园", "高新文化创意园"}
        assert await names(level="municipal") == {"高新文化创意园"}
        # a region filter takes in the regions below it: 中天大厦 is in 南岭街道
        assert await names(region_id=str(world.ids["南关区"])) == {
            "北湖科技园",
            "高新文化创意园",
            "红旗商圈",
            "中天大厦",
        }
        assert await names(region_id=str(world.ids["二道区"])) == {"同心港"}
        assert await names(parent_place_id=str(world.ids["红旗商圈"])) == {"中天大厦"}
        assert await names(region_id=str(uuid.uuid4())) == set()

    async def test_keyset_pages_cover_everything_once(self, world: World) -> None:
        seen: list[str] = []
        after = None
        while True:
            params = {"limit": 2, **({"after": after} if after else {})}
            page = (await world.client.get("/places", params=params, headers=world.headers)).json()
            seen += [item["id"] for item in page["items"]]
            after = page["next_cursor"]
            if after is None:
                break
        assert len(seen) == len(set(seen)) == 5

    async def test_batch_get_by_ids(self, world: World) -> None:
        wanted = [world.ids["同心港"], world.ids["中天大厦"], uuid.uuid4()]
        page = (
            await world.client.get(
                "/places",
                params={"ids": ",".join(str(i) for i in wanted)},
                headers=world.headers,
            )
        ).json()
        assert world.names(page) == {"同心港", "中天大厦"}

    async def test_unknown_place_is_404(self, world: World) -> None:
        response = await world.client.get(f"/places/{uuid.uuid4()}", headers=world.headers)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "place_not_found"
