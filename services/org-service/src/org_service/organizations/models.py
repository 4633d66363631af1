"""Tables of party organizations: the territorial tree and the industry line."""

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
    ForeignKey,
    Index,
    Integer,
    String,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel


class OrganizationKind(StrEnum):
    working_committee = "working_committee"
    party_committee = "party_committee"
    general_branch = "general_branch"
    branch = "branch"


class OrganizationSubkind(StrEnum):
    # working_committee levels
    city = "city"
    district = "district"
    # party_committee subkinds
    park = "park"
    comprehensive = "comprehensive"
    industry = "industry"
    enterprise = "enterprise"


class Formation(StrEnum):
    single = "single"
    joint = "joint"
    dispatched = "dispatched"


class JointMode(StrEnum):
    area = "area"  # 片区联建
    industry = "industry"  # 同业共建
    leading_enterprise = "leading_enterprise"  # 龙头带建


class OrganizationStatus(StrEnum):
    active = "active"
    dissolved = "dissolved"
    merged = "merged"  # ended by merging into another organization (merged_into_id)


class ChangeKind(StrEnum):
    """What happened to an organization, as its readable history tells it."""

    founded = "founded"
    renamed = "renamed"
    upgraded = "upgraded"  # kind or subkind changed, e.g. branch → general_branch
    moved = "moved"  # territorial parent changed (also: re-parented by a merger)
    merged = "merged"  # this organization merged into another one and ended
    absorbed = "absorbed"  # another organization merged into this one
    dissolved = "dissolved"


# The grassroots kinds in rising order; an upgrade goes up this ladder (or changes subkind).
UPGRADE_LADDER: tuple[OrganizationKind, ...] = (
    OrganizationKind.branch,
    OrganizationKind.general_branch,
    OrganizationKind.party_committee,
)


SUBKINDS: dict[OrganizationKind, set[OrganizationSubkind]] = {
    OrganizationKind.working_committee: {OrganizationSubkind.city, OrganizationSubkind.district},
    OrganizationKind.party_committee: {
        OrganizationSubkind.park,
        OrganizationSubkind.comprehensive,
        OrganizationSubkind.industry,
        OrganizationSubkind.enterprise,
    },
    OrganizationKind.general_branch: set(),
    OrganizationKind.branch: set(),
}

