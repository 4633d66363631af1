"""Rules of the political archive: append under the member's chain lock, correct, verify.

Every step that the archive records (a stage change, a transfer, a post, attendance, a
training, an evaluation result from rating-service) appends its entry in the same
transaction as the step itself.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from pydantic import ValidationError
from pydantic_core import to_jsonable_python
from sqlmodel.ext.asyncio.session import AsyncSession

from member_service.access import visible_members, writable_members
from member_service.archive import chain, repository
from member_service.archive.models import GENESIS, MANUAL_KINDS, ArchiveEntry, EntryKind, utcnow
from member_service.archive.schemas import (
    CorrectionIn,
    EntryIn,
    EntryPublic,
    EvaluationFinalized,
    VerificationPublic,
)
from member_service.members import repository as member_repository
from member_service.members.models import Member
from service_kit.audit import record_audit
from service_kit.auth import Principal
from service_kit.errors import Conflict, Forbidden, NotFound, Unprocessable
from service_kit.events import EventEnvelope
from service_kit.pagination import Page, PageParams

SOURCE = "member-service"
EVALUATION_FINALIZED = "rating.evaluation.finalized"


class MemberNotFound(NotFound):
    code = "member_not_found"
    message = "No member with this id (or it is outside what you may see)."


class EntryNotFound(NotFound):
    code = "archive_entry_not_found"
    message = "This member's archive has no entry with this id."


class AlreadyCorrected(Conflict):
    code = "archive_entry_already_corrected"


class NotAManualKind(Unprocessable):
    code = "archive_kind_not_manual"


class InvalidEventData(Unprocessable):
    code = "invalid_event_data"


def to_public(entry: ArchiveEntry, corrected_by_id: uuid.UUID | None = None) -> EntryPublic:
    return EntryPublic(
        id=entry.id,
        member_id=entry.member_id,
        seq=entry.seq,
        kind=EntryKind(entry.kind),
        occurred_on=entry.occurred_on,
        payload=json.loads(entry.payload),
        corrects_id=entry.corrects_id,
        corrected_by_id=corrected_by_id,
        source=entry.source,
        source_event_id=entry.source_event_id,
        recorded_at=entry.recorded_at,
        recorded_by=entry.recorded_by,
        hash=entry.hash.hex(),
    )


def _entry(
    *,
    member_id: uuid.UUID,
    seq: int,
    kind: EntryKind,
    occurred_on: date,
    payload: dict[str, Any],
    recorded_by: str,
    source: str,
    corrects_id: uuid.UUID | None,
    source_event_id: uuid.UUID | None,
    prev_hash: bytes,
) -> ArchiveEntry:
    entry = ArchiveEntry(
        member_id=member_id,
        seq=seq,
        kind=kind.value,
        occurred_on=occurred_on,
        payload=chain.canonical_json(to_jsonable_python(payload)),
        corrects_id=corrects_id,
        source=source,
        source_event_id=source_event_id,
        recorded_by=recorded_by,
        prev_hash=prev_hash,
        hash=prev_hash,
    )
    chain.seal(entry, prev_hash)
    return entry


async def append(
    session: AsyncSession,
    *,
    member_id: uuid.UUID,
    kind: EntryKind,
    occurred_on: date,
    payload: dict[str, Any],
    recorded_by: str,
    source: str = SOURCE,
    corrects_id: uuid.UUID | None = None,
    source_event_id: uuid.UUID | None = None,
    locked: bool = False,
) -> ArchiveEntry:
    """Add an entry at the end of the member's chain, in the caller's transaction.

    `locked`: the caller holds the member's chain lock already (lock_chains).
    """
    if not locked:
        await repository.lock_chains(session, [member_id])
    head = await repository.head(session, member_id)
    seq, prev_hash = (head[0] + 1, head[1]) if head else (1, GENESIS)
    entry = _entry(
        member_id=member_id,
        seq=seq,
        kind=kind,
        occurred_on=occurred_on,
        payload=payload,
        recorded_by=recorded_by,
        source=source,
        corrects_id=corrects_id,
        source_event_id=source_event_id,
        prev_hash=prev_hash,
    )
    session.add(entry)
    await session.flush()
    return entry


async def _readable(session: AsyncSession, principal: Principal, member_id: uuid.UUID) -> Member:
    member = await member_repository.get_visible(session, member_id, visible_members(principal))
    if member is None:
        raise MemberNotFound(details={"id": str(member_id)})
    return member


async def _writable(session: AsyncSession, principal: Principal, member_id: uuid.UUID) -> Member:
    member = await _readable(session, principal, member_id)
    if await member_repository.get_visible(session, member.id, writable_members(principal)) is None:
        raise Forbidden(
            "Only the member's own organization (or those above it) may add to their archive.",
            details={"member_id": str(member_id)},
        )
    return member


async def list_entries(
    *,
    session: AsyncSession,
    principal: Principal,
    member_id: uuid.UUID,
    page: PageParams,
    kind: EntryKind | None,
    newest_first: bool = False,
) -> Page[EntryPublic]:
    """The member's entries in the order they were recorded (or the reverse), with who
    corrected what."""
    await _readable(session, principal, member_id)
    result = await repository.page(
        session, member_id, page, kind.value if kind else None, newest_first=newest_first
    )
    corrected = await repository.corrections_of(session, [e.id for e in result.rows])
    return Page(
        items=[to_public(e, corrected.get(e.id)) for e in result.rows],
        next_cursor=result.next_cursor,
        cursors=result.cursors,
    )


async def record(
    *, session: AsyncSession, principal: Principal, member_id: uuid.UUID, data: EntryIn
) -> EntryPublic:
    """Record an award or an evaluation result in the member's archive."""
    member = await _writable(session, principal, member_id)
    if EntryKind(data.kind) not in MANUAL_KINDS:
        raise NotAManualKind(details={"kind": data.kind})
    payload = data.model_dump(mode="json", exclude={"kind", "occurred_on"}, exclude_none=True)
    entry = await append(
        session,
        member_id=member.id,
        kind=EntryKind(data.kind),
        occurred_on=data.occurred_on,
        payload=payload,
        recorded_by=principal.subject,
    )
    await _audit(session, principal, "archive_entry.record", entry)
    return to_public(entry)


