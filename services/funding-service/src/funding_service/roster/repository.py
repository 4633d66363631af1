"""Queries of the member projection: member counts on a day, terms overlapping a period."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import NamedTuple

from sqlalchemy import func, or_, text
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from funding_service.roster.models import MemberPeriod, SecretaryTermRecord, utcnow
from funding_service.upstream.types import MemberCount, SecretaryTerm
from service_kit.events import layered

COUNTED_STAGES = ("full_member", "probationary_member")


# Stages after which a member belongs to no organization of this city.
GONE = frozenset({"transferred_out", "left", "deceased"})


class TimelineChange(NamedTuple):
    """From `day` on, the member is `stage` in `organization_id` (what followed is replaced)."""

    member_id: uuid.UUID
    day: date
    organization_id: uuid.UUID
    stage: str

    @property
    def opens_a_period(self) -> bool:
        """False: from `day` the member belongs to no organization of this city."""
        return self.stage not in GONE


# One row per member of a layer (service_kit.events.layered): its periods from the day on go,
# the one running on the day ends there.
_DELETE_FOLLOWING = text(
    "DELETE FROM member_period p "
    "USING unnest(CAST(:members AS uuid[]), CAST(:days AS date[])) AS v(member_id, day) "
    "WHERE p.member_id = v.member_id AND p.valid_from >= v.day"
)
_END_RUNNING = text(
    "UPDATE member_period p SET valid_to = v.day "
    "FROM unnest(CAST(:members AS uuid[]), CAST(:days AS date[])) AS v(member_id, day) "
    "WHERE p.member_id = v.member_id AND (p.valid_to IS NULL OR p.valid_to > v.day)"
)


async def restart_timelines(session: AsyncSession, changes: Sequence[TimelineChange]) -> None:
    """Apply the changes in order, a member's one after the other: three statements for each
    layer of the batch (each member at most once in a layer) however many members."""
    connection = await session.connection()
    table = MemberPeriod.__table__  # type: ignore[attr-defined]
    for layer in layered(changes, lambda c: c.member_id):
        keys = {"members": [c.member_id for c in layer], "days": [c.day for c in layer]}
        await connection.execute(_DELETE_FOLLOWING, keys)
        await connection.execute(_END_RUNNING, keys)
        opened = [
            {
                "id": uuid.uuid4(),
                "member_id": c.member_id,
                "organization_id": c.organization_id,
                "stage": c.stage,
                "valid_from": c.day,
                "valid_to": None,
            }
            for c in layer
            if c.opens_a_period
        ]
        if opened:
            await connection.execute(table.insert().values(opened))


async def record_terms(session: AsyncSession, terms: Sequence[SecretaryTerm]) -> None:
    """Keep each term as last announced (a name left empty keeps the one known): one
    statement for each layer of the batch (each term at most once in a layer)."""
    now = utcnow()
    for layer in layered(terms, lambda t: (t.member_id, t.organization_id, t.term_start)):
        statement = insert(SecretaryTermRecord).values(
            [
                {
                    "id": uuid.uuid4(),
                    "member_id": term.member_id,
                    "organization_id": term.organization_id,
                    "name": term.name,
                    "term_start": term.term_start,
                    "term_end": term.term_end,
                    "updated_at": now,
                }
                for term in layer
            ]
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
