"""HTTP endpoints of organizations: the tree, its history, member counts and the size rules."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from org_service.organizations import service
from org_service.organizations.models import OrganizationKind, OrganizationStatus
from org_service.organizations.schemas import (
    DissolveIn,
    HistoryPublic,
    MemberCountsIn,
    MergeIn,
    MoveIn,
    OrganizationBulkCreate,
    OrganizationCreate,
    OrganizationPublic,
    OrganizationsCreated,
    OrganizationWritten,
    RenameIn,
    RulePublic,
    UpgradeIn,
)
from org_service.temporal import AsOfDep
from service_kit.auth import Principal, require_scope
from service_kit.db import SessionDep
from service_kit.deps import PublisherDep
from service_kit.errors import ErrorResponse
from service_kit.pagination import Page, PageParamsDep, parse_ids

organizations = APIRouter(prefix="/organizations", tags=["organizations"])
organization_rules = APIRouter(prefix="/organization-rules", tags=["organizations"])

ReadPrincipal = Annotated[Principal, require_scope("org:read")]
WritePrincipal = Annotated[Principal, require_scope("org:write")]

ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorResponse, "description": "not yours to change"},
    404: {"model": ErrorResponse, "description": "no such organization you may see"},
    409: {"model": ErrorResponse, "description": "the organization's state forbids it"},
    422: {"model": ErrorResponse, "description": "a rule refuses it; the code names the rule"},
}


@organizations.post(
    "",
    response_model=OrganizationWritten,
    status_code=status.HTTP_201_CREATED,
    operation_id="create_organization",
    responses=ERRORS,
)
async def create_organization(
    data: OrganizationCreate,
    session: SessionDep,
    principal: WritePrincipal,
    publisher: PublisherDep,
) -> OrganizationWritten:
    """Found a party organization; size rules that only warn come back under `warnings`."""
    return await service.create(
        session=session, principal=principal, publisher=publisher, data=data
    )


@organizations.post(
    "/bulk",
    response_model=OrganizationsCreated,
    status_code=status.HTTP_201_CREATED,
    operation_id="create_organizations",
    responses=ERRORS,
)
async def create_organizations(
    data: OrganizationBulkCreate,
    session: SessionDep,
    principal: WritePrincipal,
    publisher: PublisherDep,
) -> OrganizationsCreated:
    """Up to 500 organizations at once, in order (an item may sit under an earlier one): all
    founded, or none (the error names the item)."""
    return await service.create_many(
        session=session, principal=principal, publisher=publisher, items=data.items
    )


@organizations.get(
    "/{organization_id}",
    response_model=OrganizationPublic,
    operation_id="get_organization",
    responses=ERRORS,
)
async def get_organization(
    organization_id: uuid.UUID, session: SessionDep, principal: ReadPrincipal, as_of: AsOfDep
) -> OrganizationPublic:
    """One organization by id, today or as it stood on `as_of`."""
    return await service.get_public(
        session=session, principal=principal, organization_id=organization_id, as_of=as_of
    )


@organizations.get("", response_model=Page[OrganizationPublic], operation_id="list_organizations")
async def list_organizations(
    session: SessionDep,
    principal: ReadPrincipal,
    page: PageParamsDep,
    as_of: AsOfDep,
    ids: Annotated[str | None, Query(description="comma-separated ids: a batch get")] = None,
    kind: OrganizationKind | None = None,
    parent_id: uuid.UUID | None = None,
    region_id: uuid.UUID | None = None,
    under: Annotated[
        uuid.UUID | None, Query(description="only this organization and everything below it")
    ] = None,
    industry_committee_id: uuid.UUID | None = None,
    status: OrganizationStatus | None = None,
) -> Page[OrganizationPublic]:
    """Organizations the caller may see, in tree order, a page at a time; `as_of` a past day.

    With `ids`, exactly those the caller may see (unknown or hidden ids are left out).
    """
    return await service.list_public(
        session=session,
        principal=principal,
        page=page,
        as_of=as_of,
        ids=parse_ids(ids),
        kind=kind,
        parent_id=parent_id,
        region_id=region_id,
        under=under,
        industry_committee_id=industry_committee_id,
        status=status,
    )


@organizations.get(
    "/{organization_id}/history",
    response_model=HistoryPublic,
    operation_id="get_organization_history",
    responses=ERRORS,
)
async def get_organization_history(
    organization_id: uuid.UUID, session: SessionDep, principal: ReadPrincipal
) -> HistoryPublic:
    """Founded, renamed, upgraded, moved, merged, dissolved: with their dates and versions."""
    return await service.history(
        session=session, principal=principal, organization_id=organization_id
    )


@organizations.post(
    "/{organization_id}/rename",
    response_model=OrganizationWritten,
    operation_id="rename_organization",
    responses=ERRORS,
)
async def rename_organization(
    organization_id: uuid.UUID,
    data: RenameIn,
    session: SessionDep,
    principal: WritePrincipal,
    publisher: PublisherDep,
) -> OrganizationWritten:
    """A new name from `effective_on`."""
    return await service.rename(
        session=session,
        principal=principal,
        publisher=publisher,
        organization_id=organization_id,
        data=data,
    )


@organizations.post(
    "/{organization_id}/upgrade",
    response_model=OrganizationWritten,
    operation_id="upgrade_organization",
    responses=ERRORS,
)
async def upgrade_organization(
    organization_id: uuid.UUID,
    data: UpgradeIn,
    session: SessionDep,
    principal: WritePrincipal,
    publisher: PublisherDep,
) -> OrganizationWritten:
    """A higher level (branch → general_branch → party_committee) or another subkind."""
    return await service.upgrade(
        session=session,
        principal=principal,
        publisher=publisher,
        organization_id=organization_id,
        data=data,
    )


@organizations.post(
    "/{organization_id}/move",
    response_model=OrganizationWritten,
    operation_id="move_organization",
    responses=ERRORS,
)
async def move_organization(
    organization_id: uuid.UUID,
    data: MoveIn,
    session: SessionDep,
    principal: WritePrincipal,
    publisher: PublisherDep,
) -> OrganizationWritten:
    """Another territorial parent (and optionally region), with everything below it."""
    return await service.move(
        session=session,
        principal=principal,
        publisher=publisher,
        organization_id=organization_id,
        data=data,
    )


@organizations.post(
    "/{organization_id}/merge",
    response_model=OrganizationWritten,
    operation_id="merge_organization",
    responses=ERRORS,
)
async def merge_organization(
    organization_id: uuid.UUID,
    data: MergeIn,
    session: SessionDep,
    principal: WritePrincipal,
    publisher: PublisherDep,
) -> OrganizationWritten:
    """Merge into `into_id`: this one ends (status merged), its active children move there."""
    return await service.merge(
        session=session,
        principal=principal,
        publisher=publisher,
        organization_id=organization_id,
        data=data,
    )


@organizations.post(
    "/{organization_id}/dissolve",
    response_model=OrganizationWritten,
    operation_id="dissolve_organization",
    responses=ERRORS,
)
async def dissolve_organization(
    organization_id: uuid.UUID,
    data: DissolveIn,
    session: SessionDep,
    principal: WritePrincipal,
    publisher: PublisherDep,
) -> OrganizationWritten:
    """Dissolve from `effective_on`; refused while active organizations sit below it."""
    return await service.dissolve(
        session=session,
        principal=principal,
        publisher=publisher,
        organization_id=organization_id,
        data=data,
    )


@organizations.put(
    "/{organization_id}/member-counts",
    response_model=OrganizationWritten,
    operation_id="report_member_counts",
    responses=ERRORS,
)
async def report_member_counts(
    organization_id: uuid.UUID,
    data: MemberCountsIn,
    session: SessionDep,
    principal: WritePrincipal,
) -> OrganizationWritten:
    """Member counts of a day (`as_of`); checks the size rules (GET /organization-rules)."""
    return await service.report_member_counts(
        session=session, principal=principal, organization_id=organization_id, data=data
    )


@organization_rules.get("", response_model=list[RulePublic], operation_id="list_organization_rules")
async def list_organization_rules(principal: ReadPrincipal) -> list[RulePublic]:
    """The size rules: which refuse a write (422, code = rule id) and which only warn."""
    return service.rule_table()


# main.py mounts one router per area.
router = APIRouter()
router.include_router(organizations)
router.include_router(organization_rules)
