"""Tables of members: the record, its history of stages and organizations, admissions, trainings."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    text,
)
from sqlmodel import Field, SQLModel


class Stage(StrEnum):
    applicant = "applicant"
    activist = "activist"
    development_target = "development_target"
    probationary_member = "probationary_member"
    full_member = "full_member"
    transferred_out = "transferred_out"
    left = "left"
    deceased = "deceased"


# The development pipeline, in order; a step moves exactly one place along it.
PIPELINE: tuple[Stage, ...] = (
    Stage.applicant,
    Stage.activist,
    Stage.development_target,
    Stage.probationary_member,
    Stage.full_member,
)
ENDED = frozenset({Stage.transferred_out, Stage.left, Stage.deceased})
PARTY_MEMBERS = frozenset({Stage.probationary_member, Stage.full_member})

# The member's column holding the day each pipeline stage was reached.
STAGE_DATE_FIELDS: dict[Stage, str] = {
    Stage.applicant: "applied_on",
    Stage.activist: "activist_on",
    Stage.development_target: "development_target_on",
    Stage.probationary_member: "admitted_on",
    Stage.full_member: "full_member_on",
}


class Gender(StrEnum):
    male = "male"
    female = "female"


class Education(StrEnum):
    primary = "primary"
    junior_secondary = "junior_secondary"
    senior_secondary = "senior_secondary"
    vocational = "vocational"
    associate = "associate"
    bachelor = "bachelor"
    master = "master"
    doctorate = "doctorate"


class Origin(StrEnum):
    registered = "registered"  # entered the pipeline here, as an applicant
    imported = "imported"  # an existing record brought in at the stage it had reached


class TrainingKind(StrEnum):
    intensive = "intensive"  # the training before admission (集中培训)
    regular = "regular"


def utcnow() -> datetime:
    return datetime.now(UTC)


def sql_in(values: type[StrEnum]) -> str:
    return ",".join(f"'{v.value}'" for v in values)


class Member(SQLModel, table=True):
    __tablename__ = "member"
    __table_args__ = (
        CheckConstraint(f"stage IN ({sql_in(Stage)})", name="stage"),
        CheckConstraint(f"gender IN ({sql_in(Gender)})", name="gender"),
        CheckConstraint(f"origin IN ({sql_in(Origin)})", name="origin"),
        CheckConstraint(
            "probation_extended_months IS NULL OR probation_extended_months BETWEEN 6 AND 12",
            name="probation_extension",
        ),
        Index("uq_member_id_number_hash", "id_number_hash", unique=True),
        Index("ix_member_organization_id_name", "organization_id", "name", "id"),
        Index("ix_member_serving_organization_id", "serving_organization_id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=100)
    gender: str = Field(sa_column=Column(String(10), nullable=False))
    ethnicity: str | None = Field(default=None, max_length=50)
    birth_date: date = Field(sa_column=Column(Date, nullable=False))
    id_number_key_id: str = Field(max_length=50)
    id_number_nonce: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    id_number_ciphertext: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    id_number_hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    education: str | None = Field(default=None, sa_column=Column(String(30)))
    phone: str | None = Field(default=None, max_length=30)
    employer_id: uuid.UUID | None = Field(default=None)
    stage: str = Field(sa_column=Column(String(30), nullable=False))
    applied_on: date = Field(sa_column=Column(Date, nullable=False))
    activist_on: date | None = Field(default=None, sa_column=Column(Date))
    development_target_on: date | None = Field(default=None, sa_column=Column(Date))
    admitted_on: date | None = Field(default=None, sa_column=Column(Date))
    probation_ends_on: date | None = Field(default=None, sa_column=Column(Date))
    probation_extended_months: int | None = Field(default=None, sa_column=Column(Integer))
    full_member_on: date | None = Field(default=None, sa_column=Column(Date))
    ended_on: date | None = Field(default=None, sa_column=Column(Date))
    end_reason: str | None = Field(default=None, max_length=500)
    organization_id: uuid.UUID = Field(description="membership relation: the home organization")
    serving_organization_id: uuid.UUID
    origin: str = Field(default=Origin.registered, sa_column=Column(String(20), nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class MemberVersion(SQLModel, table=True):
    """The member's stage and organizations over [valid_from, valid_to); one open row each."""

    __tablename__ = "member_version"
    __table_args__ = (
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="valid_range"),
        CheckConstraint(f"stage IN ({sql_in(Stage)})", name="stage"),
        Index("uq_member_version_member_id_valid_from", "member_id", "valid_from", unique=True),
        Index(
            "uq_member_version_open",
            "member_id",
            unique=True,
            postgresql_where=text("valid_to IS NULL"),
        ),
        Index("ix_member_version_organization_id_valid_from", "organization_id", "valid_from"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    member_id: uuid.UUID = Field(sa_column=Column(ForeignKey("member.id"), nullable=False))
    valid_from: date = Field(sa_column=Column(Date, nullable=False))
    valid_to: date | None = Field(default=None, sa_column=Column(Date))
    stage: str = Field(sa_column=Column(String(30), nullable=False))
    organization_id: uuid.UUID
    serving_organization_id: uuid.UUID


class Admission(SQLModel, table=True):
    """How a development target was admitted: the branch meeting, the notice, the introducers."""

    __tablename__ = "admission"
    __table_args__ = (
        CheckConstraint(
            "present_voters BETWEEN 0 AND entitled_voters AND votes_for BETWEEN 0 AND "
            "present_voters",
            name="votes",
        ),
        CheckConstraint("introducer_1_id <> introducer_2_id", name="two_introducers"),
    )

    member_id: uuid.UUID = Field(sa_column=Column(ForeignKey("member.id"), primary_key=True))
    voted_on: date = Field(sa_column=Column(Date, nullable=False))
    public_notice_started_on: date = Field(sa_column=Column(Date, nullable=False))
    entitled_voters: int = Field(sa_column=Column(Integer, nullable=False))
    present_voters: int = Field(sa_column=Column(Integer, nullable=False))
    votes_for: int = Field(sa_column=Column(Integer, nullable=False))
    introducer_1_id: uuid.UUID = Field(sa_column=Column(ForeignKey("member.id"), nullable=False))
    introducer_2_id: uuid.UUID = Field(sa_column=Column(ForeignKey("member.id"), nullable=False))
    quota_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("development_quota.id"), nullable=False)
    )
    recorded_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    recorded_by: str = Field(max_length=200)


class MemberTraining(SQLModel, table=True):
    __tablename__ = "member_training"
    __table_args__ = (
        CheckConstraint("ended_on >= started_on", name="period"),
        CheckConstraint("days >= 1 AND class_hours >= 0", name="length"),
        CheckConstraint(f"kind IN ({sql_in(TrainingKind)})", name="kind"),
        Index("ix_member_training_member_id_ended_on", "member_id", "ended_on"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    member_id: uuid.UUID = Field(sa_column=Column(ForeignKey("member.id"), nullable=False))
    kind: str = Field(sa_column=Column(String(20), nullable=False))
    title: str = Field(max_length=200)
    provider: str | None = Field(default=None, max_length=200)
    started_on: date = Field(sa_column=Column(Date, nullable=False))
    ended_on: date = Field(sa_column=Column(Date, nullable=False))
    days: int = Field(sa_column=Column(Integer, nullable=False))
    class_hours: int = Field(sa_column=Column(Integer, nullable=False))
    archive_entry_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("archive_entry.id"), nullable=False)
    )
    recorded_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    recorded_by: str = Field(max_length=200)
