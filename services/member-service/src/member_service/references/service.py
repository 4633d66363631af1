"""Keeping the organization and region references current, and what the rules read from them.

Reads filter on the local references, which `org.organization.changed` events keep
current. A write that names an organization member-service has not seen yet asks
org-service for it, with the organizations and regions above it, so that every
organization holding members has its whole chain here.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from member_service.references import repository
from member_service.references.client import OrgServiceClient
from member_service.references.models import DISTRICT_LEVEL, OrganizationRef, RegionRef
from member_service.references.schemas import (
    OrganizationChanged,
    OrganizationDissolved,
    OrganizationState,
    RegionState,
)
from service_kit.errors import Unprocessable
from service_kit.events import EventEnvelope

# Deep enough for any real tree (city → district → committee → general branch → branch).
MAX_CHAIN = 20

Data = TypeVar("Data", bound=BaseModel)


class OrganizationUnknown(Unprocessable):
    code = "organization_not_found"
    message = "org-service knows no organization with this id."


class OrganizationEnded(Unprocessable):
    code = "organization_not_active"
    message = "The organization has been dissolved or merged into another one."


class InvalidEventData(Unprocessable):
    code = "invalid_event_data"


async def _store_organization(session: AsyncSession, state: OrganizationState) -> None:
    await repository.upsert_organization(
        session,
        organization_id=state.id,
        name=state.name,
        kind=state.kind,
        parent_id=state.parent_id,
        region_id=state.region_id,
        status=state.status,
        source_updated_at=state.updated_at,
    )


async def _ensure_regions(
    session: AsyncSession, org: OrgServiceClient, ids: Sequence[uuid.UUID]
) -> None:
    wanted = set(ids)
    for _ in range(MAX_CHAIN):
        missing = wanted - set(await repository.regions(session, list(wanted)))
        if not missing:
            return
        found = [RegionState.model_validate(r) for r in await org.regions(sorted(missing))]
        wanted = set()
        for region in found:
            await repository.upsert_region(
                session,
                region_id=region.id,
                name=region.name,
                kind=region.kind,
                parent_id=region.parent_id,
                district_class=region.district_class,
            )
            if region.parent_id is not None:
                wanted.add(region.parent_id)
        if not wanted:
            return


async def ensure_organizations(
    *, session: AsyncSession, org: OrgServiceClient, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, OrganizationRef]:
    """The references of `ids`, asking org-service for those not seen yet (with their chains).

    Ids org-service does not know are missing from the answer.
    """
    wanted = list(dict.fromkeys(ids))
    known = await repository.organizations(session, wanted)
    missing = [i for i in wanted if i not in known]
    for _ in range(MAX_CHAIN):
        if not missing:
            break
        found = [OrganizationState.model_validate(o) for o in await org.organizations(missing)]
        parents: set[uuid.UUID] = set()
        regions: set[uuid.UUID] = set()
        for state in found:
            await _store_organization(session, state)
            regions.add(state.region_id)
            if state.parent_id is not None:
                parents.add(state.parent_id)
        await _ensure_regions(session, org, sorted(regions))
        held = await repository.organizations(session, sorted(parents))
        missing = sorted(parents - set(held))
    result = await repository.organizations(session, wanted)
    regions_needed = {ref.region_id for ref in result.values()}
    await _ensure_regions(session, org, sorted(regions_needed))
    return result


async def active_organization(
    *, session: AsyncSession, org: OrgServiceClient, organization_id: uuid.UUID, field: str
) -> OrganizationRef:
    """The organization, which must exist and be active (else a 422 naming `field`)."""
    ref = (await ensure_organizations(session=session, org=org, ids=[organization_id])).get(
        organization_id
    )
    return check_active(ref, organization_id, field)


def check_active(
    ref: OrganizationRef | None, organization_id: uuid.UUID, field: str
) -> OrganizationRef:
    """The reference, which must exist and be active (else a 422 naming `field`)."""
    if ref is None:
        raise OrganizationUnknown(
            f"{field}: org-service knows no organization with id {organization_id}.",
            details={"field": field, "organization_id": str(organization_id)},
        )
    if ref.status != "active":
        raise OrganizationEnded(
            f"{field}: {ref.name} has ended ({ref.status}); choose an active organization.",
            details={"field": field, "organization_id": str(organization_id)},
        )
    return ref


async def known_region(
    *, session: AsyncSession, org: OrgServiceClient, region_id: uuid.UUID
) -> RegionRef | None:
    """The region (asking org-service when it has not been seen yet), or None if unknown."""
    await _ensure_regions(session, org, [region_id])
    return (await repository.regions(session, [region_id])).get(region_id)


async def district_of(session: AsyncSession, region_id: uuid.UUID) -> RegionRef | None:
    """The district-level region (district, county, new area) holding `region_id`.

    An organization placed at city level (an industry committee's branch) has none: the
    city itself stands in for it, so that the city can hold a quota for such admissions.
    """
    chain = await region_chain(session, region_id)
    for region in chain:
        if region.kind in DISTRICT_LEVEL:
            return region
    return chain[-1] if chain else None


async def region_chain(session: AsyncSession, region_id: uuid.UUID) -> list[RegionRef]:
    return await repository.region_chain(session, region_id)


def _data(model: type[Data], envelope: EventEnvelope) -> Data:
    try:
        return model.model_validate(envelope.data)
    except ValidationError as exc:
        raise InvalidEventData(
            f"The event's data is not a {envelope.type} payload.",
            details={"errors": exc.errors(include_url=False, include_context=False)},
        ) from exc


async def on_organization_changed(session: AsyncSession, envelope: EventEnvelope) -> None:
    """org.organization.changed: hold the organization's new state."""
    await _store_organization(session, _data(OrganizationChanged, envelope).organization)


async def on_organization_dissolved(session: AsyncSession, envelope: EventEnvelope) -> None:
    """org.organization.dissolved: the organization has ended (its changed event says how)."""
    data = _data(OrganizationDissolved, envelope)
    ref = await session.get(OrganizationRef, data.organization_id)
    if ref is not None and ref.status == "active":
        ref.status = "dissolved"
        session.add(ref)
