"""Rules on reported members: a sync client's report becomes a lead, matched to a member by the
keyed hash of the ID number or left for the responsible organization to confirm or reject.

Whom a report may name: a person with a valid ID number, working at an enterprise in the
client's places (org-service decides which those are). Who decides on a lead: the
organization that answers for the enterprise (the one covering it, else its district's
working committee) and those above it. Confirming brings the member record in at the
reported stage with the days the organization gives; the pipeline's timing rules apply
to those days as to any record brought in.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from member_service.access import reach
from member_service.leads import repository
from member_service.leads.client import Employer, employers_of
from member_service.leads.models import LeadStatus, MemberLead, ReportedStage, utcnow
from member_service.leads.schemas import (
    LeadConfirm,
    LeadPublic,
    LeadReject,
    MemberReport,
    SyncMemberReport,
)
from member_service.members import service as members
from member_service.members.id_numbers import (
    IdNumber,
    IdNumberCipher,
    InvalidIdNumber,
    Sealed,
    mask,
    parse,
)
from member_service.members.models import Stage
from member_service.members.schemas import MemberCreate
from member_service.references import service as references
from member_service.references.client import OrgServiceClient
from member_service.temporal import today
from service_kit.audit import AuditEntry, record_audit, record_audits
from service_kit.auth import Principal
from service_kit.bulk import (
    BulkResult,
    Outcome,
    RecordOutcome,
    Rejected,
    log_batch,
    parse_record,
    rejected,
    summarize,
)
from service_kit.errors import Conflict, Forbidden, NotFound
from service_kit.events import EventPublisher
from service_kit.http import HttpClient
from service_kit.pagination import Page, PageParams

SYNC_WRITE = "sync:write"
SYNC_READ = "sync:read"
MEMBERS = "members"
KINDS = (MEMBERS,)
CREDIT_CODE_LENGTH = 18


class LeadNotFound(NotFound):
    code = "lead_not_found"
    message = "No lead with this id (or it is outside what you may see)."


class LeadDecided(Conflict):
    code = "lead_decided"


class NotResponsible(Forbidden):
    code = "not_responsible"
    message = (
        "Only the organization responsible for the reporting enterprise (or one above it) "
        "decides on its leads."
    )


def _json(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


# ----------------------------------------------------------------------------- reports


@dataclass
class Report:
    index: int
    record: MemberReport
    number: IdNumber
    credit_code: str
    digest: bytes = b""
    employer: Employer | None = None


def _read_report(index: int, value: Any, day: date) -> Report:
    record = parse_record(MemberReport, value)
    try:
        number = parse(record.id_number, today=day)
    except InvalidIdNumber as exc:
        raise Rejected.from_app_error(exc, "id_number") from exc
    if record.joined_on is not None and record.joined_on > day:
        raise Rejected(
            "date_in_future",
            f"joined_on ({record.joined_on.isoformat()}) cannot be later than today.",
            "joined_on",
        )
    code = "".join(record.employer_credit_code.split()).upper()
    if len(code) != CREDIT_CODE_LENGTH:
        raise Rejected(
            "invalid_credit_code",
            f"A unified social credit code has 18 characters; this one has {len(code)}.",
            "employer_credit_code",
        )
    return Report(index, record, number, code)


def _reported_values(report: Report) -> dict[str, Any]:
    """What a report sets on its lead (the ID number is the lead's key and never changes)."""
    record, employer = report.record, report.employer
    assert employer is not None
    return {
        "external_id": record.external_id,
        "employer_credit_code": report.credit_code,
        "responsible_organization_id": employer.responsible_organization_id,
        "name": record.name,
        "phone": record.phone,
        "reported_stage": record.stage.value,
        "joined_on": record.joined_on,
        "home_organization": record.home_organization,
    }


@dataclass
class LeadWrite:
    index: int
    lead_id: uuid.UUID
    outcome: Outcome
    row: dict[str, Any]
    before: dict[str, Any] | None
    after: dict[str, Any]


def _plan(
    report: Report,
    current: MemberLead | None,
    member_id: uuid.UUID | None,
    client: str,
    cipher: IdNumberCipher,
    now: datetime,
) -> LeadWrite:
    values = _reported_values(report)
    assert report.employer is not None
    if current is None:
        lead_id = uuid.uuid4()
        sealed = cipher.seal(report.number.value, lead_id)
        status = LeadStatus.matched if member_id is not None else LeadStatus.pending
        row = {
            "id": lead_id,
            "client": client,
            "employer_id": report.employer.work_target_id,
            **values,
            "gender": report.number.gender,
            "birth_date": report.number.birth_date,
            "id_number_key_id": sealed.key_id,
            "id_number_nonce": sealed.nonce,
            "id_number_ciphertext": sealed.ciphertext,
            "id_number_hash": report.digest,
            "status": status.value,
            "member_id": member_id,
            "decided_at": None,
            "decided_by": None,
            "decision_note": None,
            "reported_at": now,
            "created_at": now,
            "updated_at": now,
        }
        after = {
            **{k: _json(v) for k, v in values.items()},
            "id_number": report.number.masked,
            "status": status.value,
            "member_id": _json(member_id),
        }
        return LeadWrite(report.index, lead_id, Outcome.created, row, None, after)
    changed = {k: v for k, v in values.items() if getattr(current, k) != v}
    current_status: str = current.status
    matched = current.member_id
    if current_status == LeadStatus.pending and member_id is not None:
        current_status, matched = LeadStatus.matched.value, member_id
        changed.update(status=current_status, member_id=matched)
    row = {
        "id": current.id,
        **values,
        "status": current_status,
        "member_id": matched,
        "reported_at": now,
        "updated_at": now,
    }
    before = {k: _json(getattr(current, k)) for k in changed}
    after = {k: _json(v) for k, v in changed.items()}
    outcome = Outcome.updated if changed else Outcome.unchanged
    return LeadWrite(report.index, current.id, outcome, row, before, after)


async def sync_members(
    *,
    session: AsyncSession,
    principal: Principal,
    http: HttpClient,
    org: OrgServiceClient,
    org_service_url: str,
    cipher: IdNumberCipher,
    records: Sequence[Any],
    idempotency_key: str | None,
) -> BulkResult:
    """Match each reported member by ID number, else keep them as a lead; one outcome each."""
    # The reporting enterprises are looked up with the client's token, which must let it
    # read its own units back.
    principal.require_scope(SYNC_READ)
    day = today()
    outcomes: list[RecordOutcome] = []
    reports: list[Report] = []
    for index, value in enumerate(records):
        try:
            reports.append(_read_report(index, value, day))
        except Rejected as exc:
            key = value.get("external_id") if isinstance(value, dict) else None
            outcomes.append(rejected(index, exc.error, str(key)[:100] if key else None))
    employers = await employers_of(
        http, org_service_url, principal, [r.credit_code for r in reports]
    )
    accepted: list[Report] = []
    first_seen: dict[tuple[uuid.UUID, bytes], int] = {}
    for report in reports:
        report.employer = employers.get(report.credit_code)
        report.digest = cipher.digest(report.number.value)
        key = report.record.external_id
        if report.employer is None:
            outcomes.append(
                rejected(
                    report.index,
                    Rejected(
                        "employer_not_in_your_places",
                        f"No unit with credit code {report.credit_code} is registered in your "
                        "places: check the code, or push the unit to /sync/work-targets first.",
                        "employer_credit_code",
                    ).error,
                    key,
                )
            )
            continue
        pair = (report.employer.work_target_id, report.digest)
        if pair in first_seen:
            outcomes.append(
                rejected(
                    report.index,
                    Rejected(
                        "duplicate_in_batch",
                        f"This person is reported for the same enterprise at index "
                        f"{first_seen[pair]} of this batch already; send each person once.",
                        "id_number",
                    ).error,
                    key,
                )
            )
            continue
        first_seen[pair] = report.index
        accepted.append(report)
    digests = list({r.digest for r in accepted})
    stored = await repository.lock_reports(session, principal.subject, digests)
    matched = await repository.members_by_hash(session, digests)
    responsible = sorted(
        {
            r.employer.responsible_organization_id
            for r in accepted
            if r.employer and r.employer.responsible_organization_id
        }
    )
    # Held here so that the responsible organization's people find their leads.
    await references.ensure_organizations(session=session, org=org, ids=responsible)
    now = utcnow()
    writes = []
    for report in accepted:
        assert report.employer is not None
        current = stored.get((report.employer.work_target_id, report.digest))
        writes.append(
            _plan(report, current, matched.get(report.digest), principal.subject, cipher, now)
        )
    await repository.insert_leads(session, [w.row for w in writes if w.outcome == Outcome.created])
    await repository.update_leads(session, [w.row for w in writes if w.outcome == Outcome.updated])
    await record_audits(
        session,
        principal=principal,
        entries=[
            AuditEntry(
                f"lead.sync_{w.outcome.value[:-1]}", "member_lead", w.lead_id, w.before, w.after
            )
            for w in writes
            if w.outcome != Outcome.unchanged
        ],
    )
    keys = {r.index: r.record.external_id for r in accepted}
    outcomes.extend(
        RecordOutcome(index=w.index, outcome=w.outcome, key=keys[w.index], id=w.lead_id)
        for w in writes
    )
    outcomes.sort(key=lambda o: o.index)
    result = summarize(uuid.uuid4(), MEMBERS, outcomes)
    await log_batch(
        session,
        principal=principal,
        kind=MEMBERS,
        idempotency_key=idempotency_key,
        result=result,
    )
    return result


# ----------------------------------------------------------------------------- reading


def _sealed(lead: MemberLead) -> Sealed:
    return Sealed(lead.id_number_key_id, lead.id_number_nonce, lead.id_number_ciphertext)


def lead_public(lead: MemberLead, cipher: IdNumberCipher, principal: Principal) -> LeadPublic:
    """The lead as the caller may see it: the ID number masked unless they hold member:pii."""
    number = cipher.open(_sealed(lead), lead.id)
    reveal = principal.has_scope(members.PII_SCOPE)
    return LeadPublic.model_validate(
        {
            **lead.model_dump(
                exclude={"id_number_key_id", "id_number_nonce", "id_number_ciphertext"}
            ),
            "id_number": number if reveal else mask(number),
            "id_number_masked": not reveal,
        }
    )


def visible_leads(principal: Principal) -> Any:
    """A WHERE clause on MemberLead: leads of the organizations the caller reaches."""
    return reach(principal).clause(MemberLead.responsible_organization_id)


async def get(
    *, session: AsyncSession, principal: Principal, lead_id: uuid.UUID, for_update: bool = False
) -> MemberLead:
    """The lead if the caller may see it, else lead_not_found."""
    lead = await repository.get_visible(
        session, lead_id, visible_leads(principal), for_update=for_update
    )
    if lead is None:
        raise LeadNotFound(details={"id": str(lead_id)})
    return lead


async def list_public(
    *,
    session: AsyncSession,
    principal: Principal,
    cipher: IdNumberCipher,
    page: PageParams,
    ids: Sequence[uuid.UUID] | None,
    organization_id: uuid.UUID | None,
    status: LeadStatus | None,
    employer_id: uuid.UUID | None,
) -> Page[LeadPublic]:
    """Leads the caller may see, by name; with `ids` exactly those (hidden ones left out)."""
    where = visible_leads(principal)
    if ids is not None:
        rows = await repository.get_many(session, ids, where)
        return Page(items=[lead_public(lead, cipher, principal) for lead in rows])
    result = await repository.page(
        session,
        page,
        where,
        organization_id=organization_id,
        status=status.value if status else None,
        employer_id=employer_id,
    )
    return Page(
        items=[lead_public(lead, cipher, principal) for lead in result.rows],
        next_cursor=result.next_cursor,
        cursors=result.cursors,
    )


async def read_reports(
    *,
    session: AsyncSession,
    principal: Principal,
    cipher: IdNumberCipher,
    page: PageParams,
    external_id: str | None,
) -> Page[SyncMemberReport]:
    """The calling client's own reports, oldest first (what became of them is not said)."""
    result = await repository.page_reports(
        session, page, client=principal.subject, external_id=external_id
    )
    items = [
        SyncMemberReport(
            id=lead.id,
            external_id=lead.external_id,
            employer_credit_code=lead.employer_credit_code,
            name=lead.name,
            id_number=mask(cipher.open(_sealed(lead), lead.id)),
            stage=ReportedStage(lead.reported_stage),
            joined_on=lead.joined_on,
            home_organization=lead.home_organization,
            reported_at=lead.reported_at,
        )
        for lead in result.rows
    ]
    return Page(items=items, next_cursor=result.next_cursor, cursors=result.cursors)


def log_subject(principal: Principal, client: str | None) -> str | None:
    """Whose batches the caller may read: city-wide roles anyone's, a client its own."""
    return client if principal.is_city_wide else principal.subject


# ----------------------------------------------------------------------------- decisions


async def _for_decision(
    session: AsyncSession, principal: Principal, lead_id: uuid.UUID
) -> MemberLead:
    """The lead, locked, still open, and the caller's to decide on."""
    lead = await get(session=session, principal=principal, lead_id=lead_id, for_update=True)
    writable = reach(principal, writing=True).clause(MemberLead.responsible_organization_id)
    if await repository.get_visible(session, lead.id, writable) is None:
        raise NotResponsible(details={"id": str(lead.id)})
    if lead.status == LeadStatus.matched:
        raise LeadDecided(
            "This person is a member already (matched by ID number): there is nothing to "
            "confirm or reject.",
            code="lead_matched",
            details={"id": str(lead.id), "member_id": str(lead.member_id)},
        )
    if lead.status != LeadStatus.pending:
        raise LeadDecided(
            f"This lead was {lead.status} on {lead.decided_at:%Y-%m-%d} by {lead.decided_by}.",
            details={"id": str(lead.id), "status": lead.status},
        )
    return lead


async def confirm(
    *,
    session: AsyncSession,
    principal: Principal,
    publisher: EventPublisher,
    org: OrgServiceClient,
    cipher: IdNumberCipher,
    lead_id: uuid.UUID,
    data: LeadConfirm,
) -> LeadPublic:
    """Bring the reported person in as a member, with the days the organization gives."""
    lead = await _for_decision(session, principal, lead_id)
    before = lead_public(lead, cipher, principal).model_dump(mode="json", exclude={"id_number"})
    stage = data.stage or ReportedStage(lead.reported_stage)
    record = MemberCreate(
        name=lead.name,
        id_number=cipher.open(_sealed(lead), lead.id),
        phone=lead.phone,
        employer_id=lead.employer_id,
        ethnicity=data.ethnicity,
        education=data.education,
        organization_id=data.organization_id,
        serving_organization_id=data.serving_organization_id,
        stage=Stage(stage.value),
        applied_on=data.applied_on,
        activist_on=data.activist_on,
        development_target_on=data.development_target_on,
        admitted_on=data.admitted_on or lead.joined_on,
        full_member_on=data.full_member_on if stage == ReportedStage.full_member else None,
    )
    # The lead is the authority to bring the record in: the responsible organization
    # confirms what a registered client reported, where otherwise only member:admin
    # may bring in a record beyond an applicant's.
    importer = dataclasses.replace(principal, scopes=principal.scopes | {members.ADMIN_SCOPE})
    created = await members.create(
        session=session,
        principal=importer,
        publisher=publisher,
        org=org,
        cipher=cipher,
        data=record,
    )
    lead.status = LeadStatus.confirmed.value
    lead.member_id = created.id
    lead.decided_at = lead.updated_at = utcnow()
    lead.decided_by = principal.subject
    lead.decision_note = data.note
    session.add(lead)
    await session.flush()
    public = lead_public(lead, cipher, principal)
    await record_audit(
        session,
        principal=principal,
        action="lead.confirm",
        entity_type="member_lead",
        entity_id=lead.id,
        before=before,
        after=public.model_dump(mode="json", exclude={"id_number"}),
    )
    return public


async def reject(
    *,
    session: AsyncSession,
    principal: Principal,
    cipher: IdNumberCipher,
    lead_id: uuid.UUID,
    data: LeadReject,
) -> LeadPublic:
    """Record that the reported person is not to be brought in, and why."""
    lead = await _for_decision(session, principal, lead_id)
    before = lead_public(lead, cipher, principal).model_dump(mode="json", exclude={"id_number"})
    lead.status = LeadStatus.rejected.value
    lead.decided_at = lead.updated_at = utcnow()
    lead.decided_by = principal.subject
    lead.decision_note = data.reason
    session.add(lead)
    await session.flush()
    public = lead_public(lead, cipher, principal)
    await record_audit(
        session,
        principal=principal,
        action="lead.reject",
        entity_type="member_lead",
        entity_id=lead.id,
        before=before,
        after=public.model_dump(mode="json", exclude={"id_number"}),
    )
    return public
