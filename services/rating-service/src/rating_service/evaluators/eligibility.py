"""Who may evaluate whom in a campaign: the one place that decides it.

- secretary: a secretary of the member's organization whose term overlaps the period
  (member-service's secretary terms, loaded with the roll);
- members: a party member on the roll whose membership relation is the same organization;
- owner: an account registered as owner/investor of the member's employer (a work target);
- masses: an account a secretary registered as masses for the member's organization.
Registrations must be valid on the day the ballot is cast. Nobody evaluates themselves.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, exists, false, or_, true
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import aliased
from sqlmodel import col, select

from rating_service.campaigns.models import CampaignSecretary, CampaignSubject
from rating_service.evaluators.models import EvaluatorKind, EvaluatorRegistration
from rating_service.parties import PARTIES, Party
from service_kit.auth import Principal


@dataclass(frozen=True)
class Evaluator:
    """The person casting a ballot: their account, and their member id if they are a member."""

    account: str
    member_id: uuid.UUID | None

    @classmethod
    def of(cls, principal: Principal) -> Evaluator:
        return cls(account=principal.subject, member_id=principal.member_id)

    @property
    def key(self) -> str:
        """One key per person: a member is one evaluator whichever account they vote from."""
        if self.member_id is not None:
            return f"member:{self.member_id}"
        return f"account:{self.account}"


def evaluator_hash(secret: bytes, campaign_id: uuid.UUID, evaluator: Evaluator) -> str:
    """What a ballot stores instead of its evaluator: a keyed hash, different per campaign, so
    that ballots cannot be joined to evaluators, nor one evaluator's ballots across campaigns."""
    message = f"{campaign_id}|{evaluator.key}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def _registered(kind: EvaluatorKind, evaluator: Evaluator, day: date, match: Any) -> Any:
    return exists(
        select(EvaluatorRegistration.id).where(
            EvaluatorRegistration.kind == kind.value,
            EvaluatorRegistration.account == evaluator.account,
            col(EvaluatorRegistration.valid_from) <= day,
            or_(
                col(EvaluatorRegistration.valid_until).is_(None),
                col(EvaluatorRegistration.valid_until) > day,
            ),
            match,
        )
    )


def party_predicates(
    campaign_id: uuid.UUID,
    *,
    member_id: Any,
    organization_id: Any,
    employer_id: Any,
    evaluator: Evaluator,
    day: date,
) -> dict[Party, Any]:
    """For each party, SQL that holds when the evaluator belongs to it for the subject whose
    member id, organization and employer are the given columns or values."""
    predicates: dict[Party, Any] = {}
    if evaluator.member_id is not None:
        predicates[Party.secretary] = exists(
            select(CampaignSecretary.member_id).where(
                CampaignSecretary.campaign_id == campaign_id,
                CampaignSecretary.organization_id == organization_id,
                CampaignSecretary.member_id == evaluator.member_id,
            )
        )
        # another row of the roll than the subject's, whatever the query around it holds
        colleague = aliased(CampaignSubject, name="colleague")
        predicates[Party.members] = exists(
            select(colleague.member_id).where(
                colleague.campaign_id == campaign_id,
                colleague.member_id == evaluator.member_id,
                colleague.organization_id == organization_id,
            )
        )
    else:
        predicates[Party.secretary] = false()
        predicates[Party.members] = false()
    predicates[Party.owner] = _registered(
        EvaluatorKind.owner,
        evaluator,
        day,
        and_(
            col(EvaluatorRegistration.work_target_id).is_not(None),
            EvaluatorRegistration.work_target_id == employer_id,
        ),
    )
    predicates[Party.masses] = _registered(
        EvaluatorKind.masses,
        evaluator,
        day,
        EvaluatorRegistration.organization_id == organization_id,
    )
    if evaluator.member_id is None:
        not_self: Any = true()
    elif isinstance(member_id, uuid.UUID):
        not_self = true() if member_id != evaluator.member_id else false()
    else:
        not_self = member_id != evaluator.member_id
    return {party: and_(not_self, predicates[party]) for party in PARTIES}


def evaluable_clause(campaign_id: uuid.UUID, evaluator: Evaluator, day: date) -> Any:
    """SQL on CampaignSubject: members of the campaign this evaluator may evaluate."""
    predicates = party_predicates(
        campaign_id,
        member_id=col(CampaignSubject.member_id),
        organization_id=col(CampaignSubject.organization_id),
        employer_id=col(CampaignSubject.employer_id),
        evaluator=evaluator,
        day=day,
    )
    return or_(*predicates.values())


def parties_array(campaign_id: uuid.UUID, evaluator: Evaluator, day: date) -> Any:
    """SQL: one boolean per party in PARTIES order, for the CampaignSubject row in the query."""
    return postgresql.array(party_columns(campaign_id, evaluator, day))


def party_columns(campaign_id: uuid.UUID, evaluator: Evaluator, day: date) -> list[Any]:
    """SQL columns, one per party in PARTIES order, for rows of CampaignSubject."""
    predicates = party_predicates(
        campaign_id,
        member_id=col(CampaignSubject.member_id),
        organization_id=col(CampaignSubject.organization_id),
        employer_id=col(CampaignSubject.employer_id),
        evaluator=evaluator,
        day=day,
    )
    return [predicates[p].label(p.value) for p in PARTIES]
