"""API models of campaigns."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from rating_service.campaigns.models import CampaignStatus
from rating_service.parties import Stage


class Weights(BaseModel):
    """Each party's weight in whole percent; together 100 (refused otherwise: weights_not_100)."""

    model_config = ConfigDict(extra="forbid")

    owner: int = Field(description="业主/出资人")
    secretary: int = Field(description="书记")
    members: int = Field(description="党员")
    masses: int = Field(description="群众")


class StarThresholds(BaseModel):
    """The least weighted score for each number of stars, falling (else thresholds_out_of_order);
    below two_stars: 1 star."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    five_stars: float
    four_stars: float
    three_stars: float
    two_stars: float


class GradeThresholds(BaseModel):
    """The least weighted score for each grade, falling; below basically_qualified: unqualified."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    excellent: float
    qualified: float
    basically_qualified: float


class CampaignCreate(BaseModel):
    """A campaign over an organization and everything below it. Settings left out take the
    policy parameters in force today for the organization's region (GET /policy-parameters)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: str = Field(min_length=1, max_length=200)
    organization_id: uuid.UUID = Field(
        description="the campaign evaluates the party members of this organization and of "
        "every active organization below it"
    )
    period_start: date = Field(description="first day of the period evaluated")
    period_end: date = Field(description="last day of the period evaluated")
    opens_at: AwareDatetime | None = Field(
        default=None, description="when voting starts (default: now)"
    )
    closes_at: AwareDatetime = Field(description="when voting ends (exclusive)")
    weights: Weights | None = None
    star_thresholds: StarThresholds | None = None
    five_star_cap_percent: float | None = Field(
        default=None,
        description="the largest share of evaluated members that may get 5 stars, in percent; "
        "left out: the policy default; null: no cap",
    )
    grade_thresholds: GradeThresholds | None = None
    criteria: list[str] | None = Field(
        default=None,
        max_length=20,
        description="what each ballot scores, 0 to 100 per criterion; a ballot's score is "
        "their mean",
    )


class CampaignPublic(BaseModel):
    id: uuid.UUID
    name: str
    organization_id: uuid.UUID
    period_start: date
    period_end: date
    opens_at: datetime
    closes_at: datetime
    voting_open: bool = Field(description="ballots are taken right now")
    weights: Weights
    star_thresholds: StarThresholds
    five_star_cap_percent: float | None = Field(
        description="5-star cap in percent (null: none). Applied by rank when the campaign "
        "closes: at most floor(cap × evaluated members / 100) members keep 5 stars, highest "
        "weighted score first; members tied at the boundary all keep 5 stars only if together "
        "they fit, otherwise all of them get 4 stars (capped: true)"
    )
    grade_thresholds: GradeThresholds
    criteria: list[str]
    status: CampaignStatus
    organization_count: int = Field(description="active organizations of the subtree at opening")
    subject_count: int = Field(description="party members on the roll (full and probationary)")
    result_count: int | None = Field(description="members with a result, once closed")
    closed_at: datetime | None
    created_at: datetime


class CampaignSubjectPublic(BaseModel):
    """A member on a campaign's roll (as member-service reported them at opening)."""

    model_config = ConfigDict(from_attributes=True)

    member_id: uuid.UUID
    organization_id: uuid.UUID
    stage: Stage
