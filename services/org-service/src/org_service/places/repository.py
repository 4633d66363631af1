"""Queries on regions."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from org_service.places.models import Region
from service_kit.pagination import KeysetPage, PageParams, keyset_page


async def get(session: AsyncSession, region_id: uuid.UUID) -> Region | None:
    return await session.get(Region, region_id)


async def get_many(session: AsyncSession, ids: Sequence[uuid.UUID], where: Any) -> list[Region]:
    rows = await session.exec(select(Region).where(Region.id.in_(ids), where))  # type: ignore[attr-defined]
    return list(rows.all())


async def page(
    session: AsyncSession,
    params: PageParams,
    where: Any,
    *,
    kind: str | None = None,
    parent_id: uuid.UUID | None = None,
) -> KeysetPage:
    statement = select(Region).where(where)
    if kind is not None:
        statement = statement.where(Region.kind == kind)
    if parent_id is not None:
        statement = statement.where(Region.parent_id == parent_id)
    return await keyset_page(session, statement, order_by=[Region.path], params=params)  # type: ignore[list-item]
