"""Rules on full-time party-building instructors: employers, assignments, staffing norms.

Employers are districts (district, county, new area) and parks. The norms (article:
at least 10 per district, county and national park, at least 5 per provincial park) are
the dated policy parameter `instructor_staffing_norms`; the staffing report sets every
employer's instructors on a day against them.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import false, or_, true
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from member_service import policy_keys
from member_service.access import DISTRICT_ADMIN, INSTRUCTOR
from member_service.instructors import repository
from member_service.instructors.models import EmployerKind, Instructor, InstructorAssignment, utcnow
from member_service.instructors.schemas import (
    AssignmentCreate,
    AssignmentEnd,
    AssignmentPublic,
    Category,
    InstructorCreate,
    InstructorLeave,
    InstructorPublic,
    StaffingReport,
    StaffingRow,
)
from member_service.members import repository as member_repository
from member_service.references import repository as reference_repository
from member_service.references import service as references
from member_service.references.client import OrgServiceClient
from member_service.references.models import DISTRICT_LEVEL
from member_service.temporal import past_or_today
from service_kit.audit import record_audit
from service_kit.auth import Principal
from service_kit.errors import Conflict, Forbidden, NotFound, Unprocessable
from service_kit.pagination import Page, PageParams
from service_kit.policy import value_on

NORMED_PARKS: dict[str, Category] = {"national": "national_park", "provincial": "provincial_park"}


class InstructorNotFound(NotFound):
    code = "instructor_not_found"
    message = "No instructor with this id (or it is outside what you may see)."


class AssignmentNotFound(NotFound):
    code = "instructor_assignment_not_found"
    message = "No instructor assignment with this id (or it is outside what you may see)."


class InvalidInstructor(Unprocessable):
    code = "invalid_instructor"


class InstructorLeft(Conflict):
    code = "instructor_left"


def to_public(instructor: Instructor) -> InstructorPublic:
    return InstructorPublic.model_validate(instructor)


def _visible(principal: Principal) -> Any:
    """City-wide roles: all; a district admin: their region's; an instructor: themselves."""
    if principal.is_city_wide:
        return true()
    clauses: list[Any] = []
    if DISTRICT_ADMIN in principal.roles and principal.region_id is not None:
        clauses.append(
            col(Instructor.region_id).in_(reference_repository.region_subtree(principal.region_id))
        )
    if INSTRUCTOR in principal.roles:
        clauses.append(Instructor.subject == principal.subject)
    return or_(*clauses) if clauses else false()


def _writable(principal: Principal) -> Any:
    if principal.is_city_wide:
        return true()
    if DISTRICT_ADMIN in principal.roles and principal.region_id is not None:
        return col(Instructor.region_id).in_(
            reference_repository.region_subtree(principal.region_id)
        )
    return false()


async def _employer(
    session: AsyncSession, org: OrgServiceClient, kind: EmployerKind, employer_id: uuid.UUID
) -> tuple[str, uuid.UUID]:
    """The employer's name and its district-level region."""
    if kind == EmployerKind.district:
        region = await references.known_region(session=session, org=org, region_id=employer_id)
        if region is None or region.kind not in DISTRICT_LEVEL:
            raise InvalidInstructor(
                "employer_id: a district employer is a district, county or new area (org-service).",
                code="employer_not_found",
                details={"field": "employer_id"},
            )
        return region.name, region.id
    parks = [p for p in await org.places([employer_id]) if p.get("kind") == "park"]
    if not parks:
        raise InvalidInstructor(
            "employer_id: org-service knows no park with this id.",
            code="employer_not_found",
            details={"field": "employer_id"},
        )
    park = parks[0]
    region_id = uuid.UUID(str(park["region_id"]))
    await references.known_region(session=session, org=org, region_id=region_id)
    district = await references.district_of(session, region_id)
    return str(park["name"]), district.id if district else region_id


async def _may_write_region(
    session: AsyncSession, principal: Principal, region_id: uuid.UUID
) -> bool:
    if principal.is_city_wide:
        return True
    if DISTRICT_ADMIN not in principal.roles or principal.region_id is None:
        return False
    chain = await references.region_chain(session, region_id)
    return any(r.id == principal.region_id for r in chain)


