"""Rules on development quotas: allocated per district-level region and year by the city.

Admissions draw on them (members.service._admit, through quotas.repository.draw); an
allocation can never fall below what has been drawn.
"""

from __future__ import annotations

import uuid

from sqlalchemy import true
from sqlmodel.ext.asyncio.session import AsyncSession

from member_service.quotas import repository
from member_service.quotas.models import DevelopmentQuota, utcnow
from member_service.quotas.schemas import QuotaIn, QuotaPublic
from member_service.references import service as references
from member_service.references.client import OrgServiceClient
from member_service.references.models import DISTRICT_LEVEL
from service_kit.audit import record_audit
from service_kit.auth import Principal
from service_kit.errors import Conflict, Forbidden, NotFound, Unprocessable
from service_kit.pagination import Page, PageParams


class QuotaNotFound(NotFound):
    code = "development_quota_not_found"
    message = "No development quota for this region and year."


class QuotaBelowUse(Conflict):
    code = "quota_below_use"


class NotADistrict(Unprocessable):
    code = "region_not_district_level"


def to_public(quota: DevelopmentQuota) -> QuotaPublic:
    return QuotaPublic.model_validate(
        {**quota.model_dump(), "remaining": quota.allocated - quota.used}
    )


async def allocate(
    *,
    session: AsyncSession,
    principal: Principal,
    org: OrgServiceClient,
    year: int,
    region_id: uuid.UUID,
    data: QuotaIn,
) -> QuotaPublic:
    """Set a district's quota for a year (city-wide administrators only)."""
    if not principal.is_city_wide:
        raise Forbidden("Development quotas are allocated by the city.", code="city_only")
    region = await references.known_region(session=session, org=org, region_id=region_id)
    if region is None or (region.kind not in DISTRICT_LEVEL and region.kind != "city"):
        raise NotADistrict(
            "Quotas are allocated to a district, county or new area (or the city itself, for "
            "organizations placed at city level).",
            details={"region_id": str(region_id), "kind": region.kind if region else None},
        )
    quota = await repository.lock(session, region_id, year)
    before = to_public(quota).model_dump(mode="json") if quota else None
    if quota is None:
        quota = DevelopmentQuota(region_id=region_id, year=year, allocated=data.allocated)
    elif data.allocated < quota.used:
        raise QuotaBelowUse(
            f"{quota.used} admissions of {year} have drawn on this quota already; it cannot "
            f"become {data.allocated}.",
            details={"used": quota.used, "allocated": data.allocated},
        )
    quota.allocated = data.allocated
    quota.note = data.note
    quota.updated_at = utcnow()
    session.add(quota)
    await session.flush()
    after = to_public(quota)
    await record_audit(
        session,
        principal=principal,
        action="development_quota.allocate",
        entity_type="development_quota",
        entity_id=quota.id,
        before=before,
        after=after.model_dump(mode="json"),
    )
    return after


async def get(*, session: AsyncSession, year: int, region_id: uuid.UUID) -> QuotaPublic:
    """One district's quota of a year."""
    quota = await repository.get(session, region_id, year)
    if quota is None:
        raise QuotaNotFound(details={"region_id": str(region_id), "year": year})
    return to_public(quota)


async def list_public(
    *, session: AsyncSession, page: PageParams, year: int | None
) -> Page[QuotaPublic]:
    """Quotas by year and region, a page at a time."""
    result = await repository.page(session, page, true(), year=year)
    return Page(
        items=[to_public(q) for q in result.rows],
        next_cursor=result.next_cursor,
        cursors=result.cursors,
    )
