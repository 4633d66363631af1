"""Who may see and change what: by the organization and region chains stored with each row.

Rows that belong somewhere (a campaign, an organization of a campaign, a registration, a
rating, a star level) carry the chain of organizations above them and the chain of regions
above their region, as org-service reported them when the row was written. A caller sees
a row when their organization (secretary, org_admin) or region (district_admin) is in its
chain; city-wide roles see everything; a member sees what is about themselves.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import false, or_, true

from rating_service.upstream import Scope
from service_kit.auth import Principal
from service_kit.errors import Forbidden

ORGANIZATION_ROLES = frozenset({"org_admin", "secretary"})
DISTRICT_ADMIN = "district_admin"


class OutsideYourScope(Forbidden):
    code = "outside_your_scope"
    message = (
        "This organization is outside what you administer: secretaries and org_admins act "
        "for their own organization and those below it, district_admins for their district."
    )


def administers(principal: Principal, scope: Scope) -> bool:
    """The caller may administer what sits at `scope`."""
    if principal.is_city_wide:
        return True
    if (
        principal.roles & ORGANIZATION_ROLES
        and principal.organization_id is not None
        and principal.organization_id in scope.organization_chain
    ):
        return True
    return (
        DISTRICT_ADMIN in principal.roles
        and principal.region_id is not None
        and principal.region_id in scope.region_chain
    )


def require_administers(principal: Principal, scope: Scope, organization_id: uuid.UUID) -> None:
    if not administers(principal, scope):
        raise OutsideYourScope(details={"organization_id": str(organization_id)})


def chain_clause(principal: Principal, organization_chain: Any, region_chain: Any) -> Any:
    """SQL: the row's chains hold the caller's organization or region (or the caller is
    city-wide). Members and other roles get no rows from this clause."""
    if principal.is_city_wide:
        return true()
    clauses: list[Any] = []
    if principal.roles & ORGANIZATION_ROLES and principal.organization_id is not None:
        clauses.append(organization_chain.contains([principal.organization_id]))
    if DISTRICT_ADMIN in principal.roles and principal.region_id is not None:
        clauses.append(region_chain.contains([principal.region_id]))
    return or_(*clauses) if clauses else false()


def administrative(principal: Principal) -> bool:
    """The caller acts for organizations or regions (beyond their own record)."""
    return principal.is_city_wide or bool(principal.roles & (ORGANIZATION_ROLES | {DISTRICT_ADMIN}))


def own_member(principal: Principal, member_ids: Sequence[uuid.UUID]) -> bool:
    return principal.member_id is not None and principal.member_id in member_ids