async def correct(
    *,
    session: AsyncSession,
    principal: Principal,
    member_id: uuid.UUID,
    entry_id: uuid.UUID,
    data: CorrectionIn,
) -> EntryPublic:
    """A new entry that stands for `entry_id` from now on; the original stays as it was."""
    member = await _writable(session, principal, member_id)
    await repository.lock_chains(session, [member.id])
    original = await repository.get(session, member.id, entry_id)
    if original is None:
        raise EntryNotFound(details={"member_id": str(member_id), "entry_id": str(entry_id)})
    already = await repository.correction_of(session, original.id)
    if already is not None:
        raise AlreadyCorrected(
            f"Entry {original.seq} was corrected already by entry {already.seq}; correct that "
            "one instead, so that every entry has at most one correction.",
            details={"entry_id": str(original.id), "corrected_by_id": str(already.id)},
        )
    entry = await append(
        session,
        member_id=member.id,
        kind=EntryKind(original.kind),
        occurred_on=data.occurred_on or original.occurred_on,
        payload={**data.payload, "correction_reason": data.reason},
        recorded_by=principal.subject,
        corrects_id=original.id,
        locked=True,
    )
    await _audit(session, principal, "archive_entry.correct", entry)
    return to_public(entry)


async def verify(
    *, session: AsyncSession, principal: Principal, member_id: uuid.UUID
) -> VerificationPublic:
    """Recompute the member's chain; name the first entry that does not hold."""
    member = await _readable(session, principal, member_id)
    finding = chain.verify(await repository.chain(session, member.id))
    return VerificationPublic(
        member_id=member.id,
        valid=finding.fault is None,
        entries=finding.entries,
        head_hash=finding.head_hash.hex() if finding.head_hash else None,
        fault=finding.fault,
        entry_id=finding.entry.id if finding.entry else None,
        entry_seq=finding.entry.seq if finding.entry else None,
        expected_seq=finding.expected_seq,
    )


async def _audit(
    session: AsyncSession, principal: Principal, action: str, entry: ArchiveEntry
) -> None:
    await record_audit(
        session,
        principal=principal,
        action=action,
        entity_type="archive_entry",
        entity_id=entry.id,
        after=to_public(entry).model_dump(mode="json"),
    )


@dataclass
class NewEntry:
    """An entry of a chain being started (Sealable), before it becomes a row."""

    id: uuid.UUID
    member_id: uuid.UUID
    seq: int
    kind: str
    occurred_on: date
    payload: str
    recorded_by: str
    recorded_at: datetime
    corrects_id: uuid.UUID | None = None
    source: str = SOURCE
    source_event_id: uuid.UUID | None = None


