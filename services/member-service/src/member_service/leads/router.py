"""HTTP endpoints of reported members: the sync push (/sync/members) and leads (/leads)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from member_service.leads import service
from member_service.leads.models import LeadStatus
from member_service.leads.schemas import (
    LeadConfirm,
    LeadPublic,
    LeadReject,
    MemberReport,
    SyncMemberReport,
)
from member_service.members.service import CipherDep
from member_service.references.client import OrgDep
from service_kit.auth import Principal, require_scope
from service_kit.bulk import (
    BULK_ERROR_RESPONSES,
    BatchPublic,
    BatchSummary,
    BulkResult,
    bulk_request_body,
    get_batch,
    page_batches,
    read_bulk_body,
)
from service_kit.db import SessionDep
from service_kit.deps import HttpDep, PublisherDep
from service_kit.errors import ErrorResponse, NotFound
from service_kit.idempotency import IdempotencyDep, fingerprint_of
from service_kit.pagination import Page, PageParamsDep, parse_ids

SyncWriter = Annotated[Principal, require_scope(service.SYNC_WRITE)]
SyncReader = Annotated[Principal, require_scope(service.SYNC_READ)]
ReadPrincipal = Annotated[Principal, require_scope("member:read")]
WritePrincipal = Annotated[Principal, require_scope("member:write")]

UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorResponse, "description": "org-service is not answering; nothing stored"}
}
DECISION_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorResponse, "description": "not the responsible organization's people"},
    404: {"model": ErrorResponse, "description": "no such lead you may see"},
    409: {"model": ErrorResponse, "description": "decided already, or matched to a member"},
    422: {"model": ErrorResponse, "description": "a rule of bringing in a record refuses it"},
    **UNAVAILABLE,
}

sync_router = APIRouter(prefix="/sync/members", tags=["sync"])
router = APIRouter(prefix="/leads", tags=["leads"])


class BatchNotFound(NotFound):
    code = "batch_not_found"
    message = "No batch with this id in the log you may read."


@sync_router.post(
    "",
    response_model=BulkResult,
    operation_id="sync_members",
    openapi_extra=bulk_request_body(MemberReport),
    responses={**BULK_ERROR_RESPONSES, **UNAVAILABLE},
    description="Report party members of tenant enterprises in the client's places. A report "
    "is matched to a member by ID number or kept as a lead for the responsible organization; "
    "no member is created directly. Up to 10,000 records a request (JSON array or NDJSON); "
    "each is answered created, updated, unchanged or rejected (with a code and the field). "
    "Send an Idempotency-Key: a retry with the same key and body answers the first response "
    "again and changes nothing. Needs sync:read too (the enterprises are looked up as the "
    "client).",
)
async def push_members(
    request: Request,
    session: SessionDep,
    principal: SyncWriter,
    http: HttpDep,
    org: OrgDep,
    cipher: CipherDep,
    idempotency: IdempotencyDep,
) -> BulkResult:
    body = await read_bulk_body(request)

    async def act() -> BulkResult:
        return await service.sync_members(
            session=session,
            principal=principal,
            http=http,
            org=org,
            org_service_url=request.app.state.settings.org_service_url,
            cipher=cipher,
            records=body.records,
            idempotency_key=idempotency.key,
        )

    return await idempotency.run(
        session, fingerprint=fingerprint_of(request, body.raw), result_type=BulkResult, action=act
    )


@sync_router.get("", response_model=Page[SyncMemberReport], operation_id="read_sync_members")
async def read_reports(
    session: SessionDep,
    principal: SyncReader,
    cipher: CipherDep,
    page: PageParamsDep,
    external_id: Annotated[
        str | None, Query(max_length=100, description="the client's own id of the person")
    ] = None,
) -> Page[SyncMemberReport]:
    """The client's own reports, oldest first, ID numbers masked."""
    return await service.read_reports(
        session=session, principal=principal, cipher=cipher, page=page, external_id=external_id
    )


