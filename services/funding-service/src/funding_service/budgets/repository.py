"""Queries of budget lines and budgets."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from funding_service.budgets.models import Budget, BudgetLine
from funding_service.ledger.models import Account
from service_kit.pagination import KeysetPage, PageParams, keyset_page


async def lines(session: AsyncSession) -> list[BudgetLine]:
    return list((await session.exec(select(BudgetLine).order_by(col(BudgetLine.code)))).all())


async def lines_by_id(session: AsyncSession) -> dict[uuid.UUID, BudgetLine]:
    return {line.id: line for line in await lines(session)}


async def get(
    session: AsyncSession, budget_id: uuid.UUID, where: Any, *, for_update: bool = False
) -> Budget | None:
    statement = select(Budget).where(Budget.id == budget_id, where)
    if for_update:
        statement = statement.with_for_update()
    return (await session.exec(statement)).first()


async def get_many(session: AsyncSession, ids: Sequence[uuid.UUID], where: Any) -> list[Budget]:
    return list((await session.exec(select(Budget).where(col(Budget.id).in_(ids), where))).all())


async def find(
    session: AsyncSession, fiscal_year: int, level: str, region_id: uuid.UUID, line_id: uuid.UUID
) -> Budget | None:
    statement = select(Budget).where(
        Budget.fiscal_year == fiscal_year,
        Budget.level == level,
        Budget.region_id == region_id,
        Budget.budget_line_id == line_id,
    )
    return (await session.exec(statement)).first()


async def find_many(
    session: AsyncSession, fiscal_year: int, line_id: uuid.UUID
) -> dict[tuple[str, uuid.UUID], Budget]:
    """The budgets of a year and line, by (level, region)."""
    statement = select(Budget).where(
        Budget.fiscal_year == fiscal_year, Budget.budget_line_id == line_id
    )
    return {(b.level, b.region_id): b for b in (await session.exec(statement)).all()}


async def balances(session: AsyncSession, account_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    if not account_ids:
        return {}
    statement = select(Account.id, Account.balance_fen).where(col(Account.id).in_(account_ids))
    return {row[0]: row[1] for row in (await session.exec(statement)).all()}


async def page(
    session: AsyncSession,
    params: PageParams,
    where: Any,
    *,
    fiscal_year: int | None = None,
    level: str | None = None,
    region_id: uuid.UUID | None = None,
    line_id: uuid.UUID | None = None,
) -> KeysetPage:
    statement = select(Budget).where(where)
    if fiscal_year is not None:
        statement = statement.where(Budget.fiscal_year == fiscal_year)
    if level is not None:
        statement = statement.where(Budget.level == level)
    if region_id is not None:
        statement = statement.where(Budget.region_id == region_id)
    if line_id is not None:
        statement = statement.where(Budget.budget_line_id == line_id)
    order: list[Any] = [
        col(Budget.fiscal_year),
        col(Budget.level),
        col(Budget.region_id),
        col(Budget.budget_line_id),
        col(Budget.id),
    ]
    return await keyset_page(session, statement, order_by=order, params=params)
