"""Rules on members: registration and bringing in records, the pipeline's steps, counts, lookups.

History: the `member` row is the current state; every step also closes the open
`member_version` and opens the next one, appends a `stage_change` entry to the member's
archive, writes an audit record and publishes `member.stage.changed`, all in the same
transaction. Steps are kept in date order per member.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlmodel.ext.asyncio.session import AsyncSession

from member_service import policy_keys
from member_service.access import reach, reached, reaches, visible_members, writable_members
from member_service.archive import service as archive
from member_service.archive.models import EntryKind
from member_service.members import repository, rules
from member_service.members.id_numbers import IdNumber, IdNumberCipher, Sealed, mask, parse
from member_service.members.models import (
    ENDED,
    PIPELINE,
    STAGE_DATE_FIELDS,
    Admission,
    Member,
    MemberTraining,
    MemberVersion,
    Origin,
    Stage,
    utcnow,
)
from member_service.members.schemas import (
    BulkCreated,
    HistoryPublic,
    MemberCount,
    MemberCounts,
    MemberCreate,
    MemberPublic,
    MemberUpdate,
    OrganizationMembers,
    OrganizationMembersList,
    ProbationExtension,
    ReEncrypted,
    RulePublic,
    ServingOrganizationChange,
    StageChange,
    TrainingCreate,
    TrainingPublic,
    VersionPublic,
)
from member_service.quotas import repository as quota_repository
from member_service.quotas.models import QuotaDraw
from member_service.references import service as references
from member_service.references.client import OrgServiceClient
from member_service.temporal import past_or_today, today
from service_kit.audit import record_audit
from service_kit.auth import Principal
from service_kit.errors import Conflict, Forbidden, NotFound, Unprocessable, naming_item
from service_kit.events import EventPublisher, NewEvent
from service_kit.pagination import Page, PageParams, encode_cursor
from service_kit.policy import value_on

STAGE_CHANGED = "member.stage.changed"
PII_SCOPE = "member:pii"
ADMIN_SCOPE = "member:admin"


class MemberNotFound(NotFound):
    code = "member_not_found"
    message = "No member with this id (or it is outside what you may see)."


class MemberExists(Conflict):
    code = "member_exists"


class DuplicateIdNumber(Conflict):
    code = "duplicate_id_number"
    message = "A member with this ID card number is recorded already."


class IdNumberMismatch(Unprocessable):
    code = "id_number_mismatch"


class StageDatesInvalid(Unprocessable):
    code = "stage_dates_invalid"


class AdmissionFactsMissing(Unprocessable):
    code = "admission_facts_missing"


class EmployerNotFound(Unprocessable):
    code = "employer_not_found"


class NotProbationary(Conflict):
    code = "not_probationary"


class MemberEnded(Conflict):
    code = "member_ended"


class InvalidTraining(Unprocessable):
    code = "invalid_training"


# --- shared pieces ------------------------------------------------------------------------


def cipher_of(request: Request) -> IdNumberCipher:
    cipher: IdNumberCipher = request.app.state.id_number_cipher
    return cipher


CipherDep = Annotated[IdNumberCipher, Depends(cipher_of)]


def sealed_of(member: Member) -> Sealed:
    return Sealed(member.id_number_key_id, member.id_number_nonce, member.id_number_ciphertext)


def age_on(birth_date: date, day: date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


SEALED_COLUMNS = frozenset({"id_number_key_id", "id_number_nonce", "id_number_ciphertext"})


def public_of(values: dict[str, Any], *, cipher: IdNumberCipher, reveal: bool) -> MemberPublic:
    """The record (its column values) as the caller may see it: the ID number masked unless
    `reveal`."""
    sealed = Sealed(
        values["id_number_key_id"], values["id_number_nonce"], values["id_number_ciphertext"]
    )
    number = cipher.open(sealed, values["id"])
    return MemberPublic.model_validate(
        {
            **{k: v for k, v in values.items() if k not in SEALED_COLUMNS},
            "age": age_on(values["birth_date"], today()),
            "id_number": number if reveal else mask(number),
            "id_number_masked": not reveal,
            "party_standing_since": values["full_member_on"],
            "dispatched": values["serving_organization_id"] != values["organization_id"],
        }
    )


def to_public(member: Member, *, cipher: IdNumberCipher, reveal: bool) -> MemberPublic:
    return public_of(member.model_dump(), cipher=cipher, reveal=reveal)


def public_for(member: Member, cipher: IdNumberCipher, principal: Principal) -> MemberPublic:
    return to_public(member, cipher=cipher, reveal=principal.has_scope(PII_SCOPE))


def _audit_view(member: Member, cipher: IdNumberCipher) -> dict[str, Any]:
    """What the audit keeps of a member: never the ID number in full."""
    return to_public(member, cipher=cipher, reveal=False).model_dump(mode="json")


async def get(*, session: AsyncSession, principal: Principal, member_id: uuid.UUID) -> Member:
    """The member if the caller may see them, else member_not_found."""
    member = await repository.get_visible(session, member_id, visible_members(principal))
    if member is None:
        raise MemberNotFound(details={"id": str(member_id)})
    return member


async def for_write(*, session: AsyncSession, principal: Principal, member_id: uuid.UUID) -> Member:
    """The member, locked, if the caller may change them (hidden: 404; only visible: 403)."""
    member = await get(session=session, principal=principal, member_id=member_id)
    if await repository.get_visible(session, member.id, writable_members(principal)) is None:
        raise Forbidden(
            "Only the member's home organization (or those above it) may change their record.",
            details={"id": str(member.id)},
        )
    locked = await repository.lock(session, member.id)
    assert locked is not None
    return locked


async def writable_organization(
    session: AsyncSession,
    org: OrgServiceClient,
    principal: Principal,
    organization_id: uuid.UUID,
    field: str,
) -> None:
    """An active organization the caller may act in (422 unknown or ended, 403 outside reach)."""
    await references.active_organization(
        session=session, org=org, organization_id=organization_id, field=field
    )
    if not await reaches(session, principal, organization_id, writing=True):
        raise Forbidden(
            f"{field}: the organization lies outside the part of the city you act for.",
            code="organization_outside_scope",
            details={"field": field, "organization_id": str(organization_id)},
        )


async def roll_version(session: AsyncSession, member: Member, day: date) -> None:
    """Close the open version at `day` and open one with the member's current state."""
    current = await repository.open_version(session, member.id)
    if current is not None and current.valid_from == day:
        current.stage = member.stage
        current.organization_id = member.organization_id
        current.serving_organization_id = member.serving_organization_id
        session.add(current)
        await session.flush()
        return
    if current is not None:
        current.valid_to = day
        session.add(current)
        await session.flush()  # the open row closes before the next one opens
    session.add(
        MemberVersion(
            member_id=member.id,
            valid_from=day,
            stage=member.stage,
            organization_id=member.organization_id,
            serving_organization_id=member.serving_organization_id,
        )
    )
    await session.flush()


