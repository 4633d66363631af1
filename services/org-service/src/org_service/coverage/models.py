"""Tables of coverage work: yearly baselines per region and frozen monthly statistics."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from enum import StrEnum

from sqlalchemy import Column, Date, DateTime, ForeignKey, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class Dimension(StrEnum):
    """What coverage figures are grouped by."""

    region = "region"
    park = "park"
    industry = "industry"
    business_district = "business_district"


class RegionBaseline(SQLModel, table=True):
    """底数: the registered count of a region for a year, with both cross-check counts."""

    __tablename__ = "region_baseline"
    __table_args__ = (UniqueConstraint("region_id", "year", name="uq_region_baseline_region_year"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    region_id: uuid.UUID = Field(sa_column=Column(ForeignKey("region.id"), nullable=False))
    year: int
    registered_count: int
    tax_paying_count: int
    social_insurance_count: int
    recorded_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    recorded_by: str = Field(max_length=200)


class CoverageSnapshot(SQLModel, table=True):
    """月统计: the figures of one group as of the last day of a month, frozen."""

    __tablename__ = "coverage_snapshot"
    __table_args__ = (
        UniqueConstraint(
            "month", "dimension", "key", name="uq_coverage_snapshot_month_dimension_key"
        ),
        Index("ix_coverage_snapshot_month", "month"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    month: date = Field(sa_column=Column(Date, nullable=False))
    dimension: str = Field(sa_column=Column(String(30), nullable=False))
    key: str = Field(sa_column=Column(String(100), nullable=False))
    name: str = Field(max_length=200)
    targets: int
    own: int
    joint: int
    dispatched: int
    work: int
    frozen_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    frozen_by: str = Field(max_length=200)
