"""Rules of organization star ratings: schemes, points, the one-vote veto, validity and the
showcase criteria (两化三有); a rating sets the organization's star level."""

from __future__ import annotations

import calendar
import uuid
from datetime import date
from typing import Any

from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from rating_service import policy_keys
from rating_service.access import ORGANIZATION_ROLES, chain_clause, require_administers
from rating_service.campaigns.rules import CampaignRuleBroken, check_descending
from rating_service.organization_ratings import repository
from rating_service.organization_ratings.models import (
    SHOWCASE_CRITERIA,
    OrganizationRating,
    RatingScheme,
)
from rating_service.organization_ratings.schemas import (
    Area,
    RatingCreate,
    RatingPublic,
    SchemeCreate,
    SchemePublic,
    SchemeThresholds,
    ShowcaseCriteria,
    VetoItem,
)
from rating_service.star_levels import repository as level_repository
from rating_service.star_levels import service as level_service
from rating_service.star_levels.models import SubjectKind
from rating_service.upstream import Upstream
from service_kit.audit import record_audit
from service_kit.auth import Principal
from service_kit.errors import Conflict, Forbidden, NotFound, Unprocessable
from service_kit.events import EventPublisher
from service_kit.policy import value_on

STAR_KEYS = ("five_stars", "four_stars", "three_stars", "two_stars")


class SchemeNotFound(NotFound):
    code = "scheme_not_found"
    message = "No rating scheme with this id."


class InvalidScheme(Unprocessable):
    code = "invalid_scheme"


class RatingNotFound(NotFound):
    code = "organization_rating_not_found"
    message = "No organization rating with this id (or it is outside what you may see)."


class InvalidRating(Unprocessable):
    code = "invalid_organization_rating"


class RatingConflict(Conflict):
    code = "organization_rating_conflict"


class OwnOrganizationNotRated(Forbidden):
    code = "own_organization_not_rated"
    message = "An organization is rated by those above it, not by its own secretary or admin."


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it has no such day)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# ----------------------------------------------------------------------------- schemes


def indicators_of(scheme: RatingScheme) -> dict[str, float]:
    return {
        indicator["code"]: float(indicator["max_points"])
        for area in scheme.areas
        for indicator in area["indicators"]
    }


def scheme_public(scheme: RatingScheme) -> SchemePublic:
    return SchemePublic(
        id=scheme.id,
        name=scheme.name,
        valid_from=scheme.valid_from,
        total_points=scheme.total_points,
        indicator_count=len(indicators_of(scheme)),
        areas=[Area.model_validate(a) for a in scheme.areas],
        star_thresholds=SchemeThresholds(
            five_stars=scheme.five_stars_min,
            four_stars=scheme.four_stars_min,
            three_stars=scheme.three_stars_min,
            two_stars=scheme.two_stars_min,
        ),
        veto_items=[VetoItem.model_validate(v) for v in scheme.veto_items],
        created_at=scheme.created_at,
    )


async def create_scheme(
    *, session: AsyncSession, principal: Principal, data: SchemeCreate
) -> RatingScheme:
    """Add a scheme that ratings use from its valid_from on."""
    codes = [a.code for a in data.areas] + [i.code for a in data.areas for i in a.indicators]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    veto_codes = [v.code for v in data.veto_items]
    duplicates += sorted({c for c in veto_codes if veto_codes.count(c) > 1})
    if duplicates:
        raise InvalidScheme(
            f"Area, indicator and veto codes must be unique; repeated: {', '.join(duplicates)}.",
            code="duplicate_code",
            details={"codes": duplicates},
        )
    total = round(sum(i.max_points for a in data.areas for i in a.indicators), 2)
    try:
        thresholds = check_descending(
            data.star_thresholds.model_dump(),
            STAR_KEYS,
            field="star_thresholds",
            what="Star thresholds",
        )
    except CampaignRuleBroken as exc:
        raise InvalidScheme(
            exc.detail_message, code=exc.instance_code, details=exc.details
        ) from exc
    if thresholds["five_stars"] > total:
        raise InvalidScheme(
            f"five_stars ({thresholds['five_stars']:g}) is more than the scheme's "
            f"{total:g} points: nobody could reach it.",
            code="thresholds_out_of_order",
            details={"field": "star_thresholds.five_stars", "total_points": total},
        )
    scheme = RatingScheme(
        name=data.name,
        valid_from=data.valid_from,
        total_points=total,
        areas=[a.model_dump() for a in data.areas],
        five_stars_min=thresholds["five_stars"],
        four_stars_min=thresholds["four_stars"],
        three_stars_min=thresholds["three_stars"],
        two_stars_min=thresholds["two_stars"],
        veto_items=[v.model_dump() for v in data.veto_items],
        created_by=principal.subject,
    )
    session.add(scheme)
    await session.flush()
    await record_audit(
        session,
        principal=principal,
        action="rating_scheme.create",
        entity_type="rating_scheme",
        entity_id=scheme.id,
        after=scheme_public(scheme).model_dump(mode="json"),
    )
    return scheme


