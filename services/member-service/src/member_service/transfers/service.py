"""Rules on transfers of the membership relation.

The home organization issues a letter (initiate); the receiving organization accepts or
rejects it while it is valid (3 months); after acceptance the receipt comes back to the
sending organization. A letter not decided in time expires. A transfer to a body outside
the city's system ends the member's record here (stage transferred_out): the sending side
records the outcome.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from member_service.access import reach, reaches
from member_service.archive import service as archive
from member_service.archive.models import EntryKind
from member_service.members import repository as member_repository
from member_service.members import rules
from member_service.members import service as members
from member_service.members.id_numbers import IdNumberCipher
from member_service.members.models import PARTY_MEMBERS, Member, Stage
from member_service.references import service as references
from member_service.references.client import OrgServiceClient
from member_service.temporal import add_months, past_or_today, today
from member_service.transfers import repository
from member_service.transfers.models import Transfer, TransferStatus, utcnow
from member_service.transfers.schemas import (
    TransferCreate,
    TransferDecision,
    TransferPublic,
    TransferReceipt,
    TransferRejection,
)
from service_kit.audit import record_audit
from service_kit.auth import Principal
from service_kit.errors import Conflict, Forbidden, NotFound, Unprocessable
from service_kit.events import EventPublisher
from service_kit.pagination import Page, PageParams

TRANSFERRED = "member.transferred"
LETTER_MONTHS = 3


class TransferNotFound(NotFound):
    code = "transfer_not_found"
    message = "No transfer with this id (or it is outside what you may see)."


class InvalidTransfer(Unprocessable):
    code = "invalid_transfer"


class TransferPending(Conflict):
    code = "transfer_pending"


class TransferNotPending(Conflict):
    code = "transfer_not_pending"


class TransferExpired(Conflict):
    code = "transfer_letter_expired"


def status_of(transfer: Transfer, day: date | None = None) -> TransferStatus:
    """The status as of `day` (today): a pending letter past its validity has expired."""
    if transfer.status == TransferStatus.pending and (day or today()) >= transfer.expires_on:
        return TransferStatus.expired
    return TransferStatus(transfer.status)


def to_public(transfer: Transfer) -> TransferPublic:
    return TransferPublic.model_validate({**transfer.model_dump(), "status": status_of(transfer)})


def _visible(principal: Principal) -> Any:
    scope = reach(principal)
    clauses = [
        scope.clause(Transfer.from_organization_id),
        scope.clause(Transfer.to_organization_id),
    ]
    if principal.member_id is not None:
        clauses.append(Transfer.member_id == principal.member_id)
    return or_(*clauses)


async def get(*, session: AsyncSession, principal: Principal, transfer_id: uuid.UUID) -> Transfer:
    """The transfer if the caller may see it (either side, or the member themselves)."""
    transfer = await repository.get_visible(session, transfer_id, _visible(principal))
    if transfer is None:
        raise TransferNotFound(details={"id": str(transfer_id)})
    return transfer


async def _audit(
    session: AsyncSession,
    principal: Principal,
    action: str,
    transfer: Transfer,
    before: TransferPublic | None,
) -> None:
    await record_audit(
        session,
        principal=principal,
        action=action,
        entity_type="member_transfer",
        entity_id=transfer.id,
        before=before.model_dump(mode="json") if before else None,
        after=to_public(transfer).model_dump(mode="json"),
    )


async def initiate(
    *,
    session: AsyncSession,
    principal: Principal,
    org: OrgServiceClient,
    data: TransferCreate,
) -> TransferPublic:
    """Issue a transfer letter from the member's home organization (valid for 3 months)."""
    member = await members.for_write(session=session, principal=principal, member_id=data.member_id)
    if Stage(member.stage) not in PARTY_MEMBERS:
        raise InvalidTransfer(
            f"Only party members (probationary or full) have a membership relation to transfer; "
            f"this member is a {member.stage}.",
            code="transfer_needs_party_member",
            details={"stage": member.stage},
        )
    if (data.to_organization_id is None) == (data.destination_name is None):
        raise InvalidTransfer(
            "Give exactly one of to_organization_id (inside the system) and destination_name "
            "(outside it).",
            code="transfer_destination_required",
        )
    if data.to_organization_id is not None:
        known = await references.ensure_organizations(
            session=session, org=org, ids=[data.to_organization_id]
        )
        destination = known.get(data.to_organization_id)
        if destination is None:
            raise InvalidTransfer(
                f"to_organization_id: org-service knows no organization with id "
                f"{data.to_organization_id}; a transfer needs a receiving organization that "
                "exists (or destination_name for one outside the system).",
                code="transfer_destination_unknown",
                details={"field": "to_organization_id"},
            )
        if destination.status != "active":
            raise InvalidTransfer(
                f"{destination.name} has ended ({destination.status}); it cannot receive members.",
                code="transfer_destination_ended",
                details={"field": "to_organization_id"},
            )
        if destination.id == member.organization_id:
            raise InvalidTransfer(
                "The member's membership relation is held there already.",
                code="transfer_to_same_organization",
                details={"field": "to_organization_id"},
            )
    day = past_or_today(data.initiated_on, "initiated_on")
    pending = await repository.pending_of(session, member.id)
    if pending is not None:
        if status_of(pending) != TransferStatus.expired:
            raise TransferPending(
                f"A transfer letter of {pending.initiated_on.isoformat()} is still pending (valid "
                f"before {pending.expires_on.isoformat()}); it is accepted, rejected or expires "
                "first.",
                details={
                    "transfer_id": str(pending.id),
                    "expires_on": pending.expires_on.isoformat(),
                },
            )
        before = to_public(pending)
        pending.status = TransferStatus.expired.value
        pending.updated_at = utcnow()
        session.add(pending)
        await session.flush()
        await _audit(session, principal, "member_transfer.expire", pending, before)
    transfer = Transfer(
        member_id=member.id,
        from_organization_id=member.organization_id,
        to_organization_id=data.to_organization_id,
        destination_name=data.destination_name,
        initiated_on=day,
        expires_on=add_months(day, LETTER_MONTHS),
        note=data.note,
        initiated_by=principal.subject,
    )
    session.add(transfer)
    await session.flush()
    await _audit(session, principal, "member_transfer.initiate", transfer, None)
    return to_public(transfer)


