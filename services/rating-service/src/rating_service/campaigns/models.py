"""Tables of campaigns, their organizations, their roll of members and their secretaries."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Uuid,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class CampaignStatus(StrEnum):
    open = "open"  # the roll is loaded; ballots are taken inside the voting window
    closed = "closed"  # results computed and published; nothing changes any more


def uuid_array() -> Any:
    return Column(ARRAY(Uuid()), nullable=False)


class Campaign(SQLModel, table=True):
    """A four-party evaluation of the members of an organization subtree for a period."""

    __tablename__ = "campaign"
    __table_args__ = (
        CheckConstraint("status IN ('open','closed')", name="status"),
        CheckConstraint("period_end >= period_start", name="period"),
        CheckConstraint("closes_at > opens_at", name="window"),
        CheckConstraint(
            "weight_owner BETWEEN 0 AND 100 AND weight_secretary BETWEEN 0 AND 100 "
            "AND weight_members BETWEEN 0 AND 100 AND weight_masses BETWEEN 0 AND 100 "
            "AND weight_owner + weight_secretary + weight_members + weight_masses = 100",
            name="weights",
        ),
        CheckConstraint(
            "five_stars_min > four_stars_min AND four_stars_min > three_stars_min "
            "AND three_stars_min > two_stars_min AND two_stars_min > 0 AND five_stars_min <= 100",
            name="star_thresholds",
        ),
        CheckConstraint(
            "excellent_min > qualified_min AND qualified_min > basically_qualified_min "
            "AND basically_qualified_min > 0 AND excellent_min <= 100",
            name="grade_thresholds",
        ),
        CheckConstraint(
            "five_star_cap_percent IS NULL OR (five_star_cap_percent > 0 "
            "AND five_star_cap_percent <= 100)",
            name="five_star_cap",
        ),
        Index("ix_campaign_organization_chain", "organization_chain", postgresql_using="gin"),
        Index("ix_campaign_region_chain", "region_chain", postgresql_using="gin"),
        Index("ix_campaign_created_at_id", "created_at", "id"),
        Index("ix_campaign_root", "organization_id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=200)
    organization_id: uuid.UUID = Field(sa_column=Column(Uuid(), nullable=False))
    organization_chain: list[uuid.UUID] = Field(sa_column=uuid_array())
    region_id: uuid.UUID = Field(sa_column=Column(Uuid(), nullable=False))
    region_chain: list[uuid.UUID] = Field(sa_column=uuid_array())
    period_start: date = Field(sa_column=Column(Date, nullable=False))
    period_end: date = Field(sa_column=Column(Date, nullable=False))
    opens_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    closes_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    weight_owner: int = Field(sa_column=Column(SmallInteger, nullable=False))
    weight_secretary: int = Field(sa_column=Column(SmallInteger, nullable=False))
    weight_members: int = Field(sa_column=Column(SmallInteger, nullable=False))
    weight_masses: int = Field(sa_column=Column(SmallInteger, nullable=False))
    five_stars_min: float = Field(sa_column=Column(Float, nullable=False))
    four_stars_min: float = Field(sa_column=Column(Float, nullable=False))
    three_stars_min: float = Field(sa_column=Column(Float, nullable=False))
    two_stars_min: float = Field(sa_column=Column(Float, nullable=False))
    five_star_cap_percent: float | None = Field(default=None, sa_column=Column(Float))
    excellent_min: float = Field(sa_column=Column(Float, nullable=False))
    qualified_min: float = Field(sa_column=Column(Float, nullable=False))
    basically_qualified_min: float = Field(sa_column=Column(Float, nullable=False))
    criteria: list[str] = Field(sa_column=Column(JSONB, nullable=False))
    status: str = Field(sa_column=Column(String(20), nullable=False))
    organization_count: int = Field(sa_column=Column(Integer, nullable=False))
    subject_count: int = Field(sa_column=Column(Integer, nullable=False))
    closed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    closed_by: str | None = Field(default=None, max_length=200)
    result_count: int | None = Field(default=None, sa_column=Column(Integer))
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )

    def weights(self) -> dict[str, int]:
        return {
            "owner": self.weight_owner,
            "secretary": self.weight_secretary,
            "members": self.weight_members,
            "masses": self.weight_masses,
        }


class CampaignOrganization(SQLModel, table=True):
    """An active organization of the campaign's subtree when the campaign was opened."""

    __tablename__ = "campaign_organization"
    __table_args__ = (
        Index(
            "ix_campaign_organization_organization_chain",
            "organization_chain",
            postgresql_using="gin",
        ),
        Index("ix_campaign_organization_region_chain", "region_chain", postgresql_using="gin"),
    )

    campaign_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("campaign.id"), primary_key=True, nullable=False)
    )
    organization_id: uuid.UUID = Field(sa_column=Column(Uuid(), primary_key=True, nullable=False))
    name: str = Field(max_length=200)
    organization_chain: list[uuid.UUID] = Field(sa_column=uuid_array())
    region_id: uuid.UUID = Field(sa_column=Column(Uuid(), nullable=False))
    region_chain: list[uuid.UUID] = Field(sa_column=uuid_array())


class CampaignSubject(SQLModel, table=True):
    """A member the campaign evaluates, as member-service reported them at opening."""

    __tablename__ = "campaign_subject"
    __table_args__ = (
        CheckConstraint("stage IN ('full_member','probationary_member')", name="stage"),
        Index("ix_campaign_subject_organization", "campaign_id", "organization_id", "member_id"),
        Index("ix_campaign_subject_employer", "campaign_id", "employer_id"),
    )

    campaign_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("campaign.id"), primary_key=True, nullable=False)
    )
    member_id: uuid.UUID = Field(sa_column=Column(Uuid(), primary_key=True, nullable=False))
    organization_id: uuid.UUID = Field(sa_column=Column(Uuid(), nullable=False))
    stage: str = Field(sa_column=Column(String(30), nullable=False))
    employer_id: uuid.UUID | None = Field(default=None, sa_column=Column(Uuid()))


class CampaignSecretary(SQLModel, table=True):
    """A secretary of an organization of the campaign whose term overlaps its period."""

    __tablename__ = "campaign_secretary"
    __table_args__ = (Index("ix_campaign_secretary_member", "campaign_id", "member_id"),)

    campaign_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("campaign.id"), primary_key=True, nullable=False)
    )
    organization_id: uuid.UUID = Field(sa_column=Column(Uuid(), primary_key=True, nullable=False))
    member_id: uuid.UUID = Field(sa_column=Column(Uuid(), primary_key=True, nullable=False))
