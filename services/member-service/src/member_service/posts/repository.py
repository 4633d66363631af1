"""Queries on posts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from member_service.posts.models import Post
from member_service.temporal import held_on, overlaps
from service_kit.pagination import KeysetPage, PageParams, keyset_page


async def get_visible(session: AsyncSession, post_id: uuid.UUID, where: Any) -> Post | None:
    rows = await session.exec(select(Post).where(Post.id == post_id, where))
    return rows.first()


async def overlapping(
    session: AsyncSession,
    member_id: uuid.UUID,
    kind: str,
    first: date,
    last: date,
    *,
    other_than: uuid.UUID | None = None,
) -> Post | None:
    statement = select(Post).where(
        Post.member_id == member_id,
        Post.kind == kind,
        overlaps(Post.started_on, Post.ended_on, first, last),
    )
    if other_than is not None:
        statement = statement.where(Post.id != other_than)
    return (await session.exec(statement.limit(1))).first()


async def page(
    session: AsyncSession,
    params: PageParams,
    where: Any,
    *,
    member_id: uuid.UUID | None,
    organization_id: uuid.UUID | None,
    kind: str | None,
    day: date | None,
) -> KeysetPage:
    statement = select(Post).where(where)
    if member_id is not None:
        statement = statement.where(Post.member_id == member_id)
    if organization_id is not None:
        statement = statement.where(Post.organization_id == organization_id)
    if kind is not None:
        statement = statement.where(Post.kind == kind)
    if day is not None:
        statement = statement.where(held_on(Post.started_on, Post.ended_on, day))
    return await keyset_page(
        session,
        statement,
        order_by=[col(Post.started_on), col(Post.id)],  # type: ignore[list-item]
        params=params,
    )


async def page_of_members(
    session: AsyncSession,
    params: PageParams,
    where: Any,
    *,
    member_ids: Sequence[uuid.UUID],
    day: date | None,
) -> KeysetPage:
    statement = select(Post).where(where, col(Post.member_id).in_(member_ids))
    if day is not None:
        statement = statement.where(held_on(Post.started_on, Post.ended_on, day))
    return await keyset_page(
        session,
        statement,
        order_by=[col(Post.member_id), col(Post.started_on), col(Post.id)],  # type: ignore[list-item]
        params=params,
    )
