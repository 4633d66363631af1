"""Local references to org-service's organizations and regions, for access filters and quotas.

org-service owns these; member-service keeps the few columns it filters on, filled from
`org.organization.changed` events and, for an id not seen yet, from org-service's API.
No foreign keys between them: events of different organizations arrive in any order.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, Index, String
from sqlmodel import Field, SQLModel

# Regions just below the city: where quotas are allocated and instructor norms apply.
DISTRICT_LEVEL = frozenset({"district", "county", "new_area"})


def utcnow() -> datetime:
    return datetime.now(UTC)


class OrganizationRef(SQLModel, table=True):
    __tablename__ = "member_org_reference"
    __table_args__ = (
        Index("ix_member_org_reference_parent_id", "parent_id"),
        Index("ix_member_org_reference_region_id", "region_id"),
    )

    id: uuid.UUID = Field(primary_key=True)
    name: str = Field(max_length=200)
    kind: str = Field(sa_column=Column(String(30), nullable=False))
    parent_id: uuid.UUID | None = Field(default=None)
    region_id: uuid.UUID
    status: str = Field(sa_column=Column(String(20), nullable=False))
    # org-service's updated_at of the state held here: an older state never overwrites it.
    source_updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    synced_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class RegionRef(SQLModel, table=True):
    __tablename__ = "member_region_reference"
    __table_args__ = (Index("ix_member_region_reference_parent_id", "parent_id"),)

    id: uuid.UUID = Field(primary_key=True)
    name: str = Field(max_length=100)
    kind: str = Field(sa_column=Column(String(20), nullable=False))
    parent_id: uuid.UUID | None = Field(default=None)
    district_class: str | None = Field(default=None, sa_column=Column(String(20)))
    synced_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
