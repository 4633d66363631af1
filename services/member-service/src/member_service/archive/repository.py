"""Queries on archive entries: the head of a member's chain, pages, the whole chain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects.postgresql import distinct_on
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from member_service.archive.models import ArchiveEntry
from service_kit.db import lock_keys
from service_kit.pagination import KeysetPage, PageParams, keyset_page

# Key space of the transaction locks that make appenders to one member's chain take turns.
CHAIN_LOCK_SPACE = 72635403


async def lock_chains(session: AsyncSession, member_ids: Sequence[uuid.UUID]) -> None:
    """Until commit, other appenders to these members' chains wait (locks taken in id order,
    in one statement however many members)."""
    await lock_keys(session, CHAIN_LOCK_SPACE, (str(m) for m in member_ids))


async def head(session: AsyncSession, member_id: uuid.UUID) -> tuple[int, bytes] | None:
    """The seq and hash of the member's last entry."""
    row = (
        await session.exec(
            select(ArchiveEntry.seq, ArchiveEntry.hash)
            .where(ArchiveEntry.member_id == member_id)
            .order_by(col(ArchiveEntry.seq).desc())
            .limit(1)
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def heads(
    session: AsyncSession, member_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[int, bytes]]:
    """member id → the seq and hash of their last entry (members without entries left out)."""
    if not member_ids:
        return {}
    rows = await session.exec(
        select(ArchiveEntry.member_id, ArchiveEntry.seq, ArchiveEntry.hash)
        .where(col(ArchiveEntry.member_id).in_(sorted(set(member_ids))))
        .ext(distinct_on(col(ArchiveEntry.member_id)))
        .order_by(col(ArchiveEntry.member_id), col(ArchiveEntry.seq).desc())
    )
    return {member_id: (seq, hashed) for member_id, seq, hashed in rows.all()}


async def get(
    session: AsyncSession, member_id: uuid.UUID, entry_id: uuid.UUID
) -> ArchiveEntry | None:
    row = await session.exec(
        select(ArchiveEntry).where(ArchiveEntry.id == entry_id, ArchiveEntry.member_id == member_id)
    )
    return row.first()


async def recorded_source_events(
    session: AsyncSession, event_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of these events an entry records already."""
    if not event_ids:
        return set()
    rows = await session.exec(
        select(ArchiveEntry.source_event_id).where(col(ArchiveEntry.source_event_id).in_(event_ids))
    )
    return {event_id for event_id in rows.all() if event_id is not None}


async def correction_of(session: AsyncSession, entry_id: uuid.UUID) -> ArchiveEntry | None:
    row = await session.exec(select(ArchiveEntry).where(ArchiveEntry.corrects_id == entry_id))
    return row.first()


async def corrections_of(
    session: AsyncSession, entry_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    """corrected entry id → the entry that corrects it."""
    if not entry_ids:
        return {}
    rows = await session.exec(
        select(ArchiveEntry.corrects_id, ArchiveEntry.id).where(
            col(ArchiveEntry.corrects_id).in_(entry_ids)
        )
    )
    return {corrected: correcting for corrected, correcting in rows.all() if corrected}


async def page(
    session: AsyncSession,
    member_id: uuid.UUID,
    params: PageParams,
    kind: str | None,
    *,
    newest_first: bool = False,
) -> KeysetPage:
    statement = select(ArchiveEntry).where(ArchiveEntry.member_id == member_id)
    if kind is not None:
        statement = statement.where(ArchiveEntry.kind == kind)
    return await keyset_page(
        session,
        statement,
        order_by=[col(ArchiveEntry.seq)],  # type: ignore[list-item]
        params=params,
        descending=newest_first,
    )


async def chain(session: AsyncSession, member_id: uuid.UUID) -> list[ArchiveEntry]:
    rows = await session.exec(
        select(ArchiveEntry)
        .where(ArchiveEntry.member_id == member_id)
        .order_by(col(ArchiveEntry.seq))
    )
    return list(rows.all())


async def insert_rows(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Entries as column values, in one multi-row statement."""
    if rows:
        connection = await session.connection()
        table = ArchiveEntry.__table__  # type: ignore[attr-defined]
        await connection.execute(table.insert(), list(rows))
