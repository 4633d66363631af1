"""Queries of the sync API: a client's places, work targets by credit code, bulk writes.

Bulk writes take one statement per table and batch (service_kit.rows): an ORM object, or a
bind parameter per value, would cost more than the write.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ARRAY, RowMapping, String, Uuid, any_, delete, literal, tuple_, update
from sqlalchemy import select as sql_select
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from org_service.organizations.models import Organization, OrganizationKind, OrganizationStatus
from org_service.places.models import Place, Region
from org_service.sync.models import PlaceFloor, WorkTargetTenancy
from org_service.work_targets.models import WorkTarget
from service_kit.pagination import KeysetPage, PageParams, keyset_page
from service_kit.rows import insert_rows, update_rows, upsert_rows

TARGETS = WorkTarget.__table__  # type: ignore[attr-defined]
PLACES = Place.__table__  # type: ignore[attr-defined]
FLOORS = PlaceFloor.__table__  # type: ignore[attr-defined]
TENANCIES = WorkTargetTenancy.__table__  # type: ignore[attr-defined]

# Places nest at most two deep (a building in a park); a few more rounds cost nothing.
MAX_PLACE_DEPTH = 4


async def places_within(session: AsyncSession, roots: Sequence[uuid.UUID]) -> list[Place]:
    """The places `roots` and every place inside them."""
    found: dict[uuid.UUID, Place] = {}
    frontier = list(roots)
    first = True
    for _ in range(MAX_PLACE_DEPTH):
        if not frontier:
            break
        column = Place.id if first else Place.parent_place_id
        rows = (await session.exec(select(Place).where(col(column).in_(frontier)))).all()
        first = False
        frontier = [p.id for p in rows if p.id not in found]
        found.update({p.id: p for p in rows})
    return list(found.values())


async def floors_of(
    session: AsyncSession, place_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[str]]:
    """Each place's floor labels, bottom up (places without floors are left out)."""
    statement = (
        select(PlaceFloor)
        .where(col(PlaceFloor.place_id).in_(list(place_ids)))
        .order_by(col(PlaceFloor.place_id), col(PlaceFloor.position))
    )
    floors: dict[uuid.UUID, list[str]] = {}
    for row in (await session.exec(statement)).all():
        floors.setdefault(row.place_id, []).append(row.label)
    return floors


