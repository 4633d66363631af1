"""HTTP endpoints of development quotas."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from member_service.quotas import service
from member_service.quotas.schemas import QuotaIn, QuotaPublic
from member_service.references.client import OrgDep
from service_kit.auth import Principal, require_scope
from service_kit.db import SessionDep
from service_kit.errors import ErrorResponse
from service_kit.pagination import Page, PageParamsDep

ReadPrincipal = Annotated[Principal, require_scope("member:read")]
AdminPrincipal = Annotated[Principal, require_scope("member:admin")]
Year = Annotated[int, Path(ge=1921, le=9999)]

ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorResponse, "description": "only the city allocates quotas"},
    404: {"model": ErrorResponse, "description": "no quota for this region and year"},
    409: {"model": ErrorResponse, "description": "admissions have drawn more than that"},
    503: {"model": ErrorResponse, "description": "org-service is not answering"},
}

router = APIRouter(prefix="/development-quotas", tags=["quotas"])


@router.put(
    "/{year}/{region_id}",
    response_model=QuotaPublic,
    operation_id="allocate_development_quota",
    responses=ERRORS,
)
async def allocate_development_quota(
    year: Year,
    region_id: uuid.UUID,
    data: QuotaIn,
    session: SessionDep,
    principal: AdminPrincipal,
    org: OrgDep,
) -> QuotaPublic:
    """Set how many admissions a district may make in a year (never below those made)."""
    return await service.allocate(
        session=session, principal=principal, org=org, year=year, region_id=region_id, data=data
    )


@router.get(
    "/{year}/{region_id}",
    response_model=QuotaPublic,
    operation_id="get_development_quota",
    responses=ERRORS,
)
async def get_development_quota(
    year: Year, region_id: uuid.UUID, session: SessionDep, principal: ReadPrincipal
) -> QuotaPublic:
    """A district's quota of a year, with how much of it is used."""
    return await service.get(session=session, year=year, region_id=region_id)


@router.get("", response_model=Page[QuotaPublic], operation_id="list_development_quotas")
async def list_development_quotas(
    session: SessionDep,
    principal: ReadPrincipal,
    page: PageParamsDep,
    year: Annotated[int | None, Query(ge=1921, le=9999)] = None,
) -> Page[QuotaPublic]:
    """Quotas by year and region, a page at a time."""
    return await service.list_public(session=session, page=page, year=year)
