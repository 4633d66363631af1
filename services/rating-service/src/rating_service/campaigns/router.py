"""HTTP endpoints of campaigns (/campaigns) and their rolls."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from rating_service.campaigns import repository, service
from rating_service.campaigns.models import CampaignStatus
from rating_service.campaigns.schemas import (
    CampaignCreate,
    CampaignPublic,
    CampaignSubjectPublic,
)
from rating_service.upstream import UpstreamDep
from service_kit.auth import Principal, require_scope
from service_kit.db import SessionDep
from service_kit.errors import ErrorResponse
from service_kit.pagination import Page, PageParamsDep, parse_ids

router = APIRouter(prefix="/campaigns", tags=["campaigns"])

ReadPrincipal = Annotated[Principal, require_scope("rating:read")]
WritePrincipal = Annotated[Principal, require_scope("rating:write")]

ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorResponse, "description": "outside what you administer"},
    404: {"model": ErrorResponse, "description": "no such campaign or organization you may see"},
    422: {"model": ErrorResponse, "description": "a rule refuses it; the code names the rule"},
    503: {"model": ErrorResponse, "description": "org-service or member-service not answering"},
}


@router.post(
    "",
    response_model=CampaignPublic,
    status_code=status.HTTP_201_CREATED,
    operation_id="create_campaign",
    responses=ERRORS,
)
async def create_campaign(
    data: CampaignCreate, session: SessionDep, principal: WritePrincipal, upstream: UpstreamDep
) -> CampaignPublic:
    """Open a four-party evaluation over an organization and everything below it.

    The roll (full and probationary members whose membership relation is held there) comes
    from member-service now, and the secretaries from the terms overlapping the period.
    """
    campaign = await service.create(
        session=session, principal=principal, upstream=upstream, data=data
    )
    return service.to_public(campaign)


@router.get("", response_model=Page[CampaignPublic], operation_id="list_campaigns")
async def list_campaigns(
    session: SessionDep,
    principal: ReadPrincipal,
    page: PageParamsDep,
    ids: Annotated[str | None, Query(description="comma-separated ids: a batch get")] = None,
    organization_id: Annotated[
        uuid.UUID | None, Query(description="campaigns over exactly this organization")
    ] = None,
    status: CampaignStatus | None = None,
) -> Page[CampaignPublic]:
    """Campaigns the caller may see, oldest first; with `ids`, exactly those (others left out)."""
    where = service.visible_campaigns(principal)
    wanted = parse_ids(ids)
    if wanted is not None:
        rows = await repository.get_many(session, wanted, where)
        return Page(items=[service.to_public(c) for c in rows])
    result = await repository.page(
        session,
        page,
        where,
        organization_id=organization_id,
        status=status.value if status else None,
    )
    return Page(
        items=[service.to_public(c) for c in result.rows],
        next_cursor=result.next_cursor,
        cursors=result.cursors,
    )


@router.get(
    "/{campaign_id}", response_model=CampaignPublic, operation_id="get_campaign", responses=ERRORS
)
async def get_campaign(
    campaign_id: uuid.UUID, session: SessionDep, principal: ReadPrincipal
) -> CampaignPublic:
    """One campaign, with its settings and whether voting is open now."""
    campaign = await service.get(session=session, principal=principal, campaign_id=campaign_id)
    return service.to_public(campaign)


@router.get(
    "/{campaign_id}/subjects",
    response_model=Page[CampaignSubjectPublic],
    operation_id="list_campaign_subjects",
    responses=ERRORS,
)
async def list_campaign_subjects(
    campaign_id: uuid.UUID,
    session: SessionDep,
    principal: ReadPrincipal,
    page: PageParamsDep,
    organization_id: uuid.UUID | None = None,
) -> Page[CampaignSubjectPublic]:
    """The campaign's roll, by organization: administrators see their part, a member themself."""
    campaign = await service.get(session=session, principal=principal, campaign_id=campaign_id)
    result = await repository.page_subjects(
        session,
        page,
        campaign.id,
        service.visible_subjects(principal, campaign),
        organization_id=organization_id,
    )
    return Page(
        items=[CampaignSubjectPublic.model_validate(s) for s in result.rows],
        next_cursor=result.next_cursor,
        cursors=result.cursors,
    )
