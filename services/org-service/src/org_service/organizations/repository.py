"""Queries on organizations."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from org_service.organizations.models import Organization
from service_kit.auth import subtree_filter
from service_kit.pagination import KeysetPage, PageParams, keyset_page


async def get(session: AsyncSession, organization_id: uuid.UUID) -> Organization | None:
    return await session.get(Organization, organization_id)


async def get_visible(
    session: AsyncSession, organization_id: uuid.UUID, where: Any
) -> Organization | None:
    rows = await session.exec(select(Organization).where(Organization.id == organization_id, where))
    return rows.first()


async def get_many(
    session: AsyncSession, ids: Sequence[uuid.UUID], where: Any
) -> list[Organization]:
    rows = await session.exec(
        select(Organization).where(Organization.id.in_(ids), where)  # type: ignore[attr-defined]
    )
    return list(rows.all())


async def page(
    session: AsyncSession,
    params: PageParams,
    where: Any,
    *,
    kind: str | None = None,
    parent_id: uuid.UUID | None = None,
    region_id: uuid.UUID | None = None,
    under_path: str | None = None,
    industry_committee_id: uuid.UUID | None = None,
) -> KeysetPage:
    statement = select(Organization).where(where)
    if kind is not None:
        statement = statement.where(Organization.kind == kind)
    if parent_id is not None:
        statement = statement.where(Organization.parent_id == parent_id)
    if region_id is not None:
        statement = statement.where(Organization.region_id == region_id)
    if under_path is not None:
        statement = statement.where(subtree_filter(Organization.path, under_path))
    if industry_committee_id is not None:
        statement = statement.where(Organization.industry_committee_id == industry_committee_id)
    return await keyset_page(
        session,
        statement,
        order_by=[Organization.path],  # type: ignore[list-item]
        params=params,
    )
