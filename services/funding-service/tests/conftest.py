"""funding-service test fixtures: its database, a real org-service over HTTP with a small city,
a client-credentials endpoint for service tokens, the app in process, tokens by role."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from funding_service.main import MIGRATIONS_DIR, create_app
from funding_service.settings import FundingSettings
from gateway.issuer import scopes_for
from org_service.main import MIGRATIONS_DIR as ORG_MIGRATIONS
from org_service.main import create_app as create_org
from org_service.settings import OrgSettings
from service_kit.testing import TestIssuer, app_client, migrated_database, serve_app

# What the gateway's issuer grants services.
SERVICE_SCOPES = scopes_for(("service",))
FOUNDED = "2018-01-01"
THIS_YEAR = date.today().year


def plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


@dataclass
class TokenEndpoint:
    """The issuer's client-credentials grant, as services use it (tokens of TestIssuer)."""

    issuer: TestIssuer
    url: str = ""
    issued: int = 0

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/token")
        async def token(request: Request) -> JSONResponse:
            form = await request.form()
            if form.get("grant_type") != "client_credentials" or not form.get("client_id"):
                return JSONResponse({"error": "invalid_client"}, status_code=401)
            self.issued += 1
            access = self.issuer.token(
                subject=str(form["client_id"]), roles=["service"], scopes=SERVICE_SCOPES
            )
            return JSONResponse({"access_token": access, "expires_in": 600})

        return app


@dataclass
class City:
    """A small city in org-service: ids by name."""

    ids: dict[str, uuid.UUID] = field(default_factory=dict)

    def __getitem__(self, name: str) -> uuid.UUID:
        return self.ids[name]


async def build_city(org_url: str, headers: dict[str, str]) -> City:
    """长春市 with an urban district (南关区, a sub-district below it), a county (农安县) and a
    second urban district (二道区); working committees, an industry committee, branches."""
    city = City()
    async with httpx.AsyncClient(base_url=org_url, headers=headers) as client:

        async def region(name: str, kind: str, parent: str | None = None, **extra: Any) -> None:
            body = {"name": name, "kind": kind, **extra}
            if parent:
                body["parent_id"] = str(city[parent])
            response = await client.post("/regions", json=body)
            assert response.status_code == 201, response.text
            city.ids[name] = uuid.UUID(response.json()["id"])

        async def org(name: str, kind: str, place: str, parent: str | None, **extra: Any) -> None:
            body = {"name": name, "kind": kind, "region_id": str(city[place]), **extra}
            body["founded_on"] = FOUNDED
            if parent:
                body["parent_id"] = str(city[parent])
            response = await client.post("/organizations", json=body)
            assert response.status_code == 201, response.text
            city.ids[name] = uuid.UUID(response.json()["id"])

        await region("长春市", "city")
        await region("南关区", "district", "长春市", district_class="urban")
        await region("南岭街道", "sub_district", "南关区")
        await region("二道区", "district", "长春市", district_class="urban")
        await region("农安县", "county", "长春市", district_class="county")
        await org("市党工委", "working_committee", "长春市", None, subkind="city")
        await org("南关区党工委", "working_committee", "南关区", "市党工委", subkind="district")
        await org("二道区党工委", "working_committee", "二道区", "市党工委", subkind="district")
        await org("农安县党工委", "working_committee", "农安县", "市党工委", subkind="district")
        await org("律师行业党委", "party_committee", "长春市", "市党工委", subkind="industry")
        await org(
            "星火源综合党委", "party_committee", "南岭街道", "南关区党工委", subkind="comprehensive"
        )
        await org("盈科律所党支部", "branch", "南岭街道", "星火源综合党委")
        await org("中天物业党支部", "branch", "南岭街道", "星火源综合党委")
        await org("汇通驾校党支部", "branch", "二道区", "二道区党工委")
        await org("农安某企业党支部", "branch", "农安县", "农安县党工委")
        await org("农安合作社党支部", "branch", "农安县", "农安县党工委")
    return city


@pytest.fixture(scope="session")
async def token_endpoint(test_issuer: TestIssuer) -> AsyncIterator[TokenEndpoint]:
    endpoint = TokenEndpoint(test_issuer)
    async with serve_app(endpoint.app()) as url:
        endpoint.url = url
        yield endpoint


@pytest.fixture(scope="session")
async def org_url(pg_server_url: str, test_issuer: TestIssuer) -> AsyncIterator[str]:
    """A real org-service on its own database, served over HTTP for the whole session."""
    db = await migrated_database(pg_server_url, "funding_org_test", ORG_MIGRATIONS)
    app = create_org(
        OrgSettings(
            environment="test",
            database_url=db,
            auth_issuer=test_issuer.issuer,
            auth_audience=test_issuer.audience,
            auth_jwks=test_issuer.jwks_json,
            relay_enabled=False,
        ),
        configure_logs=False,
    )
    async with serve_app(app) as url:
        yield url


@pytest.fixture(scope="session")
async def city(org_url: str, test_issuer: TestIssuer) -> City:
    headers = test_issuer.headers(
        subject="admin.city", roles=["city_admin"], scopes=["org:read", "org:write", "org:admin"]
    )
    return await build_city(org_url, headers)


@pytest.fixture(scope="session")
async def funding_db_url(pg_server_url: str) -> str:
    return await migrated_database(pg_server_url, "funding_test", MIGRATIONS_DIR)


