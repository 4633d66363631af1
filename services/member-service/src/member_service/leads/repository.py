"""Queries on leads: by client and ID-number hash, members by hash, bulk writes, pages."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from member_service.leads.models import MemberLead
from member_service.members.models import Member
from service_kit.pagination import KeysetPage, PageParams, keyset_page
from service_kit.rows import insert_rows, update_rows

LEADS = MemberLead.__table__  # type: ignore[attr-defined]


async def lock_reports(
    session: AsyncSession, client: str, digests: Sequence[bytes]
) -> dict[tuple[uuid.UUID, bytes], MemberLead]:
    """The client's leads of these ID numbers, by (employer, hash), locked until commit."""
    if not digests:
        return {}
    rows = await session.exec(
        select(MemberLead)
        .where(MemberLead.client == client, col(MemberLead.id_number_hash).in_(list(digests)))
        .order_by(col(MemberLead.id))
        .with_for_update()
    )
    return {(lead.employer_id, lead.id_number_hash): lead for lead in rows.all()}


async def members_by_hash(
    session: AsyncSession, digests: Sequence[bytes]
) -> dict[bytes, uuid.UUID]:
    if not digests:
        return {}
    rows = await session.exec(
        select(Member.id_number_hash, Member.id).where(
            col(Member.id_number_hash).in_(list(digests))
        )
    )
    return dict(rows.all())


async def insert_leads(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    await insert_rows(session, LEADS, rows)


async def update_leads(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Set each lead's columns given in its row (rows carry `id`)."""
    await update_rows(session, LEADS, rows)


async def get_visible(
    session: AsyncSession, lead_id: uuid.UUID, where: Any, *, for_update: bool = False
) -> MemberLead | None:
    statement = select(MemberLead).where(MemberLead.id == lead_id, where)
    if for_update:
        statement = statement.with_for_update()
    return (await session.exec(statement)).first()


async def get_many(session: AsyncSession, ids: Sequence[uuid.UUID], where: Any) -> list[MemberLead]:
    statement = (
        select(MemberLead)
        .where(col(MemberLead.id).in_(list(ids)), where)
        .order_by(col(MemberLead.name), col(MemberLead.id))
    )
    return list((await session.exec(statement)).all())


async def page(
    session: AsyncSession,
    params: PageParams,
    where: Any,
    *,
    organization_id: uuid.UUID | None,
    status: str | None,
    employer_id: uuid.UUID | None,
) -> KeysetPage:
    statement = select(MemberLead).where(where)
    if organization_id is not None:
        statement = statement.where(MemberLead.responsible_organization_id == organization_id)
    if status is not None:
        statement = statement.where(MemberLead.status == status)
    if employer_id is not None:
        statement = statement.where(MemberLead.employer_id == employer_id)
    order: list[Any] = [col(MemberLead.name), col(MemberLead.id)]
    return await keyset_page(session, statement, order_by=order, params=params)


async def page_reports(
    session: AsyncSession, params: PageParams, *, client: str, external_id: str | None
) -> KeysetPage:
    statement = select(MemberLead).where(MemberLead.client == client)
    if external_id is not None:
        statement = statement.where(MemberLead.external_id == external_id)
    order: list[Any] = [col(MemberLead.created_at), col(MemberLead.id)]
    return await keyset_page(session, statement, order_by=order, params=params)
