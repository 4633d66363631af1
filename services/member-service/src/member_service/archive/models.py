"""The political archive: append-only entries per member, chained by hash.

The database refuses UPDATE, DELETE and TRUNCATE of `archive_entry` (a trigger created
by migration member_0002); a correction is a new entry whose `corrects_id` points at
the entry it corrects.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    text,
)
from sqlmodel import Field, SQLModel


class EntryKind(StrEnum):
    attendance = "attendance"  # an activity attended (or missed)
    post = "post"  # a post held (双亮)
    evaluation = "evaluation"  # an evaluation result (four-party, democratic)
    award = "award"
    training = "training"
    stage_change = "stage_change"
    transfer = "transfer"  # the membership relation moved


# Kinds a person may append directly; the others are written by the steps they record.
MANUAL_KINDS = frozenset({EntryKind.award, EntryKind.evaluation})

HASH_BYTES = 32
GENESIS = bytes(HASH_BYTES)  # the "previous hash" of a member's first entry


def utcnow() -> datetime:
    return datetime.now(UTC)


class ArchiveEntry(SQLModel, table=True):
    __tablename__ = "archive_entry"
    __table_args__ = (
        CheckConstraint("seq >= 1", name="seq"),
        CheckConstraint(
            "kind IN (" + ",".join(f"'{k.value}'" for k in EntryKind) + ")", name="kind"
        ),
        CheckConstraint("octet_length(hash) = 32 AND octet_length(prev_hash) = 32", name="hashes"),
        Index("uq_archive_entry_member_id_seq", "member_id", "seq", unique=True),
        Index(
            "uq_archive_entry_corrects_id",
            "corrects_id",
            unique=True,
            postgresql_where=text("corrects_id IS NOT NULL"),
        ),
        Index(
            "uq_archive_entry_source_event_id",
            "source_event_id",
            unique=True,
            postgresql_where=text("source_event_id IS NOT NULL"),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    member_id: uuid.UUID = Field(sa_column=Column(ForeignKey("member.id"), nullable=False))
    seq: int = Field(sa_column=Column(Integer, nullable=False))
    kind: str = Field(sa_column=Column(String(20), nullable=False))
    occurred_on: date = Field(sa_column=Column(Date, nullable=False))
    # The payload as canonical JSON text, exactly the bytes the hash covers.
    payload: str = Field(sa_column=Column(Text, nullable=False))
    corrects_id: uuid.UUID | None = Field(
        default=None, sa_column=Column(ForeignKey("archive_entry.id"), nullable=True)
    )
    source: str = Field(max_length=100)
    source_event_id: uuid.UUID | None = Field(default=None)
    recorded_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    recorded_by: str = Field(max_length=200)
    prev_hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
