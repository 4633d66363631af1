"""HTTP endpoints of dues: declarations, monthly assessments, payments and arrears (/dues/...)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from funding_service.deps import OrgDep, ReachDep
from funding_service.dues import repository, rules, service
from funding_service.dues.models import DuesAssessment
from funding_service.dues.schemas import (
    ArrearsPublic,
    AssessmentPublic,
    AssessmentRun,
    AssessmentRunResult,
    DeclarationCreate,
    DeclarationPublic,
    PaymentCreate,
    PaymentPublic,
)
from funding_service.idempotency import IdempotencyDep
from funding_service.temporal import MONTH_PATTERN, month
from funding_service.upstream.client import UPSTREAM_RESPONSES as UPSTREAM
from service_kit.auth import Principal, require_scope
from service_kit.db import SessionDep
from service_kit.deps import PublisherDep
from service_kit.pagination import Page, PageParamsDep

router = APIRouter(prefix="/dues", tags=["dues"])

ReadPrincipal = Annotated[Principal, require_scope("funding:read")]
DuesPrincipal = Annotated[Principal, require_scope("funding:dues")]
MonthQuery = Annotated[str | None, Query(pattern=MONTH_PATTERN, description="YYYY-MM")]


@router.post(
    "/declarations",
    response_model=DeclarationPublic,
    status_code=status.HTTP_201_CREATED,
    operation_id="declare_dues_income",
    responses=UPSTREAM,
)
async def declare_dues_income(
    data: DeclarationCreate,
    session: SessionDep,
    principal: DuesPrincipal,
    org: OrgDep,
    reach: ReachDep,
    idempotency: IdempotencyDep,
) -> DeclarationPublic:
    """Declare a member's monthly after-tax income from a month on; the bracket sets the dues."""

    async def act() -> DeclarationPublic:
        row = await service.declare(
            session=session, principal=principal, org=org, reach=reach, data=data
        )
        return service.declaration_public(row)

    return await idempotency.run(session, body=data, result_type=DeclarationPublic, action=act)


@router.post(
    "/assessments",
    response_model=AssessmentRunResult,
    operation_id="assess_dues",
    responses=UPSTREAM,
)
async def assess_dues(
    data: AssessmentRun,
    session: SessionDep,
    principal: DuesPrincipal,
    reach: ReachDep,
    idempotency: IdempotencyDep,
) -> AssessmentRunResult:
    """Fix a month's dues of every member with a declaration in force (each member once)."""

    async def act() -> AssessmentRunResult:
        return await service.assess(session=session, principal=principal, reach=reach, data=data)

    return await idempotency.run(session, body=data, result_type=AssessmentRunResult, action=act)


@router.get(
    "/assessments",
    response_model=Page[AssessmentPublic],
    operation_id="list_dues_assessments",
    responses=UPSTREAM,
)
async def list_dues_assessments(
    session: SessionDep,
    principal: ReadPrincipal,
    reach: ReachDep,
    page: PageParamsDep,
    member_id: uuid.UUID | None = None,
    organization_id: uuid.UUID | None = None,
    month_: Annotated[str | None, Query(alias="month", pattern=MONTH_PATTERN)] = None,
) -> Page[AssessmentPublic]:
    """Assessed months with what is paid and outstanding (a member sees their own)."""
    result = await repository.page_assessments(
        session,
        page,
        service.visible(reach, DuesAssessment),
        member_id=member_id,
        organization_id=organization_id,
        month=month(month_).start if month_ else None,
    )
    return Page(
        items=[service.assessment_public(a) for a in result.rows],
        next_cursor=result.next_cursor,
        cursors=result.cursors,
    )


@router.post(
    "/payments",
    response_model=PaymentPublic,
    status_code=status.HTTP_201_CREATED,
    operation_id="pay_dues",
    responses=UPSTREAM,
)
async def pay_dues(
    data: PaymentCreate,
    session: SessionDep,
    principal: DuesPrincipal,
    publisher: PublisherDep,
    reach: ReachDep,
    idempotency: IdempotencyDep,
) -> PaymentPublic:
    """Record a payment towards an assessed month (into the organization's dues account)."""

    async def act() -> PaymentPublic:
        payment = await service.pay(
            session=session, principal=principal, publisher=publisher, reach=reach, data=data
        )
        return service.payment_public(payment)

    return await idempotency.run(session, body=data, result_type=PaymentPublic, action=act)


async def _arrears(
    session: SessionDep,
    reach: ReachDep,
    page: PageParamsDep,
    as_of: str | None,
    organization_id: uuid.UUID | None,
    min_months: int,
) -> Page[ArrearsPublic]:
    scope = None
    if not reach.everything:
        scope = {
            "organization_id": sorted(reach.organization_ids),
            "district_id": sorted(reach.district_ids),
            "member_id": sorted(reach.member_ids),
        }
        scope = {column: ids for column, ids in scope.items() if ids}
    rows, cursor = await repository.arrears(
        session,
        as_of=month(as_of).start if as_of else service.current_month(),
        min_months=min_months,
        params=page,
        organization_id=organization_id,
        scope=scope,
    )
    return Page(
        items=[
            ArrearsPublic(
                member_id=r.member_id,
                organization_id=r.organization_id,
                unpaid_months=r.unpaid_months,
                consecutive_unpaid_months=r.consecutive,
                outstanding_fen=r.outstanding_fen,
                oldest_unpaid_month=r.oldest_unpaid_month,
            )
            for r in rows
        ],
        next_cursor=cursor,
    )


@router.get(
    "/arrears",
    response_model=Page[ArrearsPublic],
    operation_id="list_dues_arrears",
    responses=UPSTREAM,
)
async def list_dues_arrears(
    session: SessionDep,
    principal: ReadPrincipal,
    reach: ReachDep,
    page: PageParamsDep,
    as_of: MonthQuery = None,
    organization_id: uuid.UUID | None = None,
    min_months: Annotated[int, Query(ge=1, le=1200)] = 1,
) -> Page[ArrearsPublic]:
    """Members with unpaid dues up to `as_of` (default this month), by member."""
    return await _arrears(session, reach, page, as_of, organization_id, min_months)


@router.get(
    "/arrears/six-months",
    response_model=Page[ArrearsPublic],
    operation_id="list_six_month_arrears",
    responses=UPSTREAM,
)
async def list_six_month_arrears(
    session: SessionDep,
    principal: ReadPrincipal,
    reach: ReachDep,
    page: PageParamsDep,
    as_of: MonthQuery = None,
    organization_id: uuid.UUID | None = None,
) -> Page[ArrearsPublic]:
    """Members who have not paid for six months in a row (the party constitution's rule)."""
    return await _arrears(session, reach, page, as_of, organization_id, rules.ARREARS_MONTHS)
