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


async def load_demo(org_url: str, token: str) -> dict[str, int]:
    """Regions and organizations of DOMAIN.md "Demo data"; returns how many were created."""
    created = {"regions": 0, "organizations": 0}
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=org_url, headers=headers, timeout=10.0) as client:
        for region in demo_data.REGIONS:
            body = {
                "name": region.name,
                "kind": region.kind,
                "district_class": region.district_class,
                "code": region.code,
                "parent_id": str(demo_data.region_id(region.parent)) if region.parent else None,
            }
            created["regions"] += await _ensure(client, "/regions", str(region.id), body)
        for org in demo_data.ORGANIZATIONS:
            body = {
                "name": org.name,
                "kind": org.kind,
                "subkind": org.subkind,
                "formation": org.formation,
                "joint_mode": org.joint_mode,
                "region_id": str(demo_data.region_id(org.region)),
                "parent_id": str(demo_data.organization_id(org.parent)) if org.parent else None,
                "industry_committee_id": str(demo_data.organization_id(org.industry_line))
                if org.industry_line
                else None,
            }
            created["organizations"] += await _ensure(client, "/organizations", str(org.id), body)
    return created
