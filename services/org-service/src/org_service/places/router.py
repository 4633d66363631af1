"""HTTP endpoints of places."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status
from sqlalchemy.exc import IntegrityError

from org_service.access import visible_regions
from org_service.places import repository, service
from org_service.places.models import RegionKind
from org_service.places.schemas import RegionCreate, RegionPublic
from service_kit.auth import Principal, require_scope
from service_kit.db import SessionDep
from service_kit.pagination import Page, PageParamsDep, parse_ids

router = APIRouter(prefix="/regions", tags=["places"])

ReadPrincipal = Annotated[Principal, require_scope("org:read")]
WritePrincipal = Annotated[Principal, require_scope("org:admin")]


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
