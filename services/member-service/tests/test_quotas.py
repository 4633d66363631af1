"""Development quotas: allocated per district and year; admissions draw on them and never exceed
them, also when they arrive at once."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import httpx

from .conftest import City, Members, count, error_code
from .steps import admission, allocate, intensive_training, step

TODAY = date.today()


async def candidates(
    client: httpx.AsyncClient, city: City, members: Members, n: int, organization: str
) -> tuple[list[dict[str, Any]], list[str]]:
    introducers = [
        (await members.full_member(organization, name=f"介绍人{i}"))["id"] for i in range(2)
    ]
    people = []
    for i in range(n):
        person = await members.at_stage("development_target", organization, name=f"发展对象{i}")
        await intensive_training(client, city, person, date.fromordinal(TODAY.toordinal() - 10))
        people.append(person)
    return people, introducers


class TestAllocation:
    async def test_city_allocates_to_districts(self, client: httpx.AsyncClient, city: City) -> None:
        await allocate(client, city, "南关区", 600)
        response = await client.get("/development-quotas", headers=city.admin())
        [quota] = response.json()["items"]
        assert (quota["region_id"], quota["allocated"], quota["used"]) == (
            str(city["南关区"]),
            600,
            0,
        )
        district = await client.put(
            f"/development-quotas/{TODAY.year}/{city['南关区']}",
            json={"allocated": 700},
            headers=city.district_admin("南关区"),
        )
        assert district.status_code == 403
        sub_district = await client.put(
            f"/development-quotas/{TODAY.year}/{city['南岭街道']}",
            json={"allocated": 5},
            headers=city.admin(),
        )
        assert sub_district.status_code == 422
        assert error_code(sub_district) == "region_not_district_level"

    async def test_allocation_never_below_admissions_made(
        self, client: httpx.AsyncClient, city: City, members: Members
    ) -> None:
        people, introducers = await candidates(client, city, members, 1, "盈科律所党支部")
        await allocate(client, city, "南关区", 1)
        assert (await step(client, city, people[0], **admission(introducers))).status_code == 200
        response = await client.put(
            f"/development-quotas/{TODAY.year}/{city['南关区']}",
            json={"allocated": 0},
            headers=city.admin(),
        )
        assert response.status_code == 409
        assert error_code(response) == "quota_below_use"


class TestDrawing:
    async def test_rule_development_quota(
        self, client: httpx.AsyncClient, city: City, members: Members, member_db_url: str
    ) -> None:
        people, introducers = await candidates(client, city, members, 2, "盈科律所党支部")
        missing = await step(client, city, people[0], **admission(introducers))
        assert missing.status_code == 422
        assert error_code(missing) == "development_quota_missing"
        await allocate(client, city, "南关区", 1)
        first = await step(client, city, people[0], **admission(introducers))
        assert first.status_code == 200, first.text
        entries = await count(member_db_url, "archive_entry")
        second = await step(client, city, people[1], **admission(introducers))
        assert second.status_code == 422
        assert error_code(second) == "development_quota_exhausted"
        details = second.json()["error"]["details"]
        assert (details["rule"], details["allocated"], details["used"]) == (
            "development_quota",
            1,
            1,
        )
        assert str(TODAY.year + 1) in second.json()["error"]["message"]
        assert await count(member_db_url, "archive_entry") == entries
        assert await count(member_db_url, "member", "stage = 'probationary_member'") == 1

    async def test_rule_development_quota_of_the_district_of_the_home_organization(
        self, client: httpx.AsyncClient, city: City, members: Members
    ) -> None:
        people, introducers = await candidates(client, city, members, 1, "同心港企业党支部")
        await allocate(client, city, "南关区", 5)  # another district's quota does not help
        refused = await step(client, city, people[0], **admission(introducers))
        assert error_code(refused) == "development_quota_missing"
        await allocate(client, city, "二道区", 1)
        assert (await step(client, city, people[0], **admission(introducers))).status_code == 200

    async def test_rule_development_quota_at_city_level(
        self, client: httpx.AsyncClient, city: City, members: Members
    ) -> None:
        people, introducers = await candidates(client, city, members, 1, "律师协会党支部")
        await allocate(client, city, "长春市", 1)
        assert (await step(client, city, people[0], **admission(introducers))).status_code == 200

    async def test_concurrent_admissions_never_exceed_the_quota(
        self, client: httpx.AsyncClient, city: City, members: Members, member_db_url: str
    ) -> None:
        people, introducers = await candidates(client, city, members, 6, "盈科律所党支部")
        await allocate(client, city, "南关区", 3)
        responses = await asyncio.gather(
            *(step(client, city, person, **admission(introducers)) for person in people)
        )
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200, 200, 200, 422, 422, 422], [r.text for r in responses]
        assert {error_code(r) for r in responses if r.status_code == 422} == {
            "development_quota_exhausted"
        }
        quota = await client.get(
            f"/development-quotas/{TODAY.year}/{city['南关区']}", headers=city.admin()
        )
        assert (quota.json()["used"], quota.json()["remaining"]) == (3, 0)
        assert await count(member_db_url, "quota_draw") == 3
        assert await count(member_db_url, "admission") == 3
        assert await count(member_db_url, "member", "stage = 'probationary_member'") == 3