class ChainItem(NamedTuple):
    """An entry to add to a member's chain; `source_event_id`: the event it records, if any."""

    kind: EntryKind
    occurred_on: date
    payload: dict[str, Any]
    source_event_id: uuid.UUID | None = None


class Addition(NamedTuple):
    """An entry to add at the end of a member's chain (append_many)."""

    member_id: uuid.UUID
    item: ChainItem


def new_chain(
    member_id: uuid.UUID,
    items: Sequence[ChainItem],
    *,
    recorded_by: str,
    after: tuple[int, bytes] | None = None,
    source: str = SOURCE,
) -> list[dict[str, Any]]:
    """The first entries of a member created in this transaction (nobody else can append yet),
    as rows for insert_new_chains; or, with `after` (the seq and hash of the chain's head,
    read under the chain lock), the next entries of an existing chain."""
    rows: list[dict[str, Any]] = []
    last_seq, previous = after or (0, GENESIS)
    now = utcnow()
    for seq, item in enumerate(items, start=last_seq + 1):
        entry = NewEntry(
            id=uuid.uuid4(),
            member_id=member_id,
            seq=seq,
            kind=item.kind.value,
            occurred_on=item.occurred_on,
            payload=chain.canonical_json(to_jsonable_python(item.payload)),
            recorded_by=recorded_by,
            recorded_at=now,
            source=source,
            source_event_id=item.source_event_id,
        )
        hashed = chain.digest(entry, previous)
        rows.append({**vars(entry), "prev_hash": previous, "hash": hashed})
        previous = hashed
    return rows


async def append_many(
    session: AsyncSession,
    additions: Sequence[Addition],
    *,
    recorded_by: str,
    source: str = SOURCE,
) -> None:
    """Add entries, each at the end of its member's chain and in the order given, in the
    caller's transaction: one lock statement, one read of the heads and one insert however
    many entries."""
    if not additions:
        return
    by_member: dict[uuid.UUID, list[ChainItem]] = {}
    for member_id, item in additions:
        by_member.setdefault(member_id, []).append(item)
    await repository.lock_chains(session, list(by_member))
    heads = await repository.heads(session, list(by_member))
    rows = [
        row
        for member_id, items in by_member.items()
        for row in new_chain(
            member_id, items, recorded_by=recorded_by, after=heads.get(member_id), source=source
        )
    ]
    await repository.insert_rows(session, rows)


async def insert_new_chains(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Write the rows of new_chain (of members created in this transaction) in one statement."""
    await repository.insert_rows(session, rows)


def _evaluation_finalized(envelope: EventEnvelope) -> EvaluationFinalized:
    try:
        return EvaluationFinalized.model_validate(envelope.data)
    except ValidationError as exc:
        raise InvalidEventData(
            "The event's data is not a rating.evaluation.finalized payload.",
            details={
                "event_id": str(envelope.id),
                "errors": exc.errors(include_url=False, include_context=False),
            },
        ) from exc


async def on_evaluations_finalized(
    session: AsyncSession, envelopes: Sequence[EventEnvelope]
) -> None:
    """rating.evaluation.finalized: each result goes into its member's archive, once.

    A relay's batch in a few statements: which members this service holds, which events
    are already recorded, then one append for all (append_many). A member this service does
    not hold has nothing to record, and nothing to retry.
    """
    results = [(envelope, _evaluation_finalized(envelope)) for envelope in envelopes]
    held = await member_repository.existing_ids(session, list({d.member_id for _, d in results}))
    recorded = await repository.recorded_source_events(session, [e.id for e, _ in results])
    by_source: dict[str, list[tuple[EventEnvelope, EvaluationFinalized]]] = {}
    for envelope, data in results:
        if data.member_id in held and envelope.id not in recorded:
            by_source.setdefault(envelope.source, []).append((envelope, data))
    for source, items in by_source.items():
        await append_many(
            session,
            [
                Addition(
                    data.member_id,
                    ChainItem(
                        EntryKind.evaluation,
                        data.finalized_at.date(),
                        {
                            "evaluation": "four_party",
                            **data.model_dump(mode="json", exclude={"member_id"}),
                        },
                        source_event_id=envelope.id,
                    ),
                )
                for envelope, data in items
            ],
            recorded_by=source,
            source=source,
        )
