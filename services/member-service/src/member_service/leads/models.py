"""Tables of leads: party members a tenant enterprise reported through a sync client.

A reported person is never made a member directly. The report is matched to an existing
member by the keyed hash of the ID number, or kept as a lead that the organization
responsible for the enterprise confirms (the member record is then brought in) or rejects.
A lead is one client's report of one person at one enterprise; a later report of the
same person there updates it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, Date, DateTime, Index, LargeBinary, String
from sqlmodel import Field, SQLModel


class LeadStatus(StrEnum):
    pending = "pending"  # nobody has decided yet
    matched = "matched"  # the ID number is a member's already: nothing to confirm
    confirmed = "confirmed"  # brought in as a member
    rejected = "rejected"


class ReportedStage(StrEnum):
    probationary_member = "probationary_member"
    full_member = "full_member"


def utcnow() -> datetime:
    return datetime.now(UTC)


def sql_in(values: type[StrEnum]) -> str:
    return ",".join(f"'{v.value}'" for v in values)


class MemberLead(SQLModel, table=True):
    __tablename__ = "member_lead"
    __table_args__ = (
        CheckConstraint(f"status IN ({sql_in(LeadStatus)})", name="status"),
        CheckConstraint(f"reported_stage IN ({sql_in(ReportedStage)})", name="reported_stage"),
        CheckConstraint(
            "(status IN ('matched', 'confirmed')) = (member_id IS NOT NULL)", name="member_id"
        ),
        Index(
            "uq_member_lead_client_employer_id_number",
            "client",
            "employer_id",
            "id_number_hash",
            unique=True,
        ),
        Index("ix_member_lead_responsible", "responsible_organization_id", "name", "id"),
        Index("ix_member_lead_id_number_hash", "id_number_hash"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    client: str = Field(sa_column=Column(String(200), nullable=False))
    external_id: str | None = Field(default=None, sa_column=Column(String(100)))
    employer_id: uuid.UUID = Field(description="the reporting tenant: a work target")
    employer_credit_code: str = Field(sa_column=Column(String(18), nullable=False))
    responsible_organization_id: uuid.UUID | None = Field(default=None)
    name: str = Field(max_length=100)
    gender: str = Field(sa_column=Column(String(10), nullable=False))
    birth_date: date = Field(sa_column=Column(Date, nullable=False))
    id_number_key_id: str = Field(max_length=50)
    id_number_nonce: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    id_number_ciphertext: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    id_number_hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    phone: str | None = Field(default=None, max_length=30)
    reported_stage: str = Field(sa_column=Column(String(30), nullable=False))
    joined_on: date | None = Field(default=None, sa_column=Column(Date))
    home_organization: str | None = Field(default=None, max_length=200)
    status: str = Field(sa_column=Column(String(20), nullable=False))
    member_id: uuid.UUID | None = Field(default=None)
    decided_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    decided_by: str | None = Field(default=None, max_length=200)
    decision_note: str | None = Field(default=None, max_length=500)
    reported_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
