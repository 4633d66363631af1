"""Rules on venues (the guidance-center area standard) and showcase sites (两化三有)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from org_service import policy_keys
from org_service.access import may_write_in_region, visible_organizations
from org_service.integrity import flush_unique
from org_service.organizations import repository as organization_repository
from org_service.organizations.models import Organization
from org_service.paths import ancestor_ids
from org_service.places import service as place_service
from org_service.places.models import Region
from org_service.temporal import check_end, today
from org_service.venues import repository
from org_service.venues.models import SHOWCASE_CRITERIA, ShowcaseSite, Venue, VenueKind, utcnow
from org_service.venues.schemas import (
    ShowcaseCriteria,
    ShowcaseSiteCreate,
    ShowcaseSitePublic,
    VenueCreate,
    VenuePublic,
    VenueUpdate,
)
from org_service.work_targets import service as work_target_service
from service_kit.audit import record_audit
from service_kit.auth import Principal
from service_kit.errors import Conflict, NotFound, Unprocessable
from service_kit.policy import value_on


class VenueNotFound(NotFound):
    code = "venue_not_found"
    message = "No venue with this id."


class VenueExists(Conflict):
    code = "venue_exists"


class InvalidVenue(Unprocessable):
    code = "invalid_venue"


class ShowcaseSiteNotFound(NotFound):
    code = "showcase_site_not_found"
    message = "No showcase site with this id (or it is outside what you may see)."


class InvalidShowcaseSite(Unprocessable):
    code = "invalid_showcase_site"


class ShowcaseConflict(Conflict):
    code = "showcase_conflict"


# ----------------------------------------------------------------------------- venues


def meets_area_standard(kind: str, area_m2: float | None, standard_m2: float) -> bool | None:
    """A guidance center meets the standard when its floor area reaches the minimum in force
    (DOMAIN.md: ≥1000 m²); activity centers have no such standard, unknown areas no answer."""
    if kind != VenueKind.guidance_center or area_m2 is None:
        return None
    return area_m2 >= standard_m2


class AreaStandards:
    """The guidance-center minimum by region for one day, read once per region."""

    def __init__(self, session: AsyncSession, day: date) -> None:
        self.session = session
        self.day = day
        self._by_region: dict[uuid.UUID, float] = {}

    async def for_region(self, region_id: uuid.UUID) -> float:
        if region_id not in self._by_region:
            region = await self.session.get(Region, region_id)
            assert region is not None  # a foreign key
            # the region itself, then each region above it, then the city-wide value
            chain: list[uuid.UUID | None] = [region.id, *reversed(ancestor_ids(region.path))]
            value = await value_on(
                self.session, policy_keys.GUIDANCE_CENTER_MIN_AREA_M2, self.day, [*chain, None]
            )
            self._by_region[region_id] = float(value)
        return self._by_region[region_id]


async def to_public_many(
    session: AsyncSession, venues: list[Venue], day: date
) -> list[VenuePublic]:
    standards = AreaStandards(session, day)
    result = []
    for venue in venues:
        standard = None
        if venue.kind == VenueKind.guidance_center:
            standard = await standards.for_region(venue.region_id)
        result.append(
            VenuePublic.model_validate(
                {
                    **venue.model_dump(),
                    "is_open": venue.opened_on <= day
                    and (venue.closed_on is None or venue.closed_on > day),
                    "area_standard_m2": standard,
                    "meets_area_standard": None
                    if standard is None
                    else meets_area_standard(venue.kind, venue.area_m2, standard),
                    "as_of": day,
                }
            )
        )
    return result


async def to_public(session: AsyncSession, venue: Venue, day: date) -> VenuePublic:
    return (await to_public_many(session, [venue], day))[0]


async def get(*, session: AsyncSession, venue_id: uuid.UUID) -> Venue:
    """The venue, or venue_not_found (venues are public places, like regions and parks)."""
    venue = await repository.get(session, venue_id)
    if venue is None:
        raise VenueNotFound(details={"id": str(venue_id)})
    return venue


async def _running_organization(
    session: AsyncSession, principal: Principal, organization_id: uuid.UUID, field: str
) -> Organization:
    where = await visible_organizations(session, principal)
    org = await organization_repository.get_visible(session, organization_id, where)
    if org is None:
        raise Unprocessable(
            "The organization does not exist (or is outside what you may see).",
            code="organization_not_found",
            details={"field": field, "organization_id": str(organization_id)},
        )
    return org


def _check_venue_dates(opened_on: date, closed_on: date | None) -> None:
    if closed_on is not None and closed_on < opened_on:
        raise InvalidVenue(
            "closed_on cannot be earlier than opened_on.",
            code="closed_before_opened",
            details={"field": "closed_on"},
        )


async def create(*, session: AsyncSession, principal: Principal, data: VenueCreate) -> Venue:
    """Open a venue (city admins anywhere, district admins in their district)."""
    _check_venue_dates(data.opened_on, data.closed_on)
    region = await place_service.existing_region(session, data.region_id)
    if not await may_write_in_region(session, principal, region.id):
        raise place_service.OutsideYourRegion(details={"region_id": str(region.id)})
    if data.place_id is not None:
        await place_service.place_on_region_line(session, region, data.place_id)
    if data.run_by_organization_id is not None:
        await _running_organization(
            session, principal, data.run_by_organization_id, "run_by_organization_id"
        )
    venue_id = data.id or uuid.uuid4()
    if await repository.get(session, venue_id) is not None:
        raise VenueExists("A venue with this id exists already.", details={"id": str(venue_id)})
    venue = Venue(**data.model_dump(exclude={"id", "kind"}), id=venue_id, kind=data.kind.value)
    session.add(venue)
    await session.flush()
    await record_audit(
        session,
        principal=principal,
        action="venue.create",
        entity_type="venue",
        entity_id=venue.id,
        after=(await to_public(session, venue, today())).model_dump(mode="json"),
    )
    return venue


async def update(
    *, session: AsyncSession, principal: Principal, venue_id: uuid.UUID, data: VenueUpdate
) -> Venue:
    """Change the given fields of a venue (closing it is setting closed_on)."""
    venue = await get(session=session, venue_id=venue_id)
    if not await may_write_in_region(session, principal, venue.region_id):
        raise place_service.OutsideYourRegion(details={"region_id": str(venue.region_id)})
    changes = data.model_dump(exclude_unset=True)
    cleared = sorted(k for k in ("name", "opened_on") if k in changes and changes[k] is None)
    if cleared:
        raise InvalidVenue(
            f"These fields cannot be empty: {', '.join(cleared)}.",
            code="field_required",
            details={"fields": cleared},
        )
    if not changes:
        return venue
    before = (await to_public(session, venue, today())).model_dump(mode="json")
    _check_venue_dates(
        changes.get("opened_on", venue.opened_on), changes.get("closed_on", venue.closed_on)
    )
    if changes.get("place_id") is not None:
        region = await place_service.existing_region(session, venue.region_id)
        await place_service.place_on_region_line(session, region, changes["place_id"])
    if changes.get("run_by_organization_id") is not None:
        await _running_organization(
            session, principal, changes["run_by_organization_id"], "run_by_organization_id"
        )
    for key, value in changes.items():
        setattr(venue, key, value)
    venue.updated_at = utcnow()
    session.add(venue)
    await session.flush()
    await record_audit(
        session,
        principal=principal,
        action="venue.update",
        entity_type="venue",
        entity_id=venue.id,
        before=before,
        after=(await to_public(session, venue, today())).model_dump(mode="json"),
    )
    return venue


# ----------------------------------------------------------------------------- showcase sites


def missing_criteria(criteria: ShowcaseCriteria) -> list[str]:
    """The showcase criteria (两化三有) that do not hold; none missing: a showcase site."""
    return [name for name in SHOWCASE_CRITERIA if not getattr(criteria, name)]


def showcase_public(site: ShowcaseSite) -> ShowcaseSitePublic:
    return ShowcaseSitePublic.model_validate(site)


async def visible_showcases(session: AsyncSession, principal: Principal) -> Any:
    """A WHERE clause on ShowcaseSite: those of organizations the caller may see."""
    orgs = select(Organization.id).where(await visible_organizations(session, principal))
    return col(ShowcaseSite.organization_id).in_(orgs)


async def is_showcase_site(session: AsyncSession, organization_id: uuid.UUID, day: date) -> bool:
    """The organization is a showcase site on `day`."""
    statement = select(ShowcaseSite.id).where(
        ShowcaseSite.organization_id == organization_id, repository.showcase_valid_on(day)
    )
    return (await session.exec(statement)).first() is not None


async def get_showcase(
    *, session: AsyncSession, principal: Principal, site_id: uuid.UUID, for_update: bool = False
) -> ShowcaseSite:
    where = await visible_showcases(session, principal)
    site = await repository.get_showcase(session, site_id, where, for_update=for_update)
    if site is None:
        raise ShowcaseSiteNotFound(details={"id": str(site_id)})
    return site


async def create_showcase(
    *, session: AsyncSession, principal: Principal, data: ShowcaseSiteCreate
) -> ShowcaseSite:
    """Recognize an organization as a showcase site from `since`: all five criteria must hold."""
    missing = missing_criteria(data.criteria)
    if missing:
        raise InvalidShowcaseSite(
            "An organization is a showcase site only when all five criteria (两化三有) hold; "
            f"missing: {', '.join(missing)}.",
            code="showcase_criteria_not_met",
            details={"field": "criteria", "missing": missing},
        )
    org = await _running_organization(session, principal, data.organization_id, "organization_id")
    if not await may_write_in_region(session, principal, org.region_id):
        raise place_service.OutsideYourRegion(details={"region_id": str(org.region_id)})
    await work_target_service.check_organization_active_on(session, org, data.since, "since")
    for other in await repository.showcases_of(session, org.id):
        if other.until is None:
            raise ShowcaseConflict(
                f"{org.name} is a showcase site since {other.since} already.",
                code="showcase_site_open",
                details={"open_site_id": str(other.id)},
            )
        if other.until > data.since:
            raise ShowcaseConflict(
                f"{org.name} was a showcase site until {other.until}; periods cannot overlap.",
                code="showcase_overlap",
                details={"site_id": str(other.id), "until": other.until.isoformat()},
            )
    site = ShowcaseSite(
        organization_id=org.id,
        since=data.since,
        criteria=data.criteria.model_dump(),
        source=data.source.value,
        note=data.note,
    )
    if await flush_unique(session, site) is not None:  # a concurrent recognition won
        raise ShowcaseConflict(f"{org.name} is a showcase site already.", code="showcase_site_open")
    await record_audit(
        session,
        principal=principal,
        action="showcase_site.create",
        entity_type="showcase_site",
        entity_id=site.id,
        after=showcase_public(site).model_dump(mode="json"),
    )
    return site


async def end_showcase(
    *,
    session: AsyncSession,
    principal: Principal,
    site_id: uuid.UUID,
    until: date,
    note: str | None,
) -> ShowcaseSite:
    """End a showcase site on `until` (exclusive)."""
    site = await get_showcase(
        session=session, principal=principal, site_id=site_id, for_update=True
    )
    org = await organization_repository.get(session, site.organization_id)
    assert org is not None  # a foreign key
    if not await may_write_in_region(session, principal, org.region_id):
        raise place_service.OutsideYourRegion(details={"region_id": str(org.region_id)})
    check_end(
        what="showcase site",
        starts=site.since,
        ended=site.until,
        new_end=until,
        ended_code="showcase_site_ended",
        field="until",
        entity_id=site.id,
    )
    before = showcase_public(site).model_dump(mode="json")
    site.until = until
    if note is not None:
        site.note = note
    session.add(site)
    await session.flush()
    await record_audit(
        session,
        principal=principal,
        action="showcase_site.end",
        entity_type="showcase_site",
        entity_id=site.id,
        before=before,
        after=showcase_public(site).model_dump(mode="json"),
    )
    return site
