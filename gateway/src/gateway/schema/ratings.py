"""GraphQL types and inputs of ratings (rating-service): star levels, four-party evaluations."""

from __future__ import annotations

import asyncio
import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from gateway.schema.common import (
    Connection,
    check_first,
    connection,
    day,
    iso,
    load_organization,
    moment,
)
from gateway.schema.members import Member, MemberStage, load_member
from service_kit.pagination import MAX_PAGE_SIZE

if TYPE_CHECKING:
    from gateway.schema.organizations import Organization

LazyOrganization = Annotated["Organization", strawberry.lazy("gateway.schema.organizations")]


@strawberry.enum(
    description="四方评议: owner 业主/出资人, secretary 书记, members 党员, masses 群众."
)
class Party(Enum):
    OWNER = "owner"
    SECRETARY = "secretary"
    MEMBERS = "members"
    MASSES = "masses"


@strawberry.enum(description="Democratic evaluation grades (民主评议).")
class Grade(Enum):
    EXCELLENT = "excellent"
    QUALIFIED = "qualified"
    BASICALLY_QUALIFIED = "basically_qualified"
    UNQUALIFIED = "unqualified"


@strawberry.enum
class CampaignStatus(Enum):
    OPEN = "open"
    CLOSED = "closed"


@strawberry.enum
class EvaluatorKind(Enum):
    OWNER = "owner"
    MASSES = "masses"


@strawberry.type(description="A star level (1–5) in force for an organization or a member.")
class StarLevel:
    stars: int
    valid_from: datetime.date
    valid_until: datetime.date | None = strawberry.field(
        description="exclusive; null: until a new level replaces it"
    )
    showcase: bool = strawberry.field(description="organizations: meets 两化三有")

    @classmethod
    def from_rest(cls, data: dict[str, Any]) -> StarLevel:
        return cls(
            stars=data["stars"],
            valid_from=datetime.date.fromisoformat(data["valid_from"]),
            valid_until=day(data.get("valid_until")),
            showcase=data["showcase"],
        )


@strawberry.type(description="Each party's weight in whole percent.")
class Weights:
    owner: int
    secretary: int
    members: int
    masses: int


@strawberry.type(description="The least weighted score for each number of stars.")
class StarThresholds:
    five_stars: float
    four_stars: float
    three_stars: float
    two_stars: float


@strawberry.type(description="A party's part in a member's result.")
class PartyScore:
    party: Party
    weight: int
    ballots: int
    score: float | None = strawberry.field(
        description="null: no ballots, or withheld from the member while fewer than 3"
    )
    used: bool


@strawberry.type(description="A member's result in a closed four-party evaluation.")
class EvaluationResult:
    stage: MemberStage
    period_start: datetime.date
    period_end: datetime.date
    weighted_score: float
    parties_used: list[Party]
    rescaled: bool = strawberry.field(
        description="a weighted party cast no ballot: the others' weights were rescaled"
    )
    score_stars: int = strawberry.field(description="stars by the thresholds alone")
    stars: int = strawberry.field(description="stars after the 5-star cap")
    capped: bool
    grade: Grade | None = strawberry.field(description="probationary members: null")
    grade_capped: bool
    party_scores: list[PartyScore]
    finalized_at: datetime.datetime
    campaign_id: strawberry.Private[str]
    member_id: strawberry.Private[str]
    organization_id: strawberry.Private[str]

    @strawberry.field
    async def campaign(self, info: strawberry.Info) -> Campaign | None:
        data = await info.context.loaders.campaign.load(self.campaign_id)
        return Campaign.from_rest(data) if data else None

    @strawberry.field
    async def member(self, info: strawberry.Info) -> Member | None:
        return await load_member(info, self.member_id)

    @strawberry.field
    async def organization(self, info: strawberry.Info) -> LazyOrganization | None:
        return await load_organization(info, self.organization_id)

    @classmethod
    def from_rest(cls, data: dict[str, Any]) -> EvaluationResult:
        return cls(
            stage=MemberStage(data["stage"]),
            period_start=datetime.date.fromisoformat(data["period_start"]),
            period_end=datetime.date.fromisoformat(data["period_end"]),
            weighted_score=data["weighted_score"],
            parties_used=[Party(p) for p in data["parties_used"]],
            rescaled=data["rescaled"],
            score_stars=data["score_stars"],
            stars=data["stars"],
            capped=data["capped"],
            grade=Grade(data["grade"]) if data.get("grade") else None,
            grade_capped=data["grade_capped"],
            party_scores=[
                PartyScore(
                    party=Party(p["party"]),
                    weight=p["weight"],
                    ballots=p["ballots"],
                    score=p.get("score"),
                    used=p["used"],
                )
                for p in data["party_scores"]
            ],
            finalized_at=datetime.datetime.fromisoformat(data["finalized_at"]),
            campaign_id=str(data["campaign_id"]),
            member_id=str(data["member_id"]),
            organization_id=str(data["organization_id"]),
        )


