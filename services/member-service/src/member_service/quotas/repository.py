"""Queries on development quotas: the atomic draw, allocations, pages."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from member_service.quotas.models import DevelopmentQuota, QuotaDraw, utcnow
from service_kit.pagination import KeysetPage, PageParams, keyset_page


async def draw(session: AsyncSession, region_id: uuid.UUID, year: int) -> uuid.UUID | None:
    """Take one place of the quota, if one is left; the quota's id, else None.

    One statement: concurrent admissions queue on the quota's row, and each re-reads
    `used` after the one before it commits, so the last place goes to exactly one of them.
    """
    statement = (
        update(DevelopmentQuota)
        .where(
            col(DevelopmentQuota.region_id) == region_id,
            col(DevelopmentQuota.year) == year,
            col(DevelopmentQuota.used) < col(DevelopmentQuota.allocated),
        )
        .values(used=col(DevelopmentQuota.used) + 1, updated_at=utcnow())
        .returning(col(DevelopmentQuota.id))
    )
    result = await session.exec(statement)
    row = result.first()
    return None if row is None else uuid.UUID(str(row[0]))


async def get(session: AsyncSession, region_id: uuid.UUID, year: int) -> DevelopmentQuota | None:
    rows = await session.exec(
        select(DevelopmentQuota).where(
            DevelopmentQuota.region_id == region_id, DevelopmentQuota.year == year
        )
    )
    return rows.first()


async def lock(session: AsyncSession, region_id: uuid.UUID, year: int) -> DevelopmentQuota | None:
    rows = await session.exec(
        select(DevelopmentQuota)
        .where(DevelopmentQuota.region_id == region_id, DevelopmentQuota.year == year)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return rows.first()


def add_draw(session: AsyncSession, draw_row: QuotaDraw) -> None:
    session.add(draw_row)


async def page(
    session: AsyncSession, params: PageParams, where: Any, *, year: int | None
) -> KeysetPage:
    statement = select(DevelopmentQuota).where(where)
    if year is not None:
        statement = statement.where(DevelopmentQuota.year == year)
    return await keyset_page(
        session,
        statement,
        order_by=[col(DevelopmentQuota.year), col(DevelopmentQuota.region_id)],  # type: ignore[list-item]
        params=params,
    )
