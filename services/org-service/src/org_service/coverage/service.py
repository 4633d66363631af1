"""Coverage work: who may ask for which region, baselines, freezing, bulletins, inspections."""

from __future__ import annotations

import calendar
import uuid
from datetime import date

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from org_service import policy_keys
from org_service.coverage import repository
from org_service.coverage.models import CoverageSnapshot, Dimension, RegionBaseline
from org_service.coverage.schemas import (
    BaselineIn,
    BaselinePublic,
    BulletinPublic,
    BulletinRow,
    CoverageFigures,
    CoverageReport,
    InspectionItem,
    InspectionPage,
    Responsible,
    SnapshotPublic,
    SnapshotRow,
)
from org_service.places.models import Region
from org_service.temporal import today
from service_kit.audit import record_audit
from service_kit.auth import Principal
from service_kit.errors import Forbidden, NotFound, Unprocessable
from service_kit.pagination import decode_cursor, encode_cursor
from service_kit.policy import value_on


class RegionNotFound(NotFound):
    code = "region_not_found"
    message = "No region with this id (or it is outside your region)."


class CoverageNeedsRegionScope(Forbidden):
    code = "coverage_needs_region_scope"
    message = "Coverage figures are for city and district administrators and instructors."


class PeriodNotOver(Unprocessable):
    code = "period_not_over"


def _figures(c: repository.Counts) -> CoverageFigures:
    return CoverageFigures(
        key=c.key,
        name=c.name,
        targets=c.targets,
        own=c.own,
        joint=c.joint,
        dispatched=c.dispatched,
        work=c.work,
    )


async def _root(session: AsyncSession) -> Region:
    root = (
        await session.exec(select(Region).where(col(Region.parent_id).is_(None)).limit(1))
    ).first()
    if root is None:
        raise RegionNotFound("No city region has been set up yet.")
    return root


async def anchor_region(
    session: AsyncSession, principal: Principal, region_id: uuid.UUID | None
) -> Region:
    """The region to count under: asked for, or the caller's own; never outside the caller's."""
    if principal.is_city_wide:
        if region_id is None:
            return await _root(session)
        region = await session.get(Region, region_id)
        if region is None:
            raise RegionNotFound(details={"region_id": str(region_id)})
        return region
    if principal.region_id is None:
        raise CoverageNeedsRegionScope()
    own = await session.get(Region, principal.region_id)
    if own is None:
        raise RegionNotFound(details={"region_id": str(principal.region_id)})
    if region_id is None:
        return own
    region = await session.get(Region, region_id)
    if region is None or not region.path.startswith(own.path):
        raise RegionNotFound(details={"region_id": str(region_id)})
    return region


MAX_REGIONS_AT_ONCE = 50


class TooManyRegions(Unprocessable):
    code = "too_many_regions"
    message = f"At most {MAX_REGIONS_AT_ONCE} regions can be counted at once."


async def figures_of_regions(
    *, session: AsyncSession, principal: Principal, region_ids: list[uuid.UUID], day: date
) -> list[CoverageFigures]:
    """Each visible region's figures rolled up its subtree; others are left out."""
    found = []
    for region_id in dict.fromkeys(region_ids):
        try:
            region = await anchor_region(session, principal, region_id)
        except (RegionNotFound, CoverageNeedsRegionScope):
            continue
        found.append(_figures(await repository.total(session, day=day, anchor_path=region.path)))
    return found


async def report(
    *, session: AsyncSession, anchor: Region, day: date, dimension: Dimension
) -> CoverageReport:
    """Figures under `anchor` on `day`, grouped by child region, park, district or industry."""
    if dimension is Dimension.region:
        total, groups = await repository.by_region(session, day=day, parent_path=anchor.path)
        return _report(anchor, day, dimension, total, groups)
    total = await repository.total(session, day=day, anchor_path=anchor.path)
    if dimension is Dimension.industry:
        groups = await repository.by_industry(session, day=day, anchor_path=anchor.path)
    else:
        groups = await repository.by_place(
            session, day=day, anchor_path=anchor.path, place_kind=dimension.value
        )
    return _report(anchor, day, dimension, total, groups)


def _report(
    anchor: Region,
    day: date,
    dimension: Dimension,
    total: repository.Counts,
    groups: list[repository.Counts],
) -> CoverageReport:
    return CoverageReport(
        as_of=day,
        dimension=dimension,
        region_id=anchor.id,
        total=_figures(total),
        groups=sorted((_figures(g) for g in groups), key=lambda f: f.name),
    )


async def _recognition_rate(session: AsyncSession, region: Region, year: int) -> float:
    day = min(date(year, 12, 31), today())
    chain = [uuid.UUID(hex=region.path[i : i + 32]) for i in range(0, len(region.path), 33)]
    rate = await value_on(session, policy_keys.RECOGNITION_RATE, day, [*reversed(chain), None])
    return float(rate)


