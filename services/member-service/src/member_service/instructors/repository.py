"""Queries on instructors and their assignments."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from member_service.instructors.models import Instructor, InstructorAssignment
from member_service.temporal import held_on
from service_kit.pagination import KeysetPage, PageParams, keyset_page


async def get_visible(
    session: AsyncSession, instructor_id: uuid.UUID, where: Any
) -> Instructor | None:
    rows = await session.exec(select(Instructor).where(Instructor.id == instructor_id, where))
    return rows.first()


async def by_subject(session: AsyncSession, subject: str) -> Instructor | None:
    rows = await session.exec(select(Instructor).where(Instructor.subject == subject))
    return rows.first()


async def assignment(
    session: AsyncSession, assignment_id: uuid.UUID
) -> InstructorAssignment | None:
    return await session.get(InstructorAssignment, assignment_id)


async def assignments(
    session: AsyncSession, instructor_id: uuid.UUID
) -> list[InstructorAssignment]:
    rows = await session.exec(
        select(InstructorAssignment)
        .where(InstructorAssignment.instructor_id == instructor_id)
        .order_by(col(InstructorAssignment.started_on), col(InstructorAssignment.id))
    )
    return list(rows.all())


async def employed_on(
    session: AsyncSession, employer_ids: Sequence[uuid.UUID], day: date
) -> dict[uuid.UUID, int]:
    rows = await session.exec(
        select(Instructor.employer_id, func.count())
        .where(
            col(Instructor.employer_id).in_(employer_ids),
            held_on(Instructor.hired_on, Instructor.left_on, day),
        )
        .group_by(col(Instructor.employer_id))
    )
    return {employer: int(count) for employer, count in rows.all()}


async def page(
    session: AsyncSession,
    params: PageParams,
    where: Any,
    *,
    employer_id: uuid.UUID | None,
    day: date | None,
) -> KeysetPage:
    statement = select(Instructor).where(where)
    if employer_id is not None:
        statement = statement.where(Instructor.employer_id == employer_id)
    if day is not None:
        statement = statement.where(held_on(Instructor.hired_on, Instructor.left_on, day))
    return await keyset_page(
        session,
        statement,
        order_by=[col(Instructor.name), col(Instructor.id)],  # type: ignore[list-item]
        params=params,
    )
