"""Tables of the member projection: who was a member where, and who held a secretary term.

Kept from member-service's events (member.stage.changed, member.transferred,
member.secretary_term.changed) so that period runs can also work from them.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import CheckConstraint, Column, Date, DateTime, Index, String, text
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class MemberPeriod(SQLModel, table=True):
    """A member's stage and home organization from valid_from (inclusive) to valid_to
    (exclusive, NULL while it lasts)."""

    __tablename__ = "member_period"
    __table_args__ = (
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="valid_range"),
        Index("ix_member_period_member_id_valid_from", "member_id", "valid_from"),
        Index("ix_member_period_organization_id_valid_from", "organization_id", "valid_from"),
        Index(
            "uq_member_period_open",
            "member_id",
            unique=True,
            postgresql_where=text("valid_to IS NULL"),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    member_id: uuid.UUID = Field(nullable=False)
    organization_id: uuid.UUID = Field(nullable=False)
    stage: str = Field(sa_column=Column(String(30), nullable=False))
    valid_from: date = Field(sa_column=Column(Date, nullable=False))
    valid_to: date | None = Field(default=None, sa_column=Column(Date))


class SecretaryTermRecord(SQLModel, table=True):
    """A secretary term as member-service announced it; term_end is the last day held."""

    __tablename__ = "secretary_term"
    __table_args__ = (
        CheckConstraint("term_end IS NULL OR term_end >= term_start", name="term_range"),
        Index(
            "uq_secretary_term_member_organization_start",
            "member_id",
            "organization_id",
            "term_start",
            unique=True,
        ),
        Index("ix_secretary_term_term_start", "term_start"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    member_id: uuid.UUID = Field(nullable=False)
    organization_id: uuid.UUID = Field(nullable=False)
    name: str = Field(sa_column=Column(String(200), nullable=False))
    term_start: date = Field(sa_column=Column(Date, nullable=False))
    term_end: date | None = Field(default=None, sa_column=Column(Date))
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