async def latest_step_on(session: AsyncSession, member: Member) -> date:
    current = await repository.open_version(session, member.id)
    return current.valid_from if current is not None else member.applied_on


def stage_event(
    member: Member | dict[str, Any], from_stage: str | None, to_stage: str, day: date
) -> dict[str, Any]:
    """`data` of member.stage.changed (the agreed contract)."""
    values = member if isinstance(member, dict) else member.model_dump()
    return {
        "member_id": str(values["id"]),
        "organization_id": str(values["organization_id"]),
        "serving_organization_id": str(values["serving_organization_id"]),
        "from_stage": from_stage,
        "to_stage": to_stage,
        "effective_on": day.isoformat(),
    }


# --- registration and bringing in records ---------------------------------------------------


@dataclass
class Prepared:
    """A member ready to be written (column values, for one multi-row insert per table of a
    batch), with the versions and stages that the write records beside it."""

    member: dict[str, Any]
    versions: list[dict[str, Any]]
    steps: list[tuple[Stage, date]] = field(default_factory=list)


def _check_identity(data: MemberCreate, number: IdNumber) -> None:
    if data.birth_date is not None and data.birth_date != number.birth_date:
        raise IdNumberMismatch(
            f"birth_date {data.birth_date.isoformat()} differs from the date in the ID number "
            f"({number.birth_date.isoformat()}); leave it out or correct one of them.",
            details={"field": "birth_date", "from_id_number": number.birth_date.isoformat()},
        )
    if data.gender is not None and data.gender != number.gender:
        raise IdNumberMismatch(
            f"gender {data.gender} differs from the ID number's 17th digit ({number.gender}).",
            details={"field": "gender", "from_id_number": number.gender},
        )


