"""API models of dues (amounts in integer fen)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from funding_service.money import Fen, FenOrZero
from funding_service.temporal import MONTH_PATTERN

Month = Field(pattern=MONTH_PATTERN, description="YYYY-MM")


class DeclarationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    member_id: uuid.UUID
    organization_id: uuid.UUID = Field(description="the member's home organization")
    month: str = Month
    monthly_income_fen: FenOrZero = Field(description="monthly after-tax income, in fen")
    retired: bool = False


class DeclarationPublic(BaseModel):
    id: uuid.UUID
    member_id: uuid.UUID
    organization_id: uuid.UUID
    month: str = Field(description="in force from this month until a later declaration")
    monthly_income_fen: int
    retired: bool
    rate_bp: int = Field(description="the bracket's rate in basis points (50 = 0.5%)")
    monthly_dues_fen: int
    declared_at: datetime
    declared_by: str


class AssessmentRun(BaseModel):
    model_config = ConfigDict(extra="forbid")

    month: str = Month
    organization_id: uuid.UUID | None = Field(default=None, description="only this organization")


class AssessmentRunResult(BaseModel):
    month: str
    assessed: int = Field(description="members assessed now (those assessed before are kept)")
    total_fen: int


class AssessmentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    member_id: uuid.UUID
    organization_id: uuid.UUID
    month: date
    income_fen: int
    retired: bool
    rate_bp: int
    amount_fen: int
    paid_fen: int
    outstanding_fen: int


class PaymentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    member_id: uuid.UUID
    month: str = Month
    amount_fen: Fen
    paid_on: date | None = Field(default=None, description="default today; never later")


class PaymentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    member_id: uuid.UUID
    month: date
    amount_fen: int
    paid_on: date
    transfer_id: uuid.UUID
    recorded_at: datetime
    recorded_by: str


class ArrearsPublic(BaseModel):
    member_id: uuid.UUID
    organization_id: uuid.UUID
    unpaid_months: int = Field(description="assessed months up to as_of not paid in full")
    consecutive_unpaid_months: int = Field(
        description="unpaid months since the last month paid in full (or since assessments began)"
    )
    outstanding_fen: int
    oldest_unpaid_month: date
