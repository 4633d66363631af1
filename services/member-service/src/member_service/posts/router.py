"""HTTP endpoints of posts."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from member_service.posts import service
from member_service.posts.models import PostKind
from member_service.posts.schemas import PostCreate, PostEnd, PostPublic
from service_kit.auth import Principal, require_scope
from service_kit.db import SessionDep
from service_kit.deps import PublisherDep
from service_kit.errors import ErrorResponse
from service_kit.pagination import Page, PageParamsDep, parse_ids

ReadPrincipal = Annotated[Principal, require_scope("member:read")]
WritePrincipal = Annotated[Principal, require_scope("member:write")]

ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorResponse, "description": "not yours to change"},
    404: {"model": ErrorResponse, "description": "no such member or post you may see"},
    409: {"model": ErrorResponse, "description": "overlaps a post of the kind, or ended"},
    422: {"model": ErrorResponse, "description": "a rule refuses it; the code names it"},
}

member_posts = APIRouter(prefix="/members/{member_id}/posts", tags=["posts"])
posts = APIRouter(prefix="/posts", tags=["posts"])


@member_posts.post(
    "",
    response_model=PostPublic,
    status_code=status.HTTP_201_CREATED,
    operation_id="assign_post",
    responses=ERRORS,
)
async def assign_post(
    member_id: uuid.UUID,
    data: PostCreate,
    session: SessionDep,
    principal: WritePrincipal,
    publisher: PublisherDep,
) -> PostPublic:
    """Give a party member an integrity, civility, shock or tackling post from a day on."""
    return await service.assign(
        session=session, principal=principal, publisher=publisher, member_id=member_id, data=data
    )


@posts.get("", response_model=Page[PostPublic], operation_id="list_posts")
async def list_posts(
    session: SessionDep,
    principal: ReadPrincipal,
    page: PageParamsDep,
    member_id: uuid.UUID | None = None,
    organization_id: uuid.UUID | None = None,
    kind: PostKind | None = None,
    held_on: Annotated[date | None, Query(description="only posts held on this day")] = None,
) -> Page[PostPublic]:
    """Posts the caller may see, by start day, a page at a time."""
    return await service.list_public(
        session=session,
        principal=principal,
        page=page,
        member_id=member_id,
        organization_id=organization_id,
        kind=kind,
        held_on=held_on,
    )


@posts.get("/{post_id}", response_model=PostPublic, operation_id="get_post", responses=ERRORS)
async def get_post(post_id: uuid.UUID, session: SessionDep, principal: ReadPrincipal) -> PostPublic:
    """One post."""
    return await service.get(session=session, principal=principal, post_id=post_id)


@posts.post("/{post_id}/end", response_model=PostPublic, operation_id="end_post", responses=ERRORS)
async def end_post(
    post_id: uuid.UUID,
    data: PostEnd,
    session: SessionDep,
    principal: WritePrincipal,
    publisher: PublisherDep,
) -> PostPublic:
    """The member holds the post until `ended_on` (its last day)."""
    return await service.end(
        session=session, principal=principal, publisher=publisher, post_id=post_id, data=data
    )


batch = APIRouter(tags=["posts"])


@batch.get(
    "/member-posts",
    response_model=Page[PostPublic],
    operation_id="list_member_posts",
    responses={422: ERRORS[422]},
)
async def list_member_posts(
    session: SessionDep,
    principal: ReadPrincipal,
    page: PageParamsDep,
    member_ids: Annotated[str, Query(description="comma-separated member ids (at most 500)")],
    held_on: Annotated[date | None, Query(description="only posts held on this day")] = None,
) -> Page[PostPublic]:
    """Posts of many members at once, by member then start day, a page at a time."""
    return await service.list_of_members(
        session=session,
        principal=principal,
        page=page,
        member_ids=parse_ids(member_ids) or [],
        held_on=held_on,
    )


router = APIRouter()
router.include_router(member_posts)
router.include_router(posts)
router.include_router(batch)
