"""Queries on rating schemes and organization ratings."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from rating_service.organization_ratings.models import OrganizationRating, RatingScheme
from service_kit.pagination import KeysetPage, PageParams, keyset_page


async def scheme(session: AsyncSession, scheme_id: uuid.UUID) -> RatingScheme | None:
    return await session.get(RatingScheme, scheme_id)


async def scheme_on(session: AsyncSession, day: date) -> RatingScheme | None:
    """The scheme in force on `day`: the latest valid from then or earlier."""
    statement = (
        select(RatingScheme)
        .where(col(RatingScheme.valid_from) <= day)
        .order_by(col(RatingScheme.valid_from).desc(), col(RatingScheme.created_at).desc())
        .limit(1)
    )
    return (await session.exec(statement)).first()


async def page_schemes(session: AsyncSession, params: PageParams) -> KeysetPage:
    order: list[Any] = [col(RatingScheme.valid_from), col(RatingScheme.id)]
    return await keyset_page(session, select(RatingScheme), order_by=order, params=params)


async def get(session: AsyncSession, rating_id: uuid.UUID, where: Any) -> OrganizationRating | None:
    statement = select(OrganizationRating).where(OrganizationRating.id == rating_id, where)
    return (await session.exec(statement)).first()


async def get_many(
    session: AsyncSession, ids: Sequence[uuid.UUID], where: Any
) -> list[OrganizationRating]:
    statement = select(OrganizationRating).where(col(OrganizationRating.id).in_(ids), where)
    return list((await session.exec(statement)).all())


async def page(
    session: AsyncSession,
    params: PageParams,
    where: Any,
    *,
    organization_id: uuid.UUID | None = None,
) -> KeysetPage:
    statement = select(OrganizationRating).where(where)
    if organization_id is not None:
        statement = statement.where(OrganizationRating.organization_id == organization_id)
    order: list[Any] = [col(OrganizationRating.created_at), col(OrganizationRating.id)]
    return await keyset_page(session, statement, order_by=order, params=params)
