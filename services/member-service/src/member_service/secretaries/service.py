"""Rules on secretary terms: an organization has at most one secretary at a time.

Writers of one organization's terms take turns (a transaction lock on the organization),
so that the overlap check sees every committed term; the database also allows only one
running term per organization. A term's start and end are published as
`member.secretary_term.changed` and recorded in the secretary's archive.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import or_
from sqlmodel.ext.asyncio.session import AsyncSession

from member_service.access import reach, reaches
from member_service.archive import service as archive
from member_service.archive.models import EntryKind
from member_service.members import repository as member_repository
from member_service.members import service as members
from member_service.members.models import Stage
from member_service.references import service as references
from member_service.references.client import OrgServiceClient
from member_service.secretaries import repository
from member_service.secretaries.models import SecretaryTerm, utcnow
from member_service.secretaries.schemas import TermCreate, TermEnd, TermPublic
from member_service.temporal import past_or_today
from service_kit.audit import record_audit
from service_kit.auth import Principal
from service_kit.errors import Conflict, Forbidden, NotFound, Unprocessable
from service_kit.events import EventPublisher
from service_kit.pagination import Page, PageParams

TERM_CHANGED = "member.secretary_term.changed"
FAR_FUTURE = date(9999, 12, 31)


class TermNotFound(NotFound):
    code = "secretary_term_not_found"
    message = "No secretary term with this id (or it is outside what you may see)."


class SecondSecretary(Conflict):
    code = "organization_has_secretary"


class InvalidTerm(Unprocessable):
    code = "invalid_secretary_term"


class TermEnded(Conflict):
    code = "secretary_term_ended"


def to_public(term: SecretaryTerm) -> TermPublic:
    return TermPublic.model_validate(term)


def _visible(principal: Principal) -> Any:
    clauses = [reach(principal).clause(SecretaryTerm.organization_id)]
    if principal.member_id is not None:
        clauses.append(SecretaryTerm.member_id == principal.member_id)
    return or_(*clauses)


async def _record(
    session: AsyncSession,
    principal: Principal,
    publisher: EventPublisher,
    term: SecretaryTerm,
    change: str,
    before: TermPublic | None,
) -> None:
    public = to_public(term)
    day = term.term_start if change == "started" else term.term_end
    assert day is not None
    await archive.append(
        session,
        member_id=term.member_id,
        kind=EntryKind.post,
        occurred_on=day,
        payload={
            "change": change,
            "role": "secretary",
            "secretary_term_id": str(term.id),
            "organization_id": str(term.organization_id),
            "term_start": term.term_start.isoformat(),
            "term_end": term.term_end.isoformat() if term.term_end else None,
        },
        recorded_by=principal.subject,
    )
    await record_audit(
        session,
        principal=principal,
        action=f"secretary_term.{change}",
        entity_type="secretary_term",
        entity_id=term.id,
        before=before.model_dump(mode="json") if before else None,
        after=public.model_dump(mode="json"),
    )
    await publisher.publish(
        session,
        type=TERM_CHANGED,
        subject=term.organization_id,
        data={
            "member_id": str(term.member_id),
            "organization_id": str(term.organization_id),
            "change": change,
            "term_start": term.term_start.isoformat(),
            "term_end": term.term_end.isoformat() if term.term_end else None,
            "name": term.name,
        },
    )


def _clash(term: SecretaryTerm) -> SecondSecretary:
    free_on = term.term_end + timedelta(days=1) if term.term_end else None
    return SecondSecretary(
        f"{term.name} is the organization's secretary from {term.term_start.isoformat()}"
        + (f" to {term.term_end.isoformat()}" if term.term_end else ", a term still running")
        + "; an organization has at most one secretary at a time"
        + (
            f". A new term can start on {free_on.isoformat()}."
            if free_on
            else ": end that term first."
        ),
        details={
            "secretary_term_id": str(term.id),
            "member_id": str(term.member_id),
            "term_start": term.term_start.isoformat(),
            "term_end": term.term_end.isoformat() if term.term_end else None,
            "earliest_on": free_on.isoformat() if free_on else None,
        },
    )


async def start(
    *,
    session: AsyncSession,
    principal: Principal,
    publisher: EventPublisher,
    org: OrgServiceClient,
    data: TermCreate,
) -> TermPublic:
    """A full member becomes an organization's secretary (the organization must have none)."""
    member = await members.get(session=session, principal=principal, member_id=data.member_id)
    organization_id = data.organization_id or member.organization_id
    await references.active_organization(
        session=session, org=org, organization_id=organization_id, field="organization_id"
    )
    if not await reaches(session, principal, organization_id, writing=True):
        raise Forbidden(
            "organization_id: the organization lies outside the part of the city you act for.",
            code="organization_outside_scope",
            details={"field": "organization_id"},
        )
    term_start = past_or_today(data.term_start, "term_start")
    if data.term_end is not None:
        past_or_today(data.term_end, "term_end")
        if data.term_end < term_start:
            raise InvalidTerm(
                "term_end cannot be before term_start.", details={"field": "term_end"}
            )
    stage = (await member_repository.stages_on(session, [member.id], term_start)).get(member.id)
    if stage != Stage.full_member:
        raise InvalidTerm(
            f"A secretary is a full member; on {term_start.isoformat()} {member.name} is "
            + (f"a {stage}." if stage else "not yet recorded."),
            code="secretary_needs_full_member",
            details={"stage": stage, "term_start": term_start.isoformat()},
        )
    await repository.lock_organization(session, organization_id)
    clash = await repository.overlapping(
        session, organization_id, term_start, data.term_end or FAR_FUTURE
    )
    if clash is not None:
        raise _clash(clash)
    term = SecretaryTerm(
        member_id=member.id,
        organization_id=organization_id,
        name=member.name,
        term_start=term_start,
        term_end=data.term_end,
    )
    session.add(term)
    await session.flush()
    if term.term_end is None:
        await _record(session, principal, publisher, term, "started", None)
    else:
        # A term that ended before it was recorded: its start, then its end.
        running = to_public(term).model_copy(update={"term_end": None})
        end_day, term.term_end = term.term_end, None
        await _record(session, principal, publisher, term, "started", None)
        term.term_end = end_day
        await _record(session, principal, publisher, term, "ended", running)
    return to_public(term)


