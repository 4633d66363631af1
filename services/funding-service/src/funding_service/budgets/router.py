"""HTTP endpoints of budget lines (/budget-lines) and budgets (/budgets) with their execution."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from funding_service.budgets import repository, service
from funding_service.budgets.models import BudgetLevel
from funding_service.budgets.schemas import (
    BudgetAdjust,
    BudgetCreate,
    BudgetLineCreate,
    BudgetLinePublic,
    BudgetPublic,
)
from funding_service.deps import OrgDep, ReachDep
from funding_service.idempotency import IdempotencyDep
from funding_service.ledger import service as ledger
from funding_service.upstream.client import UPSTREAM_RESPONSES as UPSTREAM
from service_kit.auth import Principal, require_scope
from service_kit.db import SessionDep
from service_kit.deps import PublisherDep
from service_kit.pagination import Page, PageParamsDep, parse_ids

lines = APIRouter(prefix="/budget-lines", tags=["budgets"])
budgets = APIRouter(prefix="/budgets", tags=["budgets"])

ReadPrincipal = Annotated[Principal, require_scope("funding:read")]
WritePrincipal = Annotated[Principal, require_scope("funding:write")]
AdminPrincipal = Annotated[Principal, require_scope("funding:admin")]


@lines.get("", response_model=list[BudgetLinePublic], operation_id="list_budget_lines")
async def list_budget_lines(
    session: SessionDep, principal: ReadPrincipal
) -> list[BudgetLinePublic]:
    """Every budget line (三项经费、一项津贴 and any added since), by code."""
    return [service.line_public(line) for line in await repository.lines(session)]


@lines.post(
    "",
    response_model=BudgetLinePublic,
    status_code=status.HTTP_201_CREATED,
    operation_id="create_budget_line",
)
async def create_budget_line(
    data: BudgetLineCreate,
    session: SessionDep,
    principal: AdminPrincipal,
    idempotency: IdempotencyDep,
) -> BudgetLinePublic:
    """Add a budget line; budgets, accounts and exports take it up without a change of code."""

    async def act() -> BudgetLinePublic:
        line = await service.create_line(session=session, principal=principal, data=data)
        return service.line_public(line)

    return await idempotency.run(session, body=data, result_type=BudgetLinePublic, action=act)


@budgets.post(
    "",
    response_model=BudgetPublic,
    status_code=status.HTTP_201_CREATED,
    operation_id="create_budget",
    responses=UPSTREAM,
)
async def create_budget(
    data: BudgetCreate,
    session: SessionDep,
    principal: WritePrincipal,
    publisher: PublisherDep,
    org: OrgDep,
    idempotency: IdempotencyDep,
) -> BudgetPublic:
    """Set the budget of a fiscal year, level, region and line, funded from the treasury."""

    async def act() -> BudgetPublic:
        budget = await service.create(
            session=session, principal=principal, publisher=publisher, org=org, data=data
        )
        return await service.public(session, budget)

    return await idempotency.run(session, body=data, result_type=BudgetPublic, action=act)


@budgets.post(
    "/{budget_id}/adjustments",
    response_model=BudgetPublic,
    operation_id="adjust_budget",
    responses=UPSTREAM,
)
async def adjust_budget(
    budget_id: uuid.UUID,
    data: BudgetAdjust,
    session: SessionDep,
    principal: WritePrincipal,
    publisher: PublisherDep,
    reach: ReachDep,
    idempotency: IdempotencyDep,
) -> BudgetPublic:
    """Raise or lower a budget (never below what has been spent from it)."""

    async def act() -> BudgetPublic:
        budget = await service.adjust(
            session=session,
            principal=principal,
            publisher=publisher,
            reach=reach,
            budget_id=budget_id,
            data=data,
        )
        return await service.public(session, budget)

    return await idempotency.run(session, body=data, result_type=BudgetPublic, action=act)


@budgets.get(
    "/{budget_id}", response_model=BudgetPublic, operation_id="get_budget", responses=UPSTREAM
)
async def get_budget(
    budget_id: uuid.UUID, session: SessionDep, principal: ReadPrincipal, reach: ReachDep
) -> BudgetPublic:
    """One budget with its execution: budgeted, executed and available, in fen."""
    budget = await service.get(session=session, reach=reach, budget_id=budget_id)
    return await service.public(session, budget)


@budgets.get("", response_model=Page[BudgetPublic], operation_id="list_budgets", responses=UPSTREAM)
async def list_budgets(
    session: SessionDep,
    principal: ReadPrincipal,
    reach: ReachDep,
    page: PageParamsDep,
    ids: Annotated[str | None, Query(description="comma-separated ids: a batch get")] = None,
    fiscal_year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    level: BudgetLevel | None = None,
    region_id: uuid.UUID | None = None,
    budget_line: Annotated[str | None, Query(max_length=50, description="a line's code")] = None,
) -> Page[BudgetPublic]:
    """Budgets and their execution by fiscal year, level, region and line."""
    where = service.visible_budgets(reach)
    wanted = parse_ids(ids)
    if wanted is not None:
        rows = await repository.get_many(session, wanted, where)
        return Page(items=await service.public_many(session, rows))
    line_id = (await ledger.line_by_code(session, budget_line)).id if budget_line else None
    result = await repository.page(
        session,
        page,
        where,
        fiscal_year=fiscal_year,
        level=level.value if level else None,
        region_id=region_id,
        line_id=line_id,
    )
    return Page(
        items=await service.public_many(session, result.rows),
        next_cursor=result.next_cursor,
        cursors=result.cursors,
    )
