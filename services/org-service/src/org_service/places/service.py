"""Rules on places: the region tree, district classes, and the places inside regions."""

from __future__ import annotations

import uuid

from sqlmodel.ext.asyncio.session import AsyncSession

from org_service.access import may_write_in_region
from org_service.integrity import flush_unique
from org_service.paths import child_path, depth_of
from org_service.places import repository
from org_service.places.models import (
    DISTRICT_LEVEL,
    PLACE_PARENT_KINDS,
    PROVINCIAL_OR_ABOVE,
    REGION_PARENT_KINDS,
    DistrictClass,
    ParkLevel,
    Place,
    PlaceKind,
    Region,
    RegionKind,
)
from org_service.places.schemas import PlaceCreate, PlacePublic, RegionCreate, RegionPublic
from service_kit.audit import record_audit
from service_kit.auth import Principal
from service_kit.errors import Conflict, Forbidden, NotFound, Unprocessable


class RegionNotFound(NotFound):
    code = "region_not_found"
    message = "No region with this id."


class InvalidRegionParent(Unprocessable):
    code = "invalid_region_parent"


class DistrictClassRequired(Unprocessable):
    code = "district_class_required"


class RegionExists(Conflict):
    code = "region_exists"


def to_public(region: Region) -> RegionPublic:
    return RegionPublic(
        id=region.id,
        name=region.name,
        kind=RegionKind(region.kind),
        district_class=DistrictClass(region.district_class) if region.district_class else None,
        code=region.code,
        parent_id=region.parent_id,
        depth=depth_of(region.path),
        created_at=region.created_at,
    )


async def get(*, session: AsyncSession, region_id: uuid.UUID) -> Region:
    """The region, or region_not_found."""
    region = await repository.get(session, region_id)
    if region is None:
        raise RegionNotFound(details={"id": str(region_id)})
    return region


async def create(*, session: AsyncSession, principal: Principal, data: RegionCreate) -> Region:
    """Add a region under its parent, checking the kind of parent and the district class."""
    parent = None
    if data.parent_id is not None:
        parent = await repository.get(session, data.parent_id)
        if parent is None:
            raise InvalidRegionParent(
                "The parent region does not exist.", details={"parent_id": str(data.parent_id)}
            )
    allowed = REGION_PARENT_KINDS[data.kind]
    parent_kind = RegionKind(parent.kind) if parent else None
    if parent_kind not in allowed:
        names = sorted(k.value if k else "none (a root)" for k in allowed)
        raise InvalidRegionParent(
            f"A {data.kind.value} must sit under: {', '.join(names)}.",
            details={"kind": data.kind.value, "parent_kind": parent_kind},
        )
    if data.kind in DISTRICT_LEVEL and data.district_class is None:
        raise DistrictClassRequired(
            "A district, county or new area needs district_class 'urban' or 'county' "
            "(allowances depend on it).",
            details={"field": "district_class"},
        )
    if data.kind not in DISTRICT_LEVEL and data.district_class is not None:
        raise DistrictClassRequired(
            "Only districts, counties and new areas have a district_class.",
            code="district_class_not_allowed",
            details={"field": "district_class"},
        )
    region_id = data.id or uuid.uuid4()
    if await repository.get(session, region_id) is not None:
        raise RegionExists("A region with this id exists already.", details={"id": str(region_id)})
    region = Region(
        id=region_id,
        name=data.name,
        kind=data.kind.value,
        district_class=data.district_class.value if data.district_class else None,
        code=data.code,
        parent_id=data.parent_id,
        path=child_path(parent.path if parent else None, region_id),
    )
    session.add(region)
    await record_audit(
        session,
        principal=principal,
        action="region.create",
        entity_type="region",
        entity_id=region.id,
        after=to_public(region).model_dump(mode="json"),
    )
    return region


class PlaceNotFound(NotFound):
    code = "place_not_found"
    message = "No place with this id."


class InvalidPlace(Unprocessable):
    code = "invalid_place"


class PlaceExists(Conflict):
    code = "place_exists"


class OutsideYourRegion(Forbidden):
    code = "outside_your_region"
    message = (
        "Only a city administrator, or a district administrator inside their own district, "
        "may do this."
    )


def place_to_public(place: Place) -> PlacePublic:
    level = ParkLevel(place.level) if place.level else None
    return PlacePublic(
        id=place.id,
        name=place.name,
        kind=PlaceKind(place.kind),
        level=level,
        region_id=place.region_id,
        parent_place_id=place.parent_place_id,
        address=place.address,
        provincial_or_above=level in PROVINCIAL_OR_ABOVE,
        created_at=place.created_at,
    )


