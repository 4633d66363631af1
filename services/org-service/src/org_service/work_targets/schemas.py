"""API models of work targets, coverage links and instructor assignments."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from org_service.work_targets.models import (
    AssignmentRole,
    CoverageMode,
    CoverageState,
    Industry,
    WorkTargetKind,
)

MAX_COUNT = 10_000_000  # far above any unit; keeps values inside a PostgreSQL integer

# The client's own ids, by system name: {"park_system": "A-1024"}.
ExternalRefs = dict[
    Annotated[str, StringConstraints(min_length=1, max_length=50)],
    Annotated[str, StringConstraints(min_length=1, max_length=100)],
]


class WorkTargetBase(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    kind: WorkTargetKind
    industry: Industry
    region_id: uuid.UUID = Field(description="the finest region known (community, sub-district…)")
    place_id: uuid.UUID | None = Field(
        default=None, description="the park, business district, market or building it is in"
    )
    employee_count: int | None = Field(
        default=None, ge=0, le=MAX_COUNT, description="unknown when null"
    )
    pays_tax: bool = False
    pays_social_insurance: bool = False
    party_member_count: int = Field(default=0, ge=0, le=MAX_COUNT)
    investor_name: str | None = Field(default=None, max_length=100)
    registered_on: date
    deregistered_on: date | None = None
    external_refs: ExternalRefs = Field(
        default_factory=dict,
        max_length=20,
        description="the client's own ids of this target, by system name",
    )


class WorkTargetCreate(WorkTargetBase):
    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID | None = Field(
        default=None, description="optional client-chosen id, for idempotent loading"
    )
    credit_code: str = Field(
        min_length=1,
        max_length=40,
        description="unified social credit code (18 characters; blanks and case are ignored)",
    )


class WorkTargetUpdate(BaseModel):
    """Only the fields given change; `null` clears a field that may be empty."""

    model_config = ConfigDict(extra="forbid")

    credit_code: str | None = Field(default=None, min_length=1, max_length=40)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: WorkTargetKind | None = None
    industry: Industry | None = None
    region_id: uuid.UUID | None = None
    place_id: uuid.UUID | None = None
    employee_count: int | None = Field(default=None, ge=0, le=MAX_COUNT)
    pays_tax: bool | None = None
    pays_social_insurance: bool | None = None
    party_member_count: int | None = Field(default=None, ge=0, le=MAX_COUNT)
    investor_name: str | None = Field(default=None, max_length=100)
    registered_on: date | None = None
    deregistered_on: date | None = Field(
        default=None,
        description="deregistration ends open coverage links and instructor assignments that day",
    )
    external_refs: ExternalRefs | None = Field(default=None, max_length=20)


class CoverageOnDay(BaseModel):
    """A target's coverage on one day."""

    as_of: date
    state: CoverageState
    link_id: uuid.UUID | None = Field(default=None, description="the coverage link in force")
    organization_id: uuid.UUID | None = None
    mode: CoverageMode | None = None


class WorkTargetPublic(WorkTargetBase):
    id: uuid.UUID
    credit_code: str
    coverage: CoverageOnDay
    created_at: datetime
    updated_at: datetime


class CoverageStart(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organization_id: uuid.UUID
    mode: CoverageMode = Field(
        description="own: a single-formation organization of the target; joint: a joint "
        "organization; dispatched: a dispatched functional branch"
    )
    valid_from: date
    replace: bool = Field(
        default=False,
        description="end the target's open link on valid_from and start this one; without "
        "it, an open link is a 409 coverage_link_open",
    )


class CoverageStartItem(CoverageStart):
    work_target_id: uuid.UUID


class CoverageBulkStart(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[CoverageStartItem] = Field(
        min_length=1,
        max_length=1000,
        description="started in this order: an item may replace a link an earlier one started",
    )


class CoverageLinksStarted(BaseModel):
    ids: list[uuid.UUID] = Field(description="the links started, in the order of the items sent")


class PeriodEnd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    valid_to: date = Field(description="the first day it no longer holds (exclusive)")


class CoverageLinkPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    work_target_id: uuid.UUID
    organization_id: uuid.UUID
    mode: CoverageMode
    valid_from: date
    valid_to: date | None
    created_at: datetime


class InstructorAssignmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: AssignmentRole
    person_name: str = Field(min_length=1, max_length=100)
    subject: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="the instructor's login: with it they may read what is assigned to them",
    )
    member_id: uuid.UUID | None = Field(default=None, description="the person's member record")
    work_target_id: uuid.UUID | None = Field(default=None, description="exactly one of the two")
    organization_id: uuid.UUID | None = Field(default=None, description="exactly one of the two")
    valid_from: date


class InstructorAssignmentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    role: AssignmentRole
    person_name: str
    subject: str | None
    member_id: uuid.UUID | None
    work_target_id: uuid.UUID | None
    organization_id: uuid.UUID | None
    valid_from: date
    valid_to: date | None
    created_at: datetime
