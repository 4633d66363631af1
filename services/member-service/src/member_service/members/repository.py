"""Queries on members: records, their versions, counts by organization, trainings."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Date, Uuid, and_, column, func, values
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from member_service.members.models import Member, MemberTraining, MemberVersion, Stage
from member_service.temporal import valid_on
from service_kit.pagination import KeysetPage, PageParams, keyset_page


async def get_visible(session: AsyncSession, member_id: uuid.UUID, where: Any) -> Member | None:
    rows = await session.exec(select(Member).where(Member.id == member_id, where))
    return rows.first()


async def get_many(session: AsyncSession, ids: Sequence[uuid.UUID], where: Any) -> list[Member]:
    rows = await session.exec(
        select(Member)
        .where(col(Member.id).in_(ids), where)
        .order_by(col(Member.name), col(Member.id))
    )
    return list(rows.all())


async def lock(session: AsyncSession, member_id: uuid.UUID) -> Member | None:
    """The member's row, locked until commit and reloaded."""
    rows = await session.exec(
        select(Member)
        .where(Member.id == member_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return rows.first()


async def by_id_number_hash(session: AsyncSession, digest: bytes, where: Any) -> Member | None:
    rows = await session.exec(select(Member).where(Member.id_number_hash == digest, where))
    return rows.first()


async def existing_hashes(session: AsyncSession, digests: Sequence[bytes]) -> set[bytes]:
    rows = await session.exec(
        select(Member.id_number_hash).where(col(Member.id_number_hash).in_(digests))
    )
    return set(rows.all())


async def existing_ids(session: AsyncSession, ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    rows = await session.exec(select(Member.id).where(col(Member.id).in_(ids)))
    return set(rows.all())


async def page(
    session: AsyncSession,
    params: PageParams,
    where: Any,
    *,
    organization_id: uuid.UUID | None,
    serving_organization_id: uuid.UUID | None,
    stage: str | None,
) -> KeysetPage:
    statement = select(Member).where(where)
    if organization_id is not None:
        statement = statement.where(Member.organization_id == organization_id)
    if serving_organization_id is not None:
        statement = statement.where(Member.serving_organization_id == serving_organization_id)
    if stage is not None:
        statement = statement.where(Member.stage == stage)
    return await keyset_page(
        session,
        statement,
        order_by=[col(Member.name), col(Member.id)],  # type: ignore[list-item]
        params=params,
    )


async def open_version(session: AsyncSession, member_id: uuid.UUID) -> MemberVersion | None:
    rows = await session.exec(
        select(MemberVersion).where(
            MemberVersion.member_id == member_id, col(MemberVersion.valid_to).is_(None)
        )
    )
    return rows.first()


async def versions(session: AsyncSession, member_id: uuid.UUID) -> list[MemberVersion]:
    rows = await session.exec(
        select(MemberVersion)
        .where(MemberVersion.member_id == member_id)
        .order_by(col(MemberVersion.valid_from))
    )
    return list(rows.all())


async def stages_on(
    session: AsyncSession, member_ids: Sequence[uuid.UUID], day: date
) -> dict[uuid.UUID, str]:
    """Each member's stage on `day` (members without a version on that day are left out)."""
    rows = await session.exec(
        select(MemberVersion.member_id, MemberVersion.stage).where(
            col(MemberVersion.member_id).in_(member_ids),
            valid_on(MemberVersion.valid_from, MemberVersion.valid_to, day),
        )
    )
    return {member_id: stage for member_id, stage in rows.all()}


async def stages_at(
    session: AsyncSession, pairs: Sequence[tuple[uuid.UUID, date]]
) -> dict[tuple[uuid.UUID, date], str]:
    """(member id, day) → the member's stage on that day (pairs without a version left out)."""
    wanted = sorted(set(pairs))
    if not wanted:
        return {}
    asked = values(column("member_id", Uuid), column("day", Date), name="asked").data(wanted)
    day: Any = asked.c.day  # valid_on against each pair's day
    rows = await session.exec(
        select(asked.c.member_id, asked.c.day, MemberVersion.stage).join(
            MemberVersion,
            and_(
                col(MemberVersion.member_id) == asked.c.member_id,
                valid_on(MemberVersion.valid_from, MemberVersion.valid_to, day),
            ),
        )
    )
    return {(member_id, on): stage for member_id, on, stage in rows.all()}


async def counts_on(
    session: AsyncSession, organization_ids: Sequence[uuid.UUID], day: date
) -> dict[uuid.UUID, tuple[int, int]]:
    """organization id → (full members, probationary members) whose home it was on `day`."""
    full = func.count().filter(col(MemberVersion.stage) == Stage.full_member)
    probationary = func.count().filter(col(MemberVersion.stage) == Stage.probationary_member)
    rows = await session.exec(
        select(MemberVersion.organization_id, full, probationary)
        .where(
            col(MemberVersion.organization_id).in_(organization_ids),
            col(MemberVersion.stage).in_([Stage.full_member, Stage.probationary_member]),
            valid_on(MemberVersion.valid_from, MemberVersion.valid_to, day),
        )
        .group_by(col(MemberVersion.organization_id))
    )
    return {org: (int(f), int(p)) for org, f, p in rows.all()}


async def trainings(session: AsyncSession, member_id: uuid.UUID) -> list[MemberTraining]:
    rows = await session.exec(
        select(MemberTraining)
        .where(MemberTraining.member_id == member_id)
        .order_by(col(MemberTraining.started_on), col(MemberTraining.id))
    )
    return list(rows.all())


async def not_under_key(session: AsyncSession, key_id: str, limit: int) -> list[Member]:
    rows = await session.exec(
        select(Member)
        .where(Member.id_number_key_id != key_id)
        .order_by(col(Member.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(rows.all())


async def count_not_under_key(session: AsyncSession, key_id: str) -> int:
    rows = await session.exec(
        select(func.count()).select_from(Member).where(Member.id_number_key_id != key_id)
    )
    return int(rows.one())


async def first_of_organizations(
    session: AsyncSession,
    organization_ids: Sequence[uuid.UUID],
    where: Any,
    *,
    limit: int,
    stage: str | None,
) -> list[Member]:
    """Up to `limit` members of each organization, by name then id (the order of `page`)."""
    rank = (
        func.row_number()
        .over(partition_by=col(Member.organization_id), order_by=(col(Member.name), col(Member.id)))
        .label("rank")
    )
    ranked = select(Member.id, rank).where(where, col(Member.organization_id).in_(organization_ids))
    if stage is not None:
        ranked = ranked.where(Member.stage == stage)
    first = ranked.subquery("first")
    rows = await session.exec(
        select(Member)
        .join(first, first.c.id == Member.id)
        .where(first.c.rank <= limit)
        .order_by(col(Member.organization_id), col(Member.name), col(Member.id))
    )
    return list(rows.all())


async def insert_new(
    session: AsyncSession,
    *,
    members: Sequence[dict[str, Any]],
    versions: Sequence[dict[str, Any]],
) -> None:
    """New members and their first versions, one statement per table."""
    connection = await session.connection()
    tables = (Member.__table__, MemberVersion.__table__)  # type: ignore[attr-defined]
    for table, rows in zip(tables, (members, versions), strict=True):
        if rows:
            await connection.execute(table.insert(), list(rows))
