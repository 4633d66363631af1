"""Queries on campaigns, their organizations, roll and secretaries."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, Literal

from sqlalchemy import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from rating_service.campaigns.models import (
    Campaign,
    CampaignOrganization,
    CampaignSecretary,
    CampaignSubject,
)
from service_kit.pagination import KeysetPage, PageParams, keyset_page

ROWS_PER_INSERT = 5000

Lock = Literal["key_share", "update"] | None


async def get(
    session: AsyncSession, campaign_id: uuid.UUID, where: Any, *, lock: Lock = None
) -> Campaign | None:
    statement = select(Campaign).where(Campaign.id == campaign_id, where)
    if lock == "key_share":
        # Ballots hold this while they are written; closing takes FOR UPDATE and so waits
        # for them, and a ballot that waited sees the campaign closed.
        statement = statement.with_for_update(read=True, key_share=True, of=Campaign)
    elif lock == "update":
        statement = statement.with_for_update(of=Campaign)
    return (await session.exec(statement)).first()


async def get_many(session: AsyncSession, ids: Sequence[uuid.UUID], where: Any) -> list[Campaign]:
    statement = select(Campaign).where(col(Campaign.id).in_(ids), where)
    return list((await session.exec(statement.order_by(col(Campaign.created_at)))).all())


async def page(
    session: AsyncSession,
    params: PageParams,
    where: Any,
    *,
    organization_id: uuid.UUID | None = None,
    status: str | None = None,
) -> KeysetPage:
    statement = select(Campaign).where(where)
    if organization_id is not None:
        statement = statement.where(Campaign.organization_id == organization_id)
    if status is not None:
        statement = statement.where(Campaign.status == status)
    order: list[Any] = [col(Campaign.created_at), col(Campaign.id)]
    return await keyset_page(session, statement, order_by=order, params=params)


async def add_roll(
    session: AsyncSession,
    *,
    organizations: Sequence[dict[str, Any]],
    subjects: Sequence[dict[str, Any]],
    secretaries: Sequence[dict[str, Any]],
) -> None:
    """Bulk-insert a new campaign's organizations, roll and secretaries."""
    connection = await session.connection()
    tables: list[tuple[Any, Sequence[dict[str, Any]]]] = [
        (CampaignOrganization.__table__, organizations),  # type: ignore[attr-defined]
        (CampaignSubject.__table__, subjects),  # type: ignore[attr-defined]
        (CampaignSecretary.__table__, secretaries),  # type: ignore[attr-defined]
    ]
    for table, rows in tables:
        for start in range(0, len(rows), ROWS_PER_INSERT):
            await connection.execute(insert(table), list(rows[start : start + ROWS_PER_INSERT]))


async def subject(
    session: AsyncSession, campaign_id: uuid.UUID, member_id: uuid.UUID
) -> CampaignSubject | None:
    return await session.get(CampaignSubject, (campaign_id, member_id))


async def page_subjects(
    session: AsyncSession,
    params: PageParams,
    campaign_id: uuid.UUID,
    where: Any,
    *,
    organization_id: uuid.UUID | None = None,
) -> KeysetPage:
    statement = select(CampaignSubject).where(CampaignSubject.campaign_id == campaign_id, where)
    if organization_id is not None:
        statement = statement.where(CampaignSubject.organization_id == organization_id)
    order: list[Any] = [col(CampaignSubject.organization_id), col(CampaignSubject.member_id)]
    return await keyset_page(session, statement, order_by=order, params=params)
