"""API models of period runs and their lines (amounts in integer fen)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from funding_service.runs.models import LineStatus, RunKind


class PeriodRunCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: RunKind
    period: str = Field(
        pattern=r"^\d{4}(-(0[1-9]|1[0-2]))?$",
        description="secretary_allowance: a month (YYYY-MM); the yearly runs: a year (YYYY)",
    )


class PeriodRunPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: RunKind
    period: str
    period_start: date
    period_end: date
    value_date: date = Field(description="the day the payments count for")
    source: str = Field(
        description="where secretary terms and member counts came from: member_service (its "
        "API) or events (the projection of its events); org-service: always its API"
    )
    paid_count: int
    paid_total_fen: int
    skipped_count: int
    skipped_by_reason: dict[str, int]
    started_at: datetime
    started_by: str


class PeriodLinePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    run_id: uuid.UUID
    status: LineStatus
    reason: str | None = Field(description="why nothing was paid (skipped lines)")
    district_id: uuid.UUID | None
    organization_id: uuid.UUID | None
    organization_name: str | None
    member_id: uuid.UUID | None
    payee_name: str | None
    budget_id: uuid.UUID | None
    amount_fen: int
    transfer_id: uuid.UUID | None
    basis: dict[str, Any] = Field(description="the figures the amount comes from")