@sync_router.get(
    "/batches", response_model=Page[BatchSummary], operation_id="list_sync_member_batches"
)
async def list_batches(
    session: SessionDep,
    principal: SyncReader,
    page: PageParamsDep,
    client: Annotated[
        str | None,
        Query(max_length=200, description="city-wide readers: one client's batches only"),
    ] = None,
    since: Annotated[datetime | None, Query(description="received at or after")] = None,
) -> Page[BatchSummary]:
    """The sync log of reported members, oldest first (a client: its own)."""
    result = await page_batches(
        session,
        page,
        subject=service.log_subject(principal, client),
        kinds=service.KINDS,
        since=since,
    )
    return Page(
        items=[BatchSummary.model_validate(b, from_attributes=True) for b in result.rows],
        next_cursor=result.next_cursor,
        cursors=result.cursors,
    )


@sync_router.get(
    "/batches/{batch_id}", response_model=BatchPublic, operation_id="get_sync_member_batch"
)
async def get_sync_batch(
    batch_id: uuid.UUID, session: SessionDep, principal: SyncReader
) -> BatchPublic:
    """One batch of the log, with every rejected record."""
    batch = await get_batch(
        session, batch_id, subject=service.log_subject(principal, None), kinds=service.KINDS
    )
    if batch is None:
        raise BatchNotFound(details={"id": str(batch_id)})
    return BatchPublic.model_validate(batch, from_attributes=True)


@router.get("", response_model=Page[LeadPublic], operation_id="list_leads")
async def list_leads(
    session: SessionDep,
    principal: ReadPrincipal,
    cipher: CipherDep,
    page: PageParamsDep,
    ids: Annotated[str | None, Query(description="comma-separated ids: a batch get")] = None,
    organization_id: Annotated[
        uuid.UUID | None, Query(description="leads this organization is responsible for")
    ] = None,
    status: LeadStatus | None = None,
    employer_id: Annotated[
        uuid.UUID | None, Query(description="leads reported by this enterprise")
    ] = None,
) -> Page[LeadPublic]:
    """Reported members the caller's organizations are responsible for, by name."""
    return await service.list_public(
        session=session,
        principal=principal,
        cipher=cipher,
        page=page,
        ids=parse_ids(ids),
        organization_id=organization_id,
        status=status,
        employer_id=employer_id,
    )


@router.get("/{lead_id}", response_model=LeadPublic, operation_id="get_lead")
async def get_lead(
    lead_id: uuid.UUID, session: SessionDep, principal: ReadPrincipal, cipher: CipherDep
) -> LeadPublic:
    """One lead."""
    lead = await service.get(session=session, principal=principal, lead_id=lead_id)
    return service.lead_public(lead, cipher, principal)


@router.post(
    "/{lead_id}/confirm",
    response_model=LeadPublic,
    operation_id="confirm_lead",
    responses=DECISION_ERRORS,
)
async def confirm_lead(
    lead_id: uuid.UUID,
    data: LeadConfirm,
    session: SessionDep,
    principal: WritePrincipal,
    publisher: PublisherDep,
    org: OrgDep,
    cipher: CipherDep,
) -> LeadPublic:
    """Confirm a pending lead: the person is brought in as a member of `organization_id`."""
    return await service.confirm(
        session=session,
        principal=principal,
        publisher=publisher,
        org=org,
        cipher=cipher,
        lead_id=lead_id,
        data=data,
    )


@router.post(
    "/{lead_id}/reject",
    response_model=LeadPublic,
    operation_id="reject_lead",
    responses=DECISION_ERRORS,
)
async def reject_lead(
    lead_id: uuid.UUID,
    data: LeadReject,
    session: SessionDep,
    principal: WritePrincipal,
    cipher: CipherDep,
) -> LeadPublic:
    """Reject a pending lead, saying why."""
    return await service.reject(
        session=session, principal=principal, cipher=cipher, lead_id=lead_id, data=data
    )
