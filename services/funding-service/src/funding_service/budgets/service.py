"""Rules of budgets: one per fiscal year, level, region and line, funded from the treasury;
what is spent from it is its execution, and nothing is spent beyond it."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from funding_service.access import Reach, require_city_wide_writer, require_district_writer
from funding_service.budgets import repository
from funding_service.budgets.models import Budget, BudgetLevel, BudgetLine, utcnow
from funding_service.budgets.schemas import (
    BudgetAdjust,
    BudgetCreate,
    BudgetLineCreate,
    BudgetLinePublic,
    BudgetPublic,
    Change,
)
from funding_service.integrity import flush_unique
from funding_service.ledger import repository as ledger_repository
from funding_service.ledger import service as ledger
from funding_service.ledger.models import Account, AccountKind, TransferKind
from funding_service.temporal import today
from funding_service.upstream.org import DISTRICT_KINDS, OrgService, RegionInfo
from service_kit.audit import record_audit
from service_kit.auth import Principal
from service_kit.errors import Conflict, NotFound, Unprocessable
from service_kit.events import EventPublisher


class BudgetNotFound(NotFound):
    code = "budget_not_found"
    message = "No budget with this id (or it is outside what you may see)."


class BudgetExists(Conflict):
    code = "budget_exists"


class BudgetLineExists(Conflict):
    code = "budget_line_exists"


class RegionNotFound(Unprocessable):
    code = "region_not_found"
    message = "org-service knows no region with this id."


class RegionNotAtLevel(Unprocessable):
    code = "region_not_at_level"


class BudgetBelowExecution(Unprocessable):
    code = "budget_below_execution"


def line_public(line: BudgetLine) -> BudgetLinePublic:
    return BudgetLinePublic.model_validate(line)


async def create_line(
    *, session: AsyncSession, principal: Principal, data: BudgetLineCreate
) -> BudgetLine:
    """Add a budget line: a new kind of funds, without a change of code."""
    require_city_wide_writer(principal)
    line = BudgetLine(**data.model_dump(), created_by=principal.subject)
    if not await flush_unique(session, line):
        raise BudgetLineExists(
            f"A budget line with the code {data.code} exists already.",
            details={"code": data.code},
        )
    await record_audit(
        session,
        principal=principal,
        action="budget_line.create",
        entity_type="budget_line",
        entity_id=line.id,
        after=line_public(line).model_dump(mode="json"),
    )
    return line


def visible_budgets(reach: Reach) -> Any:
    return reach.clause(district=col(Budget.district_id))


async def public_many(session: AsyncSession, budgets: list[Budget]) -> list[BudgetPublic]:
    lines = await repository.lines_by_id(session)
    balances = await repository.balances(session, [b.account_id for b in budgets])
    result = []
    for b in budgets:
        available = balances[b.account_id]
        result.append(
            BudgetPublic(
                id=b.id,
                fiscal_year=b.fiscal_year,
                level=BudgetLevel(b.level),
                region_id=b.region_id,
                region_name=b.region_name,
                district_id=b.district_id,
                budget_line=lines[b.budget_line_id].code,
                budget_line_name=lines[b.budget_line_id].name,
                account_id=b.account_id,
                budgeted_fen=b.amount_fen,
                executed_fen=b.amount_fen - available,
                available_fen=available,
                created_at=b.created_at,
                updated_at=b.updated_at,
            )
        )
    return result


async def public(session: AsyncSession, budget: Budget) -> BudgetPublic:
    return (await public_many(session, [budget]))[0]


async def get(
    *, session: AsyncSession, reach: Reach, budget_id: uuid.UUID, for_update: bool = False
) -> Budget:
    """The budget, if the caller may see it."""
    budget = await repository.get(session, budget_id, visible_budgets(reach), for_update=for_update)
    if budget is None:
        raise BudgetNotFound(details={"id": str(budget_id)})
    return budget


async def region_at_level(org: OrgService, region_id: uuid.UUID, level: BudgetLevel) -> RegionInfo:
    """The region, which must be the city (city level) or a district (district level)."""
    region = (await org.regions([region_id])).get(region_id)
    if region is None:
        raise RegionNotFound(details={"region_id": str(region_id)})
    fits = (
        region.kind in DISTRICT_KINDS
        if level == BudgetLevel.district
        else region.kind == "city" and region.parent_id is None
    )
    if not fits:
        expected = "a district, county or new area" if level == BudgetLevel.district else "the city"
        raise RegionNotAtLevel(
            f"A {level.value}-level budget belongs to {expected}; "
            f"{region.name} is a {region.kind}.",
            details={"region_id": str(region_id), "kind": region.kind, "level": level.value},
        )
    return region


async def treasury_account(
    session: AsyncSession, principal: Principal, level: str, region: RegionInfo
) -> Account:
    """The treasury of a level and region, opened on first use."""
    district_id = region.id if level == BudgetLevel.district else None
    await ledger_repository.ensure_accounts(
        session,
        "treasury",
        [
            {
                "id": uuid.uuid4(),
                "kind": AccountKind.treasury.value,
                "name": f"{region.name}财政预算",
                "level": level,
                "region_id": region.id,
                "district_id": district_id,
                "allow_negative": True,
                "balance_fen": 0,
                "created_at": utcnow(),
                "created_by": principal.subject,
            }
        ],
    )
    statement = select(Account).where(
        Account.kind == "treasury", Account.level == level, Account.region_id == region.id
    )
    return (await session.exec(statement)).one()


async def create(
    *,
    session: AsyncSession,
    principal: Principal,
    publisher: EventPublisher,
    org: OrgService,
    data: BudgetCreate,
) -> Budget:
    """Set a budget and fund its account from the treasury of its level and region."""
    region = await region_at_level(org, data.region_id, data.level)
    district_id = region.id if data.level == BudgetLevel.district else None
    if data.level == BudgetLevel.city:
        require_city_wide_writer(principal)
    else:
        require_district_writer(principal, district_id)
    line = await ledger.line_by_code(session, data.budget_line)
    existing = await repository.find(session, data.fiscal_year, data.level, region.id, line.id)
    if existing is not None:
        raise _exists(data, region, line, existing.id)
    treasury = await treasury_account(session, principal, data.level, region)
    account = Account(
        kind=AccountKind.budget.value,
        name=f"{data.fiscal_year}年{region.name}{line.name}",
        level=data.level.value,
        region_id=region.id,
        district_id=district_id,
        budget_line_id=line.id,
        created_by=principal.subject,
    )
    session.add(account)
    await session.flush()
    budget = Budget(
        fiscal_year=data.fiscal_year,
        level=data.level.value,
        region_id=region.id,
        region_name=region.name,
        district_id=district_id,
        budget_line_id=line.id,
        account_id=account.id,
        amount_fen=data.amount_fen,
        created_by=principal.subject,
    )
    if not await flush_unique(session, budget):  # a concurrent request set it first
        raise _exists(data, region, line, None)
    await ledger.post(
        session,
        principal=principal,
        publisher=publisher,
        specs=[
            ledger.TransferSpec(
                kind=TransferKind.budget_allocation,
                debit_account_id=treasury.id,
                credit_account_id=account.id,
                amount_fen=data.amount_fen,
                value_date=today(),
                memo=data.memo,
                budget_id=budget.id,
            )
        ],
    )
    await record_audit(
        session,
        principal=principal,
        action="budget.create",
        entity_type="budget",
        entity_id=budget.id,
        after=(await public(session, budget)).model_dump(mode="json"),
    )
    return budget


def _exists(
    data: BudgetCreate, region: RegionInfo, line: BudgetLine, budget_id: uuid.UUID | None
) -> BudgetExists:
    return BudgetExists(
        f"{region.name} has a {data.level.value}-level {line.code} budget for "
        f"{data.fiscal_year} already; change it with an adjustment.",
        details={"budget_id": str(budget_id) if budget_id else None},
    )


async def adjust(
    *,
    session: AsyncSession,
    principal: Principal,
    publisher: EventPublisher,
    reach: Reach,
    budget_id: uuid.UUID,
    data: BudgetAdjust,
) -> Budget:
    """Raise or lower a budget; it is never lowered below what has been spent from it."""
    budget = await get(session=session, reach=reach, budget_id=budget_id, for_update=True)
    if budget.level == BudgetLevel.city:
        require_city_wide_writer(principal)
    else:
        require_district_writer(principal, budget.district_id)
    before = (await public(session, budget)).model_dump(mode="json")
    treasury = (
        await session.exec(
            select(Account).where(
                Account.kind == "treasury",
                Account.level == budget.level,
                Account.region_id == budget.region_id,
            )
        )
    ).one()
    increase = data.change == Change.increase
    spec = ledger.TransferSpec(
        kind=TransferKind.budget_adjustment,
        debit_account_id=treasury.id if increase else budget.account_id,
        credit_account_id=budget.account_id if increase else treasury.id,
        amount_fen=data.amount_fen,
        value_date=today(),
        memo=data.memo,
        budget_id=budget.id,
    )
    try:
        await ledger.post(session, principal=principal, publisher=publisher, specs=[spec])
    except ledger.BudgetExceeded as exc:
        raise BudgetBelowExecution(
            f"The budget has {before['available_fen']} fen left unspent; it cannot be lowered "
            f"by {data.amount_fen}.",
            details=exc.details,
        ) from exc
    budget.amount_fen += data.amount_fen if increase else -data.amount_fen
    budget.updated_at = utcnow()
    session.add(budget)
    await session.flush()
    await record_audit(
        session,
        principal=principal,
        action=f"budget.{data.change.value}",
        entity_type="budget",
        entity_id=budget.id,
        before=before,
        after=(await public(session, budget)).model_dump(mode="json"),
    )
    return budget


async def budgets_for(
    session: AsyncSession, fiscal_year: int, line_code: str
) -> tuple[BudgetLine, dict[tuple[str, uuid.UUID], Budget]]:
    """A line and its budgets of a year by (level, region), for period runs and projects."""
    line = await ledger.line_by_code(session, line_code)
    return line, await repository.find_many(session, fiscal_year, line.id)
