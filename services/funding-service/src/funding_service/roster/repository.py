"""Queries of the member projection: member counts on a day, terms overlapping a period."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import delete, func, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from funding_service.roster.models import MemberPeriod, SecretaryTermRecord, utcnow
from funding_service.upstream.types import MemberCount, SecretaryTerm

COUNTED_STAGES = ("full_member", "probationary_member")


async def restart_timeline(
    session: AsyncSession,
    member_id: uuid.UUID,
    day: date,
    organization_id: uuid.UUID,
    stage: str,
    *,
    open_new: bool,
) -> None:
    """From `day` on, the member is `stage` in `organization_id` (what followed is replaced)."""
    await session.exec(
        delete(MemberPeriod).where(
            col(MemberPeriod.member_id) == member_id, col(MemberPeriod.valid_from) >= day
        )
    )
    await session.exec(
        update(MemberPeriod)
        .where(
            col(MemberPeriod.member_id) == member_id,
            or_(col(MemberPeriod.valid_to).is_(None), col(MemberPeriod.valid_to) > day),
        )
        .values(valid_to=day)
    )
    if open_new:
        session.add(
            MemberPeriod(
                member_id=member_id, organization_id=organization_id, stage=stage, valid_from=day
            )
        )
        await session.flush()


async def record_term(session: AsyncSession, term: SecretaryTerm) -> None:
    statement = insert(SecretaryTermRecord).values(
        id=uuid.uuid4(),
        member_id=term.member_id,
        organization_id=term.organization_id,
        name=term.name,
        term_start=term.term_start,
        term_end=term.term_end,
        updated_at=utcnow(),
    )
    statement = statement.on_conflict_do_update(
        index_elements=["member_id", "organization_id", "term_start"],
        set_={
            "term_end": statement.excluded.term_end,
            "name": func.coalesce(
                func.nullif(statement.excluded.name, ""), SecretaryTermRecord.name
            ),
            "updated_at": statement.excluded.updated_at,
        },
    )
    await session.exec(statement)


async def counts_on(
    session: AsyncSession, day: date, organization_ids: Sequence[uuid.UUID] | None = None
) -> dict[uuid.UUID, MemberCount]:
    """Full and probationary members per home organization on `day`."""
    full = func.count().filter(col(MemberPeriod.stage) == "full_member")
    probationary = func.count().filter(col(MemberPeriod.stage) == "probationary_member")
    statement = (
        select(MemberPeriod.organization_id, full, probationary)
        .where(
            col(MemberPeriod.valid_from) <= day,
            or_(col(MemberPeriod.valid_to).is_(None), col(MemberPeriod.valid_to) > day),
            col(MemberPeriod.stage).in_(COUNTED_STAGES),
        )
        .group_by(col(MemberPeriod.organization_id))
    )
    if organization_ids is not None:
        statement = statement.where(col(MemberPeriod.organization_id).in_(organization_ids))
    rows = (await session.exec(statement)).all()
    return {row[0]: MemberCount(row[0], int(row[1]), int(row[2])) for row in rows}


TERMS = SecretaryTermRecord.__table__  # type: ignore[attr-defined]


async def terms_overlapping(session: AsyncSession, first: date, last: date) -> list[SecretaryTerm]:
    statement = sa_select(
        TERMS.c.member_id,
        TERMS.c.organization_id,
        TERMS.c.name,
        TERMS.c.term_start,
        TERMS.c.term_end,
    ).where(
        TERMS.c.term_start <= last,
        or_(TERMS.c.term_end.is_(None), TERMS.c.term_end >= first),
    )
    rows = (await (await session.connection()).execute(statement)).all()
    return [SecretaryTerm(*row) for row in rows]
