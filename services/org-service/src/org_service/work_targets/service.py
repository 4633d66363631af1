"""Rules on work targets, their coverage links (organizational coverage) and instructor
assignments (work coverage)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import or_, true
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from org_service.access import (
    INSTRUCTOR,
    may_write_in_region,
    visible_organizations,
    visible_work_targets,
)
from org_service.integrity import flush_unique
from org_service.organizations import repository as organization_repository
from org_service.organizations import service as organization_service
from org_service.organizations.models import (
    Formation,
    Organization,
    OrganizationKind,
    OrganizationStatus,
    OrganizationVersion,
)
from org_service.places import service as place_service
from org_service.temporal import check_end, today
from org_service.work_targets import repository
from org_service.work_targets.credit_code import validate_credit_code
from org_service.work_targets.models import (
    CoverageMode,
    CoverageState,
    InstructorAssignment,
    WorkTarget,
    WorkTargetCoverage,
    utcnow,
)
from org_service.work_targets.schemas import (
    CoverageLinkPublic,
    CoverageLinksStarted,
    CoverageOnDay,
    CoverageStart,
    CoverageStartItem,
    InstructorAssignmentCreate,
    InstructorAssignmentPublic,
    WorkTargetCreate,
    WorkTargetPublic,
    WorkTargetUpdate,
)
from service_kit.audit import AuditEntry, record_audit, record_audits
from service_kit.auth import Principal
from service_kit.errors import Conflict, NotFound, Unprocessable, naming_item
from service_kit.events import EventPublisher, NewEvent

COVERAGE_CHANGED = "org.work_target.coverage_changed"
COVERAGE_START = "work_target.coverage.start"


class WorkTargetNotFound(NotFound):
    code = "work_target_not_found"
    message = "No work target with this id (or it is outside what you may see)."


class DuplicateCreditCode(Conflict):
    code = "duplicate_credit_code"


class WorkTargetExists(Conflict):
    code = "work_target_exists"


class InvalidWorkTarget(Unprocessable):
    code = "invalid_work_target"


class CoverageLinkNotFound(NotFound):
    code = "coverage_link_not_found"
    message = "The work target has no coverage link with this id."


class InvalidCoverage(Unprocessable):
    code = "invalid_coverage"


class CoverageConflict(Conflict):
    code = "coverage_conflict"


class AssignmentNotFound(NotFound):
    code = "instructor_assignment_not_found"
    message = "No instructor assignment with this id (or it is outside what you may see)."


class InvalidAssignment(Unprocessable):
    code = "invalid_instructor_assignment"


class AssignmentConflict(Conflict):
    code = "assignment_conflict"


# ----------------------------------------------------------------------------- reading


def coverage_state(
    target: WorkTarget, day: date, link: WorkTargetCoverage | None, assigned: bool
) -> CoverageOnDay:
    """A target's coverage on `day` (DOMAIN.md "Work targets and coverage").

    Organizational: a coverage link is valid on the day. Work: no link, but an instructor
    or liaison assigned to the target itself. A target not registered on the day has
    no coverage to speak of.
    """
    registered = target.registered_on <= day and (
        target.deregistered_on is None or target.deregistered_on > day
    )
    if not registered:
        return CoverageOnDay(as_of=day, state=CoverageState.not_registered)
    if link is not None:
        return CoverageOnDay(
            as_of=day,
            state=CoverageState.organizational,
            link_id=link.id,
            organization_id=link.organization_id,
            mode=CoverageMode(link.mode),
        )
    state = CoverageState.work if assigned else CoverageState.uncovered
    return CoverageOnDay(as_of=day, state=state)


def _public(target: WorkTarget, coverage: CoverageOnDay) -> WorkTargetPublic:
    return WorkTargetPublic.model_validate({**target.model_dump(), "coverage": coverage})


async def to_public_many(
    session: AsyncSession, targets: Sequence[WorkTarget], day: date
) -> list[WorkTargetPublic]:
    """The targets with their coverage on `day`, in two queries whatever their number."""
    ids = [t.id for t in targets]
    links = await repository.links_on(session, ids, day)
    assigned = await repository.assigned_on(session, ids, day)
    return [_public(t, coverage_state(t, day, links.get(t.id), t.id in assigned)) for t in targets]


async def to_public(session: AsyncSession, target: WorkTarget, day: date) -> WorkTargetPublic:
    return (await to_public_many(session, [target], day))[0]


def link_public(link: WorkTargetCoverage) -> CoverageLinkPublic:
    return CoverageLinkPublic.model_validate(link)


def assignment_public(assignment: InstructorAssignment) -> InstructorAssignmentPublic:
    return InstructorAssignmentPublic.model_validate(assignment)


async def get(
    *, session: AsyncSession, principal: Principal, target_id: uuid.UUID, for_update: bool = False
) -> WorkTarget:
    """The target if the caller may see it, else work_target_not_found (hidden ones too)."""
    where = await visible_work_targets(session, principal)
    target = await repository.get_visible(session, target_id, where, for_update=for_update)
    if target is None:
        raise WorkTargetNotFound(details={"id": str(target_id)})
    return target


# ----------------------------------------------------------------------------- writing targets


async def _check_region_and_place(
    session: AsyncSession, principal: Principal, region_id: uuid.UUID, place_id: uuid.UUID | None
) -> None:
    region = await place_service.existing_region(session, region_id)
    if not await may_write_in_region(session, principal, region.id):
        raise place_service.OutsideYourRegion(details={"region_id": str(region.id)})
    if place_id is not None:
        await place_service.place_on_region_line(session, region, place_id)


def check_registration_dates(registered: date, deregistered: date | None) -> None:
    """Registered by today; deregistered, if at all, not before registration."""
    if registered > today():
        raise InvalidWorkTarget(
            "registered_on cannot be later than today.",
            code="registered_in_future",
            details={"field": "registered_on"},
        )
    if deregistered is not None and deregistered < registered:
        raise InvalidWorkTarget(
            "deregistered_on cannot be earlier than registered_on.",
            code="deregistered_before_registered",
            details={"field": "deregistered_on"},
        )


async def _insert_or_conflict(session: AsyncSession, target: WorkTarget) -> None:
    existing = await repository.id_by_credit_code(session, target.credit_code)
    if existing is None and await flush_unique(session, target) is None:
        return
    raise DuplicateCreditCode(
        f"A work target with credit code {target.credit_code} is registered already.",
        details={"credit_code": target.credit_code, "work_target_id": str(existing or "")},
    )


async def create(
    *, session: AsyncSession, principal: Principal, data: WorkTargetCreate
) -> WorkTarget:
    """Register a work target (city admins anywhere, district admins in their district)."""
    credit_code = validate_credit_code(data.credit_code)
    check_registration_dates(data.registered_on, data.deregistered_on)
    await _check_region_and_place(session, principal, data.region_id, data.place_id)
    target_id = data.id or uuid.uuid4()
    if await repository.get(session, target_id) is not None:
        raise WorkTargetExists(
            "A work target with this id exists already.", details={"id": str(target_id)}
        )
    target = WorkTarget(
        **data.model_dump(exclude={"id", "credit_code"}, mode="python"),
        id=target_id,
        credit_code=credit_code,
    )
    target.kind = data.kind.value
    target.industry = data.industry.value
    await _insert_or_conflict(session, target)
    await record_audit(
        session,
        principal=principal,
        action="work_target.create",
        entity_type="work_target",
        entity_id=target.id,
        after=(await to_public(session, target, today())).model_dump(mode="json"),
    )
    return target


NOT_NULL_FIELDS = {
    "credit_code",
    "name",
    "kind",
    "industry",
    "region_id",
    "pays_tax",
    "pays_social_insurance",
    "party_member_count",
    "registered_on",
    "external_refs",
}


async def update(
    *,
    session: AsyncSession,
    principal: Principal,
    publisher: EventPublisher,
    target_id: uuid.UUID,
    data: WorkTargetUpdate,
) -> WorkTarget:
    """Change the given fields; deregistering ends the target's open coverage that day."""
    target = await get(session=session, principal=principal, target_id=target_id, for_update=True)
    changes = data.model_dump(exclude_unset=True)
    cleared = sorted(k for k, v in changes.items() if v is None and k in NOT_NULL_FIELDS)
    if cleared:
        raise InvalidWorkTarget(
            f"These fields cannot be empty: {', '.join(cleared)}.",
            code="field_required",
            details={"fields": cleared},
        )
    if not changes:
        return target
    before = (await to_public(session, target, today())).model_dump(mode="json")
    if "credit_code" in changes:
        changes["credit_code"] = validate_credit_code(changes["credit_code"])
        other = await repository.id_by_credit_code(session, changes["credit_code"])
        if other is not None and other != target.id:
            raise DuplicateCreditCode(
                f"A work target with credit code {changes['credit_code']} is registered already.",
                details={"credit_code": changes["credit_code"], "work_target_id": str(other)},
            )
    region_id = changes.get("region_id", target.region_id)
    place_id = changes.get("place_id", target.place_id)
    if "region_id" in changes or "place_id" in changes:
        await _check_region_and_place(session, principal, region_id, place_id)
    registered = changes.get("registered_on", target.registered_on)
    deregistered = changes.get("deregistered_on", target.deregistered_on)
    check_registration_dates(registered, deregistered)
    ended: list[WorkTargetCoverage | InstructorAssignment] = []
    if "registered_on" in changes or "deregistered_on" in changes:
        ended = await fit_coverage_to_registration(session, target, registered, deregistered)
    for key, value in changes.items():
        setattr(target, key, value.value if isinstance(value, StrEnum) else value)
    target.updated_at = utcnow()
    if await flush_unique(session, target) is not None:  # a concurrent request took the code
        raise DuplicateCreditCode(
            f"A work target with credit code {target.credit_code} is registered already.",
            details={"credit_code": target.credit_code},
        )
    after = (await to_public(session, target, today())).model_dump(mode="json")
    await record_audit(
        session,
        principal=principal,
        action="work_target.update",
        entity_type="work_target",
        entity_id=target.id,
        before=before,
        after=after,
    )
    if ended:
        await publish_coverage_change(
            publisher,
            session,
            target,
            "deregistered",
            ended_link_ids=[str(p.id) for p in ended if isinstance(p, WorkTargetCoverage)],
            ended_assignment_ids=[str(p.id) for p in ended if isinstance(p, InstructorAssignment)],
        )
    return target