async def end(
    *,
    session: AsyncSession,
    principal: Principal,
    publisher: EventPublisher,
    term_id: uuid.UUID,
    data: TermEnd,
) -> TermPublic:
    """The term ends after `term_end` (its last day)."""
    term = await repository.get_visible(session, term_id, _visible(principal))
    if term is None:
        raise TermNotFound(details={"id": str(term_id)})
    if not await reaches(session, principal, term.organization_id, writing=True):
        raise Forbidden("Only the organization (or those above it) ends its secretary's term.")
    await repository.lock_organization(session, term.organization_id)
    await session.refresh(term)
    if term.term_end is not None:
        raise TermEnded(
            f"The term ended on {term.term_end.isoformat()} already.",
            details={"term_end": term.term_end.isoformat()},
        )
    day = past_or_today(data.term_end, "term_end")
    if day < term.term_start:
        raise InvalidTerm(
            f"term_end cannot be before term_start ({term.term_start.isoformat()}).",
            details={"field": "term_end"},
        )
    before = to_public(term)
    term.term_end = day
    term.updated_at = utcnow()
    session.add(term)
    await session.flush()
    await _record(session, principal, publisher, term, "ended", before)
    return to_public(term)


async def get(*, session: AsyncSession, principal: Principal, term_id: uuid.UUID) -> TermPublic:
    """One term the caller may see."""
    term = await repository.get_visible(session, term_id, _visible(principal))
    if term is None:
        raise TermNotFound(details={"id": str(term_id)})
    return to_public(term)


async def list_public(
    *,
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    first: date | None,
    last: date | None,
    organization_ids: Sequence[uuid.UUID] | None,
    member_id: uuid.UUID | None,
) -> Page[TermPublic]:
    """Terms overlapping [first, last] that the caller may see, by start."""
    if first is not None and last is not None and last < first:
        raise InvalidTerm(
            "to cannot be before from.", code="invalid_period", details={"from": str(first)}
        )
    result = await repository.page(
        session,
        page,
        _visible(principal),
        first=first,
        last=last,
        organization_ids=organization_ids,
        member_id=member_id,
    )
    return Page(
        items=[to_public(t) for t in result.rows],
        next_cursor=result.next_cursor,
        cursors=result.cursors,
    )
