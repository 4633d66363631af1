"""Rules on organizations: kinds and subkinds, the shape of the tree, history and size rules.

History: the `organization` row is the current state; every change also closes the
open `organization_version` and opens the next one, and adds an `organization_change`
entry, in the same transaction. Changes are kept in date order per organization: a
change may not be dated before the latest change of any organization it touches (the
organization itself, the organizations below it whose paths change, the new parent or
the organization merged into). That one rule keeps every "as of" answer a consistent
tree, without re-deriving later history when something is back-dated.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import true
from sqlmodel.ext.asyncio.session import AsyncSession

from org_service.access import (
    may_write_in_region,
    organization_path,
    visible_organizations,
    writable_organizations,
)
from org_service.organizations import repository, rules
from org_service.organizations.models import (
    PARENT_KINDS,
    SUBKINDS,
    UPGRADE_LADDER,
    ChangeKind,
    Formation,
    Organization,
    OrganizationChange,
    OrganizationKind,
    OrganizationMemberCount,
    OrganizationStatus,
    OrganizationSubkind,
    OrganizationVersion,
    utcnow,
)
from org_service.organizations.repository import LatestChange
from org_service.organizations.schemas import (
    ChangePublic,
    DissolveIn,
    HistoryPublic,
    MemberCountsIn,
    MemberCountsPublic,
    MergeIn,
    MoveIn,
    OrganizationCreate,
    OrganizationPublic,
    OrganizationsCreated,
    OrganizationWritten,
    RenameIn,
    RulePublic,
    RuleWarning,
    UpgradeIn,
    VersionPublic,
)
from org_service.paths import child_path, depth_of
from org_service.places import repository as region_repository
from org_service.temporal import today
from service_kit.audit import AuditEntry, record_audit, record_audits
from service_kit.auth import Principal
from service_kit.errors import Conflict, Forbidden, NotFound, Unprocessable, naming_item
from service_kit.events import EventPublisher, NewEvent
from service_kit.pagination import KeysetPage, Page, PageParams

CHANGED = "org.organization.changed"
DISSOLVED = "org.organization.dissolved"


class OrganizationNotFound(NotFound):
    code = "organization_not_found"
    message = "No organization with this id (or it is outside what you may see)."


class InvalidOrganization(Unprocessable):
    code = "invalid_organization"


class OrganizationExists(Conflict):
    code = "organization_exists"


class OrganizationNotActive(Conflict):
    code = "organization_not_active"


class HasActiveChildren(Conflict):
    code = "has_active_children"


class EffectiveDateInFuture(Unprocessable):
    code = "effective_date_in_future"


class EffectiveDateBeforeLastChange(Unprocessable):
    code = "effective_date_before_last_change"


class NothingToChange(Unprocessable):
    code = "nothing_to_change"


class SizeRuleBroken(Unprocessable):
    """A size rule whose severity is `refuse`; the code is the rule's id."""

    code = "size_rule_broken"


# --- reading ------------------------------------------------------------------------------


def to_public(org: Organization) -> OrganizationPublic:
    return OrganizationPublic.model_validate(
        {
            **org.model_dump(),
            "is_functional_branch": is_functional_branch(org),
            "depth": depth_of(org.path),
        }
    )


def to_public_on(
    version: OrganizationVersion,
    org: Organization,
    counts: OrganizationMemberCount | None,
) -> OrganizationPublic:
    """The organization as it stood in `version`, with the member counts of that day."""
    ended = version.status != OrganizationStatus.active
    return OrganizationPublic.model_validate(
        {
            **org.model_dump(),
            **version.model_dump(exclude={"id", "organization_id", "valid_from", "valid_to"}),
            "id": org.id,
            "is_functional_branch": version.kind == OrganizationKind.branch
            and version.formation == Formation.dispatched,
            "depth": depth_of(version.path),
            # an organization that has ended cannot change again: its end is the current one
            "dissolved_on": org.dissolved_on if ended else None,
            "merged_into_id": org.merged_into_id if ended else None,
            "full_members": counts.full_members if counts else None,
            "probationary_members": counts.probationary_members if counts else None,
            "dispatched_members": counts.dispatched_members if counts else None,
            "committee_size": counts.committee_size if counts else None,
            "member_counts_as_of": counts.as_of if counts else None,
        }
    )


def is_functional_branch(org: Organization) -> bool:
    """A branch formed by dispatch is a functional branch (功能型党支部)."""
    return org.kind == OrganizationKind.branch and org.formation == Formation.dispatched


async def get(
    *, session: AsyncSession, principal: Principal, organization_id: uuid.UUID
) -> Organization:
    """The organization if the caller may see it, else organization_not_found."""
    where = await visible_organizations(session, principal)
    org = await repository.get_visible(session, organization_id, where)
    if org is None:
        raise OrganizationNotFound(details={"id": str(organization_id)})
    return org


