"""Tables of budget lines (data, not code) and budgets per fiscal year, level, region and line."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, Column, DateTime, ForeignKey, Index, String
from sqlalchemy import Integer as SAInteger
from sqlmodel import Field, SQLModel


class BudgetLevel(StrEnum):
    city = "city"
    district = "district"


# The four lines of "three funds and one allowance" (三项经费、一项津贴); seeded by the
# migration with these ids, and new lines are rows added through the API.
SEEDED_LINES = {
    "operating_funds": uuid.UUID("7f3c1b2a-0a51-4c57-9a55-000000000001"),
    "per_member_funds": uuid.UUID("7f3c1b2a-0a51-4c57-9a55-000000000002"),
    "venue_funds": uuid.UUID("7f3c1b2a-0a51-4c57-9a55-000000000003"),
    "secretary_allowance": uuid.UUID("7f3c1b2a-0a51-4c57-9a55-000000000004"),
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class BudgetLine(SQLModel, table=True):
    __tablename__ = "budget_line"
    __table_args__ = (
        CheckConstraint("code ~ '^[a-z][a-z0-9_]*$'", name="code"),
        Index("uq_budget_line_code", "code", unique=True),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    code: str = Field(sa_column=Column(String(50), nullable=False))
    name: str = Field(sa_column=Column(String(100), nullable=False))
    description: str | None = Field(default=None, sa_column=Column(String(500)))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    created_by: str = Field(sa_column=Column(String(200), nullable=False))


class Budget(SQLModel, table=True):
    """What a level and region may spend on a line in a fiscal year.

    `amount_fen` is what was budgeted (allocations and adjustments from the treasury);
    the budget's account holds what is left, so execution = amount − balance.
    """

    __tablename__ = "budget"
    __table_args__ = (
        CheckConstraint("level IN ('city','district')", name="level"),
        CheckConstraint("fiscal_year BETWEEN 2000 AND 2100", name="fiscal_year"),
        CheckConstraint("amount_fen >= 0", name="amount"),
        Index(
            "uq_budget_year_level_region_line",
            "fiscal_year",
            "level",
            "region_id",
            "budget_line_id",
            unique=True,
        ),
        Index("uq_budget_account_id", "account_id", unique=True),
        Index("ix_budget_region_id_fiscal_year", "region_id", "fiscal_year"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    fiscal_year: int = Field(sa_column=Column(SAInteger, nullable=False))
    level: str = Field(sa_column=Column(String(10), nullable=False))
    region_id: uuid.UUID = Field(nullable=False)
    region_name: str = Field(sa_column=Column(String(100), nullable=False))
    district_id: uuid.UUID | None = Field(default=None)
    budget_line_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("budget_line.id"), nullable=False)
    )
    account_id: uuid.UUID = Field(sa_column=Column(ForeignKey("account.id"), nullable=False))
    amount_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    created_by: str = Field(sa_column=Column(String(200), nullable=False))
