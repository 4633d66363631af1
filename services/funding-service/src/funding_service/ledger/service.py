"""Rules of the ledger: every transfer debits one account and credits another by the same
amount, no account but the treasury's and the outside world's goes below zero, no budget is
spent beyond what it holds or outside its fiscal year, and a mistake is undone by a reversal."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import any_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from funding_service.access import Reach, require_district_writer
from funding_service.budgets.models import Budget, BudgetLine
from funding_service.events import TRANSFER_MADE
from funding_service.ledger import repository
from funding_service.ledger.models import (
    UNBOUNDED_KINDS,
    Account,
    AccountKind,
    Transfer,
    TransferKind,
)
from funding_service.ledger.schemas import (
    AccountCreate,
    AccountPublic,
    ManualKind,
    ReversalCreate,
    TransferCreate,
    TransferPublic,
)
from funding_service.temporal import today
from funding_service.upstream.org import OrgService
from service_kit.audit import record_audit
from service_kit.auth import Principal
from service_kit.errors import AppError, Conflict, NotFound, Unprocessable
from service_kit.events import EventPublisher, NewEvent


class AccountNotFound(NotFound):
    code = "account_not_found"
    message = "No account with this id (or it is outside what you may see)."


class TransferNotFound(NotFound):
    code = "transfer_not_found"
    message = "No transfer with this id (or it is outside what you may see)."


class UnknownAccount(Unprocessable):
    code = "unknown_account"
    message = "The transfer names an account that does not exist (or that you may not see)."


class InsufficientFunds(Unprocessable):
    code = "insufficient_funds"
    message = "The account does not hold enough to pay this; nothing was written."


class BudgetExceeded(Unprocessable):
    code = "budget_exceeded"
    message = "The budget does not have enough left for this; nothing was written."


class OutsideFiscalYear(Unprocessable):
    code = "outside_fiscal_year"
    message = "A budget is spent within its fiscal year only."


class ValueDateInFuture(Unprocessable):
    code = "value_date_in_future"
    message = "A transfer counts for today or an earlier day, never a later one."


class TransferNotAllowed(Unprocessable):
    code = "transfer_kind_not_allowed"


class AlreadyReversed(Conflict):
    code = "already_reversed"
    message = "This transfer has been reversed already; a transfer is reversed once."


class NotReversible(Unprocessable):
    code = "not_reversible"


class InvalidAccount(Unprocessable):
    code = "invalid_account"


class AccountExists(Conflict):
    code = "account_exists"


class UnknownBudgetLine(Unprocessable):
    code = "unknown_budget_line"
    message = "No budget line has this code (GET /budget-lines lists them)."


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class TransferSpec:
    """A transfer to post: what moves from where to where, and what it is about."""

    kind: TransferKind
    debit_account_id: uuid.UUID
    credit_account_id: uuid.UUID
    amount_fen: int
    value_date: date
    memo: str | None = None
    reverses_transfer_id: uuid.UUID | None = None
    budget_id: uuid.UUID | None = None
    period_run_id: uuid.UUID | None = None
    organization_id: uuid.UUID | None = None
    member_id: uuid.UUID | None = None
    id: uuid.UUID = field(default_factory=uuid.uuid4)


@dataclass(frozen=True)
class Posted:
    """A transfer as it was written (the same fields as the table, without an ORM object)."""

    id: uuid.UUID
    kind: str
    debit_account_id: uuid.UUID
    credit_account_id: uuid.UUID
    amount_fen: int
    value_date: date
    memo: str | None
    reverses_transfer_id: uuid.UUID | None
    budget_id: uuid.UUID | None
    period_run_id: uuid.UUID | None
    organization_id: uuid.UUID | None
    member_id: uuid.UUID | None
    created_at: datetime
    created_by: str


@dataclass
class Posting:
    posted: list[Posted]
    refused: list[tuple[TransferSpec, AppError]]


# Called after a transfer of a kind is reversed, so that what it paid can be paid again.
ReversalHook = Callable[[AsyncSession, Transfer], Awaitable[None]]
REVERSAL_HOOKS: dict[str, ReversalHook] = {}


def on_reversal(kind: TransferKind) -> Callable[[ReversalHook], ReversalHook]:
    def register(hook: ReversalHook) -> ReversalHook:
        REVERSAL_HOOKS[kind.value] = hook
        return hook

    return register


def transfer_public(transfer: Transfer | Posted) -> TransferPublic:
    return TransferPublic.model_validate(transfer, from_attributes=True)


def _text(value: uuid.UUID | None) -> str | None:
    return None if value is None else str(value)


def event_data(transfer: Transfer | Posted) -> dict[str, Any]:
    """The transfer as funding.transfer.made carries it (TransferPublic's JSON)."""
    return {
        "id": str(transfer.id),
        "kind": transfer.kind,
        "debit_account_id": str(transfer.debit_account_id),
        "credit_account_id": str(transfer.credit_account_id),
        "amount_fen": transfer.amount_fen,
        "value_date": transfer.value_date.isoformat(),
        "memo": transfer.memo,
        "reverses_transfer_id": _text(transfer.reverses_transfer_id),
        "budget_id": _text(transfer.budget_id),
        "period_run_id": _text(transfer.period_run_id),
        "organization_id": _text(transfer.organization_id),
        "member_id": _text(transfer.member_id),
        "created_at": transfer.created_at.isoformat().replace("+00:00", "Z"),
        "created_by": transfer.created_by,
    }


async def post(
    session: AsyncSession,
    *,
    principal: Principal,
    publisher: EventPublisher,
    specs: list[TransferSpec],
    strict: bool = True,
    event_subject: uuid.UUID | None = None,
) -> Posting:
    """Post transfers in the given order; each is refused whole if it breaks a rule.

    `strict`: the first refusal raises (nothing is written); otherwise refused transfers
    are returned beside the posted ones (a period run pays what its budget allows).
    The accounts are locked until commit, so concurrent postings on one account take
    turns and each sees the balance the previous one left.
    """
    await session.flush()
    accounts = await repository.lock_accounts(
        session, {s.debit_account_id for s in specs} | {s.credit_account_id for s in specs}
    )
    budgets = {
        b.account_id: b
        for b in (
            await session.exec(
                select(Budget).where(col(Budget.account_id) == any_(repository.uuids("ids"))),
                params={"ids": list(accounts)},
            )
        ).all()
    }
    balances = {account_id: account.balance_fen for account_id, account in accounts.items()}
    day = today()
    now = utcnow()
    transfers: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    refused: list[tuple[TransferSpec, AppError]] = []
    for spec in specs:
        problem = _check(spec, accounts, budgets, balances, day)
        if problem is not None:
            if strict:
                raise problem
            refused.append((spec, problem))
            continue
        balances[spec.debit_account_id] -= spec.amount_fen
        balances[spec.credit_account_id] += spec.amount_fen
        transfers.append(
            {
                "id": spec.id,
                "kind": spec.kind.value,
                "debit_account_id": spec.debit_account_id,
                "credit_account_id": spec.credit_account_id,
                "amount_fen": spec.amount_fen,
                "value_date": spec.value_date,
                "memo": spec.memo,
                "reverses_transfer_id": spec.reverses_transfer_id,
                "budget_id": spec.budget_id,
                "period_run_id": spec.period_run_id,
                "organization_id": spec.organization_id,
                "member_id": spec.member_id,
                "created_at": now,
                "created_by": principal.subject,
            }
        )
        for account_id, counter_id, amount in (
            (spec.debit_account_id, spec.credit_account_id, -spec.amount_fen),
            (spec.credit_account_id, spec.debit_account_id, spec.amount_fen),
        ):
            entries.append(
                {
                    "transfer_id": spec.id,
                    "account_id": account_id,
                    "counter_account_id": counter_id,
                    "amount_fen": amount,
                    "balance_after_fen": balances[account_id],
                    "value_date": spec.value_date,
                    "posted_at": now,
                }
            )
    posted = [Posted(**row) for row in transfers]
    if transfers:
        touched = {e["account_id"] for e in entries}
        await repository.insert_posting(
            session, transfers, entries, {k: balances[k] for k in touched}
        )
        await publisher.publish_many(
            session,
            [
                NewEvent(type=TRANSFER_MADE, subject=event_subject or t.id, data=event_data(t))
                for t in posted
            ],
        )
    return Posting(posted=posted, refused=refused)


def _check(
    spec: TransferSpec,
    accounts: dict[uuid.UUID, repository.Locked],
    budgets: dict[uuid.UUID, Budget],
    balances: dict[uuid.UUID, int],
    day: date,
) -> AppError | None:
    """Why this transfer cannot be posted now, or None."""
    for role, account_id in (
        ("debit_account_id", spec.debit_account_id),
        ("credit_account_id", spec.credit_account_id),
    ):
        if account_id not in accounts:
            return UnknownAccount(details={"field": role, "account_id": str(account_id)})
    if spec.debit_account_id == spec.credit_account_id:
        return TransferNotAllowed(
            "A transfer moves money between two different accounts.",
            code="same_account",
            details={"account_id": str(spec.debit_account_id)},
        )
    if spec.amount_fen <= 0:
        return Unprocessable("An amount is above zero.", code="amount_not_positive")
    if spec.value_date > day:
        return ValueDateInFuture(
            details={
                "value_date": spec.value_date.isoformat(),
                "possible_from": spec.value_date.isoformat(),
            }
        )
    debit = accounts[spec.debit_account_id]
    budget = budgets.get(debit.id)
    if (
        budget is not None
        and spec.kind != TransferKind.budget_adjustment
        and spec.value_date.year != budget.fiscal_year
    ):
        return OutsideFiscalYear(
            f"The budget is for fiscal year {budget.fiscal_year}; the transfer counts for "
            f"{spec.value_date}.",
            details={"budget_id": str(budget.id), "fiscal_year": budget.fiscal_year},
        )
    left = balances[debit.id] - spec.amount_fen
    if left < 0 and AccountKind(debit.kind) not in UNBOUNDED_KINDS:
        details = {
            "account_id": str(debit.id),
            "balance_fen": balances[debit.id],
            "amount_fen": spec.amount_fen,
            "short_by_fen": -left,
        }
        if budget is not None:
            return BudgetExceeded(
                f"The budget has {balances[debit.id]} fen left; this needs {spec.amount_fen}.",
                details={**details, "budget_id": str(budget.id)},
            )
        return InsufficientFunds(
            f"The account holds {balances[debit.id]} fen; this needs {spec.amount_fen}.",
            details=details,
        )
    return None


# ------------------------------------------------------------------------------- accounts


async def line_by_code(session: AsyncSession, code: str) -> BudgetLine:
    line = (await session.exec(select(BudgetLine).where(BudgetLine.code == code))).first()
    if line is None:
        raise UnknownBudgetLine(details={"budget_line": code})
    return line


async def line_codes(session: AsyncSession) -> dict[uuid.UUID, str]:
    rows = (await session.exec(select(BudgetLine.id, BudgetLine.code))).all()
    return {row[0]: row[1] for row in rows}


async def account_public_many(
    session: AsyncSession, accounts: list[Account]
) -> list[AccountPublic]:
    codes = await line_codes(session) if any(a.budget_line_id for a in accounts) else {}
    return [
        AccountPublic.model_validate(
            {
                **a.model_dump(),
                "budget_line": codes.get(a.budget_line_id) if a.budget_line_id else None,
            }
        )
        for a in accounts
    ]


async def account_public(session: AsyncSession, account: Account) -> AccountPublic:
    return (await account_public_many(session, [account]))[0]


async def get_account(*, session: AsyncSession, reach: Reach, account_id: uuid.UUID) -> Account:
    """The account, if the caller may see it."""
    where = reach.clause(
        district=col(Account.district_id),
        organization=col(Account.organization_id),
        member=col(Account.member_id),
    )
    account = await repository.get_account(session, account_id, where)
    if account is None:
        raise AccountNotFound(details={"id": str(account_id)})
    return account


def visible_accounts(reach: Reach) -> Any:
    return reach.clause(
        district=col(Account.district_id),
        organization=col(Account.organization_id),
        member=col(Account.member_id),
    )


async def open_account(
    *,
    session: AsyncSession,
    principal: Principal,
    org: OrgService,
    data: AccountCreate,
) -> Account:
    """Open an organization's account for a budget line, or a payee's account."""
    line: BudgetLine | None = None
    organization = None
    placement = None
    if data.organization_id is not None:
        organization = (await org.organizations([data.organization_id])).get(data.organization_id)
        if organization is None:
            raise InvalidAccount(
                "The organization does not exist in org-service.",
                code="organization_not_found",
                details={"organization_id": str(data.organization_id)},
            )
        placement = (await org.placements([organization.region_id])).get(organization.region_id)
    district_id = placement.region_id if placement and placement.level == "district" else None
    if data.kind == "organization":
        if organization is None or data.budget_line is None:
            raise InvalidAccount(
                "An organization account needs organization_id and budget_line.",
                code="account_fields_missing",
                details={"fields": ["organization_id", "budget_line"]},
            )
        if organization.status != "active":
            raise InvalidAccount(
                f"{organization.name} is {organization.status}; accounts open for active "
                "organizations only.",
                code="organization_not_active",
                details={"organization_id": str(organization.id)},
            )
        line = await line_by_code(session, data.budget_line)
        existing = await repository.find_accounts(
            session, "organization", organization_id=organization.id, budget_line_id=line.id
        )
        if existing:
            raise AccountExists(
                f"{organization.name} has an account for {line.code} already.",
                details={"account_id": str(existing[0].id)},
            )
        account = Account(
            kind=AccountKind.organization.value,
            name=f"{organization.name}·{line.name}",
            level=placement.level if placement else None,
            region_id=organization.region_id,
            district_id=district_id,
            organization_id=organization.id,
            budget_line_id=line.id,
            created_by=principal.subject,
        )
    else:
        if data.name is None:
            raise InvalidAccount(
                "A payee account needs a name.",
                code="account_fields_missing",
                details={"fields": ["name"]},
            )
        if data.budget_line is not None:
            raise InvalidAccount(
                "A payee account belongs to no budget line.",
                code="payee_without_line",
                details={"field": "budget_line"},
            )
        if data.member_id is not None and await repository.find_accounts(
            session, "payee", member_id=data.member_id
        ):
            raise AccountExists("This member has a payee account already.")
        account = Account(
            kind=AccountKind.payee.value,
            name=data.name,
            level=placement.level if placement else None,
            region_id=organization.region_id if organization else None,
            district_id=district_id if organization else principal.region_id,
            organization_id=data.organization_id,
            member_id=data.member_id,
            created_by=principal.subject,
        )
    require_district_writer(principal, account.district_id)
    session.add(account)
    await session.flush()
    await record_audit(
        session,
        principal=principal,
        action="account.open",
        entity_type="account",
        entity_id=account.id,
        after=(await account_public(session, account)).model_dump(mode="json"),
    )
    return account


# ------------------------------------------------------------------------------ transfers

MANUAL_RULES: dict[ManualKind, tuple[set[AccountKind], set[AccountKind]]] = {
    ManualKind.appropriation: ({AccountKind.budget}, {AccountKind.organization}),
    ManualKind.disbursement: (
        {AccountKind.budget, AccountKind.organization},
        {AccountKind.payee},
    ),
    ManualKind.reallocation: ({AccountKind.organization}, {AccountKind.organization}),
}


async def transfer(
    *,
    session: AsyncSession,
    principal: Principal,
    publisher: EventPublisher,
    reach: Reach,
    data: TransferCreate,
) -> Posted:
    """Move money by hand: an appropriation, a disbursement or a reallocation."""
    where = visible_accounts(reach)
    found = {
        a.id: a
        for a in await repository.get_accounts(
            session, [data.debit_account_id, data.credit_account_id], where
        )
    }
    for role, account_id in (
        ("debit_account_id", data.debit_account_id),
        ("credit_account_id", data.credit_account_id),
    ):
        if account_id not in found:
            raise UnknownAccount(details={"field": role, "account_id": str(account_id)})
    debit, credit = found[data.debit_account_id], found[data.credit_account_id]
    from_kinds, to_kinds = MANUAL_RULES[data.kind]
    if AccountKind(debit.kind) not in from_kinds or AccountKind(credit.kind) not in to_kinds:
        raise TransferNotAllowed(
            f"An {data.kind.value} moves money from {' or '.join(sorted(from_kinds))} to "
            f"{' or '.join(sorted(to_kinds))} accounts; this one goes from {debit.kind} to "
            f"{credit.kind}.",
            details={"kind": data.kind.value, "from": debit.kind, "to": credit.kind},
        )
    if (
        credit.kind == AccountKind.organization
        and debit.kind in (AccountKind.budget, AccountKind.organization)
        and debit.budget_line_id != credit.budget_line_id
    ):
        raise TransferNotAllowed(
            "Funds stay on their budget line: the organization account must be of the same "
            "line as the money it receives.",
            code="budget_line_mismatch",
            details={"from": str(debit.budget_line_id), "to": str(credit.budget_line_id)},
        )
    require_district_writer(principal, debit.district_id)
    budget_id = None
    if debit.kind == AccountKind.budget:
        budget = (await session.exec(select(Budget).where(Budget.account_id == debit.id))).one()
        budget_id = budget.id
    posting = await post(
        session,
        principal=principal,
        publisher=publisher,
        specs=[
            TransferSpec(
                kind=TransferKind(data.kind.value),
                debit_account_id=debit.id,
                credit_account_id=credit.id,
                amount_fen=data.amount_fen,
                value_date=data.value_date or today(),
                memo=data.memo,
                budget_id=budget_id,
                organization_id=credit.organization_id or debit.organization_id,
                member_id=credit.member_id,
            )
        ],
    )
    made = posting.posted[0]
    await record_audit(
        session,
        principal=principal,
        action=f"transfer.{made.kind}",
        entity_type="transfer",
        entity_id=made.id,
        after=event_data(made),
    )
    return made


NOT_REVERSIBLE = {
    TransferKind.reversal: "A reversal is not reversed; make a new transfer instead.",
    TransferKind.budget_allocation: "A budget is changed by an adjustment, not a reversal.",
    TransferKind.budget_adjustment: "A budget is changed by another adjustment, not a reversal.",
}


async def reverse(
    *,
    session: AsyncSession,
    principal: Principal,
    publisher: EventPublisher,
    reach: Reach,
    transfer_id: uuid.UUID,
    data: ReversalCreate,
) -> Posted:
    """Undo a transfer with a new one in the opposite direction (entries are never changed)."""
    original = await get_transfer(
        session=session, reach=reach, transfer_id=transfer_id, for_update=True
    )
    kind = TransferKind(original.kind)
    if kind in NOT_REVERSIBLE:
        raise NotReversible(
            NOT_REVERSIBLE[kind], code=f"{kind.value}_not_reversible", details={"kind": kind.value}
        )
    existing = await repository.reversal_of(session, original.id)
    if existing is not None:
        raise AlreadyReversed(details={"reversal_id": str(existing.id)})
    credit = await session.get(Account, original.credit_account_id)
    assert credit is not None  # a foreign key
    require_district_writer(principal, credit.district_id)
    posting = await post(
        session,
        principal=principal,
        publisher=publisher,
        specs=[
            TransferSpec(
                kind=TransferKind.reversal,
                debit_account_id=original.credit_account_id,
                credit_account_id=original.debit_account_id,
                amount_fen=original.amount_fen,
                value_date=data.value_date or today(),
                memo=data.memo,
                reverses_transfer_id=original.id,
                budget_id=original.budget_id,
                period_run_id=original.period_run_id,
                organization_id=original.organization_id,
                member_id=original.member_id,
            )
        ],
    )
    made = posting.posted[0]
    hook = REVERSAL_HOOKS.get(original.kind)
    if hook is not None:
        await hook(session, original)
    await record_audit(
        session,
        principal=principal,
        action="transfer.reversal",
        entity_type="transfer",
        entity_id=made.id,
        before=event_data(original),
        after=event_data(made),
    )
    return made


async def get_transfer(
    *, session: AsyncSession, reach: Reach, transfer_id: uuid.UUID, for_update: bool = False
) -> Transfer:
    """The transfer, if the caller may see one of its two accounts."""
    found = await repository.get_transfer(session, transfer_id, for_update=for_update)
    if found is not None and not reach.everything:
        accounts = await repository.get_accounts(
            session, [found.debit_account_id, found.credit_account_id], visible_accounts(reach)
        )
        if not accounts:
            found = None
    if found is None:
        raise TransferNotFound(details={"id": str(transfer_id)})
    return found
