"""HTTP endpoints of ballots (/campaigns/{id}/ballots) and of what a voter may evaluate."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, status

from rating_service.ballots import service
from rating_service.ballots.schemas import (
    BallotCast,
    BallotPublic,
    BallotSheet,
    BallotSheetPublic,
    EvaluableMember,
)
from rating_service.ballots.service import BallotKeyDep
from rating_service.campaigns import service as campaign_service
from service_kit.auth import Principal, require_scope
from service_kit.db import SessionDep
from service_kit.errors import ErrorResponse
from service_kit.pagination import Page, PageParamsDep

router = APIRouter(prefix="/campaigns/{campaign_id}", tags=["ballots"])

VotePrincipal = Annotated[Principal, require_scope("rating:vote")]

ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorResponse, "description": "not eligible to evaluate this member so"},
    404: {"model": ErrorResponse, "description": "no such campaign"},
    409: {"model": ErrorResponse, "description": "voting not open, closed, or ballot cast"},
    422: {"model": ErrorResponse, "description": "a rule refuses it; the code names the rule"},
}


@router.post(
    "/ballots",
    response_model=BallotPublic,
    status_code=status.HTTP_201_CREATED,
    operation_id="cast_ballot",
    responses=ERRORS,
)
async def cast_ballot(
    campaign_id: uuid.UUID,
    data: BallotCast,
    session: SessionDep,
    principal: VotePrincipal,
    secret: BallotKeyDep,
) -> BallotPublic:
    """Cast one ballot: scores 0-100 per criterion for one member, in a party you belong to.

    One ballot per evaluator, member and campaign; it cannot be changed. The ballot keeps no
    trace of who cast it: the member evaluated and everyone else only ever see aggregates.
    """
    ballots, campaign = await service.cast(
        session=session, principal=principal, secret=secret, campaign_id=campaign_id, ballots=[data]
    )
    return service.to_public(ballots[0], len(campaign.criteria))


@router.post(
    "/ballot-sheets",
    response_model=BallotSheetPublic,
    status_code=status.HTTP_201_CREATED,
    operation_id="cast_ballot_sheet",
    responses=ERRORS,
)
async def cast_ballot_sheet(
    campaign_id: uuid.UUID,
    data: BallotSheet,
    session: SessionDep,
    principal: VotePrincipal,
    secret: BallotKeyDep,
) -> BallotSheetPublic:
    """Cast up to 100 ballots at once, one per member: all are taken or none (the refusal
    names the member, e.g. details.member_id or details.member_ids), under the same rules as
    a single ballot."""
    ballots, campaign = await service.cast(
        session=session,
        principal=principal,
        secret=secret,
        campaign_id=campaign_id,
        ballots=data.ballots,
    )
    return BallotSheetPublic(items=[service.to_public(b, len(campaign.criteria)) for b in ballots])


@router.get(
    "/ballots/mine",
    response_model=Page[BallotPublic],
    operation_id="list_my_ballots",
    responses=ERRORS,
)
async def list_my_ballots(
    campaign_id: uuid.UUID,
    session: SessionDep,
    principal: VotePrincipal,
    secret: BallotKeyDep,
    page: PageParamsDep,
) -> Page[BallotPublic]:
    """The ballots you cast in this campaign (only you can list them)."""
    campaign = await campaign_service.get(
        session=session, principal=principal, campaign_id=campaign_id
    )
    result = await service.mine(
        session=session, principal=principal, secret=secret, campaign=campaign, page=page
    )
    return Page(
        items=[service.to_public(b, len(campaign.criteria)) for b in result.rows],
        next_cursor=result.next_cursor,
        cursors=result.cursors,
    )


@router.get(
    "/evaluable-members",
    response_model=Page[EvaluableMember],
    operation_id="list_evaluable_members",
    responses=ERRORS,
)
async def list_evaluable_members(
    campaign_id: uuid.UUID,
    session: SessionDep,
    principal: VotePrincipal,
    secret: BallotKeyDep,
    page: PageParamsDep,
    organization_id: uuid.UUID | None = None,
) -> Page[EvaluableMember]:
    """The members you may evaluate in this campaign, in which parties, and your progress."""
    campaign = await campaign_service.get(
        session=session, principal=principal, campaign_id=campaign_id
    )
    items, result = await service.evaluable(
        session=session,
        principal=principal,
        secret=secret,
        campaign=campaign,
        page=page,
        organization_id=organization_id,
    )
    return Page(items=items, next_cursor=result.next_cursor, cursors=result.cursors)