def _stage_steps(data: MemberCreate, applied_on: date) -> list[tuple[Stage, date]]:
    """The day each stage up to data.stage was reached, checked against the timing rules."""
    given = {
        Stage.applicant: applied_on,
        Stage.activist: data.activist_on,
        Stage.development_target: data.development_target_on,
        Stage.probationary_member: data.admitted_on,
        Stage.full_member: data.full_member_on,
    }
    reached = PIPELINE[: PIPELINE.index(Stage(data.stage)) + 1]
    missing = [STAGE_DATE_FIELDS[s] for s in reached if given[s] is None]
    beyond = [STAGE_DATE_FIELDS[s] for s in PIPELINE if s not in reached and given[s] is not None]
    if missing or beyond:
        raise StageDatesInvalid(
            f"A record at stage {data.stage} gives the day of every stage up to it and of no "
            "stage beyond it.",
            details={"missing": missing, "beyond_stage": beyond},
        )
    steps: list[tuple[Stage, date]] = []
    for stage in reached:
        day = given[stage]
        assert day is not None
        past_or_today(day, STAGE_DATE_FIELDS[stage])
        if steps:
            rules.check_date_order(steps[-1][1], day)
        if stage == Stage.development_target and data.activist_on is not None:
            rules.check_activist_year(data.activist_on, day)
        if stage == Stage.full_member and data.admitted_on is not None:
            rules.check_probation(rules.probation_end(data.admitted_on, None), day)
        steps.append((stage, day))
    return steps


def _prepare(
    data: MemberCreate, cipher: IdNumberCipher, principal: Principal
) -> tuple[Prepared, IdNumber]:
    number = parse(data.id_number, today=today())
    _check_identity(data, number)
    applied_on = past_or_today(data.applied_on, "applied_on")
    rules.check_applicant_age(number.birth_date, applied_on)
    if data.stage != Stage.applicant:
        principal.require_scope(ADMIN_SCOPE)
    steps = _stage_steps(data, applied_on)
    member_id = data.id or uuid.uuid4()
    sealed = cipher.seal(number.value, member_id)
    serving = data.serving_organization_id or data.organization_id
    stage = Stage(data.stage)
    admitted_on = (
        data.admitted_on if stage in (Stage.probationary_member, Stage.full_member) else None
    )
    now = utcnow()
    member = {
        "id": member_id,
        "name": data.name,
        "gender": number.gender,
        "ethnicity": data.ethnicity,
        "birth_date": number.birth_date,
        "id_number_key_id": sealed.key_id,
        "id_number_nonce": sealed.nonce,
        "id_number_ciphertext": sealed.ciphertext,
        "id_number_hash": cipher.digest(number.value),
        "education": data.education.value if data.education else None,
        "phone": data.phone,
        "employer_id": data.employer_id,
        "stage": stage.value,
        "applied_on": applied_on,
        "activist_on": data.activist_on,
        "development_target_on": data.development_target_on,
        "admitted_on": admitted_on,
        "probation_ends_on": rules.probation_end(admitted_on, None) if admitted_on else None,
        "probation_extended_months": None,
        "full_member_on": data.full_member_on,
        "ended_on": None,
        "end_reason": None,
        "organization_id": data.organization_id,
        "serving_organization_id": serving,
        "origin": (Origin.registered if stage == Stage.applicant else Origin.imported).value,
        "created_at": now,
        "updated_at": now,
    }
    versions = [
        {
            "id": uuid.uuid4(),
            "member_id": member_id,
            "valid_from": day,
            "valid_to": steps[i + 1][1] if i + 1 < len(steps) else None,
            "stage": step.value,
            "organization_id": data.organization_id,
            "serving_organization_id": serving,
        }
        for i, (step, day) in enumerate(steps)
        if i + 1 >= len(steps) or steps[i + 1][1] != day  # two steps of one day: the later one
    ]
    return Prepared(member, versions, steps), number


def _chain_for(prepared: Prepared, recorded_by: str) -> list[dict[str, Any]]:
    """The first archive entries of a new member: one per stage reached."""
    member = prepared.member
    imported = member["origin"] == Origin.imported
    return archive.new_chain(
        member["id"],
        [
            archive.ChainItem(
                EntryKind.stage_change,
                day,
                {
                    "from_stage": prepared.steps[i - 1][0].value if i else None,
                    "to_stage": stage.value,
                    "organization_id": str(member["organization_id"]),
                    **({"imported": True} if imported else {}),
                },
            )
            for i, (stage, day) in enumerate(prepared.steps)
        ],
        recorded_by=recorded_by,
    )


async def _check_references(
    session: AsyncSession,
    org: OrgServiceClient,
    principal: Principal,
    items: Sequence[MemberCreate],
) -> None:
    """Every organization named is known and active, each home one within the caller's reach,
    every employer a work target (each checked once, however many members name it)."""
    homes = sorted({i.organization_id for i in items})
    serving = sorted(
        {i.serving_organization_id for i in items if i.serving_organization_id} - set(homes)
    )
    known = await references.ensure_organizations(session=session, org=org, ids=[*homes, *serving])
    for field_name, ids in (("organization_id", homes), ("serving_organization_id", serving)):
        for organization_id in ids:
            references.check_active(known.get(organization_id), organization_id, field_name)
    for organization_id in homes:
        if not await reaches(session, principal, organization_id, writing=True):
            raise Forbidden(
                "organization_id: the organization lies outside the part of the city you act for.",
                code="organization_outside_scope",
                details={"field": "organization_id", "organization_id": str(organization_id)},
            )
    employers = sorted({i.employer_id for i in items if i.employer_id})
    if employers:
        found = {uuid.UUID(str(t["id"])) for t in await org.work_targets(employers)}
        unknown = [e for e in employers if e not in found]
        if unknown:
            raise EmployerNotFound(
                "employer_id: org-service knows no work target with id "
                + ", ".join(str(u) for u in unknown)
                + ".",
                details={"field": "employer_id", "work_target_ids": [str(u) for u in unknown]},
            )


