"""Audit records: every write notes who, when, what, before and after, in the same transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Column, DateTime, Index
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from service_kit.auth import Principal
from service_kit.logs import current_request_id
from service_kit.rows import insert_rows


def utcnow() -> datetime:
    return datetime.now(UTC)


class AuditRecord(SQLModel, table=True):
    __tablename__ = "audit_record"
    __table_args__ = (Index("ix_audit_record_entity", "entity_type", "entity_id", "occurred_at"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    occurred_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    actor: str = Field(max_length=200)
    actor_roles: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    action: str = Field(max_length=100)
    entity_type: str = Field(max_length=100)
    entity_id: str = Field(max_length=100)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB))
    request_id: str | None = Field(default=None, max_length=100)


def snapshot(obj: BaseModel | None, *, exclude: set[str] | None = None) -> dict[str, Any] | None:
    """A JSON-able copy of a model for the before/after columns."""
    if obj is None:
        return None
    return obj.model_dump(mode="json", exclude=exclude)


async def record_audit(
    session: AsyncSession,
    *,
    principal: Principal,
    action: str,
    entity_type: str,
    entity_id: uuid.UUID | str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditRecord:
    """Add an audit record to the caller's transaction."""
    record = AuditRecord(
        actor=principal.subject,
        actor_roles=sorted(principal.roles),
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        before=before,
        after=after,
        request_id=current_request_id(),
    )
    session.add(record)
    return record


@dataclass(frozen=True)
class AuditEntry:
    """One change of a bulk write, for record_audits."""

    action: str
    entity_type: str
    entity_id: uuid.UUID | str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


async def record_audits(
    session: AsyncSession, *, principal: Principal, entries: Sequence[AuditEntry]
) -> int:
    """Add one audit record per entry to the caller's transaction, in one statement.

    For writes of thousands of rows at once, where an ORM object per record would cost
    more than the write itself. Returns how many were added.
    """
    if not entries:
        return 0
    now = utcnow()
    roles = sorted(principal.roles)
    request_id = current_request_id()
    await insert_rows(
        session,
        AuditRecord.__table__,  # type: ignore[attr-defined]
        [
            {
                "id": uuid.uuid4(),
                "occurred_at": now,
                "actor": principal.subject,
                "actor_roles": roles,
                "action": entry.action,
                "entity_type": entry.entity_type,
                "entity_id": str(entry.entity_id),
                "before": entry.before,
                "after": entry.after,
                "request_id": request_id,
            }
            for entry in entries
        ],
    )
    return len(entries)
