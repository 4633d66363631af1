"""API models of activities, attendance and the activity rhythm."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from member_service.activities.models import ActivityKind, AttendanceStatus


class ActivityCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organization_id: uuid.UUID
    kind: ActivityKind
    title: str = Field(min_length=1, max_length=200)
    held_on: date
    venue: str | None = Field(default=None, max_length=200)
    note: str | None = Field(default=None, max_length=1000)


class ActivityPublic(BaseModel):
    id: uuid.UUID
    organization_id: uuid.UUID
    kind: ActivityKind
    title: str
    held_on: date
    venue: str | None
    note: str | None
    present: int
    absent: int
    excused: int
    created_at: datetime
    recorded_by: str


class AttendanceRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    member_id: uuid.UUID
    status: AttendanceStatus


class AttendanceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    records: list[AttendanceRecord] = Field(min_length=1, max_length=500)


class AttendancePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    member_id: uuid.UUID
    status: AttendanceStatus
    archive_entry_id: uuid.UUID
    recorded_at: datetime


class RhythmPeriod(BaseModel):
    starts_on: date
    ends_on: date = Field(description="last day of the period")
    held: int


class RhythmKind(BaseModel):
    kind: ActivityKind
    every_months: int = Field(description="1: monthly, 3: quarterly")
    periods: list[RhythmPeriod] = Field(description="the year's periods that have begun")
    missed: int = Field(description="periods that ended without one held")


class RhythmPublic(BaseModel):
    organization_id: uuid.UUID
    year: int
    kinds: list[RhythmKind]
