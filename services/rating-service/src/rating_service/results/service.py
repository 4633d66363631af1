"""Rules of closing a campaign and of reading its results.

Closing computes every evaluated member's result in the database (see
repository.COMPUTE_RESULTS for the arithmetic, the 5-star cap and the one-third rule),
makes each member's stars their current level, and publishes one
`rating.evaluation.finalized` per result (member-service appends it to the member's
political archive) and one `rating.star_level.changed` per member whose stars changed.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import exists, false, func, or_, true
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from rating_service.access import administrative, chain_clause
from rating_service.ballots.service import CampaignClosed
from rating_service.campaigns import repository as campaign_repository
from rating_service.campaigns import service as campaign_service
from rating_service.campaigns.models import Campaign, CampaignOrganization, CampaignStatus
from rating_service.parties import PARTIES, Grade, Party, Stage
from rating_service.results import repository
from rating_service.results.models import EvaluationResult
from rating_service.results.schemas import CloseSummary, EvaluationResultPublic, PartyScore
from rating_service.star_levels.service import STAR_LEVEL_CHANGED
from service_kit.audit import record_audit
from service_kit.auth import Principal
from service_kit.events import EventPublisher

EVALUATION_FINALIZED = "rating.evaluation.finalized"

# Key of the transaction lock that closings take in turn: events about a member (their
# results and star levels) are published in bulk without per-member locks, so that two
# closings never number one member's events against the order of their commits.
MEMBER_EVENTS_LOCK = (72635404, 1)

# Below this many ballots a party's mean could point the member evaluated at who cast them.
MIN_BALLOTS_SHOWN = 3


async def close(
    *,
    session: AsyncSession,
    principal: Principal,
    publisher: EventPublisher,
    campaign_id: uuid.UUID,
) -> CloseSummary:
    """Close a campaign: voting ends, results are computed, published and become final."""
    campaign = await campaign_service.get_administered(
        session=session, principal=principal, campaign_id=campaign_id, lock="update"
    )
    if campaign.status == CampaignStatus.closed:
        raise CampaignClosed(
            f"The campaign was closed on {campaign.closed_at:%Y-%m-%d %H:%M} UTC already; "
            "its results are final.",
            details={"closed_at": campaign.closed_at.isoformat() if campaign.closed_at else None},
        )
    before = campaign_service.to_public(campaign).model_dump(mode="json")
    await session.exec(select(func.pg_advisory_xact_lock(*MEMBER_EVENTS_LOCK)))
    at = datetime.now(UTC)
    today = at.date()
    evaluated = await repository.compute_results(session, campaign.id, at, today)
    await repository.record_member_levels(session, campaign.id, at, today)
    await publisher.publish_query(
        session, type=EVALUATION_FINALIZED, rows=repository.finalized_rows(campaign.id, at)
    )
    await publisher.publish_query(
        session, type=STAR_LEVEL_CHANGED, rows=repository.member_level_rows(campaign.id, today)
    )
    campaign.status = CampaignStatus.closed.value
    campaign.closed_at = at
    campaign.closed_by = principal.subject
    campaign.result_count = evaluated
    campaign.updated_at = at
    session.add(campaign)
    await session.flush()
    counts = await repository.summary(session, campaign.id)
    summary = CloseSummary(
        campaign=campaign_service.to_public(campaign, at),
        not_evaluated=campaign.subject_count - evaluated,
        **counts,
    )
    await record_audit(
        session,
        principal=principal,
        action="campaign.close",
        entity_type="campaign",
        entity_id=campaign.id,
        before=before,
        after=summary.model_dump(mode="json"),
    )
    return summary


def visible_results(principal: Principal) -> Any:
    """SQL on EvaluationResult: administrators see their part of the city, a member their own."""
    if principal.is_city_wide:
        return true()
    clauses: list[Any] = []
    if administrative(principal):
        clauses.append(
            exists(
                select(CampaignOrganization.organization_id).where(
                    CampaignOrganization.campaign_id == EvaluationResult.campaign_id,
                    CampaignOrganization.organization_id == EvaluationResult.organization_id,
                    chain_clause(
                        principal,
                        col(CampaignOrganization.organization_chain),
                        col(CampaignOrganization.region_chain),
                    ),
                )
            )
        )
    if principal.member_id is not None:
        clauses.append(EvaluationResult.member_id == principal.member_id)
    return or_(*clauses) if clauses else false()


def to_public(
    result: EvaluationResult, campaign: Campaign, principal: Principal
) -> EvaluationResultPublic:
    """A result; the member evaluated does not see a party's mean made of fewer than 3
    ballots (it could tell them how one colleague voted)."""
    own = principal.member_id == result.member_id
    weights = campaign.weights()
    scores = {
        Party.owner: (result.owner_score, result.owner_ballots),
        Party.secretary: (result.secretary_score, result.secretary_ballots),
        Party.members: (result.members_score, result.members_ballots),
        Party.masses: (result.masses_score, result.masses_ballots),
    }
    party_scores = []
    for party in PARTIES:
        score, ballots = scores[party]
        withheld = own and ballots < MIN_BALLOTS_SHOWN
        party_scores.append(
            PartyScore(
                party=party,
                weight=weights[party.value],
                ballots=ballots,
                score=None if withheld else score,
                used=party.value in result.parties_used,
            )
        )
    return EvaluationResultPublic(
        campaign_id=result.campaign_id,
        member_id=result.member_id,
        organization_id=result.organization_id,
        stage=Stage(result.stage),
        period_start=campaign.period_start,
        period_end=campaign.period_end,
        weighted_score=result.weighted_score,
        parties_used=[Party(p) for p in result.parties_used],
        rescaled=result.rescaled,
        score_stars=result.score_stars,
        stars=result.stars,
        capped=result.capped,
        grade=Grade(result.grade) if result.grade else None,
        grade_capped=result.grade_capped,
        party_scores=party_scores,
        finalized_at=result.finalized_at,
    )


async def to_public_many(
    session: AsyncSession, results: list[EvaluationResult], principal: Principal
) -> list[EvaluationResultPublic]:
    ids = list({r.campaign_id for r in results})
    campaigns = {c.id: c for c in await campaign_repository.get_many(session, ids, true())}
    return [to_public(r, campaigns[r.campaign_id], principal) for r in results]
