"""Rules on activities: an organization holds them, attendance goes into members' archives.

The rhythm (三会一课, themed party day): member meetings and party lessons quarterly,
committee and group meetings and the themed party day monthly.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from member_service.access import reach, reaches, visible_members
from member_service.activities import repository
from member_service.activities.models import (
    RHYTHM_MONTHS,
    Activity,
    ActivityKind,
    Attendance,
)
from member_service.activities.schemas import (
    ActivityCreate,
    ActivityPublic,
    AttendanceIn,
    AttendancePublic,
    RhythmKind,
    RhythmPeriod,
    RhythmPublic,
)
from member_service.archive import repository as archive_repository
from member_service.archive import service as archive
from member_service.archive.models import EntryKind
from member_service.members import repository as member_repository
from member_service.members.models import ENDED, Stage
from member_service.references import service as references
from member_service.references.client import OrgServiceClient
from member_service.temporal import add_months, past_or_today, today
from service_kit.audit import record_audit
from service_kit.auth import Principal
from service_kit.errors import Conflict, Forbidden, NotFound, Unprocessable
from service_kit.pagination import Page, PageParams


class ActivityNotFound(NotFound):
    code = "activity_not_found"
    message = "No activity with this id (or it is outside what you may see)."


class AttendanceRecorded(Conflict):
    code = "attendance_recorded"


class InvalidAttendance(Unprocessable):
    code = "invalid_attendance"


def to_public(activity: Activity, tally: dict[str, int] | None = None) -> ActivityPublic:
    counts = tally or {}
    return ActivityPublic.model_validate(
        {
            **activity.model_dump(),
            "present": counts.get("present", 0),
            "absent": counts.get("absent", 0),
            "excused": counts.get("excused", 0),
        }
    )


async def _get(session: AsyncSession, principal: Principal, activity_id: uuid.UUID) -> Activity:
    where = reach(principal).clause(Activity.organization_id)
    activity = await repository.get_visible(session, activity_id, where)
    if activity is None:
        raise ActivityNotFound(details={"id": str(activity_id)})
    return activity


async def create(
    *,
    session: AsyncSession,
    principal: Principal,
    org: OrgServiceClient,
    data: ActivityCreate,
) -> ActivityPublic:
    """Record an activity the organization held."""
    await references.active_organization(
        session=session, org=org, organization_id=data.organization_id, field="organization_id"
    )
    if not await reaches(session, principal, data.organization_id, writing=True):
        raise Forbidden(
            "organization_id: the organization lies outside the part of the city you act for.",
            code="organization_outside_scope",
            details={"field": "organization_id"},
        )
    past_or_today(data.held_on, "held_on")
    activity = Activity(**data.model_dump(), recorded_by=principal.subject)
    activity.kind = data.kind.value
    session.add(activity)
    await session.flush()
    public = to_public(activity)
    await record_audit(
        session,
        principal=principal,
        action="activity.create",
        entity_type="activity",
        entity_id=activity.id,
        after=public.model_dump(mode="json"),
    )
    return public


async def get(
    *, session: AsyncSession, principal: Principal, activity_id: uuid.UUID
) -> ActivityPublic:
    """One activity with its attendance tally."""
    activity = await _get(session, principal, activity_id)
    tally = await repository.tallies(session, [activity.id])
    return to_public(activity, tally.get(activity.id))


async def list_public(
    *,
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    organization_id: uuid.UUID | None,
    kind: ActivityKind | None,
) -> Page[ActivityPublic]:
    """Activities the caller may see, by the day they were held."""
    result = await repository.page(
        session,
        page,
        reach(principal).clause(Activity.organization_id),
        organization_id=organization_id,
        kind=kind.value if kind else None,
    )
    tallies = await repository.tallies(session, [a.id for a in result.rows])
    return Page(
        items=[to_public(a, tallies.get(a.id)) for a in result.rows],
        next_cursor=result.next_cursor,
        cursors=result.cursors,
    )


async def record_attendance(
    *, session: AsyncSession, principal: Principal, activity_id: uuid.UUID, data: AttendanceIn
) -> list[AttendancePublic]:
    """Who attended; each record becomes an entry in the member's archive."""
    activity = await _get(session, principal, activity_id)
    if not await reaches(session, principal, activity.organization_id, writing=True):
        raise Forbidden("Only the organization that held the activity records its attendance.")
    member_ids = [r.member_id for r in data.records]
    if len(set(member_ids)) != len(member_ids):
        raise InvalidAttendance(
            "A member appears twice among the records.", details={"reason": "repeated_member"}
        )
    found = {
        m.id: m
        for m in await member_repository.get_many(session, member_ids, visible_members(principal))
    }
    unknown = [str(i) for i in member_ids if i not in found]
    if unknown:
        raise InvalidAttendance(
            "No member you may see with these ids: " + ", ".join(unknown) + ".",
            code="member_not_found",
            details={"member_ids": unknown},
        )
    ended = [
        str(m.id)
        for m in found.values()
        if Stage(m.stage) in ENDED and m.ended_on is not None and m.ended_on <= activity.held_on
    ]
    if ended:
        raise InvalidAttendance(
            "These members' records had ended before the activity: " + ", ".join(ended) + ".",
            code="member_ended",
            details={"member_ids": ended},
        )
    already = await repository.recorded(session, activity.id, member_ids)
    if already:
        raise AttendanceRecorded(
            "Attendance of these members is recorded already (correct their archive entry "
            "instead): " + ", ".join(str(i) for i in sorted(already)) + ".",
            details={"member_ids": [str(i) for i in sorted(already)]},
        )
    await archive_repository.lock_chains(session, member_ids)
    rows: list[Attendance] = []
    for record in data.records:
        entry = await archive.append(
            session,
            member_id=record.member_id,
            kind=EntryKind.attendance,
            occurred_on=activity.held_on,
            payload={
                "activity_id": str(activity.id),
                "organization_id": str(activity.organization_id),
                "activity_kind": activity.kind,
                "title": activity.title,
                "status": record.status.value,
            },
            recorded_by=principal.subject,
            locked=True,
        )
        rows.append(
            Attendance(
                activity_id=activity.id,
                member_id=record.member_id,
                status=record.status.value,
                archive_entry_id=entry.id,
            )
        )
    session.add_all(rows)
    await session.flush()
    result = [AttendancePublic.model_validate(r) for r in rows]
    await record_audit(
        session,
        principal=principal,
        action="activity.attendance",
        entity_type="activity",
        entity_id=activity.id,
        after={"records": [r.model_dump(mode="json") for r in result]},
    )
    return result


