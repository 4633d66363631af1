"""Rules on secretary terms: an organization has at most one secretary at a time.

Writers of one organization's terms take turns (a transaction lock on the organization),
so that the overlap check sees every committed term; the database also allows only one
running term per organization. A term's start and end are published as
`member.secretary_term.changed` and recorded in the secretary's archive.

A request may start many terms (POST /secretary-terms/bulk): what the rules read is
fetched once for all of them, each item then passes the single start's rules in turn
(the terms of earlier items count as stored), and the first refusal refuses them all.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import or_
from sqlmodel.ext.asyncio.session import AsyncSession

from member_service.access import reach, reached, reaches, visible_members
from member_service.archive import service as archive
from member_service.archive.models import EntryKind
from member_service.members import repository as member_repository
from member_service.members import service as members
from member_service.members.models import Member, Stage
from member_service.references import service as references
from member_service.references.client import OrgServiceClient
from member_service.references.models import OrganizationRef
from member_service.secretaries import repository
from member_service.secretaries.models import SecretaryTerm, utcnow
from member_service.secretaries.schemas import (
    TermCreate,
    TermEnd,
    TermPublic,
    TermsBulkCreated,
)
from member_service.temporal import past_or_today, today
from service_kit.audit import AuditEntry, record_audits
from service_kit.auth import Principal
from service_kit.errors import Conflict, Forbidden, NotFound, Unprocessable, naming_item
from service_kit.events import EventPublisher, NewEvent
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


@dataclass(frozen=True)
class _Change:
    """A term's start or end, as the archive, the audit trail and the event record it."""

    change: str  # "started" or "ended"
    after: TermPublic
    before: TermPublic | None = None


def _changes_of_new(term: SecretaryTerm) -> list[_Change]:
    """A new term starts; one that ended before it was recorded starts, then ends."""
    public = to_public(term)
    if public.term_end is None:
        return [_Change("started", public)]
    running = public.model_copy(update={"term_end": None})
    return [_Change("started", running), _Change("ended", public, running)]


