"""Rules of dues: the bracket of a declared income fixes a month's dues when the month is
assessed; payments go to the organization's dues account and never exceed what is owed."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from funding_service.access import Reach
from funding_service.dues import repository, rules
from funding_service.dues.models import DuesAssessment, DuesDeclaration, DuesPayment, utcnow
from funding_service.dues.schemas import (
    AssessmentPublic,
    AssessmentRun,
    AssessmentRunResult,
    DeclarationCreate,
    DeclarationPublic,
    PaymentCreate,
    PaymentPublic,
)
from funding_service.ledger import repository as ledger_repository
from funding_service.ledger import service as ledger
from funding_service.ledger.models import Account, AccountKind, Transfer, TransferKind
from funding_service.temporal import PeriodInFuture, month, month_of, today
from funding_service.upstream.org import OrgService
from service_kit.audit import record_audit
from service_kit.auth import Principal
from service_kit.errors import Conflict, Forbidden, Unprocessable
from service_kit.events import EventPublisher

DUES_PAYERS = "党员交纳党费"


class DuesMonthAssessed(Conflict):
    code = "dues_month_assessed"


class DuesNotAssessed(Unprocessable):
    code = "dues_not_assessed"


class DuesOverpaid(Unprocessable):
    code = "dues_overpaid"


class OrganizationNotFound(Unprocessable):
    code = "organization_not_found"
    message = "org-service knows no such organization."


class OutsideYourOrganizations(Forbidden):
    code = "outside_your_organizations"
    message = "You record dues for the organizations you may see only."


def declaration_public(row: DuesDeclaration) -> DeclarationPublic:
    rate = rules.dues_rate_bp(row.monthly_income_fen, retired=row.retired)
    return DeclarationPublic(
        id=row.id,
        member_id=row.member_id,
        organization_id=row.organization_id,
        month=row.valid_from.strftime("%Y-%m"),
        monthly_income_fen=row.monthly_income_fen,
        retired=row.retired,
        rate_bp=rate,
        monthly_dues_fen=rules.monthly_dues_fen(row.monthly_income_fen, retired=row.retired),
        declared_at=row.declared_at,
        declared_by=row.declared_by,
    )


def assessment_public(row: DuesAssessment) -> AssessmentPublic:
    return AssessmentPublic.model_validate(
        {**row.model_dump(), "outstanding_fen": row.amount_fen - row.paid_fen}
    )


def payment_public(row: DuesPayment) -> PaymentPublic:
    return PaymentPublic.model_validate(row)


def visible(reach: Reach, model: Any) -> Any:
    return reach.clause(
        district=col(model.district_id),
        organization=col(model.organization_id),
        member=col(model.member_id),
    )


async def _district_of(
    org: OrgService, reach: Reach, organization_id: uuid.UUID
) -> uuid.UUID | None:
    """The organization's district, once the caller is known to reach the organization."""
    found = (await org.organizations([organization_id])).get(organization_id)
    if found is None:
        raise OrganizationNotFound(details={"organization_id": str(organization_id)})
    placement = (await org.placements([found.region_id])).get(found.region_id)
    district_id = placement.region_id if placement and placement.level == "district" else None
    if not reach.sees(district_id=district_id, organization_id=organization_id):
        raise OutsideYourOrganizations(details={"organization_id": str(organization_id)})
    return district_id


async def declare(
    *,
    session: AsyncSession,
    principal: Principal,
    org: OrgService,
    reach: Reach,
    data: DeclarationCreate,
) -> DuesDeclaration:
    """Declare a member's monthly income from a month on (a correction replaces the month's)."""
    first = month(data.month).start
    district_id = await _district_of(org, reach, data.organization_id)
    assessed = await repository.assessment(session, data.member_id, first)
    if assessed is not None:
        raise DuesMonthAssessed(
            f"Dues for {data.month} are assessed already; declare from the next month on.",
            details={"month": data.month, "assessment_id": str(assessed.id)},
        )
    row = await repository.declaration(session, data.member_id, first)
    before = declaration_public(row).model_dump(mode="json") if row else None
    if row is None:
        row = DuesDeclaration(
            member_id=data.member_id,
            organization_id=data.organization_id,
            valid_from=first,
            monthly_income_fen=data.monthly_income_fen,
            declared_by=principal.subject,
        )
    row.organization_id = data.organization_id
    row.district_id = district_id
    row.monthly_income_fen = data.monthly_income_fen
    row.retired = data.retired
    row.declared_at = utcnow()
    row.declared_by = principal.subject
    session.add(row)
    await session.flush()
    await record_audit(
        session,
        principal=principal,
        action="dues.declare",
        entity_type="dues_declaration",
        entity_id=row.id,
        before=before,
        after=declaration_public(row).model_dump(mode="json"),
    )
    return row