async def _check_new(session: AsyncSession, prepared: Sequence[Prepared]) -> None:
    digests = [p.member["id_number_hash"] for p in prepared]
    if len(set(digests)) != len(digests):
        raise DuplicateIdNumber(
            "The same ID card number appears twice among the members sent.",
            details={"reason": "repeated_in_request"},
        )
    if await repository.existing_hashes(session, digests):
        raise DuplicateIdNumber(details={"reason": "recorded_already"})
    ids = [p.member["id"] for p in prepared]
    if len(set(ids)) != len(ids) or await repository.existing_ids(session, ids):
        raise MemberExists(
            "A member with this id exists already (or an id is repeated among those sent).",
            details={"ids": [str(i) for i in ids] if len(ids) == 1 else None},
        )


async def _write_new(
    session: AsyncSession,
    principal: Principal,
    publisher: EventPublisher,
    cipher: IdNumberCipher,
    prepared: Sequence[Prepared],
) -> None:
    """One multi-row insert per table, however many members (ORM objects cost more than the
    rows they write at this volume)."""
    await repository.insert_new(
        session,
        members=[p.member for p in prepared],
        versions=[v for p in prepared for v in p.versions],
    )
    await archive.insert_new_chains(
        session, [e for p in prepared for e in _chain_for(p, principal.subject)]
    )
    for p in prepared:
        member = p.member
        await record_audit(
            session,
            principal=principal,
            action="member.import" if member["origin"] == Origin.imported else "member.register",
            entity_type="member",
            entity_id=member["id"],
            after=public_of(member, cipher=cipher, reveal=False).model_dump(mode="json"),
        )
    await publisher.publish_many(
        session,
        [
            NewEvent(
                type=STAGE_CHANGED,
                subject=p.member["id"],
                data=stage_event(p.member, None, p.steps[-1][0].value, p.steps[-1][1]),
            )
            for p in prepared
        ],
    )


async def create(
    *,
    session: AsyncSession,
    principal: Principal,
    publisher: EventPublisher,
    org: OrgServiceClient,
    cipher: IdNumberCipher,
    data: MemberCreate,
) -> MemberPublic:
    """Register an applicant (18 or older), or bring in an existing record (member:admin)."""
    prepared, _ = _prepare(data, cipher, principal)
    await _check_references(session, org, principal, [data])
    await _check_new(session, [prepared])
    await _write_new(session, principal, publisher, cipher, [prepared])
    return public_of(prepared.member, cipher=cipher, reveal=principal.has_scope(PII_SCOPE))


async def create_many(
    *,
    session: AsyncSession,
    principal: Principal,
    publisher: EventPublisher,
    org: OrgServiceClient,
    cipher: IdNumberCipher,
    items: Sequence[MemberCreate],
) -> BulkCreated:
    """Several members at once: all of them, or (on the first refusal) none."""
    prepared = []
    for index, item in enumerate(items):
        with naming_item(index):
            prepared.append(_prepare(item, cipher, principal)[0])
    await _check_references(session, org, principal, items)
    await _check_new(session, prepared)
    await _write_new(session, principal, publisher, cipher, prepared)
    return BulkCreated(ids=[p.member["id"] for p in prepared])


# --- reading ------------------------------------------------------------------------------


async def get_public(
    *, session: AsyncSession, principal: Principal, cipher: IdNumberCipher, member_id: uuid.UUID
) -> MemberPublic:
    """One member the caller may see."""
    member = await get(session=session, principal=principal, member_id=member_id)
    return public_for(member, cipher, principal)


