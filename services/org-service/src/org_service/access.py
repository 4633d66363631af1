"""What part of the city a caller may see: filters by region and by organization subtree."""

from __future__ import annotations

from typing import Any

from sqlalchemy import false, or_, true
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from org_service.organizations.models import Organization
from org_service.paths import ancestor_ids
from org_service.places.models import Region
from org_service.places.repository import region_ids_under
from org_service.temporal import today, valid_on
from org_service.work_targets.models import InstructorAssignment, WorkTarget, WorkTargetCoverage
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
    if INSTRUCTOR in principal.roles:
        return col(Organization.id).in_(assigned_to_instructor(principal, "organization_id"))
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


INSTRUCTOR = "instructor"
DISTRICT_ADMIN = "district_admin"
ORGANIZATION_ROLES = frozenset({"org_admin", "secretary"})


def assigned_to_instructor(principal: Principal, unit_column: str) -> Any:
    """Ids (work_target_id or organization_id) assigned today to the calling instructor."""
    column = getattr(InstructorAssignment, unit_column)
    return select(column).where(
        InstructorAssignment.subject == principal.subject,
        col(column).is_not(None),
        valid_on(InstructorAssignment.valid_from, InstructorAssignment.valid_to, today()),
    )


async def may_write_in_region(session: AsyncSession, principal: Principal, region_id: Any) -> bool:
    """City-wide callers write anywhere; a district administrator inside their own region."""
    if principal.is_city_wide:
        return True
    if DISTRICT_ADMIN not in principal.roles or principal.region_id is None:
        return False
    own = await region_path(session, principal.region_id)
    path = await region_path(session, region_id)
    return own is not None and path is not None and path.startswith(own)


async def visible_work_targets(session: AsyncSession, principal: Principal) -> Any:
    """A WHERE clause on WorkTarget for what the caller may see (and so change).

    City-wide roles: all. A district administrator: targets whose region lies in theirs.
    An organization's admin or secretary: targets covered today by their subtree. An
    instructor: targets assigned to them today, and targets covered today by an
    organization assigned to them. Anyone else (members, sync clients): none.
    """
    if principal.is_city_wide:
        return true()
    day = today()
    clauses: list[Any] = []
    if DISTRICT_ADMIN in principal.roles and principal.region_id is not None:
        path = await region_path(session, principal.region_id)
        if path is not None:
            clauses.append(col(WorkTarget.region_id).in_(region_ids_under(path)))
    covering: Any = None
    if principal.roles & ORGANIZATION_ROLES and principal.organization_id is not None:
        path = await organization_path(session, principal.organization_id)
        if path is not None:
            covering = select(Organization.id).where(subtree_filter(Organization.path, path))
    if INSTRUCTOR in principal.roles:
        clauses.append(col(WorkTarget.id).in_(assigned_to_instructor(principal, "work_target_id")))
        assigned = assigned_to_instructor(principal, "organization_id")
        covering = assigned if covering is None else covering.union(assigned)
    if covering is not None:
        covered = select(WorkTargetCoverage.work_target_id).where(
            col(WorkTargetCoverage.organization_id).in_(covering),
            valid_on(WorkTargetCoverage.valid_from, WorkTargetCoverage.valid_to, day),
        )
        clauses.append(col(WorkTarget.id).in_(covered))
    return or_(*clauses) if clauses else false()


async def writable_organizations(session: AsyncSession, principal: Principal) -> Any:
    """A WHERE clause on Organization for what the caller may change.

    Narrower than what they may see: the chain above an organization's own people is
    visible to them but not theirs to change.
    """
    if principal.is_city_wide:
        return true()
    if principal.organization_id is not None:
        path = await organization_path(session, principal.organization_id)
        if path is not None:
            return subtree_filter(Organization.path, path)
    if principal.region_id is not None:
        path = await region_path(session, principal.region_id)
        if path is not None:
            regions = select(Region.id).where(subtree_filter(Region.path, path))
            return Organization.region_id.in_(regions)  # type: ignore[attr-defined]
    return false()
