"""HTTP endpoints of rating schemes (/rating-schemes) and organization ratings."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from rating_service.organization_ratings import repository, service
from rating_service.organization_ratings.schemas import (
    RatingCreate,
    RatingPublic,
    SchemeCreate,
    SchemePublic,
)
from rating_service.upstream import UpstreamDep
from service_kit.auth import Principal, require_scope
from service_kit.db import SessionDep
from service_kit.deps import PublisherDep
from service_kit.errors import ErrorResponse
from service_kit.pagination import Page, PageParamsDep, parse_ids

router = APIRouter(prefix="/organization-ratings", tags=["organization ratings"])
scheme_router = APIRouter(prefix="/rating-schemes", tags=["organization ratings"])

ReadPrincipal = Annotated[Principal, require_scope("rating:read")]
WritePrincipal = Annotated[Principal, require_scope("rating:write")]
AdminPrincipal = Annotated[Principal, require_scope("rating:admin")]

ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorResponse, "description": "outside what you administer"},
    404: {"model": ErrorResponse, "description": "no such rating or scheme you may see"},
    409: {"model": ErrorResponse, "description": "older than the level in force"},
    422: {"model": ErrorResponse, "description": "a rule refuses it; the code names the rule"},
    503: {"model": ErrorResponse, "description": "org-service not answering"},
}


@scheme_router.post(
    "",
    response_model=SchemePublic,
    status_code=status.HTTP_201_CREATED,
    operation_id="create_rating_scheme",
    responses=ERRORS,
)
async def create_rating_scheme(
    data: SchemeCreate, session: SessionDep, principal: AdminPrincipal
) -> SchemePublic:
    """Add a scheme of areas and indicators (with their points), star thresholds on the
    total and veto items; ratings from its valid_from on use it."""
    scheme = await service.create_scheme(session=session, principal=principal, data=data)
    return service.scheme_public(scheme)


@scheme_router.get("", response_model=Page[SchemePublic], operation_id="list_rating_schemes")
async def list_rating_schemes(
    session: SessionDep, principal: ReadPrincipal, page: PageParamsDep
) -> Page[SchemePublic]:
    """Every scheme, oldest first (the seeded one: 6 areas, 18 indicators, 100 points)."""
    result = await repository.page_schemes(session, page)
    return Page(
        items=[service.scheme_public(s) for s in result.rows],
        next_cursor=result.next_cursor,
        cursors=result.cursors,
    )


@scheme_router.get(
    "/{scheme_id}", response_model=SchemePublic, operation_id="get_rating_scheme", responses=ERRORS
)
async def get_rating_scheme(
    scheme_id: uuid.UUID, session: SessionDep, principal: ReadPrincipal
) -> SchemePublic:
    """One scheme by id."""
    return service.scheme_public(await service.get_scheme(session=session, scheme_id=scheme_id))


@router.post(
    "",
    response_model=RatingPublic,
    status_code=status.HTTP_201_CREATED,
    operation_id="create_organization_rating",
    responses=ERRORS,
)
async def create_organization_rating(
    data: RatingCreate,
    session: SessionDep,
    principal: WritePrincipal,
    publisher: PublisherDep,
    upstream: UpstreamDep,
) -> RatingPublic:
    """Rate an organization (1-5 stars). Any veto item holds it at 1 star; all five showcase
    criteria (两化三有) and no veto make it a showcase organization. The rating becomes its
    star level from rated_on for the validity period in force (default 24 months);
    rating.star_level.changed is published when stars, showcase or validity change."""
    rating, previous_stars = await service.create_rating(
        session=session, principal=principal, publisher=publisher, upstream=upstream, data=data
    )
    return service.rating_public(rating, previous_stars)


@router.get("", response_model=Page[RatingPublic], operation_id="list_organization_ratings")
async def list_organization_ratings(
    session: SessionDep,
    principal: ReadPrincipal,
    page: PageParamsDep,
    ids: Annotated[str | None, Query(description="comma-separated ids: a batch get")] = None,
    organization_id: uuid.UUID | None = None,
) -> Page[RatingPublic]:
    """Ratings in the caller's part of the city, oldest first."""
    where = service.visible_ratings(principal)
    wanted = parse_ids(ids)
    if wanted is not None:
        rows = await repository.get_many(session, wanted, where)
        return Page(items=[service.rating_public(r) for r in rows])
    result = await repository.page(session, page, where, organization_id=organization_id)
    return Page(
        items=[service.rating_public(r) for r in result.rows],
        next_cursor=result.next_cursor,
        cursors=result.cursors,
    )


@router.get(
    "/{rating_id}",
    response_model=RatingPublic,
    operation_id="get_organization_rating",
    responses=ERRORS,
)
async def get_organization_rating(
    rating_id: uuid.UUID, session: SessionDep, principal: ReadPrincipal
) -> RatingPublic:
    """One rating by id."""
    rating = await service.get_rating(session=session, principal=principal, rating_id=rating_id)
    return service.rating_public(rating)
