"""Campaigns: settings from the policy parameters, the rules settings follow, who may run one
and who sees it, and what happens when a service the roll comes from is down."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from rating_service.main import create_app
from service_kit.pgcluster import free_port
from service_kit.testing import TestIssuer, app_client

from .conftest import City, Tokens, new_city, rating_settings, refused


@pytest.fixture(scope="module")
async def city(services: Any, rating: httpx.AsyncClient, tokens: Tokens) -> City:
    city = await new_city(services, rating, tokens)
    await city.region("二道区", "district", city.region_name, district_class="urban")
    await city.organization(
        "二道区党工委", "working_committee", "二道区", "市党工委", subkind="district"
    )
    await city.organization("支部A", "branch", "南关区", "星火源综合党委")
    await city.organization("支部B", "branch", "二道区", "二道区党工委")
    await city.organization("空支部", "branch", "南关区", "星火源综合党委")
    await city.members("支部A", ["甲", "乙"])
    await city.members("支部B", ["丙"])
    return city


def body(city: City, organization: str, **settings: Any) -> dict[str, Any]:
    return {
        "name": "评议",
        "organization_id": str(city.ids[organization]),
        "period_start": "2025-01-01",
        "period_end": "2025-12-31",
        "closes_at": (datetime.now(UTC) + timedelta(days=30)).isoformat(),
        **settings,
    }


async def create(
    city: City, organization: str, headers: dict[str, str] | None = None, **settings: Any
) -> httpx.Response:
    return await city.rating.post(
        "/campaigns", json=body(city, organization, **settings), headers=headers or city.admin
    )


async def test_rule_settings_default_to_the_policy_parameters_of_the_region(
    city: City,
) -> None:
    plain = await create(city, "支部A")
    assert plain.status_code == 201, plain.text
    campaign = plain.json()
    assert campaign["weights"] == {"owner": 25, "secretary": 25, "members": 25, "masses": 25}
    assert campaign["star_thresholds"] == {
        "five_stars": 90.0, "four_stars": 80.0, "three_stars": 70.0, "two_stars": 60.0
    }  # fmt: skip
    assert campaign["five_star_cap_percent"] == 5.0
    assert campaign["grade_thresholds"] == {
        "excellent": 90.0, "qualified": 70.0, "basically_qualified": 60.0
    }  # fmt: skip
    assert len(campaign["criteria"]) == 4
    assert (campaign["organization_count"], campaign["subject_count"]) == (1, 2)
    # 二道区 sets its own weights from a past day: campaigns there take them
    district = await city.rating.put(
        "/policy-parameters/four_party_weights",
        json={
            "value": {"owner": 10, "secretary": 40, "members": 30, "masses": 20},
            "valid_from": "2020-01-01",
            "region_id": str(city.ids["二道区"]),
        },
        headers=city.admin,
    )
    assert district.status_code == 200, district.text
    there = await create(city, "支部B")
    assert there.json()["weights"] == {"owner": 10, "secretary": 40, "members": 30, "masses": 20}
    assert (await create(city, "支部A")).json()["weights"]["owner"] == 25
    no_cap = await create(city, "支部A", five_star_cap_percent=None)
    assert no_cap.json()["five_star_cap_percent"] is None


async def test_rule_weights_sum_to_100(city: City) -> None:
    response = await create(
        city, "支部A", weights={"owner": 25, "secretary": 25, "members": 25, "masses": 20}
    )
    assert refused(response, 422, "weights_not_100")
    assert response.json()["error"]["details"]["sum"] == 95
    negative = await create(
        city, "支部A", weights={"owner": -10, "secretary": 50, "members": 30, "masses": 30}
    )
    assert refused(negative, 422, "weight_out_of_range")


async def test_rule_thresholds_fall_from_each_level_to_the_next(city: City) -> None:
    stars = {"five_stars": 90, "four_stars": 92, "three_stars": 70, "two_stars": 60}
    assert refused(
        await create(city, "支部A", star_thresholds=stars), 422, "thresholds_out_of_order"
    )
    high = {"five_stars": 120, "four_stars": 80, "three_stars": 70, "two_stars": 60}
    assert refused(
        await create(city, "支部A", star_thresholds=high), 422, "thresholds_out_of_order"
    )
    grades = {"excellent": 60, "qualified": 70, "basically_qualified": 50}
    response = await create(city, "支部A", grade_thresholds=grades)
    assert refused(response, 422, "thresholds_out_of_order")


async def test_rule_the_five_star_cap_is_a_share_of_members(city: City) -> None:
    for cap in (0, 150, -5):
        response = await create(city, "支部A", five_star_cap_percent=cap)
        assert refused(response, 422, "five_star_cap_out_of_range")


async def test_rule_period_and_voting_window_run_forwards(city: City) -> None:
    backwards = await create(city, "支部A", period_start="2025-12-31", period_end="2025-01-01")
    assert refused(backwards, 422, "period_out_of_order")
    now = datetime.now(UTC)
    window = await create(
        city,
        "支部A",
        opens_at=(now + timedelta(days=5)).isoformat(),
        closes_at=(now + timedelta(days=2)).isoformat(),
    )
    assert refused(window, 422, "window_out_of_order")
    past = await create(
        city,
        "支部A",
        opens_at=(now - timedelta(days=5)).isoformat(),
        closes_at=(now - timedelta(days=1)).isoformat(),
    )
    assert refused(past, 422, "window_already_closed")


async def test_rule_criteria_are_distinct_codes(city: City) -> None:
    for criteria in ([], ["conduct", "conduct"], ["Not A Code"]):
        assert refused(await create(city, "支部A", criteria=criteria), 422, "invalid_criteria")


async def test_rule_secretaries_run_campaigns_of_their_own_subtree(
    city: City, tokens: Tokens
) -> None:
    committee = tokens.secretary(city.ids["星火源综合党委"])
    response = await create(city, "支部A", committee)
    assert response.status_code == 201, response.text
    branch = tokens.secretary(city.ids["支部A"])
    assert refused(await create(city, "星火源综合党委", branch), 403, "outside_your_scope")
    assert refused(await create(city, "支部B", committee), 403, "outside_your_scope")
    district = tokens.district_admin(city.ids["南关区"])
    assert (await create(city, "支部A", district)).status_code == 201
    assert refused(await create(city, "支部B", district), 403, "outside_your_scope")
    # a branch sees a campaign over its committee (its members are evaluated) but does not
    # administer it
    wide = await create(city, "星火源综合党委", district)
    closing = await city.rating.post(f"/campaigns/{wide.json()['id']}/close", headers=branch)
    assert refused(closing, 403, "outside_your_scope")


async def test_rule_campaigns_are_seen_by_those_they_concern(city: City, tokens: Tokens) -> None:
    response = await create(city, "支部A")
    campaign_id = response.json()["id"]
    seen_by = {
        "member evaluated": tokens.member(city.ids["甲"]),
        "secretary above": tokens.secretary(city.ids["星火源综合党委"]),
        "secretary of the branch": tokens.secretary(city.ids["支部A"]),
        "district": tokens.district_admin(city.ids["南关区"]),
    }
    for who, headers in seen_by.items():
        got = await city.rating.get(f"/campaigns/{campaign_id}", headers=headers)
        assert got.status_code == 200, who
    hidden_from = {
        "member elsewhere": tokens.member(city.ids["丙"]),
        "other branch": tokens.secretary(city.ids["支部B"]),
        "other district": tokens.district_admin(city.ids["二道区"]),
    }
    for who, headers in hidden_from.items():
        got = await city.rating.get(f"/campaigns/{campaign_id}", headers=headers)
        assert refused(got, 404, "campaign_not_found"), who
    listed = await city.rating.get(
        "/campaigns", params={"ids": campaign_id}, headers=tokens.member(city.ids["丙"])
    )
    assert listed.json()["items"] == []
    roll = await city.rating.get(
        f"/campaigns/{campaign_id}/subjects", headers=tokens.member(city.ids["甲"])
    )
    assert [s["member_id"] for s in roll.json()["items"]] == [str(city.ids["甲"])]


async def test_campaign_needs_an_active_organization_with_members(city: City) -> None:
    unknown = await city.rating.post(
        "/campaigns",
        json={**body(city, "支部A"), "organization_id": str(uuid.uuid4())},
        headers=city.admin,
    )
    assert refused(unknown, 404, "organization_not_found")
    assert refused(await create(city, "空支部"), 422, "no_members_to_evaluate")


async def test_a_campaign_cannot_open_while_member_service_is_down(
    city: City, rating_db_url: str, test_issuer: TestIssuer, token_url: str, org_url: str
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    settings = rating_settings(test_issuer, rating_db_url, token_url, org_url, dead)
    async with app_client(create_app(settings, configure_logs=False)) as client:
        before = await client.get("/campaigns", params={"limit": 200}, headers=city.admin)
        response = await client.post("/campaigns", json=body(city, "支部A"), headers=city.admin)
        assert refused(response, 503, "upstream_unavailable")
        assert response.json()["error"]["details"]["service"] == "member-service"
        after = await client.get("/campaigns", params={"limit": 200}, headers=city.admin)
    assert len(after.json()["items"]) == len(before.json()["items"])
