"""What part of the city a caller may see: filters by region and by organization subtree."""

from __future__ import annotations

from typing import Any

from sqlalchemy import false, or_, true
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from org_service.organizations.models import Organization
from org_service.paths import ancestor_ids
from org_service.places.models import Region
from service_kit.auth import Principal, subtree_filter


async def region_path(session: AsyncSession, region_id: Any) -> str | None:
    return (await session.exec(select(Region.path).where(Region.id == region_id))).first()


async def organization_path(session: AsyncSession, organization_id: Any) -> str | None:
    return (
        await session.exec(select(Organization.path).where(Organization.id == organization_id))
    ).first()


async def visible_regions(session: AsyncSession, principal: Principal) -> Any:
    """A WHERE clause on Region for what the caller may see.

    Regions are public reference data inside the city: every authenticated caller
    may read them (names of districts and parks are on every public notice).
    """
    del session, principal
    return true()


async def visible_organizations(session: AsyncSession, principal: Principal) -> Any:
    """A WHERE clause on Organization: the whole city, a district, or an organization subtree.

    Someone who acts for an organization also sees the chain of organizations above it
    (the committees it reports to), but nothing beside it.
    """
    if principal.is_city_wide:
        return true()
    if principal.organization_id is not None:
        path = await organization_path(session, principal.organization_id)
        if path is not None:
            return or_(
                subtree_filter(Organization.path, path),
                Organization.id.in_(ancestor_ids(path)),  # type: ignore[attr-defined]
            )
    if principal.region_id is not None:
        path = await region_path(session, principal.region_id)
        if path is not None:
            regions = select(Region.id).where(subtree_filter(Region.path, path))
            return Organization.region_id.in_(regions)  # type: ignore[attr-defined]
    return false()
