"""Queries of period runs, their lines and what each period has paid."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from funding_service.runs.models import PeriodLine, PeriodPayment, PeriodRun, utcnow
from service_kit.pagination import KeysetPage, PageParams, keyset_page

# Key space of the locks that make two runs of one period take turns.
RUN_LOCK_SPACE = 72635403


async def lock_period(session: AsyncSession, kind: str, period_start: date) -> None:
    await session.exec(
        select(func.pg_advisory_xact_lock(RUN_LOCK_SPACE, func.hashtext(f"{kind}:{period_start}")))
    )


async def paid_keys(
    session: AsyncSession, kind: str, period_start: date
) -> set[tuple[uuid.UUID, uuid.UUID]]:
    """(organization, member key) of the period's payments that stand (not reversed)."""
    statement = select(PeriodPayment.organization_id, PeriodPayment.member_key).where(
        PeriodPayment.kind == kind,
        PeriodPayment.period_start == period_start,
        col(PeriodPayment.reversed_at).is_(None),
    )
    return {(row[0], row[1]) for row in (await session.exec(statement)).all()}


async def insert_results(
    session: AsyncSession, lines: list[dict[str, Any]], payments: list[dict[str, Any]]
) -> None:
    connection = await session.connection()
    if lines:
        await connection.execute(PeriodLine.__table__.insert(), lines)  # type: ignore[attr-defined]
    if payments:
        await connection.execute(
            PeriodPayment.__table__.insert(),  # type: ignore[attr-defined]
            payments,
        )


async def mark_reversed(session: AsyncSession, transfer_id: uuid.UUID) -> None:
    await session.exec(
        update(PeriodPayment)
        .where(col(PeriodPayment.transfer_id) == transfer_id)
        .values(reversed_at=utcnow())
    )


async def get_many(session: AsyncSession, ids: list[uuid.UUID]) -> list[PeriodRun]:
    return list((await session.exec(select(PeriodRun).where(col(PeriodRun.id).in_(ids)))).all())


async def get(session: AsyncSession, run_id: uuid.UUID) -> PeriodRun | None:
    return await session.get(PeriodRun, run_id)


async def page_runs(
    session: AsyncSession, params: PageParams, *, kind: str | None, period: str | None
) -> KeysetPage:
    statement = select(PeriodRun)
    if kind is not None:
        statement = statement.where(PeriodRun.kind == kind)
    if period is not None:
        statement = statement.where(PeriodRun.period == period)
    order: list[Any] = [col(PeriodRun.started_at), col(PeriodRun.id)]
    return await keyset_page(session, statement, order_by=order, params=params)


async def page_lines(
    session: AsyncSession,
    params: PageParams,
    run_id: uuid.UUID,
    where: Any,
    *,
    status: str | None,
    reason: str | None,
) -> KeysetPage:
    statement = select(PeriodLine).where(PeriodLine.run_id == run_id, where)
    if status is not None:
        statement = statement.where(PeriodLine.status == status)
    if reason is not None:
        statement = statement.where(PeriodLine.reason == reason)
    order: list[Any] = [col(PeriodLine.id)]
    return await keyset_page(session, statement, order_by=order, params=params)
