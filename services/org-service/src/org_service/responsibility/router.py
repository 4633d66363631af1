"""HTTP endpoints of responsibility assignments (三级包保) and front-line work days."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, status

from org_service.responsibility import repository, service
from org_service.responsibility.models import ResponsibilityLevel
from org_service.responsibility.schemas import (
    FrontlineWorkdayCreate,
    FrontlineWorkdayPublic,
    ResponsibilityAssignmentCreate,
    ResponsibilityAssignmentPublic,
    ResponsibilityEnd,
)
from service_kit.auth import Principal, require_scope
from service_kit.db import SessionDep
from service_kit.pagination import Page, PageParamsDep

router = APIRouter(prefix="/responsibility-assignments", tags=["responsibility"])
workday_router = APIRouter(prefix="/frontline-workdays", tags=["responsibility"])

ReadPrincipal = Annotated[Principal, require_scope("org:read")]
WritePrincipal = Annotated[Principal, require_scope("org:write")]


@router.post(
    "",
    response_model=ResponsibilityAssignmentPublic,
    status_code=status.HTTP_201_CREATED,
    operation_id="create_responsibility_assignment",
)
async def create_assignment(
    data: ResponsibilityAssignmentCreate, session: SessionDep, principal: WritePrincipal
) -> ResponsibilityAssignmentPublic:
    """A county, township or village leader takes responsibility for an organization or a
    work target (optionally as its first secretary)."""
    assignment = await service.create(session=session, principal=principal, data=data)
    return service.to_public(assignment)


@router.get(
    "/{assignment_id}",
    response_model=ResponsibilityAssignmentPublic,
    operation_id="get_responsibility_assignment",
)
async def get_assignment(
    assignment_id: uuid.UUID, session: SessionDep, principal: ReadPrincipal
) -> ResponsibilityAssignmentPublic:
    """One responsibility assignment by id."""
    return service.to_public(
        await service.get(session=session, principal=principal, assignment_id=assignment_id)
    )


@router.post(
    "/{assignment_id}/end",
    response_model=ResponsibilityAssignmentPublic,
    operation_id="end_responsibility_assignment",
)
async def end_assignment(
    assignment_id: uuid.UUID,
    data: ResponsibilityEnd,
    session: SessionDep,
    principal: WritePrincipal,
) -> ResponsibilityAssignmentPublic:
    """End a responsibility assignment: valid_to is the first day it no longer holds."""
    assignment = await service.end(
        session=session, principal=principal, assignment_id=assignment_id, valid_to=data.valid_to
    )
    return service.to_public(assignment)


@router.get(
    "",
    response_model=Page[ResponsibilityAssignmentPublic],
    operation_id="list_responsibility_assignments",
)
async def list_assignments(
    session: SessionDep,
    principal: ReadPrincipal,
    page: PageParamsDep,
    person_name: Annotated[str | None, Query(description="one person's assignments")] = None,
    subject: Annotated[str | None, Query(description="one person's, by login")] = None,
    level: ResponsibilityLevel | None = None,
    organization_id: uuid.UUID | None = None,
    work_target_id: uuid.UUID | None = None,
    first_secretary: bool | None = None,
    valid_on: Annotated[date | None, Query(description="only those holding on this day")] = None,
) -> Page[ResponsibilityAssignmentPublic]:
    """Responsibility assignments the caller may see, oldest first; by person with
    `person_name` or `subject`."""
    where = await service.visible_assignments(session, principal)
    result = await repository.page(
        session,
        page,
        where,
        person_name=person_name,
        subject=subject,
        level=level.value if level else None,
        organization_id=organization_id,
        work_target_id=work_target_id,
        first_secretary=first_secretary,
        day=valid_on,
    )
    return Page(
        items=[service.to_public(a) for a in result.rows],
        next_cursor=result.next_cursor,
        cursors=result.cursors,
    )


@router.post(
    "/{assignment_id}/workdays",
    response_model=FrontlineWorkdayPublic,
    status_code=status.HTTP_201_CREATED,
    operation_id="log_frontline_workday",
)
async def log_workday(
    assignment_id: uuid.UUID,
    data: FrontlineWorkdayCreate,
    session: SessionDep,
    principal: WritePrincipal,
) -> FrontlineWorkdayPublic:
    """Log a front-line work day: the checklist items done (one entry per assignment and day)."""
    workday = await service.log_workday(
        session=session, principal=principal, assignment_id=assignment_id, data=data
    )
    return service.workday_public(workday)


@workday_router.get(
    "", response_model=Page[FrontlineWorkdayPublic], operation_id="list_frontline_workdays"
)
async def list_workdays(
    session: SessionDep,
    principal: ReadPrincipal,
    page: PageParamsDep,
    assignment_id: uuid.UUID | None = None,
    person_name: str | None = None,
    subject: str | None = None,
    since: Annotated[date | None, Query(description="from this day (inclusive)")] = None,
    until: Annotated[date | None, Query(description="before this day (exclusive)")] = None,
) -> Page[FrontlineWorkdayPublic]:
    """Front-line work days of the assignments the caller may see, by day; filter by one
    assignment or by person."""
    assignments = repository.assignment_ids(
        await service.visible_assignments(session, principal),
        assignment_id=assignment_id,
        person_name=person_name,
        subject=subject,
    )
    result = await repository.page_workdays(session, page, assignments, since=since, until=until)
    return Page(
        items=[service.workday_public(w) for w in result.rows],
        next_cursor=result.next_cursor,
        cursors=result.cursors,
    )
