"""GraphQL types and inputs of organizations."""

from __future__ import annotations

import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from gateway.schema.common import Connection, check_first, connection, iso
from gateway.schema.coverage import WorkTarget, work_target_page
from gateway.schema.places import Region

if TYPE_CHECKING:
    from gateway.schema.funding import FundingBalance
    from gateway.schema.members import Member, MemberCounts, MemberStage, SecretaryTerm
    from gateway.schema.ratings import Campaign, StarLevel

LazyMember = Annotated["Member", strawberry.lazy("gateway.schema.members")]
LazyMemberStage = Annotated["MemberStage", strawberry.lazy("gateway.schema.members")]
LazyMemberCounts = Annotated["MemberCounts", strawberry.lazy("gateway.schema.members")]
LazySecretaryTerm = Annotated["SecretaryTerm", strawberry.lazy("gateway.schema.members")]
LazyStarLevel = Annotated["StarLevel", strawberry.lazy("gateway.schema.ratings")]
LazyCampaign = Annotated["Campaign", strawberry.lazy("gateway.schema.ratings")]
LazyFundingBalance = Annotated["FundingBalance", strawberry.lazy("gateway.schema.funding")]


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
        return connection(page, Organization.from_rest)

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

    @strawberry.field(
        description="Members whose membership relation (home organization) this is, by name. "
        "The first page of many organizations is loaded in one call to member-service."
    )
    async def members(
        self,
        info: strawberry.Info,
        first: int = 50,
        after: str | None = None,
        stage: LazyMemberStage | None = None,
    ) -> Connection[LazyMember] | None:
        from gateway.schema.members import Member

        check_first(first)
        stage_value = stage.value if stage else None
        if after is None:
            page = await info.context.loaders.first_members.load((str(self.id), first, stage_value))
        else:
            page = await info.context.services["member"].get(
                "/members",
                bearer=info.context.token,
                params={
                    "organization_id": str(self.id),
                    "limit": first,
                    "after": after,
                    "stage": stage_value,
                },
            )
        return connection(page or {"items": []}, Member.from_rest)

    @strawberry.field(description="Full and probationary members on a day (default today).")
    async def member_counts(
        self, info: strawberry.Info, as_of: datetime.date | None = None
    ) -> LazyMemberCounts | None:
        from gateway.schema.members import MemberCounts

        data = await info.context.loaders.member_counts.load((str(self.id), iso(as_of)))
        return MemberCounts.from_rest(data) if data else None

    @strawberry.field(description="The secretary's term running today (null: none).")
    async def secretary(self, info: strawberry.Info) -> LazySecretaryTerm | None:
        from gateway.schema.members import SecretaryTerm

        data = await info.context.loaders.secretary.load(str(self.id))
        return SecretaryTerm.from_rest(data) if data else None

    @strawberry.field(description="The star level in force (null: not rated yet).")
    async def star_rating(self, info: strawberry.Info) -> LazyStarLevel | None:
        from gateway.schema.ratings import StarLevel

        data = await info.context.loaders.organization_star_level.load(str(self.id))
        return StarLevel.from_rest(data) if data else None

    @strawberry.field(description="The organization's own funds and collected dues, in fen.")
    async def funding_balance(self, info: strawberry.Info) -> LazyFundingBalance | None:
        from gateway.schema.funding import FundingBalance

        accounts = await info.context.loaders.organization_accounts.load(str(self.id))
        return FundingBalance.from_rest(str(self.id), accounts)

    @strawberry.field(description="Four-party evaluation campaigns over this organization.")
    async def campaigns(
        self, info: strawberry.Info, first: int = 20, after: str | None = None
    ) -> Connection[LazyCampaign] | None:
        from gateway.schema.ratings import Campaign

        check_first(first)
        page = await info.context.services["rating"].get(
            "/campaigns",
            bearer=info.context.token,
            params={"organization_id": str(self.id), "limit": first, "after": after},
        )
        return connection(page, Campaign.from_rest)

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
