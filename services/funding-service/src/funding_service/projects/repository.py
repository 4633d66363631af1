"""Queries of projects and bids."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from funding_service.projects.models import Project, ProjectBid
from service_kit.pagination import KeysetPage, PageParams, keyset_page


async def get(
    session: AsyncSession, project_id: uuid.UUID, where: Any, *, for_update: bool = False
) -> Project | None:
    statement = select(Project).where(Project.id == project_id, where)
    if for_update:
        statement = statement.with_for_update()
    return (await session.exec(statement)).first()


async def get_many(session: AsyncSession, ids: list[uuid.UUID]) -> list[Project]:
    return list((await session.exec(select(Project).where(col(Project.id).in_(ids)))).all())


async def page(
    session: AsyncSession, params: PageParams, where: Any, *, district_id: uuid.UUID | None
) -> KeysetPage:
    statement = select(Project).where(where)
    if district_id is not None:
        statement = statement.where(Project.district_id == district_id)
    order: list[Any] = [col(Project.created_at), col(Project.id)]
    return await keyset_page(session, statement, order_by=order, params=params)


async def bid(
    session: AsyncSession, bid_id: uuid.UUID, *, for_update: bool = False
) -> ProjectBid | None:
    statement = select(ProjectBid).where(ProjectBid.id == bid_id)
    if for_update:
        statement = statement.with_for_update()
    return (await session.exec(statement)).first()


async def bid_by_transfer(session: AsyncSession, transfer_id: uuid.UUID) -> ProjectBid | None:
    statement = select(ProjectBid).where(ProjectBid.transfer_id == transfer_id)
    return (await session.exec(statement)).first()


async def page_bids(
    session: AsyncSession, params: PageParams, project_id: uuid.UUID, where: Any
) -> KeysetPage:
    statement = select(ProjectBid).where(ProjectBid.project_id == project_id, where)
    order: list[Any] = [col(ProjectBid.created_at), col(ProjectBid.id)]
    return await keyset_page(session, statement, order_by=order, params=params)
