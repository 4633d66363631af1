"""HTTP endpoints of coverage: figures as of a day, baselines, snapshots, bulletins, inspections."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from org_service.coverage import service
from org_service.coverage.models import Dimension
from org_service.coverage.schemas import (
    BaselineIn,
    BaselinePublic,
    BulletinPublic,
    CoverageFigures,
    CoverageReport,
    InspectionPage,
    SnapshotPublic,
)
from org_service.coverage.service import MAX_REGIONS_AT_ONCE, TooManyRegions
from org_service.temporal import AsOfDep
from service_kit.auth import Principal, require_scope
from service_kit.db import SessionDep
from service_kit.pagination import PageParamsDep, parse_ids

router = APIRouter(tags=["coverage"])

ReadPrincipal = Annotated[Principal, require_scope("org:read")]
WritePrincipal = Annotated[Principal, require_scope("org:write")]
AdminPrincipal = Annotated[Principal, require_scope("org:admin")]
MonthParam = Annotated[str, Path(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")]


@router.get("/coverage", response_model=CoverageReport, operation_id="get_coverage")
async def get_coverage(
    session: SessionDep,
    principal: ReadPrincipal,
    as_of: AsOfDep,
    region_id: Annotated[
        uuid.UUID | None, Query(description="count this region's subtree (default: yours)")
    ] = None,
    group_by: Dimension = Dimension.region,
) -> CoverageReport:
    """两个覆盖 on a day: the region's totals and one row per child region, park or industry."""
    anchor = await service.anchor_region(session, principal, region_id)
    return await service.report(session=session, anchor=anchor, day=as_of, dimension=group_by)


@router.get(
    "/coverage/regions",
    response_model=list[CoverageFigures],
    operation_id="get_coverage_of_regions",
)
async def get_coverage_of_regions(
    session: SessionDep,
    principal: ReadPrincipal,
    as_of: AsOfDep,
    ids: Annotated[str, Query(description="comma-separated region ids, at most 50")],
) -> list[CoverageFigures]:
    """Each region's figures rolled up its subtree (a batch for screens listing regions).

    Regions outside the caller's are left out, as unknown ids are.
    """
    wanted = parse_ids(ids) or []
    if len(wanted) > MAX_REGIONS_AT_ONCE:
        raise TooManyRegions(details={"count": len(wanted), "max": MAX_REGIONS_AT_ONCE})
    return await service.figures_of_regions(
        session=session, principal=principal, region_ids=wanted, day=as_of
    )


@router.put(
    "/regions/{region_id}/baselines/{year}",
    response_model=BaselinePublic,
    operation_id="set_region_baseline",
)
async def set_region_baseline(
    region_id: uuid.UUID,
    year: Annotated[int, Path(ge=2000, le=2100)],
    data: BaselineIn,
    session: SessionDep,
    principal: WritePrincipal,
) -> BaselinePublic:
    """Record a region's registered, tax-paying and social-insurance counts for a year."""
    region = await service.anchor_region(session, principal, region_id)
    return await service.set_baseline(
        session=session, principal=principal, region=region, year=year, data=data
    )


@router.get(
    "/regions/{region_id}/baselines/{year}",
    response_model=BaselinePublic,
    operation_id="get_region_baseline",
)
async def get_region_baseline(
    region_id: uuid.UUID,
    year: Annotated[int, Path(ge=2000, le=2100)],
    session: SessionDep,
    principal: ReadPrincipal,
) -> BaselinePublic:
    """底数 of a region for a year: the counts and round(registered × recognition rate)."""
    region = await service.anchor_region(session, principal, region_id)
    return await service.get_baseline(session=session, region=region, year=year)


@router.post(
    "/coverage/snapshots/{month}",
    response_model=SnapshotPublic,
    status_code=status.HTTP_200_OK,
    operation_id="freeze_coverage_month",
)
async def freeze_coverage_month(
    month: MonthParam, session: SessionDep, principal: AdminPrincipal
) -> SnapshotPublic:
    """Freeze a finished month's figures (月统计); a second call changes nothing."""
    return await service.freeze_month(session=session, principal=principal, month=month)


@router.get(
    "/coverage/snapshots/{month}",
    response_model=SnapshotPublic,
    operation_id="get_coverage_snapshot",
)
async def get_coverage_snapshot(
    month: MonthParam, session: SessionDep, principal: ReadPrincipal
) -> SnapshotPublic:
    """The frozen figures of a month."""
    return await service.snapshots(session=session, month=month)


@router.get(
    "/coverage/bulletins/{year}/{quarter}",
    response_model=BulletinPublic,
    operation_id="get_quarterly_bulletin",
)
async def get_quarterly_bulletin(
    year: Annotated[int, Path(ge=2000, le=2100)],
    quarter: Annotated[int, Path(ge=1, le=4)],
    session: SessionDep,
    principal: ReadPrincipal,
    region_id: uuid.UUID | None = None,
) -> BulletinPublic:
    """季通报: the districts (or the children of `region_id`) ranked, with year-over-year growth."""
    anchor = await service.anchor_region(session, principal, region_id)
    return await service.bulletin(session=session, anchor=anchor, year=year, quarter=quarter)


@router.get(
    "/coverage/inspections/{year}/{half}",
    response_model=InspectionPage,
    operation_id="get_half_year_inspection",
)
async def get_half_year_inspection(
    year: Annotated[int, Path(ge=2000, le=2100)],
    half: Annotated[int, Path(ge=1, le=2)],
    session: SessionDep,
    principal: ReadPrincipal,
    page: PageParamsDep,
    region_id: uuid.UUID | None = None,
) -> InspectionPage:
    """半年督查: uncovered targets at the half-year's end and who is responsible, paged."""
    anchor = await service.anchor_region(session, principal, region_id)
    return await service.inspection(
        session=session, anchor=anchor, year=year, half=half, after=page.after, limit=page.limit
    )
