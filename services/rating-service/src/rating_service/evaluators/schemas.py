"""API models of the evaluator registry."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from rating_service.evaluators.models import EvaluatorKind


class EvaluatorCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: EvaluatorKind = Field(
        description="owner: the owner/investor of a work target, evaluates the members it "
        "employs; masses: an employee registered for an organization, evaluates its members"
    )
    account: str = Field(
        min_length=1, max_length=200, description="the evaluator's account (token subject)"
    )
    name: str = Field(min_length=1, max_length=100)
    organization_id: uuid.UUID = Field(
        description="the organization the evaluator is registered for (masses: whose members "
        "they evaluate; owner: the organization at the work target)"
    )
    work_target_id: uuid.UUID | None = Field(
        default=None, description="owner: the work target they own or invest in (required)"
    )
    valid_from: date | None = Field(default=None, description="default today")
    valid_until: date | None = Field(default=None, description="exclusive; null: open")


class EvaluatorEnd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    valid_until: date = Field(description="the first day the registration no longer holds")


class EvaluatorPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: EvaluatorKind
    account: str
    name: str
    organization_id: uuid.UUID
    work_target_id: uuid.UUID | None
    valid_from: date
    valid_until: date | None
    created_at: datetime
