"""Queries on star levels."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import and_, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from rating_service.star_levels.models import StarLevel
from service_kit.pagination import KeysetPage, PageParams, keyset_page


def in_force(day: date) -> Any:
    """SQL: the level holds on `day`."""
    return and_(
        col(StarLevel.valid_from) <= day,
        or_(col(StarLevel.valid_until).is_(None), col(StarLevel.valid_until) > day),
    )


async def current(
    session: AsyncSession, kind: str, ids: Sequence[uuid.UUID], where: Any, day: date
) -> list[StarLevel]:
    statement = select(StarLevel).where(
        StarLevel.subject_kind == kind, col(StarLevel.subject_id).in_(ids), in_force(day), where
    )
    return list((await session.exec(statement.order_by(col(StarLevel.subject_id)))).all())


async def page_current(
    session: AsyncSession, params: PageParams, kind: str, where: Any, day: date
) -> KeysetPage:
    statement = select(StarLevel).where(StarLevel.subject_kind == kind, in_force(day), where)
    order: list[Any] = [col(StarLevel.subject_id)]
    return await keyset_page(session, statement, order_by=order, params=params)


async def page_history(
    session: AsyncSession, params: PageParams, kind: str, subject_id: uuid.UUID, where: Any
) -> KeysetPage:
    statement = select(StarLevel).where(
        StarLevel.subject_kind == kind, StarLevel.subject_id == subject_id, where
    )
    order: list[Any] = [col(StarLevel.valid_from), col(StarLevel.recorded_at), col(StarLevel.id)]
    return await keyset_page(session, statement, order_by=order, params=params)


async def latest(session: AsyncSession, kind: str, subject_id: uuid.UUID) -> StarLevel | None:
    """The subject's most recent level, in force or not."""
    statement = (
        select(StarLevel)
        .where(StarLevel.subject_kind == kind, StarLevel.subject_id == subject_id)
        .order_by(col(StarLevel.valid_from).desc(), col(StarLevel.recorded_at).desc())
        .limit(1)
    )
    return (await session.exec(statement)).first()


async def end_on(session: AsyncSession, kind: str, subject_id: uuid.UUID, day: date) -> None:
    """End, on `day`, the subject's levels still holding then (a new level starts that day)."""
    await session.exec(
        update(StarLevel)
        .where(
            col(StarLevel.subject_kind) == kind,
            col(StarLevel.subject_id) == subject_id,
            or_(col(StarLevel.valid_until).is_(None), col(StarLevel.valid_until) > day),
        )
        .values(valid_until=day)
    )
