"""API models of the political archive."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from member_service.archive.chain import Fault
from member_service.archive.models import EntryKind

Payload = dict[str, Any]
Scalar = (
    Annotated[str, StringConstraints(max_length=1000)]
    | Annotated[float, Field(allow_inf_nan=False)]
    | int
    | bool
    | None
)


class EntryPublic(BaseModel):
    id: uuid.UUID
    member_id: uuid.UUID
    seq: int = Field(description="1, 2, 3 … in the order entries were recorded")
    kind: EntryKind
    occurred_on: date
    payload: Payload
    corrects_id: uuid.UUID | None = Field(description="the entry this one corrects")
    corrected_by_id: uuid.UUID | None = Field(
        default=None, description="the entry that corrects this one (its content stands instead)"
    )
    source: str = Field(description="who recorded it: member-service, or the service it came from")
    source_event_id: uuid.UUID | None
    recorded_at: datetime
    recorded_by: str
    hash: str = Field(description="SHA-256 over the previous hash and this entry, hex")


class EntryIn(BaseModel):
    """An entry a person records directly: an award, or an evaluation result."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal[EntryKind.award, EntryKind.evaluation]
    occurred_on: date
    title: str = Field(min_length=1, max_length=200)
    awarded_by: str | None = Field(default=None, max_length=200)
    grade: str | None = Field(
        default=None,
        max_length=50,
        description="evaluation: excellent, qualified, basically_qualified, unqualified, or "
        "the local wording",
    )
    note: str | None = Field(default=None, max_length=1000)


class CorrectionIn(BaseModel):
    """What the corrected entry should have said, and why; `payload` replaces its payload."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)
    occurred_on: date | None = Field(default=None, description="default: the corrected entry's")
    payload: dict[Annotated[str, StringConstraints(min_length=1, max_length=50)], Scalar] = Field(
        max_length=50
    )


class VerificationPublic(BaseModel):
    member_id: uuid.UUID
    valid: bool
    entries: int = Field(description="entries checked and found in order before any fault")
    head_hash: str | None = Field(description="hash of the last entry that holds, hex")
    fault: Fault | None = Field(
        default=None,
        description="hash_mismatch: the entry was changed after it was recorded; "
        "chain_broken: its link to the previous entry does not match; sequence_gap: an "
        "entry before it is missing",
    )
    entry_id: uuid.UUID | None = Field(default=None, description="the first entry that fails")
    entry_seq: int | None = None
    expected_seq: int | None = None


class EvaluationFinalized(BaseModel):
    """`data` of rating.evaluation.finalized, as rating-service publishes it."""

    campaign_id: uuid.UUID
    member_id: uuid.UUID
    organization_id: uuid.UUID | None = None
    period_start: date
    period_end: date
    weighted_score: float = Field(ge=0, le=100, allow_inf_nan=False)
    stars: int = Field(ge=1, le=5)
    parties_used: list[Literal["owner", "secretary", "members", "masses"]]
    rescaled: bool
    capped: bool
    grade: Literal["excellent", "qualified", "basically_qualified", "unqualified"] | None = None
    finalized_at: datetime
