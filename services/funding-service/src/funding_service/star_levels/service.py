"""An organization's star level: asked from rating-service at that moment; the projection of
its events answers only when rating-service cannot be reached."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from funding_service.events import STAR_LEVEL_CHANGED, inbox
from funding_service.roster.service import parse
from funding_service.star_levels.models import StarLevelRecord
from funding_service.star_levels.schemas import StarLevelChanged
from funding_service.upstream.client import UpstreamUnavailable
from funding_service.upstream.rating import RatingService
from funding_service.upstream.types import StarLevel
from service_kit.events import EventEnvelope

log = logging.getLogger("funding_service.star_levels")


@inbox.on_many(STAR_LEVEL_CHANGED)
async def on_star_levels_changed(session: AsyncSession, envelopes: Sequence[EventEnvelope]) -> None:
    """Keep the latest level per subject (an older announcement never replaces a newer one):
    a relay's batch in one statement, each subject once with its latest announcement."""
    latest: dict[tuple[str, uuid.UUID], tuple[StarLevelChanged, datetime]] = {}
    for envelope in envelopes:
        data: StarLevelChanged = parse(StarLevelChanged, envelope)
        key = (data.subject_kind, data.subject_id)
        if key not in latest or latest[key][1] <= envelope.occurred_at:
            latest[key] = (data, envelope.occurred_at)
    statement = insert(StarLevelRecord).values(
        [
            {
                "subject_kind": data.subject_kind,
                "subject_id": data.subject_id,
                "stars": data.stars,
                "previous_stars": data.previous_stars,
                "valid_from": data.valid_from,
                "valid_until": data.valid_until,
                "showcase": data.showcase,
                "announced_at": announced_at,
            }
            for data, announced_at in latest.values()
        ]
    )
    statement = statement.on_conflict_do_update(
        index_elements=["subject_kind", "subject_id"],
        set_={
            "stars": statement.excluded.stars,
            "previous_stars": statement.excluded.previous_stars,
            "valid_from": statement.excluded.valid_from,
            "valid_until": statement.excluded.valid_until,
            "showcase": statement.excluded.showcase,
            "announced_at": statement.excluded.announced_at,
        },
        where=col(StarLevelRecord.announced_at) <= statement.excluded.announced_at,
    )
    await session.exec(statement)


async def projected_level(
    session: AsyncSession, organization_id: uuid.UUID, day: date
) -> StarLevel | None:
    """The level the projection holds for `day` (None: none, or it has lapsed)."""
    record = await session.get(StarLevelRecord, ("organization", organization_id))
    if record is None:
        return None
    if (record.valid_from and record.valid_from > day) or (
        record.valid_until and record.valid_until < day
    ):
        return None
    return StarLevel(
        organization_id, record.stars, record.valid_from, record.valid_until, "projection"
    )


async def current_level(
    session: AsyncSession, rating: RatingService, organization_id: uuid.UUID, day: date
) -> StarLevel | None:
    """rating-service's answer now; the projection only if rating-service cannot answer."""
    try:
        return (await rating.organization_star_levels([organization_id])).get(organization_id)
    except UpstreamUnavailable:
        log.warning(
            "rating-service unavailable: star level of %s from the projection", organization_id
        )
        return await projected_level(session, organization_id, day)
