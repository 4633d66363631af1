"""HTTP endpoints of organizations."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from org_service.access import organization_path, visible_organizations
from org_service.organizations import repository, service
from org_service.organizations.models import OrganizationKind
from org_service.organizations.schemas import OrganizationCreate, OrganizationPublic
from service_kit.auth import Principal, require_scope
from service_kit.db import SessionDep
from service_kit.deps import PublisherDep
from service_kit.pagination import Page, PageParamsDep, parse_ids

router = APIRouter(prefix="/organizations", tags=["organizations"])

ReadPrincipal = Annotated[Principal, require_scope("org:read")]
WritePrincipal = Annotated[Principal, require_scope("org:write")]


@router.post(
    "",
    response_model=OrganizationPublic,
    status_code=status.HTTP_201_CREATED,
    operation_id="create_organization",
)
async def create_organization(
    data: OrganizationCreate,
    session: SessionDep,
    principal: WritePrincipal,
    publisher: PublisherDep,
) -> OrganizationPublic:
    """Found a party organization."""
    org = await service.create(session=session, principal=principal, publisher=publisher, data=data)
    return service.to_public(org)


@router.get(
    "/{organization_id}", response_model=OrganizationPublic, operation_id="get_organization"
)
async def get_organization(
    organization_id: uuid.UUID, session: SessionDep, principal: ReadPrincipal
) -> OrganizationPublic:
    """One organization by id."""
    org = await service.get(session=session, principal=principal, organization_id=organization_id)
    return service.to_public(org)


@router.get("", response_model=Page[OrganizationPublic], operation_id="list_organizations")
async def list_organizations(
    session: SessionDep,
    principal: ReadPrincipal,
    page: PageParamsDep,
    ids: Annotated[str | None, Query(description="comma-separated ids: a batch get")] = None,
    kind: OrganizationKind | None = None,
    parent_id: uuid.UUID | None = None,
    region_id: uuid.UUID | None = None,
    under: Annotated[
        uuid.UUID | None, Query(description="only this organization and everything below it")
    ] = None,
    industry_committee_id: uuid.UUID | None = None,
) -> Page[OrganizationPublic]:
    """Organizations the caller may see, in tree order, a page at a time.

    With `ids`, exactly those the caller may see (unknown or hidden ids are left out).
    """
    where = await visible_organizations(session, principal)
    wanted = parse_ids(ids)
    if wanted is not None:
        rows = await repository.get_many(session, wanted, where)
        return Page(items=[service.to_public(o) for o in rows])
    under_path = None
    if under is not None:
        under_path = await organization_path(session, under)
        if under_path is None:
            return Page(items=[])
    result = await repository.page(
        session,
        page,
        where,
        kind=kind.value if kind else None,
        parent_id=parent_id,
        region_id=region_id,
        under_path=under_path,
        industry_committee_id=industry_committee_id,
    )
    return Page(
        items=[service.to_public(o) for o in result.rows],
        next_cursor=result.next_cursor,
        cursors=result.cursors,
    )
