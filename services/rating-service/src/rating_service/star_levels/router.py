"""HTTP endpoints of star levels (/star-levels): the level in force, batch-readable by id."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query

from rating_service.star_levels import repository, service
from rating_service.star_levels.models import SubjectKind
from rating_service.star_levels.schemas import StarLevelPublic, StarLevelRecord
from service_kit.auth import Principal, require_scope
from service_kit.db import SessionDep
from service_kit.errors import ErrorResponse
from service_kit.pagination import Page, PageParamsDep, parse_ids

router = APIRouter(prefix="/star-levels", tags=["star levels"])

ReadPrincipal = Annotated[Principal, require_scope("rating:read")]

ERRORS: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorResponse, "description": "bad ids or page size"},
}


@router.get(
    "", response_model=Page[StarLevelPublic], operation_id="list_star_levels", responses=ERRORS
)
async def list_star_levels(
    session: SessionDep,
    principal: ReadPrincipal,
    page: PageParamsDep,
    subject_kind: SubjectKind,
    ids: Annotated[
        str | None,
        Query(
            description="comma-separated subject ids: a batch get; ids without a level are left out"
        ),
    ] = None,
) -> Page[StarLevelPublic]:
    """The star level in force today of each organization or member; members see their own,
    administrators those of their part of the city, organizations' levels are public."""
    where = service.visible_levels(principal, subject_kind)
    day = date.today()
    wanted = parse_ids(ids)
    if wanted is not None:
        rows = await repository.current(session, subject_kind.value, wanted, where, day)
        return Page(items=[service.to_public(r) for r in rows])
    result = await repository.page_current(session, page, subject_kind.value, where, day)
    return Page(
        items=[service.to_public(r) for r in result.rows],
        next_cursor=result.next_cursor,
        cursors=result.cursors,
    )


@router.get(
    "/{subject_kind}/{subject_id}/history",
    response_model=Page[StarLevelRecord],
    operation_id="list_star_level_history",
    responses=ERRORS,
)
async def list_star_level_history(
    subject_kind: SubjectKind,
    subject_id: uuid.UUID,
    session: SessionDep,
    principal: ReadPrincipal,
    page: PageParamsDep,
) -> Page[StarLevelRecord]:
    """Every level the subject has held, oldest first, with the campaign or rating behind it."""
    where = service.visible_levels(principal, subject_kind)
    result = await repository.page_history(session, page, subject_kind.value, subject_id, where)
    return Page(
        items=[StarLevelRecord.model_validate(r, from_attributes=True) for r in result.rows],
        next_cursor=result.next_cursor,
        cursors=result.cursors,
    )
