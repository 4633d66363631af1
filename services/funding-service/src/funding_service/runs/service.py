"""Period runs: monthly secretary allowances, yearly per-member funds and the city working
committee's operating funds, computed from dated policy parameters; a period pays each payee
once however often it is run, and every run reports what it paid and what it skipped and why.

Organizations, their regions and district classes come from org-service's API; secretary
terms and member counts from the roster (member-service's API or the projection of its
events, as settings choose).
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from funding_service import policy_keys
from funding_service.access import Reach, require_city_wide_writer
from funding_service.budgets import service as budget_service
from funding_service.budgets.models import Budget
from funding_service.ledger import repository as ledger_repository
from funding_service.ledger import service as ledger
from funding_service.ledger.models import Account, AccountKind, Transfer, TransferKind
from funding_service.roster.service import Roster
from funding_service.runs import repository, rules
from funding_service.runs.models import NO_MEMBER, LineStatus, PeriodLine, PeriodRun, RunKind
from funding_service.runs.schemas import PeriodLinePublic, PeriodRunCreate, PeriodRunPublic
from funding_service.temporal import Period, PeriodInFuture, month, today, year
from funding_service.upstream.org import OrganizationInfo, OrgService, Placement
from service_kit.audit import record_audit
from service_kit.auth import Principal
from service_kit.errors import NotFound, Unprocessable
from service_kit.events import EventPublisher
from service_kit.policy import value_on


class PeriodRunNotFound(NotFound):
    code = "period_run_not_found"
    message = "No period run with this id."


class PeriodKindMismatch(Unprocessable):
    code = "invalid_period"


TRANSFER_KINDS = {
    RunKind.secretary_allowance: TransferKind.secretary_allowance,
    RunKind.per_member_funds: TransferKind.per_member_funds,
    RunKind.operating_funds: TransferKind.operating_funds,
}
LINE_OF = {
    RunKind.secretary_allowance: "secretary_allowance",
    RunKind.per_member_funds: "per_member_funds",
    RunKind.operating_funds: "operating_funds",
}


@dataclass
class Candidate:
    """Someone a period may pay: the amount and its basis, or the reason it pays nothing."""

    organization_id: uuid.UUID | None
    organization_name: str | None
    member_id: uuid.UUID | None = None
    payee_name: str | None = None
    district_id: uuid.UUID | None = None
    placement: Placement | None = None
    amount_fen: int = 0
    basis: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None
    budget: Budget | None = None
    credit_account_id: uuid.UUID | None = None
    transfer_id: uuid.UUID | None = None

    @property
    def key(self) -> tuple[uuid.UUID, uuid.UUID] | None:
        if self.organization_id is None:
            return None
        return self.organization_id, self.member_id or NO_MEMBER


def run_public(run: PeriodRun) -> PeriodRunPublic:
    return PeriodRunPublic.model_validate(run)


def line_public(line: PeriodLine) -> PeriodLinePublic:
    return PeriodLinePublic.model_validate(line)


def period_of(kind: RunKind, label: str) -> Period:
    if kind == RunKind.secretary_allowance:
        if len(label) != 7:
            raise PeriodKindMismatch(
                "The secretary allowance is paid by month: the period is YYYY-MM.",
                details={"kind": kind.value, "period": label},
            )
        return month(label)
    if len(label) != 4:
        raise PeriodKindMismatch(
            f"{kind.value} is paid by year: the period is YYYY.",
            details={"kind": kind.value, "period": label},
        )
    return year(label)


async def count_day(session: AsyncSession, period: Period) -> date:
    """The day of the year whose member counts decide the year's per-member funds."""
    value = await value_on(session, policy_keys.MEMBER_COUNT_DAY, period.start)
    return date(period.start.year, int(value[:2]), int(value[3:]))


async def possible_from(session: AsyncSession, kind: RunKind, period: Period) -> date:
    """The first day a period can be run: after the month for allowances (who held the post
    is known only once the month is over), from the counting day for per-member funds, from
    the first day of the year for operating funds."""
    if kind == RunKind.secretary_allowance:
        return period.end + timedelta(days=1)
    if kind == RunKind.per_member_funds:
        return await count_day(session, period)
    return period.start