async def get_scheme(*, session: AsyncSession, scheme_id: uuid.UUID) -> RatingScheme:
    scheme = await repository.scheme(session, scheme_id)
    if scheme is None:
        raise SchemeNotFound(details={"id": str(scheme_id)})
    return scheme


# ----------------------------------------------------------------------------- ratings


def visible_ratings(principal: Principal) -> Any:
    """SQL on OrganizationRating: ratings in the caller's part of the city."""
    return chain_clause(
        principal, col(OrganizationRating.organization_chain), col(OrganizationRating.region_chain)
    )


def rating_public(rating: OrganizationRating, previous_stars: int | None = None) -> RatingPublic:
    return RatingPublic(
        id=rating.id,
        organization_id=rating.organization_id,
        scheme_id=rating.scheme_id,
        rated_on=rating.rated_on,
        indicator_points=dict(rating.indicator_points),
        area_points=dict(rating.area_points),
        total_points=rating.total_points,
        vetoes=list(rating.vetoes),
        vetoed=bool(rating.vetoes),
        points_stars=rating.points_stars,
        stars=rating.stars,
        showcase_criteria=ShowcaseCriteria.model_validate(rating.showcase_criteria),
        showcase=rating.showcase,
        valid_from=rating.valid_from,
        valid_until=rating.valid_until,
        previous_stars=previous_stars,
        note=rating.note,
        created_at=rating.created_at,
    )


def stars_for(scheme: RatingScheme, total: float) -> int:
    """Stars by total points and the scheme's thresholds (below two_stars: 1 star)."""
    for stars, minimum in (
        (5, scheme.five_stars_min),
        (4, scheme.four_stars_min),
        (3, scheme.three_stars_min),
        (2, scheme.two_stars_min),
    ):
        if total >= minimum:
            return stars
    return 1


def score(scheme: RatingScheme, data: RatingCreate) -> tuple[dict[str, float], float]:
    """Points per area and in total; every indicator scored, within its maximum."""
    maxima = indicators_of(scheme)
    given = data.indicator_points
    if set(given) != set(maxima):
        raise InvalidRating(
            f"A rating under '{scheme.name}' scores exactly its {len(maxima)} indicators.",
            code="indicators_mismatch",
            details={
                "missing": sorted(set(maxima) - set(given)),
                "unknown": sorted(set(given) - set(maxima)),
            },
        )
    out_of_range = sorted(code for code, p in given.items() if not 0 <= p <= maxima[code])
    if out_of_range:
        raise InvalidRating(
            "Each indicator's points run from 0 to its max_points; out of range: "
            f"{', '.join(out_of_range)}.",
            code="indicator_points_out_of_range",
            details={"indicators": {c: maxima[c] for c in out_of_range}},
        )
    areas = {
        area["code"]: round(sum(given[i["code"]] for i in area["indicators"]), 2)
        for area in scheme.areas
    }
    return areas, round(sum(areas.values()), 2)


