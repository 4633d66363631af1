"""Tables of responsibility assignments (三级包保) and the front-line work days logged on them."""

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
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel


class ResponsibilityLevel(StrEnum):
    county = "county"  # county / district / bureau leader
    township = "township"  # township / sub-district cadre
    village = "village"  # village / community cadre


def utcnow() -> datetime:
    return datetime.now(UTC)


class ResponsibilityAssignment(SQLModel, table=True):
    """A leader taking responsibility for one organization or one work target for a period."""

    __tablename__ = "responsibility_assignment"
    __table_args__ = (
        CheckConstraint("level IN ('county','township','village')", name="level"),
        CheckConstraint("(work_target_id IS NULL) <> (organization_id IS NULL)", name="one_unit"),
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="valid_range"),
        Index("ix_responsibility_assignment_organization_id", "organization_id"),
        Index("ix_responsibility_assignment_work_target_id", "work_target_id"),
        Index("ix_responsibility_assignment_person_name", "person_name"),
        Index("ix_responsibility_assignment_subject", "subject"),
        # One open first secretary per unit; overlaps with ended ones are checked by the service.
        Index(
            "uq_responsibility_assignment_open_first_secretary",
            text("coalesce(organization_id, work_target_id)"),
            unique=True,
            postgresql_where=text("first_secretary AND valid_to IS NULL"),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    person_name: str = Field(max_length=100)
    subject: str | None = Field(default=None, max_length=200)
    level: str = Field(sa_column=Column(String(20), nullable=False))
    position: str = Field(max_length=100)
    organization_id: uuid.UUID | None = Field(
        default=None, sa_column=Column(ForeignKey("organization.id"), nullable=True)
    )
    work_target_id: uuid.UUID | None = Field(
        default=None, sa_column=Column(ForeignKey("work_target.id"), nullable=True)
    )
    first_secretary: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    valid_from: date = Field(sa_column=Column(Date, nullable=False))
    valid_to: date | None = Field(default=None, sa_column=Column(Date))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class FrontlineWorkday(SQLModel, table=True):
    """One front-line work day of an assignment: the checklist items done and a note."""

    __tablename__ = "frontline_workday"
    __table_args__ = (
        UniqueConstraint("assignment_id", "day", name="uq_frontline_workday_assignment_id_day"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    assignment_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("responsibility_assignment.id"), nullable=False)
    )
    day: date = Field(sa_column=Column(Date, nullable=False))
    items: list[str] = Field(sa_column=Column(JSONB, nullable=False))
    note: str | None = Field(default=None, max_length=1000)
    recorded_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    recorded_by: str = Field(max_length=200)
