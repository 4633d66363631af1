"""Tables of party-building projects (党建项目) and the bids of organizations for them."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
)
from sqlmodel import Field, SQLModel


class BidStatus(StrEnum):
    submitted = "submitted"
    awarded = "awarded"


def utcnow() -> datetime:
    return datetime.now(UTC)


class Project(SQLModel, table=True):
    """Part of a district's budget turned into a project that organizations bid for."""

    __tablename__ = "project"
    __table_args__ = (
        CheckConstraint("budget_fen > 0", name="budget"),
        CheckConstraint("awarded_fen BETWEEN 0 AND budget_fen", name="awarded"),
        CheckConstraint("min_stars BETWEEN 1 AND 5", name="min_stars"),
        Index("ix_project_district_id_created_at", "district_id", "created_at"),
        Index("ix_project_created_at_id", "created_at", "id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    title: str = Field(sa_column=Column(String(200), nullable=False))
    description: str | None = Field(default=None, sa_column=Column(String(2000)))
    district_id: uuid.UUID = Field(nullable=False)
    budget_id: uuid.UUID = Field(sa_column=Column(ForeignKey("budget.id"), nullable=False))
    budget_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    awarded_fen: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    min_stars: int = Field(sa_column=Column(Integer, nullable=False))
    bids_close_on: date = Field(sa_column=Column(Date, nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    created_by: str = Field(sa_column=Column(String(200), nullable=False))


class ProjectBid(SQLModel, table=True):
    __tablename__ = "project_bid"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount"),
        CheckConstraint("status IN ('submitted','awarded')", name="status"),
        CheckConstraint("stars BETWEEN 1 AND 5", name="stars"),
        Index(
            "uq_project_bid_project_id_organization_id",
            "project_id",
            "organization_id",
            unique=True,
        ),
        Index("ix_project_bid_organization_id", "organization_id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    project_id: uuid.UUID = Field(sa_column=Column(ForeignKey("project.id"), nullable=False))
    organization_id: uuid.UUID = Field(nullable=False)
    organization_name: str = Field(sa_column=Column(String(200), nullable=False))
    district_id: uuid.UUID = Field(nullable=False)
    amount_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    proposal: str | None = Field(default=None, sa_column=Column(String(2000)))
    stars: int = Field(sa_column=Column(Integer, nullable=False))
    star_source: str = Field(sa_column=Column(String(20), nullable=False))
    status: str = Field(default="submitted", sa_column=Column(String(20), nullable=False))
    transfer_id: uuid.UUID | None = Field(default=None, sa_column=Column(ForeignKey("transfer.id")))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    created_by: str = Field(sa_column=Column(String(200), nullable=False))