async def _for_decision(
    session: AsyncSession, principal: Principal, transfer_id: uuid.UUID, decided_on: date | None
) -> tuple[Transfer, date]:
    """The pending transfer, locked, if the caller decides for the receiving side."""
    transfer = await get(session=session, principal=principal, transfer_id=transfer_id)
    deciding = transfer.to_organization_id or transfer.from_organization_id
    if not await reaches(session, principal, deciding, writing=True):
        raise Forbidden(
            "The receiving organization decides on a transfer (for a body outside the system, "
            "the sending organization records its answer).",
            details={"organization_id": str(deciding)},
        )
    transfer = await repository.lock(session, transfer.id)
    if transfer.status != TransferStatus.pending:
        raise TransferNotPending(
            f"The transfer is {transfer.status} already.", details={"status": transfer.status}
        )
    day = past_or_today(decided_on, "decided_on")
    if day < transfer.initiated_on:
        raise InvalidTransfer(
            f"decided_on cannot be before the letter's date ({transfer.initiated_on.isoformat()}).",
            code="decided_before_initiated",
            details={"field": "decided_on"},
        )
    if day >= transfer.expires_on:
        raise TransferExpired(
            f"The transfer letter was valid before {transfer.expires_on.isoformat()} (3 months "
            "from its date); the home organization issues a new one.",
            details={"expires_on": transfer.expires_on.isoformat()},
        )
    return transfer, day


async def accept(
    *,
    session: AsyncSession,
    principal: Principal,
    publisher: EventPublisher,
    cipher: IdNumberCipher,
    transfer_id: uuid.UUID,
    data: TransferDecision,
) -> TransferPublic:
    """The receiving organization takes the member in; the membership relation moves there."""
    transfer, day = await _for_decision(session, principal, transfer_id, data.decided_on)
    locked = await member_repository.lock(session, transfer.member_id)
    assert locked is not None
    member: Member = locked
    if (
        member.organization_id != transfer.from_organization_id
        or Stage(member.stage) not in PARTY_MEMBERS
    ):
        raise TransferNotPending(
            "The member's record changed since the letter was issued (another organization "
            "holds the membership relation, or the record ended).",
            details={"organization_id": str(member.organization_id), "stage": member.stage},
        )
    rules.check_date_order(await members.latest_step_on(session, member), day)
    before = to_public(transfer)
    member_before = members.public_for(member, cipher, principal).model_dump(mode="json")
    from_stage = member.stage
    if transfer.to_organization_id is not None:
        if member.serving_organization_id == member.organization_id:
            member.serving_organization_id = transfer.to_organization_id
        member.organization_id = transfer.to_organization_id
    else:
        member.stage = Stage.transferred_out.value
        member.ended_on = day
        member.end_reason = f"transferred to {transfer.destination_name}"
    member.updated_at = utcnow()
    session.add(member)
    transfer.status = TransferStatus.accepted.value
    transfer.decided_on = day
    transfer.decision_note = data.note
    transfer.updated_at = utcnow()
    session.add(transfer)
    await session.flush()
    await members.roll_version(session, member, day)
    await archive.append(
        session,
        member_id=member.id,
        kind=EntryKind.transfer,
        occurred_on=day,
        payload={
            "transfer_id": str(transfer.id),
            "from_organization_id": str(transfer.from_organization_id),
            "to_organization_id": str(transfer.to_organization_id)
            if transfer.to_organization_id
            else None,
            "destination_name": transfer.destination_name,
        },
        recorded_by=principal.subject,
    )
    await _audit(session, principal, "member_transfer.accept", transfer, before)
    await record_audit(
        session,
        principal=principal,
        action="member.transfer",
        entity_type="member",
        entity_id=member.id,
        before=member_before,
        after=members.public_for(member, cipher, principal).model_dump(mode="json"),
    )
    if transfer.to_organization_id is not None:
        await publisher.publish(
            session,
            type=TRANSFERRED,
            subject=member.id,
            data={
                "member_id": str(member.id),
                "from_organization_id": str(transfer.from_organization_id),
                "to_organization_id": str(transfer.to_organization_id),
                "effective_on": day.isoformat(),
                "stage": member.stage,
            },
        )
    else:
        # Leaving the system is a change of stage; its one event says so (no transfer
        # event, so that no subscriber counts the member's departure twice).
        await publisher.publish(
            session,
            type=members.STAGE_CHANGED,
            subject=member.id,
            data=members.stage_event(member, from_stage, member.stage, day),
        )
    return to_public(transfer)


