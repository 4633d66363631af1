"""API models of evaluation results and of closing a campaign."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field

from rating_service.campaigns.schemas import CampaignPublic
from rating_service.parties import Grade, Party, Stage


class PartyScore(BaseModel):
    party: Party
    weight: int = Field(description="the campaign's weight for the party, in percent")
    ballots: int
    score: float | None = Field(
        description="the mean of the party's ballots (null: no ballots, or withheld from the "
        "member evaluated while fewer than 3 ballots could point at who cast them)"
    )
    used: bool = Field(description="the party entered the weighted score")


class EvaluationResultPublic(BaseModel):
    campaign_id: uuid.UUID
    member_id: uuid.UUID
    organization_id: uuid.UUID
    stage: Stage
    period_start: date
    period_end: date
    weighted_score: float = Field(
        description="Σ weight × party score over the parties used ÷ Σ their weights, "
        "to two decimals"
    )
    parties_used: list[Party]
    rescaled: bool = Field(
        description="a weighted party cast no ballot: the others' weights were rescaled to 100%"
    )
    score_stars: int = Field(description="stars by the thresholds alone")
    stars: int = Field(description="stars after the 5-star cap")
    capped: bool = Field(description="5 stars by score, 4 stars by the cap")
    grade: Grade | None = Field(description="democratic evaluation grade; probationary: null")
    grade_capped: bool = Field(description="excellent by score, qualified by the one-third rule")
    party_scores: list[PartyScore]
    finalized_at: datetime


class CloseSummary(BaseModel):
    campaign: CampaignPublic
    evaluated: int = Field(description="members with a result (and an event)")
    not_evaluated: int = Field(description="members on the roll no weighted party evaluated")
    rescaled: int
    five_stars: int
    capped: int = Field(description="members held to 4 stars by the 5-star cap")
    excellent: int
    grade_capped: int = Field(description="members held to qualified by the one-third rule")
