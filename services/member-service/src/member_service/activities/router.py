"""HTTP endpoints of activities, attendance and the activity rhythm."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from member_service.activities import service
from member_service.activities.models import ActivityKind
from member_service.activities.schemas import (
    ActivityCreate,
    ActivityPublic,
    AttendanceIn,
    AttendancePublic,
    RhythmPublic,
)
from member_service.references.client import OrgDep
from service_kit.auth import Principal, require_scope
from service_kit.db import SessionDep
from service_kit.errors import ErrorResponse
from service_kit.pagination import Page, PageParamsDep

ReadPrincipal = Annotated[Principal, require_scope("member:read")]
WritePrincipal = Annotated[Principal, require_scope("member:write")]

ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorResponse, "description": "not your organization's activity"},
    404: {"model": ErrorResponse, "description": "no such activity you may see"},
    409: {"model": ErrorResponse, "description": "attendance recorded already"},
    422: {"model": ErrorResponse, "description": "a rule refuses it; the code names it"},
    503: {"model": ErrorResponse, "description": "org-service is not answering"},
}

activities = APIRouter(prefix="/activities", tags=["activities"])
rhythm = APIRouter(tags=["activities"])


@activities.post(
    "",
    response_model=ActivityPublic,
    status_code=status.HTTP_201_CREATED,
    operation_id="create_activity",
    responses=ERRORS,
)
async def create_activity(
    data: ActivityCreate, session: SessionDep, principal: WritePrincipal, org: OrgDep
) -> ActivityPublic:
    """Record a regular meeting, party lesson or themed party day an organization held."""
    return await service.create(session=session, principal=principal, org=org, data=data)


@activities.get("", response_model=Page[ActivityPublic], operation_id="list_activities")
async def list_activities(
    session: SessionDep,
    principal: ReadPrincipal,
    page: PageParamsDep,
    organization_id: uuid.UUID | None = None,
    kind: ActivityKind | None = None,
) -> Page[ActivityPublic]:
    """Activities the caller may see, by the day they were held."""
    return await service.list_public(
        session=session, principal=principal, page=page, organization_id=organization_id, kind=kind
    )


@activities.get(
    "/{activity_id}", response_model=ActivityPublic, operation_id="get_activity", responses=ERRORS
)
async def get_activity(
    activity_id: uuid.UUID, session: SessionDep, principal: ReadPrincipal
) -> ActivityPublic:
    """One activity with its attendance tally."""
    return await service.get(session=session, principal=principal, activity_id=activity_id)


@activities.post(
    "/{activity_id}/attendance",
    response_model=list[AttendancePublic],
    status_code=status.HTTP_201_CREATED,
    operation_id="record_attendance",
    responses=ERRORS,
)
async def record_attendance(
    activity_id: uuid.UUID, data: AttendanceIn, session: SessionDep, principal: WritePrincipal
) -> list[AttendancePublic]:
    """Who attended (present, absent, excused); each record lands in the member's archive."""
    return await service.record_attendance(
        session=session, principal=principal, activity_id=activity_id, data=data
    )


@activities.get(
    "/{activity_id}/attendance",
    response_model=list[AttendancePublic],
    operation_id="list_attendance",
    responses=ERRORS,
)
async def list_attendance(
    activity_id: uuid.UUID, session: SessionDep, principal: ReadPrincipal
) -> list[AttendancePublic]:
    """The activity's attendance records."""
    return await service.list_attendance(
        session=session, principal=principal, activity_id=activity_id
    )


@rhythm.get(
    "/activity-rhythm",
    response_model=RhythmPublic,
    operation_id="get_activity_rhythm",
    responses=ERRORS,
)
async def get_activity_rhythm(
    session: SessionDep,
    principal: ReadPrincipal,
    organization_id: uuid.UUID,
    year: Annotated[int, Query(ge=1921, le=9999)],
) -> RhythmPublic:
    """Per kind, the year's months or quarters so far and how many activities were held."""
    return await service.rhythm(
        session=session, principal=principal, organization_id=organization_id, year=year
    )


router = APIRouter()
router.include_router(activities)
router.include_router(rhythm)
