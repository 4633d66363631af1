"""Rules of the evaluator registry: who registers whom, for what, and for how long."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import or_, true
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from rating_service.access import chain_clause, require_administers
from rating_service.evaluators import repository
from rating_service.evaluators.models import EvaluatorKind, EvaluatorRegistration
from rating_service.evaluators.schemas import EvaluatorCreate, EvaluatorPublic
from rating_service.integrity import flush_unique
from rating_service.upstream import Scope, Upstream
from service_kit.audit import record_audit
from service_kit.auth import Principal
from service_kit.errors import Conflict, NotFound, Unprocessable


class EvaluatorNotFound(NotFound):
    code = "evaluator_not_found"
    message = "No evaluator registration with this id (or it is outside what you may see)."


class InvalidEvaluator(Unprocessable):
    code = "invalid_evaluator"


class EvaluatorConflict(Conflict):
    code = "evaluator_conflict"


def to_public(row: EvaluatorRegistration) -> EvaluatorPublic:
    return EvaluatorPublic.model_validate(row)


def visible_registrations(principal: Principal) -> Any:
    """SQL on EvaluatorRegistration: those of what the caller administers, and their own."""
    if principal.is_city_wide:
        return true()
    return or_(
        chain_clause(
            principal,
            col(EvaluatorRegistration.organization_chain),
            col(EvaluatorRegistration.region_chain),
        ),
        col(EvaluatorRegistration.account) == principal.subject,
    )


async def get(
    *,
    session: AsyncSession,
    principal: Principal,
    registration_id: uuid.UUID,
    for_update: bool = False,
) -> EvaluatorRegistration:
    """A registration the caller may see, else 404."""
    row = await repository.get(
        session, registration_id, visible_registrations(principal), for_update=for_update
    )
    if row is None:
        raise EvaluatorNotFound(details={"id": str(registration_id)})
    return row


async def register(
    *, session: AsyncSession, principal: Principal, upstream: Upstream, data: EvaluatorCreate
) -> EvaluatorRegistration:
    """Register an owner/investor of a work target, or an employee as masses, for an
    organization the caller administers."""
    valid_from = data.valid_from or date.today()
    if data.valid_until is not None and data.valid_until <= valid_from:
        raise InvalidEvaluator(
            f"A registration must end after it starts ({valid_from}).",
            code="end_before_start",
            details={"field": "valid_until"},
        )
    if data.kind == EvaluatorKind.owner and data.work_target_id is None:
        raise InvalidEvaluator(
            "An owner evaluates the members employed by a work target: give work_target_id.",
            code="owner_needs_work_target",
            details={"field": "work_target_id"},
        )
    org = await upstream.organization(data.organization_id)
    if org is None:
        raise InvalidEvaluator(
            "org-service knows no organization with this id.",
            code="organization_not_found",
            details={"field": "organization_id"},
        )
    scope = await upstream.scope_of(org)
    require_administers(principal, scope, org.id)
    if not org.active:
        raise InvalidEvaluator(
            f"{org.name} is {org.status}; evaluators are registered for active organizations.",
            code="organization_not_active",
            details={"field": "organization_id"},
        )
    if data.work_target_id is not None and not await upstream.work_target_exists(
        data.work_target_id
    ):
        raise InvalidEvaluator(
            "org-service knows no work target with this id.",
            code="work_target_not_found",
            details={"field": "work_target_id"},
        )
    row = EvaluatorRegistration(
        kind=data.kind.value,
        account=data.account,
        name=data.name,
        organization_id=org.id,
        organization_chain=scope.organization_chain,
        region_chain=scope.region_chain,
        work_target_id=data.work_target_id,
        valid_from=valid_from,
        valid_until=data.valid_until,
        registered_by=principal.subject,
    )
    if data.valid_until is None and not await flush_unique(session, row):
        raise EvaluatorConflict(
            f"{data.account} is registered as {data.kind.value} for this organization already; "
            "end that registration first.",
            code="evaluator_already_registered",
            details={"account": data.account, "kind": data.kind.value},
        )
    session.add(row)
    await session.flush()
    await record_audit(
        session,
        principal=principal,
        action="evaluator.register",
        entity_type="evaluator_registration",
        entity_id=row.id,
        after=to_public(row).model_dump(mode="json"),
    )
    return row


async def end(
    *, session: AsyncSession, principal: Principal, registration_id: uuid.UUID, valid_until: date
) -> EvaluatorRegistration:
    """End a registration: from `valid_until` on it no longer lets its account evaluate."""
    row = await get(
        session=session, principal=principal, registration_id=registration_id, for_update=True
    )
    require_administers(
        principal, Scope(row.organization_chain, row.region_chain), row.organization_id
    )
    if row.valid_until is not None:
        raise EvaluatorConflict(
            f"This registration has ended already, on {row.valid_until}.",
            code="registration_ended",
            details={"id": str(row.id)},
        )
    if valid_until <= row.valid_from:
        raise InvalidEvaluator(
            f"The registration starts on {row.valid_from}; valid_until must be later.",
            code="end_before_start",
            details={"field": "valid_until"},
        )
    before = to_public(row).model_dump(mode="json")
    row.valid_until = valid_until
    row.updated_at = datetime.now(UTC)
    session.add(row)
    await session.flush()
    await record_audit(
        session,
        principal=principal,
        action="evaluator.end",
        entity_type="evaluator_registration",
        entity_id=row.id,
        before=before,
        after=to_public(row).model_dump(mode="json"),
    )
    return row
