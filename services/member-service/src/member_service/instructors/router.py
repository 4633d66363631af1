"""HTTP endpoints of full-time instructors, their assignments and the staffing report."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from member_service.instructors import service
from member_service.instructors.schemas import (
    AssignmentCreate,
    AssignmentEnd,
    AssignmentPublic,
    InstructorCreate,
    InstructorLeave,
    InstructorPublic,
    StaffingReport,
)
from member_service.references.client import OrgDep
from member_service.temporal import AsOfDep
from service_kit.auth import Principal, require_scope
from service_kit.db import SessionDep
from service_kit.errors import ErrorResponse
from service_kit.pagination import Page, PageParamsDep

ReadPrincipal = Annotated[Principal, require_scope("member:read")]
WritePrincipal = Annotated[Principal, require_scope("member:write")]

ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorResponse, "description": "not your district"},
    404: {"model": ErrorResponse, "description": "no such instructor you may see"},
    409: {"model": ErrorResponse, "description": "left or ended already"},
    422: {"model": ErrorResponse, "description": "a rule refuses it; the code names it"},
    503: {"model": ErrorResponse, "description": "org-service is not answering"},
}

instructors = APIRouter(prefix="/instructors", tags=["instructors"])
assignments = APIRouter(prefix="/instructor-assignments", tags=["instructors"])
staffing = APIRouter(tags=["instructors"])


@instructors.post(
    "",
    response_model=InstructorPublic,
    status_code=status.HTTP_201_CREATED,
    operation_id="hire_instructor",
    responses=ERRORS,
)
async def hire_instructor(
    data: InstructorCreate, session: SessionDep, principal: WritePrincipal, org: OrgDep
) -> InstructorPublic:
    """Record a full-time instructor employed by a district or a park."""
    return await service.hire(session=session, principal=principal, org=org, data=data)


@instructors.get("", response_model=Page[InstructorPublic], operation_id="list_instructors")
async def list_instructors(
    session: SessionDep,
    principal: ReadPrincipal,
    page: PageParamsDep,
    employer_id: uuid.UUID | None = None,
    employed_on: Annotated[date | None, Query(description="only those employed that day")] = None,
) -> Page[InstructorPublic]:
    """Instructors the caller may see, by name."""
    return await service.list_public(
        session=session,
        principal=principal,
        page=page,
        employer_id=employer_id,
        employed_on=employed_on,
    )


@instructors.get(
    "/{instructor_id}",
    response_model=InstructorPublic,
    operation_id="get_instructor",
    responses=ERRORS,
)
async def get_instructor(
    instructor_id: uuid.UUID, session: SessionDep, principal: ReadPrincipal
) -> InstructorPublic:
    """One instructor."""
    return await service.get(session=session, principal=principal, instructor_id=instructor_id)


@instructors.post(
    "/{instructor_id}/leave",
    response_model=InstructorPublic,
    operation_id="instructor_leaves",
    responses=ERRORS,
)
async def instructor_leaves(
    instructor_id: uuid.UUID, data: InstructorLeave, session: SessionDep, principal: WritePrincipal
) -> InstructorPublic:
    """The instructor's employment ends (and with it their assignments)."""
    return await service.leave(
        session=session, principal=principal, instructor_id=instructor_id, data=data
    )


@instructors.post(
    "/{instructor_id}/assignments",
    response_model=AssignmentPublic,
    status_code=status.HTTP_201_CREATED,
    operation_id="assign_instructor",
    responses=ERRORS,
)
async def assign_instructor(
    instructor_id: uuid.UUID,
    data: AssignmentCreate,
    session: SessionDep,
    principal: WritePrincipal,
    org: OrgDep,
) -> AssignmentPublic:
    """Assign the instructor to an organization or a work target."""
    return await service.assign(
        session=session, principal=principal, org=org, instructor_id=instructor_id, data=data
    )


@instructors.get(
    "/{instructor_id}/assignments",
    response_model=list[AssignmentPublic],
    operation_id="list_instructor_assignments",
    responses=ERRORS,
)
async def list_instructor_assignments(
    instructor_id: uuid.UUID, session: SessionDep, principal: ReadPrincipal
) -> list[AssignmentPublic]:
    """The instructor's assignments, oldest first."""
    return await service.list_assignments(
        session=session, principal=principal, instructor_id=instructor_id
    )


@assignments.post(
    "/{assignment_id}/end",
    response_model=AssignmentPublic,
    operation_id="end_instructor_assignment",
    responses=ERRORS,
)
async def end_instructor_assignment(
    assignment_id: uuid.UUID, data: AssignmentEnd, session: SessionDep, principal: WritePrincipal
) -> AssignmentPublic:
    """The assignment ends after `ended_on`."""
    return await service.end_assignment(
        session=session, principal=principal, assignment_id=assignment_id, data=data
    )


@staffing.get(
    "/instructor-staffing",
    response_model=StaffingReport,
    operation_id="instructor_staffing",
    responses=ERRORS,
)
async def instructor_staffing(
    session: SessionDep, principal: ReadPrincipal, org: OrgDep, as_of: AsOfDep
) -> StaffingReport:
    """Instructors of every district, county, new area and national or provincial park against
    the norms; shortfalls first."""
    return await service.staffing(session=session, principal=principal, org=org, as_of=as_of)


router = APIRouter()
router.include_router(instructors)
router.include_router(assignments)
router.include_router(staffing)