async def get_public(
    *, session: AsyncSession, principal: Principal, organization_id: uuid.UUID, as_of: date
) -> OrganizationPublic:
    """The organization today, or as it stood on `as_of` (from its versions)."""
    # Today's state is the current row (one primary-key read); only past days need
    # the versions, so the common read stays as fast as before history existed.
    if as_of >= today():
        return to_public(
            await get(session=session, principal=principal, organization_id=organization_id)
        )
    where = await visible_organizations(session, principal)
    version = await repository.version_on(session, organization_id, as_of, where)
    if version is None:
        raise OrganizationNotFound(
            "No organization with this id on that day (or it is outside what you may see).",
            details={"id": str(organization_id), "as_of": as_of.isoformat()},
        )
    org = await repository.get(session, organization_id)
    assert org is not None  # a version belongs to an organization (foreign key)
    counts = await repository.counts_on(session, [organization_id], as_of)
    return to_public_on(version, org, counts.get(organization_id))


async def list_public(
    *,
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    as_of: date,
    ids: Sequence[uuid.UUID] | None,
    kind: OrganizationKind | None,
    parent_id: uuid.UUID | None,
    region_id: uuid.UUID | None,
    under: uuid.UUID | None,
    industry_committee_id: uuid.UUID | None,
    status: OrganizationStatus | None,
) -> Page[OrganizationPublic]:
    """Organizations the caller may see, today or as they stood on `as_of`, in tree order."""
    where = await visible_organizations(session, principal)
    current = as_of >= today()
    if ids is not None:
        if current:
            rows = await repository.get_many(session, ids, where)
            return Page(items=[to_public(o) for o in rows])
        versions = await repository.versions_on(session, ids, as_of, where)
        return Page(items=await _publics_on(session, versions, as_of))
    under_path = None
    if under is not None:
        if current:
            under_path = await organization_path(session, under)
        else:
            under_path = await repository.path_on(session, under, as_of)
        if under_path is None:
            return Page(items=[])
    filters: dict[str, Any] = {
        "kind": kind.value if kind else None,
        "parent_id": parent_id,
        "region_id": region_id,
        "under_path": under_path,
        "industry_committee_id": industry_committee_id,
        "status": status.value if status else None,
    }
    result: KeysetPage
    if current:
        result = await repository.page(session, page, where, **filters)
        items = [to_public(o) for o in result.rows]
    else:
        result = await repository.page_on(session, page, where, as_of, **filters)
        items = await _publics_on(session, result.rows, as_of)
    return Page(items=items, next_cursor=result.next_cursor, cursors=result.cursors)


async def _publics_on(
    session: AsyncSession, versions: Sequence[OrganizationVersion], day: date
) -> list[OrganizationPublic]:
    ids = [v.organization_id for v in versions]
    orgs = {o.id: o for o in await repository.get_many(session, ids, true())}
    counts = await repository.counts_on(session, ids, day)
    return [
        to_public_on(v, orgs[v.organization_id], counts.get(v.organization_id)) for v in versions
    ]


async def history(
    *, session: AsyncSession, principal: Principal, organization_id: uuid.UUID
) -> HistoryPublic:
    """What happened to the organization, its versions and its reported member counts."""
    org = await get(session=session, principal=principal, organization_id=organization_id)
    changes, versions, counts = await repository.history(session, org.id)
    return HistoryPublic(
        organization_id=org.id,
        changes=[ChangePublic.model_validate(c) for c in changes],
        versions=[VersionPublic.model_validate(v) for v in versions],
        member_counts=[MemberCountsPublic.model_validate(c) for c in counts],
    )


def rule_table() -> list[RulePublic]:
    """The size rules, as the checks apply them."""
    return [
        RulePublic(
            id=rule.id,
            description=rule.description,
            severity=rule.severity,
            checked_on=sorted(rule.moments),
        )
        for rule in rules.RULES
    ]


# --- shared checks ------------------------------------------------------------------------


def _effective_day(value: date | None, field: str = "effective_on") -> date:
    day = value or today()
    if day > today():
        raise EffectiveDateInFuture(
            f"{field} cannot be later than today ({today().isoformat()}): record a change "
            "on or after the day it takes effect.",
            details={"field": field, field: day.isoformat(), "today": today().isoformat()},
        )
    return day


async def _not_before_latest_change(
    session: AsyncSession,
    ids: Sequence[uuid.UUID],
    day: date,
    field: str = "effective_on",
    *,
    under_path: str | None = None,
) -> None:
    latest = await repository.latest_change(session, ids, under_path=under_path)
    if latest is None or day >= latest.on:
        return
    org = await repository.get(session, latest.organization_id)
    _refuse_before(latest, org.name if org else str(latest.organization_id), day, field)


def _refuse_before(latest: LatestChange, name: str, day: date, field: str) -> None:
    """A change dated before the latest change of an organization it touches is refused."""
    if day >= latest.on:
        return
    raise EffectiveDateBeforeLastChange(
        f"The latest change of {name} is dated {latest.on.isoformat()}; a change touching it "
        f"cannot be dated before that ({field} {day.isoformat()}).",
        details={
            "field": field,
            field: day.isoformat(),
            "organization_id": str(latest.organization_id),
            "latest_change_on": latest.on.isoformat(),
        },
    )


