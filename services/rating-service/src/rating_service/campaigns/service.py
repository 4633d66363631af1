"""Rules of campaigns: settings from policy, who may run one, and the roll taken at opening."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import exists, false, or_, true
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from rating_service import policy_keys
from rating_service.access import (
    administrative,
    chain_clause,
    require_administers,
)
from rating_service.campaigns import repository
from rating_service.campaigns.models import (
    Campaign,
    CampaignOrganization,
    CampaignSecretary,
    CampaignStatus,
    CampaignSubject,
)
from rating_service.campaigns.rules import (
    CampaignRuleBroken,
    check_cap,
    check_criteria,
    check_grade_thresholds,
    check_star_thresholds,
    check_weights,
)
from rating_service.campaigns.schemas import (
    CampaignCreate,
    CampaignPublic,
    GradeThresholds,
    StarThresholds,
    Weights,
)
from rating_service.evaluators.models import EvaluatorRegistration
from rating_service.upstream import OrganizationInfo, Scope, Upstream
from service_kit.audit import record_audit
from service_kit.auth import Principal
from service_kit.errors import NotFound, Unprocessable
from service_kit.policy import value_on


class CampaignNotFound(NotFound):
    code = "campaign_not_found"
    message = "No campaign with this id (or it is outside what you may see)."


class OrganizationNotFound(NotFound):
    code = "organization_not_found"
    message = "org-service knows no organization with this id."


class OrganizationNotActive(Unprocessable):
    code = "organization_not_active"


class NoMembersToEvaluate(Unprocessable):
    code = "no_members_to_evaluate"


def now() -> datetime:
    return datetime.now(UTC)


def scope_of(campaign: Campaign) -> Scope:
    return Scope(campaign.organization_chain, campaign.region_chain)


def visible_campaigns(principal: Principal) -> Any:
    """SQL on Campaign: what the caller may read.

    Administrators: campaigns over, or covering part of, what they administer. Members:
    campaigns that evaluate them or in which they are a secretary. Registered evaluators:
    campaigns covering the organization they are registered for.
    """
    if principal.is_city_wide:
        return true()
    clauses: list[Any] = []
    if administrative(principal):
        clauses.append(
            exists(
                select(CampaignOrganization.organization_id).where(
                    CampaignOrganization.campaign_id == Campaign.id,
                    chain_clause(
                        principal,
                        col(CampaignOrganization.organization_chain),
                        col(CampaignOrganization.region_chain),
                    ),
                )
            )
        )
    if principal.member_id is not None:
        clauses.append(
            exists(
                select(CampaignSubject.member_id).where(
                    CampaignSubject.campaign_id == Campaign.id,
                    CampaignSubject.member_id == principal.member_id,
                )
            )
        )
        clauses.append(
            exists(
                select(CampaignSecretary.member_id).where(
                    CampaignSecretary.campaign_id == Campaign.id,
                    CampaignSecretary.member_id == principal.member_id,
                )
            )
        )
    clauses.append(
        exists(
            select(EvaluatorRegistration.id).where(
                EvaluatorRegistration.account == principal.subject,
                col(EvaluatorRegistration.organization_id).in_(
                    select(CampaignOrganization.organization_id).where(
                        CampaignOrganization.campaign_id == Campaign.id
                    )
                ),
            )
        )
    )
    return or_(*clauses)


def voting_open(campaign: Campaign, at: datetime) -> bool:
    return campaign.status == CampaignStatus.open and campaign.opens_at <= at < campaign.closes_at


def to_public(campaign: Campaign, at: datetime | None = None) -> CampaignPublic:
    return CampaignPublic(
        id=campaign.id,
        name=campaign.name,
        organization_id=campaign.organization_id,
        period_start=campaign.period_start,
        period_end=campaign.period_end,
        opens_at=campaign.opens_at,
        closes_at=campaign.closes_at,
        voting_open=voting_open(campaign, at or now()),
        weights=Weights(**campaign.weights()),
        star_thresholds=StarThresholds(
            five_stars=campaign.five_stars_min,
            four_stars=campaign.four_stars_min,
            three_stars=campaign.three_stars_min,
            two_stars=campaign.two_stars_min,
        ),
        five_star_cap_percent=campaign.five_star_cap_percent,
        grade_thresholds=GradeThresholds(
            excellent=campaign.excellent_min,
            qualified=campaign.qualified_min,
            basically_qualified=campaign.basically_qualified_min,
        ),
        criteria=list(campaign.criteria),
        status=CampaignStatus(campaign.status),
        organization_count=campaign.organization_count,
        subject_count=campaign.subject_count,
        result_count=campaign.result_count,
        closed_at=campaign.closed_at,
        created_at=campaign.created_at,
    )


async def get(
    *,
    session: AsyncSession,
    principal: Principal,
    campaign_id: uuid.UUID,
    lock: repository.Lock = None,
) -> Campaign:
    """A campaign the caller may see, else 404."""
    campaign = await repository.get(session, campaign_id, visible_campaigns(principal), lock=lock)
    if campaign is None:
        raise CampaignNotFound(details={"id": str(campaign_id)})
    return campaign


async def get_administered(
    *,
    session: AsyncSession,
    principal: Principal,
    campaign_id: uuid.UUID,
    lock: repository.Lock = None,
) -> Campaign:
    """A campaign the caller administers: 404 if hidden, 403 if only visible."""
    campaign = await get(session=session, principal=principal, campaign_id=campaign_id, lock=lock)
    require_administers(principal, scope_of(campaign), campaign.organization_id)
    return campaign


async def _settings(session: AsyncSession, data: CampaignCreate, scope: Scope) -> dict[str, Any]:
    """The campaign's settings: those given, else the policy values in force for its region."""
    day = date.today()
    regions: list[uuid.UUID | None] = [*reversed(scope.region_chain), None]

    async def policy(key: Any) -> Any:
        return await value_on(session, key, day, regions)

    weights = check_weights(
        data.weights.model_dump() if data.weights else await policy(policy_keys.FOUR_PARTY_WEIGHTS)
    )
    stars = check_star_thresholds(
        data.star_thresholds.model_dump()
        if data.star_thresholds
        else await policy(policy_keys.STAR_THRESHOLDS)
    )
    grades = check_grade_thresholds(
        data.grade_thresholds.model_dump()
        if data.grade_thresholds
        else await policy(policy_keys.GRADE_THRESHOLDS)
    )
    cap = check_cap(
        data.five_star_cap_percent
        if "five_star_cap_percent" in data.model_fields_set
        else await policy(policy_keys.FIVE_STAR_CAP_PERCENT)
    )
    criteria = check_criteria(
        data.criteria
        if data.criteria is not None
        else await policy(policy_keys.EVALUATION_CRITERIA)
    )
    return {
        "weight_owner": weights["owner"],
        "weight_secretary": weights["secretary"],
        "weight_members": weights["members"],
        "weight_masses": weights["masses"],
        "five_stars_min": stars["five_stars"],
        "four_stars_min": stars["four_stars"],
        "three_stars_min": stars["three_stars"],
        "two_stars_min": stars["two_stars"],
        "excellent_min": grades["excellent"],
        "qualified_min": grades["qualified"],
        "basically_qualified_min": grades["basically_qualified"],
        "five_star_cap_percent": cap,
        "criteria": criteria,
    }


EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def _check_dates(data: CampaignCreate, opens_at: datetime, at: datetime) -> None:
    for name, moment in (("opens_at", opens_at), ("closes_at", data.closes_at)):
        if not EARLIEST <= moment < LATEST:
            raise CampaignRuleBroken(
                f"{name} must lie in the years 2000 to 2099.",
                code="window_out_of_range",
                details={"field": name},
            )
    if data.period_end < data.period_start:
        raise CampaignRuleBroken(
            f"The period ends ({data.period_end}) before it starts ({data.period_start}).",
            code="period_out_of_order",
            details={"field": "period_end"},
        )
    if data.closes_at <= opens_at:
        raise CampaignRuleBroken(
            f"Voting must close after it opens ({opens_at.isoformat()}).",
            code="window_out_of_order",
            details={"field": "closes_at"},
        )
    if data.closes_at <= at:
        raise CampaignRuleBroken(
            "Voting would close before the campaign could take a single ballot; "
            "closes_at must be in the future.",
            code="window_already_closed",
            details={"field": "closes_at"},
        )


def _chains(
    root: OrganizationInfo, root_chain: list[uuid.UUID], subtree: list[OrganizationInfo]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Each organization's chain, from the root's chain and the parents inside the subtree."""
    by_id = {o.id: o for o in subtree}
    chains: dict[uuid.UUID, list[uuid.UUID]] = {root.id: root_chain}
    for org in subtree:
        path: list[uuid.UUID] = []
        current: OrganizationInfo | None = org
        while current is not None and current.id not in chains and current.id not in path:
            path.append(current.id)
            current = by_id.get(current.parent_id) if current.parent_id else None
        base = chains[current.id] if current is not None and current.id in chains else root_chain
        for org_id in reversed(path):
            base = [*base, org_id]
            chains[org_id] = base
    return chains


async def create(
    *, session: AsyncSession, principal: Principal, upstream: Upstream, data: CampaignCreate
) -> Campaign:
    """Open a campaign over an organization subtree: settings checked, roll taken from
    member-service, secretaries of the period from member-service's terms."""
    at = now()
    opens_at = data.opens_at or at
    _check_dates(data, opens_at, at)
    root = await upstream.organization(data.organization_id)
    if root is None:
        raise OrganizationNotFound(details={"organization_id": str(data.organization_id)})
    scope = await upstream.scope_of(root)
    require_administers(principal, scope, root.id)
    if not root.active:
        raise OrganizationNotActive(
            f"{root.name} is {root.status}; only an active organization's members are evaluated.",
            details={"organization_id": str(root.id), "status": root.status},
        )
    settings = await _settings(session, data, scope)
    subtree = [o for o in await upstream.subtree(root.id) if o.active]
    if root.id not in {o.id for o in subtree}:
        subtree.insert(0, root)
    chains = _chains(root, scope.organization_chain, subtree)
    region_chains = await upstream.region_chains({o.region_id for o in subtree})
    roster = await upstream.roster([o.id for o in subtree])
    if not roster:
        raise NoMembersToEvaluate(
            f"member-service lists no full or probationary members in {root.name} or below it; "
            "a campaign needs members to evaluate.",
            details={"organization_id": str(root.id)},
        )
    terms = await upstream.secretary_terms(
        [o.id for o in subtree], data.period_start, data.period_end
    )

    campaign = Campaign(
        name=data.name,
        organization_id=root.id,
        organization_chain=scope.organization_chain,
        region_id=root.region_id,
        region_chain=scope.region_chain,
        period_start=data.period_start,
        period_end=data.period_end,
        opens_at=opens_at,
        closes_at=data.closes_at,
        status=CampaignStatus.open.value,
        organization_count=len(subtree),
        subject_count=len(roster),
        created_by=principal.subject,
        **settings,
    )
    session.add(campaign)
    await session.flush()
    secretaries = {(t.organization_id, t.member_id) for t in terms if t.organization_id in chains}
    await repository.add_roll(
        session,
        organizations=[
            {
                "campaign_id": campaign.id,
                "organization_id": o.id,
                "name": o.name,
                "organization_chain": chains[o.id],
                "region_id": o.region_id,
                "region_chain": region_chains.get(o.region_id, [o.region_id]),
            }
            for o in subtree
        ],
        subjects=[
            {
                "campaign_id": campaign.id,
                "member_id": m.id,
                "organization_id": m.organization_id,
                "stage": m.stage.value,
                "employer_id": m.employer_id,
            }
            for m in roster
        ],
        secretaries=[
            {"campaign_id": campaign.id, "organization_id": org_id, "member_id": member_id}
            for org_id, member_id in sorted(secretaries)
        ],
    )
    await record_audit(
        session,
        principal=principal,
        action="campaign.create",
        entity_type="campaign",
        entity_id=campaign.id,
        after={
            **to_public(campaign, at).model_dump(mode="json"),
            "secretaries": len(secretaries),
        },
    )
    return campaign


def visible_subjects(principal: Principal, campaign: Campaign) -> Any:
    """SQL on CampaignSubject: the roll entries of this campaign the caller may see."""
    if principal.is_city_wide:
        return true()
    clauses: list[Any] = []
    if administrative(principal):
        clauses.append(
            col(CampaignSubject.organization_id).in_(
                select(CampaignOrganization.organization_id).where(
                    CampaignOrganization.campaign_id == campaign.id,
                    chain_clause(
                        principal,
                        col(CampaignOrganization.organization_chain),
                        col(CampaignOrganization.region_chain),
                    ),
                )
            )
        )
    if principal.member_id is not None:
        clauses.append(CampaignSubject.member_id == principal.member_id)
    return or_(*clauses) if clauses else false()
