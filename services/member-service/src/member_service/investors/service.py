"""Rules on investors (出资人), the third of the three teams, trained through the federation
of industry and commerce.

They are seen by the city, by the district their enterprise lies in, and by the party
organization in the enterprise.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import false, or_, true
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from member_service.access import DISTRICT_ADMIN, reach, reaches
from member_service.investors import repository
from member_service.investors.models import Investor, InvestorTraining
from member_service.investors.schemas import (
    InvestorCreate,
    InvestorPublic,
    InvestorTrainingCreate,
    InvestorTrainingPublic,
)
from member_service.members import repository as member_repository
from member_service.references import repository as reference_repository
from member_service.references import service as references
from member_service.references.client import OrgServiceClient
from member_service.temporal import past_or_today
from service_kit.audit import record_audit
from service_kit.auth import Principal
from service_kit.errors import Forbidden, NotFound, Unprocessable
from service_kit.pagination import Page, PageParams


class InvestorNotFound(NotFound):
    code = "investor_not_found"
    message = "No investor with this id (or it is outside what you may see)."


class InvalidInvestor(Unprocessable):
    code = "invalid_investor"


def _where(principal: Principal, *, writing: bool) -> Any:
    if principal.is_city_wide:
        return true()
    clauses: list[Any] = []
    if DISTRICT_ADMIN in principal.roles and principal.region_id is not None:
        clauses.append(
            col(Investor.region_id).in_(reference_repository.region_subtree(principal.region_id))
        )
    scope = reach(principal, writing=writing)
    if not scope.nothing:
        clauses.append(scope.clause(Investor.organization_id))
    if not writing and principal.member_id is not None:
        clauses.append(Investor.member_id == principal.member_id)
    return or_(*clauses) if clauses else false()


async def _get(
    session: AsyncSession, principal: Principal, investor_id: uuid.UUID, *, writing: bool
) -> Investor:
    investor = await repository.get_visible(session, investor_id, _where(principal, writing=False))
    if investor is None:
        raise InvestorNotFound(details={"id": str(investor_id)})
    if (
        writing
        and await repository.get_visible(session, investor.id, _where(principal, writing=True))
        is None
    ):
        raise Forbidden("The investor's enterprise lies outside what you act for.")
    return investor


async def _may_write(
    session: AsyncSession,
    principal: Principal,
    region_id: uuid.UUID,
    organization_id: uuid.UUID | None,
) -> bool:
    if principal.is_city_wide:
        return True
    if DISTRICT_ADMIN in principal.roles and principal.region_id is not None:
        chain = await references.region_chain(session, region_id)
        if any(r.id == principal.region_id for r in chain):
            return True
    return organization_id is not None and await reaches(
        session, principal, organization_id, writing=True
    )


async def create(
    *, session: AsyncSession, principal: Principal, org: OrgServiceClient, data: InvestorCreate
) -> InvestorPublic:
    """Record an enterprise's investor."""
    targets = await org.work_targets([data.work_target_id])
    if not targets:
        raise InvalidInvestor(
            "work_target_id: org-service knows no work target with this id.",
            code="work_target_not_found",
            details={"field": "work_target_id"},
        )
    region_id = uuid.UUID(str(targets[0]["region_id"]))
    await references.known_region(session=session, org=org, region_id=region_id)
    if data.organization_id is not None:
        await references.active_organization(
            session=session, org=org, organization_id=data.organization_id, field="organization_id"
        )
    if data.member_id is not None and not await member_repository.existing_ids(
        session, [data.member_id]
    ):
        raise InvalidInvestor(
            "member_id: no member with this id.",
            code="member_not_found",
            details={"field": "member_id"},
        )
    if not await _may_write(session, principal, region_id, data.organization_id):
        raise Forbidden(
            "The enterprise lies outside what you act for.", code="region_outside_scope"
        )
    investor = Investor(**data.model_dump(), region_id=region_id)
    session.add(investor)
    await session.flush()
    public = InvestorPublic.model_validate(investor)
    await record_audit(
        session,
        principal=principal,
        action="investor.create",
        entity_type="investor",
        entity_id=investor.id,
        after=public.model_dump(mode="json"),
    )
    return public


async def get(
    *, session: AsyncSession, principal: Principal, investor_id: uuid.UUID
) -> InvestorPublic:
    """One investor the caller may see."""
    return InvestorPublic.model_validate(await _get(session, principal, investor_id, writing=False))


async def list_public(
    *,
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    work_target_id: uuid.UUID | None,
) -> Page[InvestorPublic]:
    """Investors the caller may see, by name."""
    result = await repository.page(
        session, page, _where(principal, writing=False), work_target_id=work_target_id
    )
    return Page(
        items=[InvestorPublic.model_validate(i) for i in result.rows],
        next_cursor=result.next_cursor,
        cursors=result.cursors,
    )


async def add_training(
    *,
    session: AsyncSession,
    principal: Principal,
    investor_id: uuid.UUID,
    data: InvestorTrainingCreate,
) -> InvestorTrainingPublic:
    """Record a training the investor attended."""
    investor = await _get(session, principal, investor_id, writing=True)
    past_or_today(data.held_on, "held_on")
    training = InvestorTraining(investor_id=investor.id, **data.model_dump())
    session.add(training)
    await session.flush()
    public = InvestorTrainingPublic.model_validate(training)
    await record_audit(
        session,
        principal=principal,
        action="investor.training",
        entity_type="investor_training",
        entity_id=training.id,
        after=public.model_dump(mode="json"),
    )
    return public


async def list_trainings(
    *, session: AsyncSession, principal: Principal, investor_id: uuid.UUID
) -> list[InvestorTrainingPublic]:
    """The investor's trainings, oldest first."""
    investor = await _get(session, principal, investor_id, writing=False)
    return [
        InvestorTrainingPublic.model_validate(t)
        for t in await repository.trainings(session, investor.id)
    ]