async def _no_child_activity_after(session: AsyncSession, org: Organization, day: date) -> None:
    """An organization cannot end before the last day something happened under it."""
    boundary = await repository.latest_child_boundary(session, org.id)
    if boundary is None or day >= boundary.on:
        return
    child = await repository.get(session, boundary.organization_id)
    name = child.name if child else str(boundary.organization_id)
    raise EffectiveDateBeforeLastChange(
        f"{name}, under {org.name}, changed on {boundary.on.isoformat()}; {org.name} cannot "
        f"end before that ({day.isoformat()}).",
        details={
            "effective_on": day.isoformat(),
            "organization_id": str(boundary.organization_id),
            "latest_change_on": boundary.on.isoformat(),
        },
    )


async def _for_write(
    session: AsyncSession,
    principal: Principal,
    organization_id: uuid.UUID,
    *,
    active: bool = True,
) -> Organization:
    """The organization, locked, if the caller may change it.

    Hidden: 404 as for a read. Visible but not the caller's to change (the chain above
    their own organization): 403.
    """
    org = await get(session=session, principal=principal, organization_id=organization_id)
    writable = await writable_organizations(session, principal)
    if await repository.get_visible(session, org.id, writable) is None:
        raise Forbidden(
            "You may change only organizations inside your own part of the tree.",
            details={"id": str(org.id)},
        )
    org = (await repository.lock(session, [org.id]))[org.id]
    if active and org.status != OrganizationStatus.active:
        raise OrganizationNotActive(
            f"{org.name} ended on {org.dissolved_on} ({org.status}); it cannot change any more.",
            details={"id": str(org.id), "status": org.status},
        )
    return org


async def _writable_other(
    session: AsyncSession, principal: Principal, organization_id: uuid.UUID, *, code: str, what: str
) -> Organization:
    """Another organization a write refers to (parent, merger target): hidden ones do not exist."""
    writable = await writable_organizations(session, principal)
    other = await repository.get_visible(session, organization_id, writable)
    if other is None:
        raise _no_such_other(organization_id, code=code, what=what)
    return other


def _no_such_other(organization_id: uuid.UUID, *, code: str, what: str) -> InvalidOrganization:
    return InvalidOrganization(
        f"No {what} with this id inside your part of the tree.",
        code=code,
        details={"id": str(organization_id)},
    )


async def _check_region(session: AsyncSession, principal: Principal, region_id: uuid.UUID) -> None:
    exists = await region_repository.get(session, region_id) is not None
    _refuse_region(region_id, exists, exists and await _may_place_in(session, principal, region_id))


async def _may_place_in(session: AsyncSession, principal: Principal, region_id: uuid.UUID) -> bool:
    # Callers acting for an organization are bounded by their subtree (the parent check).
    return principal.organization_id is not None or await may_write_in_region(
        session, principal, region_id
    )


def _refuse_region(region_id: uuid.UUID, exists: bool, may_write: bool) -> None:
    if not exists:
        raise InvalidOrganization(
            "The region does not exist.",
            code="region_not_found",
            details={"field": "region_id", "region_id": str(region_id)},
        )
    if not may_write:
        raise Forbidden(
            "You may place organizations only inside your own region.",
            code="region_outside_scope",
            details={"field": "region_id", "region_id": str(region_id)},
        )


def _check_parent_kind(kind: OrganizationKind, parent: Organization | None) -> None:
    parent_kind = OrganizationKind(parent.kind) if parent else None
    if parent_kind not in PARENT_KINDS[kind]:
        names = sorted(k.value if k else "none (a root)" for k in PARENT_KINDS[kind])
        raise InvalidOrganization(
            f"A {kind.value} must sit under: {', '.join(names)}"
            + (f"; {parent.name} is a {parent_kind}." if parent else "."),
            code="invalid_parent_kind",
            details={"field": "parent_id", "parent_kind": parent_kind},
        )


def _check_subkind(kind: OrganizationKind, subkind: OrganizationSubkind | None) -> None:
    allowed = SUBKINDS[kind]
    if allowed and subkind not in allowed:
        raise InvalidOrganization(
            f"A {kind.value} needs a subkind, one of: "
            f"{', '.join(sorted(s.value for s in allowed))}.",
            code="invalid_subkind",
            details={"field": "subkind"},
        )
    if not allowed and subkind is not None:
        raise InvalidOrganization(
            f"A {kind.value} has no subkind.",
            code="invalid_subkind",
            details={"field": "subkind"},
        )


def _check_kind(data: OrganizationCreate) -> None:
    _check_subkind(data.kind, data.subkind)
    if (data.formation == Formation.joint) != (data.joint_mode is not None):
        raise InvalidOrganization(
            "joint_mode (area, industry, leading_enterprise) is given exactly when "
            "formation is joint.",
            code="invalid_joint_mode",
            details={"field": "joint_mode"},
        )
    if data.formation == Formation.dispatched and data.kind != OrganizationKind.branch:
        raise InvalidOrganization(
            "Only a branch can be formed by dispatch (a functional branch).",
            code="invalid_formation",
            details={"field": "formation"},
        )
    dispatched_only = {
        name
        for name in ("dispatched_members", "serves_work_target_id")
        if getattr(data, name) is not None
    }
    if dispatched_only and data.formation != Formation.dispatched:
        raise InvalidOrganization(
            f"{', '.join(sorted(dispatched_only))}: only for a functional branch "
            "(kind branch, formation dispatched).",
            code="not_a_functional_branch",
            details={"fields": sorted(dispatched_only)},
        )
    if data.probationary_members is not None and data.full_members is None:
        raise InvalidOrganization(
            "probationary_members is reported together with full_members.",
            code="full_members_required",
            details={"field": "full_members"},
        )


