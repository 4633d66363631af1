"""HTTP endpoints of the sync API for park, business-district and building systems: /sync."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request

from org_service.sync import service
from org_service.sync.schemas import PlaceRecord, SyncPlace, SyncWorkTarget, WorkTargetRecord
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
from service_kit.deps import PublisherDep
from service_kit.errors import NotFound
from service_kit.idempotency import IdempotencyDep, fingerprint_of
from service_kit.pagination import MAX_BATCH_IDS, Page, PageParamsDep, TooManyIds

router = APIRouter(prefix="/sync", tags=["sync"])

WritePrincipal = Annotated[Principal, require_scope(service.SYNC_WRITE)]
ReadPrincipal = Annotated[Principal, require_scope(service.SYNC_READ)]

PUSH_DESCRIPTION = (
    " Up to 10,000 records a request, as a JSON array or NDJSON (one record a line). Each "
    "record is answered created, updated, unchanged or rejected (with a code and the field); "
    "good records are stored even when others are rejected. Send an Idempotency-Key: a "
    "retry with the same key and body answers the first response again and changes nothing."
)


class BatchNotFound(NotFound):
    code = "batch_not_found"
    message = "No batch with this id in the log you may read."


@router.post(
    "/work-targets",
    response_model=BulkResult,
    operation_id="sync_work_targets",
    openapi_extra=bulk_request_body(WorkTargetRecord),
    responses=BULK_ERROR_RESPONSES,
    description="Upsert enterprises and social organizations (tenants too) by credit code, "
    "in the client's places." + PUSH_DESCRIPTION,
)
async def push_work_targets(
    request: Request,
    session: SessionDep,
    principal: WritePrincipal,
    publisher: PublisherDep,
    idempotency: IdempotencyDep,
) -> BulkResult:
    body = await read_bulk_body(request)

    async def act() -> BulkResult:
        return await service.sync_work_targets(
            session=session,
            principal=principal,
            publisher=publisher,
            records=body.records,
            idempotency_key=idempotency.key,
        )

    return await idempotency.run(
        session, fingerprint=fingerprint_of(request, body.raw), result_type=BulkResult, action=act
    )


@router.post(
    "/places",
    response_model=BulkResult,
    operation_id="sync_places",
    openapi_extra=bulk_request_body(PlaceRecord),
    responses=BULK_ERROR_RESPONSES,
    description="Upsert buildings and markets inside the client's places, with their floors, "
    "by the client's own id." + PUSH_DESCRIPTION,
)
async def push_places(
    request: Request, session: SessionDep, principal: WritePrincipal, idempotency: IdempotencyDep
) -> BulkResult:
    body = await read_bulk_body(request)

    async def act() -> BulkResult:
        return await service.sync_places(
            session=session,
            principal=principal,
            records=body.records,
            idempotency_key=idempotency.key,
        )

    return await idempotency.run(
        session, fingerprint=fingerprint_of(request, body.raw), result_type=BulkResult, action=act
    )


def _credit_codes(raw: str | None) -> list[str] | None:
    """The codes asked for, in canonical form; like unknown ids in a batch get, a code that
    is not valid simply matches nothing."""
    if raw is None:
        return None
    parts = ["".join(p.split()).upper() for p in raw.split(",")]
    parts = [p for p in parts if p]
    if len(parts) > MAX_BATCH_IDS:
        raise TooManyIds(
            f"At most {MAX_BATCH_IDS} credit codes can be asked for at once.",
            details={"count": len(parts), "max": MAX_BATCH_IDS},
        )
    return parts


@router.get(
    "/work-targets", response_model=Page[SyncWorkTarget], operation_id="read_sync_work_targets"
)
async def read_work_targets(
    session: SessionDep,
    principal: ReadPrincipal,
    page: PageParamsDep,
    credit_codes: Annotated[
        str | None,
        Query(
            description=f"comma-separated, at most {MAX_BATCH_IDS}: a batch get (codes of no "
            "unit in your places are left out)"
        ),
    ] = None,
    external_id: Annotated[
        str | None, Query(max_length=100, description="the client's own id of the unit")
    ] = None,
    place_id: uuid.UUID | None = None,
) -> Page[SyncWorkTarget]:
    """The work targets in the client's places, by credit code, with who answers for each."""
    return await service.read_targets(
        session=session,
        principal=principal,
        page=page,
        credit_codes=_credit_codes(credit_codes),
        external_id=external_id,
        place_id=place_id,
    )


@router.get("/places", response_model=Page[SyncPlace], operation_id="read_sync_places")
async def read_places(
    session: SessionDep, principal: ReadPrincipal, page: PageParamsDep
) -> Page[SyncPlace]:
    """The client's places and the places inside them, with its ids of them and their floors."""
    return await service.read_places(session=session, principal=principal, page=page)


@router.get("/batches", response_model=Page[BatchSummary], operation_id="list_sync_batches")
async def list_batches(
    session: SessionDep,
    principal: ReadPrincipal,
    page: PageParamsDep,
    client: Annotated[
        str | None,
        Query(max_length=200, description="city-wide readers: one client's batches only"),
    ] = None,
    since: Annotated[datetime | None, Query(description="received at or after")] = None,
) -> Page[BatchSummary]:
    """The sync log: batches of work targets and places, oldest first (a client: its own)."""
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


@router.get("/batches/{batch_id}", response_model=BatchPublic, operation_id="get_sync_batch")
async def get_sync_batch(
    batch_id: uuid.UUID, session: SessionDep, principal: ReadPrincipal
) -> BatchPublic:
    """One batch of the log, with every rejected record."""
    batch = await get_batch(
        session, batch_id, subject=service.log_subject(principal, None), kinds=service.KINDS
    )
    if batch is None:
        raise BatchNotFound(details={"id": str(batch_id)})
    return BatchPublic.model_validate(batch, from_attributes=True)
