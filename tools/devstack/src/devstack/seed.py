"""Load the demo city through the services' own APIs (idempotent: present objects are kept)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx

import demo_data


async def service_token(gateway_url: str, client_id: str, secret: str) -> str:
    async with httpx.AsyncClient(timeout=10.0) as client:
        response = await client.post(
            f"{gateway_url}/auth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": secret,
            },
        )
        response.raise_for_status()
        return str(response.json()["access_token"])


async def _ensure(
    client: httpx.AsyncClient, collection: str, object_id: str, body: dict[str, Any]
) -> bool:
    """Create the object unless it exists; True when it was created."""
    existing = await client.get(f"{collection}/{object_id}")
    if existing.status_code == 200:
        return False
    if existing.status_code != 404:
        existing.raise_for_status()
    response = await client.post(collection, json={"id": object_id, **body})
    if response.status_code != 201:
        raise RuntimeError(f"loading {collection} {body.get('name')} failed: {response.text}")
    return True


async def _post(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> None:
    response = await client.post(path, json=body)
    if response.status_code not in (200, 201):
        raise RuntimeError(f"loading {path} failed: {response.text}")


def _opt(ids: Any, name: str | None) -> str | None:
    return str(ids(name)) if name else None


async def load_demo(org_url: str, token: str) -> dict[str, int]:
    """The demo city of DOMAIN.md "Demo data" in org-service; returns how many were created.

    Kept objects are left alone: a work target's coverage is added only when the target
    itself is created in this run.
    """
    d = demo_data
    created = {"regions": 0, "places": 0, "work_targets": 0, "organizations": 0, "venues": 0}
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=org_url, headers=headers, timeout=10.0) as client:
        for region in d.REGIONS:
            body: dict[str, Any] = {
                "name": region.name,
                "kind": region.kind,
                "district_class": region.district_class,
                "code": region.code,
                "parent_id": _opt(d.region_id, region.parent),
            }
            created["regions"] += await _ensure(client, "/regions", str(region.id), body)
        for place in d.PLACES:
            body = {
                "name": place.name,
                "kind": place.kind,
                "level": place.level,
                "region_id": str(d.region_id(place.region)),
                "parent_place_id": _opt(d.place_id, place.parent),
            }
            created["places"] += await _ensure(client, "/places", str(place.id), body)
        new_targets = []
        for target in d.WORK_TARGETS:
            body = {
                "name": target.name,
                "credit_code": target.credit_code,
                "kind": target.kind,
                "industry": target.industry,
                "region_id": str(d.region_id(target.region)),
                "place_id": _opt(d.place_id, target.place),
                "party_member_count": target.party_members,
                "registered_on": target.registered_on,
                "pays_tax": True,
                "pays_social_insurance": True,
            }
            if await _ensure(client, "/work-targets", str(target.id), body):
                created["work_targets"] += 1
                new_targets.append(target)
        for org in d.ORGANIZATIONS:
            body = {
                "name": org.name,
                "kind": org.kind,
                "subkind": org.subkind,
                "formation": org.formation,
                "joint_mode": org.joint_mode,
                "region_id": str(d.region_id(org.region)),
                "parent_id": _opt(d.organization_id, org.parent),
                "industry_committee_id": _opt(d.organization_id, org.industry_line),
                "founded_on": d.FOUNDED_ON,
                "full_members": org.full_members,
                "dispatched_members": org.dispatched_members,
                "serves_work_target_id": _opt(d.work_target_id, org.serves),
            }
            body = {k: v for k, v in body.items() if v is not None}
            created["organizations"] += await _ensure(client, "/organizations", str(org.id), body)
        for target in new_targets:
            if target.covered_by:
                await _post(
                    client,
                    f"/work-targets/{target.id}/coverage",
                    {
                        "organization_id": str(d.organization_id(target.covered_by)),
                        "mode": target.mode,
                        "valid_from": target.since,
                    },
                )
            if target.instructor:
                await _post(
                    client,
                    "/instructor-assignments",
                    {
                        "role": "instructor",
                        "person_name": target.instructor,
                        "work_target_id": str(target.id),
                        "valid_from": "2018-03-01",
                    },
                )
        for venue in d.VENUES:
            body = {
                "name": venue.name,
                "kind": venue.kind,
                "region_id": str(d.region_id(venue.region)),
                "area_m2": venue.area_m2,
                "run_by_organization_id": _opt(d.organization_id, venue.run_by),
                "place_id": _opt(d.place_id, venue.place),
                "opened_on": "2018-01-01",
            }
            created["venues"] += await _ensure(client, "/venues", str(venue.id), body)
    return created


# The demo branch's people in member-service: member.demo and secretary.demo (the demo
# accounts), more full members brought in with their history, and one person at each
# earlier stage of the pipeline. Names, births and ID numbers are invented for the demo.
_FULL_MEMBERS = (
    ("member.demo", "19860412"),
    ("secretary.demo", "19750903"),
    ("盈科党员甲", "19680115"),
    ("盈科党员乙", "19790622"),
    ("盈科党员丙", "19821130"),
    ("盈科党员丁", "19840308"),
    ("盈科党员戊", "19880719"),
    ("盈科党员己", "19910224"),
    ("盈科党员庚", "19930517"),
)
_PIPELINE = (
    ("盈科预备党员", "19960214", "probationary_member"),
    ("盈科发展对象", "19970826", "development_target"),
    ("盈科积极分子", "19980403", "activist"),
    ("盈科申请人", "20000101", "applicant"),
)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _id_number(birth: str, sequence: int) -> str:
    """A valid resident ID number of 南关区 (GB 11643 check character)."""
    first17 = f"220102{birth}{sequence:03d}"
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


def _member_name(key: str) -> str:
    account = next((a for a in demo_data.ACCOUNTS if a.username == key), None)
    return account.name if account else key


def _days_ago(days: int) -> str:
    return (date.today() - timedelta(days=days)).isoformat()


async def load_demo_members(member_url: str, token: str) -> dict[str, int]:
    """Members of the demo branch, its secretary's term, a quota, a post, an activity."""
    d = demo_data
    branch = str(d.organization_id(d.DEMO_BRANCH))
    created = {"members": 0, "secretary_terms": 0}
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=member_url, headers=headers, timeout=30.0) as client:
        for sequence, (key, birth) in enumerate(_FULL_MEMBERS, start=1):
            year = 2008 + sequence % 5
            body = {
                "name": _member_name(key),
                "id_number": _id_number(birth, 2 * sequence + 1),
                "organization_id": branch,
                "employer_id": str(d.work_target_id("盈科律师事务所")),
                "stage": "full_member",
                "applied_on": f"{year}-03-01",
                "activist_on": f"{year}-09-01",
                "development_target_on": f"{year + 1}-10-01",
                "admitted_on": f"{year + 2}-01-15",
                "full_member_on": f"{year + 3}-01-15",
            }
            member_id = str(d.demo_id("member", key))
            created["members"] += await _ensure(client, "/members", member_id, body)
        # Days ago each stage was reached, for the stages up to the person's own.
        days_ago = (
            ("applied_on", 1500),
            ("activist_on", 1100),
            ("development_target_on", 400),
            ("admitted_on", 120),
        )
        depth = {"applicant": 1, "activist": 2, "development_target": 3, "probationary_member": 4}
        for sequence, (name, birth, stage) in enumerate(_PIPELINE, start=20):
            body = {
                "name": name,
                "id_number": _id_number(birth, 2 * sequence),
                "organization_id": branch,
                "stage": stage,
                **{field: _days_ago(days) for field, days in days_ago[: depth[stage]]},
            }
            created["members"] += await _ensure(
                client, "/members", str(d.demo_id("member", name)), body
            )
        terms = await client.get("/secretary-terms", params={"organization_ids": branch})
        terms.raise_for_status()
        if not terms.json()["items"]:
            await _post(
                client,
                "/secretary-terms",
                {
                    "member_id": str(d.demo_id("member", "secretary.demo")),
                    "organization_id": branch,
                    "term_start": "2018-01-15",
                },
            )
            created["secretary_terms"] += 1
        quota = f"/development-quotas/{date.today().year}/{d.region_id('南关区')}"
        if (await client.get(quota)).status_code == 404:
            response = await client.put(
                quota, json={"allocated": 100, "note": "首先用于没有党员的非公企业"}
            )
            response.raise_for_status()
        member_demo = str(d.demo_id("member", "member.demo"))
        posts = await client.get("/posts", params={"member_id": member_demo})
        posts.raise_for_status()
        if not posts.json()["items"]:
            await _post(
                client,
                f"/members/{member_demo}/posts",
                {"kind": "integrity", "title": "诚信法律服务窗口", "started_on": "2018-03-01"},
            )
        activities = await client.get("/activities", params={"organization_id": branch})
        activities.raise_for_status()
        if not activities.json()["items"]:
            response = await client.post(
                "/activities",
                json={
                    "organization_id": branch,
                    "kind": "themed_party_day",
                    "title": "主题党日：亮身份、亮岗位",
                    "held_on": _days_ago(7),
                },
            )
            response.raise_for_status()
            await _post(
                client,
                f"/activities/{response.json()['id']}/attendance",
                {
                    "records": [
                        {"member_id": str(d.demo_id("member", key)), "status": "present"}
                        for key, _ in _FULL_MEMBERS
                    ]
                },
            )
    return created
