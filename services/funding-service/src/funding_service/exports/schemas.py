"""API models of the finance-bureau export (JSON pages; CSV and XLSX carry the same columns)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from funding_service.budgets.models import BudgetLevel
from funding_service.ledger.models import AccountKind, TransferKind


class ExportFormat(StrEnum):
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


class LedgerLine(BaseModel):
    """One entry on a budget's account: money into the budget (+) or spent from it (−)."""

    entry_id: int
    posted_at: datetime
    value_date: date
    fiscal_year: int
    level: BudgetLevel
    region_id: uuid.UUID
    region_name: str
    budget_line: str
    budget_line_name: str
    budget_id: uuid.UUID
    transfer_id: uuid.UUID
    kind: TransferKind
    counter_account_id: uuid.UUID
    counter_account_name: str
    counter_account_kind: AccountKind
    organization_id: uuid.UUID | None
    member_id: uuid.UUID | None
    amount_fen: int = Field(description="positive: into the budget; negative: spent from it")
    memo: str | None
