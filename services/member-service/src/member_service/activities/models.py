"""Tables of activities (regular meetings, themed party days) and who attended them."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, Date, DateTime, ForeignKey, Index, String
from sqlmodel import Field, SQLModel


class ActivityKind(StrEnum):
    member_meeting = "member_meeting"  # 党员大会, quarterly
    committee_meeting = "committee_meeting"  # 支委会, monthly
    group_meeting = "group_meeting"  # 党小组会, monthly
    party_lesson = "party_lesson"  # 党课, quarterly
    themed_party_day = "themed_party_day"  # 主题党日, monthly


# How often each kind is due (三会一课 and the themed party day): months per period.
RHYTHM_MONTHS: dict[ActivityKind, int] = {
    ActivityKind.member_meeting: 3,
    ActivityKind.committee_meeting: 1,
    ActivityKind.group_meeting: 1,
    ActivityKind.party_lesson: 3,
    ActivityKind.themed_party_day: 1,
}


class AttendanceStatus(StrEnum):
    present = "present"
    absent = "absent"
    excused = "excused"  # absent with leave


def utcnow() -> datetime:
    return datetime.now(UTC)


class Activity(SQLModel, table=True):
    __tablename__ = "activity"
    __table_args__ = (
        CheckConstraint(
            "kind IN (" + ",".join(f"'{k.value}'" for k in ActivityKind) + ")", name="kind"
        ),
        Index("ix_activity_organization_id_held_on", "organization_id", "held_on", "id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organization_id: uuid.UUID
    kind: str = Field(sa_column=Column(String(30), nullable=False))
    title: str = Field(max_length=200)
    held_on: date = Field(sa_column=Column(Date, nullable=False))
    venue: str | None = Field(default=None, max_length=200)
    note: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    recorded_by: str = Field(max_length=200)


class Attendance(SQLModel, table=True):
    __tablename__ = "activity_attendance"
    __table_args__ = (
        CheckConstraint(
            "status IN (" + ",".join(f"'{s.value}'" for s in AttendanceStatus) + ")",
            name="status",
        ),
        Index(
            "uq_activity_attendance_activity_id_member_id", "activity_id", "member_id", unique=True
        ),
        Index("ix_activity_attendance_member_id", "member_id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    activity_id: uuid.UUID = Field(sa_column=Column(ForeignKey("activity.id"), nullable=False))
    member_id: uuid.UUID = Field(sa_column=Column(ForeignKey("member.id"), nullable=False))
    status: str = Field(sa_column=Column(String(20), nullable=False))
    archive_entry_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("archive_entry.id"), nullable=False)
    )
    recorded_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
