"""member-service as funding-service reads it: member counts and secretary terms (the contract)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from funding_service.upstream.client import batched, get_json
from funding_service.upstream.types import MemberCount, SecretaryTerm
from service_kit.http import HttpClient

SERVICE = "member-service"


class MemberService:
    """GET /member-counts and GET /secretary-terms of member-service, as funding-service."""

    def __init__(self, http: HttpClient, base_url: str) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")

    async def member_counts(
        self, organization_ids: Iterable[uuid.UUID], as_of: date
    ) -> dict[uuid.UUID, MemberCount]:
        """Members whose membership relation is each organization on `as_of`."""
        wanted = list(dict.fromkeys(organization_ids))
        counts: dict[uuid.UUID, MemberCount] = {}

        async def fetch(batch: Sequence[uuid.UUID]) -> Any:
            return await get_json(
                self.http,
                SERVICE,
                f"{self.base_url}/member-counts",
                params={
                    "organization_ids": ",".join(str(i) for i in batch),
                    "as_of": as_of.isoformat(),
                },
            )

        for body in await batched(wanted, fetch):
            for item in body["items"]:
                count = MemberCount(
                    organization_id=uuid.UUID(item["organization_id"]),
                    full_members=int(item["full_members"]),
                    probationary_members=int(item["probationary_members"]),
                )
                counts[count.organization_id] = count
        return counts

    async def secretary_terms(self, first: date, last: date) -> list[SecretaryTerm]:
        """Every secretary term overlapping [first, last], page after page."""
        terms: list[SecretaryTerm] = []
        after: str | None = None
        while True:
            params: dict[str, Any] = {"from": first.isoformat(), "to": last.isoformat()}
            params["limit"] = 200
            if after:
                params["after"] = after
            body = await get_json(
                self.http, SERVICE, f"{self.base_url}/secretary-terms", params=params
            )
            for item in body["items"]:
                terms.append(
                    SecretaryTerm(
                        member_id=uuid.UUID(item["member_id"]),
                        organization_id=uuid.UUID(item["organization_id"]),
                        name=item.get("name") or "",
                        term_start=date.fromisoformat(item["term_start"]),
                        term_end=date.fromisoformat(item["term_end"])
                        if item.get("term_end")
                        else None,
                    )
                )
            after = body.get("next_cursor")
            if not after:
                return terms
