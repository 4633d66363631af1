"""Rules of casting a ballot: the voting window, the criteria, eligibility, one ballot each."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel.ext.asyncio.session import AsyncSession

from rating_service.ballots import repository
from rating_service.ballots.models import Ballot
from rating_service.ballots.schemas import BallotCast, BallotPublic, EvaluableMember
from rating_service.campaigns.models import Campaign, CampaignStatus, CampaignSubject
from rating_service.campaigns.rules import MAX_SCORE
from rating_service.campaigns.service import CampaignNotFound
from rating_service.evaluators.eligibility import (
    Evaluator,
    evaluator_hash,
)
from rating_service.parties import Party, Stage
from service_kit.audit import record_audit
from service_kit.auth import Principal
from service_kit.errors import Conflict, Forbidden, Unprocessable
from service_kit.pagination import KeysetPage, PageParams


class CampaignClosed(Conflict):
    code = "campaign_closed"


class VotingNotOpen(Conflict):
    code = "voting_not_open"


class BallotAlreadyCast(Conflict):
    code = "ballot_already_cast"
    message = (
        "You have cast your ballot for this member in this campaign already; "
        "each evaluator casts one ballot per member and campaign, and it cannot be changed."
    )


class EvaluatorNotEligible(Forbidden):
    code = "evaluator_not_eligible"


class SelfEvaluation(Forbidden):
    code = "self_evaluation"
    message = "Nobody evaluates themselves in a four-party evaluation."


class InvalidBallot(Unprocessable):
    code = "invalid_ballot"


def ballot_key(request: Request) -> bytes:
    return str(request.app.state.settings.ballot_key.get_secret_value()).encode()


BallotKeyDep = Annotated[bytes, Depends(ballot_key)]


def ballot_score(total: int, criteria: int) -> float:
    return round(total / criteria, 2)


def to_public(ballot: Ballot, criteria: int) -> BallotPublic:
    return BallotPublic(
        campaign_id=ballot.campaign_id,
        member_id=ballot.member_id,
        party=Party(ballot.party),
        scores=dict(ballot.scores),
        score=ballot_score(ballot.total, criteria),
    )


def check_voting_window(campaign: Campaign, at: datetime) -> None:
    """Ballots are taken while the campaign is open, from opens_at until closes_at."""
    if campaign.status == CampaignStatus.closed:
        raise CampaignClosed(
            f"The campaign was closed on {campaign.closed_at:%Y-%m-%d %H:%M} UTC and its "
            "results are final; it takes no more ballots.",
            details={"closed_at": campaign.closed_at.isoformat() if campaign.closed_at else None},
        )
    if at >= campaign.closes_at:
        raise CampaignClosed(
            f"Voting closed at {campaign.closes_at.isoformat()}; it takes no more ballots.",
            details={"closes_at": campaign.closes_at.isoformat()},
        )
    if at < campaign.opens_at:
        raise VotingNotOpen(
            f"Voting opens at {campaign.opens_at.isoformat()}; cast the ballot from then on.",
            details={"opens_at": campaign.opens_at.isoformat()},
        )


def check_scores(campaign: Campaign, scores: dict[str, int]) -> int:
    """One score per criterion of the campaign, each 0 to 100; returns their sum."""
    expected = list(campaign.criteria)
    if set(scores) != set(expected):
        raise InvalidBallot(
            f"A ballot scores exactly the campaign's criteria: {', '.join(expected)}.",
            code="criteria_mismatch",
            details={
                "missing": sorted(set(expected) - set(scores)),
                "unknown": sorted(set(scores) - set(expected)),
            },
        )
    out_of_range = sorted(k for k, v in scores.items() if not 0 <= v <= MAX_SCORE)
    if out_of_range:
        raise InvalidBallot(
            f"Scores run from 0 to {MAX_SCORE}; out of range: {', '.join(out_of_range)}.",
            code="score_out_of_range",
            details={"criteria": out_of_range},
        )
    return sum(scores.values())


def _not_eligible(data: BallotCast, parties: list[Party]) -> EvaluatorNotEligible:
    return EvaluatorNotEligible(
        f"You may not evaluate this member as {data.party.value}: "
        + (
            f"you may as {', '.join(p.value for p in parties)}."
            if parties
            else "the secretary of their organization, members of the same organization, "
            "the registered owner of their employer and the masses registered for their "
            "organization may."
        ),
        details={
            "member_id": str(data.member_id),
            "party": data.party.value,
            "eligible_parties": [p.value for p in parties],
        },
    )


def _ballot(
    campaign: Campaign,
    subjects: dict[uuid.UUID, tuple[CampaignSubject, list[Party]]],
    evaluator: Evaluator,
    hashed: str,
    data: BallotCast,
) -> Ballot:
    """One ballot of the sheet, checked: party weighted, scores, roll, self, eligibility."""
    if campaign.weights()[data.party.value] == 0:
        raise InvalidBallot(
            f"This campaign gives the {data.party.value} party no weight; it takes no "
            "ballots from that party.",
            code="party_not_weighted",
            details={"party": data.party.value},
        )
    total = check_scores(campaign, data.scores)
    if data.member_id not in subjects:
        raise InvalidBallot(
            "This member is not on the campaign's roll.",
            code="member_not_in_campaign",
            details={"member_id": str(data.member_id)},
        )
    subject, parties = subjects[data.member_id]
    if evaluator.member_id == subject.member_id:
        raise SelfEvaluation(details={"member_id": str(subject.member_id)})
    if data.party not in parties:
        raise _not_eligible(data, parties)
    return Ballot(
        campaign_id=campaign.id,
        member_id=subject.member_id,
        party=data.party.value,
        evaluator_hash=hashed,
        scores=dict(data.scores),
        total=total,
    )


async def cast(
    *,
    session: AsyncSession,
    principal: Principal,
    secret: bytes,
    campaign_id: uuid.UUID,
    ballots: list[BallotCast],
) -> tuple[list[Ballot], Campaign]:
    """Cast the caller's ballots (one member each, in a party they belong to for that member):
    all of them, or none when one is refused; the refusal names the member."""
    at = datetime.now(UTC)
    members = [b.member_id for b in ballots]
    if len(set(members)) != len(members):
        raise InvalidBallot(
            "A sheet holds one ballot per member.",
            code="member_twice_on_sheet",
            details={"member_ids": sorted({str(m) for m in members if members.count(m) > 1})},
        )
    evaluator = Evaluator.of(principal)
    found = await repository.for_ballots(session, campaign_id, members, evaluator, at.date())
    if found is None:
        raise CampaignNotFound(details={"id": str(campaign_id)})
    campaign, subjects = found
    check_voting_window(campaign, at)
    hashed = evaluator_hash(secret, campaign.id, evaluator)
    rows = [_ballot(campaign, subjects, evaluator, hashed, data) for data in ballots]
    inserted = await repository.add_once(session, rows)
    if len(inserted) != len(rows):
        cast_before = [str(b.member_id) for b in rows if b.member_id not in inserted]
        raise BallotAlreadyCast(details={"member_ids": cast_before})
    # Who voted in which campaign, and in which parties, is kept; for whom and how is not.
    parties = sorted({b.party for b in rows})
    await record_audit(
        session,
        principal=principal,
        action="ballot.cast",
        entity_type="campaign",
        entity_id=campaign.id,
        after={"parties": parties, "ballots": len(rows)},
    )
    return rows, campaign


async def mine(
    *,
    session: AsyncSession,
    principal: Principal,
    secret: bytes,
    campaign: Campaign,
    page: PageParams,
) -> KeysetPage:
    """The caller's own ballots in a campaign."""
    hashed = evaluator_hash(secret, campaign.id, Evaluator.of(principal))
    return await repository.page_of_evaluator(session, page, campaign.id, hashed)


async def evaluable(
    *,
    session: AsyncSession,
    principal: Principal,
    secret: bytes,
    campaign: Campaign,
    page: PageParams,
    organization_id: uuid.UUID | None,
) -> tuple[list[EvaluableMember], KeysetPage]:
    """Members of the campaign the caller may evaluate, with their parties and progress."""
    evaluator = Evaluator.of(principal)
    day = date.today()
    result = await repository.page_evaluable(
        session, page, campaign.id, evaluator, day, organization_id=organization_id
    )
    subjects: list[CampaignSubject] = result.rows
    ids = [s.member_id for s in subjects]
    weights = campaign.weights()
    parties = {
        member_id: [p for p in held if weights[p.value] > 0]
        for member_id, held in (
            await repository.parties_of(session, campaign.id, ids, evaluator, day)
        ).items()
    }
    hashed = evaluator_hash(secret, campaign.id, evaluator)
    done = await repository.evaluated_by(session, campaign.id, hashed, ids) if ids else set()
    items = [
        EvaluableMember(
            member_id=s.member_id,
            organization_id=s.organization_id,
            stage=Stage(s.stage),
            parties=parties.get(s.member_id, []),
            ballot_cast=s.member_id in done,
        )
        for s in subjects
    ]
    return items, result
