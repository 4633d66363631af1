"""Tables of work targets and of their coverage: organization links and instructor assignments."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel


class WorkTargetKind(StrEnum):
    enterprise = "enterprise"
    social_organization = "social_organization"


class Industry(StrEnum):
    """Industry codes; the first nine match the industry committees (行业党委) of the city."""

    law = "law"
    accounting = "accounting"
    private_school = "private_school"
    private_hospital = "private_hospital"
    internet = "internet"
    logistics = "logistics"
    retail = "retail"
    construction = "construction"
    property_services = "property_services"
    other = "other"


class CoverageMode(StrEnum):
    """How a target is organizationally covered (DOMAIN.md "Work targets and coverage")."""

    own = "own"  # a party organization of its own (single formation)
    joint = "joint"  # belongs to a joint organization
    dispatched = "dispatched"  # served by a dispatched functional branch


class AssignmentRole(StrEnum):
    instructor = "instructor"  # 专职党建指导员
    liaison = "liaison"  # 联络员


class CoverageState(StrEnum):
    """A target's coverage on a day."""

    organizational = "organizational"
    work = "work"
    uncovered = "uncovered"
    not_registered = "not_registered"  # not yet registered, or deregistered, on that day


def utcnow() -> datetime:
    return datetime.now(UTC)


def _sql_in(values: type[StrEnum]) -> str:
    return ",".join(f"'{v.value}'" for v in values)


class WorkTarget(SQLModel, table=True):
    __tablename__ = "work_target"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_sql_in(WorkTargetKind)})", name="kind"),
        CheckConstraint(f"industry IN ({_sql_in(Industry)})", name="industry"),
        CheckConstraint("employee_count >= 0", name="employee_count"),
        CheckConstraint("party_member_count >= 0", name="party_member_count"),
        CheckConstraint(
            "deregistered_on IS NULL OR deregistered_on >= registered_on", name="deregistered_on"
        ),
        Index("ix_work_target_region_id", "region_id"),
        Index("ix_work_target_place_id", "place_id"),
        Index("ix_work_target_name_id", "name", "id"),
        Index(
            "ix_work_target_external_refs",
            "external_refs",
            postgresql_using="gin",
            postgresql_ops={"external_refs": "jsonb_path_ops"},
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    credit_code: str = Field(sa_column=Column(String(18), nullable=False, unique=True))
    name: str = Field(max_length=200)
    kind: str = Field(sa_column=Column(String(30), nullable=False))
    industry: str = Field(sa_column=Column(String(30), nullable=False))
    region_id: uuid.UUID = Field(sa_column=Column(ForeignKey("region.id"), nullable=False))
    place_id: uuid.UUID | None = Field(
        default=None, sa_column=Column(ForeignKey("place.id"), nullable=True)
    )
    employee_count: int | None = Field(default=None, sa_column=Column(Integer))
    pays_tax: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    pays_social_insurance: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    party_member_count: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default=text("0"))
    )
    investor_name: str | None = Field(default=None, max_length=100)
    registered_on: date = Field(sa_column=Column(Date, nullable=False))
    deregistered_on: date | None = Field(default=None, sa_column=Column(Date))
    external_refs: dict[str, Any] = Field(
        default_factory=dict,
        sa_column=Column(JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    )
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class WorkTargetCoverage(SQLModel, table=True):
    """A target covered by an organization from valid_from (inclusive) to valid_to (exclusive)."""

    __tablename__ = "work_target_coverage"
    __table_args__ = (
        CheckConstraint(f"mode IN ({_sql_in(CoverageMode)})", name="mode"),
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="valid_range"),
        Index("ix_work_target_coverage_work_target_id", "work_target_id", "valid_from"),
        Index("ix_work_target_coverage_organization_id", "organization_id"),
        # At most one open link per target; overlaps with ended links are refused by the
        # service, which holds the target's row lock while it checks.
        Index(
            "uq_work_target_coverage_open",
            "work_target_id",
            unique=True,
            postgresql_where=text("valid_to IS NULL"),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    work_target_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("work_target.id"), nullable=False)
    )
    organization_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("organization.id"), nullable=False)
    )
    mode: str = Field(sa_column=Column(String(20), nullable=False))
    valid_from: date = Field(sa_column=Column(Date, nullable=False))
    valid_to: date | None = Field(default=None, sa_column=Column(Date))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class InstructorAssignment(SQLModel, table=True):
    """An instructor or liaison assigned to one work target or one organization for a period."""

    __tablename__ = "instructor_assignment"
    __table_args__ = (
        CheckConstraint(f"role IN ({_sql_in(AssignmentRole)})", name="role"),
        CheckConstraint("(work_target_id IS NULL) <> (organization_id IS NULL)", name="one_unit"),
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="valid_range"),
        Index("ix_instructor_assignment_work_target_id", "work_target_id"),
        Index("ix_instructor_assignment_organization_id", "organization_id"),
        Index("ix_instructor_assignment_subject", "subject"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    role: str = Field(sa_column=Column(String(20), nullable=False))
    person_name: str = Field(max_length=100)
    subject: str | None = Field(default=None, max_length=200)
    member_id: uuid.UUID | None = Field(default=None)
    work_target_id: uuid.UUID | None = Field(
        default=None, sa_column=Column(ForeignKey("work_target.id"), nullable=True)
    )
    organization_id: uuid.UUID | None = Field(
        default=None, sa_column=Column(ForeignKey("organization.id"), nullable=True)
    )
    valid_from: date = Field(sa_column=Column(Date, nullable=False))
    valid_to: date | None = Field(default=None, sa_column=Column(Date))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
