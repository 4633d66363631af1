"""The finance bureau's pull: budgets with their execution, and the ledger lines behind them,
as JSON pages or as CSV and XLSX streamed from a server-side cursor (flat memory)."""

from __future__ import annotations

import csv
import hashlib
import io
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, func, select, true
from sqlmodel.ext.asyncio.session import AsyncSession

from funding_service.access import Reach
from funding_service.budgets.models import Budget, BudgetLine
from funding_service.exports.schemas import LedgerLine
from funding_service.exports.xlsx import Cell, stream_xlsx
from funding_service.ledger.models import Account, LedgerEntry, Transfer
from funding_service.money import yuan
from service_kit.db import Database
from service_kit.pagination import InvalidCursor, PageParams, decode_cursor, encode_cursor

BATCH = 5_000

LEVEL_NAMES = {"city": "市级", "district": "区县级"}
KIND_NAMES = {
    "budget_allocation": "预算下达",
    "budget_adjustment": "预算调整",
    "appropriation": "拨款",
    "disbursement": "支付",
    "reallocation": "调剂",
    "secretary_allowance": "书记津贴",
    "per_member_funds": "党员人均经费",
    "operating_funds": "工委工作经费",
    "project_award": "党建项目",
    "dues_payment": "党费",
    "reversal": "冲正",
}

EXECUTION_HEADER = [
    "财政年度",
    "预算级次",
    "地区",
    "预算科目代码",
    "预算科目",
    "预算金额（元）",
    "执行金额（元）",
    "结余（元）",
    "预算编号",
]
LINES_HEADER = [
    "分录号",
    "记账时间",
    "业务日期",
    "财政年度",
    "预算级次",
    "地区",
    "预算科目",
    "业务类型",
    "对方账户",
    "收入（元）",
    "支出（元）",
    "摘要",
    "转账编号",
    "预算编号",
]
TOTAL = "合计"

E = LedgerEntry.__table__  # type: ignore[attr-defined]
B = Budget.__table__  # type: ignore[attr-defined]
L = BudgetLine.__table__  # type: ignore[attr-defined]
T = Transfer.__table__  # type: ignore[attr-defined]
A = Account.__table__  # type: ignore[attr-defined]
COUNTER = A.alias("counter")


@dataclass(frozen=True)
class Filter:
    fiscal_year: int | None
    level: str | None
    region_id: uuid.UUID | None
    line_id: uuid.UUID | None
    reach: Reach

    def where(self) -> Any:
        clauses = [self.reach.clause(district=B.c.district_id)]
        if self.fiscal_year is not None:
            clauses.append(B.c.fiscal_year == self.fiscal_year)
        if self.level is not None:
            clauses.append(B.c.level == self.level)
        if self.region_id is not None:
            clauses.append(B.c.region_id == self.region_id)
        if self.line_id is not None:
            clauses.append(B.c.budget_line_id == self.line_id)
        return and_(true(), *clauses)


def money(fen: int) -> Decimal:
    """Fen as a yuan amount with two decimals, exactly."""
    return Decimal(yuan(fen))


# -------------------------------------------------------------------------------- state


async def etag(session: AsyncSession, what: str, query: list[tuple[str, str]], reach: Reach) -> str:
    """A validator that changes whenever an answer to this query, for this caller, could.

    Entries are only ever added, so the newest entry's number moves with every transfer
    (and so with every balance); budgets and lines are counted for what has no entry.
    """
    connection = await session.connection()
    state = (
        await connection.execute(
            select(
                select(func.coalesce(func.max(E.c.id), 0)).scalar_subquery(),
                select(func.count()).select_from(B).scalar_subquery(),
                select(func.count()).select_from(L).scalar_subquery(),
            )
        )
    ).one()
    who = (
        "all"
        if reach.everything
        else ",".join(
            sorted(str(i) for i in reach.district_ids | reach.organization_ids | reach.member_ids)
        )
    )
    raw = f"{what}|{sorted(query)}|{tuple(state)}|{who}"
    return 'W/"' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"'


def matches(if_none_match: str | None, tag: str) -> bool:
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    wanted = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return tag.removeprefix("W/") in wanted


# ------------------------------------------------------------------------------ queries


def execution_statement(where: Filter) -> Select[Any]:
    return (
        select(
            B.c.id,
            B.c.fiscal_year,
            B.c.level,
            B.c.region_name,
            L.c.code,
            L.c.name.label("line_name"),
            B.c.amount_fen,
            A.c.balance_fen,
        )
        .select_from(B.join(L, L.c.id == B.c.budget_line_id).join(A, A.c.id == B.c.account_id))
        .where(where.where())
        .order_by(B.c.fiscal_year, B.c.level, B.c.region_name, L.c.code, B.c.id)
    )