def funding_settings(
    db_url: str, issuer: TestIssuer, tokens: TokenEndpoint, org_url: str, **overrides: Any
) -> FundingSettings:
    values: dict[str, Any] = {
        "environment": "test",
        "database_url": db_url,
        "auth_issuer": issuer.issuer,
        "auth_audience": issuer.audience,
        "auth_jwks": issuer.jwks_json,
        "relay_enabled": False,
        "token_url": f"{tokens.url}/token",
        "client_secret": "test-secret",
        "org_service_url": org_url,
        # Nothing listens here: calls to these services fail the way an outage does.
        "member_service_url": "http://127.0.0.1:9",
        "rating_service_url": "http://127.0.0.1:9",
        "roster_source": "events",
        "database_pool_size": 20,
        "database_max_overflow": 40,
        **overrides,
    }
    return FundingSettings(**values)


async def reset(db_url: str) -> None:
    """Empty every table but keep what the migrations seeded (budget lines, policy values)."""
    connection = await asyncpg.connect(plain(db_url))
    try:
        tables = [
            r["tablename"]
            for r in await connection.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT IN "
                "('alembic_version', 'budget_line', 'policy_parameter')"
            )
        ]
        await connection.execute(
            "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
        )
        await connection.execute("DELETE FROM budget_line WHERE created_by <> 'migration'")
        await connection.execute("DELETE FROM policy_parameter WHERE recorded_by <> 'migration'")
    finally:
        await connection.close()


@pytest.fixture(scope="session")
async def funding_app(
    funding_db_url: str,
    test_issuer: TestIssuer,
    token_endpoint: TokenEndpoint,
    org_url: str,
    city: City,
) -> AsyncIterator[httpx.AsyncClient]:
    """funding-service in process, started once (its database is emptied after each test)."""
    app = create_app(
        funding_settings(funding_db_url, test_issuer, token_endpoint, org_url), configure_logs=False
    )
    async with app_client(app) as client:
        yield client


@pytest.fixture
async def funding(
    funding_app: httpx.AsyncClient, funding_db_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    yield funding_app
    await reset(funding_db_url)


@pytest.fixture
async def db(funding_db_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(plain(funding_db_url))
    yield connection
    await connection.close()


def role_headers(issuer: TestIssuer, role: str, subject: str, **claims: Any) -> dict[str, str]:
    """A token with the scopes the gateway's issuer grants the role."""
    return issuer.headers(subject=subject, roles=[role], scopes=scopes_for((role,)), **claims)


@pytest.fixture
def city_admin(test_issuer: TestIssuer) -> dict[str, str]:
    return role_headers(test_issuer, "city_admin", "admin.city")


@pytest.fixture
def finance_bureau(test_issuer: TestIssuer) -> dict[str, str]:
    return role_headers(test_issuer, "finance_bureau", "finance-bureau")


def district_admin(
    issuer: TestIssuer, region_id: uuid.UUID, name: str = "admin.district"
) -> dict[str, str]:
    return role_headers(issuer, "district_admin", name, region_id=region_id)


def secretary(
    issuer: TestIssuer, organization_id: uuid.UUID, name: str = "secretary"
) -> dict[str, str]:
    return role_headers(issuer, "secretary", name, org_id=organization_id)


def events_headers(issuer: TestIssuer) -> dict[str, str]:
    return issuer.headers(subject="member-service", roles=["service"], scopes=["events:deliver"])


def envelope(event_type: str, subject: Any, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "type": event_type,
        "occurred_at": datetime.now(UTC).isoformat(),
        "source": event_type.split(".")[0] + "-service",
        "subject": str(subject),
        "version": 1,
        "data": data,
    }


class Funds:
    """Writes through funding-service's API with fresh idempotency keys, asserting success."""

    def __init__(self, client: httpx.AsyncClient, headers: dict[str, str], city: City) -> None:
        self.client = client
        self.headers = headers
        self.city = city

    async def post(
        self,
        path: str,
        body: dict[str, Any],
        *,
        expect: int = 201,
        key: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        response = await self.client.post(
            path,
            json=body,
            headers={**(headers or self.headers), "Idempotency-Key": key or uuid.uuid4().hex},
        )
        assert response.status_code == expect, response.text
        result: dict[str, Any] = response.json()
        return result

    async def get(self, path: str, **params: Any) -> Any:
        response = await self.client.get(path, params=params, headers=self.headers)
        assert response.status_code == 200, response.text
        return response.json()

    async def budget(
        self,
        region: str,
        line: str,
        amount_fen: int,
        *,
        year: int = THIS_YEAR,
        level: str | None = None,
    ) -> dict[str, Any]:
        return await self.post(
            "/budgets",
            {
                "fiscal_year": year,
                "level": level or ("city" if region == "长春市" else "district"),
                "region_id": str(self.city[region]),
                "budget_line": line,
                "amount_fen": amount_fen,
            },
        )

    async def org_account(self, organization: str, line: str) -> dict[str, Any]:
        return await self.post(
            "/accounts",
            {
                "kind": "organization",
                "organization_id": str(self.city[organization]),
                "budget_line": line,
            },
        )

    async def payee(self, name: str, **extra: Any) -> dict[str, Any]:
        return await self.post("/accounts", {"kind": "payee", "name": name, **extra})

    async def transfer(
        self, kind: str, debit: str, credit: str, amount_fen: int, **extra: Any
    ) -> dict[str, Any]:
        expect = extra.pop("expect", 201)
        return await self.post(
            "/transfers",
            {
                "kind": kind,
                "debit_account_id": debit,
                "credit_account_id": credit,
                "amount_fen": amount_fen,
                **extra,
            },
            expect=expect,
        )

    async def event(
        self, issuer: TestIssuer, event_type: str, subject: Any, data: dict[str, Any]
    ) -> None:
        response = await self.client.post(
            "/events", json=envelope(event_type, subject, data), headers=events_headers(issuer)
        )
        assert response.status_code == 200, response.text


@pytest.fixture
def funds(funding: httpx.AsyncClient, city_admin: dict[str, str], city: City) -> Funds:
    return Funds(funding, city_admin, city)
