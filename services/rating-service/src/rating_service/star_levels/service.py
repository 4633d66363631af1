"""Rules of star levels: who sees which, and how a new level replaces the one in force."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import func, or_, true
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from rating_service.access import chain_clause
from rating_service.star_levels import repository
from rating_service.star_levels.models import LevelSource, StarLevel, SubjectKind
from rating_service.star_levels.schemas import StarLevelPublic
from rating_service.upstream import Scope
from service_kit.auth import Principal
from service_kit.events import SUBJECT_LOCK_SPACE, EventPublisher

STAR_LEVEL_CHANGED = "rating.star_level.changed"


async def lock_subject(session: AsyncSession, subject_id: uuid.UUID) -> None:
    """Writers of one subject's levels take turns until commit; the key is the one the event
    publisher takes for the subject, so publishing afterwards does not wait on itself."""
    await session.exec(
        select(func.pg_advisory_xact_lock(SUBJECT_LOCK_SPACE, func.hashtext(str(subject_id))))
    )


def visible_levels(principal: Principal, kind: SubjectKind) -> Any:
    """SQL on StarLevel. An organization's level is public inside the city (it is posted and
    decides who may bid for projects); a member's level is theirs and their administrators'."""
    if kind == SubjectKind.organization or principal.is_city_wide:
        return true()
    clauses: list[Any] = [
        chain_clause(principal, col(StarLevel.organization_chain), col(StarLevel.region_chain))
    ]
    if principal.member_id is not None:
        clauses.append(StarLevel.subject_id == principal.member_id)
    return or_(*clauses)


def to_public(level: StarLevel) -> StarLevelPublic:
    return StarLevelPublic.model_validate(level)


def event_data(level: StarLevel, previous: StarLevel | None) -> dict[str, Any]:
    """The agreed payload of rating.star_level.changed."""
    return {
        "subject_kind": level.subject_kind,
        "subject_id": str(level.subject_id),
        "stars": level.stars,
        "previous_stars": previous.stars if previous is not None else None,
        "valid_from": level.valid_from.isoformat(),
        "valid_until": level.valid_until.isoformat() if level.valid_until else None,
        "showcase": level.showcase,
    }


def changed(level: StarLevel, previous: StarLevel | None) -> bool:
    """What subscribers know changes: the stars, showcase status or how long it holds."""
    return previous is None or (previous.stars, previous.showcase, previous.valid_until) != (
        level.stars,
        level.showcase,
        level.valid_until,
    )


async def record_organization_level(
    *,
    session: AsyncSession,
    publisher: EventPublisher,
    organization_id: uuid.UUID,
    scope: Scope,
    stars: int,
    showcase: bool,
    valid_from: date,
    valid_until: date,
    rating_id: uuid.UUID,
) -> tuple[StarLevel, StarLevel | None]:
    """Record an organization's new level from its rating; it replaces the one in force on
    valid_from, and subscribers hear of it when stars, showcase or validity differ."""
    kind = SubjectKind.organization.value
    previous = await repository.current(session, kind, [organization_id], true(), valid_from)
    before = previous[0] if previous else None
    if before is not None:
        session.expunge(before)  # keep its values as they were for the event
    await repository.end_on(session, kind, organization_id, valid_from)
    level = StarLevel(
        subject_kind=kind,
        subject_id=organization_id,
        stars=stars,
        showcase=showcase,
        valid_from=valid_from,
        valid_until=valid_until,
        source=LevelSource.organization_rating.value,
        source_id=rating_id,
        organization_id=organization_id,
        organization_chain=scope.organization_chain,
        region_chain=scope.region_chain,
    )
    session.add(level)
    await session.flush()
    if changed(level, before):
        await publisher.publish(
            session,
            type=STAR_LEVEL_CHANGED,
            subject=organization_id,
            data=event_data(level, before),
        )
    return level, before
