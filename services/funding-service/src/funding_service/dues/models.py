"""Tables of dues: declared incomes, monthly assessments and payments."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
)
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class DuesDeclaration(SQLModel, table=True):
    """A member's monthly after-tax income from a month on (until a later declaration)."""

    __tablename__ = "dues_declaration"
    __table_args__ = (
        CheckConstraint("monthly_income_fen >= 0", name="income"),
        CheckConstraint("extract(day FROM valid_from) = 1", name="month"),
        Index("uq_dues_declaration_member_id_valid_from", "member_id", "valid_from", unique=True),
        Index("ix_dues_declaration_valid_from", "valid_from"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    member_id: uuid.UUID = Field(nullable=False)
    organization_id: uuid.UUID = Field(nullable=False)
    district_id: uuid.UUID | None = Field(default=None)
    valid_from: date = Field(sa_column=Column(Date, nullable=False))
    monthly_income_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    retired: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    declared_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    declared_by: str = Field(sa_column=Column(String(200), nullable=False))


class DuesAssessment(SQLModel, table=True):
    """What a member owes for a month, fixed when assessed; paid_fen grows with payments."""

    __tablename__ = "dues_assessment"
    __table_args__ = (
        CheckConstraint("amount_fen >= 0", name="amount"),
        CheckConstraint("paid_fen BETWEEN 0 AND amount_fen", name="paid"),
        CheckConstraint("extract(day FROM month) = 1", name="month"),
        Index("uq_dues_assessment_member_id_month", "member_id", "month", unique=True),
        Index("ix_dues_assessment_organization_id_month", "organization_id", "month"),
        Index("ix_dues_assessment_month", "month"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    member_id: uuid.UUID = Field(nullable=False)
    organization_id: uuid.UUID = Field(nullable=False)
    district_id: uuid.UUID | None = Field(default=None)
    month: date = Field(sa_column=Column(Date, nullable=False))
    income_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    retired: bool = Field(sa_column=Column(Boolean, nullable=False))
    rate_bp: int = Field(sa_column=Column(Integer, nullable=False))
    amount_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    paid_fen: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    assessed_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class DuesPayment(SQLModel, table=True):
    __tablename__ = "dues_payment"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount"),
        Index("ix_dues_payment_assessment_id", "assessment_id"),
        Index("uq_dues_payment_transfer_id", "transfer_id", unique=True),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    assessment_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("dues_assessment.id"), nullable=False)
    )
    member_id: uuid.UUID = Field(nullable=False)
    month: date = Field(sa_column=Column(Date, nullable=False))
    amount_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    paid_on: date = Field(sa_column=Column(Date, nullable=False))
    transfer_id: uuid.UUID = Field(sa_column=Column(ForeignKey("transfer.id"), nullable=False))
    reversed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    recorded_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    recorded_by: str = Field(sa_column=Column(String(200), nullable=False))