async def region_paths(session: AsyncSession, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    rows = await session.exec(select(Region.id, Region.path).where(col(Region.id).in_(wanted)))
    return dict(rows.all())


async def active_working_committees(session: AsyncSession) -> list[tuple[uuid.UUID, str]]:
    """Every active working committee with the path of its region (a few dozen in a city)."""
    statement = (
        select(Organization.id, Region.path)
        .join(Region, col(Region.id) == col(Organization.region_id))
        .where(
            Organization.kind == OrganizationKind.working_committee,
            Organization.status == OrganizationStatus.active,
        )
    )
    return [(org_id, path) for org_id, path in (await session.exec(statement)).all()]


# ----------------------------------------------------------------------------- work targets


async def read_targets(session: AsyncSession, codes: Sequence[str]) -> dict[str, RowMapping]:
    """The stored targets with these credit codes."""
    return await _targets(session, codes, lock=False)


async def lock_targets(session: AsyncSession, codes: Sequence[str]) -> dict[str, RowMapping]:
    """The stored targets with these credit codes, locked until commit (in code order, so that
    two batches with common codes take their locks in the same order)."""
    return await _targets(session, codes, lock=True)


async def _targets(
    session: AsyncSession, codes: Sequence[str], *, lock: bool
) -> dict[str, RowMapping]:
    if not codes:
        return {}
    statement = (
        sql_select(TARGETS)
        .where(TARGETS.c.credit_code == any_(literal(list(codes), ARRAY(String()))))
        .order_by(TARGETS.c.credit_code)
    )
    if lock:
        statement = statement.with_for_update()
    connection = await session.connection()
    rows = (await connection.execute(statement)).mappings().all()
    return {row["credit_code"]: row for row in rows}


async def tenancies(
    session: AsyncSession, target_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, WorkTargetTenancy]:
    if not target_ids:
        return {}
    statement = select(WorkTargetTenancy).where(
        col(WorkTargetTenancy.work_target_id) == any_(literal(list(target_ids), ARRAY(Uuid())))
    )
    return {t.work_target_id: t for t in (await session.exec(statement)).all()}


async def insert_targets(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> set[str]:
    """Insert new targets; the credit codes inserted (a code taken meanwhile is skipped)."""
    inserted = await insert_rows(
        session, TARGETS, rows, skip_conflicts_on=["credit_code"], returning="credit_code"
    )
    return set(inserted)


async def update_targets(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Set each target's columns given in its row (rows carry `id`)."""
    await update_rows(session, TARGETS, rows)


async def upsert_tenancies(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    await upsert_rows(session, TENANCIES, rows, key=["work_target_id"])


async def page_targets(
    session: AsyncSession,
    params: PageParams,
    *,
    place_ids: Sequence[uuid.UUID],
    credit_codes: Sequence[str] | None,
    external_ref: dict[str, str] | None,
    place_id: uuid.UUID | None,
) -> KeysetPage:
    statement = select(WorkTarget).where(col(WorkTarget.place_id).in_(list(place_ids)))
    if credit_codes is not None:
        statement = statement.where(col(WorkTarget.credit_code).in_(list(credit_codes)))
    if external_ref is not None:
        statement = statement.where(col(WorkTarget.external_refs).contains(external_ref))
    if place_id is not None:
        statement = statement.where(WorkTarget.place_id == place_id)
    order: list[Any] = [col(WorkTarget.credit_code)]
    return await keyset_page(session, statement, order_by=order, params=params)


# ----------------------------------------------------------------------------- places


async def names_taken(
    session: AsyncSession, pairs: Iterable[tuple[uuid.UUID, str]]
) -> dict[tuple[uuid.UUID, str], uuid.UUID]:
    """Of these (region, name) pairs, those a place holds already, with that place's id."""
    wanted = list(set(pairs))
    if not wanted:
        return {}
    statement = select(Place.region_id, Place.name, Place.id).where(
        tuple_(col(Place.region_id), col(Place.name)).in_(wanted)
    )
    return {(r, n): i for r, n, i in (await session.exec(statement)).all()}


async def insert_places(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> set[uuid.UUID]:
    """Insert new places; the ids inserted (a name taken meanwhile in the region is skipped)."""
    if not rows:
        return set()
    statement = (
        insert(PLACES).on_conflict_do_nothing(index_elements=["region_id", "name"])
    ).returning(PLACES.c.id)
    connection = await session.connection()
    return set((await connection.execute(statement, list(rows))).scalars().all())


async def update_place(session: AsyncSession, place_id: uuid.UUID, values: dict[str, Any]) -> None:
    connection = await session.connection()
    await connection.execute(update(PLACES).where(PLACES.c.id == place_id).values(values))


async def replace_floors(session: AsyncSession, floors: dict[uuid.UUID, list[str]]) -> None:
    """Each place's floors become exactly the labels given, in that order."""
    if not floors:
        return
    connection = await session.connection()
    await connection.execute(delete(FLOORS).where(FLOORS.c.place_id.in_(list(floors))))
    rows = [
        {"id": uuid.uuid4(), "place_id": place_id, "label": label, "position": position}
        for place_id, labels in floors.items()
        for position, label in enumerate(labels)
    ]
    if rows:
        await connection.execute(FLOORS.insert(), rows)


async def page_places(
    session: AsyncSession, params: PageParams, place_ids: Sequence[uuid.UUID]
) -> KeysetPage:
    statement = select(Place).where(col(Place.id).in_(list(place_ids)))
    order: list[Any] = [col(Place.name), col(Place.id)]
    return await keyset_page(session, statement, order_by=order, params=params)
