"""API models of reported members: the record a sync client pushes, leads and their decisions."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from member_service.leads.models import LeadStatus, ReportedStage
from member_service.members.models import Education, Gender
from member_service.members.schemas import Phone

ExternalId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class MemberReport(BaseModel):
    """A party member a tenant enterprise reports, as the client's system holds them."""

    model_config = ConfigDict(extra="forbid")

    external_id: ExternalId | None = Field(
        default=None, description="the client's own id of the person, kept with the report"
    )
    employer_credit_code: str = Field(
        min_length=1,
        max_length=40,
        description="credit code of the enterprise reporting them: a unit in the client's places",
    )
    name: str = Field(min_length=1, max_length=100)
    id_number: str = Field(
        min_length=1, max_length=40, description="resident ID card number (18 characters)"
    )
    phone: Phone | None = None
    stage: ReportedStage = Field(
        default=ReportedStage.full_member, description="what the enterprise reports them as"
    )
    joined_on: date | None = Field(
        default=None, description="admission day (the branch meeting's vote), if known"
    )
    home_organization: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="where their membership relation is held, as the enterprise knows it",
    )


class SyncMemberReport(BaseModel):
    """A report as its client may read it back (the decision on it is not the client's)."""

    id: uuid.UUID
    external_id: str | None
    employer_credit_code: str
    name: str
    id_number: str = Field(description="masked")
    stage: ReportedStage
    joined_on: date | None
    home_organization: str | None
    reported_at: datetime


class LeadPublic(BaseModel):
    """A reported party member, as the responsible organization sees it."""

    id: uuid.UUID
    status: LeadStatus
    name: str
    gender: Gender
    birth_date: date
    id_number: str = Field(description="masked unless the caller holds member:pii")
    id_number_masked: bool
    phone: str | None
    reported_stage: ReportedStage
    joined_on: date | None
    home_organization: str | None
    employer_id: uuid.UUID = Field(description="the reporting enterprise (a work target)")
    employer_credit_code: str
    responsible_organization_id: uuid.UUID | None = Field(
        description="who confirms or rejects: the organization covering the enterprise, else "
        "the working committee of its district"
    )
    member_id: uuid.UUID | None = Field(description="the member matched, or brought in")
    client: str = Field(description="the sync client that reported it")
    reported_at: datetime
    decided_at: datetime | None
    decided_by: str | None
    decision_note: str | None
    created_at: datetime
    updated_at: datetime


class LeadConfirm(BaseModel):
    """The member record to bring in: the lead gives name, ID number, phone and employer; the
    organization gives the membership relation and the day of each stage reached."""

    model_config = ConfigDict(extra="forbid")

    organization_id: uuid.UUID = Field(description="membership relation: the home organization")
    serving_organization_id: uuid.UUID | None = None
    stage: ReportedStage | None = Field(default=None, description="default: the reported stage")
    applied_on: date
    activist_on: date
    development_target_on: date
    admitted_on: date | None = Field(default=None, description="default: the reported joined_on")
    full_member_on: date | None = Field(default=None, description="for a full member")
    ethnicity: str | None = Field(default=None, min_length=1, max_length=50)
    education: Education | None = None
    note: str | None = Field(default=None, max_length=500)


class LeadReject(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500, description="why: kept with the lead")
