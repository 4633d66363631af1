"""Reads from org-service and member-service, as rating-service itself, for rolls and scopes."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Annotated, Any, TypeVar

import httpx
from fastapi import Depends, Request

from rating_service.parties import Stage
from rating_service.settings import RatingSettings
from service_kit.errors import ServiceUnavailable
from service_kit.http import HttpClient

PAGE = 200  # the services' largest page
BATCH = 200  # ids per batch get, well inside the services' limit and a URL's length
MAX_DEPTH = 32  # a chain longer than this is a cycle, not a tree

T = TypeVar("T")


class UpstreamUnavailable(ServiceUnavailable):
    code = "upstream_unavailable"
    message = "Another service this request needs is not answering; try again shortly."


@dataclass(frozen=True)
class OrganizationInfo:
    id: uuid.UUID
    name: str
    parent_id: uuid.UUID | None
    region_id: uuid.UUID
    status: str

    @property
    def active(self) -> bool:
        return self.status == "active"


@dataclass(frozen=True)
class Scope:
    """Where something sits: the organizations above it and itself, and likewise its regions,
    each top first; access checks ask whether the caller's organization or region is in them."""

    organization_chain: list[uuid.UUID]
    region_chain: list[uuid.UUID]


@dataclass(frozen=True)
class RosterMember:
    id: uuid.UUID
    organization_id: uuid.UUID
    stage: Stage
    employer_id: uuid.UUID | None


@dataclass(frozen=True)
class SecretaryTerm:
    member_id: uuid.UUID
    organization_id: uuid.UUID
    term_start: date
    term_end: date | None