def _apply_rules(facts: rules.SizeFacts, moment: rules.Moment) -> list[RuleWarning]:
    """Refuse on the first refusing rule broken; else the warnings."""
    findings = rules.evaluate(facts, moment)
    for finding in findings:
        if finding.rule.severity == rules.Severity.refuse:
            raise SizeRuleBroken(
                finding.message,
                code=finding.rule.id,
                details={"rule": finding.rule.id, "severity": finding.rule.severity.value},
            )
    return [RuleWarning(rule=f.rule.id, message=f.message) for f in findings]


def _facts(org: Organization, **overrides: Any) -> rules.SizeFacts:
    values: dict[str, Any] = {
        "kind": OrganizationKind(org.kind),
        "formation": Formation(org.formation),
        "full_members": org.full_members,
        "probationary_members": org.probationary_members,
        "dispatched_members": org.dispatched_members,
        "committee_size": org.committee_size,
        "serves_work_target": org.serves_work_target_id is not None,
    }
    values.update(overrides)
    return rules.SizeFacts(**values)


async def _record(
    session: AsyncSession,
    principal: Principal,
    publisher: EventPublisher,
    org: Organization,
    kind: ChangeKind,
    day: date,
    details: dict[str, Any],
    before: OrganizationPublic | None,
) -> None:
    """The history entry, the audit record and the event of one change, in this transaction."""
    recorded = _recorded(principal, org, kind, day, details, before)
    await repository.add_change(session, recorded.change)
    audit = recorded.audit
    await record_audit(
        session,
        principal=principal,
        action=audit.action,
        entity_type=audit.entity_type,
        entity_id=audit.entity_id,
        before=audit.before,
        after=audit.after,
    )
    event = recorded.event
    await publisher.publish(session, type=event.type, subject=event.subject, data=event.data)


@dataclass(frozen=True)
class Recorded:
    """What one change leaves behind: its history entry, audit record and event."""

    change: OrganizationChange
    audit: AuditEntry
    event: NewEvent


def _recorded(
    principal: Principal,
    org: Organization,
    kind: ChangeKind,
    day: date,
    details: dict[str, Any],
    before: OrganizationPublic | None,
) -> Recorded:
    details = {k: v for k, v in details.items() if v is not None}
    after = to_public(org).model_dump(mode="json")
    return Recorded(
        change=OrganizationChange(
            organization_id=org.id,
            kind=kind.value,
            effective_on=day,
            details=details,
            recorded_by=principal.subject,
        ),
        audit=AuditEntry(
            action="organization.create" if kind == ChangeKind.founded else f"organization.{kind}",
            entity_type="organization",
            entity_id=org.id,
            before=before.model_dump(mode="json") if before else None,
            after={
                **after,
                "change": {"kind": kind.value, "effective_on": day.isoformat(), **details},
            },
        ),
        event=NewEvent(
            type=CHANGED,
            subject=org.id,
            data={
                "change": kind.value,
                "effective_on": day.isoformat(),
                "details": details,
                "organization": after,
            },
        ),
    )


def _str(value: uuid.UUID | None) -> str | None:
    return None if value is None else str(value)


# --- founding -----------------------------------------------------------------------------


@dataclass
class _Founding:
    """What foundings refer to, read once for a whole request: a few queries for a batch of
    hundreds, not a few per organization. Organizations founded earlier in the same request
    join it, so that a later item may sit under (or in the industry line of) an earlier one.
    """

    principal: Principal
    regions: dict[uuid.UUID, bool]  # region id → the caller may place organizations there
    parents: dict[uuid.UUID, Organization]  # writable, share-locked; and those founded here
    latest: dict[uuid.UUID, LatestChange]  # each parent's latest dated change
    lines: dict[uuid.UUID, Organization]  # industry lines named; and those founded here
    served: dict[uuid.UUID, int]  # work target id → its party_member_count
    taken: set[uuid.UUID]  # organization ids in use

    @classmethod
    async def read(
        cls, session: AsyncSession, principal: Principal, items: Sequence[OrganizationCreate]
    ) -> _Founding:
        region_ids = list({d.region_id for d in items})
        known = sorted(r.id for r in await region_repository.get_many(session, region_ids, true()))
        regions = {r: await _may_place_in(session, principal, r) for r in known}
        parent_ids = sorted({d.parent_id for d in items if d.parent_id is not None})
        parents: dict[uuid.UUID, Organization] = {}
        if parent_ids:
            writable = await writable_organizations(session, principal)
            found = await repository.get_many(session, parent_ids, writable)
            # Shared locks: no parent is dissolved or moved while children are founded.
            parents = await repository.lock(session, [o.id for o in found], share=True)
        line_ids = {d.industry_committee_id for d in items if d.industry_committee_id}
        lines = {o.id: o for o in await repository.get_many(session, list(line_ids), true())}
        target_ids = {d.serves_work_target_id for d in items if d.serves_work_target_id}
        given = [d.id for d in items if d.id is not None]
        return cls(
            principal=principal,
            regions=regions,
            parents=parents,
            latest=await repository.latest_changes(session, list(parents)),
            lines=lines,
            served=await repository.work_target_party_member_counts(session, target_ids),
            taken=set(await repository.existing_ids(session, given)),
        )

    def founded(self, org: Organization, day: date) -> None:
        # The caller may change what they found: it lies under a parent they may change
        # (or, a root, is founded by a city-wide caller) and in a region they may write in.
        self.parents[org.id] = org
        self.lines[org.id] = org
        self.latest[org.id] = LatestChange(org.id, day)
        self.taken.add(org.id)


