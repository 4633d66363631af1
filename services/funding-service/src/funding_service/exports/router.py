"""HTTP endpoints of the finance bureau's pull (/exports/...): JSON pages, CSV and XLSX streams.

Every answer carries an ETag; a client that sends it back in If-None-Match gets 304 until
something it would see has changed.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from funding_service.budgets import repository as budget_repository
from funding_service.budgets import service as budget_service
from funding_service.budgets.models import BudgetLevel
from funding_service.budgets.schemas import BudgetPublic
from funding_service.deps import OrgDep, ReachDep
from funding_service.exports import service
from funding_service.exports.schemas import ExportFormat, LedgerLine
from funding_service.exports.xlsx import CONTENT_TYPE as XLSX
from funding_service.ledger import service as ledger
from funding_service.upstream.client import UpstreamUnavailable
from funding_service.upstream.org import OrgService
from service_kit.auth import Principal, require_scope
from service_kit.db import SessionDep
from service_kit.errors import ErrorResponse, Unprocessable
from service_kit.pagination import Page, PageParamsDep

router = APIRouter(prefix="/exports", tags=["finance bureau"])

ReadPrincipal = Annotated[Principal, require_scope("funding:read")]


def _responses(model: Any) -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            "description": "JSON (a page), CSV (UTF-8 with BOM) or XLSX, as `format` asks; "
            "amounts in CSV and XLSX are yuan with two decimals, and the last row is 合计",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                XLSX: {"schema": {"type": "string", "format": "binary"}},
            },
        },
        304: {"description": "not modified since the ETag sent in If-None-Match"},
        503: {"model": ErrorResponse, "description": UpstreamUnavailable.message},
    }


class RegionNotFound(Unprocessable):
    code = "region_not_found"
    message = "org-service knows no region with this id."


async def _filter(
    session: SessionDep,
    org: OrgService,
    reach: Any,
    fiscal_year: int | None,
    level: BudgetLevel | None,
    region_id: uuid.UUID | None,
    budget_line: str | None,
) -> service.Filter:
    if region_id is not None and not (await org.regions([region_id])):
        raise RegionNotFound(details={"region_id": str(region_id)})
    line_id = (await ledger.line_by_code(session, budget_line)).id if budget_line else None
    return service.Filter(
        fiscal_year=fiscal_year,
        level=level.value if level else None,
        region_id=region_id,
        line_id=line_id,
        reach=reach,
    )


FiscalYear = Annotated[int | None, Query(ge=2000, le=2100)]
LineCode = Annotated[str | None, Query(max_length=50, description="a budget line's code")]
Format = Annotated[ExportFormat, Query(alias="format")]
IfNoneMatch = Annotated[str | None, Header(alias="If-None-Match")]


def _stream(body: Any, fmt: ExportFormat, name: str, tag: str) -> StreamingResponse:
    media = "text/csv; charset=utf-8" if fmt == ExportFormat.csv else XLSX
    return StreamingResponse(
        body,
        media_type=media,
        headers={
            "ETag": tag,
            "Content-Disposition": f'attachment; filename="{name}.{fmt.value}"',
        },
    )


@router.get(
    "/budget-execution",
    response_model=Page[BudgetPublic],
    operation_id="export_budget_execution",
    responses=_responses(BudgetPublic),
)
async def export_budget_execution(
    request: Request,
    session: SessionDep,
    principal: ReadPrincipal,
    reach: ReachDep,
    org: OrgDep,
    page: PageParamsDep,
    fiscal_year: FiscalYear = None,
    level: BudgetLevel | None = None,
    region_id: uuid.UUID | None = None,
    budget_line: LineCode = None,
    fmt: Format = ExportFormat.json,
    if_none_match: IfNoneMatch = None,
) -> Any:
    """Budgets and their execution by fiscal year, level, region and budget line."""
    where = await _filter(session, org, reach, fiscal_year, level, region_id, budget_line)
    tag = await service.etag(
        session, "budget-execution", list(request.query_params.multi_items()), reach
    )
    if service.matches(if_none_match, tag):
        return Response(status_code=304, headers={"ETag": tag})
    if fmt != ExportFormat.json:
        body = service.export_stream(
            request.app.state.database, service.execution_sheet(where), fmt.value
        )
        return _stream(body, fmt, "budget-execution", tag)
    result = await budget_repository.page(
        session,
        page,
        budget_service.visible_budgets(reach),
        fiscal_year=fiscal_year,
        level=where.level,
        region_id=region_id,
        line_id=where.line_id,
    )
    content: Page[BudgetPublic] = Page(
        items=await budget_service.public_many(session, result.rows),
        next_cursor=result.next_cursor,
        cursors=result.cursors,
    )
    return JSONResponse(content.model_dump(mode="json"), headers={"ETag": tag})


@router.get(
    "/ledger-lines",
    response_model=Page[LedgerLine],
    operation_id="export_ledger_lines",
    responses=_responses(LedgerLine),
)
async def export_ledger_lines(
    request: Request,
    session: SessionDep,
    principal: ReadPrincipal,
    reach: ReachDep,
    org: OrgDep,
    page: PageParamsDep,
    fiscal_year: FiscalYear = None,
    level: BudgetLevel | None = None,
    region_id: uuid.UUID | None = None,
    budget_line: LineCode = None,
    fmt: Format = ExportFormat.json,
    if_none_match: IfNoneMatch = None,
) -> Any:
    """The entries on the budgets' accounts behind their execution, in posting order."""
    where = await _filter(session, org, reach, fiscal_year, level, region_id, budget_line)
    tag = await service.etag(
        session, "ledger-lines", list(request.query_params.multi_items()), reach
    )
    if service.matches(if_none_match, tag):
        return Response(status_code=304, headers={"ETag": tag})
    if fmt != ExportFormat.json:
        body = service.export_stream(
            request.app.state.database, service.lines_sheet(where), fmt.value
        )
        return _stream(body, fmt, "ledger-lines", tag)
    items, cursor = await service.lines_page(session, where, page)
    content: Page[LedgerLine] = Page(items=items, next_cursor=cursor)
    return JSONResponse(content.model_dump(mode="json"), headers={"ETag": tag})