async def hire(
    *, session: AsyncSession, principal: Principal, org: OrgServiceClient, data: InstructorCreate
) -> InstructorPublic:
    """Record an instructor hired by a district or a park."""
    hired_on = past_or_today(data.hired_on, "hired_on")
    name, region_id = await _employer(session, org, data.employer_kind, data.employer_id)
    if not await _may_write_region(session, principal, region_id):
        raise Forbidden(
            "Instructors are recorded by the city, or by the district that employs them.",
            code="region_outside_scope",
        )
    if data.member_id is not None and not await member_repository.existing_ids(
        session, [data.member_id]
    ):
        raise InvalidInstructor(
            "member_id: no member with this id.",
            code="member_not_found",
            details={"field": "member_id"},
        )
    if data.subject is not None and await repository.by_subject(session, data.subject):
        raise Conflict(
            "Another instructor has this login.",
            code="instructor_subject_taken",
            details={"field": "subject"},
        )
    instructor = Instructor(
        name=data.name,
        member_id=data.member_id,
        subject=data.subject,
        employer_kind=data.employer_kind.value,
        employer_id=data.employer_id,
        employer_name=name,
        region_id=region_id,
        hired_on=hired_on,
    )
    session.add(instructor)
    await session.flush()
    public = to_public(instructor)
    await record_audit(
        session,
        principal=principal,
        action="instructor.hire",
        entity_type="instructor",
        entity_id=instructor.id,
        after=public.model_dump(mode="json"),
    )
    return public


async def _for_write(
    session: AsyncSession, principal: Principal, instructor_id: uuid.UUID
) -> Instructor:
    instructor = await repository.get_visible(session, instructor_id, _visible(principal))
    if instructor is None:
        raise InstructorNotFound(details={"id": str(instructor_id)})
    if await repository.get_visible(session, instructor.id, _writable(principal)) is None:
        raise Forbidden("Only the city or the employing district changes an instructor's record.")
    return instructor


async def leave(
    *, session: AsyncSession, principal: Principal, instructor_id: uuid.UUID, data: InstructorLeave
) -> InstructorPublic:
    """The instructor's employment ends after `left_on`; open assignments end with it."""
    instructor = await _for_write(session, principal, instructor_id)
    if instructor.left_on is not None:
        raise InstructorLeft(f"The instructor left on {instructor.left_on.isoformat()} already.")
    day = past_or_today(data.left_on, "left_on")
    if day < instructor.hired_on:
        raise InvalidInstructor(
            f"left_on cannot be before hired_on ({instructor.hired_on.isoformat()}).",
            details={"field": "left_on"},
        )
    before = to_public(instructor)
    instructor.left_on = day
    instructor.updated_at = utcnow()
    session.add(instructor)
    for assignment in await repository.assignments(session, instructor.id):
        if assignment.ended_on is None or assignment.ended_on > day:
            assignment.ended_on = max(day, assignment.started_on)
            session.add(assignment)
    await session.flush()
    await record_audit(
        session,
        principal=principal,
        action="instructor.leave",
        entity_type="instructor",
        entity_id=instructor.id,
        before=before.model_dump(mode="json"),
        after=to_public(instructor).model_dump(mode="json"),
    )
    return to_public(instructor)


async def get(
    *, session: AsyncSession, principal: Principal, instructor_id: uuid.UUID
) -> InstructorPublic:
    """One instructor the caller may see."""
    instructor = await repository.get_visible(session, instructor_id, _visible(principal))
    if instructor is None:
        raise InstructorNotFound(details={"id": str(instructor_id)})
    return to_public(instructor)


async def list_public(
    *,
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    employer_id: uuid.UUID | None,
    employed_on: date | None,
) -> Page[InstructorPublic]:
    """Instructors the caller may see, by name."""
    result = await repository.page(
        session, page, _visible(principal), employer_id=employer_id, day=employed_on
    )
    return Page(
        items=[to_public(i) for i in result.rows],
        next_cursor=result.next_cursor,
        cursors=result.cursors,
    )


async def assign(
    *,
    session: AsyncSession,
    principal: Principal,
    org: OrgServiceClient,
    instructor_id: uuid.UUID,
    data: AssignmentCreate,
) -> AssignmentPublic:
    """Assign the instructor to an organization or to a work target from a day on."""
    instructor = await _for_write(session, principal, instructor_id)
    if (data.organization_id is None) == (data.work_target_id is None):
        raise InvalidInstructor(
            "Give exactly one of organization_id and work_target_id.", code="one_unit_required"
        )
    day = past_or_today(data.started_on, "started_on")
    if day < instructor.hired_on or (instructor.left_on is not None and day > instructor.left_on):
        raise InvalidInstructor(
            "An assignment starts while the instructor is employed "
            f"(from {instructor.hired_on.isoformat()}"
            + (f" to {instructor.left_on.isoformat()}" if instructor.left_on else "")
            + ").",
            code="assignment_outside_employment",
            details={"field": "started_on"},
        )
    if data.organization_id is not None:
        await references.active_organization(
            session=session, org=org, organization_id=data.organization_id, field="organization_id"
        )
    elif data.work_target_id is not None and not await org.work_targets([data.work_target_id]):
        raise InvalidInstructor(
            "work_target_id: org-service knows no work target with this id.",
            code="work_target_not_found",
            details={"field": "work_target_id"},
        )
    assignment = InstructorAssignment(
        instructor_id=instructor.id,
        organization_id=data.organization_id,
        work_target_id=data.work_target_id,
        started_on=day,
    )
    session.add(assignment)
    await session.flush()
    public = AssignmentPublic.model_validate(assignment)
    await record_audit(
        session,
        principal=principal,
        action="instructor.assign",
        entity_type="instructor_assignment",
        entity_id=assignment.id,
        after=public.model_dump(mode="json"),
    )
    return public


