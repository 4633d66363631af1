"""Tables of period runs: each run, what it paid or skipped, and what a period has paid."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel


class RunKind(StrEnum):
    secretary_allowance = "secretary_allowance"  # monthly: who held a secretary term
    per_member_funds = "per_member_funds"  # yearly: members per organization on a stated day
    operating_funds = "operating_funds"  # yearly: the city working committee's funds


class LineStatus(StrEnum):
    paid = "paid"
    skipped = "skipped"


RUN_KINDS_SQL = ",".join(f"'{k.value}'" for k in RunKind)
NO_MEMBER = uuid.UUID(int=0)  # the member key of payments to organizations


def utcnow() -> datetime:
    return datetime.now(UTC)


class PeriodRun(SQLModel, table=True):
    __tablename__ = "period_run"
    __table_args__ = (
        CheckConstraint(f"kind IN ({RUN_KINDS_SQL})", name="kind"),
        Index("ix_period_run_kind_period_start", "kind", "period_start", "started_at"),
        Index("ix_period_run_started_at_id", "started_at", "id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    kind: str = Field(sa_column=Column(String(30), nullable=False))
    period: str = Field(sa_column=Column(String(7), nullable=False))
    period_start: date = Field(sa_column=Column(Date, nullable=False))
    period_end: date = Field(sa_column=Column(Date, nullable=False))
    value_date: date = Field(sa_column=Column(Date, nullable=False))
    source: str = Field(sa_column=Column(String(20), nullable=False))
    paid_count: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    paid_total_fen: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    skipped_count: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    skipped_by_reason: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONB, nullable=False)
    )
    started_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    started_by: str = Field(sa_column=Column(String(200), nullable=False))


class PeriodLine(SQLModel, table=True):
    """One payee of a run: what was paid to whom and on what basis, or why nothing was."""

    __tablename__ = "period_line"
    __table_args__ = (
        CheckConstraint("status IN ('paid','skipped')", name="status"),
        CheckConstraint("amount_fen >= 0", name="amount"),
        Index("ix_period_line_run_id_id", "run_id", "id"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    run_id: uuid.UUID = Field(sa_column=Column(ForeignKey("period_run.id"), nullable=False))
    status: str = Field(sa_column=Column(String(10), nullable=False))
    reason: str | None = Field(default=None, sa_column=Column(String(50)))
    district_id: uuid.UUID | None = Field(default=None)
    organization_id: uuid.UUID | None = Field(default=None)
    organization_name: str | None = Field(default=None, sa_column=Column(String(200)))
    member_id: uuid.UUID | None = Field(default=None)
    payee_name: str | None = Field(default=None, sa_column=Column(String(200)))
    budget_id: uuid.UUID | None = Field(default=None)
    amount_fen: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    transfer_id: uuid.UUID | None = Field(default=None)
    basis: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))


class PeriodPayment(SQLModel, table=True):
    """What a period has paid to one payee; at most one unreversed payment each."""

    __tablename__ = "period_payment"
    __table_args__ = (
        Index(
            "uq_period_payment_once",
            "kind",
            "period_start",
            "organization_id",
            "member_key",
            unique=True,
            postgresql_where=text("reversed_at IS NULL"),
        ),
        Index("uq_period_payment_transfer_id", "transfer_id", unique=True),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    kind: str = Field(sa_column=Column(String(30), nullable=False))
    period_start: date = Field(sa_column=Column(Date, nullable=False))
    organization_id: uuid.UUID = Field(nullable=False)
    member_key: uuid.UUID = Field(nullable=False)
    run_id: uuid.UUID = Field(sa_column=Column(ForeignKey("period_run.id"), nullable=False))
    transfer_id: uuid.UUID = Field(sa_column=Column(ForeignKey("transfer.id"), nullable=False))
    amount_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    reversed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
