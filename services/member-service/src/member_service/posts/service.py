"""Rules on posts (双亮): party members hold integrity, civility, shock or tackling posts.

A member holds at most one post of a kind at a time. Assignments and their ends go into
the member's archive and are published as `member.post.changed`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import or_
from sqlmodel.ext.asyncio.session import AsyncSession

from member_service.access import reach
from member_service.archive import service as archive
from member_service.archive.models import EntryKind
from member_service.members import service as members
from member_service.members.models import PARTY_MEMBERS, Stage
from member_service.posts import repository
from member_service.posts.models import Post, PostKind, utcnow
from member_service.posts.schemas import PostCreate, PostEnd, PostPublic
from member_service.temporal import past_or_today
from service_kit.audit import record_audit
from service_kit.auth import Principal
from service_kit.errors import Conflict, NotFound, Unprocessable
from service_kit.events import EventPublisher
from service_kit.pagination import Page, PageParams

POST_CHANGED = "member.post.changed"
FAR_FUTURE = date(9999, 12, 31)


class PostNotFound(NotFound):
    code = "post_not_found"
    message = "No post with this id (or it is outside what you may see)."


class InvalidPost(Unprocessable):
    code = "invalid_post"


class PostOverlap(Conflict):
    code = "post_overlap"


class PostEnded(Conflict):
    code = "post_ended"


def to_public(post: Post) -> PostPublic:
    return PostPublic.model_validate(post)


def _visible(principal: Principal) -> Any:
    clauses = [reach(principal).clause(Post.organization_id)]
    if principal.member_id is not None:
        clauses.append(Post.member_id == principal.member_id)
    return or_(*clauses)


async def _record(
    session: AsyncSession,
    principal: Principal,
    publisher: EventPublisher,
    post: Post,
    change: str,
    before: PostPublic | None,
) -> None:
    public = to_public(post)
    day = post.started_on if change == "assigned" else post.ended_on
    assert day is not None
    await archive.append(
        session,
        member_id=post.member_id,
        kind=EntryKind.post,
        occurred_on=day,
        payload={
            "change": change,
            **public.model_dump(mode="json", include={"id", "organization_id", "kind", "title"}),
            "started_on": post.started_on.isoformat(),
            "ended_on": post.ended_on.isoformat() if post.ended_on else None,
        },
        recorded_by=principal.subject,
    )
    await record_audit(
        session,
        principal=principal,
        action=f"member_post.{change}",
        entity_type="member_post",
        entity_id=post.id,
        before=before.model_dump(mode="json") if before else None,
        after=public.model_dump(mode="json"),
    )
    await publisher.publish(
        session,
        type=POST_CHANGED,
        subject=post.member_id,
        data={
            "member_id": str(post.member_id),
            "post_id": str(post.id),
            "organization_id": str(post.organization_id),
            "post": post.kind,
            "change": change,
            "started_on": post.started_on.isoformat(),
            "ended_on": post.ended_on.isoformat() if post.ended_on else None,
        },
    )


async def assign(
    *,
    session: AsyncSession,
    principal: Principal,
    publisher: EventPublisher,
    member_id: uuid.UUID,
    data: PostCreate,
) -> PostPublic:
    """Give a party member a post from a day on (one post of each kind at a time)."""
    member = await members.for_write(session=session, principal=principal, member_id=member_id)
    if Stage(member.stage) not in PARTY_MEMBERS:
        raise InvalidPost(
            f"Posts show a party member's identity (双亮); this member is a {member.stage}.",
            code="post_needs_party_member",
            details={"stage": member.stage},
        )
    organization_id = data.organization_id or member.serving_organization_id
    if organization_id not in (member.organization_id, member.serving_organization_id):
        raise InvalidPost(
            "A post is shown in the member's home or serving organization.",
            code="post_organization",
            details={"field": "organization_id"},
        )
    started_on = past_or_today(data.started_on, "started_on")
    if data.ended_on is not None and data.ended_on < started_on:
        raise InvalidPost("ended_on cannot be before started_on.", details={"field": "ended_on"})
    clash = await repository.overlapping(
        session, member.id, data.kind.value, started_on, data.ended_on or FAR_FUTURE
    )
    if clash is not None:
        raise PostOverlap(
            f"The member holds a {data.kind.value} post ({clash.title}) from "
            f"{clash.started_on.isoformat()}"
            + (f" to {clash.ended_on.isoformat()}" if clash.ended_on else "")
            + "; one post of a kind at a time.",
            details={"post_id": str(clash.id)},
        )
    post = Post(
        member_id=member.id,
        organization_id=organization_id,
        kind=data.kind.value,
        title=data.title,
        duties=data.duties,
        started_on=started_on,
        ended_on=data.ended_on,
    )
    session.add(post)
    await session.flush()
    await _record(session, principal, publisher, post, "assigned", None)
    return to_public(post)


async def end(
    *,
    session: AsyncSession,
    principal: Principal,
    publisher: EventPublisher,
    post_id: uuid.UUID,
    data: PostEnd,
) -> PostPublic:
    """The member stops holding the post after `ended_on`."""
    post = await repository.get_visible(session, post_id, _visible(principal))
    if post is None:
        raise PostNotFound(details={"id": str(post_id)})
    await members.for_write(session=session, principal=principal, member_id=post.member_id)
    day = past_or_today(data.ended_on, "ended_on")
    if post.ended_on is not None and post.ended_on <= day:
        raise PostEnded(
            f"The post ends on {post.ended_on.isoformat()} already.",
            details={"ended_on": post.ended_on.isoformat()},
        )
    if day < post.started_on:
        raise InvalidPost(
            f"ended_on cannot be before the post began ({post.started_on.isoformat()}).",
            details={"field": "ended_on"},
        )
    before = to_public(post)
    post.ended_on = day
    post.updated_at = utcnow()
    session.add(post)
    await session.flush()
    await _record(session, principal, publisher, post, "ended", before)
    return to_public(post)


async def get(*, session: AsyncSession, principal: Principal, post_id: uuid.UUID) -> PostPublic:
    """One post the caller may see."""
    post = await repository.get_visible(session, post_id, _visible(principal))
    if post is None:
        raise PostNotFound(details={"id": str(post_id)})
    return to_public(post)


async def list_public(
    *,
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    member_id: uuid.UUID | None,
    organization_id: uuid.UUID | None,
    kind: PostKind | None,
    held_on: date | None,
) -> Page[PostPublic]:
    """Posts the caller may see, by start day."""
    result = await repository.page(
        session,
        page,
        _visible(principal),
        member_id=member_id,
        organization_id=organization_id,
        kind=kind.value if kind else None,
        day=held_on,
    )
    return Page(
        items=[to_public(p) for p in result.rows],
        next_cursor=result.next_cursor,
        cursors=result.cursors,
    )


async def list_of_members(
    *,
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    member_ids: Sequence[uuid.UUID],
    held_on: date | None,
) -> Page[PostPublic]:
    """Posts of any of these members the caller may see, by member then start day."""
    result = await repository.page_of_members(
        session, page, _visible(principal), member_ids=member_ids, day=held_on
    )
    return Page(
        items=[to_public(p) for p in result.rows],
        next_cursor=result.next_cursor,
        cursors=result.cursors,
    )