async def assess(
    *, session: AsyncSession, principal: Principal, reach: Reach, data: AssessmentRun
) -> AssessmentRunResult:
    """Fix a month's dues of every member with a declaration in force (once per member)."""
    first = month(data.month).start
    if first > today():
        raise PeriodInFuture(
            f"Dues for {data.month} can be assessed from {first} on.",
            details={"month": data.month, "possible_from": first.isoformat()},
        )
    declarations = await repository.declarations_in_force(
        session, first, [data.organization_id] if data.organization_id else None
    )
    rows = []
    now = utcnow()
    for d in declarations:
        if not reach.sees(
            district_id=d.district_id, organization_id=d.organization_id, member_id=None
        ):
            continue
        rows.append(
            {
                "id": uuid.uuid4(),
                "member_id": d.member_id,
                "organization_id": d.organization_id,
                "district_id": d.district_id,
                "month": first,
                "income_fen": d.monthly_income_fen,
                "retired": d.retired,
                "rate_bp": rules.dues_rate_bp(d.monthly_income_fen, retired=d.retired),
                "amount_fen": rules.monthly_dues_fen(d.monthly_income_fen, retired=d.retired),
                "paid_fen": 0,
                "assessed_at": now,
            }
        )
    amounts = await repository.insert_assessments(session, rows)
    result = AssessmentRunResult(month=data.month, assessed=len(amounts), total_fen=sum(amounts))
    await record_audit(
        session,
        principal=principal,
        action="dues.assess",
        entity_type="dues_month",
        entity_id=data.month,
        after={**result.model_dump(mode="json"), "organization_id": str(data.organization_id)},
    )
    return result


async def _dues_accounts(
    session: AsyncSession, principal: Principal, assessment: DuesAssessment
) -> tuple[Account, Account]:
    """The outside world's dues-payers account and the organization's dues account."""
    now = utcnow()
    await ledger_repository.ensure_accounts(
        session,
        "external",
        [
            {
                "id": uuid.uuid4(),
                "kind": AccountKind.external.value,
                "name": DUES_PAYERS,
                "allow_negative": True,
                "balance_fen": 0,
                "created_at": now,
                "created_by": principal.subject,
            }
        ],
    )
    await ledger_repository.ensure_accounts(
        session,
        "dues",
        [
            {
                "id": uuid.uuid4(),
                "kind": AccountKind.dues.value,
                "name": f"党费 {assessment.organization_id}",
                "level": "district" if assessment.district_id else None,
                "region_id": assessment.district_id,
                "district_id": assessment.district_id,
                "organization_id": assessment.organization_id,
                "allow_negative": False,
                "balance_fen": 0,
                "created_at": now,
                "created_by": principal.subject,
            }
        ],
    )
    payers = (await ledger_repository.find_accounts(session, "external", name=DUES_PAYERS))[0]
    dues = (
        await ledger_repository.find_accounts(
            session, "dues", organization_id=assessment.organization_id
        )
    )[0]
    return payers, dues


async def pay(
    *,
    session: AsyncSession,
    principal: Principal,
    publisher: EventPublisher,
    reach: Reach,
    data: PaymentCreate,
) -> DuesPayment:
    """Record a payment towards a month's dues (never more than is still owed)."""
    first = month(data.month).start
    assessment = await repository.assessment(session, data.member_id, first, for_update=True)
    if assessment is None or not reach.sees(
        district_id=assessment.district_id,
        organization_id=assessment.organization_id,
        member_id=None,
    ):
        raise DuesNotAssessed(
            f"The member's dues for {data.month} are not assessed (or not yours to record); "
            "assess the month first.",
            details={"member_id": str(data.member_id), "month": data.month},
        )
    owed = assessment.amount_fen - assessment.paid_fen
    if data.amount_fen > owed:
        raise DuesOverpaid(
            f"{owed} fen are owed for {data.month}; a payment of {data.amount_fen} is too much.",
            details={"owed_fen": owed, "amount_fen": data.amount_fen},
        )
    paid_on = data.paid_on or today()
    payers, dues = await _dues_accounts(session, principal, assessment)
    posting = await ledger.post(
        session,
        principal=principal,
        publisher=publisher,
        specs=[
            ledger.TransferSpec(
                kind=TransferKind.dues_payment,
                debit_account_id=payers.id,
                credit_account_id=dues.id,
                amount_fen=data.amount_fen,
                value_date=paid_on,
                memo=f"党费 {data.month}",
                organization_id=assessment.organization_id,
                member_id=assessment.member_id,
            )
        ],
    )
    payment = DuesPayment(
        assessment_id=assessment.id,
        member_id=assessment.member_id,
        month=first,
        amount_fen=data.amount_fen,
        paid_on=paid_on,
        transfer_id=posting.posted[0].id,
        recorded_by=principal.subject,
    )
    assessment.paid_fen += data.amount_fen
    session.add(assessment)
    session.add(payment)
    await session.flush()
    await record_audit(
        session,
        principal=principal,
        action="dues.pay",
        entity_type="dues_payment",
        entity_id=payment.id,
        after=payment_public(payment).model_dump(mode="json"),
    )
    return payment


@ledger.on_reversal(TransferKind.dues_payment)
async def _payment_reversed(session: AsyncSession, transfer: Transfer) -> None:
    """A reversed dues payment is owed again."""
    payment = await repository.payment_by_transfer(session, transfer.id)
    if payment is None:
        return
    assessment = (
        await session.exec(
            select(DuesAssessment)
            .where(DuesAssessment.id == payment.assessment_id)
            .with_for_update()
        )
    ).one()
    assessment.paid_fen -= payment.amount_fen
    payment.reversed_at = utcnow()
    session.add(assessment)
    session.add(payment)
    await session.flush()


def current_month() -> date:
    return month_of(today())
