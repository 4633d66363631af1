"""rating-service test fixtures: org-service and member-service served for real on their own
databases, a client-credentials endpoint for service tokens, rating-service in process, and a
small city built through the services' APIs."""

from __future__ import annotations

import itertools
import json
import random
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from member_service.main import MIGRATIONS_DIR as MEMBER_MIGRATIONS
from member_service.main import create_app as create_member_app
from member_service.members.id_numbers import check_character as id_check_character
from member_service.settings import MemberSettings
from org_service.main import MIGRATIONS_DIR as ORG_MIGRATIONS
from org_service.main import create_app as create_org_app
from org_service.settings import OrgSettings
from org_service.work_targets.credit_code import ALPHABET
from org_service.work_targets.credit_code import check_character as credit_check_character
from rating_service.main import MIGRATIONS_DIR, create_app
from rating_service.settings import RatingSettings
from service_kit.testing import TestIssuer, app_client, migrated_database, serve_app

CLIENT_SECRET = "test-service-secret"
SERVICE_SCOPES = [
    "org:read",
    "member:read",
    "member:write",
    "rating:read",
    "rating:write",
    "funding:read",
    "events:deliver",
]
ADMIN_SCOPES = [
    "org:read",
    "org:write",
    "org:admin",
    "member:read",
    "member:write",
    "member:admin",
    "member:pii",
    "rating:read",
    "rating:write",
    "rating:admin",
]
VOTER_SCOPES = ["rating:read", "rating:vote"]


def token_app(issuer: TestIssuer) -> FastAPI:
    """OAuth2 client credentials for the services under test, minted by the test issuer."""
    app = FastAPI()

    @app.post("/token")
    async def token(request: Request) -> JSONResponse:
        form = await request.form()
        if form.get("grant_type") != "client_credentials" or form.get("client_secret") != (
            CLIENT_SECRET
        ):
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        client_id = str(form.get("client_id"))
        access = issuer.token(
            subject=f"client:{client_id}", roles=["service"], scopes=SERVICE_SCOPES
        )
        return JSONResponse({"access_token": access, "token_type": "Bearer", "expires_in": 600})

    return app


def common(issuer: TestIssuer, database_url: str, token_url: str) -> dict[str, Any]:
    return {
        "environment": "test",
        "database_url": database_url,
        "auth_issuer": issuer.issuer,
        "auth_audience": issuer.audience,
        "auth_jwks": issuer.jwks_json,
        "token_url": token_url,
        "client_secret": CLIENT_SECRET,
        "relay_enabled": False,
        "log_json": False,
    }


@pytest.fixture(scope="session")
async def token_url(test_issuer: TestIssuer) -> AsyncIterator[str]:
    async with serve_app(token_app(test_issuer)) as url:
        yield f"{url}/token"


@pytest.fixture(scope="session")
async def rating_db_url(pg_server_url: str) -> str:
    return await migrated_database(pg_server_url, "rating_test", MIGRATIONS_DIR)


@pytest.fixture(scope="session")
async def org_url(
    pg_server_url: str, test_issuer: TestIssuer, token_url: str
) -> AsyncIterator[str]:
    db = await migrated_database(pg_server_url, "rating_org_test", ORG_MIGRATIONS)
    app = create_org_app(OrgSettings(**common(test_issuer, db, token_url)), configure_logs=False)
    async with serve_app(app) as url:
        yield url


@pytest.fixture(scope="session")
async def member_db_url(pg_server_url: str) -> str:
    return await migrated_database(pg_server_url, "rating_member_test", MEMBER_MIGRATIONS)


def member_settings(
    issuer: TestIssuer, db: str, token_url: str, org_url: str, **overrides: Any
) -> MemberSettings:
    return MemberSettings(
        **{**common(issuer, db, token_url), "org_service_url": org_url, **overrides}
    )


@pytest.fixture(scope="session")
async def member_url(
    member_db_url: str, test_issuer: TestIssuer, token_url: str, org_url: str
) -> AsyncIterator[str]:
    settings = member_settings(test_issuer, member_db_url, token_url, org_url)
    async with serve_app(create_member_app(settings, configure_logs=False)) as url:
        yield url


def rating_settings(
    issuer: TestIssuer, db: str, token_url: str, org_url: str, member_url: str, **overrides: Any
) -> RatingSettings:
    return RatingSettings(
        **{
            **common(issuer, db, token_url),
            "org_service_url": org_url,
            "member_service_url": member_url,
            **overrides,
        }
    )


