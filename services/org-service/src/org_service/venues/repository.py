"""Queries on venues and showcase sites."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from org_service.places.repository import in_region_subtree
from org_service.temporal import valid_on
from org_service.venues.models import ShowcaseSite, Venue
from service_kit.pagination import KeysetPage, PageParams, keyset_page


def open_on(day: date) -> Any:
    """SQL: the venue is open on `day` (opened, and not yet closed)."""
    return and_(
        col(Venue.opened_on) <= day,
        or_(col(Venue.closed_on).is_(None), col(Venue.closed_on) > day),
    )


async def get(session: AsyncSession, venue_id: uuid.UUID) -> Venue | None:
    return await session.get(Venue, venue_id)


async def get_many(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[Venue]:
    return list((await session.exec(select(Venue).where(col(Venue.id).in_(ids)))).all())


async def page(
    session: AsyncSession,
    params: PageParams,
    *,
    kind: str | None = None,
    region_path: str | None = None,
    place_id: uuid.UUID | None = None,
    run_by_organization_id: uuid.UUID | None = None,
    open_day: date | None = None,
) -> KeysetPage:
    statement = select(Venue)
    if kind is not None:
        statement = statement.where(Venue.kind == kind)
    if region_path is not None:
        statement = statement.where(in_region_subtree(col(Venue.region_id), region_path))
    if place_id is not None:
        statement = statement.where(Venue.place_id == place_id)
    if run_by_organization_id is not None:
        statement = statement.where(Venue.run_by_organization_id == run_by_organization_id)
    if open_day is not None:
        statement = statement.where(open_on(open_day))
    order: list[Any] = [col(Venue.name), col(Venue.id)]
    return await keyset_page(session, statement, order_by=order, params=params)


async def get_showcase(
    session: AsyncSession, site_id: uuid.UUID, where: Any, *, for_update: bool = False
) -> ShowcaseSite | None:
    statement = select(ShowcaseSite).where(ShowcaseSite.id == site_id, where)
    if for_update:
        statement = statement.with_for_update(of=ShowcaseSite)
    return (await session.exec(statement)).first()


async def showcases_of(session: AsyncSession, organization_id: uuid.UUID) -> list[ShowcaseSite]:
    statement = select(ShowcaseSite).where(ShowcaseSite.organization_id == organization_id)
    return list((await session.exec(statement)).all())


def showcase_valid_on(day: date) -> Any:
    return valid_on(ShowcaseSite.since, ShowcaseSite.until, day)


async def page_showcases(
    session: AsyncSession,
    params: PageParams,
    where: Any,
    *,
    organization_id: uuid.UUID | None = None,
    source: str | None = None,
    day: date | None = None,
) -> KeysetPage:
    statement = select(ShowcaseSite).where(where)
    if organization_id is not None:
        statement = statement.where(ShowcaseSite.organization_id == organization_id)
    if source is not None:
        statement = statement.where(ShowcaseSite.source == source)
    if day is not None:
        statement = statement.where(showcase_valid_on(day))
    order: list[Any] = [col(ShowcaseSite.since), col(ShowcaseSite.id)]
    return await keyset_page(session, statement, order_by=order, params=params)
