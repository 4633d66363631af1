"""Queries on ballots."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from rating_service.ballots.models import Ballot
from service_kit.pagination import KeysetPage, PageParams, keyset_page


async def add_once(session: AsyncSession, ballot: Ballot) -> bool:
    """Insert the ballot unless this evaluator has one for this member already (False)."""
    statement = (
        insert(Ballot)
        .values(**ballot.model_dump())
        .on_conflict_do_nothing(index_elements=["campaign_id", "member_id", "evaluator_hash"])
        .returning(col(Ballot.id))
    )
    return (await session.exec(statement)).first() is not None


async def page_of_evaluator(
    session: AsyncSession, params: PageParams, campaign_id: uuid.UUID, evaluator_hash: str
) -> KeysetPage:
    statement = select(Ballot).where(
        Ballot.campaign_id == campaign_id, Ballot.evaluator_hash == evaluator_hash
    )
    order: list[Any] = [col(Ballot.member_id)]
    return await keyset_page(session, statement, order_by=order, params=params)


async def evaluated_by(
    session: AsyncSession,
    campaign_id: uuid.UUID,
    evaluator_hash: str,
    member_ids: Sequence[uuid.UUID],
) -> set[uuid.UUID]:
    """Which of these members the evaluator has cast a ballot for."""
    statement = select(Ballot.member_id).where(
        Ballot.campaign_id == campaign_id,
        Ballot.evaluator_hash == evaluator_hash,
        col(Ballot.member_id).in_(member_ids),
    )
    return set((await session.exec(statement)).all())
