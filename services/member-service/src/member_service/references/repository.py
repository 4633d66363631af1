"""Queries on the local organization and region references: upserts, subtrees, chains."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, Uuid, literal, or_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from member_service.references.models import OrganizationRef, RegionRef, utcnow


async def organizations(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, OrganizationRef]:
    rows = await session.exec(select(OrganizationRef).where(col(OrganizationRef.id).in_(ids)))
    return {row.id: row for row in rows.all()}


async def regions(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, RegionRef]:
    rows = await session.exec(select(RegionRef).where(col(RegionRef.id).in_(ids)))
    return {row.id: row for row in rows.all()}


async def upsert_organization(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    name: str,
    kind: str,
    parent_id: uuid.UUID | None,
    region_id: uuid.UUID,
    status: str,
    source_updated_at: datetime,
) -> None:
    """Insert or refresh a reference; a state older than the one held is ignored."""
    values = {
        "name": name,
        "kind": kind,
        "parent_id": parent_id,
        "region_id": region_id,
        "status": status,
        "source_updated_at": source_updated_at,
        "synced_at": utcnow(),
    }
    table = OrganizationRef.__table__  # type: ignore[attr-defined]
    statement = insert(OrganizationRef).values(id=organization_id, **values)
    statement = statement.on_conflict_do_update(
        index_elements=[col(OrganizationRef.id)],
        set_=values,
        where=table.c.source_updated_at <= statement.excluded.source_updated_at,
    )
    await session.exec(statement)


async def upsert_region(
    session: AsyncSession,
    *,
    region_id: uuid.UUID,
    name: str,
    kind: str,
    parent_id: uuid.UUID | None,
    district_class: str | None,
) -> None:
    values = {
        "name": name,
        "kind": kind,
        "parent_id": parent_id,
        "district_class": district_class,
        "synced_at": utcnow(),
    }
    statement = insert(RegionRef).values(id=region_id, **values)
    await session.exec(
        statement.on_conflict_do_update(index_elements=[col(RegionRef.id)], set_=values)
    )


def organization_subtree(anchors: Any) -> Any:
    """SELECT of the ids of the organizations in `anchors` (ids, or a select of ids) and below."""
    tree = select(OrganizationRef.id).where(col(OrganizationRef.id).in_(anchors))
    cte = tree.cte(recursive=True)
    child = aliased(OrganizationRef)
    cte = cte.union(select(child.id).where(child.parent_id == cte.c.id))
    return select(cte.c.id)


def region_subtree(anchor: uuid.UUID) -> Any:
    """SELECT of the ids of the region `anchor` and every region below it."""
    tree = select(RegionRef.id).where(RegionRef.id == anchor)
    cte = tree.cte(recursive=True)
    child = aliased(RegionRef)
    cte = cte.union(select(child.id).where(child.parent_id == cte.c.id))
    return select(cte.c.id)


def organizations_in_region(anchor: uuid.UUID) -> Any:
    """SELECT of the ids of the organizations whose region lies at or below `anchor`."""
    return select(OrganizationRef.id).where(
        col(OrganizationRef.region_id).in_(region_subtree(anchor))
    )


async def region_chain(session: AsyncSession, region_id: uuid.UUID) -> list[RegionRef]:
    """The region and the regions above it, the region itself first."""
    step = literal(0, Integer).label("step")
    tree = select(RegionRef.id, RegionRef.parent_id, step).where(RegionRef.id == region_id)
    cte = tree.cte(recursive=True)
    parent = aliased(RegionRef)
    cte = cte.union_all(
        select(parent.id, parent.parent_id, (cte.c.step + 1).label("step"))
        .where(parent.id == cte.c.parent_id)
        .where(cte.c.step < 20)
    )
    rows = await session.exec(
        select(RegionRef, cte.c.step).join(cte, col(RegionRef.id) == cte.c.id).order_by(cte.c.step)
    )
    return [region for region, _ in rows.all()]


async def organization_in(
    session: AsyncSession, organization_id: uuid.UUID, parts: Sequence[Any]
) -> bool:
    """Whether `organization_id` is among the ids `parts` (selects of organization ids) name."""
    value = literal(organization_id, Uuid)
    row = await session.exec(
        select(literal(1)).where(or_(*(value.in_(part) for part in parts))).limit(1)
    )
    return row.first() is not None


async def organizations_in(
    session: AsyncSession, organization_ids: Sequence[uuid.UUID], parts: Sequence[Any]
) -> set[uuid.UUID]:
    """Those of `organization_ids` that the ids `parts` (selects of organization ids) name."""
    if not organization_ids:
        return set()
    rows = await session.exec(
        select(OrganizationRef.id).where(
            col(OrganizationRef.id).in_(sorted(set(organization_ids))),
            or_(*(col(OrganizationRef.id).in_(part) for part in parts)),
        )
    )
    return set(rows.all())
