"""HTTP endpoints of the ledger: /accounts (with their entries) and /transfers (with reversals)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status
from sqlalchemy import and_
from sqlmodel import col

from funding_service.deps import OrgDep, ReachDep
from funding_service.idempotency import IdempotencyDep
from funding_service.ledger import repository, service
from funding_service.ledger.models import Account, AccountKind, TransferKind
from funding_service.ledger.schemas import (
    AccountCreate,
    AccountPublic,
    EntryPublic,
    ReversalCreate,
    TransferCreate,
    TransferPublic,
)
from funding_service.upstream.client import UPSTREAM_RESPONSES as UPSTREAM
from service_kit.auth import Principal, require_scope
from service_kit.db import SessionDep
from service_kit.deps import PublisherDep
from service_kit.pagination import Page, PageParamsDep, parse_ids

accounts = APIRouter(prefix="/accounts", tags=["ledger"])
transfers = APIRouter(prefix="/transfers", tags=["ledger"])

ReadPrincipal = Annotated[Principal, require_scope("funding:read")]
WritePrincipal = Annotated[Principal, require_scope("funding:write")]
Ids = Annotated[str | None, Query(description="comma-separated ids: a batch get")]


@accounts.post(
    "",
    response_model=AccountPublic,
    status_code=status.HTTP_201_CREATED,
    operation_id="open_account",
    responses=UPSTREAM,
)
async def open_account(
    data: AccountCreate,
    session: SessionDep,
    principal: WritePrincipal,
    org: OrgDep,
    idempotency: IdempotencyDep,
) -> AccountPublic:
    """Open an organization's account for a budget line, or a payee's account."""

    async def act() -> AccountPublic:
        account = await service.open_account(
            session=session, principal=principal, org=org, data=data
        )
        return await service.account_public(session, account)

    return await idempotency.run(session, body=data, result_type=AccountPublic, action=act)


@accounts.get(
    "/{account_id}", response_model=AccountPublic, operation_id="get_account", responses=UPSTREAM
)
async def get_account(
    account_id: uuid.UUID, session: SessionDep, principal: ReadPrincipal, reach: ReachDep
) -> AccountPublic:
    """One account with its balance (always the sum of its entries)."""
    account = await service.get_account(session=session, reach=reach, account_id=account_id)
    return await service.account_public(session, account)


@accounts.get(
    "", response_model=Page[AccountPublic], operation_id="list_accounts", responses=UPSTREAM
)
async def list_accounts(
    session: SessionDep,
    principal: ReadPrincipal,
    reach: ReachDep,
    page: PageParamsDep,
    ids: Ids = None,
    kind: AccountKind | None = None,
    organization_id: uuid.UUID | None = None,
    organization_ids: Annotated[
        str | None,
        Query(description="comma-separated organization ids: the accounts of many at once"),
    ] = None,
    member_id: uuid.UUID | None = None,
    district_id: uuid.UUID | None = None,
) -> Page[AccountPublic]:
    """Accounts the caller may see by kind and name; with `ids`, exactly those (others left out)."""
    where = service.visible_accounts(reach)
    organizations = parse_ids(organization_ids)
    if organizations is not None:
        where = and_(where, col(Account.organization_id).in_(organizations))
    wanted = parse_ids(ids)
    if wanted is not None:
        rows = await repository.get_accounts(session, wanted, where)
        return Page(items=await service.account_public_many(session, rows))
    result = await repository.page_accounts(
        session,
        page,
        where,
        kind=kind.value if kind else None,
        organization_id=organization_id,
        member_id=member_id,
        district_id=district_id,
    )
    return Page(
        items=await service.account_public_many(session, result.rows),
        next_cursor=result.next_cursor,
        cursors=result.cursors,
    )


@accounts.get(
    "/{account_id}/entries",
    response_model=Page[EntryPublic],
    operation_id="list_account_entries",
    responses=UPSTREAM,
)
async def list_account_entries(
    account_id: uuid.UUID,
    session: SessionDep,
    principal: ReadPrincipal,
    reach: ReachDep,
    page: PageParamsDep,
) -> Page[EntryPublic]:
    """The account's entries in posting order, each with the balance it left."""
    account = await service.get_account(session=session, reach=reach, account_id=account_id)
    result = await repository.page_entries(session, page, account.id)
    kinds = await repository.transfer_kinds(session, (e.transfer_id for e in result.rows))
    return Page(
        items=[
            EntryPublic.model_validate({**e.model_dump(), "kind": kinds[e.transfer_id]})
            for e in result.rows
        ],
        next_cursor=result.next_cursor,
        cursors=result.cursors,
    )


