"""Queries on responsibility assignments and front-line work days."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from org_service.responsibility.models import FrontlineWorkday, ResponsibilityAssignment
from org_service.temporal import valid_on
from service_kit.pagination import KeysetPage, PageParams, keyset_page


async def get_visible(
    session: AsyncSession, assignment_id: uuid.UUID, where: Any, *, for_update: bool = False
) -> ResponsibilityAssignment | None:
    statement = select(ResponsibilityAssignment).where(
        ResponsibilityAssignment.id == assignment_id, where
    )
    if for_update:
        statement = statement.with_for_update(of=ResponsibilityAssignment)
    return (await session.exec(statement)).first()


async def of_unit(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID | None,
    work_target_id: uuid.UUID | None,
) -> list[ResponsibilityAssignment]:
    statement = select(ResponsibilityAssignment).where(
        ResponsibilityAssignment.organization_id == organization_id
        if organization_id is not None
        else ResponsibilityAssignment.work_target_id == work_target_id
    )
    return list((await session.exec(statement)).all())


async def page(
    session: AsyncSession,
    params: PageParams,
    where: Any,
    *,
    person_name: str | None = None,
    subject: str | None = None,
    level: str | None = None,
    organization_id: uuid.UUID | None = None,
    work_target_id: uuid.UUID | None = None,
    first_secretary: bool | None = None,
    day: date | None = None,
) -> KeysetPage:
    statement = select(ResponsibilityAssignment).where(where)
    if person_name is not None:
        statement = statement.where(ResponsibilityAssignment.person_name == person_name)
    if subject is not None:
        statement = statement.where(ResponsibilityAssignment.subject == subject)
    if level is not None:
        statement = statement.where(ResponsibilityAssignment.level == level)
    if organization_id is not None:
        statement = statement.where(ResponsibilityAssignment.organization_id == organization_id)
    if work_target_id is not None:
        statement = statement.where(ResponsibilityAssignment.work_target_id == work_target_id)
    if first_secretary is not None:
        statement = statement.where(ResponsibilityAssignment.first_secretary == first_secretary)
    if day is not None:
        statement = statement.where(
            valid_on(ResponsibilityAssignment.valid_from, ResponsibilityAssignment.valid_to, day)
        )
    order: list[Any] = [col(ResponsibilityAssignment.valid_from), col(ResponsibilityAssignment.id)]
    return await keyset_page(session, statement, order_by=order, params=params)


def assignment_ids(
    where: Any,
    *,
    assignment_id: uuid.UUID | None = None,
    person_name: str | None = None,
    subject: str | None = None,
) -> Any:
    """A subquery of the ids of assignments matching `where` and the filters given."""
    statement = select(ResponsibilityAssignment.id).where(where)
    if assignment_id is not None:
        statement = statement.where(ResponsibilityAssignment.id == assignment_id)
    if person_name is not None:
        statement = statement.where(ResponsibilityAssignment.person_name == person_name)
    if subject is not None:
        statement = statement.where(ResponsibilityAssignment.subject == subject)
    return statement


async def page_workdays(
    session: AsyncSession,
    params: PageParams,
    assignments: Any,
    *,
    since: date | None = None,
    until: date | None = None,
) -> KeysetPage:
    """Work days of the assignments `assignments` (a subquery of ids), by day."""
    statement = select(FrontlineWorkday).where(col(FrontlineWorkday.assignment_id).in_(assignments))
    if since is not None:
        statement = statement.where(FrontlineWorkday.day >= since)
    if until is not None:
        statement = statement.where(FrontlineWorkday.day < until)
    order: list[Any] = [col(FrontlineWorkday.day), col(FrontlineWorkday.id)]
    return await keyset_page(session, statement, order_by=order, params=params)
