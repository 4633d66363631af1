"""Coverage queries: one SQL aggregate per question, as of any date.

A work target counts on day D when it is registered on D. It is organizationally
covered when a coverage link is valid on D and the covering organization is active on
D (so a dissolution ends coverage even where a link was left open); when several links
hold, own beats joint beats dispatched. It has work coverage when it has no
organizational coverage but an instructor or liaison assigned on D.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Result, text
from sqlalchemy.dialects.postgresql import insert
from sqlmodel.ext.asyncio.session import AsyncSession

from org_service.coverage.models import CoverageSnapshot
from org_service.paths import SEGMENT
from service_kit.auth import path_upper_bound

# Targets registered on :day with their coverage mode (NULL: none) and work coverage.
_TARGETS_ON = """
WITH cov AS (
    SELECT DISTINCT ON (c.work_target_id) c.work_target_id, c.mode
    FROM work_target_coverage c
    JOIN organization_version ov
      ON ov.organization_id = c.organization_id
     AND ov.valid_from <= :day AND (ov.valid_to IS NULL OR ov.valid_to > :day)
     AND ov.status = 'active'
    WHERE c.valid_from <= :day AND (c.valid_to IS NULL OR c.valid_to > :day)
    ORDER BY c.work_target_id,
             CASE c.mode WHEN 'own' THEN 0 WHEN 'joint' THEN 1 ELSE 2 END
),
assigned AS (
    SELECT DISTINCT a.work_target_id
    FROM instructor_assignment a
    WHERE a.work_target_id IS NOT NULL
      AND a.valid_from <= :day AND (a.valid_to IS NULL OR a.valid_to > :day)
),
t AS (
    SELECT wt.id, wt.name, wt.credit_code, wt.industry, wt.place_id, wt.region_id,
           r.path AS region_path, cov.mode,
           (cov.mode IS NULL AND assigned.work_target_id IS NOT NULL) AS work
    FROM work_target wt
    JOIN region r ON r.id = wt.region_id
    LEFT JOIN cov ON cov.work_target_id = wt.id
    LEFT JOIN assigned ON assigned.work_target_id = wt.id
    WHERE wt.registered_on <= :day
      AND (wt.deregistered_on IS NULL OR wt.deregistered_on > :day)
      AND r.path >= :low AND r.path < :high
)
"""

_COUNTS = """
    count(*) AS targets,
    count(*) FILTER (WHERE mode = 'own') AS own,
    count(*) FILTER (WHERE mode = 'joint') AS joint,
    count(*) FILTER (WHERE mode = 'dispatched') AS dispatched,
    count(*) FILTER (WHERE work) AS work
"""


@dataclass(frozen=True)
class Counts:
    key: str
    name: str
    targets: int
    own: int
    joint: int
    dispatched: int
    work: int


async def _run(session: AsyncSession, sql: str, params: dict[str, Any]) -> Result[Any]:
    """Run an aggregate on the session's connection (inside the request's transaction)."""
    connection = await session.connection()
    return await connection.execute(text(sql), params)


def _range(anchor_path: str) -> dict[str, str]:
    return {"low": anchor_path, "high": path_upper_bound(anchor_path)}


def _counts(rows: Any) -> list[Counts]:
    return [
        Counts(
            key=str(r.key),
            name=r.name or str(r.key),
            targets=r.targets,
            own=r.own,
            joint=r.joint,
            dispatched=r.dispatched,
            work=r.work,
        )
        for r in rows
    ]


async def by_region(
    session: AsyncSession, *, day: date, parent_path: str, include_parent: bool = False
) -> list[Counts]:
    """Figures of each child region of the region at `parent_path`, each rolled up its subtree.

    With `include_parent`, targets attached to the parent region itself form their own row.
    """
    child_len = len(parent_path) + SEGMENT
    sql = (
        _TARGETS_ON
        + f"""