@dataclass(frozen=True)
class _Founded:
    org: Organization
    counts: OrganizationMemberCount | None
    recorded: Recorded
    warnings: list[RuleWarning]


def _found(refs: _Founding, data: OrganizationCreate) -> _Founded:
    """The organization `data` founds, with its rules checked against `refs`; nothing written."""
    principal = refs.principal
    _check_kind(data)
    founded_on = _effective_day(data.founded_on, "founded_on")
    _refuse_region(
        data.region_id, data.region_id in refs.regions, refs.regions.get(data.region_id, False)
    )
    parent = None
    if data.parent_id is not None:
        parent = refs.parents.get(data.parent_id)
        if parent is None:
            raise _no_such_other(
                data.parent_id, code="parent_not_found", what="parent organization"
            )
        if parent.status != OrganizationStatus.active:
            raise InvalidOrganization(
                f"The parent organization {parent.name} has ended ({parent.status}).",
                code="parent_dissolved",
                details={"field": "parent_id"},
            )
        latest = refs.latest.get(parent.id)
        if latest is not None:
            _refuse_before(latest, parent.name, founded_on, "founded_on")
    elif not principal.is_city_wide:
        raise Forbidden("Only city-wide administrators may add a root organization.")
    _check_parent_kind(data.kind, parent)
    if data.industry_committee_id is not None:
        line = refs.lines.get(data.industry_committee_id)
        if (
            line is None
            or line.kind != OrganizationKind.party_committee
            or line.subkind != OrganizationSubkind.industry
            or line.status != OrganizationStatus.active
        ):
            raise InvalidOrganization(
                "industry_committee_id must name an active industry party committee.",
                code="invalid_industry_line",
                details={"field": "industry_committee_id"},
            )
    served_members = None
    if data.serves_work_target_id is not None:
        served_members = refs.served.get(data.serves_work_target_id)
        if served_members is None:
            raise InvalidOrganization(
                "No work target with this id.",
                code="work_target_not_found",
                details={"field": "serves_work_target_id"},
            )
    functional = data.formation == Formation.dispatched
    counted = data.full_members is not None or (functional and data.dispatched_members is not None)
    # A functional branch's members are dispatched: their membership stays where it was,
    # so unless told otherwise it has no full members of its own.
    full_members = data.full_members if data.full_members is not None else (0 if counted else None)
    probationary = (data.probationary_members or 0) if counted else None
    warnings = _apply_rules(
        rules.SizeFacts(
            kind=data.kind,
            formation=data.formation,
            full_members=full_members,
            probationary_members=probationary,
            dispatched_members=data.dispatched_members,
            committee_size=data.committee_size,
            served_target_party_members=served_members,
            serves_work_target=data.serves_work_target_id is not None,
        ),
        rules.Moment.founding,
    )
    org_id = data.id or uuid.uuid4()
    if org_id in refs.taken:
        raise OrganizationExists(
            "An organization with this id exists already.", details={"id": str(org_id)}
        )
    org = Organization(
        id=org_id,
        name=data.name,
        kind=data.kind.value,
        subkind=data.subkind.value if data.subkind else None,
        formation=data.formation.value,
        joint_mode=data.joint_mode.value if data.joint_mode else None,
        parent_id=data.parent_id,
        industry_committee_id=data.industry_committee_id,
        region_id=data.region_id,
        path=child_path(parent.path if parent else None, org_id),
        founded_on=founded_on,
        full_members=full_members,
        probationary_members=probationary,
        dispatched_members=data.dispatched_members,
        committee_size=data.committee_size,
        member_counts_as_of=founded_on if counted else None,
        serves_work_target_id=data.serves_work_target_id,
    )
    counts = None
    if counted:
        assert full_members is not None
        assert probationary is not None
        counts = OrganizationMemberCount(
            organization_id=org.id,
            as_of=founded_on,
            full_members=full_members,
            probationary_members=probationary,
            dispatched_members=data.dispatched_members,
            committee_size=data.committee_size,
            recorded_by=principal.subject,
        )
    recorded = _recorded(
        principal,
        org,
        ChangeKind.founded,
        founded_on,
        {
            "name": org.name,
            "kind": org.kind,
            "subkind": org.subkind,
            "formation": org.formation,
            "parent_id": _str(org.parent_id),
            "region_id": str(org.region_id),
        },
        None,
    )
    refs.founded(org, founded_on)
    return _Founded(org=org, counts=counts, recorded=recorded, warnings=warnings)