@strawberry.type(description="A member on a campaign's roll.")
class CampaignSubject:
    stage: MemberStage
    member_id: strawberry.Private[str]
    organization_id: strawberry.Private[str]

    @strawberry.field
    async def member(self, info: strawberry.Info) -> Member | None:
        return await load_member(info, self.member_id)

    @strawberry.field
    async def organization(self, info: strawberry.Info) -> LazyOrganization | None:
        return await load_organization(info, self.organization_id)

    @classmethod
    def from_rest(cls, data: dict[str, Any]) -> CampaignSubject:
        return cls(
            stage=MemberStage(data["stage"]),
            member_id=str(data["member_id"]),
            organization_id=str(data["organization_id"]),
        )


@strawberry.type(description="A four-party evaluation (四方评议) over an organization's subtree.")
class Campaign:
    id: strawberry.ID
    name: str
    period_start: datetime.date
    period_end: datetime.date
    opens_at: datetime.datetime
    closes_at: datetime.datetime
    voting_open: bool
    status: CampaignStatus
    weights: Weights
    star_thresholds: StarThresholds
    five_star_cap_percent: float | None
    criteria: list[str]
    organization_count: int
    subject_count: int
    result_count: int | None
    closed_at: datetime.datetime | None
    organization_id: strawberry.Private[str]

    @strawberry.field
    async def organization(self, info: strawberry.Info) -> LazyOrganization | None:
        return await load_organization(info, self.organization_id)

    @strawberry.field(description="The roll, by organization.")
    async def subjects(
        self, info: strawberry.Info, first: int = 50, after: str | None = None
    ) -> Connection[CampaignSubject] | None:
        check_first(first)
        page = await info.context.services["rating"].get(
            f"/campaigns/{self.id}/subjects",
            bearer=info.context.token,
            params={"limit": first, "after": after},
        )
        return connection(page, CampaignSubject.from_rest)

    @strawberry.field(description="Results once closed, oldest first.")
    async def results(
        self, info: strawberry.Info, first: int = 50, after: str | None = None
    ) -> Connection[EvaluationResult] | None:
        check_first(first)
        page = await info.context.services["rating"].get(
            "/evaluation-results",
            bearer=info.context.token,
            params={"campaign_id": str(self.id), "limit": first, "after": after},
        )
        return connection(page, EvaluationResult.from_rest)

    @classmethod
    def from_rest(cls, data: dict[str, Any]) -> Campaign:
        thresholds = data["star_thresholds"]
        return cls(
            id=strawberry.ID(data["id"]),
            name=data["name"],
            period_start=datetime.date.fromisoformat(data["period_start"]),
            period_end=datetime.date.fromisoformat(data["period_end"]),
            opens_at=datetime.datetime.fromisoformat(data["opens_at"]),
            closes_at=datetime.datetime.fromisoformat(data["closes_at"]),
            voting_open=data["voting_open"],
            status=CampaignStatus(data["status"]),
            weights=Weights(**data["weights"]),
            star_thresholds=StarThresholds(
                five_stars=thresholds["five_stars"],
                four_stars=thresholds["four_stars"],
                three_stars=thresholds["three_stars"],
                two_stars=thresholds["two_stars"],
            ),
            five_star_cap_percent=data.get("five_star_cap_percent"),
            criteria=list(data["criteria"]),
            organization_count=data["organization_count"],
            subject_count=data["subject_count"],
            result_count=data.get("result_count"),
            closed_at=moment(data.get("closed_at")),
            organization_id=str(data["organization_id"]),
        )


@strawberry.type(description="A member the caller may still evaluate in a campaign open now.")
class PendingBallot:
    campaign: Campaign
    stage: MemberStage
    parties: list[Party] = strawberry.field(description="the parties the caller may vote in")
    member_id: strawberry.ID = strawberry.field(description="the member to evaluate")
    organization_id: strawberry.Private[str]

    @strawberry.field(
        description="The member's record, when the caller may read it (an owner or an "
        "employee registered as masses may not: null)."
    )
    async def member(self, info: strawberry.Info) -> Member | None:
        return await load_member(info, self.member_id)

    @strawberry.field
    async def organization(self, info: strawberry.Info) -> LazyOrganization | None:
        return await load_organization(info, self.organization_id)


async def _all_pages(info: strawberry.Info, path: str, params: dict[str, Any]) -> list[Any]:
    items: list[Any] = []
    after: str | None = None
    while True:
        page = await info.context.services["rating"].get(
            path,
            bearer=info.context.token,
            params={**params, "limit": MAX_PAGE_SIZE, "after": after},
        )
        items += page["items"]
        after = page.get("next_cursor")
        if not after:
            return items


async def pending_ballots(info: strawberry.Info) -> list[PendingBallot]:
    """The caller's ballots still to cast: one call for the open campaigns, one per campaign.

    Loaded once per request, whether `me` or the caller's member record asks.
    """
    cache: dict[str, Any] = info.context.cache
    if "pending_ballots" not in cache:
        cache["pending_ballots"] = asyncio.ensure_future(_pending_ballots(info))
    result: list[PendingBallot] = await cache["pending_ballots"]
    return result


