"""Queries on regions and places."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from org_service.places.models import PROVINCIAL_OR_ABOVE, Place, Region
from service_kit.auth import subtree_filter
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


def region_ids_under(path: str) -> Any:
    """A subquery of the ids of the region at `path` and every region below it."""
    return select(Region.id).where(subtree_filter(Region.path, path))


def in_region_subtree(region_column: Any, path: str) -> Any:
    """SQL: `region_column` names the region at `path` or one below it."""
    return region_column.in_(region_ids_under(path))


async def get_place(session: AsyncSession, place_id: uuid.UUID) -> Place | None:
    return await session.get(Place, place_id)


async def place_name_taken(session: AsyncSession, region_id: uuid.UUID, name: str) -> bool:
    statement = select(Place.id).where(Place.region_id == region_id, Place.name == name)
    return (await session.exec(statement)).first() is not None


async def get_places(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[Place]:
    rows = await session.exec(select(Place).where(col(Place.id).in_(ids)))
    return list(rows.all())


async def page_places(
    session: AsyncSession,
    params: PageParams,
    *,
    kind: str | None = None,
    region_path: str | None = None,
    level: str | None = None,
    provincial_or_above: bool | None = None,
    parent_place_id: uuid.UUID | None = None,
) -> KeysetPage:
    statement = select(Place)
    if kind is not None:
        statement = statement.where(Place.kind == kind)
    if region_path is not None:
        statement = statement.where(in_region_subtree(col(Place.region_id), region_path))
    if level is not None:
        statement = statement.where(Place.level == level)
    if provincial_or_above is not None:
        levels = [lv.value for lv in PROVINCIAL_OR_ABOVE]
        is_high = col(Place.level).in_(levels)
        not_high = or_(col(Place.level).is_(None), col(Place.level).not_in(levels))
        statement = statement.where(is_high if provincial_or_above else not_high)
    if parent_place_id is not None:
        statement = statement.where(Place.parent_place_id == parent_place_id)
    order: list[Any] = [col(Place.name), col(Place.id)]
    return await keyset_page(session, statement, order_by=order, params=params)