async def fit_coverage_to_registration(
    session: AsyncSession, target: WorkTarget, registered: date, deregistered: date | None
) -> list[WorkTargetCoverage | InstructorAssignment]:
    """Refuse coverage that would start outside the registration; end what runs past it."""
    links = await repository.links_of(session, target.id)
    assignments = await repository.assignments_of_unit(session, work_target_id=target.id)
    periods: list[WorkTargetCoverage | InstructorAssignment] = [*links, *assignments]
    for period in periods:
        if period.valid_from < registered or (
            deregistered is not None and period.valid_from >= deregistered
        ):
            kind = "coverage link" if isinstance(period, WorkTargetCoverage) else "assignment"
            raise CoverageConflict(
                f"A {kind} starting {period.valid_from} would fall outside the registration; "
                "end or correct it first.",
                code="coverage_outside_registration",
                details={"id": str(period.id), "valid_from": period.valid_from.isoformat()},
            )
    ended: list[WorkTargetCoverage | InstructorAssignment] = []
    if deregistered is None:
        return ended
    for period in periods:
        if period.valid_to is None or period.valid_to > deregistered:
            period.valid_to = deregistered
            session.add(period)
            ended.append(period)
    return ended


# ----------------------------------------------------------------------------- coverage links


async def _covering_organization(
    session: AsyncSession, principal: Principal, organization_id: uuid.UUID
) -> Organization:
    where = await visible_organizations(session, principal)
    org = await organization_repository.get_visible(session, organization_id, where)
    if org is None:
        raise _no_covering_organization(organization_id)
    return org


