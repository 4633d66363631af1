"""Coverage queries: one SQL aggregate per question, as of any date.

What "registered", "organizationally covered" and "work coverage" mean on a day is
defined once, by the predicates in org_service.work_targets.repository; the aggregates
here are built from them. A target has work coverage when it has no organizational
coverage but an instructor or liaison assigned on the day.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Result, and_, case, func, select, text, true
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.sql import Select
from sqlmodel import col
from sqlmodel import select as model_select
from sqlmodel.ext.asyncio.session import AsyncSession

from org_service.coverage.models import CoverageSnapshot
from org_service.paths import SEGMENT
from org_service.places.models import Place, Region
from org_service.work_targets import repository as targets
from org_service.work_targets.models import InstructorAssignment, WorkTarget, WorkTargetCoverage
from service_kit.auth import path_upper_bound

COUNTED = ("targets", "own", "joint", "dispatched", "work")


@dataclass(frozen=True)
class Counts:
    key: str
    name: str
    targets: int
    own: int
    joint: int
    dispatched: int
    work: int


def _targets_on(day: date, anchor_path: str | None) -> Any:
    """CTE: targets registered on `day` (under `anchor_path`), their coverage mode and work flag.

    Coverage links and assignments valid on the day are gathered once and hash-joined,
    which keeps a city-wide count to a few scans whatever the number of targets.
    """
    # At most one link of a target holds on any day (work-target rules refuse overlaps),
    # so the valid links join without a DISTINCT and its sort.
    links = (
        select(col(WorkTargetCoverage.work_target_id), col(WorkTargetCoverage.mode))
        .where(targets.link_valid_on(day))
        .cte("links")
    )
    assigned = (
        select(col(InstructorAssignment.work_target_id))
        .where(
            col(InstructorAssignment.work_target_id).is_not(None), targets.assignment_valid_on(day)
        )
        .distinct()
        .cte("assigned")
    )
    statement = (
        select(
            col(WorkTarget.id),
            col(WorkTarget.name),
            col(WorkTarget.industry),
            col(WorkTarget.place_id),
            col(Region.path).label("region_path"),
            links.c.mode,
            and_(links.c.mode.is_(None), assigned.c.work_target_id.is_not(None)).label("work"),
        )
        .join(Region, col(Region.id) == col(WorkTarget.region_id))
        .outerjoin(links, links.c.work_target_id == col(WorkTarget.id))
        .outerjoin(assigned, assigned.c.work_target_id == col(WorkTarget.id))
        .where(targets.registered_on(day))
    )
    if anchor_path is not None:
        statement = statement.where(
            col(Region.path) >= anchor_path, col(Region.path) < path_upper_bound(anchor_path)
        )
    return statement.cte("t")


def _counts(t: Any) -> list[Any]:
    return [
        func.count().label("targets"),
        func.count().filter(t.c.mode == "own").label("own"),
        func.count().filter(t.c.mode == "joint").label("joint"),
        func.count().filter(t.c.mode == "dispatched").label("dispatched"),
        func.count().filter(t.c.work).label("work"),
    ]


async def _rows(session: AsyncSession, statement: Select[Any] | Any) -> list[Any]:
    connection = await session.connection()
    return list((await connection.execute(statement)).all())


def _as_counts(row: Any, key: Any, name: str) -> Counts:
    return Counts(
        key=str(key),
        name=name,
        targets=row.targets or 0,
        own=row.own or 0,
        joint=row.joint or 0,
        dispatched=row.dispatched or 0,
        work=row.work or 0,
    )


async def by_region(
    session: AsyncSession, *, day: date, parent_path: str
) -> tuple[Counts, list[Counts]]:
    """The region at `parent_path` rolled up, and each child region rolled up its subtree.

    One aggregate: each target is grouped under its region's child-level prefix; targets
    attached to the region itself group under the region's own path.
    """
    t = _targets_on(day, parent_path)
    child_len = len(parent_path) + SEGMENT
    groups = (
        select(func.left(t.c.region_path, child_len).label("prefix"))
        .add_columns(*_counts(t))
        .group_by(text("1"))
        .subquery("g")
    )
    statement = select(col(Region.id), col(Region.name), col(Region.path), groups).join(
        groups, groups.c.prefix == col(Region.path)
    )
    rows = await _rows(session, statement)
    children = [_as_counts(r, r.id, r.name) for r in rows if r.path != parent_path]
    region = (await session.exec(model_select(Region).where(Region.path == parent_path))).one()
    total = Counts(
        key=str(region.id),
        name=region.name,
        **{f: sum(getattr(r, f) or 0 for r in rows) for f in COUNTED},
    )
    return total, children


async def total(session: AsyncSession, *, day: date, anchor_path: str) -> Counts:
    """Figures of the region at `anchor_path` rolled up its whole subtree."""
    t = _targets_on(day, anchor_path)
    row = (await _rows(session, select().add_columns(*_counts(t))))[0]
    region = (await session.exec(model_select(Region).where(Region.path == anchor_path))).one()
    return _as_counts(row, region.id, region.name)


async def every_region(session: AsyncSession, *, day: date) -> list[Counts]:
    """Figures of every region on `day`, each rolled up its subtree, in one pass."""
    t = _targets_on(day, None)
    # one row per ancestor prefix of each target's region
    prefixes = (
        func.generate_series(SEGMENT, func.length(t.c.region_path), SEGMENT)
        .table_valued("len")
        .render_derived(name="prefixes")
        .lateral()
    )
    groups = (
        select(func.left(t.c.region_path, prefixes.c.len).label("prefix"))
        .add_columns(*_counts(t))
        .select_from(t)
        .join(prefixes, true())
        .group_by(text("1"))
        .subquery("g")
    )
    statement = (
        select(col(Region.id), col(Region.name), groups)
        .outerjoin(groups, groups.c.prefix == col(Region.path))
        .order_by(col(Region.path))
    )
    return [_as_counts(r, r.id, r.name) for r in await _rows(session, statement)]


async def insert_snapshots(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Store frozen figures; rows already frozen (a concurrent freeze) are left as they are."""
    if not rows:
        return
    statement = insert(CoverageSnapshot).on_conflict_do_nothing(
        constraint="uq_coverage_snapshot_month_dimension_key"
    )
    connection = await session.connection()
    await connection.execute(statement, rows)