async def list_public(
    *,
    session: AsyncSession,
    principal: Principal,
    cipher: IdNumberCipher,
    page: PageParams,
    ids: Sequence[uuid.UUID] | None,
    organization_id: uuid.UUID | None,
    serving_organization_id: uuid.UUID | None,
    stage: Stage | None,
) -> Page[MemberPublic]:
    """Members the caller may see, by name; with `ids` exactly those (hidden ones left out)."""
    where = visible_members(principal)
    if ids is not None:
        rows = await repository.get_many(session, ids, where)
        return Page(items=[public_for(m, cipher, principal) for m in rows])
    result = await repository.page(
        session,
        page,
        where,
        organization_id=organization_id,
        serving_organization_id=serving_organization_id,
        stage=stage.value if stage else None,
    )
    return Page(
        items=[public_for(m, cipher, principal) for m in result.rows],
        next_cursor=result.next_cursor,
        cursors=result.cursors,
    )


# Members one batch may return: organizations asked for × limit.
MAX_FIRST_MEMBERS = 10_000


class TooManyMembersAsked(Unprocessable):
    code = "too_many_members_asked"
    message = (
        f"organization_ids × limit may be at most {MAX_FIRST_MEMBERS}; ask for fewer "
        "organizations at once or a smaller limit."
    )


async def first_members(
    *,
    session: AsyncSession,
    principal: Principal,
    cipher: IdNumberCipher,
    organization_ids: Sequence[uuid.UUID],
    limit: int,
    stage: Stage | None,
) -> OrganizationMembersList:
    """The first page of members of each organization, as GET /members would page each."""
    wanted = list(dict.fromkeys(organization_ids))
    if len(wanted) * limit > MAX_FIRST_MEMBERS:
        raise TooManyMembersAsked(details={"organizations": len(wanted), "limit": limit})
    rows = await repository.first_of_organizations(
        session,
        wanted,
        visible_members(principal),
        limit=limit + 1,
        stage=stage.value if stage else None,
    )
    by_organization: dict[uuid.UUID, list[Member]] = {o: [] for o in wanted}
    for member in rows:
        by_organization[member.organization_id].append(member)
    items = []
    for organization_id, found in by_organization.items():
        shown = found[:limit]
        cursors = [encode_cursor([m.name, m.id]) for m in shown]
        items.append(
            OrganizationMembers(
                organization_id=organization_id,
                items=[public_for(m, cipher, principal) for m in shown],
                cursors=cursors,
                next_cursor=cursors[-1] if len(found) > limit else None,
            )
        )
    return OrganizationMembersList(items=items)


async def lookup(
    *, session: AsyncSession, principal: Principal, cipher: IdNumberCipher, id_number: str
) -> MemberPublic:
    """The member holding this ID number, by its keyed hash (nothing is decrypted to search)."""
    number = parse(id_number, today=today())
    member = await repository.by_id_number_hash(
        session, cipher.digest(number.value), visible_members(principal)
    )
    if member is None:
        raise MemberNotFound(
            "No member you may see holds this ID card number.", details={"reason": "id_number"}
        )
    return public_for(member, cipher, principal)


async def history(
    *, session: AsyncSession, principal: Principal, member_id: uuid.UUID
) -> HistoryPublic:
    """The member's stages and organizations over time."""
    member = await get(session=session, principal=principal, member_id=member_id)
    rows = await repository.versions(session, member.id)
    return HistoryPublic(
        member_id=member.id, versions=[VersionPublic.model_validate(v) for v in rows]
    )


async def counts(
    *,
    session: AsyncSession,
    principal: Principal,
    organization_ids: Sequence[uuid.UUID],
    as_of: date,
) -> MemberCounts:
    """Full and probationary members whose home each organization was on `as_of`."""
    scope = reach(principal)
    wanted = list(dict.fromkeys(organization_ids))
    if not scope.everything:
        reached_ones = await reached(session, principal, wanted, writing=False)
        wanted = [o for o in wanted if o in reached_ones]
    found = await repository.counts_on(session, wanted, as_of)
    return MemberCounts(
        items=[
            MemberCount(
                organization_id=o,
                full_members=found.get(o, (0, 0))[0],
                probationary_members=found.get(o, (0, 0))[1],
            )
            for o in wanted
        ]
    )


def rule_table() -> list[RulePublic]:
    """The pipeline's rules, as the checks apply them."""
    return [RulePublic(id=r.id, description=r.description) for r in rules.RULES]


# --- changes ------------------------------------------------------------------------------