def _no_covering_organization(organization_id: uuid.UUID) -> InvalidCoverage:
    return InvalidCoverage(
        "The organization does not exist (or is outside what you may see).",
        code="organization_not_found",
        details={"field": "organization_id", "organization_id": str(organization_id)},
    )


def check_mode(mode: CoverageMode, org: Organization) -> None:
    """The mode must fit how the covering organization was formed."""
    if mode == CoverageMode.own and (
        org.formation != Formation.single or org.kind == OrganizationKind.working_committee
    ):
        raise InvalidCoverage(
            f"{org.name} cannot be the target's own organization: 'own' coverage needs a "
            "party organization formed in the unit alone (formation single, not a working "
            "committee).",
            code="own_coverage_needs_single_organization",
            details={"field": "mode", "formation": org.formation, "kind": org.kind},
        )
    if mode == CoverageMode.joint and org.formation != Formation.joint:
        raise InvalidCoverage(
            f"{org.name} is not a joint organization: 'joint' coverage needs an organization "
            "with formation joint.",
            code="joint_coverage_needs_joint_organization",
            details={"field": "mode", "formation": org.formation},
        )
    if mode == CoverageMode.dispatched and not organization_service.is_functional_branch(org):
        raise InvalidCoverage(
            f"{org.name} is not a functional branch: 'dispatched' coverage needs a branch "
            "formed by dispatch.",
            code="dispatched_coverage_needs_functional_branch",
            details={"field": "mode", "formation": org.formation, "kind": org.kind},
        )


