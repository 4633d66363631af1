"""HTTP endpoints of secretary terms."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from member_service.references.client import OrgDep
from member_service.secretaries import service
from member_service.secretaries.schemas import (
    TermCreate,
    TermEnd,
    TermPublic,
    TermsBulkCreate,
    TermsBulkCreated,
)
from service_kit.auth import Principal, require_scope
from service_kit.db import SessionDep
from service_kit.deps import PublisherDep
from service_kit.errors import ErrorResponse
from service_kit.pagination import Page, PageParamsDep, parse_ids

ReadPrincipal = Annotated[Principal, require_scope("member:read")]
WritePrincipal = Annotated[Principal, require_scope("member:write")]

ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorResponse, "description": "not your organization"},
    404: {"model": ErrorResponse, "description": "no such term or member you may see"},
    409: {"model": ErrorResponse, "description": "the organization has a secretary then"},
    422: {"model": ErrorResponse, "description": "a rule refuses it; the code names it"},
    503: {"model": ErrorResponse, "description": "org-service is not answering"},
}

router = APIRouter(prefix="/secretary-terms", tags=["secretaries"])


@router.post(
    "",
    response_model=TermPublic,
    status_code=status.HTTP_201_CREATED,
    operation_id="start_secretary_term",
    responses=ERRORS,
)
async def start_secretary_term(
    data: TermCreate,
    session: SessionDep,
    principal: WritePrincipal,
    publisher: PublisherDep,
    org: OrgDep,
) -> TermPublic:
    """A full member becomes the organization's secretary (at most one at a time)."""
    return await service.start(
        session=session, principal=principal, publisher=publisher, org=org, data=data
    )


@router.post(
    "/bulk",
    response_model=TermsBulkCreated,
    status_code=status.HTTP_201_CREATED,
    operation_id="create_secretary_terms",
    responses=ERRORS,
)
async def create_secretary_terms(
    data: TermsBulkCreate,
    session: SessionDep,
    principal: WritePrincipal,
    publisher: PublisherDep,
    org: OrgDep,
) -> TermsBulkCreated:
    """Up to 500 terms at once, under the single start's rules (also among the items): all
    written, or none (the error's details name the item refused)."""
    return await service.start_many(
        session=session, principal=principal, publisher=publisher, org=org, items=data.items
    )


@router.get("", response_model=Page[TermPublic], operation_id="list_secretary_terms")
async def list_secretary_terms(
    session: SessionDep,
    principal: ReadPrincipal,
    page: PageParamsDep,
    first: Annotated[
        date | None, Query(alias="from", description="terms running on or after this day")
    ] = None,
    last: Annotated[
        date | None, Query(alias="to", description="terms running on or before this day")
    ] = None,
    organization_ids: Annotated[
        str | None, Query(description="comma-separated organization ids")
    ] = None,
    member_id: uuid.UUID | None = None,
) -> Page[TermPublic]:
    """Terms that overlap the period [from, to], by start, a page at a time."""
    return await service.list_public(
        session=session,
        principal=principal,
        page=page,
        first=first,
        last=last,
        organization_ids=parse_ids(organization_ids),
        member_id=member_id,
    )


@router.get(
    "/{term_id}", response_model=TermPublic, operation_id="get_secretary_term", responses=ERRORS
)
async def get_secretary_term(
    term_id: uuid.UUID, session: SessionDep, principal: ReadPrincipal
) -> TermPublic:
    """One term."""
    return await service.get(session=session, principal=principal, term_id=term_id)


@router.post(
    "/{term_id}/end", response_model=TermPublic, operation_id="end_secretary_term", responses=ERRORS
)
async def end_secretary_term(
    term_id: uuid.UUID,
    data: TermEnd,
    session: SessionDep,
    principal: WritePrincipal,
    publisher: PublisherDep,
) -> TermPublic:
    """End the term on `term_end` (its last day)."""
    return await service.end(
        session=session, principal=principal, publisher=publisher, term_id=term_id, data=data
    )