async def _record(
    session: AsyncSession,
    principal: Principal,
    publisher: EventPublisher,
    changes: Sequence[_Change],
) -> None:
    """Each change into the secretary's archive, the audit trail and an event, in the order
    given (a statement per kind of record, however many changes)."""
    entries = []
    for c in changes:
        term = c.after
        day = term.term_start if c.change == "started" else term.term_end
        assert day is not None
        entries.append(
            archive.Addition(
                term.member_id,
                archive.ChainItem(
                    EntryKind.post,
                    day,
                    {
                        "change": c.change,
                        "role": "secretary",
                        "secretary_term_id": str(term.id),
                        "organization_id": str(term.organization_id),
                        "term_start": term.term_start.isoformat(),
                        "term_end": term.term_end.isoformat() if term.term_end else None,
                    },
                ),
            )
        )
    await archive.append_many(session, entries, recorded_by=principal.subject)
    await record_audits(
        session,
        principal=principal,
        entries=[
            AuditEntry(
                action=f"secretary_term.{c.change}",
                entity_type="secretary_term",
                entity_id=c.after.id,
                before=c.before.model_dump(mode="json") if c.before else None,
                after=c.after.model_dump(mode="json"),
            )
            for c in changes
        ],
    )
    await publisher.publish_many(
        session,
        [
            NewEvent(
                type=TERM_CHANGED,
                subject=c.after.organization_id,
                data={
                    "member_id": str(c.after.member_id),
                    "organization_id": str(c.after.organization_id),
                    "change": c.change,
                    "term_start": c.after.term_start.isoformat(),
                    "term_end": c.after.term_end.isoformat() if c.after.term_end else None,
                    "name": c.after.name,
                },
            )
            for c in changes
        ],
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


@dataclass
class _Known:
    """What the rules read, fetched once for all the terms of a request."""

    members: dict[uuid.UUID, Member]
    organizations: dict[uuid.UUID, OrganizationRef]
    reached: set[uuid.UUID]
    stages: dict[tuple[uuid.UUID, date], str]
    # organization id → its terms that may clash: those stored, then those of earlier items
    terms: dict[uuid.UUID, list[SecretaryTerm]] = field(default_factory=dict)
    items_of: dict[uuid.UUID, int] = field(default_factory=dict)  # new term id → item index


def _shares_a_day(term: SecretaryTerm, first: date, last: date) -> bool:
    """temporal.overlaps, for a term held in memory."""
    return term.term_start <= last and (term.term_end is None or term.term_end >= first)


def _admit(data: TermCreate, known: _Known) -> SecretaryTerm:
    """The new term, or the refusal of the first rule it breaks (in the order a caller fixes
    them: whom, where, when, then the organization's other secretaries)."""
    member = known.members.get(data.member_id)
    if member is None:
        raise members.MemberNotFound(details={"id": str(data.member_id)})
    organization_id = data.organization_id or member.organization_id
    references.check_active(
        known.organizations.get(organization_id), organization_id, "organization_id"
    )
    if organization_id not in known.reached:
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
    stage = known.stages.get((member.id, term_start))
    if stage != Stage.full_member:
        raise InvalidTerm(
            f"A secretary is a full member; on {term_start.isoformat()} {member.name} is "
            + (f"a {stage}." if stage else "not yet recorded."),
            code="secretary_needs_full_member",
            details={"stage": stage, "term_start": term_start.isoformat()},
        )
    last = data.term_end or FAR_FUTURE
    clash = min(
        (t for t in known.terms.get(organization_id, []) if _shares_a_day(t, term_start, last)),
        key=lambda t: t.term_start,
        default=None,
    )
    if clash is not None:
        refusal = _clash(clash)
        if clash.id in known.items_of:
            refusal.details = {**refusal.details, "with_item": known.items_of[clash.id]}
        raise refusal
    return SecretaryTerm(
        member_id=member.id,
        organization_id=organization_id,
        name=member.name,
        term_start=term_start,
        term_end=data.term_end,
    )


async def _know(
    session: AsyncSession,
    principal: Principal,
    org: OrgServiceClient,
    items: Sequence[TermCreate],
) -> _Known:
    """Read what the rules need for every item, a query per kind of reference, and lock the
    organizations named (in id order) so that their stored terms stay as read."""
    found = {
        m.id: m
        for m in await member_repository.get_many(
            session, sorted({i.member_id for i in items}), visible_members(principal)
        )
    }
    named = [
        (i, found[i.member_id], i.organization_id or found[i.member_id].organization_id)
        for i in items
        if i.member_id in found
    ]
    organization_ids = sorted({o for _, _, o in named})
    organizations = await references.ensure_organizations(
        session=session, org=org, ids=organization_ids
    )
    active = [
        o for o in organization_ids if o in organizations and organizations[o].status == "active"
    ]
    in_reach = await reached(session, principal, active, writing=True)
    days = [(m.id, i.term_start or today()) for i, m, _ in named]
    stages = await member_repository.stages_at(session, days)
    known = _Known(members=found, organizations=organizations, reached=in_reach, stages=stages)
    writable = sorted(in_reach)
    if writable and days:
        await repository.lock_organizations(session, writable)
        first = min(day for _, day in days)
        for term in await repository.overlapping_any(session, writable, first, FAR_FUTURE):
            known.terms.setdefault(term.organization_id, []).append(term)
    return known


async def _start_many(
    *,
    session: AsyncSession,
    principal: Principal,
    publisher: EventPublisher,
    org: OrgServiceClient,
    items: Sequence[TermCreate],
    name_items: bool,
) -> list[SecretaryTerm]:
    known = await _know(session, principal, org, items)
    terms: list[SecretaryTerm] = []
    for index, item in enumerate(items):
        with naming_item(index if name_items else None):
            term = _admit(item, known)
        known.terms.setdefault(term.organization_id, []).append(term)
        known.items_of[term.id] = index
        terms.append(term)
    session.add_all(terms)
    await session.flush()
    await _record(session, principal, publisher, [c for t in terms for c in _changes_of_new(t)])
    return terms


async def start(
    *,
    session: AsyncSession,
    principal: Principal,
    publisher: EventPublisher,
    org: OrgServiceClient,
    data: TermCreate,
) -> TermPublic:
    """A full member becomes an organization's secretary (the organization must have none)."""
    terms = await _start_many(
        session=session,
        principal=principal,
        publisher=publisher,
        org=org,
        items=[data],
        name_items=False,
    )
    return to_public(terms[0])


async def start_many(
    *,
    session: AsyncSession,
    principal: Principal,
    publisher: EventPublisher,
    org: OrgServiceClient,
    items: Sequence[TermCreate],
) -> TermsBulkCreated:
    """Several terms at once, each under start's rules (also among themselves): all of them,
    or (on the first refused item, which the error's details name) none."""
    terms = await _start_many(
        session=session,
        principal=principal,
        publisher=publisher,
        org=org,
        items=items,
        name_items=True,
    )
    return TermsBulkCreated(ids=[t.id for t in terms])


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
    await _record(session, principal, publisher, [_Change("ended", to_public(term), before)])
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
