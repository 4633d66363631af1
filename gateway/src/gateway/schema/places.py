"""GraphQL types of places."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

if TYPE_CHECKING:
    from gateway.schema.coverage import CoverageFigures

LazyCoverageFigures = Annotated["CoverageFigures", strawberry.lazy("gateway.schema.coverage")]


@strawberry.type
class Region:
    id: strawberry.ID
    name: str
    kind: str
    district_class: str | None
    code: str | None
    depth: int
    parent_id: strawberry.Private[str | None]

    @strawberry.field
    async def parent(self, info: strawberry.Info) -> Region | None:
        if self.parent_id is None:
            return None
        data = await info.context.loaders.region.load(self.parent_id)
        return Region.from_rest(data) if data else None

    @strawberry.field(description="两个覆盖 of the region and everything below it, on a day.")
    async def coverage(
        self, info: strawberry.Info, as_of: datetime.date | None = None
    ) -> LazyCoverageFigures | None:
        from gateway.schema.coverage import CoverageFigures

        key = (str(self.id), as_of.isoformat() if as_of else None)
        data = await info.context.loaders.region_coverage.load(key)
        return CoverageFigures.from_rest(data) if data else None

    @classmethod
    def from_rest(cls, data: dict[str, Any]) -> Region:
        return cls(
            id=strawberry.ID(data["id"]),
            name=data["name"],
            kind=data["kind"],
            district_class=data.get("district_class"),
            code=data.get("code"),
            depth=data["depth"],
            parent_id=data.get("parent_id"),
        )