def _baseline_public(row: RegionBaseline, region: Region, rate: float) -> BaselinePublic:
    return BaselinePublic(
        region_id=region.id,
        region_name=region.name,
        year=row.year,
        registered_count=row.registered_count,
        tax_paying_count=row.tax_paying_count,
        social_insurance_count=row.social_insurance_count,
        recognition_rate=rate,
        baseline=round(row.registered_count * rate),
        recorded_at=row.recorded_at,
        recorded_by=row.recorded_by,
    )


async def set_baseline(
    *, session: AsyncSession, principal: Principal, region: Region, year: int, data: BaselineIn
) -> BaselinePublic:
    """Record (or correct) a region's counts for a year; the baseline follows the policy rate."""
    if data.tax_paying_count > data.registered_count or (
        data.social_insurance_count > data.registered_count
    ):
        raise Unprocessable(
            "Tax-paying and social-insurance counts are subsets of the registered count.",
            code="cross_check_exceeds_registered",
            details=data.model_dump(),
        )
    row = (
        await session.exec(
            select(RegionBaseline).where(
                RegionBaseline.region_id == region.id, RegionBaseline.year == year
            )
        )
    ).first()
    before = None
    if row is None:
        row = RegionBaseline(
            region_id=region.id, year=year, recorded_by=principal.subject, **data.model_dump()
        )
        session.add(row)
    else:
        before = row.model_dump(mode="json")
        for field, value in data.model_dump().items():
            setattr(row, field, value)
        row.recorded_by = principal.subject
    await session.flush()
    public = _baseline_public(row, region, await _recognition_rate(session, region, year))
    await record_audit(
        session,
        principal=principal,
        action="region_baseline.set",
        entity_type="region",
        entity_id=region.id,
        before=before,
        after=public.model_dump(mode="json"),
    )
    return public


async def get_baseline(*, session: AsyncSession, region: Region, year: int) -> BaselinePublic:
    row = (
        await session.exec(
            select(RegionBaseline).where(
                RegionBaseline.region_id == region.id, RegionBaseline.year == year
            )
        )
    ).first()
    if row is None:
        raise NotFound(
            f"No baseline recorded for {region.name} in {year}.",
            code="baseline_not_found",
            details={"region_id": str(region.id), "year": year},
        )
    return _baseline_public(row, region, await _recognition_rate(session, region, year))


def month_end(month: str) -> date:
    try:
        year, number = (int(p) for p in month.split("-"))
        return date(year, number, calendar.monthrange(year, number)[1])
    except (ValueError, TypeError) as exc:
        raise Unprocessable(
            "month must be written YYYY-MM.", code="invalid_month", details={"month": month}
        ) from exc


async def freeze_month(
    *, session: AsyncSession, principal: Principal, month: str
) -> SnapshotPublic:
    """月统计: freeze every region, park, business district and industry as of the month's end.

    A month is frozen once: freezing it again returns the stored figures unchanged.
    """
    end = month_end(month)
    if end >= today():
        raise PeriodNotOver(
            f"{month} is not over yet; it can be frozen from {end.isoformat()} on the day after.",
            code="month_not_over",
            details={"month": month, "last_day": end.isoformat()},
        )
    first = end.replace(day=1)
    existing = (
        await session.exec(select(CoverageSnapshot).where(CoverageSnapshot.month == first))
    ).all()
    if existing:
        return _snapshot_public(month, end, list(existing), created=False)
    root = await _root(session)
    rows: list[CoverageSnapshot] = []

    def keep(dimension: Dimension, counts: list[repository.Counts]) -> None:
        for c in counts:
            rows.append(
                CoverageSnapshot(
                    month=first,
                    dimension=dimension.value,
                    key=c.key,
                    name=c.name,
                    targets=c.targets,
                    own=c.own,
                    joint=c.joint,
                    dispatched=c.dispatched,
                    work=c.work,
                    frozen_by=principal.subject,
                )
            )

    keep(Dimension.region, await repository.every_region(session, day=end))
    for dimension in (Dimension.park, Dimension.business_district):
        keep(
            dimension,
            await repository.by_place(
                session, day=end, anchor_path=root.path, place_kind=dimension.value
            ),
        )
    keep(Dimension.industry, await repository.by_industry(session, day=end, anchor_path=root.path))
    # A concurrent freeze of the same month inserts nothing twice (unique month/dimension/key).
    await repository.insert_snapshots(session, [row.model_dump() for row in rows])
    stored = (
        await session.exec(select(CoverageSnapshot).where(CoverageSnapshot.month == first))
    ).all()
    await record_audit(
        session,
        principal=principal,
        action="coverage_snapshot.freeze",
        entity_type="coverage_snapshot",
        entity_id=month,
        after={"rows": len(stored)},
    )
    return _snapshot_public(month, end, list(stored), created=True)


def _snapshot_public(
    month: str, end: date, rows: list[CoverageSnapshot], *, created: bool
) -> SnapshotPublic:
    return SnapshotPublic(
        month=month,
        as_of=end,
        frozen_at=min(r.frozen_at for r in rows),
        frozen_by=rows[0].frozen_by,
        created=created,
        rows=[
            SnapshotRow(
                dimension=Dimension(r.dimension),
                key=r.key,
                name=r.name,
                targets=r.targets,
                own=r.own,
                joint=r.joint,
                dispatched=r.dispatched,
                work=r.work,
            )
            for r in sorted(rows, key=lambda r: (r.dimension, r.name))
        ],
    )


