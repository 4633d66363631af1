"""The hash chain of a member's archive: what an entry's hash covers and how a chain is checked.

hash(entry) = SHA-256(prev_hash ‖ canonical JSON of every stored field but the hashes),
and prev_hash is the hash of the member's previous entry (32 zero bytes for the first).
Changing any field of an entry breaks its own hash; removing or reordering entries
breaks the link of the next one.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal, Protocol

from member_service.archive.models import GENESIS, ArchiveEntry

Fault = Literal["hash_mismatch", "chain_broken", "sequence_gap"]


def canonical_json(value: Any) -> str:
    """One spelling per value: sorted keys, no blanks, non-ASCII kept as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class Sealable(Protocol):
    """The fields of an archive entry its hash covers."""

    id: uuid.UUID
    member_id: uuid.UUID
    seq: int
    kind: str
    occurred_on: date
    payload: str
    corrects_id: uuid.UUID | None
    source: str
    source_event_id: uuid.UUID | None
    recorded_at: datetime
    recorded_by: str


def content(entry: Sealable) -> bytes:
    """The bytes an entry's hash covers (after the previous hash)."""
    return canonical_json(
        {
            "id": str(entry.id),
            "member_id": str(entry.member_id),
            "seq": entry.seq,
            "kind": entry.kind,
            "occurred_on": entry.occurred_on.isoformat(),
            "payload": entry.payload,
            "corrects_id": str(entry.corrects_id) if entry.corrects_id else None,
            "source": entry.source,
            "source_event_id": str(entry.source_event_id) if entry.source_event_id else None,
            "recorded_at": entry.recorded_at.astimezone(UTC).isoformat(),
            "recorded_by": entry.recorded_by,
        }
    ).encode()


def digest(entry: Sealable, prev_hash: bytes) -> bytes:
    return hashlib.sha256(prev_hash + content(entry)).digest()


def seal(entry: ArchiveEntry, prev_hash: bytes) -> None:
    """Set the entry's prev_hash and hash (its other fields are final)."""
    entry.prev_hash = prev_hash
    entry.hash = digest(entry, prev_hash)


@dataclass(frozen=True)
class Finding:
    entries: int
    head_hash: bytes | None
    fault: Fault | None = None
    entry: ArchiveEntry | None = None
    expected_seq: int | None = None


def verify(entries: Iterable[ArchiveEntry]) -> Finding:
    """Walk the entries in seq order; the first one that does not hold, or none."""
    previous = GENESIS
    count = 0
    for count, entry in enumerate(entries, start=1):
        if entry.seq != count:
            return Finding(count - 1, previous, "sequence_gap", entry, expected_seq=count)
        if entry.prev_hash != previous:
            return Finding(count - 1, previous, "chain_broken", entry)
        if digest(entry, entry.prev_hash) != entry.hash:
            return Finding(count - 1, previous, "hash_mismatch", entry)
        previous = entry.hash
    return Finding(count, previous if count else None)
