"""Queries of the ledger: accounts, transfers and entries, and posting them in bulk."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ARRAY, Uuid, any_, bindparam, or_, text, true, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from funding_service.ledger.models import Account, LedgerEntry, Transfer
from service_kit.pagination import KeysetPage, PageParams, keyset_page

ACCOUNT_CONFLICT_TARGETS: dict[str, tuple[list[str], str]] = {
    "treasury": (["level", "region_id"], "kind = 'treasury'"),
    "organization": (["organization_id", "budget_line_id"], "kind = 'organization'"),
    "payee": (["member_id"], "kind = 'payee' AND member_id IS NOT NULL"),
    "dues": (["organization_id"], "kind = 'dues'"),
    "external": (["name"], "kind = 'external'"),
}


async def get_account(session: AsyncSession, account_id: uuid.UUID, where: Any) -> Account | None:
    statement = select(Account).where(Account.id == account_id, where)
    return (await session.exec(statement)).first()


async def get_accounts(
    session: AsyncSession, ids: Sequence[uuid.UUID], where: Any
) -> list[Account]:
    statement = select(Account).where(col(Account.id).in_(ids), where)
    return list((await session.exec(statement)).all())


@dataclass(frozen=True)
class Locked:
    """What posting needs of a locked account."""

    id: uuid.UUID
    kind: str
    balance_fen: int


def uuids(name: str) -> Any:
    """A bound list of UUIDs, sent as one array (for `= ANY(...)` over thousands of ids)."""
    return bindparam(name, type_=ARRAY(Uuid()))


LOCK = (
    sa_select(
        Account.__table__.c.id,  # type: ignore[attr-defined]
        Account.__table__.c.kind,  # type: ignore[attr-defined]
        Account.__table__.c.balance_fen,  # type: ignore[attr-defined]
    )
    .where(Account.__table__.c.id == any_(uuids("ids")))  # type: ignore[attr-defined]
    .order_by(Account.__table__.c.id)  # type: ignore[attr-defined]
    .with_for_update()
)


async def lock_accounts(session: AsyncSession, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Locked]:
    """The accounts of `ids`, locked until commit, in id order (so that posters never deadlock)."""
    connection = await session.connection()
    rows = await connection.execute(LOCK, {"ids": sorted(set(ids))})
    return {row.id: Locked(row.id, row.kind, row.balance_fen) for row in rows}


async def ensure_accounts(session: AsyncSession, kind: str, rows: list[dict[str, Any]]) -> None:
    """Open the accounts of `rows` that do not exist yet (all of one kind)."""
    if not rows:
        return
    elements, where = ACCOUNT_CONFLICT_TARGETS[kind]
    statement = insert(Account.__table__).on_conflict_do_nothing(  # type: ignore[attr-defined]
        index_elements=elements, index_where=text(where)
    )
    connection = await session.connection()
    await connection.execute(statement, rows)


async def find_accounts(session: AsyncSession, kind: str, **equal: Any) -> list[Account]:
    """Accounts of `kind` whose columns equal the given values (a list value: any of them)."""
    statement = select(Account).where(Account.kind == kind)
    for name, value in equal.items():
        column = getattr(Account, name)
        if isinstance(value, list | set | tuple | frozenset):
            statement = statement.where(col(column).in_(list(value)))
        else:
            statement = statement.where(column == value)
    return list((await session.exec(statement)).all())


async def page_accounts(
    session: AsyncSession, params: PageParams, where: Any, **equal: Any
) -> KeysetPage:
    statement = select(Account).where(where)
    for name, value in equal.items():
        if value is not None:
            statement = statement.where(getattr(Account, name) == value)
    order: list[Any] = [col(Account.kind), col(Account.name), col(Account.id)]
    return await keyset_page(session, statement, order_by=order, params=params)


async def insert_posting(
    session: AsyncSession,
    transfers: list[dict[str, Any]],
    entries: list[dict[str, Any]],
    balances: dict[uuid.UUID, int],
) -> None:
    """Write transfers, their entries and the accounts' new balances, a few statements in all."""
    connection = await session.connection()
    await connection.execute(Transfer.__table__.insert(), transfers)  # type: ignore[attr-defined]
    await connection.execute(LedgerEntry.__table__.insert(), entries)  # type: ignore[attr-defined]
    table = Account.__table__  # type: ignore[attr-defined]
    await connection.execute(
        update(table)
        .where(table.c.id == bindparam("account_id"))
        .values(balance_fen=bindparam("new_balance")),
        [{"account_id": k, "new_balance": v} for k, v in balances.items()],
    )
    for account_id, balance in balances.items():
        # A copy the session holds learns the stored value without thinking it changed.
        held = session.identity_map.get(identity_key(Account, account_id))
        if held is not None:
            set_committed_value(held, "balance_fen", balance)


async def get_transfer(
    session: AsyncSession, transfer_id: uuid.UUID, *, for_update: bool = False
) -> Transfer | None:
    statement = select(Transfer).where(Transfer.id == transfer_id)
    if for_update:
        statement = statement.with_for_update()
    return (await session.exec(statement)).first()


async def reversal_of(session: AsyncSession, transfer_id: uuid.UUID) -> Transfer | None:
    statement = select(Transfer).where(Transfer.reverses_transfer_id == transfer_id)
    return (await session.exec(statement)).first()


def visible_transfers(visible_accounts: Any, *, everything: bool = False) -> Any:
    """Transfers that touch an account the caller may see."""
    if everything:
        return true()
    seen = select(Account.id).where(visible_accounts)
    return or_(col(Transfer.debit_account_id).in_(seen), col(Transfer.credit_account_id).in_(seen))


async def get_transfers(
    session: AsyncSession, ids: Sequence[uuid.UUID], where: Any
) -> list[Transfer]:
    statement = select(Transfer).where(col(Transfer.id).in_(ids), where)
    return list((await session.exec(statement)).all())


async def page_transfers(
    session: AsyncSession,
    params: PageParams,
    where: Any,
    *,
    account_id: uuid.UUID | None = None,
    kind: str | None = None,
    period_run_id: uuid.UUID | None = None,
    budget_id: uuid.UUID | None = None,
) -> KeysetPage:
    statement = select(Transfer).where(where)
    if account_id is not None:
        statement = statement.where(
            or_(
                col(Transfer.debit_account_id) == account_id,
                col(Transfer.credit_account_id) == account_id,
            )
        )
    if kind is not None:
        statement = statement.where(Transfer.kind == kind)
    if period_run_id is not None:
        statement = statement.where(Transfer.period_run_id == period_run_id)
    if budget_id is not None:
        statement = statement.where(Transfer.budget_id == budget_id)
    order: list[Any] = [col(Transfer.created_at), col(Transfer.id)]
    return await keyset_page(session, statement, order_by=order, params=params)


async def page_entries(
    session: AsyncSession, params: PageParams, account_id: uuid.UUID
) -> KeysetPage:
    statement = select(LedgerEntry).where(LedgerEntry.account_id == account_id)
    order: list[Any] = [col(LedgerEntry.id)]
    return await keyset_page(session, statement, order_by=order, params=params)


async def transfer_kinds(session: AsyncSession, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    statement = select(Transfer.id, Transfer.kind).where(col(Transfer.id).in_(wanted))
    return {row[0]: row[1] for row in (await session.exec(statement)).all()}
