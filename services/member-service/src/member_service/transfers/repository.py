"""Queries on transfers."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from member_service.transfers.models import Transfer
from service_kit.pagination import KeysetPage, PageParams, keyset_page


async def get_visible(session: AsyncSession, transfer_id: uuid.UUID, where: Any) -> Transfer | None:
    rows = await session.exec(select(Transfer).where(Transfer.id == transfer_id, where))
    return rows.first()


async def lock(session: AsyncSession, transfer_id: uuid.UUID) -> Transfer:
    rows = await session.exec(
        select(Transfer)
        .where(Transfer.id == transfer_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return rows.one()


async def pending_of(session: AsyncSession, member_id: uuid.UUID) -> Transfer | None:
    rows = await session.exec(
        select(Transfer).where(Transfer.member_id == member_id, Transfer.status == "pending")
    )
    return rows.first()


async def page(
    session: AsyncSession,
    params: PageParams,
    where: Any,
    *,
    member_id: uuid.UUID | None,
    organization_id: uuid.UUID | None,
    status: Any,
) -> KeysetPage:
    statement = select(Transfer).where(where)
    if member_id is not None:
        statement = statement.where(Transfer.member_id == member_id)
    if organization_id is not None:
        statement = statement.where(
            (col(Transfer.from_organization_id) == organization_id)
            | (col(Transfer.to_organization_id) == organization_id)
        )
    if status is not None:
        statement = statement.where(status)
    return await keyset_page(
        session,
        statement,
        order_by=[col(Transfer.initiated_on), col(Transfer.id)],  # type: ignore[list-item]
        params=params,
    )
