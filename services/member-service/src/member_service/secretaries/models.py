"""Table of secretary terms: who held an organization's secretary role, from when to when."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import CheckConstraint, Column, Date, DateTime, ForeignKey, Index, text
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class SecretaryTerm(SQLModel, table=True):
    """term_end is the last day in office (NULL while the term runs)."""

    __tablename__ = "team_secretary_term"
    __table_args__ = (
        CheckConstraint("term_end IS NULL OR term_end >= term_start", name="period"),
        # At most one running term per organization; closed terms are kept apart by the
        # service, which checks them under a lock on the organization.
        Index(
            "uq_team_secretary_term_open",
            "organization_id",
            unique=True,
            postgresql_where=text("term_end IS NULL"),
        ),
        Index("ix_team_secretary_term_organization_id_term_start", "organization_id", "term_start"),
        Index("ix_team_secretary_term_term_start", "term_start", "id"),
        Index("ix_team_secretary_term_member_id", "member_id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    member_id: uuid.UUID = Field(sa_column=Column(ForeignKey("member.id"), nullable=False))
    organization_id: uuid.UUID
    name: str = Field(max_length=100)
    term_start: date = Field(sa_column=Column(Date, nullable=False))
    term_end: date | None = Field(default=None, sa_column=Column(Date))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
