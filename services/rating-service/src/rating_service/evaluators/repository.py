"""Queries on evaluator registrations."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from rating_service.evaluators.models import EvaluatorRegistration
from service_kit.pagination import KeysetPage, PageParams, keyset_page


async def get(
    session: AsyncSession, registration_id: uuid.UUID, where: Any, *, for_update: bool = False
) -> EvaluatorRegistration | None:
    statement = select(EvaluatorRegistration).where(
        EvaluatorRegistration.id == registration_id, where
    )
    if for_update:
        statement = statement.with_for_update(of=EvaluatorRegistration)
    return (await session.exec(statement)).first()


async def get_many(
    session: AsyncSession, ids: Sequence[uuid.UUID], where: Any
) -> list[EvaluatorRegistration]:
    statement = select(EvaluatorRegistration).where(col(EvaluatorRegistration.id).in_(ids), where)
    return list((await session.exec(statement)).all())


async def page(
    session: AsyncSession,
    params: PageParams,
    where: Any,
    *,
    kind: str | None = None,
    organization_id: uuid.UUID | None = None,
    account: str | None = None,
) -> KeysetPage:
    statement = select(EvaluatorRegistration).where(where)
    if kind is not None:
        statement = statement.where(EvaluatorRegistration.kind == kind)
    if organization_id is not None:
        statement = statement.where(EvaluatorRegistration.organization_id == organization_id)
    if account is not None:
        statement = statement.where(EvaluatorRegistration.account == account)
    order: list[Any] = [col(EvaluatorRegistration.created_at), col(EvaluatorRegistration.id)]
    return await keyset_page(session, statement, order_by=order, params=params)
