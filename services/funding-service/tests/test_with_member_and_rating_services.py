"""The owners' answers: period runs read member-service's REST API (secretary terms, member
counts) and bids ask rating-service for the star level at that moment; both served for
real over HTTP on their own databases, filled through their own APIs."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from funding_service.main import create_app
from member_service.main import MIGRATIONS_DIR as MEMBER_MIGRATIONS
from member_service.main import create_app as create_member
from member_service.members.id_numbers import check_character
from member_service.settings import MemberSettings
from rating_service.main import MIGRATIONS_DIR as RATING_MIGRATIONS
from rating_service.main import create_app as create_rating
from rating_service.settings import RatingSettings
from service_kit.testing import TestIssuer, app_client, migrated_database, serve_app

from .conftest import City, Funds, TokenEndpoint, funding_settings, reset, role_headers
from .test_period_runs import lines, paid_by_member, run
from .test_projects import stars

SINCE = date(2010, 7, 1)


@dataclass
class Upstream:
    member_url: str
    rating_url: str
    people: dict[str, uuid.UUID] = field(default_factory=dict)


def settings(issuer: TestIssuer, tokens: TokenEndpoint, db: str) -> dict[str, Any]:
    return {
        "environment": "test",
        "database_url": db,
        "auth_issuer": issuer.issuer,
        "auth_audience": issuer.audience,
        "auth_jwks": issuer.jwks_json,
        "relay_enabled": False,
        "token_url": f"{tokens.url}/token",
        "client_secret": "test-secret",
    }


async def _people(
    client: httpx.AsyncClient, city: City, admin: dict[str, str]
) -> dict[str, uuid.UUID]:
    """Full members brought in with their history, and secretary terms of 2024."""
    people: dict[str, uuid.UUID] = {}
    for number, (name, organization) in enumerate(
        [
            ("安书记", "盈科律所党支部"),
            ("盈科党员甲", "盈科律所党支部"),
            ("盈科党员乙", "盈科律所党支部"),
            ("白书记", "农安某企业党支部"),
            ("陈书记", "农安某企业党支部"),
        ],
        start=1,
    ):
        first17 = f"220102{date(1970, 5, number):%Y%m%d}{number:03d}"
        response = await client.post(
            "/members",
            json={
                "name": name,
                "id_number": first17 + check_character(first17),
                "organization_id": str(city[organization]),
                "stage": "full_member",
                "applied_on": str(SINCE - timedelta(days=1200)),
                "activist_on": str(SINCE - timedelta(days=1100)),
                "development_target_on": str(SINCE - timedelta(days=700)),
                "admitted_on": str(SINCE - timedelta(days=366)),
                "full_member_on": str(SINCE),
            },
            headers=admin,
        )
        assert response.status_code == 201, response.text
        people[name] = uuid.UUID(response.json()["id"])
    for name, start, end in (
        ("安书记", "2023-03-01", None),
        ("白书记", "2022-01-01", "2024-06-10"),
        ("陈书记", "2024-06-11", None),
    ):
        body = {"member_id": str(people[name]), "term_start": start}
        if end:
            body["term_end"] = end
        response = await client.post("/secretary-terms", json=body, headers=admin)
        assert response.status_code == 201, response.text
    return people


async def _levels(client: httpx.AsyncClient, city: City, admin: dict[str, str]) -> None:
    """盈科 rated 85 points (4 stars), 中天物业 65 points (2 stars), today."""
    scheme = (await client.get("/rating-schemes", headers=admin)).json()["items"][0]
    maxima = {i["code"]: i["max_points"] for a in scheme["areas"] for i in a["indicators"]}
    for organization, share in (("盈科律所党支部", 0.85), ("中天物业党支部", 0.65)):
        response = await client.post(
            "/organization-ratings",
            json={
                "organization_id": str(city[organization]),
                "indicator_points": {c: round(m * share, 4) for c, m in maxima.items()},
                "showcase_criteria": dict.fromkeys(
                    [
                        "standardized",
                        "visualized",
                        "signature_method",
                        "innovative_project",
                        "culture",
                    ],
                    False,
                ),
            },
            headers=admin,
        )
        assert response.status_code == 201, response.text


@pytest.fixture(scope="module")
async def upstream(
    pg_server_url: str,
    test_issuer: TestIssuer,
    token_endpoint: TokenEndpoint,
    org_url: str,
    city: City,
) -> AsyncIterator[Upstream]:
    member_db = await migrated_database(pg_server_url, "funding_member_test", MEMBER_MIGRATIONS)
    rating_db = await migrated_database(pg_server_url, "funding_rating_test", RATING_MIGRATIONS)
    member = create_member(
        MemberSettings(**settings(test_issuer, token_endpoint, member_db), org_service_url=org_url),
        configure_logs=False,
    )
    async with serve_app(member) as member_url:
        rating = create_rating(
            RatingSettings(
                **settings(test_issuer, token_endpoint, rating_db),
                org_service_url=org_url,
                member_service_url=member_url,
            ),
            configure_logs=False,
        )
        async with serve_app(rating) as rating_url:
            admin = role_headers(test_issuer, "city_admin", "admin.city")
            async with httpx.AsyncClient(base_url=member_url) as client:
                people = await _people(client, city, admin)
            async with httpx.AsyncClient(base_url=rating_url) as client:
                await _levels(client, city, admin)
            yield Upstream(member_url, rating_url, people)


@pytest.fixture
async def funds_api(
    upstream: Upstream,
    funding_db_url: str,
    test_issuer: TestIssuer,
    token_endpoint: TokenEndpoint,
    org_url: str,
    city: City,
    city_admin: dict[str, str],
) -> AsyncIterator[Funds]:
    app = create_app(
        funding_settings(
            funding_db_url,
            test_issuer,
            token_endpoint,
            org_url,
            roster_source="member_service",
            member_service_url=upstream.member_url,
            rating_service_url=upstream.rating_url,
        ),
        configure_logs=False,
    )
    async with app_client(app) as client:
        yield Funds(client, city_admin, city)
    await reset(funding_db_url)


class TestMemberService:
    async def test_rule_allowances_from_member_service_terms_match_hand_computed_figures(
        self, funds_api: Funds, upstream: Upstream
    ) -> None:
        await funds_api.budget("南关区", "secretary_allowance", 1_000_000, year=2024)
        await funds_api.budget("农安县", "secretary_allowance", 1_000_000, year=2024)
        june = await run(funds_api, "secretary_allowance", "2024-06")
        assert june["source"] == "member_service"
        people = upstream.people
        assert paid_by_member(await lines(funds_api, june["id"])) == {
            people["安书记"]: 40_000,
            people["白书记"]: 6_667,
            people["陈书记"]: 13_333,
        }
        again = await run(funds_api, "secretary_allowance", "2024-06")
        assert again["skipped_by_reason"] == {"already_paid": 3}

    async def test_rule_per_member_funds_from_member_service_counts(
        self, funds_api: Funds, city: City
    ) -> None:
        await funds_api.budget("南关区", "per_member_funds", 10_000_000, year=2024)
        await funds_api.budget("农安县", "per_member_funds", 10_000_000, year=2024)
        made = await run(funds_api, "per_member_funds", "2024")
        paid = {
            line["organization_id"]: line["amount_fen"]
            for line in await lines(funds_api, made["id"], status="paid")
        }
        assert paid == {
            str(city["盈科律所党支部"]): 3 * 30_000,
            str(city["农安某企业党支部"]): 2 * 30_000,
        }


class TestRatingService:
    async def test_rule_a_bid_is_judged_by_the_level_rating_service_reports_now(
        self, funds_api: Funds, test_issuer: TestIssuer, city: City
    ) -> None:
        budget = await funds_api.budget("南关区", "per_member_funds", 500_000)
        project = await funds_api.post(
            "/projects",
            {
                "title": "商圈党建",
                "budget_id": budget["id"],
                "budget_fen": 100_000,
                "min_stars": 3,
                "bids_close_on": (date.today() + timedelta(days=10)).isoformat(),
            },
        )
        # the projection says 5 stars; rating-service, asked now, says 2: it decides
        await stars(funds_api, test_issuer, city["中天物业党支部"], 5)
        path = f"/projects/{project['id']}/bids"
        refused = await funds_api.post(
            path,
            {"organization_id": str(city["中天物业党支部"]), "amount_fen": 10_000},
            expect=422,
        )
        assert refused["error"]["code"] == "star_level_too_low"
        assert (refused["error"]["details"]["stars"], refused["error"]["details"]["source"]) == (
            2,
            "rating_service",
        )
        made = await funds_api.post(
            path, {"organization_id": str(city["盈科律所党支部"]), "amount_fen": 10_000}
        )
        assert (made["stars"], made["star_source"]) == (4, "rating_service")
