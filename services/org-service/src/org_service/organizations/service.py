"""Rules on organizations: kinds and subkinds, the shape of the tree, the industry line."""

from __future__ import annotations

import uuid
from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from org_service.access import visible_organizations
from org_service.organizations import repository
from org_service.organizations.models import (
    PARENT_KINDS,
    SUBKINDS,
    Formation,
    Organization,
    OrganizationKind,
    OrganizationSubkind,
)
from org_service.organizations.schemas import OrganizationCreate, OrganizationPublic
from org_service.paths import child_path, depth_of
from org_service.places import repository as region_repository
from service_kit.audit import record_audit
from service_kit.auth import Principal
from service_kit.errors import Conflict, Forbidden, NotFound, Unprocessable
from service_kit.events import EventPublisher


class OrganizationNotFound(NotFound):
    code = "organization_not_found"
    message = "No organization with this id (or it is outside what you may see)."


class InvalidOrganization(Unprocessable):
    code = "invalid_organization"


class OrganizationExists(Conflict):
    code = "organization_exists"


def to_public(org: Organization) -> OrganizationPublic:
    return OrganizationPublic.model_validate(
        {
            **org.model_dump(),
            "is_functional_branch": is_functional_branch(org),
            "depth": depth_of(org.path),
        }
    )


def is_functional_branch(org: Organization) -> bool:
    """A branch formed by dispatch is a functional branch (功能型党支部)."""
    return org.kind == OrganizationKind.branch and org.formation == Formation.dispatched


async def get(
    *, session: AsyncSession, principal: Principal, organization_id: uuid.UUID
) -> Organization:
    """The organization if the caller may see it, else organization_not_found."""
    where = await visible_organizations(session, principal)
    org = await repository.get_visible(session, organization_id, where)
    if org is None:
        raise OrganizationNotFound(details={"id": str(organization_id)})
    return org


def _check_kind(data: OrganizationCreate) -> None:
    allowed = SUBKINDS[data.kind]
    if allowed and data.subkind not in allowed:
        raise InvalidOrganization(
            f"A {data.kind.value} needs a subkind, one of: "
            f"{', '.join(sorted(s.value for s in allowed))}.",
            code="invalid_subkind",
            details={"field": "subkind"},
        )
    if not allowed and data.subkind is not None:
        raise InvalidOrganization(
            f"A {data.kind.value} has no subkind.",
            code="invalid_subkind",
            details={"field": "subkind"},
        )
    if (data.formation == Formation.joint) != (data.joint_mode is not None):
        raise InvalidOrganization(
            "joint_mode (area, industry, leading_enterprise) is given exactly when "
            "formation is joint.",
            code="invalid_joint_mode",
            details={"field": "joint_mode"},
        )
    if data.formation == Formation.dispatched and data.kind != OrganizationKind.branch:
        raise InvalidOrganization(
            "Only a branch can be formed by dispatch (a functional branch).",
            code="invalid_formation",
            details={"field": "formation"},
        )


async def create(
    *,
    session: AsyncSession,
    principal: Principal,
    publisher: EventPublisher,
    data: OrganizationCreate,
) -> Organization:
    """Found an organization under a parent the caller may see."""
    _check_kind(data)
    if await region_repository.get(session, data.region_id) is None:
        raise InvalidOrganization(
            "The region does not exist.",
            code="region_not_found",
            details={"field": "region_id", "region_id": str(data.region_id)},
        )
    parent = None
    if data.parent_id is not None:
        parent = await repository.get(session, data.parent_id)
        if parent is None:
            raise InvalidOrganization(
                "The parent organization does not exist.",
                code="parent_not_found",
                details={"field": "parent_id"},
            )
        visible = await visible_organizations(session, principal)
        if await repository.get_visible(session, parent.id, visible) is None:
            raise Forbidden("You may only add organizations inside your own part of the tree.")
        if parent.status != "active":
            raise InvalidOrganization(
                "The parent organization has been dissolved.",
                code="parent_dissolved",
                details={"field": "parent_id"},
            )
    elif not principal.is_city_wide:
        raise Forbidden("Only city-wide administrators may add a root organization.")
    parent_kind = OrganizationKind(parent.kind) if parent else None
    if parent_kind not in PARENT_KINDS[data.kind]:
        names = sorted(k.value if k else "none (a root)" for k in PARENT_KINDS[data.kind])
        raise InvalidOrganization(
            f"A {data.kind.value} must sit under: {', '.join(names)}.",
            code="invalid_parent_kind",
            details={"field": "parent_id", "parent_kind": parent_kind},
        )
    if data.industry_committee_id is not None:
        line = await repository.get(session, data.industry_committee_id)
        if (
            line is None
            or line.kind != OrganizationKind.party_committee
            or line.subkind != OrganizationSubkind.industry
        ):
            raise InvalidOrganization(
                "industry_committee_id must name an industry party committee.",
                code="invalid_industry_line",
                details={"field": "industry_committee_id"},
            )
    org_id = data.id or uuid.uuid4()
    if await repository.get(session, org_id) is not None:
        raise OrganizationExists(
            "An organization with this id exists already.", details={"id": str(org_id)}
        )
    org = Organization(
        id=org_id,
        name=data.name,
        kind=data.kind.value,
        subkind=data.subkind.value if data.subkind else None,
        formation=data.formation.value,
        joint_mode=data.joint_mode.value if data.joint_mode else None,
        parent_id=data.parent_id,
        industry_committee_id=data.industry_committee_id,
        region_id=data.region_id,
        path=child_path(parent.path if parent else None, org_id),
        founded_on=data.founded_on or date.today(),
    )
    session.add(org)
    public = to_public(org)
    await record_audit(
        session,
        principal=principal,
        action="organization.create",
        entity_type="organization",
        entity_id=org.id,
        after=public.model_dump(mode="json"),
    )
    await publisher.publish(
        session,
        type="org.organization.changed",
        subject=org.id,
        data={"change": "founded", "organization": public.model_dump(mode="json")},
    )
    return org