async def update(
    *,
    session: AsyncSession,
    principal: Principal,
    org: OrgServiceClient,
    cipher: IdNumberCipher,
    member_id: uuid.UUID,
    data: MemberUpdate,
) -> MemberPublic:
    """Change the record's descriptive fields, or correct its ID number (member:pii)."""
    member = await for_write(session=session, principal=principal, member_id=member_id)
    changes = data.model_dump(exclude_unset=True)
    for required in ("name", "id_number"):
        if required in changes and changes[required] is None:
            raise Unprocessable(f"{required} cannot be cleared.", code=f"{required}_required")
    corrected = changes.pop("id_number", None)
    if changes.get("employer_id") is not None:
        employer = changes["employer_id"]
        if not await org.work_targets([employer]):
            raise EmployerNotFound(
                f"employer_id: org-service knows no work target with id {employer}.",
                details={"field": "employer_id"},
            )
    before = _audit_view(member, cipher)
    if corrected is not None:
        await _correct_id_number(session, principal, cipher, member, corrected)
    for name, value in changes.items():
        setattr(member, name, value.value if hasattr(value, "value") else value)
    member.updated_at = utcnow()
    session.add(member)
    await session.flush()
    await record_audit(
        session,
        principal=principal,
        action="member.update",
        entity_type="member",
        entity_id=member.id,
        before=before,
        after=_audit_view(member, cipher),
    )
    return public_for(member, cipher, principal)


async def _correct_id_number(
    session: AsyncSession,
    principal: Principal,
    cipher: IdNumberCipher,
    member: Member,
    raw: str,
) -> None:
    """A mistyped ID number replaced: sealed and hashed anew, birth date and gender with it."""
    principal.require_scope(PII_SCOPE)
    number = parse(raw, today=today())
    rules.check_applicant_age(number.birth_date, member.applied_on)
    digest = cipher.digest(number.value)
    if digest == member.id_number_hash:
        return
    if await repository.existing_hashes(session, [digest]):
        raise DuplicateIdNumber(details={"reason": "recorded_already"})
    sealed = cipher.seal(number.value, member.id)
    member.id_number_key_id = sealed.key_id
    member.id_number_nonce = sealed.nonce
    member.id_number_ciphertext = sealed.ciphertext
    member.id_number_hash = digest
    member.birth_date = number.birth_date
    member.gender = number.gender


async def _admit(
    session: AsyncSession,
    principal: Principal,
    org: OrgServiceClient,
    member: Member,
    data: StageChange,
    day: date,
) -> dict[str, Any]:
    """The checks of admission, then the quota draw; returns the facts for the archive."""
    missing = [
        name
        for name in ("introducer_ids", "public_notice_started_on", "branch_meeting")
        if getattr(data, name) is None
    ]
    if missing:
        raise AdmissionFactsMissing(
            "Admission to probation records the introducers, the start of the public notice "
            "and the branch meeting's vote: " + ", ".join(missing) + " missing.",
            details={"missing": missing},
        )
    assert data.introducer_ids is not None
    assert data.public_notice_started_on is not None
    assert data.branch_meeting is not None
    introducers = list(dict.fromkeys(data.introducer_ids))
    stages = await repository.stages_on(session, introducers, day)
    rules.check_introducers(
        member.id,
        data.introducer_ids,
        [rules.Introducer(i, stages.get(i)) for i in introducers],
    )
    trainings = await repository.trainings(session, member.id)
    rules.check_training(
        [
            rules.TrainingFact(t.started_on, t.ended_on, t.days, t.class_hours)
            for t in trainings
            if t.kind == "intensive"
        ],
        day,
    )
    holidays = [
        date.fromisoformat(d) for d in await value_on(session, policy_keys.PUBLIC_HOLIDAYS, day)
    ]
    rules.check_public_notice(data.public_notice_started_on, day, holidays)
    meeting = data.branch_meeting
    if (
        meeting.present_voters > meeting.entitled_voters
        or meeting.votes_for > meeting.present_voters
    ):
        raise Unprocessable(
            "branch_meeting: present_voters cannot exceed entitled_voters, nor votes_for "
            "present_voters.",
            code="invalid_branch_meeting",
            details={"field": "branch_meeting"},
        )
    rules.check_branch_meeting(meeting.entitled_voters, meeting.present_voters, meeting.votes_for)
    home = (
        await references.ensure_organizations(
            session=session, org=org, ids=[member.organization_id]
        )
    ).get(member.organization_id)
    district = await references.district_of(session, home.region_id) if home else None
    if district is None:
        raise rules.RuleBroken(
            rules.QUOTA,
            "The home organization's district is not known, so no quota can be drawn.",
            code="development_quota_missing",
        )
    quota_id = await quota_repository.draw(session, district.id, day.year)
    if quota_id is None:
        quota = await quota_repository.get(session, district.id, day.year)
        if quota is None:
            raise rules.RuleBroken(
                rules.QUOTA,
                f"{district.name} has no development quota for {day.year}; the city allocates "
                "one first.",
                code="development_quota_missing",
                region_id=district.id,
                year=day.year,
            )
        raise rules.RuleBroken(
            rules.QUOTA,
            f"{district.name} has used all {quota.allocated} places of its {day.year} development "
            f"quota; the city may allocate more for {day.year}, or a vote held in {day.year + 1} "
            "draws on that year's quota.",
            code="development_quota_exhausted",
            region_id=district.id,
            year=day.year,
            allocated=quota.allocated,
            used=quota.used,
        )
    first, second = introducers
    session.add(
        Admission(
            member_id=member.id,
            voted_on=day,
            public_notice_started_on=data.public_notice_started_on,
            entitled_voters=meeting.entitled_voters,
            present_voters=meeting.present_voters,
            votes_for=meeting.votes_for,
            introducer_1_id=first,
            introducer_2_id=second,
            quota_id=quota_id,
            recorded_by=principal.subject,
        )
    )
    session.add(
        QuotaDraw(
            quota_id=quota_id,
            member_id=member.id,
            organization_id=member.organization_id,
            drawn_on=day,
        )
    )
    return {
        "introducer_ids": [str(first), str(second)],
        "public_notice_started_on": data.public_notice_started_on.isoformat(),
        "branch_meeting": meeting.model_dump(),
        "quota_id": str(quota_id),
        "district_id": str(district.id),
    }