async def run(
    *,
    session: AsyncSession,
    principal: Principal,
    publisher: EventPublisher,
    org: OrgService,
    roster: Roster,
    data: PeriodRunCreate,
) -> PeriodRun:
    """Run a period: pay whoever it owes and has not paid yet, within the budgets."""
    require_city_wide_writer(principal)
    kind = data.kind
    period = period_of(kind, data.period)
    start_day = await possible_from(session, kind, period)
    if start_day > today():
        raise PeriodInFuture(
            f"{kind.value} for {period.label} can be run from {start_day} on.",
            details={"kind": kind.value, "period": period.label, "possible_from": str(start_day)},
        )
    await repository.lock_period(session, kind.value, period.start)
    value_date = min(today(), period.end)
    record = PeriodRun(
        kind=kind.value,
        period=period.label,
        period_start=period.start,
        period_end=period.end,
        value_date=value_date,
        source=roster.source,
        started_by=principal.subject,
    )
    session.add(record)
    await session.flush()

    if kind == RunKind.secretary_allowance:
        candidates = await _allowances(session, org, roster, period)
    elif kind == RunKind.per_member_funds:
        candidates = await _per_member(session, org, roster, period)
    else:
        candidates = await _operating(session, org, period)

    line_code = LINE_OF[kind]
    line, budgets = await budget_service.budgets_for(session, period.start.year, line_code)
    paid_before = await repository.paid_keys(session, kind.value, period.start)
    payable: list[Candidate] = []
    for c in candidates:
        if c.reason is not None:
            continue
        if c.key in paid_before:
            c.reason = "already_paid"
            continue
        if c.amount_fen <= 0:
            c.reason = "nothing_due"
            continue
        assert c.placement is not None
        c.budget = budgets.get((c.placement.level, c.placement.region_id))
        if c.budget is None:
            c.reason = "no_budget"
            continue
        payable.append(c)
    await _credit_accounts(session, principal, kind, line.id, payable)
    specs = []
    for c in payable:
        assert c.budget is not None
        assert c.credit_account_id is not None
        spec = ledger.TransferSpec(
            kind=TRANSFER_KINDS[kind],
            debit_account_id=c.budget.account_id,
            credit_account_id=c.credit_account_id,
            amount_fen=c.amount_fen,
            value_date=value_date,
            memo=f"{kind.value} {period.label}",
            budget_id=c.budget.id,
            period_run_id=record.id,
            organization_id=c.organization_id,
            member_id=c.member_id,
        )
        c.transfer_id = spec.id
        specs.append(spec)
    posting = await ledger.post(
        session,
        principal=principal,
        publisher=publisher,
        specs=specs,
        strict=False,
        event_subject=record.id,
    )
    refused = {spec.id: error.instance_code for spec, error in posting.refused}
    lines: list[dict[str, Any]] = []
    payments: list[dict[str, Any]] = []
    skipped: Counter[str] = Counter()
    for c in candidates:
        if c.transfer_id is not None and c.transfer_id in refused:
            c.reason = refused[c.transfer_id]
            c.transfer_id = None
        paid = c.reason is None
        if paid:
            assert c.key is not None
            payments.append(
                {
                    "id": uuid.uuid4(),
                    "kind": kind.value,
                    "period_start": period.start,
                    "organization_id": c.key[0],
                    "member_key": c.key[1],
                    "run_id": record.id,
                    "transfer_id": c.transfer_id,
                    "amount_fen": c.amount_fen,
                }
            )
        else:
            skipped[c.reason or "skipped"] += 1
        lines.append(
            {
                "run_id": record.id,
                "status": (LineStatus.paid if paid else LineStatus.skipped).value,
                "reason": c.reason,
                "district_id": c.district_id,
                "organization_id": c.organization_id,
                "organization_name": c.organization_name,
                "member_id": c.member_id,
                "payee_name": c.payee_name,
                "budget_id": c.budget.id if c.budget else None,
                "amount_fen": c.amount_fen if paid else max(c.amount_fen, 0),
                "transfer_id": c.transfer_id if paid else None,
                "basis": c.basis,
            }
        )
    await repository.insert_results(session, lines, payments)
    record.paid_count = len(payments)
    record.paid_total_fen = sum(p["amount_fen"] for p in payments)
    record.skipped_count = sum(skipped.values())
    record.skipped_by_reason = dict(sorted(skipped.items()))
    session.add(record)
    await session.flush()
    await record_audit(
        session,
        principal=principal,
        action=f"period_run.{kind.value}",
        entity_type="period_run",
        entity_id=record.id,
        after=run_public(record).model_dump(mode="json"),
    )
    return record


async def _organizations(
    org: OrgService, ids: list[uuid.UUID], day: date
) -> tuple[dict[uuid.UUID, OrganizationInfo], dict[uuid.UUID, Placement]]:
    found = await org.organizations(ids, as_of=min(day, today()))
    placements = await org.placements({o.region_id for o in found.values()})
    return found, placements


