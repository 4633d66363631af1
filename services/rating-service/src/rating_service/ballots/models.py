"""The ballot table: scores for one member, with a keyed hash in place of the evaluator."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel


class Ballot(SQLModel, table=True):
    """One evaluator's scores for one member in one campaign.

    No evaluator id, account or time is stored: `evaluator_hash` (see
    evaluators.eligibility.evaluator_hash) is enough for the one-ballot rule and for the
    evaluator to list their own ballots, and cannot be turned back into a person.
    """

    __tablename__ = "ballot"
    __table_args__ = (
        CheckConstraint("party IN ('owner','secretary','members','masses')", name="party"),
        CheckConstraint("total >= 0", name="total"),
        Index(
            "uq_ballot_one_per_evaluator",
            "campaign_id",
            "member_id",
            "evaluator_hash",
            unique=True,
        ),
        Index("ix_ballot_evaluator", "campaign_id", "evaluator_hash", "member_id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    campaign_id: uuid.UUID = Field(sa_column=Column(ForeignKey("campaign.id"), nullable=False))
    member_id: uuid.UUID = Field(sa_column=Column(Uuid(), nullable=False))
    party: str = Field(sa_column=Column(String(20), nullable=False))
    evaluator_hash: str = Field(sa_column=Column(String(64), nullable=False))
    scores: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    total: int = Field(
        sa_column=Column(Integer, nullable=False),
        description="the sum of the criterion scores; the ballot's score is total / criteria",
    )
