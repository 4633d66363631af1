"""Queries of dues: declarations in force, assessments, payments and arrears."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import distinct_on, insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from funding_service.dues.models import DuesAssessment, DuesDeclaration, DuesPayment
from service_kit.pagination import (
    InvalidCursor,
    KeysetPage,
    PageParams,
    decode_cursor,
    encode_cursor,
    keyset_page,
)


async def declaration(
    session: AsyncSession, member_id: uuid.UUID, month: date
) -> DuesDeclaration | None:
    statement = select(DuesDeclaration).where(
        DuesDeclaration.member_id == member_id, DuesDeclaration.valid_from == month
    )
    return (await session.exec(statement)).first()


async def assessment(
    session: AsyncSession, member_id: uuid.UUID, month: date, *, for_update: bool = False
) -> DuesAssessment | None:
    statement = select(DuesAssessment).where(
        DuesAssessment.member_id == member_id, DuesAssessment.month == month
    )
    if for_update:
        statement = statement.with_for_update()
    return (await session.exec(statement)).first()


async def declarations_in_force(
    session: AsyncSession, month: date, organization_ids: list[uuid.UUID] | None
) -> list[DuesDeclaration]:
    """Each member's latest declaration from `month` or before."""
    statement = (
        select(DuesDeclaration)
        .where(col(DuesDeclaration.valid_from) <= month)
        .ext(distinct_on(col(DuesDeclaration.member_id)))
        .order_by(col(DuesDeclaration.member_id), col(DuesDeclaration.valid_from).desc())
    )
    rows = list((await session.exec(statement)).all())
    if organization_ids is not None:
        wanted = set(organization_ids)
        rows = [r for r in rows if r.organization_id in wanted]
    return rows


async def insert_assessments(session: AsyncSession, rows: list[dict[str, Any]]) -> list[int]:
    """Insert the assessments not made yet; the amounts of those inserted."""
    amounts: list[int] = []
    for start in range(0, len(rows), 1000):
        statement = (
            insert(DuesAssessment)
            .values(rows[start : start + 1000])
            .on_conflict_do_nothing(index_elements=["member_id", "month"])
            .returning(col(DuesAssessment.amount_fen))
        )
        amounts.extend(int(a) for a in (await session.exec(statement)).scalars().all())
    return amounts


async def page_assessments(
    session: AsyncSession,
    params: PageParams,
    where: Any,
    *,
    member_id: uuid.UUID | None,
    organization_id: uuid.UUID | None,
    month: date | None,
) -> KeysetPage:
    statement = select(DuesAssessment).where(where)
    if member_id is not None:
        statement = statement.where(DuesAssessment.member_id == member_id)
    if organization_id is not None:
        statement = statement.where(DuesAssessment.organization_id == organization_id)
    if month is not None:
        statement = statement.where(DuesAssessment.month == month)
    order: list[Any] = [col(DuesAssessment.month), col(DuesAssessment.member_id)]
    return await keyset_page(session, statement, order_by=order, params=params)


async def payment_by_transfer(session: AsyncSession, transfer_id: uuid.UUID) -> DuesPayment | None:
    statement = select(DuesPayment).where(DuesPayment.transfer_id == transfer_id)
    return (await session.exec(statement)).first()


ARREARS = """
WITH scoped AS (
    SELECT * FROM dues_assessment a
    WHERE a.month <= :as_of {scope}
),
last_paid AS (
    SELECT member_id, max(month) AS month FROM scoped WHERE paid_fen >= amount_fen
    GROUP BY member_id
),
unpaid AS (
    SELECT s.member_id,
           (array_agg(s.organization_id ORDER BY s.month DESC))[1] AS organization_id,
           count(*) AS unpaid_months,
           count(*) FILTER (WHERE lp.month IS NULL OR s.month > lp.month) AS consecutive,
           sum(s.amount_fen - s.paid_fen) AS outstanding_fen,
           min(s.month) AS oldest_unpaid_month
    FROM scoped s LEFT JOIN last_paid lp ON lp.member_id = s.member_id
    WHERE s.paid_fen < s.amount_fen
    GROUP BY s.member_id
)
SELECT * FROM unpaid
WHERE consecutive >= :min_months AND (CAST(:after AS uuid) IS NULL OR member_id > :after)
ORDER BY member_id
LIMIT :limit
"""


async def arrears(
    session: AsyncSession,
    *,
    as_of: date,
    min_months: int,
    params: PageParams,
    organization_id: uuid.UUID | None,
    scope: dict[str, list[uuid.UUID]] | None,
) -> tuple[list[Any], str | None]:
    """Members with unpaid assessed months up to `as_of`, `min_months` or more in a row.

    `scope`: None for the whole city, else ids by column (organization_id, district_id,
    member_id), any of which lets a row through.
    """
    clauses = []
    values: dict[str, Any] = {}
    if organization_id is not None:
        clauses.append("a.organization_id = :organization_id")
        values["organization_id"] = organization_id
    if scope is not None:
        either = []
        for column, ids in sorted(scope.items()):
            either.append(f"a.{column} = ANY(CAST(:scope_{column} AS uuid[]))")
            values[f"scope_{column}"] = ids
        clauses.append(f"({' OR '.join(either) or 'false'})")
    clause = "".join(f" AND {c}" for c in clauses)
    after = decode_cursor(params.after, 1)[0] if params.after else None
    if after is not None and not isinstance(after, uuid.UUID):
        raise InvalidCursor(details={"after": params.after})
    connection = await session.connection()
    rows = (
        await connection.execute(
            # The scope is composed of constant fragments; every value is a bound parameter.
            text(ARREARS.format(scope=clause)),
            {
                "as_of": as_of,
                "min_months": min_months,
                "after": after,
                "limit": params.limit + 1,
                **values,
            },
        )
    ).all()
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    cursor = encode_cursor([rows[-1].member_id]) if more and rows else None
    return list(rows), cursor
