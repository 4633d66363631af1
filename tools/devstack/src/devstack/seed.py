"""Load the demo city through the services' own APIs (idempotent: present objects are kept)."""

from __future__ import annotations

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