def _check_within_registration(target: WorkTarget, day: date, field: str) -> None:
    if day < target.registered_on or (
        target.deregistered_on is not None and day >= target.deregistered_on
    ):
        raise InvalidCoverage(
            f"{field} must lie within the target's registration (from "
            f"{target.registered_on}"
            + (f" until {target.deregistered_on}" if target.deregistered_on else "")
            + ").",
            code="outside_registration",
            details={"field": field},
        )


async def check_organization_active_on(
    session: AsyncSession, org: Organization, day: date, field: str
) -> None:
    """The organization exists and is active on `day` (founded by then, not yet ended)."""
    version = await organization_repository.version_on(session, org.id, day, true())
    _refuse_inactive(org, version, day, field)


def _refuse_inactive(
    org: Organization, version: OrganizationVersion | None, day: date, field: str
) -> None:
    """`version`: the organization's version in force on `day`, if any."""
    if version is None and day < org.founded_on:
        raise InvalidCoverage(
            f"{org.name} was founded on {org.founded_on}; {field} cannot be earlier.",
            code="before_founding",
            details={"field": field, "founded_on": org.founded_on.isoformat()},
        )
    if version is None or version.status != OrganizationStatus.active:
        raise InvalidCoverage(
            f"{org.name} was no longer active on {day} (dissolved or merged).",
            code="organization_dissolved",
            details={"field": field, "organization_id": str(org.id)},
        )


async def start_coverage(
    *,
    session: AsyncSession,
    principal: Principal,
    publisher: EventPublisher,
    target_id: uuid.UUID,
    data: CoverageStart,
) -> WorkTargetCoverage:
    """Start a coverage link; with `replace`, end the open one on the same day first."""
    item = CoverageStartItem.model_validate({**data.model_dump(), "work_target_id": target_id})
    [link] = await _start_coverages(session, principal, publisher, [item], name_items=False)
    return link