def _judge(
    candidate: Candidate,
    organization: OrganizationInfo | None,
    placements: dict[uuid.UUID, Placement],
    *,
    working_committees_paid: bool = True,
) -> None:
    """Fill in the organization's facts, or the reason it cannot be paid."""
    if organization is None:
        candidate.reason = "organization_not_found"
        return
    candidate.organization_name = organization.name
    placement = placements.get(organization.region_id)
    candidate.placement = placement
    if placement is not None and placement.level == "district":
        candidate.district_id = placement.region_id
    if organization.status != "active":
        candidate.reason = "organization_not_active"
    elif not working_committees_paid and organization.kind == "working_committee":
        candidate.reason = "working_committee_not_eligible"
    elif placement is None:
        candidate.reason = "region_not_found"


async def _policy_by_region(
    session: AsyncSession, key: Any, day: date, placements: list[Placement]
) -> dict[uuid.UUID, Any]:
    values: dict[uuid.UUID, Any] = {}
    for placement in placements:
        if placement.region_id not in values:
            values[placement.region_id] = await value_on(
                session, key, day, [placement.region_id, None]
            )
    return values


async def _allowances(
    session: AsyncSession, org: OrgService, roster: Roster, period: Period
) -> list[Candidate]:
    """Who held each organization's secretary post in the month, and their prorated share.

    Secretaries of working committees (the city's and districts' 工委, staffed by
    officials) are not paid the allowance: it is for the secretaries of the
    organizations in enterprises and social organizations.
    """
    terms = await roster.secretary_terms(period.start, period.end)
    held: dict[uuid.UUID, dict[uuid.UUID, set[int]]] = defaultdict(lambda: defaultdict(set))
    names: dict[uuid.UUID, str] = {}
    first_days: dict[tuple[uuid.UUID, uuid.UUID], date] = {}
    for term in terms:
        days = period.overlap_days(term.term_start, term.term_end)
        if days == 0:
            continue
        first = max(term.term_start, period.start)
        held[term.organization_id][term.member_id].update(range(first.day, first.day + days))
        names[term.member_id] = term.name or names.get(term.member_id, "")
        key = (term.organization_id, term.member_id)
        first_days[key] = min(first, first_days.get(key, first))
    found, placements = await _organizations(org, sorted(held), period.end)
    monthly = await _policy_by_region(
        session,
        policy_keys.SECRETARY_ALLOWANCE_MONTHLY_FEN,
        period.start,
        list(placements.values()),
    )
    candidates: list[Candidate] = []
    for organization_id in sorted(held):
        holders = held[organization_id]
        organization = found.get(organization_id)
        covered = len(set().union(*holders.values()))
        members = sorted(holders, key=lambda m: (first_days[(organization_id, m)], m))
        group = [
            Candidate(
                organization_id=organization_id,
                organization_name=None,
                member_id=member_id,
                payee_name=names.get(member_id) or None,
            )
            for member_id in members
        ]
        for c in group:
            _judge(c, organization, placements, working_committees_paid=False)
        placement = group[0].placement
        if group[0].reason is None and placement is not None:
            amount = int(monthly[placement.region_id][placement.district_class])
            holdings = [
                rules.Holding(m, len(holders[m]), first_days[(organization_id, m)]) for m in members
            ]
            shares = rules.allowance_shares(amount, period.days, covered, holdings)
            for c, holding, share in zip(group, holdings, shares, strict=True):
                c.amount_fen = share
                c.basis = {
                    "district_class": placement.district_class,
                    "monthly_fen": amount,
                    "days_held": holding.days,
                    "days_covered": covered,
                    "days_in_month": period.days,
                }
        candidates.extend(group)
    return candidates


async def _per_member(
    session: AsyncSession, org: OrgService, roster: Roster, period: Period
) -> list[Candidate]:
    """Each active organization's members on the counting day × the yearly amount."""
    day = await count_day(session, period)
    active = await org.list_organizations(status="active", as_of=day.isoformat())
    ids = sorted({o.id for o in active} | set(await roster.organizations_with_members(day)))
    found, placements = await _organizations(org, ids, day)
    counts = await roster.member_counts(ids, day)
    per_member = await _policy_by_region(
        session, policy_keys.PER_MEMBER_FUND_YEARLY_FEN, period.start, list(placements.values())
    )
    candidates = []
    for organization_id in ids:
        c = Candidate(organization_id=organization_id, organization_name=None)
        _judge(c, found.get(organization_id), placements)
        count = counts.get(organization_id)
        members = count.members if count else 0
        if c.reason is None and c.placement is not None:
            amount = int(per_member[c.placement.region_id])
            c.amount_fen = rules.per_member_funds(members, amount)
            c.basis = {
                "counted_on": day.isoformat(),
                "full_members": count.full_members if count else 0,
                "probationary_members": count.probationary_members if count else 0,
                "per_member_fen": amount,
            }
            if members == 0:
                c.reason = "no_members"
        candidates.append(c)
    return candidates


