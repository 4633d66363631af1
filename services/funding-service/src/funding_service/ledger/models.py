"""Tables of the double-entry ledger: accounts, transfers and their immutable entries."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    String,
    text,
)
from sqlmodel import Field, SQLModel


class AccountKind(StrEnum):
    treasury = "treasury"  # the fiscal budget of a level and region: where budgets come from
    budget = "budget"  # one budget (year, level, region, line): its balance is what is left
    organization = "organization"  # a party organization's funds of one budget line
    payee = "payee"  # a person (a secretary) or a supplier paid from the funds
    dues = "dues"  # dues an organization collected
    external = "external"  # money from outside the funds (members paying dues)


class TransferKind(StrEnum):
    budget_allocation = "budget_allocation"  # treasury → budget, when a budget is set
    budget_adjustment = "budget_adjustment"  # treasury ↔ budget, when a budget changes
    appropriation = "appropriation"  # budget → organization account
    disbursement = "disbursement"  # budget or organization → payee
    reallocation = "reallocation"  # organization → organization
    secretary_allowance = "secretary_allowance"  # period run: budget → secretary
    per_member_funds = "per_member_funds"  # period run: budget → organization
    operating_funds = "operating_funds"  # period run: budget → city working committee
    project_award = "project_award"  # budget → organization whose bid won
    dues_payment = "dues_payment"  # external → organization's dues
    reversal = "reversal"  # undoes an earlier transfer, in the opposite direction


# Kinds whose balance may go below zero: they stand for money outside the funds.
UNBOUNDED_KINDS = frozenset({AccountKind.treasury, AccountKind.external})

ACCOUNT_KINDS_SQL = ",".join(f"'{k.value}'" for k in AccountKind)
TRANSFER_KINDS_SQL = ",".join(f"'{k.value}'" for k in TransferKind)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Account(SQLModel, table=True):
    """A place money sits; its balance always equals the sum of its entries."""

    __tablename__ = "account"
    __table_args__ = (
        CheckConstraint(f"kind IN ({ACCOUNT_KINDS_SQL})", name="kind"),
        CheckConstraint("level IS NULL OR level IN ('city','district')", name="level"),
        CheckConstraint("allow_negative OR balance_fen >= 0", name="not_overdrawn"),
        Index(
            "uq_account_treasury",
            "level",
            "region_id",
            unique=True,
            postgresql_where=text("kind = 'treasury'"),
        ),
        Index(
            "uq_account_organization",
            "organization_id",
            "budget_line_id",
            unique=True,
            postgresql_where=text("kind = 'organization'"),
        ),
        Index(
            "uq_account_payee_member",
            "member_id",
            unique=True,
            postgresql_where=text("kind = 'payee' AND member_id IS NOT NULL"),
        ),
        Index(
            "uq_account_dues",
            "organization_id",
            unique=True,
            postgresql_where=text("kind = 'dues'"),
        ),
        Index(
            "uq_account_external", "name", unique=True, postgresql_where=text("kind = 'external'")
        ),
        Index("ix_account_district_id", "district_id"),
        Index("ix_account_kind_name_id", "kind", "name", "id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    kind: str = Field(sa_column=Column(String(20), nullable=False))
    name: str = Field(sa_column=Column(String(200), nullable=False))
    level: str | None = Field(default=None, sa_column=Column(String(10)))
    region_id: uuid.UUID | None = Field(default=None)
    district_id: uuid.UUID | None = Field(default=None)
    organization_id: uuid.UUID | None = Field(default=None)
    member_id: uuid.UUID | None = Field(default=None)
    budget_line_id: uuid.UUID | None = Field(
        default=None, sa_column=Column(ForeignKey("budget_line.id"))
    )
    allow_negative: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    balance_fen: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    created_by: str = Field(sa_column=Column(String(200), nullable=False))


class Transfer(SQLModel, table=True):
    """Money moved from one account (debit) to another (credit); never changed afterwards."""

    __tablename__ = "transfer"
    __table_args__ = (
        CheckConstraint(f"kind IN ({TRANSFER_KINDS_SQL})", name="kind"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("debit_account_id <> credit_account_id", name="two_accounts"),
        CheckConstraint(
            "(kind = 'reversal') = (reverses_transfer_id IS NOT NULL)", name="reversal_link"
        ),
        Index("uq_transfer_reverses_transfer_id", "reverses_transfer_id", unique=True),
        Index("ix_transfer_period_run_id", "period_run_id"),
        Index("ix_transfer_budget_id", "budget_id"),
        Index("ix_transfer_created_at_id", "created_at", "id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    kind: str = Field(sa_column=Column(String(30), nullable=False))
    debit_account_id: uuid.UUID = Field(sa_column=Column(ForeignKey("account.id"), nullable=False))
    credit_account_id: uuid.UUID = Field(sa_column=Column(ForeignKey("account.id"), nullable=False))
    amount_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    value_date: date = Field(sa_column=Column(Date, nullable=False))
    memo: str | None = Field(default=None, sa_column=Column(String(500)))
    reverses_transfer_id: uuid.UUID | None = Field(
        default=None, sa_column=Column(ForeignKey("transfer.id"))
    )
    budget_id: uuid.UUID | None = Field(default=None)
    period_run_id: uuid.UUID | None = Field(default=None)
    organization_id: uuid.UUID | None = Field(default=None)
    member_id: uuid.UUID | None = Field(default=None)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    created_by: str = Field(sa_column=Column(String(200), nullable=False))


class LedgerEntry(SQLModel, table=True):
    """One side of a transfer on one account: −amount on the debit, +amount on the credit.

    `id` numbers entries in the order they were posted; `balance_after_fen` is the
    account's balance once this entry was posted.
    """

    __tablename__ = "ledger_entry"
    __table_args__ = (
        CheckConstraint("amount_fen <> 0", name="amount_not_zero"),
        Index("ix_ledger_entry_account_id_id", "account_id", "id"),
        Index("ix_ledger_entry_transfer_id", "transfer_id"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    transfer_id: uuid.UUID = Field(sa_column=Column(ForeignKey("transfer.id"), nullable=False))
    account_id: uuid.UUID = Field(sa_column=Column(ForeignKey("account.id"), nullable=False))
    counter_account_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("account.id"), nullable=False)
    )
    amount_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    balance_after_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    value_date: date = Field(sa_column=Column(Date, nullable=False))
    posted_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
