"""HTTP endpoints of closing a campaign and of evaluation results (/evaluation-results)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from rating_service.results import repository, service
from rating_service.results.schemas import CloseSummary, EvaluationResultPublic
from service_kit.auth import Principal, require_scope
from service_kit.db import SessionDep
from service_kit.deps import PublisherDep
from service_kit.errors import ErrorResponse
from service_kit.pagination import Page, PageParamsDep, parse_ids

router = APIRouter(tags=["results"])

ReadPrincipal = Annotated[Principal, require_scope("rating:read")]
WritePrincipal = Annotated[Principal, require_scope("rating:write")]

ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorResponse, "description": "outside what you administer"},
    404: {"model": ErrorResponse, "description": "no such campaign you may see"},
    409: {"model": ErrorResponse, "description": "closed already"},
}


@router.post(
    "/campaigns/{campaign_id}/close",
    response_model=CloseSummary,
    operation_id="close_campaign",
    responses=ERRORS,
)
async def close_campaign(
    campaign_id: uuid.UUID, session: SessionDep, principal: WritePrincipal, publisher: PublisherDep
) -> CloseSummary:
    """Close the campaign (voting ends now if it has not) and compute its results.

    Per member: each party's score is the mean of its ballots; parties with a weight and at
    least one ballot are used, and their weights rescaled to 100% when one is missing
    (rescaled: true). The weighted score (two decimals) gives stars by the thresholds. The
    5-star cap keeps 5 stars for the highest scores only: a member keeps them when the
    members scoring at least as much fit within floor(cap × evaluated / 100); members tied
    across that limit all get 4 stars (capped: true). Grades likewise, per organization:
    at most one third of its graded (full) members are excellent, ties across the limit
    all qualified; probationary members are not graded. Each result is published as
    rating.evaluation.finalized.
    """
    return await service.close(
        session=session, principal=principal, publisher=publisher, campaign_id=campaign_id
    )


@router.get(
    "/evaluation-results",
    response_model=Page[EvaluationResultPublic],
    operation_id="list_evaluation_results",
    responses={422: {"model": ErrorResponse}},
)
async def list_evaluation_results(
    session: SessionDep,
    principal: ReadPrincipal,
    page: PageParamsDep,
    campaign_id: uuid.UUID | None = None,
    member_ids: Annotated[
        str | None, Query(description="comma-separated member ids: a batch get")
    ] = None,
    organization_id: uuid.UUID | None = None,
) -> Page[EvaluationResultPublic]:
    """Results of closed campaigns, oldest first: a member sees their own, administrators
    those of their part of the city. Nobody sees ballots or who cast them."""
    result = await repository.page(
        session,
        page,
        service.visible_results(principal),
        campaign_id=campaign_id,
        member_ids=parse_ids(member_ids),
        organization_id=organization_id,
    )
    return Page(
        items=await service.to_public_many(session, result.rows, principal),
        next_cursor=result.next_cursor,
        cursors=result.cursors,
    )