def _link_to_replace(
    links: Sequence[WorkTargetCoverage], data: CoverageStart
) -> WorkTargetCoverage | None:
    """The open link a new one (`data`) ends, if any; refused when it may not start."""
    open_link = next((link for link in links if link.valid_to is None), None)
    if open_link is not None and not data.replace:
        raise CoverageConflict(
            f"The target is covered since {open_link.valid_from} by an open link; end it "
            "first, or send replace=true to end it on valid_from.",
            code="coverage_link_open",
            details={"open_link_id": str(open_link.id)},
        )
    if open_link is not None and data.valid_from <= open_link.valid_from:
        raise InvalidCoverage(
            f"The open link starts on {open_link.valid_from}; a replacing link must start later.",
            code="end_before_start",
            details={"field": "valid_from", "open_link_id": str(open_link.id)},
        )
    for link in links:
        if link is not open_link and link.valid_to is not None and link.valid_to > data.valid_from:
            raise CoverageConflict(
                f"An earlier link holds from {link.valid_from} until {link.valid_to}; coverage "
                "periods of a target cannot overlap.",
                code="coverage_overlap",
                details={"link_id": str(link.id), "valid_to": link.valid_to.isoformat()},
            )
    return open_link


@dataclass(frozen=True)
class _Started:
    target: WorkTarget
    link: WorkTargetCoverage
    before: dict[str, Any] | None  # the replaced link as it was
    previous: WorkTargetCoverage | None
    coverage: CoverageOnDay | None  # the target's coverage today right after, when read then


async def start_coverages(
    *,
    session: AsyncSession,
    principal: Principal,
    publisher: EventPublisher,
    items: Sequence[CoverageStartItem],
) -> CoverageLinksStarted:
    """Several coverage links at once, in order, each under the rules of start_coverage
    (also against the links of earlier items): all of them, or (on the first refusal, whose
    details name the item) none."""
    links = await _start_coverages(session, principal, publisher, items, name_items=True)
    return CoverageLinksStarted(ids=[link.id for link in links])


async def _start_coverages(
    session: AsyncSession,
    principal: Principal,
    publisher: EventPublisher,
    items: Sequence[CoverageStartItem],
    *,
    name_items: bool,
) -> list[WorkTargetCoverage]:
    """The links `items` start, in order, under start_coverage's rules.

    Targets, organizations, links and versions are read in a few queries for the whole
    request; the links are written in one flush (ending a replaced link is written before
    the new one is inserted), their audit records and events in a statement each.
    """
    target_ids = sorted({i.work_target_id for i in items})
    visible = await visible_work_targets(session, principal)
    targets = {
        t.id: t for t in await repository.get_many(session, target_ids, visible, for_update=True)
    }
    may_write: dict[uuid.UUID, bool] = {}
    for region_id in sorted({t.region_id for t in targets.values()}):
        may_write[region_id] = await may_write_in_region(session, principal, region_id)
    where = await visible_organizations(session, principal)
    org_ids = list({i.organization_id for i in items})
    orgs = {o.id: o for o in await organization_repository.get_many(session, org_ids, where)}
    versions: dict[tuple[uuid.UUID, date], OrganizationVersion] = {}
    for day in {i.valid_from for i in items}:
        ids = list({i.organization_id for i in items if i.valid_from == day} & orgs.keys())
        for version in await organization_repository.versions_on(session, ids, day, true()):
            versions[version.organization_id, day] = version
    links = await repository.links_of_many(session, list(targets))
    last_item_of = {item.work_target_id: index for index, item in enumerate(items)}
    started: list[_Started] = []
    for index, item in enumerate(items):
        with naming_item(index if name_items else None):
            target = targets.get(item.work_target_id)
            if target is None:
                raise WorkTargetNotFound(details={"id": str(item.work_target_id)})
            if not may_write[target.region_id]:
                raise place_service.OutsideYourRegion(details={"region_id": str(target.region_id)})
            org = orgs.get(item.organization_id)
            if org is None:
                raise _no_covering_organization(item.organization_id)
            check_mode(item.mode, org)
            _check_within_registration(target, item.valid_from, "valid_from")
            _refuse_inactive(
                org, versions.get((org.id, item.valid_from)), item.valid_from, "valid_from"
            )
            open_link = _link_to_replace(links[target.id], item)
        before = None
        if open_link is not None:
            before = link_public(open_link).model_dump(mode="json")
            open_link.valid_to = item.valid_from
            session.add(open_link)
        link = WorkTargetCoverage(
            work_target_id=target.id,
            organization_id=org.id,
            mode=item.mode.value,
            valid_from=item.valid_from,
        )
        session.add(link)
        links[target.id].append(link)
        coverage = None
        if last_item_of[target.id] != index:
            # A later item changes this target again: its coverage right after this one is
            # read now (the last item's is read with the others at the end).
            await session.flush()
            coverage = (await to_public(session, target, today())).coverage
        started.append(_Started(target, link, before, open_link, coverage))
    await session.flush()
    final = {
        t.id: t.coverage
        for t in await to_public_many(
            session, [targets[t] for t in {s.target.id for s in started}], today()
        )
    }
    await record_audits(
        session,
        principal=principal,
        entries=[
            AuditEntry(
                action=COVERAGE_START,
                entity_type="work_target",
                entity_id=s.target.id,
                before=s.before,
                after=link_public(s.link).model_dump(mode="json"),
            )
            for s in started
        ],
    )
    await publisher.publish_many(
        session,
        [
            coverage_change_event(
                s.target,
                "replaced" if s.previous is not None else "started",
                s.coverage or final[s.target.id],
                link=s.link,
                previous=s.previous,
            )
            for s in started
        ],
    )
    return [s.link for s in started]