# Which kind of organization may be the territorial parent of which (None: a root).
PARENT_KINDS: dict[OrganizationKind, set[OrganizationKind | None]] = {
    OrganizationKind.working_committee: {None, OrganizationKind.working_committee},
    OrganizationKind.party_committee: {
        OrganizationKind.working_committee,
        OrganizationKind.party_committee,
    },
    OrganizationKind.general_branch: {
        OrganizationKind.working_committee,
        OrganizationKind.party_committee,
    },
    OrganizationKind.branch: {
        OrganizationKind.working_committee,
        OrganizationKind.party_committee,
        OrganizationKind.general_branch,
    },
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def _sql_in(values: type[StrEnum]) -> str:
    return ",".join(f"'{v.value}'" for v in values)


class Organization(SQLModel, table=True):
    __tablename__ = "organization"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('working_committee','party_committee','general_branch','branch')",
            name="kind",
        ),
        CheckConstraint("formation IN ('single','joint','dispatched')", name="formation"),
        CheckConstraint(
            "(formation = 'joint') = (joint_mode IS NOT NULL)", name="joint_mode_with_joint"
        ),
        CheckConstraint(f"status IN ({_sql_in(OrganizationStatus)})", name="status"),
        CheckConstraint("(status = 'active') = (dissolved_on IS NULL)", name="dissolved_on"),
        CheckConstraint("(status = 'merged') = (merged_into_id IS NOT NULL)", name="merged_into"),
        CheckConstraint(
            "full_members >= 0 AND probationary_members >= 0 AND dispatched_members >= 0 "
            "AND committee_size >= 1",
            name="member_counts",
        ),
        Index("ix_organization_region_id", "region_id"),
        Index("ix_organization_industry_committee_id", "industry_committee_id"),
        Index("ix_organization_parent_id", "parent_id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=200)
    kind: str = Field(sa_column=Column(String(30), nullable=False))
    subkind: str | None = Field(default=None, sa_column=Column(String(30)))
    formation: str = Field(sa_column=Column(String(20), nullable=False))
    joint_mode: str | None = Field(default=None, sa_column=Column(String(30)))
    parent_id: uuid.UUID | None = Field(
        default=None, sa_column=Column(ForeignKey("organization.id"), nullable=True)
    )
    industry_committee_id: uuid.UUID | None = Field(
        default=None, sa_column=Column(ForeignKey("organization.id"), nullable=True)
    )
    region_id: uuid.UUID = Field(sa_column=Column(ForeignKey("region.id"), nullable=False))
    path: str = Field(sa_column=Column(String(400, collation="C"), nullable=False, unique=True))
    status: str = Field(default="active", sa_column=Column(String(20), nullable=False))
    founded_on: date = Field(sa_column=Column(Date, nullable=False))
    # The day the organization ended, by dissolution or by merging into merged_into_id.
    dissolved_on: date | None = Field(default=None, sa_column=Column(Date))
    merged_into_id: uuid.UUID | None = Field(
        default=None, sa_column=Column(ForeignKey("organization.id"), nullable=True)
    )
    # The latest member counts (dated rows in organization_member_count); None: never reported.
    full_members: int | None = Field(default=None, sa_column=Column(Integer))
    probationary_members: int | None = Field(default=None, sa_column=Column(Integer))
    dispatched_members: int | None = Field(default=None, sa_column=Column(Integer))
    committee_size: int | None = Field(default=None, sa_column=Column(Integer))
    member_counts_as_of: date | None = Field(default=None, sa_column=Column(Date))
    # A functional branch serves one work target (no foreign key: work_target is created
    # by a later migration; the founding rule checks that the target exists).
    serves_work_target_id: uuid.UUID | None = Field(default=None)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class OrganizationVersion(SQLModel, table=True):
    """The organization's state over [valid_from, valid_to): one open row (valid_to NULL) each.

    Written in the same transaction as every change to the current row, so that the
    open version always equals the current row's structure.
    """

    __tablename__ = "organization_version"
    __table_args__ = (
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="valid_range"),
        CheckConstraint(f"status IN ({_sql_in(OrganizationStatus)})", name="status"),
        Index(
            "uq_organization_version_organization_id_valid_from",
            "organization_id",
            "valid_from",
            unique=True,
        ),
        Index(
            "uq_organization_version_open",
            "organization_id",
            unique=True,
            postgresql_where=text("valid_to IS NULL"),
        ),
        Index("ix_organization_version_path", "path"),
        Index("ix_organization_version_parent_id", "parent_id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organization_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("organization.id"), nullable=False)
    )
    valid_from: date = Field(sa_column=Column(Date, nullable=False))
    valid_to: date | None = Field(default=None, sa_column=Column(Date))
    name: str = Field(max_length=200)
    kind: str = Field(sa_column=Column(String(30), nullable=False))
    subkind: str | None = Field(default=None, sa_column=Column(String(30)))
    formation: str = Field(sa_column=Column(String(20), nullable=False))
    joint_mode: str | None = Field(default=None, sa_column=Column(String(30)))
    parent_id: uuid.UUID | None = Field(
        default=None, sa_column=Column(ForeignKey("organization.id"), nullable=True)
    )
    industry_committee_id: uuid.UUID | None = Field(
        default=None, sa_column=Column(ForeignKey("organization.id"), nullable=True)
    )
    region_id: uuid.UUID = Field(sa_column=Column(ForeignKey("region.id"), nullable=False))
    path: str = Field(sa_column=Column(String(400, collation="C"), nullable=False))
    status: str = Field(sa_column=Column(String(20), nullable=False))


# The columns a version copies from the current row.
VERSIONED_FIELDS: tuple[str, ...] = (
    "name",
    "kind",
    "subkind",
    "formation",
    "joint_mode",
    "parent_id",
    "industry_committee_id",
    "region_id",
    "path",
    "status",
)


class OrganizationChange(SQLModel, table=True):
    """The readable history: one row per thing that happened, dated when it took effect."""

    __tablename__ = "organization_change"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_sql_in(ChangeKind)})", name="kind"),
        Index(
            "ix_organization_change_organization_id_effective_on",
            "organization_id",
            "effective_on",
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organization_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("organization.id"), nullable=False)
    )
    kind: str = Field(sa_column=Column(String(20), nullable=False))
    effective_on: date = Field(sa_column=Column(Date, nullable=False))
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    recorded_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    recorded_by: str = Field(max_length=200)


class OrganizationMemberCount(SQLModel, table=True):
    """Member counts reported for a day; several reports of one day: the latest recorded wins."""

    __tablename__ = "organization_member_count"
    __table_args__ = (
        CheckConstraint(
            "full_members >= 0 AND probationary_members >= 0 AND dispatched_members >= 0 "
            "AND committee_size >= 1",
            name="counts",
        ),
        Index(
            "ix_organization_member_count_organization_id_as_of",
            "organization_id",
            "as_of",
            "recorded_at",
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organization_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("organization.id"), nullable=False)
    )
    as_of: date = Field(sa_column=Column(Date, nullable=False))
    full_members: int = Field(sa_column=Column(Integer, nullable=False))
    probationary_members: int = Field(sa_column=Column(Integer, nullable=False))
    dispatched_members: int | None = Field(default=None, sa_column=Column(Integer))
    committee_size: int | None = Field(default=None, sa_column=Column(Integer))
    recorded_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    recorded_by: str = Field(max_length=200)
