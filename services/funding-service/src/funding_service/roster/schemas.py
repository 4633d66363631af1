"""The `data` of the member events funding-service hears (the agreed contract)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class StageChanged(BaseModel):
    """member.stage.changed"""

    model_config = ConfigDict(extra="ignore")

    member_id: uuid.UUID
    organization_id: uuid.UUID = Field(description="home organization (membership relation)")
    # serving_organization_id is in the contract too; the funds follow the home organization
    from_stage: str | None = Field(default=None, max_length=30)
    to_stage: str = Field(max_length=30)
    effective_on: date


class Transferred(BaseModel):
    """member.transferred"""

    model_config = ConfigDict(extra="ignore")

    member_id: uuid.UUID
    from_organization_id: uuid.UUID | None = None
    to_organization_id: uuid.UUID
    effective_on: date
    stage: str = Field(max_length=30)


class SecretaryTermChanged(BaseModel):
    """member.secretary_term.changed"""

    model_config = ConfigDict(extra="ignore")

    member_id: uuid.UUID
    organization_id: uuid.UUID
    change: Literal["started", "ended"]
    term_start: date
    term_end: date | None = None
    name: str = Field(default="", max_length=200)
