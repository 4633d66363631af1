"""Registered evaluators: owners/investors of employers and employees registered as masses."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, Date, DateTime, Index, String, Uuid
from sqlalchemy import text as sql_text
from sqlmodel import Field, SQLModel

from rating_service.campaigns.models import uuid_array


def utcnow() -> datetime:
    return datetime.now(UTC)


class EvaluatorKind(StrEnum):
    owner = "owner"  # 业主/出资人 of a work target: evaluates the members it employs
    masses = "masses"  # 群众: an employee a secretary registered for an organization


class EvaluatorRegistration(SQLModel, table=True):
    """An account that may evaluate as owner or masses from valid_from until valid_until.

    Party members (secretary, members parties) need no registration: their member id and
    the campaign's roll decide. Accounts are token subjects (`sub`), as the issuer knows them.
    """

    __tablename__ = "evaluator_registration"
    __table_args__ = (
        CheckConstraint("kind IN ('owner','masses')", name="kind"),
        CheckConstraint("kind <> 'owner' OR work_target_id IS NOT NULL", name="owner_employer"),
        CheckConstraint("valid_until IS NULL OR valid_until > valid_from", name="valid_range"),
        Index("ix_evaluator_registration_account", "account", "kind"),
        Index(
            "ix_evaluator_registration_organization_chain",
            "organization_chain",
            postgresql_using="gin",
        ),
        Index("ix_evaluator_registration_region_chain", "region_chain", postgresql_using="gin"),
        Index("ix_evaluator_registration_created_at_id", "created_at", "id"),
        Index(
            "uq_evaluator_registration_open",
            "kind",
            "account",
            "organization_id",
            sql_text("coalesce(work_target_id, '00000000-0000-0000-0000-000000000000'::uuid)"),
            unique=True,
            postgresql_where=sql_text("valid_until IS NULL"),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    kind: str = Field(sa_column=Column(String(20), nullable=False))
    account: str = Field(max_length=200)
    name: str = Field(max_length=100)
    organization_id: uuid.UUID = Field(sa_column=Column(Uuid(), nullable=False))
    organization_chain: list[uuid.UUID] = Field(sa_column=uuid_array())
    region_chain: list[uuid.UUID] = Field(sa_column=uuid_array())
    work_target_id: uuid.UUID | None = Field(default=None, sa_column=Column(Uuid()))
    valid_from: date = Field(sa_column=Column(Date, nullable=False))
    valid_until: date | None = Field(default=None, sa_column=Column(Date))
    registered_by: str = Field(max_length=200)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
