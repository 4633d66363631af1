"""The evaluation result table: one row per evaluated member of a closed campaign."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Uuid,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Field, SQLModel


class EvaluationResult(SQLModel, table=True):
    __tablename__ = "evaluation_result"
    __table_args__ = (
        CheckConstraint("stars BETWEEN 1 AND 5 AND score_stars BETWEEN 1 AND 5", name="stars"),
        CheckConstraint("weighted_score BETWEEN 0 AND 100", name="weighted_score"),
        CheckConstraint(
            "grade IS NULL OR grade IN "
            "('excellent','qualified','basically_qualified','unqualified')",
            name="grade",
        ),
        Index("ix_evaluation_result_member", "member_id", "campaign_id"),
        Index("ix_evaluation_result_organization", "campaign_id", "organization_id"),
    )

    campaign_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("campaign.id"), primary_key=True, nullable=False)
    )
    member_id: uuid.UUID = Field(sa_column=Column(Uuid(), primary_key=True, nullable=False))
    organization_id: uuid.UUID = Field(sa_column=Column(Uuid(), nullable=False))
    stage: str = Field(sa_column=Column(String(30), nullable=False))
    owner_score: float | None = Field(default=None, sa_column=Column(Float))
    secretary_score: float | None = Field(default=None, sa_column=Column(Float))
    members_score: float | None = Field(default=None, sa_column=Column(Float))
    masses_score: float | None = Field(default=None, sa_column=Column(Float))
    owner_ballots: int = Field(sa_column=Column(Integer, nullable=False))
    secretary_ballots: int = Field(sa_column=Column(Integer, nullable=False))
    members_ballots: int = Field(sa_column=Column(Integer, nullable=False))
    masses_ballots: int = Field(sa_column=Column(Integer, nullable=False))
    parties_used: list[str] = Field(sa_column=Column(ARRAY(String(20)), nullable=False))
    rescaled: bool = Field(sa_column=Column(Boolean, nullable=False))
    weighted_score: float = Field(sa_column=Column(Float, nullable=False))
    score_stars: int = Field(sa_column=Column(SmallInteger, nullable=False))
    stars: int = Field(sa_column=Column(SmallInteger, nullable=False))
    capped: bool = Field(sa_column=Column(Boolean, nullable=False))
    score_grade: str | None = Field(default=None, sa_column=Column(String(30)))
    grade: str | None = Field(default=None, sa_column=Column(String(30)))
    grade_capped: bool = Field(sa_column=Column(Boolean, nullable=False))
    previous_stars: int | None = Field(default=None, sa_column=Column(SmallInteger))
    finalized_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
