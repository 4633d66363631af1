"""Queries on work targets, their coverage links and instructor assignments.

The coverage predicates here are the one definition of "covered on day D" for lists;
org_service.coverage counts with the same rule in SQL of its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from org_service.organizations.models import OrganizationStatus, OrganizationVersion
from org_service.places.models import Place
from org_service.places.repository import in_region_subtree
from org_service.temporal import valid_on
from org_service.work_targets.models import (
    CoverageState,
    InstructorAssignment,
    WorkTarget,
    WorkTargetCoverage,
)
from service_kit.pagination import KeysetPage, PageParams, keyset_page

# ----------------------------------------------------------------------------- predicates


def registered_on(day: date) -> Any:
    """SQL: the target is registered on `day` (registered, and not yet deregistered)."""
    return and_(
        col(WorkTarget.registered_on) <= day,
        or_(col(WorkTarget.deregistered_on).is_(None), col(WorkTarget.deregistered_on) > day),
    )


def covering_organization_active_on(day: date) -> Any:
    """SQL: the organization of the enclosing coverage link is active on `day`."""
    return (
        select(OrganizationVersion.id)
        .where(
            OrganizationVersion.organization_id == WorkTargetCoverage.organization_id,
            valid_on(OrganizationVersion.valid_from, OrganizationVersion.valid_to, day),
            OrganizationVersion.status == OrganizationStatus.active,
        )
        .exists()
    )


def link_valid_on(day: date) -> Any:
    """SQL: the coverage link holds on `day`: its range holds the day and its organization
    is active then (a dissolution ends coverage even where a link was left open)."""
    return and_(
        valid_on(WorkTargetCoverage.valid_from, WorkTargetCoverage.valid_to, day),
        covering_organization_active_on(day),
    )


def assignment_valid_on(day: date) -> Any:
    return valid_on(InstructorAssignment.valid_from, InstructorAssignment.valid_to, day)


def organizationally_covered_on(day: date) -> Any:
    """SQL: a coverage link of the target holds on `day`."""
    return (
        select(WorkTargetCoverage.id)
        .where(WorkTargetCoverage.work_target_id == WorkTarget.id, link_valid_on(day))
        .exists()
    )


def instructor_assigned_on(day: date) -> Any:
    """SQL: an instructor or liaison is assigned to the target itself on `day`."""
    return (
        select(InstructorAssignment.id)
        .where(InstructorAssignment.work_target_id == WorkTarget.id, assignment_valid_on(day))
        .exists()
    )


def in_state_on(state: CoverageState, day: date) -> Any:
    """SQL: the target's coverage on `day` is `state` (see service.coverage_state)."""
    registered = registered_on(day)
    covered = organizationally_covered_on(day)
    assigned = instructor_assigned_on(day)
    if state == CoverageState.not_registered:
        return ~registered
    if state == CoverageState.organizational:
        return and_(registered, covered)
    if state == CoverageState.work:
        return and_(registered, ~covered, assigned)
    return and_(registered, ~covered, ~assigned)


def in_place(place_id: uuid.UUID) -> Any:
    """SQL: the target is in the place, or in a place inside it (a building in a park)."""
    inside = select(Place.id).where(Place.parent_place_id == place_id)
    return or_(col(WorkTarget.place_id) == place_id, col(WorkTarget.place_id).in_(inside))


# ----------------------------------------------------------------------------- targets


async def get(session: AsyncSession, target_id: uuid.UUID) -> WorkTarget | None:
    return await session.get(WorkTarget, target_id)


async def get_visible(
    session: AsyncSession, target_id: uuid.UUID, where: Any, *, for_update: bool = False
) -> WorkTarget | None:
    """The target if `where` lets the caller see it; locked for the transaction if asked."""
    statement = select(WorkTarget).where(WorkTarget.id == target_id, where)
    if for_update:
        statement = statement.with_for_update(of=WorkTarget)
    return (await session.exec(statement)).first()


async def id_by_credit_code(session: AsyncSession, credit_code: str) -> uuid.UUID | None:
    statement = select(WorkTarget.id).where(WorkTarget.credit_code == credit_code)
    return (await session.exec(statement)).first()


async def get_many(
    session: AsyncSession, ids: Sequence[uuid.UUID], where: Any, *, for_update: bool = False
) -> list[WorkTarget]:
    """The targets `where` lets the caller see; locked (in id order) for the transaction if
    asked."""
    statement = select(WorkTarget).where(col(WorkTarget.id).in_(ids), where)
    if for_update:
        statement = statement.order_by(col(WorkTarget.id)).with_for_update(of=WorkTarget)
    return list((await session.exec(statement)).all())


async def page(
    session: AsyncSession,
    params: PageParams,
    where: Any,
    *,
    day: date,
    region_path: str | None = None,
    place_id: uuid.UUID | None = None,
    industry: str | None = None,
    kind: str | None = None,
    credit_code: str | None = None,
    covered_by: uuid.UUID | None = None,
    uncovered_only: bool = False,
    state: CoverageState | None = None,
) -> KeysetPage:
    statement = select(WorkTarget).where(where)
    if region_path is not None:
        statement = statement.where(in_region_subtree(col(WorkTarget.region_id), region_path))
    if place_id is not None:
        statement = statement.where(in_place(place_id))
    if industry is not None:
        statement = statement.where(WorkTarget.industry == industry)
    if kind is not None:
        statement = statement.where(WorkTarget.kind == kind)
    if credit_code is not None:
        statement = statement.where(WorkTarget.credit_code == credit_code)
    if covered_by is not None:
        links = select(WorkTargetCoverage.work_target_id).where(
            WorkTargetCoverage.organization_id == covered_by, link_valid_on(day)
        )
        statement = statement.where(col(WorkTarget.id).in_(links))
    if uncovered_only:
        statement = statement.where(registered_on(day), ~organizationally_covered_on(day))
    if state is not None:
        statement = statement.where(in_state_on(state, day))
    order: list[Any] = [col(WorkTarget.name), col(WorkTarget.id)]
    return await keyset_page(session, statement, order_by=order, params=params)


