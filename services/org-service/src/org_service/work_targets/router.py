"""HTTP endpoints of work targets, their coverage links and instructor assignments."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, status

from org_service.access import region_path, visible_work_targets
from org_service.temporal import AsOfDep, today
from org_service.work_targets import repository, service
from org_service.work_targets.credit_code import validate_credit_code
from org_service.work_targets.models import AssignmentRole, CoverageState, Industry, WorkTargetKind
from org_service.work_targets.schemas import (
    CoverageBulkStart,
    CoverageLinkPublic,
    CoverageLinksStarted,
    CoverageStart,
    InstructorAssignmentCreate,
    InstructorAssignmentPublic,
    PeriodEnd,
    WorkTargetCreate,
    WorkTargetPublic,
    WorkTargetUpdate,
)
from service_kit.auth import Principal, require_scope
from service_kit.db import SessionDep
from service_kit.deps import PublisherDep
from service_kit.pagination import Page, PageParamsDep, parse_ids

router = APIRouter(prefix="/work-targets", tags=["work targets"])
assignment_router = APIRouter(prefix="/instructor-assignments", tags=["work targets"])

ReadPrincipal = Annotated[Principal, require_scope("org:read")]
WritePrincipal = Annotated[Principal, require_scope("org:write")]


@router.post(
    "",
    response_model=WorkTargetPublic,
    status_code=status.HTTP_201_CREATED,
    operation_id="create_work_target",
)
async def create_work_target(
    data: WorkTargetCreate, session: SessionDep, principal: WritePrincipal
) -> WorkTargetPublic:
    """Register an enterprise or social organization as a work target (409 on a known
    credit code)."""
    target = await service.create(session=session, principal=principal, data=data)
    return await service.to_public(session, target, today())


@router.get("/{target_id}", response_model=WorkTargetPublic, operation_id="get_work_target")
async def get_work_target(
    target_id: uuid.UUID, session: SessionDep, principal: ReadPrincipal, as_of: AsOfDep
) -> WorkTargetPublic:
    """One work target, with its coverage on `as_of`."""
    target = await service.get(session=session, principal=principal, target_id=target_id)
    return await service.to_public(session, target, as_of)


@router.patch("/{target_id}", response_model=WorkTargetPublic, operation_id="update_work_target")
async def update_work_target(
    target_id: uuid.UUID,
    data: WorkTargetUpdate,
    session: SessionDep,
    principal: WritePrincipal,
    publisher: PublisherDep,
) -> WorkTargetPublic:
    """Change some fields of a work target."""
    target = await service.update(
        session=session, principal=principal, publisher=publisher, target_id=target_id, data=data
    )
    return await service.to_public(session, target, today())


@router.get("", response_model=Page[WorkTargetPublic], operation_id="list_work_targets")
async def list_work_targets(
    session: SessionDep,
    principal: ReadPrincipal,
    page: PageParamsDep,
    as_of: AsOfDep,
    ids: Annotated[str | None, Query(description="comma-separated ids: a batch get")] = None,
    region_id: Annotated[
        uuid.UUID | None, Query(description="targets in this region or any region below it")
    ] = None,
    place_id: Annotated[
        uuid.UUID | None, Query(description="targets in this place or a place inside it")
    ] = None,
    industry: Industry | None = None,
    kind: WorkTargetKind | None = None,
    credit_code: str | None = None,
    covered_by: Annotated[
        uuid.UUID | None, Query(description="targets this organization covers on as_of")
    ] = None,
    uncovered_only: Annotated[
        bool,
        Query(
            description="registered on as_of without organizational coverage (those with "
            "only work coverage included)"
        ),
    ] = False,
    coverage_state: Annotated[
        CoverageState | None, Query(description="targets in this coverage state on as_of")
    ] = None,
) -> Page[WorkTargetPublic]:
    """Work targets the caller may see, by name, a page at a time, with coverage on `as_of`.

    With `ids`, exactly those the caller may see (unknown or hidden ids are left out).
    """
    where = await visible_work_targets(session, principal)
    wanted = parse_ids(ids)
    if wanted is not None:
        rows = await repository.get_many(session, wanted, where)
        return Page(items=await service.to_public_many(session, rows, as_of))
    anchor = None
    if region_id is not None:
        anchor = await region_path(session, region_id)
        if anchor is None:
            return Page(items=[])
    result = await repository.page(
        session,
        page,
        where,
        day=as_of,
        region_path=anchor,
        place_id=place_id,
        industry=industry.value if industry else None,
        kind=kind.value if kind else None,
        credit_code=validate_credit_code(credit_code) if credit_code is not None else None,
        covered_by=covered_by,
        uncovered_only=uncovered_only,
        state=coverage_state,
    )
    return Page(
        items=await service.to_public_many(session, result.rows, as_of),
        next_cursor=result.next_cursor,
        cursors=result.cursors,
    )


@router.post(
    "/coverage/bulk",
    response_model=CoverageLinksStarted,
    status_code=status.HTTP_201_CREATED,
    operation_id="start_work_target_coverages",
)
async def start_coverages(
    data: CoverageBulkStart,
    session: SessionDep,
    principal: WritePrincipal,
    publisher: PublisherDep,
) -> CoverageLinksStarted:
    """Up to 1000 coverage links at once, in order, each under the rules of a single start
    (also against earlier items of the request): all started, or none (the error names the
    item)."""
    return await service.start_coverages(
        session=session, principal=principal, publisher=publisher, items=data.items
    )


@router.post(
    "/{target_id}/coverage",
    response_model=CoverageLinkPublic,
    status_code=status.HTTP_201_CREATED,
    operation_id="start_work_target_coverage",
)
async def start_coverage(
    target_id: uuid.UUID,
    data: CoverageStart,
    session: SessionDep,
    principal: WritePrincipal,
    publisher: PublisherDep,
) -> CoverageLinkPublic:
    """Start organizational coverage: the target is covered by an organization from
    valid_from. At most one link is open at a time: end it first, or send replace=true."""
    link = await service.start_coverage(
        session=session, principal=principal, publisher=publisher, target_id=target_id, data=data
    )
    return service.link_public(link)


@router.post(
    "/{target_id}/coverage/{link_id}/end",
    response_model=CoverageLinkPublic,
    operation_id="end_work_target_coverage",
)
async def end_coverage(
    target_id: uuid.UUID,
    link_id: uuid.UUID,
    data: PeriodEnd,
    session: SessionDep,
    principal: WritePrincipal,
    publisher: PublisherDep,
) -> CoverageLinkPublic:
    """End a coverage link: valid_to is the first day the target is no longer covered by it."""
    link = await service.end_coverage(
        session=session,
        principal=principal,
        publisher=publisher,
        target_id=target_id,
        link_id=link_id,
        valid_to=data.valid_to,
    )
    return service.link_public(link)


@router.get(
    "/{target_id}/coverage",
    response_model=Page[CoverageLinkPublic],
    operation_id="list_work_target_coverage",
)
async def list_coverage(
    target_id: uuid.UUID, session: SessionDep, principal: ReadPrincipal, page: PageParamsDep
) -> Page[CoverageLinkPublic]:
    """The target's coverage history, oldest link first."""
    target = await service.get(session=session, principal=principal, target_id=target_id)
    result = await repository.page_links(session, page, target.id)
    return Page(
        items=[service.link_public(link) for link in result.rows],
        next_cursor=result.next_cursor,
        cursors=result.cursors,
    )


