"""API models of budget lines and budgets with their execution (amounts in integer fen)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from funding_service.budgets.models import BudgetLevel
from funding_service.money import Fen

LINE_CODE = r"^[a-z][a-z0-9_]{0,49}$"


class BudgetLineCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=LINE_CODE, description="stable snake_case identifier")
    name: str = Field(min_length=1, max_length=100, description="as the budget documents say it")
    description: str | None = Field(default=None, max_length=500)


class BudgetLinePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    code: str
    name: str
    description: str | None
    created_at: datetime


class BudgetCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fiscal_year: int = Field(ge=2000, le=2100)
    level: BudgetLevel
    region_id: uuid.UUID = Field(description="city level: the city; district level: a district")
    budget_line: str = Field(pattern=LINE_CODE, description="a budget line's code")
    amount_fen: Fen
    memo: str | None = Field(default=None, max_length=500)


class Change(StrEnum):
    increase = "increase"
    decrease = "decrease"


class BudgetAdjust(BaseModel):
    model_config = ConfigDict(extra="forbid")

    change: Change
    amount_fen: Fen
    memo: str | None = Field(default=None, max_length=500)


class BudgetPublic(BaseModel):
    id: uuid.UUID
    fiscal_year: int
    level: BudgetLevel
    region_id: uuid.UUID
    region_name: str = Field(description="as org-service named it when the budget was set")
    district_id: uuid.UUID | None
    budget_line: str
    budget_line_name: str
    account_id: uuid.UUID
    budgeted_fen: int = Field(description="allocated from the treasury, with adjustments")
    executed_fen: int = Field(description="paid out of the budget, net of reversals")
    available_fen: int = Field(description="budgeted − executed: the budget account's balance")
    created_at: datetime
    updated_at: datetime
