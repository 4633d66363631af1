"""HTTP endpoints of party-building projects (/projects), their bids and awards."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status
from sqlalchemy import true

from funding_service.deps import OrgDep, RatingDep, ReachDep
from funding_service.idempotency import IdempotencyDep
from funding_service.projects import repository, service
from funding_service.projects.schemas import (
    AwardCreate,
    BidCreate,
    BidPublic,
    ProjectCreate,
    ProjectPublic,
)
from funding_service.upstream.client import UPSTREAM_RESPONSES as UPSTREAM
from service_kit.auth import Principal, require_scope
from service_kit.db import SessionDep
from service_kit.deps import PublisherDep
from service_kit.pagination import Page, PageParamsDep, parse_ids

router = APIRouter(prefix="/projects", tags=["projects"])

ReadPrincipal = Annotated[Principal, require_scope("funding:read")]
WritePrincipal = Annotated[Principal, require_scope("funding:write")]
BidPrincipal = Annotated[Principal, require_scope("funding:bid")]


@router.post(
    "",
    response_model=ProjectPublic,
    status_code=status.HTTP_201_CREATED,
    operation_id="create_project",
    responses=UPSTREAM,
)
async def create_project(
    data: ProjectCreate,
    session: SessionDep,
    principal: WritePrincipal,
    reach: ReachDep,
    idempotency: IdempotencyDep,
) -> ProjectPublic:
    """Turn part of a district budget into a project with a minimum star level for bidders."""

    async def act() -> ProjectPublic:
        project = await service.create(session=session, principal=principal, reach=reach, data=data)
        return service.project_public(project)

    return await idempotency.run(session, body=data, result_type=ProjectPublic, action=act)


@router.get("", response_model=Page[ProjectPublic], operation_id="list_projects")
async def list_projects(
    session: SessionDep,
    principal: ReadPrincipal,
    page: PageParamsDep,
    ids: Annotated[str | None, Query(description="comma-separated ids: a batch get")] = None,
    district_id: uuid.UUID | None = None,
) -> Page[ProjectPublic]:
    """Projects, oldest first (calls for bids are public to every reader of the funds)."""
    wanted = parse_ids(ids)
    if wanted is not None:
        rows = await repository.get_many(session, wanted)
        return Page(items=[service.project_public(p) for p in rows])
    result = await repository.page(session, page, true(), district_id=district_id)
    return Page(
        items=[service.project_public(p) for p in result.rows],
        next_cursor=result.next_cursor,
        cursors=result.cursors,
    )


@router.get("/{project_id}", response_model=ProjectPublic, operation_id="get_project")
async def get_project(
    project_id: uuid.UUID, session: SessionDep, principal: ReadPrincipal
) -> ProjectPublic:
    """One project with how much of it is awarded."""
    return service.project_public(await service.get(session=session, project_id=project_id))


@router.post(
    "/{project_id}/bids",
    response_model=BidPublic,
    status_code=status.HTTP_201_CREATED,
    operation_id="bid_for_project",
    responses=UPSTREAM,
)
async def bid_for_project(
    project_id: uuid.UUID,
    data: BidCreate,
    session: SessionDep,
    principal: BidPrincipal,
    org: OrgDep,
    rating: RatingDep,
    reach: ReachDep,
    idempotency: IdempotencyDep,
) -> BidPublic:
    """Bid for an organization; refused if its star level is below the project's minimum."""

    async def act() -> BidPublic:
        row = await service.bid(
            session=session,
            principal=principal,
            org=org,
            rating=rating,
            reach=reach,
            project_id=project_id,
            data=data,
        )
        return service.bid_public(row)

    return await idempotency.run(session, body=data, result_type=BidPublic, action=act)


@router.get(
    "/{project_id}/bids",
    response_model=Page[BidPublic],
    operation_id="list_project_bids",
    responses=UPSTREAM,
)
async def list_project_bids(
    project_id: uuid.UUID,
    session: SessionDep,
    principal: ReadPrincipal,
    reach: ReachDep,
    page: PageParamsDep,
) -> Page[BidPublic]:
    """Bids for a project that the caller may see, oldest first."""
    project = await service.get(session=session, project_id=project_id)
    result = await repository.page_bids(session, page, project.id, service.visible_bids(reach))
    return Page(
        items=[service.bid_public(b) for b in result.rows],
        next_cursor=result.next_cursor,
        cursors=result.cursors,
    )


@router.post(
    "/{project_id}/awards",
    response_model=BidPublic,
    operation_id="award_project_bid",
    responses=UPSTREAM,
)
async def award_project_bid(
    project_id: uuid.UUID,
    data: AwardCreate,
    session: SessionDep,
    principal: WritePrincipal,
    publisher: PublisherDep,
    idempotency: IdempotencyDep,
) -> BidPublic:
    """Award a bid: the funds move from the district budget to the organization's account."""

    async def act() -> BidPublic:
        row = await service.award(
            session=session,
            principal=principal,
            publisher=publisher,
            project_id=project_id,
            data=data,
        )
        return service.bid_public(row)

    return await idempotency.run(session, body=data, result_type=BidPublic, action=act)
