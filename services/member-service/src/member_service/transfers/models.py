"""Tables of transfers of the membership relation: the letter, the decision, the receipt."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, Date, DateTime, ForeignKey, Index, String, text
from sqlmodel import Field, SQLModel


class TransferStatus(StrEnum):
    pending = "pending"  # the letter is out, the receiving organization has not decided
    accepted = "accepted"
    rejected = "rejected"
    expired = "expired"  # not decided within the letter's validity


def utcnow() -> datetime:
    return datetime.now(UTC)


class Transfer(SQLModel, table=True):
    __tablename__ = "member_transfer"
    __table_args__ = (
        CheckConstraint(
            "status IN (" + ",".join(f"'{s.value}'" for s in TransferStatus) + ")", name="status"
        ),
        CheckConstraint(
            "(to_organization_id IS NULL) <> (destination_name IS NULL)", name="destination"
        ),
        CheckConstraint("expires_on > initiated_on", name="validity"),
        CheckConstraint(
            "receipt_returned_on IS NULL OR status = 'accepted'", name="receipt_after_acceptance"
        ),
        Index(
            "uq_member_transfer_pending",
            "member_id",
            unique=True,
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_member_transfer_member_id", "member_id"),
        Index("ix_member_transfer_from_organization_id", "from_organization_id"),
        Index("ix_member_transfer_to_organization_id", "to_organization_id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    member_id: uuid.UUID = Field(sa_column=Column(ForeignKey("member.id"), nullable=False))
    from_organization_id: uuid.UUID
    # Inside the city's system: an organization id; outside it: the receiving body's name.
    to_organization_id: uuid.UUID | None = Field(default=None)
    destination_name: str | None = Field(default=None, max_length=200)
    status: str = Field(default="pending", sa_column=Column(String(20), nullable=False))
    initiated_on: date = Field(sa_column=Column(Date, nullable=False))
    # The letter is valid before this day (3 months after it was issued).
    expires_on: date = Field(sa_column=Column(Date, nullable=False))
    decided_on: date | None = Field(default=None, sa_column=Column(Date))
    decision_note: str | None = Field(default=None, max_length=500)
    receipt_returned_on: date | None = Field(default=None, sa_column=Column(Date))
    note: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    initiated_by: str = Field(max_length=200)