@transfers.post(
    "",
    response_model=TransferPublic,
    status_code=status.HTTP_201_CREATED,
    operation_id="create_transfer",
    responses=UPSTREAM,
)
async def create_transfer(
    data: TransferCreate,
    session: SessionDep,
    principal: WritePrincipal,
    publisher: PublisherDep,
    reach: ReachDep,
    idempotency: IdempotencyDep,
) -> TransferPublic:
    """Appropriate, disburse or reallocate funds; refused whole if it overdraws or overruns."""

    async def act() -> TransferPublic:
        made = await service.transfer(
            session=session, principal=principal, publisher=publisher, reach=reach, data=data
        )
        return service.transfer_public(made)

    return await idempotency.run(session, body=data, result_type=TransferPublic, action=act)


@transfers.post(
    "/{transfer_id}/reversal",
    response_model=TransferPublic,
    status_code=status.HTTP_201_CREATED,
    operation_id="reverse_transfer",
    responses=UPSTREAM,
)
async def reverse_transfer(
    transfer_id: uuid.UUID,
    data: ReversalCreate,
    session: SessionDep,
    principal: WritePrincipal,
    publisher: PublisherDep,
    reach: ReachDep,
    idempotency: IdempotencyDep,
) -> TransferPublic:
    """Undo a transfer by a new one in the opposite direction; a transfer is reversed once."""

    async def act() -> TransferPublic:
        made = await service.reverse(
            session=session,
            principal=principal,
            publisher=publisher,
            reach=reach,
            transfer_id=transfer_id,
            data=data,
        )
        return service.transfer_public(made)

    return await idempotency.run(session, body=data, result_type=TransferPublic, action=act)


@transfers.get(
    "/{transfer_id}", response_model=TransferPublic, operation_id="get_transfer", responses=UPSTREAM
)
async def get_transfer(
    transfer_id: uuid.UUID, session: SessionDep, principal: ReadPrincipal, reach: ReachDep
) -> TransferPublic:
    """One transfer, if the caller may see one of its two accounts."""
    found = await service.get_transfer(session=session, reach=reach, transfer_id=transfer_id)
    return service.transfer_public(found)


@transfers.get(
    "", response_model=Page[TransferPublic], operation_id="list_transfers", responses=UPSTREAM
)
async def list_transfers(
    session: SessionDep,
    principal: ReadPrincipal,
    reach: ReachDep,
    page: PageParamsDep,
    ids: Ids = None,
    account_id: Annotated[
        uuid.UUID | None, Query(description="transfers debiting or crediting this account")
    ] = None,
    kind: TransferKind | None = None,
    period_run_id: uuid.UUID | None = None,
    budget_id: uuid.UUID | None = None,
) -> Page[TransferPublic]:
    """Transfers touching an account the caller may see, oldest first."""
    where = repository.visible_transfers(
        service.visible_accounts(reach), everything=reach.everything
    )
    wanted = parse_ids(ids)
    if wanted is not None:
        rows = await repository.get_transfers(session, wanted, where)
        return Page(items=[service.transfer_public(t) for t in rows])
    result = await repository.page_transfers(
        session,
        page,
        where,
        account_id=account_id,
        kind=kind.value if kind else None,
        period_run_id=period_run_id,
        budget_id=budget_id,
    )
    return Page(
        items=[service.transfer_public(t) for t in result.rows],
        next_cursor=result.next_cursor,
        cursors=result.cursors,
    )
