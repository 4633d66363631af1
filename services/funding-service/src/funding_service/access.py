"""What part of the funds a caller may see and change: the city, a district, a subtree, oneself.

Accounts, budgets and the rows hanging off them carry the district (and organization or
member) they belong to, so that one WHERE clause filters any of them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import false, or_, true

from funding_service.upstream.org import OrgService
from service_kit.auth import Principal
from service_kit.errors import Forbidden

DISTRICT_ADMIN = "district_admin"
ORGANIZATION_ROLES = frozenset({"org_admin", "secretary"})
MEMBER = "member"
# A subtree larger than this is a committee's, not a branch's: its people read by district.
MAX_SUBTREE = 10_000


@dataclass(frozen=True)
class Reach:
    """What a caller may see: everything, or districts, organizations and members by id."""

    everything: bool = False
    district_ids: frozenset[uuid.UUID] = frozenset()
    organization_ids: frozenset[uuid.UUID] = frozenset()
    member_ids: frozenset[uuid.UUID] = frozenset()

    def clause(self, *, district: Any = None, organization: Any = None, member: Any = None) -> Any:
        """A WHERE clause over whichever of the three columns a table has."""
        if self.everything:
            return true()
        parts = []
        if district is not None and self.district_ids:
            parts.append(district.in_(self.district_ids))
        if organization is not None and self.organization_ids:
            parts.append(organization.in_(self.organization_ids))
        if member is not None and self.member_ids:
            parts.append(member.in_(self.member_ids))
        return or_(*parts) if parts else false()

    def sees(
        self,
        *,
        district_id: uuid.UUID | None = None,
        organization_id: uuid.UUID | None = None,
        member_id: uuid.UUID | None = None,
    ) -> bool:
        return (
            self.everything
            or (district_id is not None and district_id in self.district_ids)
            or (organization_id is not None and organization_id in self.organization_ids)
            or (member_id is not None and member_id in self.member_ids)
        )


async def reach_of(principal: Principal, org: OrgService) -> Reach:
    """City-wide roles: all; a district admin: the district; a secretary or organization
    admin: the organization's subtree (as org-service shows it to them); a member: self."""
    if principal.is_city_wide:
        return Reach(everything=True)
    districts: set[uuid.UUID] = set()
    organizations: set[uuid.UUID] = set()
    members: set[uuid.UUID] = set()
    if DISTRICT_ADMIN in principal.roles and principal.region_id is not None:
        districts.add(principal.region_id)
    if principal.roles & ORGANIZATION_ROLES and principal.organization_id is not None:
        organizations.add(principal.organization_id)
        subtree = await org.list_organizations(
            bearer=principal.token, limit=MAX_SUBTREE, under=str(principal.organization_id)
        )
        organizations.update(o.id for o in subtree)
    if principal.member_id is not None and (
        MEMBER in principal.roles or principal.roles & ORGANIZATION_ROLES
    ):
        members.add(principal.member_id)
    return Reach(
        district_ids=frozenset(districts),
        organization_ids=frozenset(organizations),
        member_ids=frozenset(members),
    )


class OutsideYourDistrict(Forbidden):
    code = "outside_your_district"
    message = "A district administrator changes the funds of their own district only."


class CityWideRoleRequired(Forbidden):
    code = "city_wide_role_required"
    message = "Only the city's administrators (or a service) may do this."


def may_write_district(principal: Principal, district_id: uuid.UUID | None) -> bool:
    """City-wide writers anywhere; a district administrator in their own district."""
    if principal.roles & {"city_admin", "service"}:
        return True
    return (
        DISTRICT_ADMIN in principal.roles
        and principal.region_id is not None
        and district_id == principal.region_id
    )


def require_district_writer(principal: Principal, district_id: uuid.UUID | None) -> None:
    if not may_write_district(principal, district_id):
        raise OutsideYourDistrict(
            details={"district_id": str(district_id) if district_id else None}
        )


def require_city_wide_writer(principal: Principal) -> None:
    if not principal.roles & {"city_admin", "service"}:
        raise CityWideRoleRequired()
