"""API models of members: the record, stage changes, trainings, counts and history."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from member_service.members.models import Education, Gender, Origin, Stage, TrainingKind

Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9][0-9 -]{4,28}$")]
PipelineStage = Literal[
    Stage.applicant,
    Stage.activist,
    Stage.development_target,
    Stage.probationary_member,
    Stage.full_member,
]


class MemberBase(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    ethnicity: str | None = Field(default=None, min_length=1, max_length=50)
    education: Education | None = None
    phone: Phone | None = None
    employer_id: uuid.UUID | None = Field(default=None, description="a work target of org-service")


class MemberCreate(MemberBase):
    """A new applicant; or, with `stage` beyond applicant, an existing record brought in.

    Bringing in a record (origin imported) needs member:admin and the day of every stage
    it reached; the timing rules hold for those days, and no quota is drawn (the admission
    happened before this system).
    """

    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID | None = Field(
        default=None, description="optional client-chosen id, for idempotent loading"
    )
    id_number: str = Field(
        min_length=1, max_length=40, description="resident ID card number (18 characters)"
    )
    gender: Gender | None = Field(default=None, description="checked against the ID number")
    birth_date: date | None = Field(default=None, description="checked against the ID number")
    organization_id: uuid.UUID = Field(description="membership relation: the home organization")
    serving_organization_id: uuid.UUID | None = Field(
        default=None, description="where the member serves, if not the home organization"
    )
    applied_on: date | None = Field(default=None, description="defaults to today")
    stage: PipelineStage = Stage.applicant
    activist_on: date | None = None
    development_target_on: date | None = None
    admitted_on: date | None = Field(default=None, description="the branch meeting's vote")
    full_member_on: date | None = None


class MemberUpdate(BaseModel):
    """Only the fields given change; `null` clears a field that may be empty."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    ethnicity: str | None = Field(default=None, min_length=1, max_length=50)
    education: Education | None = None
    phone: Phone | None = None
    employer_id: uuid.UUID | None = None
    id_number: str | None = Field(
        default=None,
        min_length=1,
        max_length=40,
        description="a mistyped ID number corrected (needs member:pii); birth date and gender "
        "follow it",
    )


class MemberPublic(MemberBase):
    id: uuid.UUID
    gender: Gender
    birth_date: date
    age: int = Field(description="full years today")
    id_number: str = Field(description="masked unless the caller holds member:pii")
    id_number_masked: bool
    stage: Stage
    applied_on: date
    activist_on: date | None
    development_target_on: date | None
    admitted_on: date | None = Field(description="probation began: the branch meeting's vote")
    probation_ends_on: date | None = Field(description="first day as a possible full member")
    probation_extended_months: int | None
    full_member_on: date | None
    party_standing_since: date | None = Field(description="party standing counts from this day")
    ended_on: date | None = Field(description="transferred out, left or deceased on")
    end_reason: str | None
    organization_id: uuid.UUID = Field(description="membership relation: the home organization")
    serving_organization_id: uuid.UUID
    dispatched: bool = Field(description="serving elsewhere than the home organization")
    origin: Origin
    created_at: datetime
    updated_at: datetime


class BulkCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[MemberCreate] = Field(min_length=1, max_length=500)


class BulkCreated(BaseModel):
    ids: list[uuid.UUID] = Field(description="in the order of the items sent")


class IdNumberLookup(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id_number: str = Field(min_length=1, max_length=40)


class BranchMeeting(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entitled_voters: int = Field(ge=1, le=10_000, description="full members entitled to vote")
    present_voters: int = Field(ge=0, le=10_000)
    votes_for: int = Field(ge=0, le=10_000)


class StageChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to_stage: Stage
    effective_on: date | None = Field(
        default=None, description="the day of the step (admission: the vote); default today"
    )
    introducer_ids: list[uuid.UUID] | None = Field(
        default=None, max_length=10, description="admission: two full members"
    )
    public_notice_started_on: date | None = Field(default=None, description="admission")
    branch_meeting: BranchMeeting | None = Field(default=None, description="admission")
    reason: str | None = Field(default=None, max_length=500)


class ProbationExtension(BaseModel):
    model_config = ConfigDict(extra="forbid")

    months: int = Field(ge=1, le=60, description="6 to 12")
    decided_on: date | None = Field(default=None, description="default today")
    reason: str | None = Field(default=None, max_length=500)


class ServingOrganizationChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    serving_organization_id: uuid.UUID = Field(
        description="the organization served from now on (the home one: back from dispatch)"
    )
    effective_on: date | None = None


class TrainingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: TrainingKind
    title: str = Field(min_length=1, max_length=200)
    provider: str | None = Field(default=None, max_length=200)
    started_on: date
    ended_on: date
    days: int | None = Field(default=None, ge=1, le=366, description="default: calendar days")
    class_hours: int = Field(default=0, ge=0, le=10_000)


class TrainingPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    member_id: uuid.UUID
    kind: TrainingKind
    title: str
    provider: str | None
    started_on: date
    ended_on: date
    days: int
    class_hours: int
    archive_entry_id: uuid.UUID
    recorded_at: datetime
    recorded_by: str


class MemberCount(BaseModel):
    organization_id: uuid.UUID
    full_members: int
    probationary_members: int


class MemberCounts(BaseModel):
    items: list[MemberCount]


class VersionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    valid_from: date
    valid_to: date | None = Field(description="exclusive; null: still in force")
    stage: Stage
    organization_id: uuid.UUID
    serving_organization_id: uuid.UUID


class HistoryPublic(BaseModel):
    member_id: uuid.UUID
    versions: list[VersionPublic] = Field(description="oldest first")


class RulePublic(BaseModel):
    id: str
    description: str


class ReEncrypted(BaseModel):
    re_encrypted: int
    remaining: int = Field(description="numbers still under another key than the current one")
    current_key: str


class OrganizationMembers(BaseModel):
    organization_id: uuid.UUID
    items: list[MemberPublic]
    cursors: list[str]
    next_cursor: str | None = Field(
        description="more members: continue with GET /members?organization_id=…&after=…"
    )


class OrganizationMembersList(BaseModel):
    items: list[OrganizationMembers] = Field(description="one per organization asked for")