async def create_rating(
    *,
    session: AsyncSession,
    principal: Principal,
    publisher: EventPublisher,
    upstream: Upstream,
    data: RatingCreate,
) -> tuple[OrganizationRating, int | None]:
    """Rate an organization: points under the scheme, the one-vote veto, the showcase
    criteria; the result becomes its star level for the validity period."""
    today = date.today()
    rated_on = data.rated_on or today
    if rated_on > today:
        raise InvalidRating(
            f"A rating records what was found; rated_on ({rated_on}) cannot be after today.",
            code="rated_on_in_future",
            details={"field": "rated_on"},
        )
    if data.scheme_id is not None:
        scheme = await get_scheme(session=session, scheme_id=data.scheme_id)
        if scheme.valid_from > rated_on:
            raise InvalidRating(
                f"The scheme '{scheme.name}' is used from {scheme.valid_from} on.",
                code="scheme_not_in_force",
                details={"field": "scheme_id", "valid_from": scheme.valid_from.isoformat()},
            )
    else:
        found = await repository.scheme_on(session, rated_on)
        if found is None:
            raise InvalidRating(
                f"No rating scheme is in force on {rated_on}.",
                code="scheme_not_in_force",
                details={"field": "rated_on"},
            )
        scheme = found
    area_points, total = score(scheme, data)
    veto_codes = {v["code"] for v in scheme.veto_items}
    unknown = sorted(set(data.vetoes) - veto_codes)
    if unknown:
        raise InvalidRating(
            f"Not veto items of the scheme: {', '.join(unknown)}.",
            code="unknown_veto_item",
            details={"field": "vetoes", "known": sorted(veto_codes)},
        )
    org = await upstream.organization(data.organization_id)
    if org is None:
        raise InvalidRating(
            "org-service knows no organization with this id.",
            code="organization_not_found",
            details={"field": "organization_id"},
        )
    scope = await upstream.scope_of(org)
    require_administers(principal, scope, org.id)
    if (
        not principal.is_city_wide
        and principal.roles & ORGANIZATION_ROLES
        and principal.organization_id == org.id
    ):
        raise OwnOrganizationNotRated(details={"organization_id": str(org.id)})
    await level_service.lock_subject(session, org.id)
    latest = await level_repository.latest(session, SubjectKind.organization.value, org.id)
    if latest is not None and latest.valid_from > rated_on:
        raise RatingConflict(
            f"{org.name} has a star level from {latest.valid_from}; a rating cannot be dated "
            "before it. Rate on that day or later.",
            code="rating_older_than_current",
            details={"valid_from": latest.valid_from.isoformat()},
        )
    months = await value_on(
        session,
        policy_keys.ORGANIZATION_RATING_VALIDITY_MONTHS,
        rated_on,
        [*reversed(scope.region_chain), None],
    )
    points_stars = stars_for(scheme, total)
    vetoed = bool(data.vetoes)
    criteria = data.showcase_criteria.model_dump()
    rating = OrganizationRating(
        organization_id=org.id,
        organization_chain=scope.organization_chain,
        region_id=org.region_id,
        region_chain=scope.region_chain,
        scheme_id=scheme.id,
        rated_on=rated_on,
        indicator_points=dict(data.indicator_points),
        area_points=area_points,
        total_points=total,
        vetoes=sorted(set(data.vetoes)),
        points_stars=points_stars,
        stars=1 if vetoed else points_stars,
        showcase_criteria=criteria,
        showcase=not vetoed and all(criteria[name] for name in SHOWCASE_CRITERIA),
        valid_from=rated_on,
        valid_until=add_months(rated_on, int(months)),
        note=data.note,
        rated_by=principal.subject,
    )
    session.add(rating)
    await session.flush()
    _, previous = await level_service.record_organization_level(
        session=session,
        publisher=publisher,
        organization_id=org.id,
        scope=scope,
        stars=rating.stars,
        showcase=rating.showcase,
        valid_from=rating.valid_from,
        valid_until=rating.valid_until,
        rating_id=rating.id,
    )
    previous_stars = previous.stars if previous is not None else None
    await record_audit(
        session,
        principal=principal,
        action="organization_rating.create",
        entity_type="organization_rating",
        entity_id=rating.id,
        after=rating_public(rating, previous_stars).model_dump(mode="json"),
    )
    return rating, previous_stars


async def get_rating(
    *, session: AsyncSession, principal: Principal, rating_id: uuid.UUID
) -> OrganizationRating:
    rating = await repository.get(session, rating_id, visible_ratings(principal))
    if rating is None:
        raise RatingNotFound(details={"id": str(rating_id)})
    return rating
