"""GraphQL types and inputs of organizations."""

from __future__ import annotations

import datetime
from enum import Enum
from typing import Any

import strawberry

from gateway.schema.common import MAX_FIRST, Connection, connection
from gateway.schema.coverage import WorkTarget, work_target_page
from gateway.schema.errors import GatewayError
from gateway.schema.places import Region


@strawberry.enum
class OrganizationKind(Enum):
    WORKING_COMMITTEE = "working_committee"
    PARTY_COMMITTEE = "party_committee"
    GENERAL_BRANCH = "general_branch"
    BRANCH = "branch"


@strawberry.enum
class OrganizationSubkind(Enum):
    CITY = "city"
    DISTRICT = "district"
    PARK = "park"
    COMPREHENSIVE = "comprehensive"
    INDUSTRY = "industry"
    ENTERPRISE = "enterprise"


@strawberry.enum
class Formation(Enum):
    SINGLE = "single"
    JOINT = "joint"
    DISPATCHED = "dispatched"


@strawberry.enum
class JointMode(Enum):
    AREA = "area"
    INDUSTRY = "industry"
    LEADING_ENTERPRISE = "leading_enterprise"


def check_first(first: int) -> None:
    if first < 1 or first > MAX_FIRST:
        raise GatewayError("page_size_too_large", f"first must be between 1 and {MAX_FIRST}.")


@strawberry.type
class Organization:
    id: strawberry.ID
    name: str
    kind: OrganizationKind
    subkind: OrganizationSubkind | None
    formation: Formation
    joint_mode: JointMode | None
    is_functional_branch: bool
    status: str
    founded_on: datetime.date
    depth: int
    parent_id: strawberry.Private[str | None]
    region_id: strawberry.Private[str]
    industry_committee_id: strawberry.Private[str | None]

    @strawberry.field(description="The territorial parent.")
    async def parent(self, info: strawberry.Info) -> Organization | None:
        if self.parent_id is None:
            return None
        data = await info.context.loaders.organization.load(self.parent_id)
        return Organization.from_rest(data) if data else None

    @strawberry.field(description="The industry committee this organization is guided by.")
    async def industry_committee(self, info: strawberry.Info) -> Organization | None:
        if self.industry_committee_id is None:
            return None
        data = await info.context.loaders.organization.load(self.industry_committee_id)
        return Organization.from_rest(data) if data else None

    @strawberry.field
    async def region(self, info: strawberry.Info) -> Region | None:
        data = await info.context.loaders.region.load(self.region_id)
        return Region.from_rest(data) if data else None

    @strawberry.field(description="Organizations whose territorial parent this is.")
    async def children(
        self, info: strawberry.Info, first: int = 50, after: str | None = None
    ) -> Connection[Organization]:
        check_first(first)
        page = await info.context.services["org"].get(
            "/organizations",
            bearer=info.context.token,
            params={"parent_id": str(self.id), "limit": first, "after": after},
        )
        return connection(page, Organization.from_rest)  # type: ignore[no-any-return]

    @strawberry.field(description="Work targets this organization covers on a day.")
    async def work_targets(
        self,
        info: strawberry.Info,
        first: int = 50,
        after: str | None = None,
        as_of: datetime.date | None = None,
    ) -> Connection[WorkTarget]:
        check_first(first)
        return await work_target_page(
            info,
            {
                "covered_by": str(self.id),
                "limit": first,
                "after": after,
                "as_of": as_of.isoformat() if as_of else None,
            },
        )

    @classmethod
    def from_rest(cls, data: dict[str, Any]) -> Organization:
        return cls(
            id=strawberry.ID(data["id"]),
            name=data["name"],
            kind=OrganizationKind(data["kind"]),
            subkind=OrganizationSubkind(data["subkind"]) if data.get("subkind") else None,
            formation=Formation(data["formation"]),
            joint_mode=JointMode(data["joint_mode"]) if data.get("joint_mode") else None,
            is_functional_branch=data["is_functional_branch"],
            status=data["status"],
            founded_on=datetime.date.fromisoformat(data["founded_on"]),
            depth=data["depth"],
            parent_id=data.get("parent_id"),
            region_id=data["region_id"],
            industry_committee_id=data.get("industry_committee_id"),
        )


@strawberry.input
class CreateOrganizationInput:
    name: str
    kind: OrganizationKind
    region_id: strawberry.ID
    parent_id: strawberry.ID | None = None
    subkind: OrganizationSubkind | None = None
    formation: Formation = Formation.SINGLE
    joint_mode: JointMode | None = None
    industry_committee_id: strawberry.ID | None = None
    founded_on: datetime.date | None = None

    def to_rest(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind.value,
            "region_id": str(self.region_id),
            "parent_id": str(self.parent_id) if self.parent_id else None,
            "subkind": self.subkind.value if self.subkind else None,
            "formation": self.formation.value,
            "joint_mode": self.joint_mode.value if self.joint_mode else None,
            "industry_committee_id": str(self.industry_committee_id)
            if self.industry_committee_id
            else None,
            "founded_on": self.founded_on.isoformat() if self.founded_on else None,
        }
