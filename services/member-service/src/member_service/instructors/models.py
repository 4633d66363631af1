"""Tables of full-time party-building instructors: who employs them and where they are assigned."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, Date, DateTime, ForeignKey, Index, String, text
from sqlmodel import Field, SQLModel


class EmployerKind(StrEnum):
    district = "district"  # a district-level region (district, county, new area)
    park = "park"


def utcnow() -> datetime:
    return datetime.now(UTC)


class Instructor(SQLModel, table=True):
    __tablename__ = "team_instructor"
    __table_args__ = (
        CheckConstraint("employer_kind IN ('district','park')", name="employer_kind"),
        CheckConstraint("left_on IS NULL OR left_on >= hired_on", name="period"),
        Index("ix_team_instructor_employer_id", "employer_id", "hired_on"),
        Index("ix_team_instructor_region_id", "region_id"),
        Index(
            "uq_team_instructor_subject",
            "subject",
            unique=True,
            postgresql_where=text("subject IS NOT NULL"),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=100)
    member_id: uuid.UUID | None = Field(
        default=None, sa_column=Column(ForeignKey("member.id"), nullable=True)
    )
    # The login of the instructor's account, so that their token finds their assignments.
    subject: str | None = Field(default=None, max_length=200)
    employer_kind: str = Field(sa_column=Column(String(20), nullable=False))
    employer_id: uuid.UUID  # a region (district) or a place (park) of org-service
    employer_name: str = Field(max_length=200)
    region_id: uuid.UUID  # the district-level region the employer lies in, for access
    hired_on: date = Field(sa_column=Column(Date, nullable=False))
    left_on: date | None = Field(default=None, sa_column=Column(Date))  # the last day employed
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class InstructorAssignment(SQLModel, table=True):
    __tablename__ = "team_instructor_assignment"
    __table_args__ = (
        CheckConstraint("(organization_id IS NULL) <> (work_target_id IS NULL)", name="one_unit"),
        CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="period"),
        Index("ix_team_instructor_assignment_instructor_id", "instructor_id", "started_on"),
        Index("ix_team_instructor_assignment_organization_id", "organization_id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    instructor_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("team_instructor.id"), nullable=False)
    )
    organization_id: uuid.UUID | None = Field(default=None)
    work_target_id: uuid.UUID | None = Field(default=None)
    started_on: date = Field(sa_column=Column(Date, nullable=False))
    ended_on: date | None = Field(default=None, sa_column=Column(Date))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
