"""Who sees whom: a member themselves, secretaries and organization admins their subtree, district
admins their region, city-wide roles everyone; hidden members answer 404."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .conftest import City, Members


@pytest.fixture
async def people(members: Members) -> dict[str, dict[str, Any]]:
    return {
        "yingke": await members.full_member("盈科律所党支部", name="盈科党员"),
        "ruihua": await members.full_member("瑞华会计所党支部", name="瑞华党员"),
        "tongxin": await members.full_member("同心港企业党支部", name="同心港党员"),
        "city_level": await members.full_member("律师协会党支部", name="律协党员"),
    }


async def visible(client: httpx.AsyncClient, headers: dict[str, str]) -> set[str]:
    response = await client.get("/members", params={"limit": 200}, headers=headers)
    assert response.status_code == 200, response.text
    return {m["name"] for m in response.json()["items"]}


class TestReading:
    async def test_rule_member_sees_only_themselves(
        self, client: httpx.AsyncClient, city: City, people: dict[str, dict[str, Any]]
    ) -> None:
        me = city.member(people["yingke"]["id"])
        assert await visible(client, me) == {"盈科党员"}
        own = await client.get(f"/members/{people['yingke']['id']}", headers=me)
        assert own.status_code == 200
        assert own.json()["id_number_masked"] is True
        other = await client.get(f"/members/{people['ruihua']['id']}", headers=me)
        assert other.status_code == 404
        change = await client.patch(
            f"/members/{people['yingke']['id']}", json={"phone": "13800000000"}, headers=me
        )
        assert change.status_code == 403  # members hold no member:write

    async def test_rule_secretary_sees_their_subtree(
        self, client: httpx.AsyncClient, city: City, people: dict[str, dict[str, Any]]
    ) -> None:
        branch = city.secretary("盈科律所党支部")
        assert await visible(client, branch) == {"盈科党员"}
        committee = city.secretary("星火源综合党委", subject="secretary.xinghuo")
        assert await visible(client, committee) == {"盈科党员", "瑞华党员"}
        hidden = await client.get(f"/members/{people['tongxin']['id']}", headers=committee)
        assert hidden.status_code == 404
        ids = ",".join(p["id"] for p in people.values())
        batch = await client.get("/members", params={"ids": ids}, headers=committee)
        assert {m["name"] for m in batch.json()["items"]} == {"盈科党员", "瑞华党员"}
        admin = city.headers(
            subject="org.admin.nanguan",
            roles=["org_admin"],
            scopes=["member:read", "member:write"],
            org_id=city["南关区党工委"],
        )
        assert await visible(client, admin) == {"盈科党员", "瑞华党员"}

    async def test_rule_district_admin_sees_their_region(
        self, client: httpx.AsyncClient, city: City, people: dict[str, dict[str, Any]]
    ) -> None:
        assert await visible(client, city.district_admin("南关区")) == {"盈科党员", "瑞华党员"}
        assert await visible(client, city.district_admin("二道区")) == {"同心港党员"}
        assert await visible(client, city.admin()) == {
            "盈科党员",
            "瑞华党员",
            "同心港党员",
            "律协党员",
        }

    async def test_rule_hidden_members_cannot_be_changed(
        self, client: httpx.AsyncClient, city: City, people: dict[str, dict[str, Any]]
    ) -> None:
        secretary = city.secretary("盈科律所党支部")
        response = await client.patch(
            f"/members/{people['tongxin']['id']}", json={"phone": "13800000000"}, headers=secretary
        )
        assert response.status_code == 404
        mine = await client.patch(
            f"/members/{people['yingke']['id']}",
            json={"phone": "13800000000", "education": "master"},
            headers=secretary,
        )
        assert mine.status_code == 200, mine.text
        assert (mine.json()["phone"], mine.json()["education"]) == ("13800000000", "master")

    async def test_member_counts_of_hidden_organizations_are_left_out(
        self, client: httpx.AsyncClient, city: City, people: dict[str, dict[str, Any]]
    ) -> None:
        wanted = f"{city['盈科律所党支部']},{city['同心港企业党支部']}"
        mine = await client.get(
            "/member-counts",
            params={"organization_ids": wanted},
            headers=city.secretary("盈科律所党支部"),
        )
        assert [c["organization_id"] for c in mine.json()["items"]] == [str(city["盈科律所党支部"])]
        service = city.headers(subject="funding-service", roles=["service"], scopes=["member:read"])
        both = await client.get(
            "/member-counts", params={"organization_ids": wanted}, headers=service
        )
        assert [c["full_members"] for c in both.json()["items"]] == [1, 1]

    async def test_requests_without_the_scope(
        self, client: httpx.AsyncClient, city: City, people: dict[str, dict[str, Any]]
    ) -> None:
        assert (await client.get("/members")).status_code == 401
        no_scope = city.headers(subject="x", roles=["finance_bureau"], scopes=["funding:read"])
        assert (await client.get("/members", headers=no_scope)).status_code == 403
        events = await client.post("/events", json={}, headers=city.admin())
        assert events.status_code == 403