@assignment_router.post(
    "",
    response_model=InstructorAssignmentPublic,
    status_code=status.HTTP_201_CREATED,
    operation_id="create_instructor_assignment",
)
async def create_assignment(
    data: InstructorAssignmentCreate,
    session: SessionDep,
    principal: WritePrincipal,
    publisher: PublisherDep,
) -> InstructorAssignmentPublic:
    """Assign an instructor or liaison to a work target or an organization from valid_from."""
    assignment = await service.assign_instructor(
        session=session, principal=principal, publisher=publisher, data=data
    )
    return service.assignment_public(assignment)


@assignment_router.post(
    "/{assignment_id}/end",
    response_model=InstructorAssignmentPublic,
    operation_id="end_instructor_assignment",
)
async def end_assignment(
    assignment_id: uuid.UUID,
    data: PeriodEnd,
    session: SessionDep,
    principal: WritePrincipal,
    publisher: PublisherDep,
) -> InstructorAssignmentPublic:
    """End an assignment: valid_to is the first day it no longer holds."""
    assignment = await service.end_assignment(
        session=session,
        principal=principal,
        publisher=publisher,
        assignment_id=assignment_id,
        valid_to=data.valid_to,
    )
    return service.assignment_public(assignment)


@assignment_router.get(
    "/{assignment_id}",
    response_model=InstructorAssignmentPublic,
    operation_id="get_instructor_assignment",
)
async def get_assignment(
    assignment_id: uuid.UUID, session: SessionDep, principal: ReadPrincipal
) -> InstructorAssignmentPublic:
    """One assignment by id."""
    assignment = await service.get_assignment(
        session=session, principal=principal, assignment_id=assignment_id
    )
    return service.assignment_public(assignment)


@assignment_router.get(
    "",
    response_model=Page[InstructorAssignmentPublic],
    operation_id="list_instructor_assignments",
)
async def list_assignments(
    session: SessionDep,
    principal: ReadPrincipal,
    page: PageParamsDep,
    work_target_id: uuid.UUID | None = None,
    organization_id: uuid.UUID | None = None,
    subject: str | None = None,
    role: AssignmentRole | None = None,
    valid_on: Annotated[
        date | None,
        Query(description="only assignments holding on this day"),
    ] = None,
) -> Page[InstructorAssignmentPublic]:
    """Assignments the caller may see (an instructor: their own), oldest first."""
    where = await service.visible_assignments(session, principal)
    result = await repository.page_assignments(
        session,
        page,
        where,
        work_target_id=work_target_id,
        organization_id=organization_id,
        subject=subject,
        role=role.value if role else None,
        day=valid_on,
    )
    return Page(
        items=[service.assignment_public(a) for a in result.rows],
        next_cursor=result.next_cursor,
        cursors=result.cursors,
    )