async def list_attendance(
    *, session: AsyncSession, principal: Principal, activity_id: uuid.UUID
) -> list[AttendancePublic]:
    """The activity's attendance records."""
    activity = await _get(session, principal, activity_id)
    return [
        AttendancePublic.model_validate(a)
        for a in await repository.attendance(session, activity.id)
    ]


def _periods(year: int, months: int, until: date) -> list[tuple[date, date]]:
    periods = []
    start = date(year, 1, 1)
    while start.year == year and start <= until:
        following = add_months(start, months)
        periods.append((start, following - timedelta(days=1)))
        start = following
    return periods


async def rhythm(
    *, session: AsyncSession, principal: Principal, organization_id: uuid.UUID, year: int
) -> RhythmPublic:
    """For each kind of activity, the year's periods and how many were held in each."""
    if not await reaches(session, principal, organization_id, writing=False):
        raise ActivityNotFound(
            "No organization with this id whose activities you may see.",
            code="organization_not_found",
            details={"organization_id": str(organization_id)},
        )
    day = today()
    held: dict[str, list[date]] = {}
    for kind, on in await repository.held_days(
        session, organization_id, date(year, 1, 1), date(year, 12, 31)
    ):
        held.setdefault(kind, []).append(on)
    kinds: list[RhythmKind] = []
    for kind, months in RHYTHM_MONTHS.items():
        periods = [
            RhythmPeriod(
                starts_on=first,
                ends_on=last,
                held=sum(1 for on in held.get(kind.value, []) if first <= on <= last),
            )
            for first, last in _periods(year, months, day)
        ]
        missed = sum(1 for p in periods if p.held == 0 and p.ends_on < day)
        kinds.append(RhythmKind(kind=kind, every_months=months, periods=periods, missed=missed))
    return RhythmPublic(organization_id=organization_id, year=year, kinds=kinds)
