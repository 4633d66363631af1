"""HTTP endpoints of investors and their training."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, status

from member_service.investors import service
from member_service.investors.schemas import (
    InvestorCreate,
    InvestorPublic,
    InvestorTrainingCreate,
    InvestorTrainingPublic,
)
from member_service.references.client import OrgDep
from service_kit.auth import Principal, require_scope
from service_kit.db import SessionDep
from service_kit.errors import ErrorResponse
from service_kit.pagination import Page, PageParamsDep

ReadPrincipal = Annotated[Principal, require_scope("member:read")]
WritePrincipal = Annotated[Principal, require_scope("member:write")]

ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorResponse, "description": "outside what you act for"},
    404: {"model": ErrorResponse, "description": "no such investor you may see"},
    422: {"model": ErrorResponse, "description": "a rule refuses it; the code names it"},
    503: {"model": ErrorResponse, "description": "org-service is not answering"},
}

router = APIRouter(prefix="/investors", tags=["investors"])


@router.post(
    "",
    response_model=InvestorPublic,
    status_code=status.HTTP_201_CREATED,
    operation_id="create_investor",
    responses=ERRORS,
)
async def create_investor(
    data: InvestorCreate, session: SessionDep, principal: WritePrincipal, org: OrgDep
) -> InvestorPublic:
    """Record an enterprise's investor."""
    return await service.create(session=session, principal=principal, org=org, data=data)


@router.get("", response_model=Page[InvestorPublic], operation_id="list_investors")
async def list_investors(
    session: SessionDep,
    principal: ReadPrincipal,
    page: PageParamsDep,
    work_target_id: uuid.UUID | None = None,
) -> Page[InvestorPublic]:
    """Investors the caller may see, by name."""
    return await service.list_public(
        session=session, principal=principal, page=page, work_target_id=work_target_id
    )


@router.get(
    "/{investor_id}", response_model=InvestorPublic, operation_id="get_investor", responses=ERRORS
)
async def get_investor(
    investor_id: uuid.UUID, session: SessionDep, principal: ReadPrincipal
) -> InvestorPublic:
    """One investor."""
    return await service.get(session=session, principal=principal, investor_id=investor_id)


@router.post(
    "/{investor_id}/trainings",
    response_model=InvestorTrainingPublic,
    status_code=status.HTTP_201_CREATED,
    operation_id="add_investor_training",
    responses=ERRORS,
)
async def add_investor_training(
    investor_id: uuid.UUID,
    data: InvestorTrainingCreate,
    session: SessionDep,
    principal: WritePrincipal,
) -> InvestorTrainingPublic:
    """Record a training the investor attended (by default the federation's)."""
    return await service.add_training(
        session=session, principal=principal, investor_id=investor_id, data=data
    )


@router.get(
    "/{investor_id}/trainings",
    response_model=list[InvestorTrainingPublic],
    operation_id="list_investor_trainings",
    responses=ERRORS,
)
async def list_investor_trainings(
    investor_id: uuid.UUID, session: SessionDep, principal: ReadPrincipal
) -> list[InvestorTrainingPublic]:
    """The investor's trainings, oldest first."""
    return await service.list_trainings(
        session=session, principal=principal, investor_id=investor_id
    )
