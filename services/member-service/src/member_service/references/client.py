"""Calls to org-service's REST API (as this service): organizations, regions, places, targets."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Annotated, Any

import httpx
from fastapi import Depends, Request

from service_kit.errors import ServiceUnavailable
from service_kit.http import HttpClient
from service_kit.pagination import MAX_BATCH_IDS, MAX_PAGE_SIZE


class OrgServiceUnavailable(ServiceUnavailable):
    code = "org_service_unavailable"
    message = "org-service, which owns organizations and regions, is not answering; try again."


class OrgServiceClient:
    """org-service seen from member-service."""

    def __init__(self, http: HttpClient, base_url: str) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")

    async def _get(self, path: str, params: dict[str, Any]) -> Any:
        try:
            response = await self.http.request(
                "GET", f"{self.base_url}{path}", params=params, as_service=True
            )
        except (httpx.HTTPError, RuntimeError) as exc:
            raise OrgServiceUnavailable(details={"reason": type(exc).__name__}) from exc
        if response.status_code != 200:
            raise OrgServiceUnavailable(
                details={"path": path, "status": response.status_code, "body": response.text[:300]}
            )
        return response.json()

    async def _by_ids(self, path: str, ids: Sequence[uuid.UUID]) -> list[dict[str, Any]]:
        unique = list(dict.fromkeys(ids))
        found: list[dict[str, Any]] = []
        for start in range(0, len(unique), MAX_BATCH_IDS):
            chunk = unique[start : start + MAX_BATCH_IDS]
            body = await self._get(path, {"ids": ",".join(str(i) for i in chunk)})
            found.extend(body["items"])
        return found

    async def _all(self, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        after: str | None = None
        while True:
            page = {**params, "limit": MAX_PAGE_SIZE, **({"after": after} if after else {})}
            body = await self._get(path, page)
            items.extend(body["items"])
            after = body.get("next_cursor")
            if not after:
                return items

    async def organizations(self, ids: Sequence[uuid.UUID]) -> list[dict[str, Any]]:
        """OrganizationPublic of each id org-service knows (unknown ids are left out)."""
        return await self._by_ids("/organizations", ids)

    async def regions(self, ids: Sequence[uuid.UUID]) -> list[dict[str, Any]]:
        return await self._by_ids("/regions", ids)

    async def places(self, ids: Sequence[uuid.UUID]) -> list[dict[str, Any]]:
        return await self._by_ids("/places", ids)

    async def work_targets(self, ids: Sequence[uuid.UUID]) -> list[dict[str, Any]]:
        return await self._by_ids("/work-targets", ids)

    async def regions_of_kind(self, kind: str) -> list[dict[str, Any]]:
        return await self._all("/regions", {"kind": kind})

    async def parks(self) -> list[dict[str, Any]]:
        return await self._all("/places", {"kind": "park"})


def org_client(request: Request) -> OrgServiceClient:
    http: HttpClient = request.app.state.http
    return OrgServiceClient(http, request.app.state.settings.org_service_url)


OrgDep = Annotated[OrgServiceClient, Depends(org_client)]
