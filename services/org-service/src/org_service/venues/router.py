"""HTTP endpoints of venues (/venues) and showcase sites (/showcase-sites)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, status

from org_service.access import region_path
from org_service.temporal import AsOfDep, today
from org_service.venues import repository, service
from org_service.venues.models import ShowcaseSource, VenueKind
from org_service.venues.schemas import (
    ShowcaseSiteCreate,
    ShowcaseSiteEnd,
    ShowcaseSitePublic,
    VenueCreate,
    VenuePublic,
    VenueUpdate,
)
from service_kit.auth import Principal, require_scope
from service_kit.db import SessionDep
from service_kit.pagination import Page, PageParamsDep, parse_ids

router = APIRouter(prefix="/venues", tags=["venues"])
showcase_router = APIRouter(prefix="/showcase-sites", tags=["venues"])

ReadPrincipal = Annotated[Principal, require_scope("org:read")]
WritePrincipal = Annotated[Principal, require_scope("org:write")]


@router.post(
    "", response_model=VenuePublic, status_code=status.HTTP_201_CREATED, operation_id="create_venue"
)
async def create_venue(
    data: VenueCreate, session: SessionDep, principal: WritePrincipal
) -> VenuePublic:
    """Record a guidance center or an activity center."""
    venue = await service.create(session=session, principal=principal, data=data)
    return await service.to_public(session, venue, today())


@router.get("/{venue_id}", response_model=VenuePublic, operation_id="get_venue")
async def get_venue(
    venue_id: uuid.UUID, session: SessionDep, principal: ReadPrincipal, as_of: AsOfDep
) -> VenuePublic:
    """One venue, with whether it is open and meets the area standard on `as_of`."""
    venue = await service.get(session=session, venue_id=venue_id)
    return await service.to_public(session, venue, as_of)


@router.patch("/{venue_id}", response_model=VenuePublic, operation_id="update_venue")
async def update_venue(
    venue_id: uuid.UUID, data: VenueUpdate, session: SessionDep, principal: WritePrincipal
) -> VenuePublic:
    """Change some fields of a venue; close it by setting closed_on."""
    venue = await service.update(session=session, principal=principal, venue_id=venue_id, data=data)
    return await service.to_public(session, venue, today())


@router.get("", response_model=Page[VenuePublic], operation_id="list_venues")
async def list_venues(
    session: SessionDep,
    principal: ReadPrincipal,
    page: PageParamsDep,
    as_of: AsOfDep,
    ids: Annotated[str | None, Query(description="comma-separated ids: a batch get")] = None,
    kind: VenueKind | None = None,
    region_id: Annotated[
        uuid.UUID | None, Query(description="venues in this region or any region below it")
    ] = None,
    place_id: uuid.UUID | None = None,
    run_by_organization_id: uuid.UUID | None = None,
    open_only: Annotated[bool, Query(description="only venues open on as_of")] = False,
) -> Page[VenuePublic]:
    """Venues by name, a page at a time; with `ids`, exactly those (unknown ids left out)."""
    wanted = parse_ids(ids)
    if wanted is not None:
        rows = await repository.get_many(session, wanted)
        return Page(items=await service.to_public_many(session, rows, as_of))
    anchor = None
    if region_id is not None:
        anchor = await region_path(session, region_id)
        if anchor is None:
            return Page(items=[])
    result = await repository.page(
        session,
        page,
        kind=kind.value if kind else None,
        region_path=anchor,
        place_id=place_id,
        run_by_organization_id=run_by_organization_id,
        open_day=as_of if open_only else None,
    )
    return Page(
        items=await service.to_public_many(session, result.rows, as_of),
        next_cursor=result.next_cursor,
        cursors=result.cursors,
    )


@showcase_router.post(
    "",
    response_model=ShowcaseSitePublic,
    status_code=status.HTTP_201_CREATED,
    operation_id="create_showcase_site",
)
async def create_showcase_site(
    data: ShowcaseSiteCreate, session: SessionDep, principal: WritePrincipal
) -> ShowcaseSitePublic:
    """Recognize an organization as a showcase site (示范点): all five criteria must hold."""
    site = await service.create_showcase(session=session, principal=principal, data=data)
    return service.showcase_public(site)


@showcase_router.post(
    "/{site_id}/end", response_model=ShowcaseSitePublic, operation_id="end_showcase_site"
)
async def end_showcase_site(
    site_id: uuid.UUID, data: ShowcaseSiteEnd, session: SessionDep, principal: WritePrincipal
) -> ShowcaseSitePublic:
    """End a showcase site: `until` is the first day it no longer is one."""
    site = await service.end_showcase(
        session=session, principal=principal, site_id=site_id, until=data.until, note=data.note
    )
    return service.showcase_public(site)


@showcase_router.get(
    "/{site_id}", response_model=ShowcaseSitePublic, operation_id="get_showcase_site"
)
async def get_showcase_site(
    site_id: uuid.UUID, session: SessionDep, principal: ReadPrincipal
) -> ShowcaseSitePublic:
    """One showcase site by id."""
    site = await service.get_showcase(session=session, principal=principal, site_id=site_id)
    return service.showcase_public(site)


@showcase_router.get(
    "", response_model=Page[ShowcaseSitePublic], operation_id="list_showcase_sites"
)
async def list_showcase_sites(
    session: SessionDep,
    principal: ReadPrincipal,
    page: PageParamsDep,
    organization_id: uuid.UUID | None = None,
    source: ShowcaseSource | None = None,
    valid_on: Annotated[
        date | None, Query(description="only showcase sites holding on this day")
    ] = None,
) -> Page[ShowcaseSitePublic]:
    """Showcase sites of organizations the caller may see, oldest first."""
    where = await service.visible_showcases(session, principal)
    result = await repository.page_showcases(
        session,
        page,
        where,
        organization_id=organization_id,
        source=source.value if source else None,
        day=valid_on,
    )
    return Page(
        items=[service.showcase_public(s) for s in result.rows],
        next_cursor=result.next_cursor,
        cursors=result.cursors,
    )
