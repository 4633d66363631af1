"""Tables of party organizations: the territorial tree and the industry line."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, Date, DateTime, ForeignKey, Index, String
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
        CheckConstraint("status IN ('active','dissolved')", name="status"),
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
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
