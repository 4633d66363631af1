"""API models of secretary terms."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class TermCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    member_id: uuid.UUID = Field(description="a full member")
    organization_id: uuid.UUID | None = Field(
        default=None, description="default: the member's home organization"
    )
    term_start: date | None = Field(default=None, description="default today")
    term_end: date | None = Field(
        default=None, description="the last day in office, for a term that has ended already"
    )


# Terms one POST /secretary-terms/bulk creates at most.
MAX_BULK_TERMS = 500


class TermsBulkCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[TermCreate] = Field(
        min_length=1, max_length=MAX_BULK_TERMS, description="each as POST /secretary-terms takes"
    )


class TermsBulkCreated(BaseModel):
    ids: list[uuid.UUID] = Field(description="the new terms' ids, in the order of the items sent")


class TermEnd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    term_end: date | None = Field(default=None, description="the last day in office; default today")


class TermPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    member_id: uuid.UUID
    organization_id: uuid.UUID
    name: str
    term_start: date
    term_end: date | None = Field(description="last day in office; null while the term runs")
