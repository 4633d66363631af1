"""HTTP endpoints of transfers: initiate, accept, reject, receipt."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from member_service.members.service import CipherDep
from member_service.references.client import OrgDep
from member_service.transfers import service
from member_service.transfers.models import TransferStatus
from member_service.transfers.schemas import (
    TransferCreate,
    TransferDecision,
    TransferPublic,
    TransferReceipt,
    TransferRejection,
)
from service_kit.auth import Principal, require_scope
from service_kit.db import SessionDep
from service_kit.deps import PublisherDep
from service_kit.errors import ErrorResponse
from service_kit.pagination import Page, PageParamsDep

ReadPrincipal = Annotated[Principal, require_scope("member:read")]
WritePrincipal = Annotated[Principal, require_scope("member:write")]

ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorResponse, "description": "not your side of the transfer"},
    404: {"model": ErrorResponse, "description": "no such transfer or member you may see"},
    409: {"model": ErrorResponse, "description": "pending already, decided, or expired"},
    422: {"model": ErrorResponse, "description": "a rule refuses it; the code names it"},
    503: {"model": ErrorResponse, "description": "org-service is not answering"},
}

router = APIRouter(prefix="/transfers", tags=["transfers"])


@router.post(
    "",
    response_model=TransferPublic,
    status_code=status.HTTP_201_CREATED,
    operation_id="initiate_transfer",
    responses=ERRORS,
)
async def initiate_transfer(
    data: TransferCreate, session: SessionDep, principal: WritePrincipal, org: OrgDep
) -> TransferPublic:
    """Issue a transfer letter from the member's home organization (valid for 3 months)."""
    return await service.initiate(session=session, principal=principal, org=org, data=data)


@router.get("", response_model=Page[TransferPublic], operation_id="list_transfers")
async def list_transfers(
    session: SessionDep,
    principal: ReadPrincipal,
    page: PageParamsDep,
    member_id: uuid.UUID | None = None,
    organization_id: Annotated[
        uuid.UUID | None, Query(description="transfers from or to this organization")
    ] = None,
    status: TransferStatus | None = None,
) -> Page[TransferPublic]:
    """Transfers the caller may see (either side), oldest letter first."""
    return await service.list_public(
        session=session,
        principal=principal,
        page=page,
        member_id=member_id,
        organization_id=organization_id,
        status=status,
    )


@router.get(
    "/{transfer_id}", response_model=TransferPublic, operation_id="get_transfer", responses=ERRORS
)
async def get_transfer(
    transfer_id: uuid.UUID, session: SessionDep, principal: ReadPrincipal
) -> TransferPublic:
    """One transfer."""
    return service.to_public(
        await service.get(session=session, principal=principal, transfer_id=transfer_id)
    )


@router.post(
    "/{transfer_id}/accept",
    response_model=TransferPublic,
    operation_id="accept_transfer",
    responses=ERRORS,
)
async def accept_transfer(
    transfer_id: uuid.UUID,
    data: TransferDecision,
    session: SessionDep,
    principal: WritePrincipal,
    publisher: PublisherDep,
    cipher: CipherDep,
) -> TransferPublic:
    """The receiving organization accepts; the membership relation moves there."""
    return await service.accept(
        session=session,
        principal=principal,
        publisher=publisher,
        cipher=cipher,
        transfer_id=transfer_id,
        data=data,
    )


@router.post(
    "/{transfer_id}/reject",
    response_model=TransferPublic,
    operation_id="reject_transfer",
    responses=ERRORS,
)
async def reject_transfer(
    transfer_id: uuid.UUID, data: TransferRejection, session: SessionDep, principal: WritePrincipal
) -> TransferPublic:
    """The receiving organization refuses, saying why."""
    return await service.reject(
        session=session, principal=principal, transfer_id=transfer_id, data=data
    )


@router.post(
    "/{transfer_id}/receipt",
    response_model=TransferPublic,
    operation_id="record_transfer_receipt",
    responses=ERRORS,
)
async def record_transfer_receipt(
    transfer_id: uuid.UUID, data: TransferReceipt, session: SessionDep, principal: WritePrincipal
) -> TransferPublic:
    """The receipt of an accepted transfer came back to the sending organization."""
    return await service.record_receipt(
        session=session, principal=principal, transfer_id=transfer_id, data=data
    )
