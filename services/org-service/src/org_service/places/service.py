"""Rules on regions: the tree shape and the class of district-level regions."""

from __future__ import annotations

import uuid

from sqlmodel.ext.asyncio.session import AsyncSession

from org_service.paths import child_path, depth_of
from org_service.places import repository
from org_service.places.models import (
    DISTRICT_LEVEL,
    REGION_PARENT_KINDS,
    DistrictClass,
    Region,
    RegionKind,
)
from org_service.places.schemas import RegionCreate, RegionPublic
from service_kit.audit import record_audit
from service_kit.auth import Principal
from service_kit.errors import Conflict, NotFound, Unprocessable


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
