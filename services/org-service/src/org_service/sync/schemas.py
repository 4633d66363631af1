"""API models of the sync API: the records clients push and what they may read back."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator
from pydantic_core import PydanticCustomError

from org_service.places.models import PlaceKind
from org_service.work_targets.models import Industry, WorkTargetKind
from org_service.work_targets.schemas import MAX_COUNT

ExternalId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
FloorLabel = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]


class WorkTargetRecord(BaseModel):
    """An enterprise or social organization as a client's system holds it, keyed by credit code.

    A field left out keeps what is stored (or its default, for a new target); `null`
    clears a field that may be empty.
    """

    model_config = ConfigDict(extra="forbid")

    credit_code: str = Field(
        min_length=1,
        max_length=40,
        description="unified social credit code (18 characters; blanks and case are ignored)",
    )
    external_id: ExternalId | None = Field(
        default=None, description="the client's own id of the unit, kept alongside"
    )
    name: str = Field(min_length=1, max_length=200)
    kind: WorkTargetKind = WorkTargetKind.enterprise
    industry: Industry = Industry.other
    place_id: uuid.UUID | None = Field(
        default=None, description="the place it is in: one of the client's places (or this)"
    )
    place_external_id: ExternalId | None = Field(
        default=None, description="… or the client's own id of that place (see /sync/places)"
    )
    region_id: uuid.UUID | None = Field(
        default=None,
        description="the finest region known; default the place's region, and on the place's "
        "line of regions when given",
    )
    floor: FloorLabel | None = Field(
        default=None, description="a floor of the building, as listed in its place record"
    )
    unit: str | None = Field(default=None, min_length=1, max_length=50, description="room, unit")
    employee_count: int | None = Field(default=None, ge=0, le=MAX_COUNT)
    pays_tax: bool = False
    pays_social_insurance: bool = False
    party_member_count: int = Field(default=0, ge=0, le=MAX_COUNT)
    investor_name: str | None = Field(default=None, max_length=100)
    registered_on: date = Field(description="registration day (with the park, or the licence)")
    deregistered_on: date | None = None


class PlaceRecord(BaseModel):
    """A building or market inside one of the client's places, with its floors.

    With `place_id`, the record is about that place (one of the client's own): its name,
    address, floors and the client's id of it change; it cannot move.
    """

    model_config = ConfigDict(extra="forbid")

    external_id: ExternalId = Field(description="the client's own id of the place")
    place_id: uuid.UUID | None = Field(
        default=None, description="an existing place of the client's this record is about"
    )
    name: str | None = Field(
        default=None, min_length=1, max_length=100, description="required for a new place"
    )
    kind: Literal[PlaceKind.building, PlaceKind.market] = PlaceKind.building
    parent_place_id: uuid.UUID | None = Field(
        default=None, description="the client's park or business district it lies in"
    )
    parent_external_id: ExternalId | None = Field(
        default=None, description="… or the client's own id of that park or business district"
    )
    region_id: uuid.UUID | None = Field(
        default=None, description="default the parent's region; must lie within it"
    )
    address: str | None = Field(default=None, max_length=300)
    floors: list[FloorLabel] | None = Field(
        default=None, max_length=300, description="the floors, bottom up; replaces the list held"
    )

    @field_validator("floors")
    @classmethod
    def _floors_once(cls, floors: list[str] | None) -> list[str] | None:
        if floors is not None and len(set(floors)) != len(floors):
            repeated = sorted({f for f in floors if floors.count(f) > 1})
            raise PydanticCustomError(
                "duplicate_floor",
                "each floor is listed once; repeated: {repeated}",
                {"repeated": ", ".join(repeated), "error_code": "duplicate_floor"},
            )
        return floors


class SyncWorkTarget(BaseModel):
    """A work target in the client's places, as the client may read it back."""

    id: uuid.UUID
    credit_code: str
    external_id: str | None = Field(description="the calling client's own id of it")
    name: str
    kind: WorkTargetKind
    industry: Industry
    region_id: uuid.UUID
    place_id: uuid.UUID | None
    floor: str | None
    unit: str | None
    employee_count: int | None
    pays_tax: bool
    pays_social_insurance: bool
    party_member_count: int
    investor_name: str | None
    registered_on: date
    deregistered_on: date | None
    responsible_organization_id: uuid.UUID | None = Field(
        description="who answers for party work there today: the organization covering it, "
        "else the working committee of its district (who confirms its reported members)"
    )
    updated_at: datetime


class SyncPlace(BaseModel):
    """One of the client's places (or a place inside one), as the client may read it back."""

    id: uuid.UUID
    external_id: str | None = Field(description="the calling client's own id of it")
    name: str
    kind: PlaceKind
    region_id: uuid.UUID
    parent_place_id: uuid.UUID | None
    address: str | None
    floors: list[str]
    granted: bool = Field(description="one of the places the client is registered for")