async def _pending_ballots(info: strawberry.Info) -> list[PendingBallot]:
    campaigns = [
        c for c in await _all_pages(info, "/campaigns", {"status": "open"}) if c["voting_open"]
    ]
    rolls = await asyncio.gather(
        *(_all_pages(info, f"/campaigns/{c['id']}/evaluable-members", {}) for c in campaigns)
    )
    pending = []
    for data, roll in zip(campaigns, rolls, strict=True):
        campaign = Campaign.from_rest(data)
        for row in roll:
            if row["ballot_cast"] or not row["parties"]:
                continue
            pending.append(
                PendingBallot(
                    campaign=campaign,
                    stage=MemberStage(row["stage"]),
                    parties=[Party(p) for p in row["parties"]],
                    member_id=strawberry.ID(str(row["member_id"])),
                    organization_id=str(row["organization_id"]),
                )
            )
    return pending


@strawberry.type(description="One criterion's score on a ballot.")
class CriterionScore:
    criterion: str
    score: int


@strawberry.type(description="The ballot as its own evaluator sees it.")
class Ballot:
    party: Party
    scores: list[CriterionScore]
    score: float = strawberry.field(description="the mean of the criterion scores")
    member_id: strawberry.ID = strawberry.field(description="the member evaluated")

    @strawberry.field(description="The member evaluated.")
    async def member(self, info: strawberry.Info) -> Member | None:
        return await load_member(info, self.member_id)


@strawberry.type(description="What closing a campaign computed.")
class CloseSummary:
    campaign: Campaign
    evaluated: int
    not_evaluated: int
    rescaled: int
    five_stars: int
    capped: int
    excellent: int
    grade_capped: int

    @classmethod
    def from_rest(cls, data: dict[str, Any]) -> CloseSummary:
        return cls(
            campaign=Campaign.from_rest(data["campaign"]),
            evaluated=data["evaluated"],
            not_evaluated=data["not_evaluated"],
            rescaled=data["rescaled"],
            five_stars=data["five_stars"],
            capped=data["capped"],
            excellent=data["excellent"],
            grade_capped=data["grade_capped"],
        )


@strawberry.input
class WeightsInput:
    owner: int
    secretary: int
    members: int
    masses: int


@strawberry.input(description="A campaign over an organization and everything below it.")
class CreateCampaignInput:
    name: str
    organization_id: strawberry.ID
    period_start: datetime.date
    period_end: datetime.date
    closes_at: datetime.datetime
    opens_at: datetime.datetime | None = None
    weights: WeightsInput | None = None
    criteria: list[str] | None = None

    def to_rest(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": self.name,
            "organization_id": self.organization_id,
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
            "closes_at": self.closes_at.isoformat(),
            "opens_at": iso(self.opens_at),
            "weights": strawberry.asdict(self.weights) if self.weights else None,
            "criteria": self.criteria,
        }
        return {k: v for k, v in body.items() if v is not None}


@strawberry.input(description="One score (0–100) for one of the campaign's criteria.")
class CriterionScoreInput:
    criterion: str
    score: int


@strawberry.input
class CastBallotInput:
    member_id: strawberry.ID
    party: Party
    scores: list[CriterionScoreInput]

    def to_rest(self) -> dict[str, Any]:
        return {
            "member_id": self.member_id,
            "party": self.party.value,
            "scores": {s.criterion: s.score for s in self.scores},
        }


@strawberry.input(description="An owner/investor of a work target, or an employee as masses.")
class RegisterEvaluatorInput:
    kind: EvaluatorKind
    account: str = strawberry.field(description="the evaluator's account (token subject)")
    name: str
    organization_id: strawberry.ID
    work_target_id: strawberry.ID | None = None
    valid_from: datetime.date | None = None

    def to_rest(self) -> dict[str, Any]:
        body = {
            "kind": self.kind.value,
            "account": self.account,
            "name": self.name,
            "organization_id": self.organization_id,
            "work_target_id": self.work_target_id,
            "valid_from": iso(self.valid_from),
        }
        return {k: v for k, v in body.items() if v is not None}


@strawberry.type
class Evaluator:
    id: strawberry.ID
    kind: EvaluatorKind
    account: str
    name: str
    valid_from: datetime.date
    valid_until: datetime.date | None
    organization_id: strawberry.Private[str]

    @strawberry.field
    async def organization(self, info: strawberry.Info) -> LazyOrganization | None:
        return await load_organization(info, self.organization_id)

    @classmethod
    def from_rest(cls, data: dict[str, Any]) -> Evaluator:
        return cls(
            id=strawberry.ID(data["id"]),
            kind=EvaluatorKind(data["kind"]),
            account=data["account"],
            name=data["name"],
            valid_from=datetime.date.fromisoformat(data["valid_from"]),
            valid_until=day(data.get("valid_until")),
            organization_id=str(data["organization_id"]),
        )


def ballot_from_rest(data: dict[str, Any]) -> Ballot:
    return Ballot(
        party=Party(data["party"]),
        scores=[CriterionScore(criterion=k, score=v) for k, v in data["scores"].items()],
        score=data["score"],
        member_id=strawberry.ID(str(data["member_id"])),
    )
