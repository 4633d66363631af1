"""API models of accounts, transfers and entries (amounts in integer fen)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from funding_service.ledger.models import AccountKind, TransferKind
from funding_service.money import Fen

Memo = Field(default=None, max_length=500, description="why, for the auditors")


class OpenableKind(StrEnum):
    """Accounts opened by hand; budget, treasury and dues accounts open with what uses them."""

    organization = "organization"
    payee = "payee"


class ManualKind(StrEnum):
    """Transfers made by hand; the others come from budgets, period runs, projects and dues."""

    appropriation = "appropriation"  # budget → organization account of the same line
    disbursement = "disbursement"  # budget or organization → payee
    reallocation = "reallocation"  # organization → organization, same line


class AccountCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: OpenableKind
    organization_id: uuid.UUID | None = Field(
        default=None, description="organization: required; payee: the payee's organization"
    )
    budget_line: str | None = Field(
        default=None, max_length=50, description="organization: the line its funds belong to"
    )
    member_id: uuid.UUID | None = Field(default=None, description="payee: the member paid")
    name: str | None = Field(
        default=None, min_length=1, max_length=200, description="payee: required"
    )


class AccountPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: AccountKind
    name: str
    level: str | None
    region_id: uuid.UUID | None
    district_id: uuid.UUID | None
    organization_id: uuid.UUID | None
    member_id: uuid.UUID | None
    budget_line: str | None = Field(description="the budget line's code")
    allow_negative: bool = Field(
        description="treasury and external accounts stand for money "
        "outside the funds and may go below zero"
    )
    balance_fen: int = Field(description="equals the sum of the account's entries")
    created_at: datetime


class TransferCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ManualKind
    debit_account_id: uuid.UUID = Field(description="the account the money leaves")
    credit_account_id: uuid.UUID = Field(description="the account the money goes to")
    amount_fen: Fen
    value_date: date | None = Field(
        default=None, description="the day it counts for (default today; never later)"
    )
    memo: str | None = Memo


class ReversalCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    memo: str | None = Memo
    value_date: date | None = Field(default=None, description="default today; never later")


class TransferPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: TransferKind
    debit_account_id: uuid.UUID
    credit_account_id: uuid.UUID
    amount_fen: int
    value_date: date
    memo: str | None
    reverses_transfer_id: uuid.UUID | None
    budget_id: uuid.UUID | None
    period_run_id: uuid.UUID | None
    organization_id: uuid.UUID | None
    member_id: uuid.UUID | None
    created_at: datetime
    created_by: str


class EntryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int = Field(description="posting order")
    transfer_id: uuid.UUID
    kind: TransferKind
    account_id: uuid.UUID
    counter_account_id: uuid.UUID
    amount_fen: int = Field(description="positive: money in; negative: money out")
    balance_after_fen: int
    value_date: date
    posted_at: datetime
