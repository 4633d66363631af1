"""Tables of what sync clients push beside work targets and places: floors and tenancies.

A building's floors are labels in the building's order ("B1", "1", "2" …). A tenancy says
on which floor and in which unit a work target sits inside its place; the place itself
is the work target's place_id.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String
from sqlmodel import Field, SQLModel

# The kinds of place a sync client may add inside its own places.
SYNCABLE_PLACE_KINDS = ("building", "market")


def utcnow() -> datetime:
    return datetime.now(UTC)


class PlaceFloor(SQLModel, table=True):
    __tablename__ = "place_floor"
    __table_args__ = (Index("uq_place_floor_place_id_label", "place_id", "label", unique=True),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    place_id: uuid.UUID = Field(sa_column=Column(ForeignKey("place.id"), nullable=False))
    label: str = Field(sa_column=Column(String(20), nullable=False))
    position: int = Field(sa_column=Column(Integer, nullable=False))


class WorkTargetTenancy(SQLModel, table=True):
    """Where inside its place a work target sits (a tenant of a building)."""

    __tablename__ = "work_target_tenancy"

    work_target_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("work_target.id"), primary_key=True)
    )
    floor: str | None = Field(default=None, sa_column=Column(String(20)))
    unit: str | None = Field(default=None, sa_column=Column(String(50)))
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    updated_by: str = Field(sa_column=Column(String(200), nullable=False))