async def end_coverage(
    *,
    session: AsyncSession,
    principal: Principal,
    publisher: EventPublisher,
    target_id: uuid.UUID,
    link_id: uuid.UUID,
    valid_to: date,
) -> WorkTargetCoverage:
    """End an open coverage link on `valid_to` (exclusive: the last covered day is before it)."""
    target = await get(session=session, principal=principal, target_id=target_id, for_update=True)
    if not await may_write_in_region(session, principal, target.region_id):
        raise place_service.OutsideYourRegion(details={"region_id": str(target.region_id)})
    link = await repository.get_link(session, target.id, link_id)
    if link is None:
        raise CoverageLinkNotFound(details={"id": str(link_id)})
    check_end(
        what="link",
        starts=link.valid_from,
        ended=link.valid_to,
        new_end=valid_to,
        ended_code="coverage_link_ended",
        entity_id=link.id,
    )
    before = link_public(link).model_dump(mode="json")
    link.valid_to = valid_to
    session.add(link)
    await session.flush()
    await record_audit(
        session,
        principal=principal,
        action="work_target.coverage.end",
        entity_type="work_target",
        entity_id=target.id,
        before=before,
        after=link_public(link).model_dump(mode="json"),
    )
    await publish_coverage_change(publisher, session, target, "ended", link=link)
    return link


async def publish_coverage_change(
    publisher: EventPublisher,
    session: AsyncSession,
    target: WorkTarget,
    change: str,
    *,
    link: WorkTargetCoverage | None = None,
    previous: WorkTargetCoverage | None = None,
    assignment: InstructorAssignment | None = None,
    **extra: Any,
) -> None:
    """org.work_target.coverage_changed: what changed, and the target's coverage today."""
    coverage = (await to_public(session, target, today())).coverage
    event = coverage_change_event(
        target, change, coverage, link=link, previous=previous, assignment=assignment, **extra
    )
    await publisher.publish(session, type=event.type, subject=event.subject, data=event.data)