async def change_stage(
    *,
    session: AsyncSession,
    principal: Principal,
    publisher: EventPublisher,
    org: OrgServiceClient,
    cipher: IdNumberCipher,
    member_id: uuid.UUID,
    data: StageChange,
) -> MemberPublic:
    """One step along the pipeline, or the end of the record (left, deceased)."""
    member = await for_write(session=session, principal=principal, member_id=member_id)
    current, target = Stage(member.stage), Stage(data.to_stage)
    rules.check_next_stage(current, target)
    day = past_or_today(data.effective_on, "effective_on")
    rules.check_date_order(await latest_step_on(session, member), day)
    before = _audit_view(member, cipher)
    facts: dict[str, Any] = {}
    if target == Stage.development_target:
        assert member.activist_on is not None
        rules.check_activist_year(member.activist_on, day)
    if target == Stage.probationary_member:
        facts = await _admit(session, principal, org, member, data, day)
        member.admitted_on = day
        member.probation_ends_on = rules.probation_end(day, None)
    if target == Stage.full_member:
        assert member.probation_ends_on is not None
        rules.check_probation(member.probation_ends_on, day)
    if target in ENDED:
        member.ended_on = day
        member.end_reason = data.reason
    else:
        setattr(member, STAGE_DATE_FIELDS[target], day)
    member.stage = target.value
    member.updated_at = utcnow()
    session.add(member)
    await session.flush()
    await roll_version(session, member, day)
    await archive.append(
        session,
        member_id=member.id,
        kind=EntryKind.stage_change,
        occurred_on=day,
        payload={
            "from_stage": current.value,
            "to_stage": target.value,
            "organization_id": str(member.organization_id),
            **({"reason": data.reason} if data.reason else {}),
            **facts,
        },
        recorded_by=principal.subject,
    )
    await record_audit(
        session,
        principal=principal,
        action="member.stage_change",
        entity_type="member",
        entity_id=member.id,
        before=before,
        after={**_audit_view(member, cipher), "step": {"to_stage": target.value, **facts}},
    )
    await publisher.publish(
        session,
        type=STAGE_CHANGED,
        subject=member.id,
        data=stage_event(member, current.value, target.value, day),
    )
    return public_for(member, cipher, principal)


async def extend_probation(
    *,
    session: AsyncSession,
    principal: Principal,
    cipher: IdNumberCipher,
    member_id: uuid.UUID,
    data: ProbationExtension,
) -> MemberPublic:
    """Extend probation once, by 6 to 12 months, while it runs."""
    member = await for_write(session=session, principal=principal, member_id=member_id)
    if member.stage != Stage.probationary_member or member.admitted_on is None:
        raise NotProbationary(
            f"Only a probationary member's probation can be extended; this member is a "
            f"{member.stage}.",
            details={"stage": member.stage},
        )
    day = past_or_today(data.decided_on, "decided_on")
    rules.check_date_order(await latest_step_on(session, member), day)
    assert member.probation_ends_on is not None
    rules.check_extension(
        member.probation_extended_months, data.months, member.probation_ends_on, day
    )
    before = _audit_view(member, cipher)
    member.probation_extended_months = data.months
    member.probation_ends_on = rules.probation_end(member.admitted_on, data.months)
    member.updated_at = utcnow()
    session.add(member)
    await session.flush()
    await archive.append(
        session,
        member_id=member.id,
        kind=EntryKind.stage_change,
        occurred_on=day,
        payload={
            "from_stage": member.stage,
            "to_stage": member.stage,
            "probation_extended_months": data.months,
            "probation_ends_on": member.probation_ends_on.isoformat(),
            **({"reason": data.reason} if data.reason else {}),
        },
        recorded_by=principal.subject,
    )
    await record_audit(
        session,
        principal=principal,
        action="member.extend_probation",
        entity_type="member",
        entity_id=member.id,
        before=before,
        after=_audit_view(member, cipher),
    )
    return public_for(member, cipher, principal)


