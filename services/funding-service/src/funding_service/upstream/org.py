"""org-service as funding-service reads it: regions, district classes, organizations."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from funding_service.upstream.client import batched, get_json
from service_kit.http import HttpClient

DISTRICT_KINDS = frozenset({"district", "county", "new_area"})
SERVICE = "org-service"


@dataclass(frozen=True)
class RegionInfo:
    id: uuid.UUID
    name: str
    kind: str
    district_class: str | None
    parent_id: uuid.UUID | None


@dataclass(frozen=True)
class Placement:
    """Which budget level a region belongs to: its district, or the city itself."""

    level: str  # "city" | "district"
    region_id: uuid.UUID  # the district, or the city
    region_name: str
    district_class: str  # urban | county; the city proper counts as urban


@dataclass(frozen=True)
class OrganizationInfo:
    id: uuid.UUID
    name: str
    kind: str
    subkind: str | None
    status: str
    region_id: uuid.UUID
    parent_id: uuid.UUID | None


def _region(item: dict[str, Any]) -> RegionInfo:
    return RegionInfo(
        id=uuid.UUID(item["id"]),
        name=item["name"],
        kind=item["kind"],
        district_class=item.get("district_class"),
        parent_id=uuid.UUID(item["parent_id"]) if item.get("parent_id") else None,
    )


def _organization(item: dict[str, Any]) -> OrganizationInfo:
    return OrganizationInfo(
        id=uuid.UUID(item["id"]),
        name=item["name"],
        kind=item["kind"],
        subkind=item.get("subkind"),
        status=item["status"],
        region_id=uuid.UUID(item["region_id"]),
        parent_id=uuid.UUID(item["parent_id"]) if item.get("parent_id") else None,
    )


class OrgService:
    """Batched reads of org-service as funding-service (its service token)."""

    def __init__(self, http: HttpClient, base_url: str) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self._regions: dict[uuid.UUID, RegionInfo] = {}

    async def regions(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, RegionInfo]:
        """The regions of `ids` that exist (unknown ids are left out)."""
        wanted = [i for i in dict.fromkeys(ids) if i not in self._regions]

        async def fetch(batch: Sequence[uuid.UUID]) -> Any:
            return await get_json(
                self.http,
                SERVICE,
                f"{self.base_url}/regions",
                params={"ids": ",".join(str(i) for i in batch)},
            )

        for body in await batched(wanted, fetch):
            for item in body["items"]:
                region = _region(item)
                self._regions[region.id] = region
        return {i: self._regions[i] for i in ids if i in self._regions}

    async def placements(self, region_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Placement]:
        """For each known region, the district it lies in (or the city, above every district)."""
        pending = set(region_ids)
        await self.regions(pending)
        # Walk up the tree, one batch call per level, until every chain reaches a district
        # or the root.
        for _ in range(10):
            parents = {
                r.parent_id
                for r in (self._regions.get(i) for i in self._walk(pending))
                if r is not None and r.kind not in DISTRICT_KINDS and r.parent_id is not None
            }
            unknown = [p for p in parents if p not in self._regions]
            if not unknown:
                break
            await self.regions(unknown)
        result = {}
        for region_id in pending:
            placement = self._placement(region_id)
            if placement is not None:
                result[region_id] = placement
        return result

    def _walk(self, ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
        """Every known region on the chains above `ids`."""
        seen: set[uuid.UUID] = set()
        for region_id in ids:
            current: uuid.UUID | None = region_id
            while current is not None and current not in seen and current in self._regions:
                seen.add(current)
                current = self._regions[current].parent_id
        return seen

    def _placement(self, region_id: uuid.UUID) -> Placement | None:
        current = self._regions.get(region_id)
        while current is not None:
            if current.kind in DISTRICT_KINDS:
                return Placement(
                    "district", current.id, current.name, current.district_class or "urban"
                )
            if current.parent_id is None:
                return Placement("city", current.id, current.name, "urban")
            current = self._regions.get(current.parent_id)
        return None

    async def organizations(
        self, ids: Iterable[uuid.UUID], *, as_of: date | None = None
    ) -> dict[uuid.UUID, OrganizationInfo]:
        """The organizations of `ids` as they stood on `as_of` (unknown ids left out)."""
        wanted = list(dict.fromkeys(ids))
        found: dict[uuid.UUID, OrganizationInfo] = {}

        async def fetch(batch: Sequence[uuid.UUID]) -> Any:
            params: dict[str, Any] = {"ids": ",".join(str(i) for i in batch)}
            if as_of is not None:
                params["as_of"] = as_of.isoformat()
            return await get_json(
                self.http, SERVICE, f"{self.base_url}/organizations", params=params
            )

        for body in await batched(wanted, fetch):
            for item in body["items"]:
                org = _organization(item)
                found[org.id] = org
        return found

    async def list_organizations(
        self, *, bearer: str | None = None, limit: int | None = None, **filters: str
    ) -> list[OrganizationInfo]:
        """Every organization matching `filters`, page after page (up to `limit` of them)."""
        found: list[OrganizationInfo] = []
        after: str | None = None
        while True:
            params: dict[str, Any] = {"limit": 200, **filters}
            if after:
                params["after"] = after
            body = await get_json(
                self.http, SERVICE, f"{self.base_url}/organizations", params=params, bearer=bearer
            )
            found.extend(_organization(item) for item in body["items"])
            after = body.get("next_cursor")
            if not after or (limit is not None and len(found) >= limit):
                return found[:limit] if limit is not None else found

    async def city_committee(self, as_of: date) -> OrganizationInfo | None:
        """The city's working committee (工委) as it stood on `as_of`, if there is one."""
        committees = await self.list_organizations(
            kind="working_committee", status="active", as_of=as_of.isoformat()
        )
        city = [c for c in committees if c.subkind == "city"]
        return city[0] if city else None
