"""HTTP endpoints of the evaluator registry (/evaluators)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from rating_service.evaluators import repository, service
from rating_service.evaluators.models import EvaluatorKind
from rating_service.evaluators.schemas import EvaluatorCreate, EvaluatorEnd, EvaluatorPublic
from rating_service.upstream import UpstreamDep
from service_kit.auth import Principal, require_scope
from service_kit.db import SessionDep
from service_kit.errors import ErrorResponse
from service_kit.pagination import Page, PageParamsDep, parse_ids

router = APIRouter(prefix="/evaluators", tags=["evaluators"])

ReadPrincipal = Annotated[Principal, require_scope("rating:read")]
WritePrincipal = Annotated[Principal, require_scope("rating:write")]

ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorResponse, "description": "outside what you administer"},
    404: {"model": ErrorResponse, "description": "no such registration you may see"},
    409: {"model": ErrorResponse, "description": "registered already, or ended already"},
    422: {"model": ErrorResponse, "description": "a rule refuses it; the code names the rule"},
    503: {"model": ErrorResponse, "description": "org-service not answering"},
}


@router.post(
    "",
    response_model=EvaluatorPublic,
    status_code=status.HTTP_201_CREATED,
    operation_id="register_evaluator",
    responses=ERRORS,
)
async def register_evaluator(
    data: EvaluatorCreate, session: SessionDep, principal: WritePrincipal, upstream: UpstreamDep
) -> EvaluatorPublic:
    """Register an owner/investor of a work target, or an employee as masses (群众)."""
    row = await service.register(session=session, principal=principal, upstream=upstream, data=data)
    return service.to_public(row)


@router.get("", response_model=Page[EvaluatorPublic], operation_id="list_evaluators")
async def list_evaluators(
    session: SessionDep,
    principal: ReadPrincipal,
    page: PageParamsDep,
    ids: Annotated[str | None, Query(description="comma-separated ids: a batch get")] = None,
    kind: EvaluatorKind | None = None,
    organization_id: uuid.UUID | None = None,
    account: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[EvaluatorPublic]:
    """Registrations of what the caller administers (and their own), oldest first."""
    where = service.visible_registrations(principal)
    wanted = parse_ids(ids)
    if wanted is not None:
        rows = await repository.get_many(session, wanted, where)
        return Page(items=[service.to_public(r) for r in rows])
    result = await repository.page(
        session,
        page,
        where,
        kind=kind.value if kind else None,
        organization_id=organization_id,
        account=account,
    )
    return Page(
        items=[service.to_public(r) for r in result.rows],
        next_cursor=result.next_cursor,
        cursors=result.cursors,
    )


@router.get(
    "/{registration_id}",
    response_model=EvaluatorPublic,
    operation_id="get_evaluator",
    responses=ERRORS,
)
async def get_evaluator(
    registration_id: uuid.UUID, session: SessionDep, principal: ReadPrincipal
) -> EvaluatorPublic:
    """One registration by id."""
    row = await service.get(session=session, principal=principal, registration_id=registration_id)
    return service.to_public(row)


@router.post(
    "/{registration_id}/end",
    response_model=EvaluatorPublic,
    operation_id="end_evaluator",
    responses=ERRORS,
)
async def end_evaluator(
    registration_id: uuid.UUID, data: EvaluatorEnd, session: SessionDep, principal: WritePrincipal
) -> EvaluatorPublic:
    """End a registration on `valid_until` (exclusive)."""
    row = await service.end(
        session=session,
        principal=principal,
        registration_id=registration_id,
        valid_until=data.valid_until,
    )
    return service.to_public(row)