SELECT g.key, r.id AS region_id, r.name, g.targets, g.own, g.joint, g.dispatched, g.work
FROM (
    SELECT left(region_path, :child_len) AS key, {_COUNTS}
    FROM t
    WHERE length(region_path) >= :child_len
    GROUP BY 1
) g
JOIN region r ON r.path = g.key
"""
    )
    params = {"day": day, "child_len": child_len, **_range(parent_path)}
    rows = (await _run(session, sql, params)).all()
    result = [
        Counts(
            key=str(r.region_id),
            name=r.name,
            targets=r.targets,
            own=r.own,
            joint=r.joint,
            dispatched=r.dispatched,
            work=r.work,
        )
        for r in rows
    ]
    if include_parent:
        result.append(await total(session, day=day, anchor_path=parent_path, own_only=True))
    return result


async def total(
    session: AsyncSession, *, day: date, anchor_path: str, own_only: bool = False
) -> Counts:
    """Figures of the region at `anchor_path` rolled up its whole subtree."""
    sql = (
        _TARGETS_ON + f"SELECT {_COUNTS} FROM t" + (" WHERE region_path = :low" if own_only else "")
    )
    row = (await _run(session, sql, {"day": day, **_range(anchor_path)})).one()
    region = (
        await _run(session, "SELECT id, name FROM region WHERE path = :p", {"p": anchor_path})
    ).one()
    return Counts(
        key=str(region.id),
        name=region.name,
        targets=row.targets,
        own=row.own,
        joint=row.joint,
        dispatched=row.dispatched,
        work=row.work,
    )


async def every_region(session: AsyncSession, *, day: date) -> list[Counts]:
    """Figures of every region on `day`, each rolled up its subtree, in one pass."""
    sql = (
        _TARGETS_ON
        + f"""
SELECT r.id AS key, r.name, g.targets, g.own, g.joint, g.dispatched, g.work
FROM region r
LEFT JOIN (
    SELECT left(region_path, len) AS prefix, {_COUNTS}
    FROM t, generate_series(:segment, length(region_path), :segment) AS len
    GROUP BY 1
) g ON g.prefix = r.path
ORDER BY r.path
"""
    )
    params = {"day": day, "segment": SEGMENT, "low": "", "high": "\U0010ffff"}
    rows = (await _run(session, sql, params)).all()
    return [
        Counts(
            key=str(r.key),
            name=r.name,
            targets=r.targets or 0,
            own=r.own or 0,
            joint=r.joint or 0,
            dispatched=r.dispatched or 0,
            work=r.work or 0,
        )
        for r in rows
    ]


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
    sql = (
        _TARGETS_ON
        + f"""
SELECT p.id AS key, p.name, {_COUNTS}
FROM t
JOIN place own_place ON own_place.id = t.place_id
JOIN place p ON p.id = CASE WHEN own_place.kind = :kind THEN own_place.id
                            ELSE own_place.parent_place_id END
WHERE p.kind = :kind
GROUP BY p.id, p.name
"""
    )
    params = {"day": day, "kind": place_kind, **_range(anchor_path)}
    return _counts((await _run(session, sql, params)).all())


async def by_industry(session: AsyncSession, *, day: date, anchor_path: str) -> list[Counts]:
    sql = _TARGETS_ON + f"SELECT industry AS key, industry AS name, {_COUNTS} FROM t GROUP BY 1"
    params = {"day": day, **_range(anchor_path)}
    return _counts((await _run(session, sql, params)).all())


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

    Written with NOT EXISTS rather than over the figures' CTE: walking the credit-code
    index lets the page stop after `limit` rows instead of classifying every target.
    """
    sql = """
SELECT wt.id, wt.name, wt.credit_code, wt.region_id, r.path AS region_path
FROM work_target wt
JOIN region r ON r.id = wt.region_id
WHERE wt.registered_on <= :day
  AND (wt.deregistered_on IS NULL OR wt.deregistered_on > :day)
  AND r.path >= :low AND r.path < :high
  AND (CAST(:after AS text) IS NULL OR wt.credit_code > :after)
  AND NOT EXISTS (
    SELECT 1 FROM work_target_coverage c
    JOIN organization_version ov
      ON ov.organization_id = c.organization_id
     AND ov.valid_from <= :day AND (ov.valid_to IS NULL OR ov.valid_to > :day)
     AND ov.status = 'active'
    WHERE c.work_target_id = wt.id
      AND c.valid_from <= :day AND (c.valid_to IS NULL OR c.valid_to > :day))
  AND NOT EXISTS (
    SELECT 1 FROM instructor_assignment a
    WHERE a.work_target_id = wt.id
      AND a.valid_from <= :day AND (a.valid_to IS NULL OR a.valid_to > :day))
ORDER BY wt.credit_code
LIMIT :limit
"""
    params = {"day": day, "after": after, "limit": limit, **_range(anchor_path)}
    rows = (await _run(session, sql, params)).all()
    return [UncoveredTarget(r.id, r.name, r.credit_code, r.region_id, r.region_path) for r in rows]


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