async def reject(
    *,
    session: AsyncSession,
    principal: Principal,
    transfer_id: uuid.UUID,
    data: TransferRejection,
) -> TransferPublic:
    """The receiving organization refuses; the member stays where they are."""
    transfer, day = await _for_decision(session, principal, transfer_id, data.decided_on)
    before = to_public(transfer)
    transfer.status = TransferStatus.rejected.value
    transfer.decided_on = day
    transfer.decision_note = data.note
    transfer.updated_at = utcnow()
    session.add(transfer)
    await session.flush()
    await _audit(session, principal, "member_transfer.reject", transfer, before)
    return to_public(transfer)


async def record_receipt(
    *,
    session: AsyncSession,
    principal: Principal,
    transfer_id: uuid.UUID,
    data: TransferReceipt,
) -> TransferPublic:
    """The receipt of an accepted transfer came back to the sending organization."""
    transfer = await get(session=session, principal=principal, transfer_id=transfer_id)
    if not await reaches(session, principal, transfer.from_organization_id, writing=True) and not (
        transfer.to_organization_id
        and await reaches(session, principal, transfer.to_organization_id, writing=True)
    ):
        raise Forbidden("Only the sending or receiving organization records the receipt.")
    transfer = await repository.lock(session, transfer.id)
    if transfer.status != TransferStatus.accepted or transfer.decided_on is None:
        raise TransferNotPending(
            f"A receipt follows acceptance; this transfer is {status_of(transfer)}.",
            code="transfer_not_accepted",
            details={"status": status_of(transfer)},
        )
    if transfer.receipt_returned_on is not None:
        raise Conflict(
            f"The receipt came back on {transfer.receipt_returned_on.isoformat()} already.",
            code="receipt_recorded",
        )
    day = past_or_today(data.returned_on, "returned_on")
    if day < transfer.decided_on:
        raise InvalidTransfer(
            f"returned_on cannot be before the acceptance ({transfer.decided_on.isoformat()}).",
            code="receipt_before_acceptance",
            details={"field": "returned_on"},
        )
    before = to_public(transfer)
    transfer.receipt_returned_on = day
    transfer.updated_at = utcnow()
    session.add(transfer)
    await session.flush()
    await _audit(session, principal, "member_transfer.receipt", transfer, before)
    return to_public(transfer)


def _status_clause(status: TransferStatus | None) -> Any:
    if status is None:
        return None
    day = today()
    if status == TransferStatus.pending:
        return and_(col(Transfer.status) == "pending", col(Transfer.expires_on) > day)
    if status == TransferStatus.expired:
        return or_(
            col(Transfer.status) == "expired",
            and_(col(Transfer.status) == "pending", col(Transfer.expires_on) <= day),
        )
    return col(Transfer.status) == status.value


async def list_public(
    *,
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    member_id: uuid.UUID | None,
    organization_id: uuid.UUID | None,
    status: TransferStatus | None,
) -> Page[TransferPublic]:
    """Transfers the caller may see, oldest letter first."""
    result = await repository.page(
        session,
        page,
        _visible(principal),
        member_id=member_id,
        organization_id=organization_id,
        status=_status_clause(status),
    )
    return Page(
        items=[to_public(t) for t in result.rows],
        next_cursor=result.next_cursor,
        cursors=result.cursors,
    )
