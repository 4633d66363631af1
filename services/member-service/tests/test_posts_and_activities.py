"""Posts (双亮) held for a period, and activities whose attendance lands in the archive."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx

from .conftest import City, Members, error_code, plain_url

TODAY = date.today()


async def assign(
    client: httpx.AsyncClient, city: City, member: dict[str, Any], **body: Any
) -> httpx.Response:
    payload = {"kind": "integrity", "title": "诚信服务窗口", **body}
    return await client.post(f"/members/{member['id']}/posts", json=payload, headers=city.admin())


class TestPosts:
    async def test_assign_and_end_a_post(
        self, client: httpx.AsyncClient, city: City, members: Members, member_db_url: str
    ) -> None:
        member = await members.full_member()
        response = await assign(client, city, member, started_on=str(TODAY - timedelta(days=30)))
        assert response.status_code == 201, response.text
        post = response.json()
        assert post["organization_id"] == str(city["盈科律所党支部"])
        held = await client.get(
            "/posts",
            params={"organization_id": str(city["盈科律所党支部"]), "held_on": str(TODAY)},
            headers=city.member(member["id"]),
        )
        assert [p["id"] for p in held.json()["items"]] == [post["id"]]
        ended = await client.post(f"/posts/{post['id']}/end", json={}, headers=city.admin())
        assert ended.json()["ended_on"] == str(TODAY)
        again = await client.post(f"/posts/{post['id']}/end", json={}, headers=city.admin())
        assert again.status_code == 409
        archive = await client.get(
            f"/members/{member['id']}/archive", params={"kind": "post"}, headers=city.admin()
        )
        assert [e["payload"]["change"] for e in archive.json()["items"]] == ["assigned", "ended"]
        connection = await asyncpg.connect(plain_url(member_db_url))
        try:
            rows = await connection.fetch(
                "SELECT data FROM outbox_event WHERE type = 'member.post.changed' ORDER BY seq"
            )
        finally:
            await connection.close()
        assert [json.loads(r["data"])["change"] for r in rows] == ["assigned", "ended"]

    async def test_rule_one_post_of_a_kind_at_a_time(
        self, client: httpx.AsyncClient, city: City, members: Members
    ) -> None:
        member = await members.full_member()
        first = await assign(
            client,
            city,
            member,
            started_on=str(TODAY - timedelta(days=100)),
            ended_on=str(TODAY - timedelta(days=50)),
        )
        assert first.status_code == 201
        overlapping = await assign(client, city, member, started_on=str(TODAY - timedelta(days=60)))
        assert overlapping.status_code == 409
        assert error_code(overlapping) == "post_overlap"
        after = await assign(client, city, member, started_on=str(TODAY - timedelta(days=49)))
        assert after.status_code == 201
        other_kind = await assign(client, city, member, kind="shock", title="抗洪突击队")
        assert other_kind.status_code == 201

    async def test_rule_post_needs_party_member(
        self, client: httpx.AsyncClient, city: City, members: Members
    ) -> None:
        activist = await members.at_stage("activist")
        response = await assign(client, city, activist)
        assert response.status_code == 422
        assert error_code(response) == "post_needs_party_member"
        member = await members.full_member(name="李四")
        elsewhere = await assign(
            client, city, member, organization_id=str(city["同心港企业党支部"])
        )
        assert error_code(elsewhere) == "post_organization"


class TestActivities:
    async def activity(self, client: httpx.AsyncClient, city: City, **body: Any) -> dict[str, Any]:
        payload = {
            "organization_id": str(city["盈科律所党支部"]),
            "kind": "themed_party_day",
            "title": "主题党日：学习党章",
            "held_on": str(TODAY),
            **body,
        }
        response = await client.post(
            "/activities", json=payload, headers=city.secretary("盈科律所党支部")
        )
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    async def test_rule_attendance_lands_in_the_archive(
        self, client: httpx.AsyncClient, city: City, members: Members
    ) -> None:
        people = [await members.full_member(name=f"党员{i}") for i in range(3)]
        activity = await self.activity(client, city)
        statuses = ["present", "present", "excused"]
        response = await client.post(
            f"/activities/{activity['id']}/attendance",
            json={
                "records": [
                    {"member_id": p["id"], "status": s}
                    for p, s in zip(people, statuses, strict=True)
                ]
            },
            headers=city.secretary("盈科律所党支部"),
        )
        assert response.status_code == 201, response.text
        tally = await client.get(f"/activities/{activity['id']}", headers=city.admin())
        assert (tally.json()["present"], tally.json()["excused"]) == (2, 1)
        for person, status in zip(people, statuses, strict=True):
            archive = await client.get(
                f"/members/{person['id']}/archive",
                params={"kind": "attendance"},
                headers=city.member(person["id"]),
            )
            [entry] = archive.json()["items"]
            assert entry["payload"]["activity_id"] == activity["id"]
            assert entry["payload"]["status"] == status
            assert entry["occurred_on"] == str(TODAY)
        twice = await client.post(
            f"/activities/{activity['id']}/attendance",
            json={"records": [{"member_id": people[0]["id"], "status": "present"}]},
            headers=city.secretary("盈科律所党支部"),
        )
        assert twice.status_code == 409
        assert error_code(twice) == "attendance_recorded"

    async def test_attendance_of_members_outside_reach_is_refused(
        self, client: httpx.AsyncClient, city: City, members: Members, member_db_url: str
    ) -> None:
        stranger = await members.full_member("同心港企业党支部")
        mine = await members.full_member(name="本支部党员")
        activity = await self.activity(client, city)
        response = await client.post(
            f"/activities/{activity['id']}/attendance",
            json={
                "records": [
                    {"member_id": mine["id"], "status": "present"},
                    {"member_id": stranger["id"], "status": "present"},
                ]
            },
            headers=city.secretary("盈科律所党支部"),
        )
        assert response.status_code == 422
        assert error_code(response) == "member_not_found"
        archive = await client.get(
            f"/members/{mine['id']}/archive", params={"kind": "attendance"}, headers=city.admin()
        )
        assert archive.json()["items"] == []  # nothing half-written

    async def test_rule_activity_rhythm(
        self, client: httpx.AsyncClient, city: City, members: Members
    ) -> None:
        first_of_month = TODAY.replace(day=1)
        await self.activity(client, city, held_on=str(first_of_month))
        await self.activity(
            client, city, kind="member_meeting", title="党员大会", held_on=str(TODAY)
        )
        response = await client.get(
            "/activity-rhythm",
            params={"organization_id": str(city["盈科律所党支部"]), "year": TODAY.year},
            headers=city.admin(),
        )
        kinds = {k["kind"]: k for k in response.json()["kinds"]}
        day = kinds["themed_party_day"]
        assert day["every_months"] == 1
        assert len(day["periods"]) == TODAY.month
        assert day["periods"][-1]["held"] == 1
        assert day["missed"] == TODAY.month - 1
        meeting = kinds["member_meeting"]
        assert meeting["every_months"] == 3
        assert len(meeting["periods"]) == (TODAY.month - 1) // 3 + 1
        assert meeting["periods"][-1]["held"] == 1
        hidden = await client.get(
            "/activity-rhythm",
            params={"organization_id": str(city["盈科律所党支部"]), "year": TODAY.year},
            headers=city.secretary("同心港企业党支部"),
        )
        assert hidden.status_code == 404
