"""API models of full-time instructors, their assignments and the staffing report."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from member_service.instructors.models import EmployerKind


class InstructorCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    member_id: uuid.UUID | None = Field(default=None, description="when the instructor is a member")
    subject: str | None = Field(
        default=None, min_length=1, max_length=200, description="the login of their account"
    )
    employer_kind: EmployerKind
    employer_id: uuid.UUID = Field(
        description="district: a district, county or new area; park: a park (org-service ids)"
    )
    hired_on: date


class InstructorLeave(BaseModel):
    model_config = ConfigDict(extra="forbid")

    left_on: date | None = Field(default=None, description="the last day employed; default today")


class InstructorPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    member_id: uuid.UUID | None
    subject: str | None
    employer_kind: EmployerKind
    employer_id: uuid.UUID
    employer_name: str
    region_id: uuid.UUID = Field(description="the district-level region of the employer")
    hired_on: date
    left_on: date | None
    created_at: datetime
    updated_at: datetime


class AssignmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organization_id: uuid.UUID | None = None
    work_target_id: uuid.UUID | None = None
    started_on: date | None = Field(default=None, description="default today")


class AssignmentEnd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ended_on: date | None = Field(default=None, description="the last day; default today")


class AssignmentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    instructor_id: uuid.UUID
    organization_id: uuid.UUID | None
    work_target_id: uuid.UUID | None
    started_on: date
    ended_on: date | None


Category = Literal["district_level", "national_park", "provincial_park"]


class StaffingRow(BaseModel):
    employer_kind: EmployerKind
    employer_id: uuid.UUID
    name: str
    category: Category
    norm: int = Field(description="instructors required (policy instructor_staffing_norms)")
    staffed: int = Field(description="instructors employed on as_of")
    shortfall: int


class StaffingReport(BaseModel):
    as_of: date
    rows: list[StaffingRow]
    norm_total: int
    staffed_total: int
    shortfall_total: int
    employers_short: int