async def by_place(
    session: AsyncSession, *, day: date, anchor_path: str, place_kind: str
) -> list[Counts]:
    """Figures per park (or business district): targets in it or in a building inside it."""
    t = _targets_on(day, anchor_path)
    own_place = Place.__table__.alias("own_place")  # type: ignore[attr-defined]
    group = Place.__table__.alias("grouped")  # type: ignore[attr-defined]
    statement = (
        select(group.c.id, group.c.name)
        .add_columns(*_counts(t))
        .select_from(t)
        .join(own_place, own_place.c.id == t.c.place_id)
        .join(group, group.c.id == _place_of_kind(own_place, place_kind))
        .where(group.c.kind == place_kind)
        .group_by(group.c.id, group.c.name)
    )
    return [_as_counts(r, r.id, r.name) for r in await _rows(session, statement)]


def _place_of_kind(place: Any, kind: str) -> Any:
    """The place itself when it is of `kind`, else its parent place (a building in a park)."""
    return case((place.c.kind == kind, place.c.id), else_=place.c.parent_place_id)


async def by_industry(session: AsyncSession, *, day: date, anchor_path: str) -> list[Counts]:
    t = _targets_on(day, anchor_path)
    statement = select(t.c.industry).add_columns(*_counts(t)).group_by(t.c.industry)
    return [_as_counts(r, r.industry, r.industry) for r in await _rows(session, statement)]


@dataclass(frozen=True)
class UncoveredTarget:
    id: uuid.UUID
    name: str
    credit_code: str
    region_id: uuid.UUID
    region_path: str


async def uncovered(
    session: AsyncSession, *, day: date, anchor_path: str, after: str | None, limit: int
) -> list[UncoveredTarget]:
    """Targets with neither organizational nor work coverage on `day`, by credit code.

    Walks the credit-code index with NOT EXISTS, so a page stops after `limit` rows
    instead of classifying every target.
    """
    query = (
        select()
        .add_columns(
            col(WorkTarget.id),
            col(WorkTarget.name),
            col(WorkTarget.credit_code),
            col(WorkTarget.region_id),
            col(Region.path).label("region_path"),
        )
        .join(Region, col(Region.id) == col(WorkTarget.region_id))
        .where(
            targets.registered_on(day),
            col(Region.path) >= anchor_path,
            col(Region.path) < path_upper_bound(anchor_path),
            ~targets.organizationally_covered_on(day),
            ~targets.instructor_assigned_on(day),
        )
        .order_by(col(WorkTarget.credit_code))
        .limit(limit)
    )
    if after is not None:
        query = query.where(col(WorkTarget.credit_code) > after)
    rows = await _rows(session, query)
    return [UncoveredTarget(r.id, r.name, r.credit_code, r.region_id, r.region_path) for r in rows]


async def _run(session: AsyncSession, sql: str, params: dict[str, Any]) -> Result[Any]:
    """Run a plain SQL query on the session's connection (inside the request's transaction)."""
    connection = await session.connection()
    return await connection.execute(text(sql), params)


async def responsible_for(
    session: AsyncSession, *, day: date, target_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[dict[str, Any]]]:
    """三级包保 assignments valid on `day` for each target."""
    if not target_ids:
        return {}
    rows = (
        await _run(
            session,
            """
SELECT work_target_id, person_name, level, position, first_secretary
FROM responsibility_assignment
WHERE work_target_id = ANY(:ids)
  AND valid_from <= :day AND (valid_to IS NULL OR valid_to > :day)
ORDER BY CASE level WHEN 'county' THEN 0 WHEN 'township' THEN 1 ELSE 2 END, person_name
""",
            {"ids": target_ids, "day": day},
        )
    ).all()
    found: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for r in rows:
        found.setdefault(r.work_target_id, []).append(
            {
                "person_name": r.person_name,
                "level": r.level,
                "position": r.position,
                "first_secretary": r.first_secretary,
            }
        )
    return found


async def districts_with_committees(
    session: AsyncSession, *, day: date, paths: list[str]
) -> dict[str, tuple[str, str | None]]:
    """Each district path (city/district prefix): its name and its working committee on `day`."""
    prefixes = sorted({p[: 2 * SEGMENT] for p in paths if len(p) >= 2 * SEGMENT})
    if not prefixes:
        return {}
    rows = (
        await _run(
            session,
            """
SELECT r.path, r.name, (
    SELECT ov.name FROM organization_version ov
    WHERE ov.region_id = r.id AND ov.kind = 'working_committee' AND ov.status = 'active'
      AND ov.valid_from <= :day AND (ov.valid_to IS NULL OR ov.valid_to > :day)
    ORDER BY ov.name LIMIT 1
) AS committee
FROM region r WHERE r.path = ANY(:paths)
""",
            {"paths": prefixes, "day": day},
        )
    ).all()
    return {r.path: (r.name, r.committee) for r in rows}