async def end_assignment(
    *, session: AsyncSession, principal: Principal, assignment_id: uuid.UUID, data: AssignmentEnd
) -> AssignmentPublic:
    """The assignment ends after `ended_on`."""
    assignment = await repository.assignment(session, assignment_id)
    if assignment is None:
        raise AssignmentNotFound(details={"id": str(assignment_id)})
    try:
        await _for_write(session, principal, assignment.instructor_id)
    except InstructorNotFound as exc:
        raise AssignmentNotFound(details={"id": str(assignment_id)}) from exc
    if assignment.ended_on is not None:
        raise Conflict(
            f"The assignment ended on {assignment.ended_on.isoformat()} already.",
            code="assignment_ended",
        )
    day = past_or_today(data.ended_on, "ended_on")
    if day < assignment.started_on:
        raise InvalidInstructor(
            f"ended_on cannot be before started_on ({assignment.started_on.isoformat()}).",
            details={"field": "ended_on"},
        )
    before = AssignmentPublic.model_validate(assignment)
    assignment.ended_on = day
    session.add(assignment)
    await session.flush()
    public = AssignmentPublic.model_validate(assignment)
    await record_audit(
        session,
        principal=principal,
        action="instructor.end_assignment",
        entity_type="instructor_assignment",
        entity_id=assignment.id,
        before=before.model_dump(mode="json"),
        after=public.model_dump(mode="json"),
    )
    return public


async def list_assignments(
    *, session: AsyncSession, principal: Principal, instructor_id: uuid.UUID
) -> list[AssignmentPublic]:
    """The instructor's assignments, oldest first."""
    instructor = await repository.get_visible(session, instructor_id, _visible(principal))
    if instructor is None:
        raise InstructorNotFound(details={"id": str(instructor_id)})
    return [
        AssignmentPublic.model_validate(a)
        for a in await repository.assignments(session, instructor.id)
    ]


async def staffing(
    *, session: AsyncSession, principal: Principal, org: OrgServiceClient, as_of: date
) -> StaffingReport:
    """Each district-level region and each national or provincial park against its norm."""
    if not principal.is_city_wide and not (
        DISTRICT_ADMIN in principal.roles and principal.region_id is not None
    ):
        raise Forbidden(
            "The staffing report is for the city and the districts.", code="staffing_report_scope"
        )
    norms: dict[str, int] = await value_on(session, policy_keys.INSTRUCTOR_NORMS, as_of)
    employers: list[tuple[EmployerKind, uuid.UUID, str, Category, uuid.UUID]] = []
    for kind in sorted(DISTRICT_LEVEL):
        for region in await org.regions_of_kind(kind):
            region_id = uuid.UUID(str(region["id"]))
            employers.append(
                (EmployerKind.district, region_id, str(region["name"]), "district_level", region_id)
            )
    for park in await org.parks():
        category = NORMED_PARKS.get(str(park.get("level")))
        if category is None:
            continue
        region_id = uuid.UUID(str(park["region_id"]))
        employers.append(
            (EmployerKind.park, uuid.UUID(str(park["id"])), str(park["name"]), category, region_id)
        )
    if not principal.is_city_wide:
        assert principal.region_id is not None
        await references.known_region(session=session, org=org, region_id=principal.region_id)
        mine = []
        for employer in employers:
            await references.known_region(session=session, org=org, region_id=employer[4])
            chain = await references.region_chain(session, employer[4])
            if any(r.id == principal.region_id for r in chain):
                mine.append(employer)
        employers = mine
    staffed = await repository.employed_on(session, [e[1] for e in employers], as_of)
    rows = []
    for kind, employer_id, name, category, _ in employers:
        norm = int(norms[category])
        have = staffed.get(employer_id, 0)
        rows.append(
            StaffingRow(
                employer_kind=kind,
                employer_id=employer_id,
                name=name,
                category=category,
                norm=norm,
                staffed=have,
                shortfall=max(0, norm - have),
            )
        )
    rows.sort(key=lambda r: (-r.shortfall, r.name))
    return StaffingReport(
        as_of=as_of,
        rows=rows,
        norm_total=sum(r.norm for r in rows),
        staffed_total=sum(r.staffed for r in rows),
        shortfall_total=sum(r.shortfall for r in rows),
        employers_short=sum(1 for r in rows if r.shortfall > 0),
    )
