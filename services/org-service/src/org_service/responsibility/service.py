"""Rules on responsibility assignments (三级包保, first secretaries) and front-line work days."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import or_, true
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from org_service import policy_keys
from org_service.access import may_write_in_region, visible_organizations, visible_work_targets
from org_service.integrity import flush_unique
from org_service.organizations.models import Organization
from org_service.places import service as place_service
from org_service.responsibility import repository
from org_service.responsibility.models import FrontlineWorkday, ResponsibilityAssignment
from org_service.responsibility.schemas import (
    FrontlineWorkdayCreate,
    FrontlineWorkdayPublic,
    ResponsibilityAssignmentCreate,
    ResponsibilityAssignmentPublic,
)
from org_service.temporal import check_end, today
from org_service.work_targets import service as work_target_service
from org_service.work_targets.models import WorkTarget
from service_kit.audit import record_audit
from service_kit.auth import Principal
from service_kit.errors import Conflict, NotFound, Unprocessable
from service_kit.policy import value_on


class ResponsibilityNotFound(NotFound):
    code = "responsibility_assignment_not_found"
    message = "No responsibility assignment with this id (or it is outside what you may see)."


class InvalidResponsibility(Unprocessable):
    code = "invalid_responsibility_assignment"


class ResponsibilityConflict(Conflict):
    code = "responsibility_conflict"


class InvalidWorkday(Unprocessable):
    code = "invalid_frontline_workday"


class DuplicateWorkday(Conflict):
    code = "duplicate_workday"


def to_public(assignment: ResponsibilityAssignment) -> ResponsibilityAssignmentPublic:
    return ResponsibilityAssignmentPublic.model_validate(assignment)


def workday_public(workday: FrontlineWorkday) -> FrontlineWorkdayPublic:
    return FrontlineWorkdayPublic.model_validate(workday)


async def visible_assignments(session: AsyncSession, principal: Principal) -> Any:
    """A WHERE clause on ResponsibilityAssignment: those on units the caller may see, and
    the caller's own."""
    if principal.is_city_wide:
        return true()
    targets = select(WorkTarget.id).where(await visible_work_targets(session, principal))
    orgs = select(Organization.id).where(await visible_organizations(session, principal))
    return or_(
        col(ResponsibilityAssignment.work_target_id).in_(targets),
        col(ResponsibilityAssignment.organization_id).in_(orgs),
        col(ResponsibilityAssignment.subject) == principal.subject,
    )


async def get(
    *,
    session: AsyncSession,
    principal: Principal,
    assignment_id: uuid.UUID,
    for_update: bool = False,
) -> ResponsibilityAssignment:
    where = await visible_assignments(session, principal)
    assignment = await repository.get_visible(session, assignment_id, where, for_update=for_update)
    if assignment is None:
        raise ResponsibilityNotFound(details={"id": str(assignment_id)})
    return assignment


def _same_person(a: ResponsibilityAssignment, data: ResponsibilityAssignmentCreate) -> bool:
    if data.subject is not None and a.subject is not None:
        return a.subject == data.subject
    return a.person_name == data.person_name


async def create(
    *, session: AsyncSession, principal: Principal, data: ResponsibilityAssignmentCreate
) -> ResponsibilityAssignment:
    """A leader takes responsibility for a unit from valid_from (city or district admins)."""
    await work_target_service.assignable_unit(
        session=session,
        principal=principal,
        work_target_id=data.work_target_id,
        organization_id=data.organization_id,
        valid_from=data.valid_from,
    )
    others = await repository.of_unit(
        session, organization_id=data.organization_id, work_target_id=data.work_target_id
    )
    for other in others:
        if other.valid_to is not None and other.valid_to <= data.valid_from:
            continue  # ended before this one starts
        if _same_person(other, data):
            raise ResponsibilityConflict(
                f"{other.person_name} is responsible for this unit already, from "
                f"{other.valid_from}; end that assignment first.",
                code="duplicate_assignment",
                details={"id": str(other.id)},
            )
        if data.first_secretary and other.first_secretary:
            raise ResponsibilityConflict(
                f"{other.person_name} is the unit's first secretary from {other.valid_from}; "
                "a unit has one first secretary at a time. End that assignment first.",
                code="first_secretary_taken",
                details={"id": str(other.id)},
            )
    assignment = ResponsibilityAssignment(
        person_name=data.person_name,
        subject=data.subject,
        level=data.level.value,
        position=data.position,
        organization_id=data.organization_id,
        work_target_id=data.work_target_id,
        first_secretary=data.first_secretary,
        valid_from=data.valid_from,
    )
    if await flush_unique(session, assignment) is not None:  # a concurrent first secretary won
        raise ResponsibilityConflict(
            "The unit has a first secretary already.", code="first_secretary_taken"
        )
    await record_audit(
        session,
        principal=principal,
        action="responsibility_assignment.create",
        entity_type="responsibility_assignment",
        entity_id=assignment.id,
        after=to_public(assignment).model_dump(mode="json"),
    )
    return assignment