async def _write_founded(
    session: AsyncSession,
    principal: Principal,
    publisher: EventPublisher,
    founded: Sequence[_Founded],
) -> None:
    """The organizations with their first versions, member counts and history entries (in
    one flush, parents before children), then their audit records and events in a statement
    each."""
    for f in founded:
        session.add(f.org)
        await repository.add_first_version(session, f.org, f.org.founded_on)
        if f.counts is not None:
            await repository.add_member_counts(session, f.counts)
        await repository.add_change(session, f.recorded.change)
    await session.flush()
    await record_audits(session, principal=principal, entries=[f.recorded.audit for f in founded])
    await publisher.publish_many(session, [f.recorded.event for f in founded])


async def create(
    *,
    session: AsyncSession,
    principal: Principal,
    publisher: EventPublisher,
    data: OrganizationCreate,
) -> OrganizationWritten:
    """Found an organization under a parent the caller may change, checking the size rules."""
    founded = _found(await _Founding.read(session, principal, [data]), data)
    await _write_founded(session, principal, publisher, [founded])
    return OrganizationWritten(**to_public(founded.org).model_dump(), warnings=founded.warnings)


async def create_many(
    *,
    session: AsyncSession,
    principal: Principal,
    publisher: EventPublisher,
    items: Sequence[OrganizationCreate],
) -> OrganizationsCreated:
    """Several organizations at once, in order (an item may sit under an earlier one): all of
    them, or (on the first refusal, whose details name the item) none."""
    refs = await _Founding.read(session, principal, items)
    founded = []
    for index, data in enumerate(items):
        with naming_item(index):
            founded.append(_found(refs, data))
    await _write_founded(session, principal, publisher, founded)
    return OrganizationsCreated(ids=[f.org.id for f in founded])


# --- changes ------------------------------------------------------------------------------


async def rename(
    *,
    session: AsyncSession,
    principal: Principal,
    publisher: EventPublisher,
    organization_id: uuid.UUID,
    data: RenameIn,
) -> OrganizationWritten:
    """Give the organization a new name from a day on."""
    org = await _for_write(session, principal, organization_id)
    day = _effective_day(data.effective_on)
    if data.name == org.name:
        raise NothingToChange(f"The organization is already called {org.name}.")
    await _not_before_latest_change(session, [org.id], day)
    before = to_public(org)
    org.name = data.name
    org.updated_at = utcnow()
    await repository.snapshot_version(session, org, day)
    await _record(
        session,
        principal,
        publisher,
        org,
        ChangeKind.renamed,
        day,
        {"from": before.name, "to": org.name, "note": data.note},
        before,
    )
    return OrganizationWritten(**to_public(org).model_dump())


async def upgrade(
    *,
    session: AsyncSession,
    principal: Principal,
    publisher: EventPublisher,
    organization_id: uuid.UUID,
    data: UpgradeIn,
) -> OrganizationWritten:
    """Raise the organization's level (branch → general_branch → party_committee) or subkind."""
    org = await _for_write(session, principal, organization_id)
    day = _effective_day(data.effective_on)
    current = OrganizationKind(org.kind)
    if current not in UPGRADE_LADDER or data.kind not in UPGRADE_LADDER:
        raise InvalidOrganization(
            "Only branches, general branches and party committees change level "
            f"({' → '.join(k.value for k in UPGRADE_LADDER)}).",
            code="invalid_upgrade",
            details={"kind": org.kind, "to": data.kind.value},
        )
    if UPGRADE_LADDER.index(data.kind) < UPGRADE_LADDER.index(current):
        raise InvalidOrganization(
            f"A {current.value} cannot become a {data.kind.value}: an upgrade goes "
            f"{' → '.join(k.value for k in UPGRADE_LADDER)}. To reduce an organization, "
            "found the smaller one and merge this one into it.",
            code="not_an_upgrade",
            details={"kind": org.kind, "to": data.kind.value},
        )
    _check_subkind(data.kind, data.subkind)
    subkind = data.subkind.value if data.subkind else None
    if data.kind == current and subkind == org.subkind:
        raise NothingToChange(
            f"{org.name} is already a {org.kind} ({org.subkind or 'no subkind'})."
        )
    if org.formation == Formation.dispatched and data.kind != OrganizationKind.branch:
        raise InvalidOrganization(
            "A functional branch stays a branch; when its unit has its own members, found a "
            "regular organization there.",
            code="invalid_formation",
            details={"formation": org.formation},
        )
    parent = await repository.get(session, org.parent_id) if org.parent_id else None
    _check_parent_kind(data.kind, parent)
    await _not_before_latest_change(session, [org.id], day)
    warnings = _apply_rules(_facts(org, kind=data.kind), rules.Moment.upgrade)
    before = to_public(org)
    org.kind = data.kind.value
    org.subkind = subkind
    org.updated_at = utcnow()
    await repository.snapshot_version(session, org, day)
    await _record(
        session,
        principal,
        publisher,
        org,
        ChangeKind.upgraded,
        day,
        {
            "from": {"kind": before.kind.value, "subkind": _enum(before.subkind)},
            "to": {"kind": org.kind, "subkind": org.subkind},
            "note": data.note,
        },
        before,
    )
    return OrganizationWritten(**to_public(org).model_dump(), warnings=warnings)


