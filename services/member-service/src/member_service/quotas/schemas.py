"""API models of development quotas."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class QuotaIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    allocated: int = Field(ge=0, le=1_000_000, description="admissions allowed in the year")
    note: str | None = Field(
        default=None, max_length=500, description="e.g. first for enterprises without members"
    )


class QuotaPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    region_id: uuid.UUID = Field(description="a district, county or new area (or the city)")
    year: int
    allocated: int
    used: int
    remaining: int
    note: str | None
    created_at: datetime
    updated_at: datetime