def _chunks(values: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _uuid(value: Any) -> uuid.UUID | None:
    return uuid.UUID(str(value)) if value else None


def _organization(item: dict[str, Any]) -> OrganizationInfo:
    return OrganizationInfo(
        id=uuid.UUID(str(item["id"])),
        name=str(item["name"]),
        parent_id=_uuid(item.get("parent_id")),
        region_id=uuid.UUID(str(item["region_id"])),
        status=str(item.get("status", "active")),
    )


class Upstream:
    """org-service and member-service as rating-service sees them."""

    def __init__(self, http: HttpClient, settings: RatingSettings) -> None:
        self.http = http
        self.org_url = settings.org_service_url.rstrip("/")
        self.member_url = settings.member_service_url.rstrip("/")
        self.concurrency = max(1, settings.upstream_concurrency)

    async def _get(self, service: str, url: str, params: dict[str, Any]) -> Any:
        """The JSON body of a GET, None on 404; anything else that fails is a 503."""
        try:
            response = await self.http.request("GET", url, params=params, as_service=True)
        except (httpx.HTTPError, RuntimeError) as exc:
            raise UpstreamUnavailable(
                f"{service} is not answering; try again shortly.",
                details={"service": service, "reason": type(exc).__name__},
            ) from exc
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise UpstreamUnavailable(
                f"{service} refused a read this request needs (HTTP {response.status_code}).",
                details={"service": service, "status": response.status_code},
            )
        try:
            return response.json()
        except ValueError as exc:
            raise UpstreamUnavailable(
                f"{service} answered with something that is not JSON.",
                details={"service": service},
            ) from exc

    async def _pages(self, service: str, url: str, params: dict[str, Any]) -> list[Any]:
        """Every item of a keyset-paged list."""
        items: list[Any] = []
        after: str | None = None
        while True:
            query = {**params, "limit": PAGE, **({"after": after} if after else {})}
            body = await self._get(service, url, query)
            if body is None:
                return items
            items.extend(body.get("items", []))
            after = body.get("next_cursor")
            if not after:
                return items

    async def _gather(self, calls: Iterable[Callable[[], Awaitable[T]]]) -> list[T]:
        """Run calls with at most `concurrency` in flight."""
        gate = asyncio.Semaphore(self.concurrency)

        async def run(call: Callable[[], Awaitable[T]]) -> T:
            async with gate:
                return await call()

        return list(await asyncio.gather(*(run(c) for c in calls)))

    # ------------------------------------------------------------------ org-service

    async def organizations(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, OrganizationInfo]:
        """Organizations by id (unknown ids left out)."""
        wanted = list(dict.fromkeys(ids))
        found: dict[uuid.UUID, OrganizationInfo] = {}

        async def batch(chunk: Sequence[uuid.UUID]) -> list[Any]:
            body = await self._get(
                "org-service",
                f"{self.org_url}/organizations",
                {"ids": ",".join(str(i) for i in chunk)},
            )
            return list(body.get("items", [])) if body else []

        for items in await self._gather(partial(batch, c) for c in _chunks(wanted, BATCH)):
            for item in items:
                org = _organization(item)
                found[org.id] = org
        return found

    async def organization(self, organization_id: uuid.UUID) -> OrganizationInfo | None:
        return (await self.organizations([organization_id])).get(organization_id)

    async def region_chains(
        self, region_ids: Iterable[uuid.UUID]
    ) -> dict[uuid.UUID, list[uuid.UUID]]:
        """Each region's chain of regions, top first, itself last."""
        parents: dict[uuid.UUID, uuid.UUID | None] = {}
        pending = set(region_ids)
        for _ in range(MAX_DEPTH):
            pending -= set(parents)
            if not pending:
                break
            for chunk in _chunks(sorted(pending), BATCH):
                body = await self._get(
                    "org-service", f"{self.org_url}/regions", {"ids": ",".join(map(str, chunk))}
                )
                for item in body.get("items", []) if body else []:
                    parents[uuid.UUID(str(item["id"]))] = _uuid(item.get("parent_id"))
            unknown = pending - set(parents)
            for region_id in unknown:
                parents[region_id] = None  # unknown to org-service: a chain of itself
            pending = {p for p in parents.values() if p is not None and p not in parents}
        chains: dict[uuid.UUID, list[uuid.UUID]] = {}
        for region_id in parents:
            chain = [region_id]
            parent = parents.get(region_id)
            while parent is not None and parent not in chain and len(chain) < MAX_DEPTH:
                chain.append(parent)
                parent = parents.get(parent)
            chains[region_id] = list(reversed(chain))
        return chains

    async def ancestors(self, org: OrganizationInfo) -> list[OrganizationInfo]:
        """The organizations above `org`, top first."""
        chain: list[OrganizationInfo] = []
        parent_id = org.parent_id
        seen = {org.id}
        while parent_id is not None and parent_id not in seen and len(chain) < MAX_DEPTH:
            parent = await self.organization(parent_id)
            if parent is None:
                break
            seen.add(parent.id)
            chain.append(parent)
            parent_id = parent.parent_id
        return list(reversed(chain))

    async def scope_of(self, org: OrganizationInfo) -> Scope:
        """The organization's chain (ancestors and itself) and its region's chain."""
        above = await self.ancestors(org)
        regions = await self.region_chains([org.region_id])
        return Scope(
            organization_chain=[o.id for o in above] + [org.id],
            region_chain=regions.get(org.region_id, [org.region_id]),
        )

    async def subtree(self, root_id: uuid.UUID) -> list[OrganizationInfo]:
        """The organization and everything below it, in tree order."""
        items = await self._pages(
            "org-service", f"{self.org_url}/organizations", {"under": str(root_id)}
        )
        return [_organization(item) for item in items]

    async def work_target_exists(self, work_target_id: uuid.UUID) -> bool:
        body = await self._get(
            "org-service", f"{self.org_url}/work-targets", {"ids": str(work_target_id)}
        )
        return bool(body and body.get("items"))

    # ------------------------------------------------------------------ member-service

    async def roster(self, organization_ids: Sequence[uuid.UUID]) -> list[RosterMember]:
        """Party members (full and probationary) whose membership relation is held by one of
        the organizations, today."""
        stages = {s.value for s in Stage}

        async def members_of(organization_id: uuid.UUID) -> list[Any]:
            return await self._pages(
                "member-service",
                f"{self.member_url}/members",
                {"organization_id": str(organization_id)},
            )

        pages = await self._gather(partial(members_of, o) for o in organization_ids)
        wanted = set(organization_ids)
        roster: dict[uuid.UUID, RosterMember] = {}
        for items in pages:
            for item in items:
                stage = item.get("stage")
                home = _uuid(item.get("organization_id"))
                if stage not in stages or home not in wanted or home is None:
                    continue
                member = RosterMember(
                    id=uuid.UUID(str(item["id"])),
                    organization_id=home,
                    stage=Stage(stage),
                    employer_id=_uuid(item.get("employer_id")),
                )
                roster[member.id] = member
        return list(roster.values())

    async def secretary_terms(
        self, organization_ids: Sequence[uuid.UUID], start: date, end: date
    ) -> list[SecretaryTerm]:
        """Secretary terms of the organizations that overlap [start, end]."""

        async def terms_of(chunk: Sequence[uuid.UUID]) -> list[Any]:
            return await self._pages(
                "member-service",
                f"{self.member_url}/secretary-terms",
                {
                    "from": start.isoformat(),
                    "to": end.isoformat(),
                    "organization_ids": ",".join(map(str, chunk)),
                },
            )

        pages = await self._gather(
            partial(terms_of, c) for c in _chunks(list(organization_ids), BATCH)
        )
        return [
            SecretaryTerm(
                member_id=uuid.UUID(str(item["member_id"])),
                organization_id=uuid.UUID(str(item["organization_id"])),
                term_start=date.fromisoformat(str(item["term_start"])),
                term_end=date.fromisoformat(str(item["term_end"]))
                if item.get("term_end")
                else None,
            )
            for items in pages
            for item in items
        ]


def _upstream(request: Request) -> Upstream:
    return Upstream(request.app.state.http, request.app.state.settings)


UpstreamDep = Annotated[Upstream, Depends(_upstream)]
