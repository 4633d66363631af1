"""Root query and mutation types, and the schema with its limits."""

from __future__ import annotations

import datetime

import strawberry
from strawberry.extensions import MaxTokensLimiter

from gateway.schema.common import Connection, check_first, connection, idempotency_headers, uuid_arg
from gateway.schema.coverage import CoverageReport, Inspection, WorkTarget, work_target_page
from gateway.schema.documents import DocumentCache
from gateway.schema.errors import ShapeErrors
from gateway.schema.funding import Bid, BidInput, Project
from gateway.schema.limits import Limits, limits_extension
from gateway.schema.members import (
    Activity,
    AssignPostInput,
    Attendance,
    AttendanceInput,
    CreateActivityInput,
    Member,
    MemberStage,
    Post,
    RegisterMemberInput,
    SecretaryTerm,
    StageChangeInput,
    StartSecretaryTermInput,
)
from gateway.schema.organizations import CreateOrganizationInput, Organization, OrganizationKind
from gateway.schema.places import Region
from gateway.schema.ratings import (
    Ballot,
    Campaign,
    CampaignStatus,
    CastBallotInput,
    CloseSummary,
    CreateCampaignInput,
    Evaluator,
    PendingBallot,
    RegisterEvaluatorInput,
    ballot_from_rest,
    pending_ballots,
)
from gateway.upstream import UpstreamError


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

    @strawberry.field(description="The caller's own member record, for a member.")
    async def member(self, info: strawberry.Info) -> Member | None:
        if self.member_id is None:
            return None
        data = await info.context.loaders.member.load(str(self.member_id))
        return Member.from_rest(data) if data else None

    @strawberry.field(
        description="Ballots the caller may still cast in campaigns open now (as a member, "
        "secretary or registered evaluator)."
    )
    async def pending_ballots(self, info: strawberry.Info) -> list[PendingBallot] | None:
        if "rating:vote" not in info.context.principal.scopes:
            return []
        return await pending_ballots(info)