def coverage_change_event(
    target: WorkTarget,
    change: str,
    coverage: CoverageOnDay,
    *,
    link: WorkTargetCoverage | None = None,
    previous: WorkTargetCoverage | None = None,
    assignment: InstructorAssignment | None = None,
    **extra: Any,
) -> NewEvent:
    """The event of publish_coverage_change, given the target's coverage today."""
    data: dict[str, Any] = {
        "change": change,
        "work_target_id": str(target.id),
        "credit_code": target.credit_code,
        "region_id": str(target.region_id),
        "coverage": coverage.model_dump(mode="json"),
    }
    if link is not None:
        data["link"] = link_public(link).model_dump(mode="json")
    if previous is not None:
        data["previous_link"] = link_public(previous).model_dump(mode="json")
    if assignment is not None:
        data["assignment"] = assignment_public(assignment).model_dump(mode="json")
    data.update(extra)
    return NewEvent(type=COVERAGE_CHANGED, subject=target.id, data=data)


# ----------------------------------------------------------------------------- assignments


async def visible_assignments(session: AsyncSession, principal: Principal) -> Any:
    """A WHERE clause on InstructorAssignment: an instructor sees their own; others see
    assignments on the targets and organizations they may see."""
    if principal.is_city_wide:
        return true()
    clauses: list[Any] = []
    if INSTRUCTOR in principal.roles:
        clauses.append(InstructorAssignment.subject == principal.subject)
    targets = select(WorkTarget.id).where(await visible_work_targets(session, principal))
    orgs = select(Organization.id).where(await visible_organizations(session, principal))
    clauses.append(col(InstructorAssignment.work_target_id).in_(targets))
    clauses.append(col(InstructorAssignment.organization_id).in_(orgs))
    return or_(*clauses)


async def get_assignment(
    *,
    session: AsyncSession,
    principal: Principal,
    assignment_id: uuid.UUID,
    for_update: bool = False,
) -> InstructorAssignment:
    """The assignment if the caller may see it, else instructor_assignment_not_found."""
    assignment = await repository.get_assignment(session, assignment_id, for_update=for_update)
    if assignment is not None:
        where = await visible_assignments(session, principal)
        statement = select(InstructorAssignment.id).where(
            InstructorAssignment.id == assignment_id, where
        )
        if (await session.exec(statement)).first() is not None:
            return assignment
    raise AssignmentNotFound(details={"id": str(assignment_id)})


@dataclass(frozen=True)
class Unit:
    """What an assignment is for: one work target or one organization."""

    work_target: WorkTarget | None
    organization: Organization | None

    @property
    def region_id(self) -> uuid.UUID:
        unit = self.work_target or self.organization
        assert unit is not None
        return unit.region_id


async def assignable_unit(
    *,
    session: AsyncSession,
    principal: Principal,
    work_target_id: uuid.UUID | None,
    organization_id: uuid.UUID | None,
    valid_from: date,
) -> Unit:
    """The one unit an assignment names, checked for the caller and for `valid_from`.

    Exactly one of the ids; the unit must be visible to the caller and in the caller's
    district (or the caller city-wide); a target registered, an organization active and
    founded on valid_from. The target's row is locked until the request ends.
    """
    if (work_target_id is None) == (organization_id is None):
        raise InvalidAssignment(
            "Give exactly one of work_target_id and organization_id.",
            code="assignment_needs_one_unit",
            details={"fields": ["work_target_id", "organization_id"]},
        )
    if work_target_id is not None:
        where = await visible_work_targets(session, principal)
        target = await repository.get_visible(session, work_target_id, where, for_update=True)
        if target is None:
            raise InvalidAssignment(
                "The work target does not exist (or is outside what you may see).",
                code="work_target_not_found",
                details={"field": "work_target_id", "work_target_id": str(work_target_id)},
            )
        _check_within_registration(target, valid_from, "valid_from")
        unit = Unit(work_target=target, organization=None)
    else:
        assert organization_id is not None
        org = await _covering_organization(session, principal, organization_id)
        await check_organization_active_on(session, org, valid_from, "valid_from")
        unit = Unit(work_target=None, organization=org)
    if not await may_write_in_region(session, principal, unit.region_id):
        raise place_service.OutsideYourRegion(details={"region_id": str(unit.region_id)})
    return unit