async def snapshots(*, session: AsyncSession, month: str) -> SnapshotPublic:
    end = month_end(month)
    rows = (
        await session.exec(
            select(CoverageSnapshot).where(CoverageSnapshot.month == end.replace(day=1))
        )
    ).all()
    if not rows:
        raise NotFound(f"{month} has not been frozen.", code="snapshot_not_found")
    return _snapshot_public(month, end, list(rows), created=False)


def _growth(now: int, before: int) -> float | None:
    return round((now - before) / before, 4) if before else None


def _period_day(end: date) -> tuple[date, bool]:
    return (end, False) if end < today() else (today(), True)


def quarter_end(year: int, quarter: int) -> date:
    if quarter not in (1, 2, 3, 4):
        raise Unprocessable("quarter must be 1 to 4.", code="invalid_quarter")
    month = quarter * 3
    return date(year, month, calendar.monthrange(year, month)[1])


def _year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


async def bulletin(
    *, session: AsyncSession, anchor: Region, year: int, quarter: int
) -> BulletinPublic:
    """季通报: the regions under `anchor` ranked by total coverage rate, with 双翻番 figures."""
    end = quarter_end(year, quarter)
    if end.replace(day=1, month=end.month - 2) > today():
        raise PeriodNotOver(
            f"Q{quarter} {year} has not begun.",
            code="quarter_not_begun",
            details={"year": year, "quarter": quarter},
        )
    day, provisional = _period_day(end)
    _, now_rows = await repository.by_region(session, day=day, parent_path=anchor.path)
    now = {c.key: c for c in now_rows}
    _, then_rows = await repository.by_region(
        session, day=_year_before(day), parent_path=anchor.path
    )
    before = {c.key: c for c in then_rows}
    baselines = {
        str(b.region_id): b
        for b in (
            await session.exec(select(RegionBaseline).where(RegionBaseline.year == year))
        ).all()
    }
    rows: list[BulletinRow] = []
    for key, current in now.items():
        past = before.get(key, repository.Counts(key, current.name, 0, 0, 0, 0, 0))
        n, p = _figures(current), _figures(past)
        base = baselines.get(key)
        rows.append(
            BulletinRow(
                rank=0,
                region_id=uuid.UUID(key),
                name=current.name,
                now=n,
                year_before=p,
                organizational_growth=_growth(n.organizational, p.organizational),
                work_growth=_growth(n.work, p.work),
                organizational_doubled=p.organizational > 0
                and n.organizational >= 2 * p.organizational,
                work_doubled=p.work > 0 and n.work >= 2 * p.work,
                baseline=None
                if base is None
                else round(
                    base.registered_count
                    * await _recognition_rate(session, await _region(session, key), year)
                ),
            )
        )
    rows.sort(key=lambda r: (-(r.now.total_rate or 0.0), r.name))
    for i, row in enumerate(rows, start=1):
        row.rank = i
    return BulletinPublic(year=year, quarter=quarter, as_of=day, provisional=provisional, rows=rows)


async def _region(session: AsyncSession, key: str) -> Region:
    region = await session.get(Region, uuid.UUID(key))
    assert region is not None
    return region


async def inspection(
    *,
    session: AsyncSession,
    anchor: Region,
    year: int,
    half: int,
    after: str | None,
    limit: int,
) -> InspectionPage:
    """半年督查: uncovered targets at the half-year's end, with who is responsible for each."""
    if half not in (1, 2):
        raise Unprocessable("half must be 1 or 2.", code="invalid_half")
    end = date(year, 6, 30) if half == 1 else date(year, 12, 31)
    if date(year, 1 if half == 1 else 7, 1) > today():
        raise PeriodNotOver(f"H{half} {year} has not begun.", code="half_year_not_begun")
    day, provisional = _period_day(end)
    cursor = decode_cursor(after, 1)[0] if after else None
    found = await repository.uncovered(
        session, day=day, anchor_path=anchor.path, after=cursor, limit=limit + 1
    )
    page, more = found[:limit], len(found) > limit
    responsible = await repository.responsible_for(
        session, day=day, target_ids=[t.id for t in page]
    )
    districts = await repository.districts_with_committees(
        session, day=day, paths=[t.region_path for t in page]
    )
    items = []
    for t in page:
        district_name, committee = districts.get(t.region_path[:66], (None, None))
        items.append(
            InspectionItem(
                work_target_id=t.id,
                name=t.name,
                credit_code=t.credit_code,
                region_id=t.region_id,
                district=district_name,
                working_committee=committee,
                responsible=[Responsible(**r) for r in responsible.get(t.id, [])],
            )
        )
    return InspectionPage(
        year=year,
        half=half,
        as_of=day,
        provisional=provisional,
        items=items,
        next_cursor=encode_cursor([page[-1].credit_code]) if more and page else None,
    )
