"""The star level table: each level a member or organization held, and for how long."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Index,
    SmallInteger,
    String,
    Uuid,
)
from sqlmodel import Field, SQLModel

from rating_service.campaigns.models import uuid_array


def utcnow() -> datetime:
    return datetime.now(UTC)


class SubjectKind(StrEnum):
    organization = "organization"
    member = "member"


class LevelSource(StrEnum):
    evaluation = "evaluation"  # a member's stars from a closed four-party evaluation
    organization_rating = "organization_rating"  # an organization's star rating


class StarLevel(SQLModel, table=True):
    """A level held from valid_from until valid_until (exclusive; null: until replaced).

    Levels of one subject never overlap: a new level ends the one it replaces on the day
    it starts. The level in force on a day is the one whose range holds it.
    """

    __tablename__ = "star_level_history"
    __table_args__ = (
        CheckConstraint("subject_kind IN ('organization','member')", name="subject_kind"),
        CheckConstraint("stars BETWEEN 1 AND 5", name="stars"),
        CheckConstraint("source IN ('evaluation','organization_rating')", name="source"),
        CheckConstraint("valid_until IS NULL OR valid_until >= valid_from", name="valid_range"),
        Index("ix_star_level_history_subject", "subject_kind", "subject_id", "valid_from"),
        Index(
            "ix_star_level_history_organization_chain", "organization_chain", postgresql_using="gin"
        ),
        Index("ix_star_level_history_region_chain", "region_chain", postgresql_using="gin"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    subject_kind: str = Field(sa_column=Column(String(20), nullable=False))
    subject_id: uuid.UUID = Field(sa_column=Column(Uuid(), nullable=False))
    stars: int = Field(sa_column=Column(SmallInteger, nullable=False))
    showcase: bool = Field(sa_column=Column(Boolean, nullable=False))
    valid_from: date = Field(sa_column=Column(Date, nullable=False))
    valid_until: date | None = Field(default=None, sa_column=Column(Date))
    source: str = Field(sa_column=Column(String(30), nullable=False))
    source_id: uuid.UUID = Field(sa_column=Column(Uuid(), nullable=False))
    organization_id: uuid.UUID = Field(
        sa_column=Column(Uuid(), nullable=False),
        description="the organization itself, or the member's organization in the campaign",
    )
    organization_chain: list[uuid.UUID] = Field(sa_column=uuid_array())
    region_chain: list[uuid.UUID] = Field(sa_column=uuid_array())
    recorded_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
