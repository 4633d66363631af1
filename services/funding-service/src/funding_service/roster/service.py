"""Who held a secretary term and how many members an organization had: from member-service's
API (the owner's answer) or from the projection of its events, as settings choose."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from funding_service.events import (
    MEMBER_STAGE_CHANGED,
    MEMBER_TRANSFERRED,
    SECRETARY_TERM_CHANGED,
    inbox,
)
from funding_service.roster import repository
from funding_service.roster.schemas import SecretaryTermChanged, StageChanged, Transferred
from funding_service.upstream.member import MemberService
from funding_service.upstream.types import MemberCount, SecretaryTerm
from service_kit.errors import Unprocessable
from service_kit.events import EventEnvelope


class InvalidEventData(Unprocessable):
    code = "invalid_event_data"
    message = "The event's data does not follow the agreed contract."


def parse(model: type[BaseModel], envelope: EventEnvelope) -> Any:
    try:
        return model.model_validate(envelope.data)
    except ValidationError as exc:
        raise InvalidEventData(
            details={
                "type": envelope.type,
                "errors": exc.errors(include_url=False, include_input=False),
            }
        ) from exc


def _change(envelope: EventEnvelope) -> repository.TimelineChange:
    """What a member.stage.changed or member.transferred does to the member's timeline."""
    if envelope.type == MEMBER_TRANSFERRED:
        moved: Transferred = parse(Transferred, envelope)
        return repository.TimelineChange(
            moved.member_id, moved.effective_on, moved.to_organization_id, moved.stage
        )
    changed: StageChanged = parse(StageChanged, envelope)
    return repository.TimelineChange(
        changed.member_id, changed.effective_on, changed.organization_id, changed.to_stage
    )


@inbox.on_many(MEMBER_STAGE_CHANGED)
@inbox.on_many(MEMBER_TRANSFERRED)
async def on_timeline_changes(session: AsyncSession, envelopes: Sequence[EventEnvelope]) -> None:
    """Members' stages changed (each timeline takes the new stage from that day) or their
    membership relations moved (counted in the new organization from that day)."""
    await repository.restart_timelines(session, [_change(e) for e in envelopes])


@inbox.on_many(SECRETARY_TERM_CHANGED)
async def on_secretary_terms_changed(
    session: AsyncSession, envelopes: Sequence[EventEnvelope]
) -> None:
    """Secretary terms started or ended."""
    terms = []
    for envelope in envelopes:
        data: SecretaryTermChanged = parse(SecretaryTermChanged, envelope)
        if data.term_end is not None and data.term_end < data.term_start:
            raise InvalidEventData(
                "term_end is before term_start.", details={"type": envelope.type}
            )
        terms.append(
            SecretaryTerm(
                member_id=data.member_id,
                organization_id=data.organization_id,
                name=data.name,
                term_start=data.term_start,
                term_end=data.term_end,
            )
        )
    await repository.record_terms(session, terms)


class Roster:
    """Member counts and secretary terms from the source the settings name."""

    def __init__(self, session: AsyncSession, member: MemberService, source: str) -> None:
        self.session = session
        self.member = member
        self.source = source

    async def member_counts(
        self, organization_ids: Sequence[uuid.UUID], day: date
    ) -> dict[uuid.UUID, MemberCount]:
        if self.source == "member_service":
            return await self.member.member_counts(organization_ids, day)
        return await repository.counts_on(self.session, day, organization_ids)

    async def organizations_with_members(self, day: date) -> list[uuid.UUID]:
        """Organizations the projection counts members in on `day` (events source only)."""
        if self.source == "member_service":
            return []
        return list(await repository.counts_on(self.session, day))

    async def secretary_terms(self, first: date, last: date) -> list[SecretaryTerm]:
        if self.source == "member_service":
            return await self.member.secretary_terms(first, last)
        return await repository.terms_overlapping(self.session, first, last)
