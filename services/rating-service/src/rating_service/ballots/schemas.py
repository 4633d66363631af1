"""API models of ballots."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field

from rating_service.parties import Party, Stage


class BallotCast(BaseModel):
    model_config = ConfigDict(extra="forbid")

    member_id: uuid.UUID = Field(description="the member evaluated")
    party: Party = Field(
        description="the party the evaluator votes in; they must belong to it for this member"
    )
    scores: dict[str, int] = Field(
        description="one score from 0 to 100 for each of the campaign's criteria"
    )


MAX_SHEET = 100


class BallotSheet(BaseModel):
    """Ballots one evaluator casts at once (a form with all the colleagues to evaluate)."""

    model_config = ConfigDict(extra="forbid")

    ballots: list[BallotCast] = Field(min_length=1, max_length=MAX_SHEET)


class BallotPublic(BaseModel):
    """A ballot as its own evaluator sees it (nobody else ever sees who cast it)."""

    campaign_id: uuid.UUID
    member_id: uuid.UUID
    party: Party
    scores: dict[str, int]
    score: float = Field(description="the mean of the criterion scores, to two decimals")


class BallotSheetPublic(BaseModel):
    items: list[BallotPublic]


class EvaluableMember(BaseModel):
    """A member the caller may evaluate, in which parties, and whether they have done so."""

    member_id: uuid.UUID
    organization_id: uuid.UUID
    stage: Stage
    parties: list[Party]
    ballot_cast: bool
