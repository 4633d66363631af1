"""Batch reads for screens that list many organizations or members: one call, not one per item."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import httpx

from .conftest import City, Members, error_code

TODAY = date.today()


class TestOrganizationMembers:
    async def test_first_page_of_each_organization_continues_with_list_members(
        self, client: httpx.AsyncClient, city: City, members: Members
    ) -> None:
        for name in ("丙", "甲", "乙"):
            await members.full_member(name=name)
        await members.full_member("瑞华会计所党支部", name="丁")
        yingke, ruihua = str(city["盈科律所党支部"]), str(city["瑞华会计所党支部"])
        empty = str(city["同心港企业党支部"])
        response = await client.get(
            "/organization-members",
            params={"organization_ids": f"{yingke},{ruihua},{empty}", "limit": 2},
            headers=city.admin(),
        )
        assert response.status_code == 200, response.text
        pages = {p["organization_id"]: p for p in response.json()["items"]}
        assert list(pages) == [yingke, ruihua, empty]
        listed = await client.get(
            "/members", params={"organization_id": yingke, "limit": 2}, headers=city.admin()
        )
        assert [m["name"] for m in pages[yingke]["items"]] == [
            m["name"] for m in listed.json()["items"]
        ]
        assert pages[yingke]["next_cursor"] == listed.json()["next_cursor"]
        rest = await client.get(
            "/members",
            params={"organization_id": yingke, "after": pages[yingke]["next_cursor"]},
            headers=city.admin(),
        )
        assert len(rest.json()["items"]) == 1
        assert [m["name"] for m in pages[ruihua]["items"]] == ["丁"]
        assert pages[ruihua]["next_cursor"] is None
        assert pages[empty]["items"] == []

    async def test_hidden_members_are_left_out(
        self, client: httpx.AsyncClient, city: City, members: Members
    ) -> None:
        await members.full_member(name="盈科甲")
        await members.full_member("同心港企业党支部", name="同心港甲")
        ids = f"{city['盈科律所党支部']},{city['同心港企业党支部']}"
        response = await client.get(
            "/organization-members",
            params={"organization_ids": ids},
            headers=city.secretary("盈科律所党支部"),
        )
        counts = [len(p["items"]) for p in response.json()["items"]]
        assert counts == [1, 0]

    async def test_too_many_members_asked_is_refused(
        self, client: httpx.AsyncClient, city: City
    ) -> None:
        repeated = ",".join([str(city["盈科律所党支部"])] * 60)
        allowed = await client.get(
            "/organization-members",
            params={"organization_ids": repeated, "limit": 200},
            headers=city.admin(),
        )
        assert [len(p["items"]) for p in allowed.json()["items"]] == [0]
        distinct = ",".join(str(uuid.uuid4()) for _ in range(51))
        refused = await client.get(
            "/organization-members",
            params={"organization_ids": distinct, "limit": 200},
            headers=city.admin(),
        )
        assert refused.status_code == 422
        assert error_code(refused) == "too_many_members_asked"


class TestMemberPosts:
    async def test_posts_of_many_members_held_on_a_day(
        self, client: httpx.AsyncClient, city: City, members: Members
    ) -> None:
        first = await members.full_member(name="甲")
        second = await members.full_member(name="乙")
        other = await members.full_member(name="丙")
        for member, kind, started in (
            (first, "integrity", TODAY - timedelta(days=10)),
            (first, "shock", TODAY + timedelta(days=0)),
            (second, "civility", TODAY - timedelta(days=400)),
            (other, "integrity", TODAY - timedelta(days=5)),
        ):
            response = await client.post(
                f"/members/{member['id']}/posts",
                json={"kind": kind, "title": kind, "started_on": str(started)},
                headers=city.admin(),
            )
            assert response.status_code == 201, response.text
        ended = await client.get("/posts", params={"member_id": second["id"]}, headers=city.admin())
        await client.post(
            f"/posts/{ended.json()['items'][0]['id']}/end",
            json={"ended_on": str(TODAY - timedelta(days=30))},
            headers=city.admin(),
        )
        response = await client.get(
            "/member-posts",
            params={"member_ids": f"{first['id']},{second['id']}", "held_on": str(TODAY)},
            headers=city.admin(),
        )
        assert response.status_code == 200, response.text
        held = [(p["member_id"], p["kind"]) for p in response.json()["items"]]
        assert sorted(held) == sorted([(first["id"], "integrity"), (first["id"], "shock")])
        every = await client.get(
            "/member-posts",
            params={"member_ids": f"{first['id']},{second['id']}", "limit": 2},
            headers=city.admin(),
        )
        assert len(every.json()["items"]) == 2
        rest = await client.get(
            "/member-posts",
            params={
                "member_ids": f"{first['id']},{second['id']}",
                "after": every.json()["next_cursor"],
            },
            headers=city.admin(),
        )
        assert len(rest.json()["items"]) == 1

    async def test_a_member_sees_only_their_own(
        self, client: httpx.AsyncClient, city: City, members: Members
    ) -> None:
        mine = await members.full_member(name="甲")
        theirs = await members.full_member(name="乙")
        for member in (mine, theirs):
            await client.post(
                f"/members/{member['id']}/posts",
                json={"kind": "integrity", "title": "窗口"},
                headers=city.admin(),
            )
        response = await client.get(
            "/member-posts",
            params={"member_ids": f"{mine['id']},{theirs['id']}"},
            headers=city.member(mine["id"]),
        )
        assert {p["member_id"] for p in response.json()["items"]} == {mine["id"]}