async def end(
    *, session: AsyncSession, principal: Principal, assignment_id: uuid.UUID, valid_to: date
) -> ResponsibilityAssignment:
    """End the assignment on `valid_to` (exclusive)."""
    assignment = await get(
        session=session, principal=principal, assignment_id=assignment_id, for_update=True
    )
    unit = await work_target_service.unit_of(
        session,
        work_target_id=assignment.work_target_id,
        organization_id=assignment.organization_id,
    )
    if not await may_write_in_region(session, principal, unit.region_id):
        raise place_service.OutsideYourRegion(details={"region_id": str(unit.region_id)})
    check_end(
        what="assignment",
        starts=assignment.valid_from,
        ended=assignment.valid_to,
        new_end=valid_to,
        ended_code="assignment_ended",
        entity_id=assignment.id,
    )
    before = to_public(assignment).model_dump(mode="json")
    assignment.valid_to = valid_to
    session.add(assignment)
    await session.flush()
    await record_audit(
        session,
        principal=principal,
        action="responsibility_assignment.end",
        entity_type="responsibility_assignment",
        entity_id=assignment.id,
        before=before,
        after=to_public(assignment).model_dump(mode="json"),
    )
    return assignment


async def log_workday(
    *,
    session: AsyncSession,
    principal: Principal,
    assignment_id: uuid.UUID,
    data: FrontlineWorkdayCreate,
) -> FrontlineWorkday:
    """Log one front-line work day of an assignment: the person themself, or an admin of
    the unit's district (or the city)."""
    assignment = await get(session=session, principal=principal, assignment_id=assignment_id)
    is_self = assignment.subject is not None and assignment.subject == principal.subject
    if not is_self:
        unit = await work_target_service.unit_of(
            session,
            work_target_id=assignment.work_target_id,
            organization_id=assignment.organization_id,
        )
        if not await may_write_in_region(session, principal, unit.region_id):
            raise place_service.OutsideYourRegion(details={"region_id": str(unit.region_id)})
    if data.day > today():
        raise InvalidWorkday(
            "A work day can be logged on the day or after it, not before.",
            code="workday_in_future",
            details={"field": "day"},
        )
    if data.day < assignment.valid_from or (
        assignment.valid_to is not None and data.day >= assignment.valid_to
    ):
        raise InvalidWorkday(
            f"The assignment holds from {assignment.valid_from}"
            + (f" until {assignment.valid_to}" if assignment.valid_to else "")
            + "; the work day must lie within it.",
            code="workday_outside_assignment",
            details={"field": "day"},
        )
    checklist = list(await value_on(session, policy_keys.FRONTLINE_CHECKLIST, data.day))
    unknown = [item for item in data.items if item not in checklist]
    if unknown:
        raise InvalidWorkday(
            f"Not on the front-line checklist: {', '.join(unknown)}.",
            code="unknown_checklist_item",
            details={"field": "items", "unknown": unknown, "allowed": checklist},
        )
    workday = FrontlineWorkday(
        assignment_id=assignment.id,
        day=data.day,
        items=list(dict.fromkeys(data.items)),
        note=data.note,
        recorded_by=principal.subject,
    )
    if await flush_unique(session, workday) is not None:
        raise DuplicateWorkday(
            f"A work day on {data.day} is logged for this assignment already.",
            details={"assignment_id": str(assignment.id), "day": data.day.isoformat()},
        )
    await record_audit(
        session,
        principal=principal,
        action="frontline_workday.create",
        entity_type="frontline_workday",
        entity_id=workday.id,
        after=workday_public(workday).model_dump(mode="json"),
    )
    return workday