async def get_place(*, session: AsyncSession, place_id: uuid.UUID) -> Place:
    """The place, or place_not_found (places are public reference data, like regions)."""
    place = await repository.get_place(session, place_id)
    if place is None:
        raise PlaceNotFound(details={"id": str(place_id)})
    return place


def region_contains(outer: Region, inner: Region) -> bool:
    """`inner` is `outer` or lies below it."""
    return inner.path.startswith(outer.path)


async def existing_region(session: AsyncSession, region_id: uuid.UUID) -> Region:
    """The region a body refers to, or a 422 region_not_found naming the field."""
    region = await repository.get(session, region_id)
    if region is None:
        raise Unprocessable(
            "The region does not exist.",
            code="region_not_found",
            details={"field": "region_id", "region_id": str(region_id)},
        )
    return region


async def existing_place(session: AsyncSession, place_id: uuid.UUID, field: str) -> Place:
    """The place a body refers to, or a 422 place_not_found naming the field."""
    place = await repository.get_place(session, place_id)
    if place is None:
        raise Unprocessable(
            "The place does not exist.",
            code="place_not_found",
            details={"field": field, "place_id": str(place_id)},
        )
    return place


async def place_on_region_line(session: AsyncSession, region: Region, place_id: uuid.UUID) -> Place:
    """The place a body refers to, which must contain the region or lie within it.

    A unit may be registered in a sub-district of the district where its park lies, or in
    the district of a building whose sub-district is known; not anywhere else.
    """
    place = await existing_place(session, place_id, "place_id")
    place_region = await repository.get(session, place.region_id)
    assert place_region is not None  # a foreign key
    if not (region_contains(place_region, region) or region_contains(region, place_region)):
        raise InvalidPlace(
            f"{place.name} lies in {place_region.name}, which neither contains nor lies in "
            f"{region.name}; correct region_id or place_id.",
            code="place_outside_region",
            details={"field": "place_id", "place_region_id": str(place_region.id)},
        )
    return place


async def create_place(*, session: AsyncSession, principal: Principal, data: PlaceCreate) -> Place:
    """Add a park, business district, market or building to a region (and a parent place)."""
    if (data.kind == PlaceKind.park) != (data.level is not None):
        raise InvalidPlace(
            "A park needs a level (national, provincial or municipal); other places have none.",
            code="invalid_park_level",
            details={"field": "level", "kind": data.kind.value},
        )
    region = await existing_region(session, data.region_id)
    if not await may_write_in_region(session, principal, region.id):
        raise OutsideYourRegion(details={"region_id": str(region.id)})
    parent = None
    if data.parent_place_id is not None:
        parent = await existing_place(session, data.parent_place_id, "parent_place_id")
    parent_kind = PlaceKind(parent.kind) if parent else None
    allowed = PLACE_PARENT_KINDS[data.kind]
    if parent_kind not in allowed:
        names = sorted(k.value if k else "none (directly in a region)" for k in allowed)
        raise InvalidPlace(
            f"A {data.kind.value} can sit in: {', '.join(names)}.",
            code="invalid_place_parent",
            details={"field": "parent_place_id", "parent_kind": parent_kind},
        )
    if parent is not None:
        parent_region = await repository.get(session, parent.region_id)
        assert parent_region is not None  # a foreign key
        if not region_contains(parent_region, region):
            raise InvalidPlace(
                f"The place must lie in the region of {parent.name} ({parent_region.name}) "
                "or in a region below it.",
                code="place_outside_parent_region",
                details={"field": "region_id", "parent_region_id": str(parent_region.id)},
            )
    place_id = data.id or uuid.uuid4()
    if await repository.get_place(session, place_id) is not None:
        raise PlaceExists("A place with this id exists already.", details={"id": str(place_id)})
    if await repository.place_name_taken(session, region.id, data.name):
        raise PlaceExists(
            f"{region.name} already has a place named {data.name}.",
            details={"field": "name", "name": data.name},
        )
    place = Place(
        id=place_id,
        name=data.name,
        kind=data.kind.value,
        level=data.level.value if data.level else None,
        region_id=region.id,
        parent_place_id=data.parent_place_id,
        address=data.address,
    )
    if await flush_unique(session, place) is not None:
        raise PlaceExists(
            f"{region.name} already has a place named {data.name}.",
            details={"field": "name", "name": data.name},
        )
    await record_audit(
        session,
        principal=principal,
        action="place.create",
        entity_type="place",
        entity_id=place.id,
        after=place_to_public(place).model_dump(mode="json"),
    )
    return place
