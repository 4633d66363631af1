"""rating-service as funding-service reads it: the current star level of organizations."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date

from funding_service.upstream.client import chunks, get_json
from funding_service.upstream.types import StarLevel
from service_kit.http import HttpClient

SERVICE = "rating-service"


class RatingService:
    """GET /star-levels of rating-service, as funding-service."""

    def __init__(self, http: HttpClient, base_url: str) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")

    async def organization_star_levels(
        self, organization_ids: Iterable[uuid.UUID]
    ) -> dict[uuid.UUID, StarLevel]:
        """The current level of each organization that has one (the others are left out)."""
        levels: dict[uuid.UUID, StarLevel] = {}
        for batch in chunks(list(dict.fromkeys(organization_ids))):
            body = await get_json(
                self.http,
                SERVICE,
                f"{self.base_url}/star-levels",
                params={"subject_kind": "organization", "ids": ",".join(str(i) for i in batch)},
            )
            for item in body["items"]:
                if item.get("subject_kind", "organization") != "organization":
                    continue
                level = StarLevel(
                    organization_id=uuid.UUID(item["subject_id"]),
                    stars=int(item["stars"]),
                    valid_from=date.fromisoformat(item["valid_from"])
                    if item.get("valid_from")
                    else None,
                    valid_until=date.fromisoformat(item["valid_until"])
                    if item.get("valid_until")
                    else None,
                    source="rating_service",
                )
                levels[level.organization_id] = level
        return levels
