"""Root query and mutation types."""

from __future__ import annotations

import datetime
import uuid

import strawberry

from gateway.schema.common import Connection, connection
from gateway.schema.coverage import CoverageReport, WorkTarget, work_target_page
from gateway.schema.errors import GatewayError, ShapeErrors
from gateway.schema.organizations import (
    CreateOrganizationInput,
    Organization,
    OrganizationKind,
    check_first,
)
from gateway.schema.places import Region


def _uuid(value: strawberry.ID, name: str = "id") -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError as exc:
        raise GatewayError("invalid_id", f"{name} must be a UUID.") from exc


@strawberry.type
class Me:
    subject: str
    name: str | None
    roles: list[str]
    scopes: list[str]
    organization_id: strawberry.Private[str | None]
    region_id: strawberry.Private[str | None]
    member_id: strawberry.ID | None

    @strawberry.field(description="The organization the caller acts for, if any.")
    async def organization(self, info: strawberry.Info) -> Organization | None:
        if self.organization_id is None:
            return None
        data = await info.context.loaders.organization.load(self.organization_id)
        return Organization.from_rest(data) if data else None

    @strawberry.field(description="The region the caller administers, if any.")
    async def region(self, info: strawberry.Info) -> Region | None:
        if self.region_id is None:
            return None
        data = await info.context.loaders.region.load(self.region_id)
        return Region.from_rest(data) if data else None


@strawberry.type
class Query:
    @strawberry.field(description="Who is calling: roles, scopes, and where they act.")
    def me(self, info: strawberry.Info) -> Me:
        p = info.context.principal
        return Me(
            subject=p.subject,
            name=p.name,
            roles=sorted(p.roles),
            scopes=sorted(p.scopes),
            organization_id=str(p.organization_id) if p.organization_id else None,
            region_id=str(p.region_id) if p.region_id else None,
            member_id=strawberry.ID(str(p.member_id)) if p.member_id else None,
        )

    @strawberry.field
    async def organization(self, info: strawberry.Info, id: strawberry.ID) -> Organization | None:
        data = await info.context.loaders.organization.load(_uuid(id))
        return Organization.from_rest(data) if data else None

    @strawberry.field(description="Organizations the caller may see, in tree order.")
    async def organizations(
        self,
        info: strawberry.Info,
        first: int = 50,
        after: str | None = None,
        kind: OrganizationKind | None = None,
        parent_id: strawberry.ID | None = None,
        region_id: strawberry.ID | None = None,
        under: strawberry.ID | None = None,
    ) -> Connection[Organization]:
        check_first(first)
        page = await info.context.services["org"].get(
            "/organizations",
            bearer=info.context.token,
            params={
                "limit": first,
                "after": after,
                "kind": kind.value if kind else None,
                "parent_id": _uuid(parent_id, "parentId") if parent_id else None,
                "region_id": _uuid(region_id, "regionId") if region_id else None,
                "under": _uuid(under, "under") if under else None,
            },
        )
        return connection(page, Organization.from_rest)  # type: ignore[no-any-return]

    @strawberry.field(
        description="两个覆盖 of a region's subtree on a day, by child region, park, "
        "business district or industry."
    )
    async def coverage(
        self,
        info: strawberry.Info,
        region_id: strawberry.ID | None = None,
        as_of: datetime.date | None = None,
        group_by: str = "region",
    ) -> CoverageReport:
        data = await info.context.services["org"].get(
            "/coverage",
            bearer=info.context.token,
            params={
                "region_id": _uuid(region_id, "regionId") if region_id else None,
                "as_of": as_of.isoformat() if as_of else None,
                "group_by": group_by,
            },
        )
        return CoverageReport.from_rest(data)

    @strawberry.field
    async def work_target(self, info: strawberry.Info, id: strawberry.ID) -> WorkTarget | None:
        data = await info.context.loaders.work_target.load(_uuid(id))
        return WorkTarget.from_rest(data) if data else None

    @strawberry.field(description="Work targets the caller may see, with their coverage on a day.")
    async def work_targets(
        self,
        info: strawberry.Info,
        first: int = 50,
        after: str | None = None,
        region_id: strawberry.ID | None = None,
        place_id: strawberry.ID | None = None,
        industry: str | None = None,
        uncovered_only: bool = False,
        as_of: datetime.date | None = None,
    ) -> Connection[WorkTarget]:
        check_first(first)
        return await work_target_page(
            info,
            {
                "limit": first,
                "after": after,
                "region_id": _uuid(region_id, "regionId") if region_id else None,
                "place_id": _uuid(place_id, "placeId") if place_id else None,
                "industry": industry,
                "uncovered_only": "true" if uncovered_only else None,
                "as_of": as_of.isoformat() if as_of else None,
            },
        )

    @strawberry.field
    async def region(self, info: strawberry.Info, id: strawberry.ID) -> Region | None:
        data = await info.context.loaders.region.load(_uuid(id))
        return Region.from_rest(data) if data else None

    @strawberry.field
    async def regions(
        self,
        info: strawberry.Info,
        first: int = 50,
        after: str | None = None,
        parent_id: strawberry.ID | None = None,
    ) -> Connection[Region]:
        check_first(first)
        page = await info.context.services["org"].get(
            "/regions",
            bearer=info.context.token,
            params={
                "limit": first,
                "after": after,
                "parent_id": _uuid(parent_id, "parentId") if parent_id else None,
            },
        )
        return connection(page, Region.from_rest)  # type: ignore[no-any-return]


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Found a party organization.")
    async def create_organization(
        self, info: strawberry.Info, input: CreateOrganizationInput
    ) -> Organization:
        data = await info.context.services["org"].post(
            "/organizations", bearer=info.context.token, json=input.to_rest()
        )
        return Organization.from_rest(data)


def build_schema(max_depth: int = 12) -> strawberry.Schema:
    from strawberry.extensions import QueryDepthLimiter

    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        extensions=[ShapeErrors, lambda: QueryDepthLimiter(max_depth=max_depth)],
    )
