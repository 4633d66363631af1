"""Queries on secretary terms."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from member_service.secretaries.models import SecretaryTerm
from member_service.temporal import overlaps
from service_kit.db import lock_keys
from service_kit.pagination import KeysetPage, PageParams, keyset_page

# Key space of the transaction locks that make writers of one organization's terms take turns.
ORGANIZATION_LOCK_SPACE = 72635404


async def lock_organization(session: AsyncSession, organization_id: uuid.UUID) -> None:
    await lock_organizations(session, [organization_id])


async def lock_organizations(session: AsyncSession, organization_ids: Sequence[uuid.UUID]) -> None:
    """lock_organization for many, in id order and one statement."""
    await lock_keys(session, ORGANIZATION_LOCK_SPACE, (str(o) for o in organization_ids))


async def overlapping_any(
    session: AsyncSession, organization_ids: Sequence[uuid.UUID], first: date, last: date
) -> list[SecretaryTerm]:
    """The terms of these organizations that share a day with [first, last], by start."""
    if not organization_ids:
        return []
    rows = await session.exec(
        select(SecretaryTerm)
        .where(
            col(SecretaryTerm.organization_id).in_(sorted(set(organization_ids))),
            overlaps(SecretaryTerm.term_start, SecretaryTerm.term_end, first, last),
        )
        .order_by(col(SecretaryTerm.term_start), col(SecretaryTerm.id))
    )
    return list(rows.all())


async def get_visible(
    session: AsyncSession, term_id: uuid.UUID, where: Any
) -> SecretaryTerm | None:
    rows = await session.exec(select(SecretaryTerm).where(SecretaryTerm.id == term_id, where))
    return rows.first()


async def overlapping(
    session: AsyncSession,
    organization_id: uuid.UUID,
    first: date,
    last: date,
    *,
    other_than: uuid.UUID | None = None,
) -> SecretaryTerm | None:
    statement = select(SecretaryTerm).where(
        SecretaryTerm.organization_id == organization_id,
        overlaps(SecretaryTerm.term_start, SecretaryTerm.term_end, first, last),
    )
    if other_than is not None:
        statement = statement.where(SecretaryTerm.id != other_than)
    return (await session.exec(statement.order_by(col(SecretaryTerm.term_start)).limit(1))).first()


async def page(
    session: AsyncSession,
    params: PageParams,
    where: Any,
    *,
    first: date | None,
    last: date | None,
    organization_ids: Sequence[uuid.UUID] | None,
    member_id: uuid.UUID | None,
) -> KeysetPage:
    statement = select(SecretaryTerm).where(where)
    if first is not None or last is not None:
        statement = statement.where(
            overlaps(
                SecretaryTerm.term_start,
                SecretaryTerm.term_end,
                first or date.min,
                last or date.max,
            )
        )
    if organization_ids is not None:
        statement = statement.where(col(SecretaryTerm.organization_id).in_(organization_ids))
    if member_id is not None:
        statement = statement.where(SecretaryTerm.member_id == member_id)
    return await keyset_page(
        session,
        statement,
        order_by=[col(SecretaryTerm.term_start), col(SecretaryTerm.id)],  # type: ignore[list-item]
        params=params,
    )