def lines_statement(where: Filter) -> Select[Any]:
    return (
        select(
            E.c.id.label("entry_id"),
            E.c.posted_at,
            E.c.value_date,
            B.c.fiscal_year,
            B.c.level,
            B.c.region_id,
            B.c.region_name,
            L.c.code.label("budget_line"),
            L.c.name.label("budget_line_name"),
            B.c.id.label("budget_id"),
            T.c.id.label("transfer_id"),
            T.c.kind,
            E.c.counter_account_id,
            COUNTER.c.name.label("counter_account_name"),
            COUNTER.c.kind.label("counter_account_kind"),
            T.c.organization_id,
            T.c.member_id,
            E.c.amount_fen,
            T.c.memo,
        )
        .select_from(
            E.join(B, B.c.account_id == E.c.account_id)
            .join(L, L.c.id == B.c.budget_line_id)
            .join(T, T.c.id == E.c.transfer_id)
            .join(COUNTER, COUNTER.c.id == E.c.counter_account_id)
        )
        .where(where.where())
        .order_by(E.c.id)
    )


async def lines_page(
    session: AsyncSession, where: Filter, params: PageParams
) -> tuple[list[LedgerLine], str | None]:
    statement = lines_statement(where)
    if params.after is not None:
        after = decode_cursor(params.after, 1)[0]
        if not isinstance(after, int) or isinstance(after, bool):
            raise InvalidCursor(details={"after": params.after})
        statement = statement.where(E.c.id > after)
    connection = await session.connection()
    rows = (await connection.execute(statement.limit(params.limit + 1))).all()
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    items = [LedgerLine.model_validate(dict(r._mapping)) for r in rows]
    return items, encode_cursor([items[-1].entry_id]) if more and items else None


# ---------------------------------------------------------------------------- streaming


async def batches(database: Database, statement: Select[Any]) -> AsyncIterator[list[Any]]:
    """Rows of `statement` from a server-side cursor, a batch at a time, in one snapshot."""
    async with database.engine.connect() as connection:
        connection = await connection.execution_options(isolation_level="REPEATABLE READ")
        result = await connection.stream(statement.execution_options(yield_per=BATCH))
        async for partition in result.partitions(BATCH):
            yield list(partition)


def execution_cells(row: Any) -> list[Cell]:
    return [
        row.fiscal_year,
        LEVEL_NAMES.get(row.level, row.level),
        row.region_name,
        row.code,
        row.line_name,
        money(row.amount_fen),
        money(row.amount_fen - row.balance_fen),
        money(row.balance_fen),
        str(row.id),
    ]


def line_cells(row: Any) -> list[Cell]:
    amount = int(row.amount_fen)
    return [
        row.entry_id,
        row.posted_at.isoformat(timespec="seconds"),
        row.value_date.isoformat(),
        row.fiscal_year,
        LEVEL_NAMES.get(row.level, row.level),
        row.region_name,
        row.budget_line_name,
        KIND_NAMES.get(row.kind, row.kind),
        row.counter_account_name,
        money(amount) if amount > 0 else None,
        money(-amount) if amount < 0 else None,
        row.memo,
        str(row.transfer_id),
        str(row.budget_id),
    ]


class Totals:
    """Sums of the amount columns as rows stream past, in fen."""

    def __init__(self, columns: list[int], width: int) -> None:
        self.columns = columns
        self.width = width
        self.fen = dict.fromkeys(columns, 0)

    def add(self, cells: list[Cell]) -> list[Cell]:
        for index in self.columns:
            value = cells[index]
            if isinstance(value, Decimal):
                self.fen[index] += int(value * 100)
        return cells

    def row(self) -> list[Cell]:
        cells: list[Cell] = [TOTAL] + [None] * (self.width - 1)
        for index, fen in self.fen.items():
            cells[index] = money(fen)
        return cells


async def _with_totals(
    rows: AsyncIterator[list[Any]], to_cells: Callable[[Any], list[Cell]], totals: Totals
) -> AsyncIterator[list[list[Cell]]]:
    async for batch in rows:
        yield [totals.add(to_cells(row)) for row in batch]
    yield [totals.row()]


def _csv_text(cell: Cell) -> str:
    return "" if cell is None else str(cell)


async def stream_csv(
    header: list[str], rows: AsyncIterator[list[list[Cell]]]
) -> AsyncIterator[bytes]:
    """UTF-8 with a byte-order mark, so that spreadsheet programs read the Chinese headers."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    yield ("\ufeff" + buffer.getvalue()).encode()
    async for batch in rows:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerows([[_csv_text(c) for c in cells] for cells in batch])
        yield buffer.getvalue().encode()


def execution_stream(database: Database, where: Filter, fmt: str) -> AsyncIterator[bytes]:
    totals = Totals([5, 6, 7], len(EXECUTION_HEADER))
    rows = _with_totals(batches(database, execution_statement(where)), execution_cells, totals)
    if fmt == "csv":
        return stream_csv(EXECUTION_HEADER, rows)
    return stream_xlsx("预算执行", EXECUTION_HEADER, rows)


def lines_stream(database: Database, where: Filter, fmt: str) -> AsyncIterator[bytes]:
    totals = Totals([9, 10], len(LINES_HEADER))
    rows = _with_totals(batches(database, lines_statement(where)), line_cells, totals)
    if fmt == "csv":
        return stream_csv(LINES_HEADER, rows)
    return stream_xlsx("预算明细", LINES_HEADER, rows)
