"""Tables of development quotas: allocations per district and year, and each admission's draw."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import CheckConstraint, Column, Date, DateTime, ForeignKey, Index, Integer
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class DevelopmentQuota(SQLModel, table=True):
    """How many admissions a district may make in a year; `used` never exceeds `allocated`."""

    __tablename__ = "development_quota"
    __table_args__ = (
        CheckConstraint("allocated >= 0 AND used >= 0 AND used <= allocated", name="within"),
        CheckConstraint("year BETWEEN 1921 AND 9999", name="year"),
        Index("uq_development_quota_region_id_year", "region_id", "year", unique=True),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    region_id: uuid.UUID
    year: int = Field(sa_column=Column(Integer, nullable=False))
    allocated: int = Field(sa_column=Column(Integer, nullable=False))
    used: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    note: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class QuotaDraw(SQLModel, table=True):
    __tablename__ = "quota_draw"
    __table_args__ = (
        Index("uq_quota_draw_member_id", "member_id", unique=True),
        Index("ix_quota_draw_quota_id", "quota_id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    quota_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("development_quota.id"), nullable=False)
    )
    member_id: uuid.UUID = Field(sa_column=Column(ForeignKey("member.id"), nullable=False))
    organization_id: uuid.UUID
    drawn_on: date = Field(sa_column=Column(Date, nullable=False))
    recorded_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
