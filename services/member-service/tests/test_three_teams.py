"""The three teams: secretaries with terms (one at a time per organization), full-time instructors
against the staffing norms, investors and their training."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx

from .conftest import City, Members, error_code, plain_url

TODAY = date.today()


async def start_term(
    client: httpx.AsyncClient, city: City, member: dict[str, Any], **body: Any
) -> httpx.Response:
    payload = {"member_id": member["id"], **{k: str(v) for k, v in body.items()}}
    return await client.post("/secretary-terms", json=payload, headers=city.admin())


class TestSecretaries:
    async def test_rule_one_secretary_per_organization(
        self, client: httpx.AsyncClient, city: City, members: Members, member_db_url: str
    ) -> None:
        first = await members.full_member(name="王书记")
        second = await members.full_member(name="李书记")
        started = await start_term(client, city, first, term_start=TODAY - timedelta(days=400))
        assert started.status_code == 201, started.text
        term = started.json()
        assert (term["name"], term["organization_id"], term["term_end"]) == (
            "王书记",
            str(city["盈科律所党支部"]),
            None,
        )
        refused = await start_term(client, city, second)
        assert refused.status_code == 409
        assert error_code(refused) == "organization_has_secretary"
        assert refused.json()["error"]["details"]["secretary_term_id"] == term["id"]
        ended = await client.post(
            f"/secretary-terms/{term['id']}/end",
            json={"term_end": str(TODAY - timedelta(days=10))},
            headers=city.admin(),
        )
        assert ended.status_code == 200
        overlapping = await start_term(client, city, second, term_start=TODAY - timedelta(days=10))
        assert error_code(overlapping) == "organization_has_secretary"
        assert overlapping.json()["error"]["details"]["earliest_on"] == str(
            TODAY - timedelta(days=9)
        )
        next_term = await start_term(client, city, second, term_start=TODAY - timedelta(days=9))
        assert next_term.status_code == 201, next_term.text
        connection = await asyncpg.connect(plain_url(member_db_url))
        try:
            rows = await connection.fetch(
                "SELECT data FROM outbox_event WHERE type = 'member.secretary_term.changed' "
                "ORDER BY seq"
            )
        finally:
            await connection.close()
        data = [json.loads(r["data"]) for r in rows]
        assert [(d["name"], d["change"]) for d in data] == [
            ("王书记", "started"),
            ("王书记", "ended"),
            ("李书记", "started"),
        ]
        assert data[1] == {
            "member_id": first["id"],
            "organization_id": str(city["盈科律所党支部"]),
            "change": "ended",
            "term_start": str(TODAY - timedelta(days=400)),
            "term_end": str(TODAY - timedelta(days=10)),
            "name": "王书记",
        }

    async def test_rule_secretary_needs_full_member(
        self, client: httpx.AsyncClient, city: City, members: Members
    ) -> None:
        probationer = await members.at_stage("probationary_member")
        response = await start_term(client, city, probationer)
        assert response.status_code == 422
        assert error_code(response) == "secretary_needs_full_member"

    async def test_terms_overlapping_a_period(
        self, client: httpx.AsyncClient, city: City, members: Members
    ) -> None:
        old = await members.full_member(name="老书记")
        new = await members.full_member(name="新书记")
        other = await members.full_member("同心港企业党支部", name="同心港书记")
        await start_term(
            client, city, old, term_start=date(2018, 1, 1), term_end=date(2019, 12, 31)
        )
        await start_term(client, city, new, term_start=date(2020, 1, 1))
        await start_term(client, city, other, term_start=date(2019, 6, 1))
        in_2019 = await client.get(
            "/secretary-terms",
            params={"from": "2019-01-01", "to": "2019-12-31"},
            headers=city.admin(),
        )
        assert [t["name"] for t in in_2019.json()["items"]] == ["老书记", "同心港书记"]
        assert set(in_2019.json()["items"][0]) == {
            "id",
            "member_id",
            "organization_id",
            "name",
            "term_start",
            "term_end",
        }
        one_org = await client.get(
            "/secretary-terms",
            params={"from": "2021-01-01", "organization_ids": str(city["盈科律所党支部"])},
            headers=city.admin(),
        )
        assert [t["name"] for t in one_org.json()["items"]] == ["新书记"]
        paged = await client.get("/secretary-terms", params={"limit": 1}, headers=city.admin())
        rest = await client.get(
            "/secretary-terms",
            params={"limit": 5, "after": paged.json()["next_cursor"]},
            headers=city.admin(),
        )
        assert len(rest.json()["items"]) == 2
        backwards = await client.get(
            "/secretary-terms",
            params={"from": "2020-01-01", "to": "2019-01-01"},
            headers=city.admin(),
        )
        assert backwards.status_code == 422


class TestInstructors:
    async def hire(
        self, client: httpx.AsyncClient, city: City, employer: str, kind: str, **body: Any
    ) -> httpx.Response:
        payload = {
            "name": body.pop("name", "张指导员"),
            "employer_kind": kind,
            "employer_id": str(city[employer]),
            "hired_on": str(body.pop("hired_on", TODAY - timedelta(days=100))),
            **body,
        }
        return await client.post("/instructors", json=payload, headers=city.admin())

    async def test_rule_instructor_staffing_norms(
        self, client: httpx.AsyncClient, city: City
    ) -> None:
        for i in range(10):
            assert (
                await self.hire(client, city, "南关区", "district", name=f"南关{i}")
            ).status_code == 201
        for i in range(3):
            response = await self.hire(client, city, "高新文化创意园", "park", name=f"高新{i}")
            assert response.status_code == 201, response.text
        left = await self.hire(client, city, "北湖科技园", "park", name="已离职")
        await client.post(
            f"/instructors/{left.json()['id']}/leave",
            json={"left_on": str(TODAY - timedelta(days=1))},
            headers=city.admin(),
        )
        report = await client.get("/instructor-staffing", headers=city.admin())
        assert report.status_code == 200, report.text
        rows = {r["name"]: r for r in report.json()["rows"]}
        assert (rows["南关区"]["norm"], rows["南关区"]["staffed"], rows["南关区"]["shortfall"]) == (
            10,
            10,
            0,
        )
        assert (rows["农安县"]["norm"], rows["农安县"]["shortfall"]) == (10, 10)
        assert (rows["北湖科技园"]["category"], rows["北湖科技园"]["staffed"]) == (
            "national_park",
            0,
        )
        assert (rows["高新文化创意园"]["norm"], rows["高新文化创意园"]["shortfall"]) == (5, 2)
        assert "同心港园区" not in rows  # municipal parks have no norm
        assert "长春市" not in rows
        earlier = await client.get(
            "/instructor-staffing",
            params={"as_of": str(TODAY - timedelta(days=2))},
            headers=city.admin(),
        )
        assert {r["name"]: r for r in earlier.json()["rows"]}["北湖科技园"]["staffed"] == 1
        norms = await client.put(
            "/policy-parameters/instructor_staffing_norms",
            json={
                "value": {"district_level": 12, "national_park": 10, "provincial_park": 3},
                "valid_from": str(TODAY),
            },
            headers=city.admin(),
        )
        assert norms.status_code == 200, norms.text
        later = await client.get("/instructor-staffing", headers=city.admin())
        rows = {r["name"]: r for r in later.json()["rows"]}
        assert (rows["南关区"]["shortfall"], rows["高新文化创意园"]["shortfall"]) == (2, 0)
        mine = await client.get("/instructor-staffing", headers=city.district_admin("南关区"))
        assert {r["name"] for r in mine.json()["rows"]} == {
            "南关区",
            "北湖科技园",
            "高新文化创意园",
        }
        secretary = await client.get(
            "/instructor-staffing", headers=city.secretary("盈科律所党支部")
        )
        assert secretary.status_code == 403

    async def test_employer_is_a_district_or_a_park(
        self, client: httpx.AsyncClient, city: City
    ) -> None:
        sub_district = await self.hire(client, city, "南岭街道", "district")
        assert error_code(sub_district) == "employer_not_found"
        not_a_park = await self.hire(client, city, "南关区", "park")
        assert error_code(not_a_park) == "employer_not_found"
        elsewhere = await client.post(
            "/instructors",
            json={
                "name": "越权",
                "employer_kind": "district",
                "employer_id": str(city["农安县"]),
                "hired_on": str(TODAY),
            },
            headers=city.district_admin("南关区"),
        )
        assert elsewhere.status_code == 403

    async def test_assignments_and_instructor_reach(
        self, client: httpx.AsyncClient, city: City, members: Members
    ) -> None:
        member = await members.full_member()
        hired = await self.hire(client, city, "南关区", "district", subject="instructor.zhang")
        instructor = hired.json()
        assigned = await client.post(
            f"/instructors/{instructor['id']}/assignments",
            json={"organization_id": str(city["星火源综合党委"])},
            headers=city.admin(),
        )
        assert assigned.status_code == 201, assigned.text
        token = city.headers(
            subject="instructor.zhang", roles=["instructor"], scopes=["member:read", "org:read"]
        )
        seen = await client.get(f"/members/{member['id']}", headers=token)
        assert seen.status_code == 200  # a branch under the assigned committee
        assert (
            await client.get(f"/instructors/{instructor['id']}", headers=token)
        ).status_code == 200
        ended = await client.post(
            f"/instructor-assignments/{assigned.json()['id']}/end", json={}, headers=city.admin()
        )
        assert ended.json()["ended_on"] == str(TODAY)
        both = await client.post(
            f"/instructors/{instructor['id']}/assignments",
            json={
                "organization_id": str(city["星火源综合党委"]),
                "work_target_id": str(uuid.uuid4()),
            },
            headers=city.admin(),
        )
        assert error_code(both) == "one_unit_required"
        target = await client.post(
            f"/instructors/{instructor['id']}/assignments",
            json={"work_target_id": str(city["盈科律师事务所"])},
            headers=city.admin(),
        )
        assert target.status_code == 201


class TestInvestors:
    async def test_investors_and_their_training(
        self, client: httpx.AsyncClient, city: City, members: Members
    ) -> None:
        response = await client.post(
            "/investors",
            json={
                "name": "盈科主任",
                "work_target_id": str(city["盈科律师事务所"]),
                "organization_id": str(city["盈科律所党支部"]),
            },
            headers=city.secretary("盈科律所党支部"),
        )
        assert response.status_code == 201, response.text
        investor = response.json()
        assert investor["region_id"] == str(city["南岭街道"])
        training = await client.post(
            f"/investors/{investor['id']}/trainings",
            json={"held_on": str(TODAY), "topic": "非公企业党建政策", "class_hours": 4},
            headers=city.secretary("盈科律所党支部"),
        )
        assert training.json()["provider"] == "工商联"
        listed = await client.get("/investors", headers=city.district_admin("南关区"))
        assert [i["id"] for i in listed.json()["items"]] == [investor["id"]]
        other = await client.get("/investors", headers=city.district_admin("二道区"))
        assert other.json()["items"] == []
        hidden = await client.get(
            f"/investors/{investor['id']}", headers=city.secretary("同心港企业党支部")
        )
        assert hidden.status_code == 404
        unknown = await client.post(
            "/investors",
            json={"name": "无企业", "work_target_id": str(uuid.uuid4())},
            headers=city.admin(),
        )
        assert error_code(unknown) == "work_target_not_found"