async def change_serving_organization(
    *,
    session: AsyncSession,
    principal: Principal,
    org: OrgServiceClient,
    cipher: IdNumberCipher,
    member_id: uuid.UUID,
    data: ServingOrganizationChange,
) -> MemberPublic:
    """Dispatch the member to serve elsewhere (or bring them back); the home stays."""
    member = await for_write(session=session, principal=principal, member_id=member_id)
    if Stage(member.stage) in ENDED:
        raise MemberEnded(f"The member's record has ended ({member.stage}).")
    await references.active_organization(
        session=session,
        org=org,
        organization_id=data.serving_organization_id,
        field="serving_organization_id",
    )
    if data.serving_organization_id == member.serving_organization_id:
        raise Unprocessable(
            "The member serves in this organization already.", code="nothing_to_change"
        )
    day = past_or_today(data.effective_on, "effective_on")
    rules.check_date_order(await latest_step_on(session, member), day)
    before = _audit_view(member, cipher)
    member.serving_organization_id = data.serving_organization_id
    member.updated_at = utcnow()
    session.add(member)
    await session.flush()
    await roll_version(session, member, day)
    await record_audit(
        session,
        principal=principal,
        action="member.serving_organization",
        entity_type="member",
        entity_id=member.id,
        before=before,
        after={**_audit_view(member, cipher), "effective_on": day.isoformat()},
    )
    return public_for(member, cipher, principal)


async def add_training(
    *, session: AsyncSession, principal: Principal, member_id: uuid.UUID, data: TrainingCreate
) -> TrainingPublic:
    """Record a completed training; it goes into the archive too."""
    member = await for_write(session=session, principal=principal, member_id=member_id)
    if data.ended_on < data.started_on:
        raise InvalidTraining(
            "ended_on cannot be before started_on.", details={"field": "ended_on"}
        )
    past_or_today(data.ended_on, "ended_on")
    days = data.days or (data.ended_on - data.started_on).days + 1
    if days > (data.ended_on - data.started_on).days + 1:
        raise InvalidTraining(
            "days cannot exceed the calendar days from started_on to ended_on.",
            details={"field": "days"},
        )
    entry = await archive.append(
        session,
        member_id=member.id,
        kind=EntryKind.training,
        occurred_on=data.ended_on,
        payload={**data.model_dump(mode="json"), "days": days},
        recorded_by=principal.subject,
    )
    training = MemberTraining(
        member_id=member.id,
        kind=data.kind.value,
        title=data.title,
        provider=data.provider,
        started_on=data.started_on,
        ended_on=data.ended_on,
        days=days,
        class_hours=data.class_hours,
        archive_entry_id=entry.id,
        recorded_by=principal.subject,
    )
    session.add(training)
    await session.flush()
    public = TrainingPublic.model_validate(training)
    await record_audit(
        session,
        principal=principal,
        action="member.training",
        entity_type="member_training",
        entity_id=training.id,
        after=public.model_dump(mode="json"),
    )
    return public


async def list_trainings(
    *, session: AsyncSession, principal: Principal, member_id: uuid.UUID
) -> list[TrainingPublic]:
    """The member's recorded trainings, oldest first."""
    member = await get(session=session, principal=principal, member_id=member_id)
    return [
        TrainingPublic.model_validate(t) for t in await repository.trainings(session, member.id)
    ]


async def re_encrypt(
    *, session: AsyncSession, principal: Principal, cipher: IdNumberCipher, limit: int
) -> ReEncrypted:
    """Move up to `limit` ID numbers onto the current key (the last step of a key rotation)."""
    rows = await repository.not_under_key(session, cipher.current_key_id, limit)
    for member in rows:
        sealed = cipher.seal(cipher.open(sealed_of(member), member.id), member.id)
        member.id_number_key_id = sealed.key_id
        member.id_number_nonce = sealed.nonce
        member.id_number_ciphertext = sealed.ciphertext
        session.add(member)
    await session.flush()
    remaining = await repository.count_not_under_key(session, cipher.current_key_id)
    await record_audit(
        session,
        principal=principal,
        action="member.re_encrypt_id_numbers",
        entity_type="id_number_key",
        entity_id=cipher.current_key_id,
        after={"re_encrypted": len(rows), "remaining": remaining},
    )
    return ReEncrypted(
        re_encrypted=len(rows), remaining=remaining, current_key=cipher.current_key_id
    )
