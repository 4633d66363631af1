"""Queries on investors and their training."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from member_service.investors.models import Investor, InvestorTraining
from service_kit.pagination import KeysetPage, PageParams, keyset_page


async def get_visible(session: AsyncSession, investor_id: uuid.UUID, where: Any) -> Investor | None:
    rows = await session.exec(select(Investor).where(Investor.id == investor_id, where))
    return rows.first()


async def trainings(session: AsyncSession, investor_id: uuid.UUID) -> list[InvestorTraining]:
    rows = await session.exec(
        select(InvestorTraining)
        .where(InvestorTraining.investor_id == investor_id)
        .order_by(col(InvestorTraining.held_on), col(InvestorTraining.id))
    )
    return list(rows.all())


async def page(
    session: AsyncSession, params: PageParams, where: Any, *, work_target_id: uuid.UUID | None
) -> KeysetPage:
    statement = select(Investor).where(where)
    if work_target_id is not None:
        statement = statement.where(Investor.work_target_id == work_target_id)
    return await keyset_page(
        session,
        statement,
        order_by=[col(Investor.name), col(Investor.id)],  # type: ignore[list-item]
        params=params,
    )