@pytest.fixture(scope="session")
async def rating(
    rating_db_url: str, test_issuer: TestIssuer, token_url: str, org_url: str, member_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    """rating-service in process (its relay off: tests read the outbox instead)."""
    settings = rating_settings(test_issuer, rating_db_url, token_url, org_url, member_url)
    async with app_client(create_app(settings, configure_logs=False)) as client:
        yield client


@dataclass
class Tokens:
    issuer: TestIssuer

    def admin(self) -> dict[str, str]:
        return self.issuer.headers(subject="admin.city", roles=["city_admin"], scopes=ADMIN_SCOPES)

    def secretary(
        self, organization_id: uuid.UUID, member_id: uuid.UUID | None = None, **extra: Any
    ) -> dict[str, str]:
        return self.issuer.headers(
            subject=f"secretary.{member_id or organization_id}",
            roles=["secretary", "member"],
            scopes=["rating:read", "rating:write", "rating:vote", "org:read", "member:read"],
            org_id=organization_id,
            member_id=member_id,
            **extra,
        )

    def district_admin(self, region_id: uuid.UUID) -> dict[str, str]:
        return self.issuer.headers(
            subject=f"admin.{region_id}",
            roles=["district_admin"],
            scopes=["rating:read", "rating:write"],
            region_id=region_id,
        )

    def member(self, member_id: uuid.UUID) -> dict[str, str]:
        return self.issuer.headers(
            subject=f"member.{member_id}",
            roles=["member"],
            scopes=VOTER_SCOPES,
            member_id=member_id,
        )

    def account(self, subject: str) -> dict[str, str]:
        """An owner's or employee's account: no member id."""
        return self.issuer.headers(subject=subject, roles=["member"], scopes=VOTER_SCOPES)

    def service(self) -> dict[str, str]:
        return self.issuer.headers(
            subject="client:test", roles=["service"], scopes=[*SERVICE_SCOPES, "rating:admin"]
        )


@pytest.fixture(scope="session")
def tokens(test_issuer: TestIssuer) -> Tokens:
    return Tokens(test_issuer)


FULL_MEMBER_DATES = {
    "applied_on": "2014-03-01",
    "activist_on": "2014-09-01",
    "development_target_on": "2015-10-01",
    "admitted_on": "2016-07-01",
    "full_member_on": "2017-07-03",
}

_births = itertools.count()


def id_number() -> str:
    """A valid resident ID card number, different each call (born 1970 onwards)."""
    born = date(1970, 1, 1) + timedelta(days=next(_births))
    first17 = f"220102{born:%Y%m%d}{random.randrange(1000):03d}"
    return first17 + id_check_character(first17)


@dataclass
class City:
    """Regions, organizations, work targets and members built through the real services."""

    org: httpx.AsyncClient
    member: httpx.AsyncClient
    rating: httpx.AsyncClient
    tokens: Tokens
    region_name: str = "长春市"
    ids: dict[str, uuid.UUID] = field(default_factory=dict)

    @property
    def admin(self) -> dict[str, str]:
        return self.tokens.admin()

    async def _post(self, client: httpx.AsyncClient, path: str, body: Any) -> Any:
        response = await client.post(path, json=body, headers=self.admin)
        assert response.status_code in (200, 201), response.text
        return response.json()

    async def region(
        self, name: str, kind: str, parent: str | None = None, **extra: Any
    ) -> uuid.UUID:
        body = {"name": name, "kind": kind, **extra}
        if parent:
            body["parent_id"] = str(self.ids[parent])
        self.ids[name] = uuid.UUID((await self._post(self.org, "/regions", body))["id"])
        return self.ids[name]

    async def organization(
        self, name: str, kind: str, region: str, parent: str | None = None, **extra: Any
    ) -> uuid.UUID:
        extra.setdefault("founded_on", "2012-01-01")
        body = {"name": name, "kind": kind, "region_id": str(self.ids[region]), **extra}
        if parent:
            body["parent_id"] = str(self.ids[parent])
        self.ids[name] = uuid.UUID((await self._post(self.org, "/organizations", body))["id"])
        return self.ids[name]

    async def work_target(self, name: str, region: str) -> uuid.UUID:
        body17 = "91220102" + "".join(random.choices(ALPHABET, k=9))
        body = {
            "name": name,
            "kind": "enterprise",
            "industry": "law",
            "region_id": str(self.ids[region]),
            "registered_on": "2010-01-01",
            "credit_code": body17 + credit_check_character(body17),
        }
        self.ids[name] = uuid.UUID((await self._post(self.org, "/work-targets", body))["id"])
        return self.ids[name]

    async def members(
        self,
        organization: str,
        names: list[str],
        *,
        stage: str = "full_member",
        employer: str | None = None,
    ) -> list[uuid.UUID]:
        """Bring in existing party members (imports, as a city does when it starts)."""
        dates = dict(FULL_MEMBER_DATES)
        if stage == "probationary_member":
            admitted = date.today() - timedelta(days=100)
            dates = {
                "applied_on": "2020-03-01",
                "activist_on": "2020-09-01",
                "development_target_on": "2022-10-01",
                "admitted_on": admitted.isoformat(),
            }
        items = [
            {
                "name": name,
                "id_number": id_number(),
                "organization_id": str(self.ids[organization]),
                "stage": stage,
                **dates,
                **({"employer_id": str(self.ids[employer])} if employer else {}),
            }
            for name in names
        ]
        created = await self._post(self.member, "/members/bulk", {"items": items})
        for name, member_id in zip(names, created["ids"], strict=True):
            self.ids[name] = uuid.UUID(member_id)
        return [self.ids[n] for n in names]

    async def secretary_term(self, member: str, organization: str, term_start: str) -> None:
        await self._post(
            self.member,
            "/secretary-terms",
            {
                "member_id": str(self.ids[member]),
                "organization_id": str(self.ids[organization]),
                "term_start": term_start,
            },
        )

    async def register(
        self,
        kind: str,
        account: str,
        organization: str,
        work_target: str | None = None,
        **extra: Any,
    ) -> uuid.UUID:
        body: dict[str, Any] = {
            "kind": kind,
            "account": account,
            "name": account,
            "organization_id": str(self.ids[organization]),
            **extra,
        }
        if work_target:
            body["work_target_id"] = str(self.ids[work_target])
        response = await self.rating.post("/evaluators", json=body, headers=self.admin)
        assert response.status_code == 201, response.text
        self.ids[account] = uuid.UUID(response.json()["id"])
        return self.ids[account]

    async def campaign(self, name: str, organization: str, **settings: Any) -> dict[str, Any]:
        body = {
            "name": name,
            "organization_id": str(self.ids[organization]),
            "period_start": "2025-01-01",
            "period_end": "2025-12-31",
            "closes_at": (datetime.now(UTC) + timedelta(days=30)).isoformat(),
            **settings,
        }
        response = await self.rating.post(
            "/campaigns", json=body, headers=settings.pop("headers", None) or self.admin
        )
        assert response.status_code == 201, response.text
        campaign: dict[str, Any] = response.json()
        self.ids[name] = uuid.UUID(campaign["id"])
        return campaign


@pytest.fixture(scope="session")
async def services(
    org_url: str, member_url: str, rating: httpx.AsyncClient
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    async with (
        httpx.AsyncClient(base_url=org_url, timeout=30) as org,
        httpx.AsyncClient(base_url=member_url, timeout=30) as member,
    ):
        yield org, member


_cities = itertools.count(1)


async def new_city(
    services: tuple[httpx.AsyncClient, httpx.AsyncClient],
    rating: httpx.AsyncClient,
    tokens: Tokens,
) -> City:
    """A city root, a district, its committee and a comprehensive committee, under new names."""
    org, member = services
    city = City(org, member, rating, tokens, region_name=f"长春市{next(_cities)}")
    await city.region(city.region_name, "city")
    await city.region("南关区", "district", city.region_name, district_class="urban")
    await city.organization("市党工委", "working_committee", city.region_name, subkind="city")
    await city.organization(
        "南关区党工委", "working_committee", "南关区", "市党工委", subkind="district"
    )
    await city.organization(
        "星火源综合党委", "party_committee", "南关区", "南关区党工委", subkind="comprehensive"
    )
    return city


def code(response: httpx.Response) -> str:
    value: str = response.json()["error"]["code"]
    return value


def dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


@pytest.fixture(scope="session")
async def rating_sql(rating_db_url: str) -> AsyncIterator[Any]:
    """Plain SQL on rating-service's database, for what no endpoint shows (outbox, rows)."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(rating_db_url.replace("postgresql://", "postgresql+asyncpg://"))

    async def run(query: str, **params: Any) -> list[Any]:
        async with engine.connect() as connection:
            return list((await connection.execute(text(query), params)).all())

    yield run
    await engine.dispose()


def scores(conduct: int, performance: int | None = None) -> dict[str, int]:
    """A ballot's scores under the test campaigns' two criteria."""
    return {"conduct": conduct, "performance": conduct if performance is None else performance}


async def cast(
    rating: httpx.AsyncClient,
    headers: dict[str, str],
    campaign_id: uuid.UUID,
    member_id: uuid.UUID,
    party: str,
    ballot: dict[str, int],
) -> httpx.Response:
    return await rating.post(
        f"/campaigns/{campaign_id}/ballots",
        json={"member_id": str(member_id), "party": party, "scores": ballot},
        headers=headers,
    )


def refused(response: httpx.Response, status: int, error_code: str) -> bool:
    """The response is the given error (for `assert refused(...)`, with the body on failure)."""
    assert response.status_code == status, response.text
    assert code(response) == error_code, response.text
    return True