def _enum(value: Any) -> Any:
    return getattr(value, "value", value)


async def _reparent(
    session: AsyncSession,
    org: Organization,
    parent: Organization,
    day: date,
    region_id: uuid.UUID | None = None,
) -> None:
    """Put `org` (and its subtree) under `parent` from `day` on; the caller records the change."""
    new_path = child_path(parent.path, org.id)
    if new_path != org.path:
        await repository.move_subtree(session, org.path, new_path, day)
        await session.refresh(org)
    org.parent_id = parent.id
    if region_id is not None:
        org.region_id = region_id
    org.updated_at = utcnow()
    await repository.snapshot_version(session, org, day)


async def move(
    *,
    session: AsyncSession,
    principal: Principal,
    publisher: EventPublisher,
    organization_id: uuid.UUID,
    data: MoveIn,
) -> OrganizationWritten:
    """Put the organization under another territorial parent (and region) from a day on."""
    org = await _for_write(session, principal, organization_id)
    day = _effective_day(data.effective_on)
    parent = await _writable_other(
        session, principal, data.parent_id, code="parent_not_found", what="parent organization"
    )
    # Checked on the locked row: a concurrent move of the parent cannot slip in between.
    parent = (await repository.lock(session, [parent.id]))[parent.id]
    if parent.path.startswith(org.path):
        raise InvalidOrganization(
            f"{parent.name} is {org.name} itself or lies below it: the tree would have a cycle.",
            code="cycle_in_tree",
            details={"field": "parent_id", "parent_id": str(parent.id)},
        )
    region_id = data.region_id if data.region_id not in (None, org.region_id) else None
    if parent.id == org.parent_id and region_id is None:
        raise NothingToChange(f"{org.name} is already under {parent.name}.")
    if region_id is not None:
        await _check_region(session, principal, region_id)
    _check_parent_kind(OrganizationKind(org.kind), parent)
    if parent.status != OrganizationStatus.active:
        raise InvalidOrganization(
            f"The parent organization {parent.name} has ended ({parent.status}).",
            code="parent_dissolved",
            details={"field": "parent_id"},
        )
    await repository.lock_subtree(session, org.path)
    await _not_before_latest_change(session, [parent.id], day, under_path=org.path)
    before = to_public(org)
    await _reparent(session, org, parent, day, region_id)
    await _record(
        session,
        principal,
        publisher,
        org,
        ChangeKind.moved,
        day,
        {
            "from_parent_id": _str(before.parent_id),
            "to_parent_id": str(parent.id),
            "from_region_id": str(before.region_id) if region_id else None,
            "to_region_id": _str(region_id),
            "note": data.note,
        },
        before,
    )
    return OrganizationWritten(**to_public(org).model_dump())


async def merge(
    *,
    session: AsyncSession,
    principal: Principal,
    publisher: EventPublisher,
    organization_id: uuid.UUID,
    data: MergeIn,
) -> OrganizationWritten:
    """Merge the organization into another: it ends, its active children move to the other."""
    org = await _for_write(session, principal, organization_id)
    day = _effective_day(data.effective_on)
    if data.into_id == org.id:
        raise InvalidOrganization(
            "An organization cannot merge into itself.",
            code="merge_into_self",
            details={"field": "into_id"},
        )
    target = await _writable_other(
        session, principal, data.into_id, code="merge_target_not_found", what="organization"
    )
    target = (await repository.lock(session, [target.id]))[target.id]
    if target.path.startswith(org.path):
        raise InvalidOrganization(
            f"{target.name} lies below {org.name}; an organization cannot merge into its own "
            "descendant.",
            code="merge_into_descendant",
            details={"field": "into_id"},
        )
    if target.status != OrganizationStatus.active:
        raise Conflict(
            f"{target.name} has ended ({target.status}); merge into an active organization.",
            code="merge_target_not_active",
            details={"field": "into_id", "status": target.status},
        )
    await repository.lock_subtree(session, org.path)
    children = await repository.active_children(session, org.id)
    for child in children:
        _check_parent_kind(OrganizationKind(child.kind), target)
    await _not_before_latest_change(session, [target.id], day, under_path=org.path)
    await _no_child_activity_after(session, org, day)
    before = to_public(org)
    for child in children:
        child_before = to_public(child)
        await _reparent(session, child, target, day)
        await _record(
            session,
            principal,
            publisher,
            child,
            ChangeKind.moved,
            day,
            {
                "from_parent_id": str(org.id),
                "to_parent_id": str(target.id),
                "reason": "merged",
            },
            child_before,
        )
    org.status = OrganizationStatus.merged.value
    org.merged_into_id = target.id
    org.dissolved_on = day
    org.updated_at = utcnow()
    await repository.snapshot_version(session, org, day)
    await _record(
        session,
        principal,
        publisher,
        org,
        ChangeKind.merged,
        day,
        {
            "merged_into_id": str(target.id),
            "children_moved": [str(c.id) for c in children],
            "note": data.note,
        },
        before,
    )
    await _publish_ended(session, publisher, org, day, "merged")
    await _record(
        session,
        principal,
        publisher,
        target,
        ChangeKind.absorbed,
        day,
        {"absorbed_id": str(org.id), "absorbed_name": org.name},
        to_public(target),
    )
    return OrganizationWritten(**to_public(org).model_dump())


