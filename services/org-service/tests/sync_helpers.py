"""Helpers for the sync API tests: a small city with parks, a business district and a building,
sync clients registered for some of them, and pushes of records."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg
import httpx

from service_kit.testing import TestIssuer

from .work_helpers import credit_code

SYNC_SCOPES = ["sync:write", "sync:read", "org:read"]
REGISTERED = "2019-03-01"


class SyncCity:
    """Regions, places and two working committees, built through the API as a city admin."""

    def __init__(
        self, client: httpx.AsyncClient, admin: dict[str, str], issuer: TestIssuer, db: str
    ) -> None:
        self.client = client
        self.admin = admin
        self.issuer = issuer
        self.db = db
        self.ids: dict[str, uuid.UUID] = {}
        self.places: set[str] = set()

    async def _post(self, path: str, name: str, body: dict[str, Any]) -> uuid.UUID:
        response = await self.client.post(path, json={"name": name, **body}, headers=self.admin)
        assert response.status_code == 201, response.text
        self.ids[name] = uuid.UUID(response.json()["id"])
        return self.ids[name]

    async def setup(self) -> SyncCity:
        await self._post("/regions", "长春市", {"kind": "city"})
        for district in ("南关区", "二道区"):
            await self._post(
                "/regions",
                district,
                {"kind": "district", "district_class": "urban", "parent_id": str(self["长春市"])},
            )
        await self._post(
            "/regions", "南岭街道", {"kind": "sub_district", "parent_id": str(self["南关区"])}
        )
        await self.place("高新文化创意园", "park", "南关区", level="provincial")
        await self.place("北湖科技园", "park", "南关区", level="national")
        await self.place("红旗商圈", "business_district", "南关区")
        await self.place("中天大厦", "building", "南岭街道", parent="红旗商圈")
        await self.place("同心港", "business_district", "二道区")
        await self.org("市党工委", "working_committee", "长春市", None, subkind="city")
        await self.org(
            "南关区党工委", "working_committee", "南关区", "市党工委", subkind="district"
        )
        await self.org(
            "中天大厦联合支部",
            "branch",
            "南关区",
            "南关区党工委",
            formation="joint",
            joint_mode="area",
        )
        return self

    def __getitem__(self, name: str) -> uuid.UUID:
        return self.ids[name]

    async def place(
        self, name: str, kind: str, region: str, parent: str | None = None, **extra: Any
    ) -> uuid.UUID:
        body: dict[str, Any] = {"kind": kind, "region_id": str(self[region]), **extra}
        if parent:
            body["parent_place_id"] = str(self[parent])
        self.places.add(name)
        return await self._post("/places", name, body)

    async def org(
        self, name: str, kind: str, region: str, parent: str | None, **extra: Any
    ) -> uuid.UUID:
        body: dict[str, Any] = {
            "kind": kind,
            "region_id": str(self[region]),
            "founded_on": "2015-01-01",
            **extra,
        }
        if parent:
            body["parent_id"] = str(self[parent])
        return await self._post("/organizations", name, body)

    def client_headers(self, subject: str, *places: str, **extra: Any) -> dict[str, str]:
        """A sync client registered for `places` (by name), with the scopes of its role."""
        extra.setdefault("scopes", SYNC_SCOPES)
        return self.issuer.headers(
            subject=subject,
            roles=["sync_client"],
            places=[str(self[p]) for p in places],
            **extra,
        )


def target_record(n: int, place: uuid.UUID | None = None, **extra: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "credit_code": credit_code(n),
        "name": f"企业{n}",
        "registered_on": REGISTERED,
        **extra,
    }
    if place is not None:
        record["place_id"] = str(place)
    return record


_keys = iter(range(1, 1_000_000))


async def push(
    client: httpx.AsyncClient,
    path: str,
    headers: dict[str, str],
    records: Sequence[Any],
    *,
    key: str | None = None,
    ndjson: bool = False,
) -> httpx.Response:
    """POST a batch (a JSON array, or NDJSON) with an Idempotency-Key (a fresh one by default)."""
    if ndjson:
        content = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()
    else:
        content = json.dumps(list(records), ensure_ascii=False).encode()
    return await client.post(
        path,
        content=content,
        headers={
            **headers,
            "Idempotency-Key": key or f"key-{next(_keys)}",
            "Content-Type": "application/x-ndjson" if ndjson else "application/json",
        },
    )


def outcomes(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [r["outcome"] for r in response.json()["records"]]


def errors(response: httpx.Response) -> list[tuple[str, str | None]]:
    """(code, field) of each rejected record, in batch order."""
    return [
        (r["error"]["code"], r["error"]["field"])
        for r in response.json()["records"]
        if r["outcome"] == "rejected"
    ]


async def clear_sync_writes(city: SyncCity) -> None:
    """Remove what a test wrote into the city: targets, synced places, logs, keys, audits."""
    connection = await asyncpg.connect(city.db.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        async with connection.transaction():
            for table in (
                "work_target_tenancy",
                "work_target_coverage",
                "instructor_assignment",
                "work_target",
                "place_floor",
                "bulk_batch",
                "idempotent_request",
                "audit_record",
                "outbox_delivery",
                "outbox_event",
            ):
                await connection.execute(f"DELETE FROM {table}")  # noqa: S608
            await connection.execute(
                "DELETE FROM place WHERE NOT id = ANY($1::uuid[])",
                [v for k, v in city.ids.items() if k in city.places],
            )
            await connection.execute("UPDATE place SET external_refs = '{}'::jsonb")
    finally:
        await connection.close()
