"""API models of organizations."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from org_service.organizations.models import (
    ChangeKind,
    Formation,
    JointMode,
    OrganizationKind,
    OrganizationStatus,
    OrganizationSubkind,
)
from org_service.organizations.rules import Moment, Severity

EffectiveOn = Annotated[
    date | None,
    Field(
        description="the day the change took effect (default today; never later than today, "
        "never before the latest change of an organization it touches)"
    ),
]
Note = Annotated[str | None, Field(max_length=500, description="why, for the readable history")]


class OrganizationBase(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    kind: OrganizationKind
    subkind: OrganizationSubkind | None = Field(
        default=None,
        description="working_committee: city or district; party_committee: park, "
        "comprehensive, industry or enterprise",
    )
    formation: Formation = Formation.single
    joint_mode: JointMode | None = Field(default=None, description="only with formation joint")
    parent_id: uuid.UUID | None = Field(default=None, description="territorial parent")
    industry_committee_id: uuid.UUID | None = Field(
        default=None, description="industry line: an industry party committee (条块结合)"
    )
    region_id: uuid.UUID


class MemberCountsBase(BaseModel):
    full_members: int | None = Field(default=None, ge=0, le=1_000_000)
    probationary_members: int | None = Field(default=None, ge=0, le=1_000_000)
    dispatched_members: int | None = Field(
        default=None, ge=0, le=100, description="functional branch only: members sent in"
    )
    committee_size: int | None = Field(
        default=None, ge=1, le=100, description="members of the organization's committee"
    )


class OrganizationCreate(OrganizationBase, MemberCountsBase):
    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID | None = Field(
        default=None, description="optional client-chosen id, for idempotent loading"
    )
    founded_on: date | None = Field(default=None, description="defaults to today")
    serves_work_target_id: uuid.UUID | None = Field(
        default=None, description="functional branch only: the work target it is sent to"
    )


class OrganizationPublic(OrganizationBase, MemberCountsBase):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    is_functional_branch: bool = Field(description="a branch formed by dispatch (功能型党支部)")
    status: OrganizationStatus
    founded_on: date
    dissolved_on: date | None = Field(
        default=None, description="the day it ended (dissolved, or merged into another)"
    )
    merged_into_id: uuid.UUID | None = None
    member_counts_as_of: date | None = Field(
        default=None, description="the day of the member counts shown"
    )
    serves_work_target_id: uuid.UUID | None = None
    depth: int
    created_at: datetime
    updated_at: datetime


class RuleWarning(BaseModel):
    rule: str = Field(description="a rule id of GET /organization-rules")
    message: str


class OrganizationWritten(OrganizationPublic):
    """The organization after a write, with the size rules it breaks where they only warn."""

    warnings: list[RuleWarning] = Field(default_factory=list)


class ChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    effective_on: EffectiveOn = None
    note: Note = None


class RenameIn(ChangeIn):
    name: str = Field(min_length=1, max_length=200)


class UpgradeIn(ChangeIn):
    kind: OrganizationKind = Field(description="general_branch or party_committee")
    subkind: OrganizationSubkind | None = Field(default=None, description="party_committee: one")


class MoveIn(ChangeIn):
    parent_id: uuid.UUID = Field(description="the new territorial parent")
    region_id: uuid.UUID | None = Field(default=None, description="the new region, if it changes")


class MergeIn(ChangeIn):
    into_id: uuid.UUID = Field(description="the organization this one merges into")


class DissolveIn(ChangeIn):
    pass


class MemberCountsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    full_members: int = Field(ge=0, le=1_000_000)
    probationary_members: int = Field(default=0, ge=0, le=1_000_000)
    dispatched_members: int | None = Field(
        default=None, ge=0, le=100, description="functional branch only"
    )
    committee_size: int | None = Field(
        default=None, ge=1, le=100, description="members of the committee; omitted: none"
    )
    as_of: date | None = Field(default=None, description="the day counted (default today)")


class MemberCountsPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    as_of: date
    full_members: int
    probationary_members: int
    dispatched_members: int | None
    committee_size: int | None
    recorded_at: datetime
    recorded_by: str


class ChangePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    organization_id: uuid.UUID
    kind: ChangeKind
    effective_on: date
    details: dict[str, Any]
    recorded_at: datetime
    recorded_by: str


class VersionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    valid_from: date
    valid_to: date | None = Field(description="exclusive; null: still in force")
    name: str
    kind: OrganizationKind
    subkind: OrganizationSubkind | None
    formation: Formation
    joint_mode: JointMode | None
    parent_id: uuid.UUID | None
    industry_committee_id: uuid.UUID | None
    region_id: uuid.UUID
    status: OrganizationStatus


class HistoryPublic(BaseModel):
    organization_id: uuid.UUID
    changes: list[ChangePublic] = Field(description="what happened, oldest first")
    versions: list[VersionPublic] = Field(description="the state over time, oldest first")
    member_counts: list[MemberCountsPublic] = Field(description="reported counts, oldest first")


class RulePublic(BaseModel):
    id: str
    description: str
    severity: Severity = Field(
        description="refuse: 422 with this id as the error code, nothing written; "
        "warn: the write succeeds and the response lists it under warnings"
    )
    checked_on: list[Moment] = Field(description="the writes that check it")


class OrganizationBulkCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[OrganizationCreate] = Field(
        min_length=1,
        max_length=500,
        description="founded in this order: an item may name an earlier one as its parent",
    )


class OrganizationsCreated(BaseModel):
    ids: list[uuid.UUID] = Field(description="in the order of the items sent")