async def _operating(session: AsyncSession, org: OrgService, period: Period) -> list[Candidate]:
    """The city working committee's yearly operating funds."""
    committee = await org.city_committee(min(today(), period.end))
    if committee is None:
        return [Candidate(organization_id=None, organization_name=None, reason="no_city_committee")]
    found, placements = await _organizations(org, [committee.id], period.end)
    c = Candidate(organization_id=committee.id, organization_name=committee.name)
    _judge(c, found.get(committee.id), placements)
    if c.reason is None and c.placement is not None:
        amount = int(
            await value_on(
                session, policy_keys.CITY_COMMITTEE_OPERATING_FUND_YEARLY_FEN, period.start
            )
        )
        c.amount_fen = amount
        c.basis = {"yearly_fen": amount}
    return [c]


async def _credit_accounts(
    session: AsyncSession,
    principal: Principal,
    kind: RunKind,
    line_id: uuid.UUID,
    payable: list[Candidate],
) -> None:
    """Open the accounts the run pays into (secretaries' own, or organizations' of the line)."""
    now = ledger.utcnow()
    if kind == RunKind.secretary_allowance:
        rows = {
            c.member_id: {
                "id": uuid.uuid4(),
                "kind": AccountKind.payee.value,
                "name": c.payee_name or f"书记 {c.member_id}",
                "level": c.placement.level if c.placement else None,
                "region_id": c.placement.region_id if c.placement else None,
                "district_id": c.district_id,
                "organization_id": c.organization_id,
                "member_id": c.member_id,
                "budget_line_id": None,
                "allow_negative": False,
                "balance_fen": 0,
                "created_at": now,
                "created_by": principal.subject,
            }
            for c in payable
        }
        await ledger_repository.ensure_accounts(session, "payee", list(rows.values()))
        accounts = await _accounts_by(session, "payee", "member_id", list(rows))
        for c in payable:
            c.credit_account_id = accounts[c.member_id]
        return
    rows = {
        c.organization_id: {
            "id": uuid.uuid4(),
            "kind": AccountKind.organization.value,
            "name": f"{c.organization_name}",
            "level": c.placement.level if c.placement else None,
            "region_id": c.placement.region_id if c.placement else None,
            "district_id": c.district_id,
            "organization_id": c.organization_id,
            "member_id": None,
            "budget_line_id": line_id,
            "allow_negative": False,
            "balance_fen": 0,
            "created_at": now,
            "created_by": principal.subject,
        }
        for c in payable
    }
    await ledger_repository.ensure_accounts(session, "organization", list(rows.values()))
    accounts = await _accounts_by(
        session, "organization", "organization_id", list(rows), budget_line_id=line_id
    )
    for c in payable:
        c.credit_account_id = accounts[c.organization_id]


async def _accounts_by(
    session: AsyncSession, kind: str, column: str, values: list[Any], **equal: Any
) -> dict[Any, uuid.UUID]:
    statement = select(Account.id, getattr(Account, column)).where(
        Account.kind == kind, col(getattr(Account, column)).in_(values)
    )
    for name, value in equal.items():
        statement = statement.where(getattr(Account, name) == value)
    return {row[1]: row[0] for row in (await session.exec(statement)).all()}


async def _released(session: AsyncSession, transfer: Transfer) -> None:
    await repository.mark_reversed(session, transfer.id)


for _kind in TRANSFER_KINDS.values():
    ledger.on_reversal(_kind)(_released)


async def get(*, session: AsyncSession, run_id: uuid.UUID) -> PeriodRun:
    found = await repository.get(session, run_id)
    if found is None:
        raise PeriodRunNotFound(details={"id": str(run_id)})
    return found


def visible_lines(reach: Reach) -> Any:
    return reach.clause(
        district=col(PeriodLine.district_id),
        organization=col(PeriodLine.organization_id),
        member=col(PeriodLine.member_id),
    )
