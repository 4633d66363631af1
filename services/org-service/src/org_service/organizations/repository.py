"""Queries on organizations: the current rows, their versions, changes and member counts."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Integer, column, func, literal, or_, table, union_all, update
from sqlalchemy.dialects.postgresql import distinct_on
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from org_service.organizations.models import (
    VERSIONED_FIELDS,
    Organization,
    OrganizationChange,
    OrganizationMemberCount,
    OrganizationStatus,
    OrganizationVersion,
    utcnow,
)
from org_service.temporal import valid_on
from service_kit.auth import subtree_filter
from service_kit.pagination import KeysetPage, PageParams, keyset_page

# The column contract of the work-target table (work_targets/models.py owns it); read
# through this narrow view so that organizations depend on two columns, not on a module.
WORK_TARGET = table("work_target", column("id"), column("party_member_count", Integer))


async def get(session: AsyncSession, organization_id: uuid.UUID) -> Organization | None:
    return await session.get(Organization, organization_id)


async def get_visible(
    session: AsyncSession, organization_id: uuid.UUID, where: Any
) -> Organization | None:
    rows = await session.exec(select(Organization).where(Organization.id == organization_id, where))
    return rows.first()


async def get_many(
    session: AsyncSession, ids: Sequence[uuid.UUID], where: Any
) -> list[Organization]:
    rows = await session.exec(select(Organization).where(col(Organization.id).in_(ids), where))
    return list(rows.all())


async def lock(
    session: AsyncSession, ids: Sequence[uuid.UUID], *, share: bool = False
) -> dict[uuid.UUID, Organization]:
    """Lock rows (in id order, so that two writers do not deadlock) and reload them."""
    rows = await session.exec(
        select(Organization)
        .where(col(Organization.id).in_(ids))
        .order_by(col(Organization.id))
        .with_for_update(read=share)
        .execution_options(populate_existing=True)
    )
    return {org.id: org for org in rows.all()}


async def lock_subtree(session: AsyncSession, path: str) -> None:
    """Lock an organization and everything below it (their paths are about to change)."""
    rows = await session.exec(
        select(Organization.id)
        .where(subtree_filter(Organization.path, path))
        .order_by(col(Organization.id))
        .with_for_update()
    )
    rows.all()  # every row read, so every row locked


async def active_children(session: AsyncSession, organization_id: uuid.UUID) -> list[Organization]:
    rows = await session.exec(
        select(Organization)
        .where(
            Organization.parent_id == organization_id,
            Organization.status == OrganizationStatus.active,
        )
        .order_by(col(Organization.path))
    )
    return list(rows.all())


@dataclass(frozen=True)
class LatestChange:
    organization_id: uuid.UUID
    on: date


async def latest_change(
    session: AsyncSession, ids: Sequence[uuid.UUID], *, under_path: str | None = None
) -> LatestChange | None:
    """The latest dated change (version or history entry) among these organizations.

    `under_path`: also every organization in that subtree (asked by path, not by a list
    of ids, so that a large subtree stays one query parameter).
    """

    def among(column: Any) -> Any:
        if under_path is None:
            return col(column).in_(ids)
        subtree = select(Organization.id).where(subtree_filter(Organization.path, under_path))
        return or_(col(column).in_(ids), col(column).in_(subtree))

    versions: Any = select(
        col(OrganizationVersion.organization_id).label("organization_id"),
        col(OrganizationVersion.valid_from).label("on"),
    ).where(among(OrganizationVersion.organization_id))
    changes: Any = select(
        col(OrganizationChange.organization_id).label("organization_id"),
        col(OrganizationChange.effective_on).label("on"),
    ).where(among(OrganizationChange.organization_id))
    both = union_all(versions, changes).subquery()
    row = (
        await session.exec(
            select(both.c.organization_id, both.c.on).order_by(both.c.on.desc()).limit(1)
        )
    ).first()
    return None if row is None else LatestChange(row[0], row[1])


async def latest_changes(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, LatestChange]:
    """Each organization's latest dated change (version or history entry), in one query."""
    if not ids:
        return {}
    versions: Any = select(
        col(OrganizationVersion.organization_id).label("organization_id"),
        col(OrganizationVersion.valid_from).label("on"),
    ).where(col(OrganizationVersion.organization_id).in_(ids))
    changes: Any = select(
        col(OrganizationChange.organization_id).label("organization_id"),
        col(OrganizationChange.effective_on).label("on"),
    ).where(col(OrganizationChange.organization_id).in_(ids))
    both = union_all(versions, changes).subquery()
    rows = await session.exec(
        select(both.c.organization_id, func.max(both.c.on)).group_by(both.c.organization_id)
    )
    return {row[0]: LatestChange(row[0], row[1]) for row in rows.all()}


