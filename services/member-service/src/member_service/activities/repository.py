"""Queries on activities and attendance."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from member_service.activities.models import Activity, Attendance
from service_kit.pagination import KeysetPage, PageParams, keyset_page


async def get_visible(session: AsyncSession, activity_id: uuid.UUID, where: Any) -> Activity | None:
    rows = await session.exec(select(Activity).where(Activity.id == activity_id, where))
    return rows.first()


async def tallies(
    session: AsyncSession, activity_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str, int]]:
    if not activity_ids:
        return {}
    rows = await session.exec(
        select(Attendance.activity_id, Attendance.status, func.count())
        .where(col(Attendance.activity_id).in_(activity_ids))
        .group_by(col(Attendance.activity_id), col(Attendance.status))
    )
    result: dict[uuid.UUID, dict[str, int]] = {}
    for activity_id, status, count in rows.all():
        result.setdefault(activity_id, {})[status] = int(count)
    return result


async def recorded(
    session: AsyncSession, activity_id: uuid.UUID, member_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    rows = await session.exec(
        select(Attendance.member_id).where(
            Attendance.activity_id == activity_id, col(Attendance.member_id).in_(member_ids)
        )
    )
    return set(rows.all())


async def attendance(session: AsyncSession, activity_id: uuid.UUID) -> list[Attendance]:
    rows = await session.exec(
        select(Attendance)
        .where(Attendance.activity_id == activity_id)
        .order_by(col(Attendance.recorded_at), col(Attendance.id))
    )
    return list(rows.all())


async def held_days(
    session: AsyncSession, organization_id: uuid.UUID, first: date, last: date
) -> list[tuple[str, date]]:
    rows = await session.exec(
        select(col(Activity.kind), col(Activity.held_on)).where(
            Activity.organization_id == organization_id,
            col(Activity.held_on) >= first,
            col(Activity.held_on) <= last,
        )
    )
    return [(kind, day) for kind, day in rows.all()]


async def page(
    session: AsyncSession,
    params: PageParams,
    where: Any,
    *,
    organization_id: uuid.UUID | None,
    kind: str | None,
) -> KeysetPage:
    statement = select(Activity).where(where)
    if organization_id is not None:
        statement = statement.where(Activity.organization_id == organization_id)
    if kind is not None:
        statement = statement.where(Activity.kind == kind)
    return await keyset_page(
        session,
        statement,
        order_by=[col(Activity.held_on), col(Activity.id)],  # type: ignore[list-item]
        params=params,
    )
