"""The finance bureau's pull: budgets with their execution, and the ledger lines behind them,
as JSON pages or as CSV and XLSX streamed from a server-side cursor (flat memory)."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Numeric, Select, Text, and_, case, cast, func, select, true
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlmodel.ext.asyncio.session import AsyncSession

from funding_service.access import Reach
from funding_service.budgets.models import Budget, BudgetLine
from funding_service.exports.schemas import LedgerLine
from funding_service.exports.xlsx import Cell, row_xml, stream_xlsx
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
#
# A sheet is a list of columns that PostgreSQL formats itself (labels in Chinese, yuan with
# two decimals, text). CSV comes straight out of COPY … TO STDOUT; for XLSX, PostgreSQL
# renders each row's XML and a server-side cursor hands it to the zip writer. Both run in
# one read-only snapshot that also sums the amount columns in fen for the closing 合计 row,
# so the totals are exactly those of the lines above them. Bounded hand-offs keep memory
# flat whatever the size.

TEXT, INTEGER, YUAN = "text", "integer", "yuan"
# XML 1.0 refuses most control characters; a memo may hold one.
CONTROL_CHARACTERS = "[\x01-\x08\x0b\x0c\x0e-\x1f]"


@dataclass(frozen=True)
class Sheet:
    name: str
    header: list[str]
    columns: list[tuple[Any, str]]  # (expression, TEXT | INTEGER | YUAN), in order
    joins: Any
    where: Any
    order_by: list[Any]
    sums: list[Any]  # the YUAN columns' amounts in fen, summed for the 合计 row

    def rows(self) -> Select[Any]:
        return self._select(*(expression for expression, _ in self.columns))

    def xml_rows(self) -> Select[Any]:
        """One text column: the row as SpreadsheetML (cells in order; an empty one is <c/>)."""
        return self._select(func.concat("<row>", *(_cell(e, k) for e, k in self.columns), "</row>"))

    def totals(self) -> Select[Any]:
        return (
            select(*(func.coalesce(func.sum(s), 0) for s in self.sums))
            .select_from(self.joins)
            .where(self.where)
        )

    def _select(self, *columns: Any) -> Select[Any]:
        return select(*columns).select_from(self.joins).where(self.where).order_by(*self.order_by)

    @property
    def numbers(self) -> list[int]:
        return [i for i, (_, kind) in enumerate(self.columns) if kind == YUAN]


def _cell(expression: Any, kind: str) -> Any:
    if kind == TEXT:
        escaped = func.replace(
            func.replace(
                func.replace(
                    func.regexp_replace(expression, CONTROL_CHARACTERS, "", "g"), "&", "&amp;"
                ),
                "<",
                "&lt;",
            ),
            ">",
            "&gt;",
        )
        filled = func.concat(
            '<c t="inlineStr"><is><t xml:space="preserve">', escaped, "</t></is></c>"
        )
    else:
        style = ' s="1"' if kind == YUAN else ""
        filled = func.concat(f"<c{style}><v>", cast(expression, Text), "</v></c>")
    return case((expression.is_(None), "<c/>"), else_=filled)


def _yuan(fen: Any) -> Any:
    return cast(cast(fen, Numeric) / 100, Numeric(24, 2))


def _label(column: Any, names: dict[str, str]) -> Any:
    return case(names, value=column, else_=column)


def execution_sheet(where: Filter) -> Sheet:
    executed = B.c.amount_fen - A.c.balance_fen
    return Sheet(
        name="预算执行",
        header=EXECUTION_HEADER,
        columns=[
            (B.c.fiscal_year, INTEGER),
            (_label(B.c.level, LEVEL_NAMES), TEXT),
            (B.c.region_name, TEXT),
            (L.c.code, TEXT),
            (L.c.name, TEXT),
            (_yuan(B.c.amount_fen), YUAN),
            (_yuan(executed), YUAN),
            (_yuan(A.c.balance_fen), YUAN),
            (cast(B.c.id, Text), TEXT),
        ],
        joins=B.join(L, L.c.id == B.c.budget_line_id).join(A, A.c.id == B.c.account_id),
        where=where.where(),
        order_by=[B.c.fiscal_year, B.c.level, B.c.region_name, L.c.code, B.c.id],
        sums=[B.c.amount_fen, executed, A.c.balance_fen],
    )


def lines_sheet(where: Filter) -> Sheet:
    income = case((E.c.amount_fen > 0, E.c.amount_fen))
    spent = case((E.c.amount_fen < 0, -E.c.amount_fen))
    posted = func.to_char(func.timezone("UTC", E.c.posted_at), 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"')
    return Sheet(
        name="预算明细",
        header=LINES_HEADER,
        columns=[
            (E.c.id, INTEGER),
            (posted, TEXT),
            (cast(E.c.value_date, Text), TEXT),
            (B.c.fiscal_year, INTEGER),
            (_label(B.c.level, LEVEL_NAMES), TEXT),
            (B.c.region_name, TEXT),
            (L.c.name, TEXT),
            (_label(T.c.kind, KIND_NAMES), TEXT),
            (COUNTER.c.name, TEXT),
            (_yuan(income), YUAN),
            (_yuan(spent), YUAN),
            (T.c.memo, TEXT),
            (cast(T.c.id, Text), TEXT),
            (cast(B.c.id, Text), TEXT),
        ],
        joins=E.join(B, B.c.account_id == E.c.account_id)
        .join(L, L.c.id == B.c.budget_line_id)
        .join(T, T.c.id == E.c.transfer_id)
        .join(COUNTER, COUNTER.c.id == E.c.counter_account_id),
        where=where.where(),
        order_by=[E.c.id],
        sums=[income, spent],
    )


ASYNCPG = asyncpg_dialect()  # type: ignore[no-untyped-call]


def _sql(statement: Select[Any]) -> tuple[str, list[Any]]:
    """The statement as asyncpg runs it: $n placeholders and their values in order."""
    compiled = statement.compile(dialect=ASYNCPG)
    return str(compiled), [compiled.params[name] for name in compiled.positiontup or ()]


def _total_row(sheet: Sheet, sums: Any) -> list[Cell]:
    cells: list[Cell] = [TOTAL] + [None] * (len(sheet.header) - 1)
    for index, fen in zip(sheet.numbers, sums, strict=True):
        cells[index] = money(int(fen))
    return cells


@asynccontextmanager
async def _snapshot(database: Database) -> AsyncIterator[Any]:
    """A driver connection inside one read-only REPEATABLE READ transaction."""
    async with database.engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        async with driver.transaction(isolation="repeatable_read", readonly=True):
            yield driver


async def _handoff(
    produce: Callable[[Callable[[bytes], Awaitable[None]]], Awaitable[None]],
) -> AsyncIterator[bytes]:
    """Chunks a producer writes, handed on as they come (at most a few held at once)."""
    queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=8)

    async def put(chunk: bytes) -> None:
        # the driver hands over reusable buffers; the response needs bytes of its own
        await queue.put(bytes(chunk))

    async def run() -> None:
        try:
            await produce(put)
        finally:
            await queue.put(None)

    task = asyncio.create_task(run())
    try:
        while (chunk := await queue.get()) is not None:
            yield chunk
        await task
    finally:
        if not task.done():
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task


def _csv_line(cells: list[Cell]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(["" if c is None else c for c in cells])
    return buffer.getvalue().encode()


async def stream_csv(database: Database, sheet: Sheet) -> AsyncIterator[bytes]:
    """UTF-8 with a byte-order mark (so that spreadsheet programs read the Chinese headers)."""
    yield "\ufeff".encode() + _csv_line(list(sheet.header))
    query, args = _sql(sheet.rows())
    totals_query, totals_args = _sql(sheet.totals())

    async def produce(write: Callable[[bytes], Awaitable[None]]) -> None:
        async with _snapshot(database) as driver:
            await driver.copy_from_query(query, *args, output=write, format="csv")
            sums = await driver.fetchrow(totals_query, *totals_args)
            await write(_csv_line(_total_row(sheet, sums)))

    async for chunk in _handoff(produce):
        yield chunk


async def _xlsx_rows(database: Database, sheet: Sheet) -> AsyncIterator[str]:
    query, args = _sql(sheet.xml_rows())
    totals_query, totals_args = _sql(sheet.totals())
    async with _snapshot(database) as driver:
        batch: list[str] = []
        async for record in driver.cursor(query, *args, prefetch=BATCH):
            batch.append(record[0])
            if len(batch) >= BATCH:
                yield "".join(batch)
                batch = []
        sums = await driver.fetchrow(totals_query, *totals_args)
        yield "".join(batch) + row_xml(_total_row(sheet, sums))


def export_stream(database: Database, sheet: Sheet, fmt: str) -> AsyncIterator[bytes]:
    if fmt == "csv":
        return stream_csv(database, sheet)
    return stream_xlsx(sheet.name, sheet.header, _xlsx_rows(database, sheet))