async def unit_of(
    session: AsyncSession, *, work_target_id: uuid.UUID | None, organization_id: uuid.UUID | None
) -> Unit:
    """The unit a stored assignment names (its foreign keys guarantee it exists)."""
    if work_target_id is not None:
        target = await repository.get(session, work_target_id)
        assert target is not None  # a foreign key
        return Unit(work_target=target, organization=None)
    assert organization_id is not None  # a check constraint
    org = await organization_repository.get(session, organization_id)
    assert org is not None  # a foreign key
    return Unit(work_target=None, organization=org)


async def assign_instructor(
    *,
    session: AsyncSession,
    principal: Principal,
    publisher: EventPublisher,
    data: InstructorAssignmentCreate,
) -> InstructorAssignment:
    """Assign an instructor or liaison to one work target or one organization."""
    unit = await assignable_unit(
        session=session,
        principal=principal,
        work_target_id=data.work_target_id,
        organization_id=data.organization_id,
        valid_from=data.valid_from,
    )
    target = unit.work_target
    existing = await repository.assignments_of_unit(
        session, work_target_id=data.work_target_id, organization_id=data.organization_id
    )
    for other in existing:
        same_person = (
            other.subject == data.subject
            if data.subject is not None
            else other.person_name == data.person_name
        )
        overlaps = other.valid_to is None or other.valid_to > data.valid_from
        if same_person and other.role == data.role.value and overlaps:
            raise AssignmentConflict(
                f"{other.person_name} is assigned here as {other.role} already, from "
                f"{other.valid_from}; end that assignment first.",
                code="duplicate_assignment",
                details={"id": str(other.id)},
            )
    assignment = InstructorAssignment(
        role=data.role.value,
        person_name=data.person_name,
        subject=data.subject,
        member_id=data.member_id,
        work_target_id=data.work_target_id,
        organization_id=data.organization_id,
        valid_from=data.valid_from,
    )
    session.add(assignment)
    await session.flush()
    public = assignment_public(assignment).model_dump(mode="json")
    await record_audit(
        session,
        principal=principal,
        action="instructor_assignment.create",
        entity_type="instructor_assignment",
        entity_id=assignment.id,
        after=public,
    )
    if target is not None:
        await publish_coverage_change(
            publisher, session, target, "instructor_assigned", assignment=assignment
        )
    return assignment


async def end_assignment(
    *,
    session: AsyncSession,
    principal: Principal,
    publisher: EventPublisher,
    assignment_id: uuid.UUID,
    valid_to: date,
) -> InstructorAssignment:
    """End an open assignment on `valid_to` (exclusive)."""
    assignment = await get_assignment(
        session=session, principal=principal, assignment_id=assignment_id, for_update=True
    )
    unit = await unit_of(
        session,
        work_target_id=assignment.work_target_id,
        organization_id=assignment.organization_id,
    )
    if not await may_write_in_region(session, principal, unit.region_id):
        raise place_service.OutsideYourRegion(details={"region_id": str(unit.region_id)})
    target = unit.work_target
    check_end(
        what="assignment",
        starts=assignment.valid_from,
        ended=assignment.valid_to,
        new_end=valid_to,
        ended_code="assignment_ended",
        entity_id=assignment.id,
    )
    before = assignment_public(assignment).model_dump(mode="json")
    assignment.valid_to = valid_to
    session.add(assignment)
    await session.flush()
    await record_audit(
        session,
        principal=principal,
        action="instructor_assignment.end",
        entity_type="instructor_assignment",
        entity_id=assignment.id,
        before=before,
        after=assignment_public(assignment).model_dump(mode="json"),
    )
    if target is not None:
        await publish_coverage_change(
            publisher, session, target, "instructor_ended", assignment=assignment
        )
    return assignment
