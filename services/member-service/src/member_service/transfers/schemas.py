"""API models of transfers of the membership relation."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from member_service.transfers.models import TransferStatus


class TransferCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    member_id: uuid.UUID
    to_organization_id: uuid.UUID | None = Field(
        default=None, description="the receiving organization inside the city's system"
    )
    destination_name: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="the receiving body outside the system (the member becomes transferred_out)",
    )
    initiated_on: date | None = Field(default=None, description="the letter's date; default today")
    note: str | None = Field(default=None, max_length=500)


class TransferDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decided_on: date | None = Field(default=None, description="default today")
    note: str | None = Field(default=None, max_length=500)


class TransferRejection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decided_on: date | None = None
    note: str = Field(min_length=1, max_length=500, description="why the transfer is refused")


class TransferReceipt(BaseModel):
    model_config = ConfigDict(extra="forbid")

    returned_on: date | None = Field(default=None, description="default today")


class TransferPublic(BaseModel):
    id: uuid.UUID
    member_id: uuid.UUID
    from_organization_id: uuid.UUID
    to_organization_id: uuid.UUID | None
    destination_name: str | None
    status: TransferStatus = Field(description="expired: pending past expires_on")
    initiated_on: date
    expires_on: date = Field(description="the letter is valid before this day (3 months)")
    decided_on: date | None
    decision_note: str | None
    receipt_returned_on: date | None
    note: str | None
    initiated_by: str
    created_at: datetime
    updated_at: datetime