# ----------------------------------------------------------------------------- coverage links


async def links_on(
    session: AsyncSession, target_ids: Sequence[uuid.UUID], day: date
) -> dict[uuid.UUID, WorkTargetCoverage]:
    """The link valid on `day` of each target that has one (links never overlap)."""
    if not target_ids:
        return {}
    statement = select(WorkTargetCoverage).where(
        col(WorkTargetCoverage.work_target_id).in_(target_ids), link_valid_on(day)
    )
    return {link.work_target_id: link for link in (await session.exec(statement)).all()}


async def assigned_on(
    session: AsyncSession, target_ids: Sequence[uuid.UUID], day: date
) -> set[uuid.UUID]:
    """Those of `target_ids` with an instructor or liaison assigned on `day`."""
    if not target_ids:
        return set()
    statement = select(InstructorAssignment.work_target_id).where(
        col(InstructorAssignment.work_target_id).in_(target_ids), assignment_valid_on(day)
    )
    return {i for i in (await session.exec(statement)).all() if i is not None}


async def get_link(
    session: AsyncSession, target_id: uuid.UUID, link_id: uuid.UUID
) -> WorkTargetCoverage | None:
    statement = select(WorkTargetCoverage).where(
        WorkTargetCoverage.id == link_id, WorkTargetCoverage.work_target_id == target_id
    )
    return (await session.exec(statement)).first()


async def links_of(session: AsyncSession, target_id: uuid.UUID) -> list[WorkTargetCoverage]:
    """Every link of the target, oldest first."""
    statement = (
        select(WorkTargetCoverage)
        .where(WorkTargetCoverage.work_target_id == target_id)
        .order_by(col(WorkTargetCoverage.valid_from), col(WorkTargetCoverage.id))
    )
    return list((await session.exec(statement)).all())


async def links_of_many(
    session: AsyncSession, target_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[WorkTargetCoverage]]:
    """Every link of each of the targets, oldest first."""
    links: dict[uuid.UUID, list[WorkTargetCoverage]] = {t: [] for t in target_ids}
    if not target_ids:
        return links
    statement = (
        select(WorkTargetCoverage)
        .where(col(WorkTargetCoverage.work_target_id).in_(target_ids))
        .order_by(col(WorkTargetCoverage.valid_from), col(WorkTargetCoverage.id))
    )
    for link in (await session.exec(statement)).all():
        links[link.work_target_id].append(link)
    return links


async def page_links(session: AsyncSession, params: PageParams, target_id: uuid.UUID) -> KeysetPage:
    statement = select(WorkTargetCoverage).where(WorkTargetCoverage.work_target_id == target_id)
    order: list[Any] = [col(WorkTargetCoverage.valid_from), col(WorkTargetCoverage.id)]
    return await keyset_page(session, statement, order_by=order, params=params)


# ----------------------------------------------------------------------------- assignments


async def get_assignment(
    session: AsyncSession, assignment_id: uuid.UUID, *, for_update: bool = False
) -> InstructorAssignment | None:
    statement = select(InstructorAssignment).where(InstructorAssignment.id == assignment_id)
    if for_update:
        statement = statement.with_for_update()
    return (await session.exec(statement)).first()


async def assignments_of_unit(
    session: AsyncSession,
    *,
    work_target_id: uuid.UUID | None = None,
    organization_id: uuid.UUID | None = None,
) -> list[InstructorAssignment]:
    statement = select(InstructorAssignment)
    if work_target_id is not None:
        statement = statement.where(InstructorAssignment.work_target_id == work_target_id)
    if organization_id is not None:
        statement = statement.where(InstructorAssignment.organization_id == organization_id)
    return list((await session.exec(statement)).all())


async def page_assignments(
    session: AsyncSession,
    params: PageParams,
    where: Any,
    *,
    work_target_id: uuid.UUID | None = None,
    organization_id: uuid.UUID | None = None,
    subject: str | None = None,
    role: str | None = None,
    day: date | None = None,
) -> KeysetPage:
    statement = select(InstructorAssignment).where(where)
    if work_target_id is not None:
        statement = statement.where(InstructorAssignment.work_target_id == work_target_id)
    if organization_id is not None:
        statement = statement.where(InstructorAssignment.organization_id == organization_id)
    if subject is not None:
        statement = statement.where(InstructorAssignment.subject == subject)
    if role is not None:
        statement = statement.where(InstructorAssignment.role == role)
    if day is not None:
        statement = statement.where(assignment_valid_on(day))
    order: list[Any] = [col(InstructorAssignment.valid_from), col(InstructorAssignment.id)]
    return await keyset_page(session, statement, order_by=order, params=params)