async def existing_ids(session: AsyncSession, ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """Those of `ids` that name an organization."""
    if not ids:
        return set()
    rows = await session.exec(select(Organization.id).where(col(Organization.id).in_(ids)))
    return set(rows.all())


async def latest_child_boundary(
    session: AsyncSession, organization_id: uuid.UUID
) -> LatestChange | None:
    """The latest day an organization came under this one or left it (moved away, ended)."""
    day = func.greatest(
        col(OrganizationVersion.valid_from),
        func.coalesce(col(OrganizationVersion.valid_to), col(OrganizationVersion.valid_from)),
    )
    row = (
        await session.exec(
            select(col(OrganizationVersion.organization_id), day)
            .where(OrganizationVersion.parent_id == organization_id)
            .order_by(day.desc())
            .limit(1)
        )
    ).first()
    return None if row is None else LatestChange(row[0], row[1])


def _versioned(org: Organization) -> dict[str, Any]:
    return {name: getattr(org, name) for name in VERSIONED_FIELDS}


async def add_first_version(session: AsyncSession, org: Organization, day: date) -> None:
    session.add(OrganizationVersion(organization_id=org.id, valid_from=day, **_versioned(org)))


async def snapshot_version(session: AsyncSession, org: Organization, day: date) -> None:
    """Make the organization's version from `day` on equal its current row.

    The open version is closed at `day` and a new one opened; when the open version
    starts that very day (a second change the same day) it is rewritten instead, so
    that no version covers an empty range.
    """
    same_day = await session.exec(
        update(OrganizationVersion)
        .where(
            col(OrganizationVersion.organization_id) == org.id,
            col(OrganizationVersion.valid_to).is_(None),
            col(OrganizationVersion.valid_from) == day,
        )
        .values(**_versioned(org))
        .returning(col(OrganizationVersion.id))
        .execution_options(synchronize_session=False)
    )
    if same_day.first() is not None:
        return
    await session.exec(
        update(OrganizationVersion)
        .where(
            col(OrganizationVersion.organization_id) == org.id,
            col(OrganizationVersion.valid_to).is_(None),
        )
        .values(valid_to=day)
        .execution_options(synchronize_session=False)
    )
    await add_first_version(session, org, day)


def _rewrite(path_column: Any, old: str, new: str) -> Any:
    return func.concat(literal(new), func.substr(path_column, len(old) + 1))


async def move_subtree(session: AsyncSession, old: str, new: str, day: date) -> None:
    """Give the subtree at `old` the path prefix `new` from `day` on: versions and current rows.

    Every organization below gets a new version too (its path changes), so that "as of"
    reads of any day see one consistent tree.
    """
    subtree = select(Organization.id).where(subtree_filter(Organization.path, old))
    await session.exec(
        update(OrganizationVersion)
        .where(
            col(OrganizationVersion.organization_id).in_(subtree),
            col(OrganizationVersion.valid_to).is_(None),
            col(OrganizationVersion.valid_from) == day,
        )
        .values(path=_rewrite(OrganizationVersion.path, old, new))
        .execution_options(synchronize_session=False)
    )
    table_ = OrganizationVersion.__table__  # type: ignore[attr-defined]
    closed = await session.exec(
        update(table_)
        .where(
            table_.c.organization_id.in_(subtree),
            table_.c.valid_to.is_(None),
            table_.c.valid_from < day,
        )
        .values(valid_to=day)
        .returning(*(table_.c[name] for name in ("organization_id", *VERSIONED_FIELDS)))
    )
    for row in closed.mappings().all():
        values = dict(row)
        values["path"] = new + values["path"][len(old) :]
        session.add(OrganizationVersion(valid_from=day, **values))
    await session.flush()
    await session.exec(
        update(Organization)
        .where(subtree_filter(Organization.path, old))
        .values(path=_rewrite(Organization.path, old, new), updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )


async def add_change(session: AsyncSession, change: OrganizationChange) -> None:
    session.add(change)


async def history(
    session: AsyncSession, organization_id: uuid.UUID
) -> tuple[list[OrganizationChange], list[OrganizationVersion], list[OrganizationMemberCount]]:
    changes = await session.exec(
        select(OrganizationChange)
        .where(OrganizationChange.organization_id == organization_id)
        .order_by(col(OrganizationChange.effective_on), col(OrganizationChange.recorded_at))
    )
    versions = await session.exec(
        select(OrganizationVersion)
        .where(OrganizationVersion.organization_id == organization_id)
        .order_by(col(OrganizationVersion.valid_from))
    )
    counts = await session.exec(
        select(OrganizationMemberCount)
        .where(OrganizationMemberCount.organization_id == organization_id)
        .order_by(col(OrganizationMemberCount.as_of), col(OrganizationMemberCount.recorded_at))
    )
    return list(changes.all()), list(versions.all()), list(counts.all())


# --- as of a day -------------------------------------------------------------------------


def _as_of(where: Any, day: date) -> SelectOfScalar[OrganizationVersion]:
    """Versions in force on `day` of organizations the caller may see (`where` on Organization)."""
    return (
        select(OrganizationVersion)
        .join(Organization, col(Organization.id) == col(OrganizationVersion.organization_id))
        .where(where, valid_on(OrganizationVersion.valid_from, OrganizationVersion.valid_to, day))
    )


async def version_on(
    session: AsyncSession, organization_id: uuid.UUID, day: date, where: Any
) -> OrganizationVersion | None:
    rows = await session.exec(
        _as_of(where, day).where(OrganizationVersion.organization_id == organization_id)
    )
    return rows.first()


async def versions_on(
    session: AsyncSession, ids: Sequence[uuid.UUID], day: date, where: Any
) -> list[OrganizationVersion]:
    rows = await session.exec(
        _as_of(where, day).where(col(OrganizationVersion.organization_id).in_(ids))
    )
    return list(rows.all())


async def path_on(session: AsyncSession, organization_id: uuid.UUID, day: date) -> str | None:
    rows = await session.exec(
        select(OrganizationVersion.path).where(
            OrganizationVersion.organization_id == organization_id,
            valid_on(OrganizationVersion.valid_from, OrganizationVersion.valid_to, day),
        )
    )
    return rows.first()


async def page_on(
    session: AsyncSession,
    params: PageParams,
    where: Any,
    day: date,
    *,
    kind: str | None = None,
    parent_id: uuid.UUID | None = None,
    region_id: uuid.UUID | None = None,
    under_path: str | None = None,
    industry_committee_id: uuid.UUID | None = None,
    status: str | None = None,
) -> KeysetPage:
    """The versions in force on `day`, in the tree order of that day."""
    v = OrganizationVersion
    statement = _as_of(where, day)
    if kind is not None:
        statement = statement.where(v.kind == kind)
    if parent_id is not None:
        statement = statement.where(v.parent_id == parent_id)
    if region_id is not None:
        statement = statement.where(v.region_id == region_id)
    if under_path is not None:
        statement = statement.where(subtree_filter(v.path, under_path))
    if industry_committee_id is not None:
        statement = statement.where(v.industry_committee_id == industry_committee_id)
    if status is not None:
        statement = statement.where(v.status == status)
    return await keyset_page(
        session,
        statement,
        order_by=[v.path],  # type: ignore[list-item]
        params=params,
    )


async def counts_on(
    session: AsyncSession, ids: Sequence[uuid.UUID], day: date
) -> dict[uuid.UUID, OrganizationMemberCount]:
    """The member counts in force on `day` (the latest report dated on or before it)."""
    c = OrganizationMemberCount
    rows = await session.exec(
        select(c)
        .where(col(c.organization_id).in_(ids), c.as_of <= day)
        .ext(distinct_on(col(c.organization_id)))
        .order_by(col(c.organization_id), col(c.as_of).desc(), col(c.recorded_at).desc())
    )
    return {row.organization_id: row for row in rows.all()}


# --- current state -----------------------------------------------------------------------


async def page(
    session: AsyncSession,
    params: PageParams,
    where: Any,
    *,
    kind: str | None = None,
    parent_id: uuid.UUID | None = None,
    region_id: uuid.UUID | None = None,
    under_path: str | None = None,
    industry_committee_id: uuid.UUID | None = None,
    status: str | None = None,
) -> KeysetPage:
    statement = select(Organization).where(where)
    if kind is not None:
        statement = statement.where(Organization.kind == kind)
    if parent_id is not None:
        statement = statement.where(Organization.parent_id == parent_id)
    if region_id is not None:
        statement = statement.where(Organization.region_id == region_id)
    if under_path is not None:
        statement = statement.where(subtree_filter(Organization.path, under_path))
    if industry_committee_id is not None:
        statement = statement.where(Organization.industry_committee_id == industry_committee_id)
    if status is not None:
        statement = statement.where(Organization.status == status)
    return await keyset_page(
        session,
        statement,
        order_by=[Organization.path],  # type: ignore[list-item]
        params=params,
    )


async def add_member_counts(session: AsyncSession, counts: OrganizationMemberCount) -> None:
    session.add(counts)


# --- other areas, by their column contract -----------------------------------------------


async def work_target_party_member_counts(
    session: AsyncSession, work_target_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """party_member_count of each of these work targets that exists."""
    if not work_target_ids:
        return {}
    rows = await session.exec(
        select(WORK_TARGET.c.id, WORK_TARGET.c.party_member_count).where(
            WORK_TARGET.c.id.in_(list(work_target_ids))
        )
    )
    return {row[0]: int(row[1]) for row in rows.all()}


async def work_target_party_member_count(
    session: AsyncSession, work_target_id: uuid.UUID
) -> int | None:
    """party_member_count of a work target; None when there is no such target."""
    rows = await session.exec(
        select(WORK_TARGET.c.party_member_count).where(WORK_TARGET.c.id == work_target_id)
    )
    value = rows.first()
    return None if value is None else int(value)
