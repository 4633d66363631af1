"""HTTP endpoints of period runs (/period-runs) and what each run paid or skipped."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from funding_service.deps import MemberDep, OrgDep, ReachDep, SettingsDep
from funding_service.idempotency import IdempotencyDep
from funding_service.roster.service import Roster
from funding_service.runs import repository, service
from funding_service.runs.models import LineStatus, RunKind
from funding_service.runs.schemas import PeriodLinePublic, PeriodRunCreate, PeriodRunPublic
from funding_service.upstream.client import UPSTREAM_RESPONSES as UPSTREAM
from service_kit.auth import Principal, require_scope
from service_kit.db import SessionDep
from service_kit.deps import PublisherDep
from service_kit.pagination import Page, PageParamsDep, parse_ids

router = APIRouter(prefix="/period-runs", tags=["period runs"])

ReadPrincipal = Annotated[Principal, require_scope("funding:read")]
WritePrincipal = Annotated[Principal, require_scope("funding:write")]


@router.post(
    "",
    response_model=PeriodRunPublic,
    status_code=status.HTTP_201_CREATED,
    operation_id="run_period",
    responses=UPSTREAM,
)
async def run_period(
    data: PeriodRunCreate,
    session: SessionDep,
    principal: WritePrincipal,
    publisher: PublisherDep,
    org: OrgDep,
    member: MemberDep,
    settings: SettingsDep,
    idempotency: IdempotencyDep,
) -> PeriodRunPublic:
    """Pay a month's secretary allowances or a year's per-member or operating funds.

    A period pays each payee once: running it again pays only what is still owed (for
    example after a budget was raised), and reports everyone else as skipped with why.
    """

    async def act() -> PeriodRunPublic:
        roster = Roster(session, member, settings.roster_source)
        made = await service.run(
            session=session,
            principal=principal,
            publisher=publisher,
            org=org,
            roster=roster,
            data=data,
        )
        return service.run_public(made)

    return await idempotency.run(session, body=data, result_type=PeriodRunPublic, action=act)


@router.get("", response_model=Page[PeriodRunPublic], operation_id="list_period_runs")
async def list_period_runs(
    session: SessionDep,
    principal: ReadPrincipal,
    page: PageParamsDep,
    ids: Annotated[str | None, Query(description="comma-separated ids: a batch get")] = None,
    kind: RunKind | None = None,
    period: Annotated[str | None, Query(pattern=r"^\d{4}(-(0[1-9]|1[0-2]))?$")] = None,
) -> Page[PeriodRunPublic]:
    """Runs, oldest first: their totals (the lines say who was paid)."""
    wanted = parse_ids(ids)
    if wanted is not None:
        return Page(
            items=[service.run_public(r) for r in await repository.get_many(session, wanted)]
        )
    result = await repository.page_runs(
        session, page, kind=kind.value if kind else None, period=period
    )
    return Page(
        items=[service.run_public(r) for r in result.rows],
        next_cursor=result.next_cursor,
        cursors=result.cursors,
    )


@router.get("/{run_id}", response_model=PeriodRunPublic, operation_id="get_period_run")
async def get_period_run(
    run_id: uuid.UUID, session: SessionDep, principal: ReadPrincipal
) -> PeriodRunPublic:
    """One run and its totals."""
    return service.run_public(await service.get(session=session, run_id=run_id))


@router.get(
    "/{run_id}/lines",
    response_model=Page[PeriodLinePublic],
    operation_id="list_period_run_lines",
    responses=UPSTREAM,
)
async def list_period_run_lines(
    run_id: uuid.UUID,
    session: SessionDep,
    principal: ReadPrincipal,
    reach: ReachDep,
    page: PageParamsDep,
    status: LineStatus | None = None,
    reason: Annotated[str | None, Query(max_length=50)] = None,
) -> Page[PeriodLinePublic]:
    """What the run paid, to whom and on what basis, and what it skipped and why."""
    found = await service.get(session=session, run_id=run_id)
    result = await repository.page_lines(
        session,
        page,
        found.id,
        service.visible_lines(reach),
        status=status.value if status else None,
        reason=reason,
    )
    return Page(
        items=[service.line_public(line) for line in result.rows],
        next_cursor=result.next_cursor,
        cursors=result.cursors,
    )