@strawberry.type
class Query:
    @strawberry.field(description="Who is calling: roles, scopes, where they act, their record.")
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
        data = await info.context.loaders.organization.load(uuid_arg(id))
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
    ) -> Connection[Organization] | None:
        check_first(first)
        page = await info.context.services["org"].get(
            "/organizations",
            bearer=info.context.token,
            params={
                "limit": first,
                "after": after,
                "kind": kind.value if kind else None,
                "parent_id": uuid_arg(parent_id, "parentId") if parent_id else None,
                "region_id": uuid_arg(region_id, "regionId") if region_id else None,
                "under": uuid_arg(under, "under") if under else None,
            },
        )
        return connection(page, Organization.from_rest)

    @strawberry.field(description="A member the caller may see (null: none, or hidden).")
    async def member(self, info: strawberry.Info, id: strawberry.ID) -> Member | None:
        data = await info.context.loaders.member.load(uuid_arg(id))
        return Member.from_rest(data) if data else None

    @strawberry.field(description="Members the caller may see, by name.")
    async def members(
        self,
        info: strawberry.Info,
        first: int = 50,
        after: str | None = None,
        organization_id: strawberry.ID | None = None,
        serving_organization_id: strawberry.ID | None = None,
        stage: MemberStage | None = None,
    ) -> Connection[Member] | None:
        check_first(first)
        page = await info.context.services["member"].get(
            "/members",
            bearer=info.context.token,
            params={
                "limit": first,
                "after": after,
                "organization_id": uuid_arg(organization_id, "organizationId")
                if organization_id
                else None,
                "serving_organization_id": uuid_arg(
                    serving_organization_id, "servingOrganizationId"
                )
                if serving_organization_id
                else None,
                "stage": stage.value if stage else None,
            },
        )
        return connection(page, Member.from_rest)

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
    ) -> CoverageReport | None:
        data = await info.context.services["org"].get(
            "/coverage",
            bearer=info.context.token,
            params={
                "region_id": uuid_arg(region_id, "regionId") if region_id else None,
                "as_of": as_of.isoformat() if as_of else None,
                "group_by": group_by,
            },
        )
        return CoverageReport.from_rest(data)

    @strawberry.field(
        description="半年督查 of a region's subtree (default the caller's): work targets "
        "uncovered at the half-year's end, or today while it runs, with who is responsible."
    )
    async def half_year_inspection(
        self,
        info: strawberry.Info,
        year: int,
        half: int,
        region_id: strawberry.ID | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> Inspection | None:
        check_first(first)
        data = await info.context.services["org"].get(
            f"/coverage/inspections/{year}/{half}",
            bearer=info.context.token,
            params={
                "region_id": uuid_arg(region_id, "regionId") if region_id else None,
                "limit": first,
                "after": after,
            },
        )
        return Inspection.from_rest(data)

    @strawberry.field
    async def work_target(self, info: strawberry.Info, id: strawberry.ID) -> WorkTarget | None:
        data = await info.context.loaders.work_target.load(uuid_arg(id))
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
    ) -> Connection[WorkTarget] | None:
        check_first(first)
        return await work_target_page(
            info,
            {
                "limit": first,
                "after": after,
                "region_id": uuid_arg(region_id, "regionId") if region_id else None,
                "place_id": uuid_arg(place_id, "placeId") if place_id else None,
                "industry": industry,
                "uncovered_only": "true" if uncovered_only else None,
                "as_of": as_of.isoformat() if as_of else None,
            },
        )

    @strawberry.field
    async def region(self, info: strawberry.Info, id: strawberry.ID) -> Region | None:
        data = await info.context.loaders.region.load(uuid_arg(id))
        return Region.from_rest(data) if data else None

    @strawberry.field
    async def regions(
        self,
        info: strawberry.Info,
        first: int = 50,
        after: str | None = None,
        parent_id: strawberry.ID | None = None,
    ) -> Connection[Region] | None:
        check_first(first)
        page = await info.context.services["org"].get(
            "/regions",
            bearer=info.context.token,
            params={
                "limit": first,
                "after": after,
                "parent_id": uuid_arg(parent_id, "parentId") if parent_id else None,
            },
        )
        return connection(page, Region.from_rest)

    @strawberry.field(description="A four-party evaluation campaign the caller may see.")
    async def campaign(self, info: strawberry.Info, id: strawberry.ID) -> Campaign | None:
        data = await info.context.loaders.campaign.load(uuid_arg(id))
        return Campaign.from_rest(data) if data else None

    @strawberry.field(description="Campaigns the caller may see, oldest first.")
    async def campaigns(
        self,
        info: strawberry.Info,
        first: int = 50,
        after: str | None = None,
        organization_id: strawberry.ID | None = None,
        status: CampaignStatus | None = None,
    ) -> Connection[Campaign] | None:
        check_first(first)
        page = await info.context.services["rating"].get(
            "/campaigns",
            bearer=info.context.token,
            params={
                "limit": first,
                "after": after,
                "organization_id": uuid_arg(organization_id, "organizationId")
                if organization_id
                else None,
                "status": status.value if status else None,
            },
        )
        return connection(page, Campaign.from_rest)

    @strawberry.field(description="A party-building project.")
    async def project(self, info: strawberry.Info, id: strawberry.ID) -> Project | None:
        try:
            data = await info.context.services["funding"].get(
                f"/projects/{uuid_arg(id)}", bearer=info.context.token
            )
        except UpstreamError as exc:
            if exc.status == 404:
                return None
            raise
        return Project.from_rest(data)

    @strawberry.field(description="Party-building projects, oldest first.")
    async def projects(
        self,
        info: strawberry.Info,
        first: int = 50,
        after: str | None = None,
        district_id: strawberry.ID | None = None,
    ) -> Connection[Project] | None:
        check_first(first)
        page = await info.context.services["funding"].get(
            "/projects",
            bearer=info.context.token,
            params={
                "limit": first,
                "after": after,
                "district_id": uuid_arg(district_id, "districtId") if district_id else None,
            },
        )
        return connection(page, Project.from_rest)


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

    @strawberry.mutation(description="Register an applicant (18 or older), or bring in a record.")
    async def register_member(self, info: strawberry.Info, input: RegisterMemberInput) -> Member:
        data = await info.context.services["member"].post(
            "/members", bearer=info.context.token, json=input.to_rest()
        )
        return Member.from_rest(data)

    @strawberry.mutation(
        description="The next step of the development pipeline; a step a rule refuses answers "
        "with the rule's id as the code and details.earliest_on."
    )
    async def advance_member_stage(
        self, info: strawberry.Info, member_id: strawberry.ID, input: StageChangeInput
    ) -> Member:
        data = await info.context.services["member"].post(
            f"/members/{uuid_arg(member_id, 'memberId')}/stage-changes",
            bearer=info.context.token,
            json=input.to_rest(),
        )
        return Member.from_rest(data)

    @strawberry.mutation(description="A full member becomes an organization's secretary.")
    async def start_secretary_term(
        self, info: strawberry.Info, input: StartSecretaryTermInput
    ) -> SecretaryTerm:
        data = await info.context.services["member"].post(
            "/secretary-terms", bearer=info.context.token, json=input.to_rest()
        )
        return SecretaryTerm.from_rest(data)

    @strawberry.mutation(description="Give a party member a post (双亮).")
    async def assign_post(
        self, info: strawberry.Info, member_id: strawberry.ID, input: AssignPostInput
    ) -> Post:
        data = await info.context.services["member"].post(
            f"/members/{uuid_arg(member_id, 'memberId')}/posts",
            bearer=info.context.token,
            json=input.to_rest(),
        )
        return Post.from_rest(data)

    @strawberry.mutation(description="Record a meeting, party lesson or themed party day held.")
    async def create_activity(self, info: strawberry.Info, input: CreateActivityInput) -> Activity:
        data = await info.context.services["member"].post(
            "/activities", bearer=info.context.token, json=input.to_rest()
        )
        return Activity.from_rest(data)

    @strawberry.mutation(description="Who attended an activity; each record lands in an archive.")
    async def record_attendance(
        self, info: strawberry.Info, activity_id: strawberry.ID, records: list[AttendanceInput]
    ) -> list[Attendance]:
        data = await info.context.services["member"].post(
            f"/activities/{uuid_arg(activity_id, 'activityId')}/attendance",
            bearer=info.context.token,
            json={
                "records": [{"member_id": r.member_id, "status": r.status.value} for r in records]
            },
        )
        return [Attendance.from_rest(a) for a in data]

    @strawberry.mutation(description="Open a four-party evaluation over an organization's subtree.")
    async def create_campaign(self, info: strawberry.Info, input: CreateCampaignInput) -> Campaign:
        data = await info.context.services["rating"].post(
            "/campaigns", bearer=info.context.token, json=input.to_rest()
        )
        return Campaign.from_rest(data)

    @strawberry.mutation(description="Register an owner/investor or an employee (masses).")
    async def register_evaluator(
        self, info: strawberry.Info, input: RegisterEvaluatorInput
    ) -> Evaluator:
        data = await info.context.services["rating"].post(
            "/evaluators", bearer=info.context.token, json=input.to_rest()
        )
        return Evaluator.from_rest(data)

    @strawberry.mutation(description="Cast one ballot; it cannot be changed, and keeps no voter.")
    async def cast_ballot(
        self, info: strawberry.Info, campaign_id: strawberry.ID, input: CastBallotInput
    ) -> Ballot:
        data = await info.context.services["rating"].post(
            f"/campaigns/{uuid_arg(campaign_id, 'campaignId')}/ballots",
            bearer=info.context.token,
            json=input.to_rest(),
        )
        return ballot_from_rest(data)

    @strawberry.mutation(description="Close a campaign and compute its results.")
    async def close_campaign(
        self, info: strawberry.Info, campaign_id: strawberry.ID
    ) -> CloseSummary:
        data = await info.context.services["rating"].post(
            f"/campaigns/{uuid_arg(campaign_id, 'campaignId')}/close",
            bearer=info.context.token,
            json=None,
        )
        return CloseSummary.from_rest(data)

    @strawberry.mutation(
        description="Bid for a project for an organization (its star level must reach the "
        "project's minimum). Sending the same idempotencyKey again never bids twice."
    )
    async def bid_for_project(
        self,
        info: strawberry.Info,
        project_id: strawberry.ID,
        input: BidInput,
        idempotency_key: str,
    ) -> Bid:
        data = await info.context.services["funding"].post(
            f"/projects/{uuid_arg(project_id, 'projectId')}/bids",
            bearer=info.context.token,
            json=input.to_rest(),
            headers=idempotency_headers(idempotency_key),
        )
        return Bid.from_rest(data)


def build_schema(
    limits: Limits | None = None, max_tokens: int = 5_000, documents: DocumentCache | None = None
) -> strawberry.Schema:
    """The schema with its error shaping, request limits (the SDL does not depend on them) and
    its cache of parsed and validated query texts."""
    limits = limits or Limits(max_depth=12, max_cost=50_000, max_aliases=30, introspection=True)
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        extensions=[
            ShapeErrors,
            lambda: MaxTokensLimiter(max_token_count=max_tokens),
            limits_extension(limits),
            (documents or DocumentCache()).extension(),
        ],
    )
