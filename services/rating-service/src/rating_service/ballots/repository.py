"""Queries on ballots."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import and_
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from rating_service.ballots.models import Ballot
from rating_service.campaigns.models import Campaign, CampaignSubject
from rating_service.evaluators.eligibility import Evaluator, evaluable_clause, parties_array
from rating_service.parties import PARTIES, Party
from service_kit.pagination import KeysetPage, PageParams, keyset_page


async def for_ballots(
    session: AsyncSession,
    campaign_id: uuid.UUID,
    member_ids: Sequence[uuid.UUID],
    evaluator: Evaluator,
    day: date,
) -> tuple[Campaign, dict[uuid.UUID, tuple[CampaignSubject, list[Party]]]] | None:
    """In one statement: the campaign (held with FOR KEY SHARE while ballots are written, so
    that closing waits for them and ballots that waited see the campaign closed), the members
    on its roll, and the parties in which the evaluator may evaluate each of them."""
    statement = (
        select(Campaign, CampaignSubject, parties_array(campaign_id, evaluator, day))
        .outerjoin(
            CampaignSubject,
            and_(
                col(CampaignSubject.campaign_id) == col(Campaign.id),
                col(CampaignSubject.member_id).in_(member_ids),
            ),
        )
        .where(col(Campaign.id) == campaign_id)
        .with_for_update(read=True, key_share=True, of=Campaign)
    )
    rows = (await session.exec(statement)).all()
    if not rows:
        return None
    subjects = {
        subject.member_id: (subject, [p for p, h in zip(PARTIES, holds, strict=True) if h])
        for _, subject, holds in rows
        if subject is not None
    }
    return rows[0][0], subjects


async def add_once(session: AsyncSession, ballots: Sequence[Ballot]) -> set[uuid.UUID]:
    """Insert the ballots but those whose evaluator has one for the member already; returns
    the members whose ballots were inserted."""
    statement = (
        insert(Ballot)
        .values([b.model_dump() for b in ballots])
        .on_conflict_do_nothing(index_elements=["campaign_id", "member_id", "evaluator_hash"])
        .returning(col(Ballot.member_id))
    )
    connection = await session.connection()
    return set((await connection.execute(statement)).scalars().all())


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
    connection = await session.connection()
    return set((await connection.execute(statement)).scalars().all())


async def page_evaluable(
    session: AsyncSession,
    params: PageParams,
    campaign_id: uuid.UUID,
    evaluator: Evaluator,
    day: date,
    *,
    organization_id: uuid.UUID | None = None,
) -> KeysetPage:
    """Members on the campaign's roll the evaluator may evaluate, by organization."""
    statement = select(CampaignSubject).where(
        CampaignSubject.campaign_id == campaign_id, evaluable_clause(campaign_id, evaluator, day)
    )
    if organization_id is not None:
        statement = statement.where(CampaignSubject.organization_id == organization_id)
    order: list[Any] = [col(CampaignSubject.organization_id), col(CampaignSubject.member_id)]
    return await keyset_page(session, statement, order_by=order, params=params)


async def parties_of(
    session: AsyncSession,
    campaign_id: uuid.UUID,
    member_ids: Sequence[uuid.UUID],
    evaluator: Evaluator,
    day: date,
) -> dict[uuid.UUID, list[Party]]:
    """For each member, the parties in which the evaluator may evaluate them."""
    if not member_ids:
        return {}
    statement = select(CampaignSubject.member_id, parties_array(campaign_id, evaluator, day)).where(
        CampaignSubject.campaign_id == campaign_id,
        col(CampaignSubject.member_id).in_(member_ids),
    )
    rows = (await session.exec(statement)).all()
    return {
        member_id: [p for p, h in zip(PARTIES, holds, strict=True) if h]
        for member_id, holds in rows
    }
