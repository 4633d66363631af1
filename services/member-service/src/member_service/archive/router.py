"""HTTP endpoints of the political archive: read, record, correct, verify."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from member_service.archive import service
from member_service.archive.models import EntryKind
from member_service.archive.schemas import (
    CorrectionIn,
    EntryIn,
    EntryPublic,
    VerificationPublic,
)
from service_kit.auth import Principal, require_scope
from service_kit.db import SessionDep
from service_kit.errors import ErrorResponse
from service_kit.pagination import Page, PageParamsDep

ReadPrincipal = Annotated[Principal, require_scope("member:read")]
WritePrincipal = Annotated[Principal, require_scope("member:write")]

ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorResponse, "description": "not yours to change"},
    404: {"model": ErrorResponse, "description": "no such member or entry you may see"},
    409: {"model": ErrorResponse, "description": "the entry was corrected already"},
}

router = APIRouter(prefix="/members/{member_id}/archive", tags=["archive"])


@router.get(
    "", response_model=Page[EntryPublic], operation_id="list_archive_entries", responses=ERRORS
)
async def list_archive_entries(
    member_id: uuid.UUID,
    session: SessionDep,
    principal: ReadPrincipal,
    page: PageParamsDep,
    kind: EntryKind | None = None,
    newest_first: Annotated[
        bool, Query(description="the latest entry first (as a member's screen shows them)")
    ] = False,
) -> Page[EntryPublic]:
    """The member's political archive in the order it was recorded (or newest first), a page
    at a time."""
    return await service.list_entries(
        session=session,
        principal=principal,
        member_id=member_id,
        page=page,
        kind=kind,
        newest_first=newest_first,
    )


@router.post(
    "",
    response_model=EntryPublic,
    status_code=status.HTTP_201_CREATED,
    operation_id="record_archive_entry",
    responses=ERRORS,
)
async def record_archive_entry(
    member_id: uuid.UUID, data: EntryIn, session: SessionDep, principal: WritePrincipal
) -> EntryPublic:
    """Record an award or an evaluation result (other kinds are written by their steps)."""
    return await service.record(
        session=session, principal=principal, member_id=member_id, data=data
    )


@router.post(
    "/{entry_id}/corrections",
    response_model=EntryPublic,
    status_code=status.HTTP_201_CREATED,
    operation_id="correct_archive_entry",
    responses=ERRORS,
)
async def correct_archive_entry(
    member_id: uuid.UUID,
    entry_id: uuid.UUID,
    data: CorrectionIn,
    session: SessionDep,
    principal: WritePrincipal,
) -> EntryPublic:
    """A new entry that corrects `entry_id`; the original is kept unchanged."""
    return await service.correct(
        session=session, principal=principal, member_id=member_id, entry_id=entry_id, data=data
    )


@router.get(
    "/verification",
    response_model=VerificationPublic,
    operation_id="verify_archive",
    responses=ERRORS,
)
async def verify_archive(
    member_id: uuid.UUID, session: SessionDep, principal: ReadPrincipal
) -> VerificationPublic:
    """Recompute the hash chain; names the first entry changed, unlinked or missing."""
    return await service.verify(session=session, principal=principal, member_id=member_id)