async def dissolve(
    *,
    session: AsyncSession,
    principal: Principal,
    publisher: EventPublisher,
    organization_id: uuid.UUID,
    data: DissolveIn,
) -> OrganizationWritten:
    """Dissolve an organization that has no active organizations below it."""
    org = await _for_write(session, principal, organization_id)
    day = _effective_day(data.effective_on)
    children = await repository.active_children(session, org.id)
    if children:
        names = ", ".join(c.name for c in children[:5])
        raise HasActiveChildren(
            f"{org.name} still has {len(children)} active organization(s) under it ({names}); "
            "dissolve them, move them or merge this organization into another first.",
            details={"children": [str(c.id) for c in children]},
        )
    await _not_before_latest_change(session, [org.id], day)
    await _no_child_activity_after(session, org, day)
    before = to_public(org)
    org.status = OrganizationStatus.dissolved.value
    org.dissolved_on = day
    org.updated_at = utcnow()
    await repository.snapshot_version(session, org, day)
    await _record(
        session,
        principal,
        publisher,
        org,
        ChangeKind.dissolved,
        day,
        {"note": data.note},
        before,
    )
    await _publish_ended(session, publisher, org, day, "dissolved")
    return OrganizationWritten(**to_public(org).model_dump())


async def _publish_ended(
    session: AsyncSession, publisher: EventPublisher, org: Organization, day: date, reason: str
) -> None:
    # Besides `changed`, an end has its own event: subscribers that stop per-member funds
    # or allowances listen to this one alone, whether the organization was dissolved or merged.
    await publisher.publish(
        session,
        type=DISSOLVED,
        subject=org.id,
        data={
            "effective_on": day.isoformat(),
            "reason": reason,
            "merged_into_id": _str(org.merged_into_id),
            "organization": to_public(org).model_dump(mode="json"),
        },
    )


# --- member counts ------------------------------------------------------------------------


async def report_member_counts(
    *,
    session: AsyncSession,
    principal: Principal,
    organization_id: uuid.UUID,
    data: MemberCountsIn,
) -> OrganizationWritten:
    """Record the member counts of a day and check the size rules against them.

    A report dated before the newest one is kept as history; the current counts on the
    organization are the newest report's.
    """
    org = await _for_write(session, principal, organization_id, active=False)
    day = _effective_day(data.as_of, "as_of")
    if day < org.founded_on:
        raise InvalidOrganization(
            f"{org.name} was founded on {org.founded_on.isoformat()}; there are no counts "
            "before that.",
            code="before_founding",
            details={"field": "as_of", "founded_on": org.founded_on.isoformat()},
        )
    if org.dissolved_on is not None and day >= org.dissolved_on:
        raise OrganizationNotActive(
            f"{org.name} ended on {org.dissolved_on.isoformat()}; counts can be reported only "
            "for days before that.",
            details={"field": "as_of", "dissolved_on": org.dissolved_on.isoformat()},
        )
    version = await repository.version_on(session, org.id, day, true())
    assert version is not None  # founded on or before `day` and not ended: a version holds
    functional = (
        version.kind == OrganizationKind.branch and version.formation == Formation.dispatched
    )
    if data.dispatched_members is not None and not functional:
        raise InvalidOrganization(
            "dispatched_members is reported only for a functional branch.",
            code="not_a_functional_branch",
            details={"field": "dispatched_members"},
        )
    warnings = _apply_rules(
        rules.SizeFacts(
            kind=OrganizationKind(version.kind),
            formation=Formation(version.formation),
            full_members=data.full_members,
            probationary_members=data.probationary_members,
            dispatched_members=data.dispatched_members,
            committee_size=data.committee_size,
        ),
        rules.Moment.member_counts,
    )
    before = to_public(org)
    counts = OrganizationMemberCount(
        organization_id=org.id,
        as_of=day,
        full_members=data.full_members,
        probationary_members=data.probationary_members,
        dispatched_members=data.dispatched_members,
        committee_size=data.committee_size,
        recorded_by=principal.subject,
    )
    await repository.add_member_counts(session, counts)
    if org.member_counts_as_of is None or day >= org.member_counts_as_of:
        org.full_members = data.full_members
        org.probationary_members = data.probationary_members
        org.dispatched_members = data.dispatched_members
        org.committee_size = data.committee_size
        org.member_counts_as_of = day
        org.updated_at = utcnow()
    await record_audit(
        session,
        principal=principal,
        action="organization.member_counts",
        entity_type="organization",
        entity_id=org.id,
        before=before.model_dump(mode="json"),
        after={
            **to_public(org).model_dump(mode="json"),
            "reported": data.model_dump(mode="json") | {"as_of": day.isoformat()},
        },
    )
    return OrganizationWritten(**to_public(org).model_dump(), warnings=warnings)
