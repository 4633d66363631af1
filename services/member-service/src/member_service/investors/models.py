"""Tables of enterprise investors (出资人) and the training they receive."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import CheckConstraint, Column, Date, DateTime, ForeignKey, Index, Integer
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class Investor(SQLModel, table=True):
    __tablename__ = "team_investor"
    __table_args__ = (
        Index("ix_team_investor_work_target_id", "work_target_id"),
        Index("ix_team_investor_region_id", "region_id", "name", "id"),
        Index("ix_team_investor_organization_id", "organization_id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=100)
    work_target_id: uuid.UUID  # the enterprise they own or invest in
    region_id: uuid.UUID  # the enterprise's region, for access
    # The party organization in the enterprise, when it has one.
    organization_id: uuid.UUID | None = Field(default=None)
    member_id: uuid.UUID | None = Field(
        default=None, sa_column=Column(ForeignKey("member.id"), nullable=True)
    )
    phone: str | None = Field(default=None, max_length=30)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class InvestorTraining(SQLModel, table=True):
    __tablename__ = "team_investor_training"
    __table_args__ = (
        CheckConstraint("class_hours >= 0", name="class_hours"),
        Index("ix_team_investor_training_investor_id", "investor_id", "held_on"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    investor_id: uuid.UUID = Field(sa_column=Column(ForeignKey("team_investor.id"), nullable=False))
    held_on: date = Field(sa_column=Column(Date, nullable=False))
    provider: str = Field(max_length=200)
    topic: str = Field(max_length=200)
    class_hours: int = Field(sa_column=Column(Integer, nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
