"""HTTP endpoints of places: /regions and /places."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status
from sqlalchemy.exc import IntegrityError

from org_service.access import region_path as service_region_path
from org_service.access import visible_regions
from org_service.places import repository, service
from org_service.places.models import ParkLevel, PlaceKind, RegionKind
from org_service.places.schemas import PlaceCreate, PlacePublic, RegionCreate, RegionPublic
from service_kit.auth import Principal, require_scope
from service_kit.db import SessionDep
from service_kit.pagination import Page, PageParamsDep, parse_ids

router = APIRouter(prefix="/regions", tags=["places"])

ReadPrincipal = Annotated[Principal, require_scope("org:read")]
WritePrincipal = Annotated[Principal, require_scope("org:admin")]
PlaceWritePrincipal = Annotated[Principal, require_scope("org:write")]


@router.post(
    "",
    response_model=RegionPublic,
    status_code=status.HTTP_201_CREATED,
    operation_id="create_region",
)
async def create_region(
    data: RegionCreate, session: SessionDep, principal: WritePrincipal
) -> RegionPublic:
    """Add a region (city, district, county, new area, sub-district, community)."""
    try:
        region = await service.create(session=session, principal=principal, data=data)
        await session.flush()
    except IntegrityError as exc:
        raise service.RegionExists(
            "A region with this name exists already under the same parent.",
            details={"name": data.name},
        ) from exc
    return service.to_public(region)


@router.get("/{region_id}", response_model=RegionPublic, operation_id="get_region")
async def get_region(
    region_id: uuid.UUID, session: SessionDep, principal: ReadPrincipal
) -> RegionPublic:
    """One region by id."""
    return service.to_public(await service.get(session=session, region_id=region_id))


@router.get("", response_model=Page[RegionPublic], operation_id="list_regions")
async def list_regions(
    session: SessionDep,
    principal: ReadPrincipal,
    page: PageParamsDep,
    ids: Annotated[str | None, Query(description="comma-separated ids: a batch get")] = None,
    kind: RegionKind | None = None,
    parent_id: uuid.UUID | None = None,
) -> Page[RegionPublic]:
    """Regions in tree order, a page at a time; with `ids`, exactly those (unknown ids left out)."""
    where = await visible_regions(session, principal)
    wanted = parse_ids(ids)
    if wanted is not None:
        rows = await repository.get_many(session, wanted, where)
        return Page(items=[service.to_public(r) for r in rows])
    result = await repository.page(
        session, page, where, kind=kind.value if kind else None, parent_id=parent_id
    )
    return Page(
        items=[service.to_public(r) for r in result.rows],
        next_cursor=result.next_cursor,
        cursors=result.cursors,
    )


place_router = APIRouter(prefix="/places", tags=["places"])


@place_router.post(
    "",
    response_model=PlacePublic,
    status_code=status.HTTP_201_CREATED,
    operation_id="create_place",
)
async def create_place(
    data: PlaceCreate, session: SessionDep, principal: PlaceWritePrincipal
) -> PlacePublic:
    """Add a park, business district, market or building (city admins, or a district admin
    inside their district)."""
    place = await service.create_place(session=session, principal=principal, data=data)
    return service.place_to_public(place)


@place_router.get("/{place_id}", response_model=PlacePublic, operation_id="get_place")
async def get_place(
    place_id: uuid.UUID, session: SessionDep, principal: ReadPrincipal
) -> PlacePublic:
    """One place by id."""
    return service.place_to_public(await service.get_place(session=session, place_id=place_id))


@place_router.get("", response_model=Page[PlacePublic], operation_id="list_places")
async def list_places(
    session: SessionDep,
    principal: ReadPrincipal,
    page: PageParamsDep,
    ids: Annotated[str | None, Query(description="comma-separated ids: a batch get")] = None,
    kind: PlaceKind | None = None,
    region_id: Annotated[
        uuid.UUID | None, Query(description="places in this region or any region below it")
    ] = None,
    level: ParkLevel | None = None,
    provincial_or_above: Annotated[
        bool | None, Query(description="true: national and provincial parks only")
    ] = None,
    parent_place_id: uuid.UUID | None = None,
) -> Page[PlacePublic]:
    """Places by name, a page at a time; with `ids`, exactly those (unknown ids left out)."""
    wanted = parse_ids(ids)
    if wanted is not None:
        rows = await repository.get_places(session, wanted)
        return Page(items=[service.place_to_public(p) for p in rows])
    region_path = None
    if region_id is not None:
        region_path = await service_region_path(session, region_id)
        if region_path is None:
            return Page(items=[])
    result = await repository.page_places(
        session,
        page,
        kind=kind.value if kind else None,
        region_path=region_path,
        level=level.value if level else None,
        provincial_or_above=provincial_or_above,
        parent_place_id=parent_place_id,
    )
    return Page(
        items=[service.place_to_public(p) for p in result.rows],
        next_cursor=result.next_cursor,
        cursors=result.cursors,
    )
