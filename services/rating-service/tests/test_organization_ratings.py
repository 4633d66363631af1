"""Organization star ratings: the scheme of areas and indicators, stars by points, the
one-vote veto, the showcase criteria (两化三有), validity, and the star level they set."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from rating_service.organization_ratings.service import add_months

from .conftest import City, Tokens, new_city, refused

ALL_FIVE = {
    "standardized": True,
    "visualized": True,
    "signature_method": True,
    "innovative_project": True,
    "culture": True,
}
NONE = dict.fromkeys(ALL_FIVE, False)
LEVEL_KEYS = {"subject_kind", "subject_id", "stars", "valid_from", "valid_until", "showcase"}


@pytest.fixture(scope="module")
async def city(services: Any, rating: httpx.AsyncClient, tokens: Tokens) -> City:
    city = await new_city(services, rating, tokens)
    await city.region("二道区", "district", city.region_name, district_class="urban")
    await city.organization(
        "二道区党工委", "working_committee", "二道区", "市党工委", subkind="district"
    )
    for name in ("支部X", "支部Y", "支部Z", "支部W", "支部V"):
        await city.organization(name, "branch", "南关区", "星火源综合党委")
    await city.organization("同心港支部", "branch", "二道区", "二道区党工委")
    return city


@pytest.fixture(scope="module")
async def maxima(city: City) -> dict[str, float]:
    response = await city.rating.get("/rating-schemes", headers=city.admin)
    scheme = response.json()["items"][0]
    return {i["code"]: i["max_points"] for a in scheme["areas"] for i in a["indicators"]}


def points(maxima: dict[str, float], share: float) -> dict[str, float]:
    """Every indicator at the same share of its maximum: the total is 100 × share."""
    return {code: round(top * share, 4) for code, top in maxima.items()}


async def rate(
    city: City,
    organization: str,
    indicator_points: dict[str, float],
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> httpx.Response:
    extra.setdefault("showcase_criteria", NONE)
    return await city.rating.post(
        "/organization-ratings",
        json={
            "organization_id": str(city.ids[organization]),
            "indicator_points": indicator_points,
            **extra,
        },
        headers=headers or city.admin,
    )


async def level_events(rating_sql: Any, organization_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = await rating_sql(
        "SELECT data FROM outbox_event WHERE type = 'rating.star_level.changed' "
        "AND subject = :s ORDER BY seq",
        s=str(organization_id),
    )
    return [r.data for r in rows]


async def test_rule_the_default_scheme_has_6_areas_18_indicators_and_100_points(
    city: City,
) -> None:
    response = await city.rating.get("/rating-schemes", headers=city.admin)
    scheme = response.json()["items"][0]
    assert len(scheme["areas"]) == 6
    assert scheme["indicator_count"] == 18
    assert scheme["total_points"] == 100.0
    assert scheme["star_thresholds"] == {
        "five_stars": 90.0, "four_stars": 80.0, "three_stars": 70.0, "two_stars": 60.0
    }  # fmt: skip
    assert scheme["veto_items"]


async def test_rule_stars_follow_the_total_points_and_hold_for_24_months(
    city: City, maxima: dict[str, float], rating_sql: Any
) -> None:
    response = await rate(city, "支部X", points(maxima, 0.85))
    assert response.status_code == 201, response.text
    rating = response.json()
    today = date.today()
    assert (rating["total_points"], rating["points_stars"], rating["stars"]) == (85.0, 4, 4)
    assert rating["valid_from"] == today.isoformat()
    assert rating["valid_until"] == add_months(today, 24).isoformat()
    assert sum(rating["area_points"].values()) == pytest.approx(85.0)
    events = await level_events(rating_sql, city.ids["支部X"])
    assert events == [
        {
            "subject_kind": "organization",
            "subject_id": str(city.ids["支部X"]),
            "stars": 4,
            "previous_stars": None,
            "valid_from": today.isoformat(),
            "valid_until": add_months(today, 24).isoformat(),
            "showcase": False,
        }
    ]
    for share, stars in ((0.95, 5), (0.75, 3), (0.65, 2), (0.40, 1)):
        again = await rate(city, "支部V", points(maxima, share))
        assert again.json()["stars"] == stars, share


async def test_rule_one_vote_veto_holds_the_organization_at_one_star(
    city: City, maxima: dict[str, float]
) -> None:
    response = await rate(
        city,
        "支部Y",
        points(maxima, 0.96),
        vetoes=["major_accident"],
        showcase_criteria=ALL_FIVE,
    )
    assert response.status_code == 201, response.text
    rating = response.json()
    assert (rating["points_stars"], rating["stars"], rating["vetoed"]) == (5, 1, True)
    assert rating["showcase"] is False


async def test_rule_showcase_needs_all_five_criteria(city: City, maxima: dict[str, float]) -> None:
    full = await rate(city, "支部Z", points(maxima, 0.92), showcase_criteria=ALL_FIVE)
    assert full.json()["showcase"] is True
    four = await rate(
        city, "支部W", points(maxima, 0.92), showcase_criteria={**ALL_FIVE, "culture": False}
    )
    assert four.json()["showcase"] is False


async def test_rule_a_change_of_level_showcase_or_validity_is_published(
    city: City, maxima: dict[str, float], rating_sql: Any
) -> None:
    org_id = city.ids["支部Z"]
    before = len(await level_events(rating_sql, org_id))
    same = await rate(city, "支部Z", points(maxima, 0.92), showcase_criteria=ALL_FIVE)
    assert same.json()["previous_stars"] == 5
    assert len(await level_events(rating_sql, org_id)) == before  # nothing changed
    lost = await rate(city, "支部Z", points(maxima, 0.92), showcase_criteria=NONE)
    assert lost.status_code == 201
    events = await level_events(rating_sql, org_id)
    assert len(events) == before + 1
    assert (events[-1]["stars"], events[-1]["previous_stars"], events[-1]["showcase"]) == (
        5,
        5,
        False,
    )
    lower = await rate(city, "支部Z", points(maxima, 0.72))
    events = await level_events(rating_sql, org_id)
    assert (events[-1]["stars"], events[-1]["previous_stars"]) == (3, 5)
    assert lower.json()["previous_stars"] == 5


async def test_rule_a_rating_replaces_the_level_in_force_and_cannot_predate_it(
    city: City, maxima: dict[str, float], tokens: Tokens
) -> None:
    old_day = date.today() - timedelta(days=400)
    first = await rate(city, "支部W", points(maxima, 0.70), rated_on=old_day.isoformat())
    assert refused(first, 409, "rating_older_than_current")  # 支部W was rated today already
    history = await city.rating.get(
        f"/star-levels/organization/{city.ids['支部W']}/history", headers=city.admin
    )
    assert [h["stars"] for h in history.json()["items"]] == [5]
    renewed = await rate(city, "支部W", points(maxima, 0.81))
    assert renewed.status_code == 201
    levels = (
        await city.rating.get(
            f"/star-levels/organization/{city.ids['支部W']}/history", headers=city.admin
        )
    ).json()["items"]
    # the earlier level of the same day ends the day it began: it never held
    assert [(h["stars"], h["valid_from"] == h["valid_until"]) for h in levels] == [
        (5, True),
        (4, False),
    ]


async def test_rule_an_expired_rating_leaves_no_level_in_force(
    city: City, maxima: dict[str, float], tokens: Tokens
) -> None:
    long_ago = add_months(date.today(), -25)
    response = await rate(city, "同心港支部", points(maxima, 0.9), rated_on=long_ago.isoformat())
    assert response.status_code == 201, response.text
    levels = await city.rating.get(
        "/star-levels",
        params={"subject_kind": "organization", "ids": str(city.ids["同心港支部"])},
        headers=tokens.member(uuid.uuid4()),
    )
    assert levels.json()["items"] == []


async def test_rule_validity_follows_the_policy_parameter_of_the_region(
    city: City, maxima: dict[str, float]
) -> None:
    setting = await city.rating.put(
        "/policy-parameters/organization_rating_validity_months",
        json={"value": 36, "valid_from": "2000-01-01", "region_id": str(city.ids["二道区"])},
        headers=city.admin,
    )
    assert setting.status_code == 200, setting.text
    response = await rate(city, "同心港支部", points(maxima, 0.8))
    assert response.json()["valid_until"] == add_months(date.today(), 36).isoformat()


async def test_star_levels_are_batch_readable_by_id_by_anyone(
    city: City, maxima: dict[str, float], tokens: Tokens
) -> None:
    ids = [city.ids["支部X"], city.ids["支部Y"], uuid.uuid4()]
    response = await city.rating.get(
        "/star-levels",
        params={"subject_kind": "organization", "ids": ",".join(map(str, ids))},
        headers=tokens.account("anyone"),
    )
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert all(set(i) == LEVEL_KEYS for i in items)
    assert {(i["subject_id"], i["stars"]) for i in items} == {
        (str(city.ids["支部X"]), 4),
        (str(city.ids["支部Y"]), 1),
    }


async def test_rule_points_stay_within_each_indicators_maximum(
    city: City, maxima: dict[str, float]
) -> None:
    over = {**points(maxima, 0.5), "venue": 7}
    assert refused(await rate(city, "支部V", over), 422, "indicator_points_out_of_range")
    negative = {**points(maxima, 0.5), "venue": -1}
    assert refused(await rate(city, "支部V", negative), 422, "indicator_points_out_of_range")
    missing = points(maxima, 0.5)
    del missing["venue"]
    assert refused(await rate(city, "支部V", missing), 422, "indicators_mismatch")
    veto = await rate(city, "支部V", points(maxima, 0.5), vetoes=["bad_weather"])
    assert refused(veto, 422, "unknown_veto_item")
    future = (date.today() + timedelta(days=1)).isoformat()
    later = await rate(city, "支部V", points(maxima, 0.5), rated_on=future)
    assert refused(later, 422, "rated_on_in_future")


async def test_rule_an_organization_is_rated_from_above_not_by_itself(
    city: City, maxima: dict[str, float], tokens: Tokens
) -> None:
    own = await rate(city, "支部V", points(maxima, 0.8), tokens.secretary(city.ids["支部V"]))
    assert refused(own, 403, "own_organization_not_rated")
    above = await rate(
        city, "支部V", points(maxima, 0.8), tokens.secretary(city.ids["星火源综合党委"])
    )
    assert above.status_code == 201, above.text
    elsewhere = await rate(
        city, "同心港支部", points(maxima, 0.8), tokens.secretary(city.ids["星火源综合党委"])
    )
    assert refused(elsewhere, 403, "outside_your_scope")
    hidden = await city.rating.get(
        f"/organization-ratings/{above.json()['id']}",
        headers=tokens.secretary(city.ids["同心港支部"]),
    )
    assert refused(hidden, 404, "organization_rating_not_found")


async def test_rule_a_scheme_has_unique_codes_and_falling_thresholds(
    city: City, maxima: dict[str, float], tokens: Tokens
) -> None:
    scheme: dict[str, Any] = {
        "name": "2099年版",
        "valid_from": "2099-01-01",
        "areas": [
            {
                "code": "basics",
                "name": "基础",
                "indicators": [
                    {"code": "meetings", "name": "三会一课", "max_points": 30},
                    {"code": "records", "name": "台账", "max_points": 20},
                ],
            }
        ],
        "star_thresholds": {"five_stars": 45, "four_stars": 40, "three_stars": 30, "two_stars": 20},
        "veto_items": [{"code": "serious_violation", "name": "严重违纪"}],
    }
    not_admin = await city.rating.post(
        "/rating-schemes", json=scheme, headers=tokens.secretary(city.ids["支部V"])
    )
    assert refused(not_admin, 403, "insufficient_scope")
    unreachable = {**scheme, "star_thresholds": {**scheme["star_thresholds"], "five_stars": 60}}
    response = await city.rating.post("/rating-schemes", json=unreachable, headers=city.admin)
    assert refused(response, 422, "thresholds_out_of_order")
    doubled = {**scheme, "areas": [{**scheme["areas"][0], "code": "meetings"}]}
    response = await city.rating.post("/rating-schemes", json=doubled, headers=city.admin)
    assert refused(response, 422, "duplicate_code")
    created = await city.rating.post("/rating-schemes", json=scheme, headers=city.admin)
    assert created.status_code == 201, created.text
    assert (created.json()["total_points"], created.json()["indicator_count"]) == (50.0, 2)
    early = await rate(
        city,
        "支部V",
        {"meetings": 30, "records": 20},
        scheme_id=created.json()["id"],
    )
    assert refused(early, 422, "scheme_not_in_force")
