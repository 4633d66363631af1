"""member-service test fixtures: a real org-service and token issuer over HTTP, the app in process.

Once per session: the gateway's built-in issuer (service credentials for member-service's
calls), org-service on its own database with a small city, and member-service's database
migrated. Per test: member-service in process, its database emptied afterwards.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from gateway.issuer import Issuer, issuer_router
from gateway.settings import GatewaySettings
from member_service.main import MIGRATIONS_DIR, create_app
from member_service.members.id_numbers import check_character
from member_service.settings import MemberSettings
from org_service.main import MIGRATIONS_DIR as ORG_MIGRATIONS
from org_service.main import create_app as create_org
from org_service.settings import OrgSettings
from org_service.work_targets.credit_code import check_character as credit_check
from service_kit.errors import install_error_handlers
from service_kit.testing import TestIssuer, app_client, migrated_database, serve_app
from service_kit.tokens import SigningKey

ISSUER = "http://member.test/auth"
FOUNDED = "2015-01-01"
ALL_SCOPES = ["member:read", "member:write", "member:pii", "member:admin", "org:read"]
_numbers = itertools.count(1)


def id_number(birth: date, region: str = "220102", sequence: int | None = None) -> str:
    """A valid 18-digit ID card number born on `birth` (odd sequence: male)."""
    seq = sequence if sequence is not None else next(_numbers) % 1000
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + check_character(first17)


def plain_url(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


# org-service's data outlives a test (the city fixture), so its references here may too.
KEPT = ("alembic_version", "member_org_reference", "member_region_reference")


async def reset_member_database(url: str) -> None:
    """Empty every table but the references (the archive's guard lifted for it, as its owner)."""
    connection = await asyncpg.connect(plain_url(url))
    try:
        tables = await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> ALL($1::text[])",
            list(KEPT),
        )
        names = ", ".join(f'"{t["tablename"]}"' for t in tables)
        async with connection.transaction():
            await connection.execute("ALTER TABLE archive_entry DISABLE TRIGGER USER")
            await connection.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
            await connection.execute("ALTER TABLE archive_entry ENABLE TRIGGER USER")
    finally:
        await connection.close()


@dataclass
class City:
    """org-service's side of the tests: ids by name, and how to reach it."""

    org_url: str
    gateway_url: str
    issuer: TestIssuer
    ids: dict[str, uuid.UUID] = field(default_factory=dict)

    def __getitem__(self, name: str) -> uuid.UUID:
        return self.ids[name]

    def headers(self, **kwargs: Any) -> dict[str, str]:
        return self.issuer.headers(**kwargs)

    def admin(self) -> dict[str, str]:
        return self.headers(subject="admin.city", roles=["city_admin"], scopes=ALL_SCOPES)

    def secretary(self, organization: str, subject: str = "secretary") -> dict[str, str]:
        return self.headers(
            subject=subject,
            roles=["secretary"],
            scopes=["member:read", "member:write", "org:read"],
            org_id=self.ids[organization],
        )

    def district_admin(self, region: str) -> dict[str, str]:
        return self.headers(
            subject=f"admin.{region}",
            roles=["district_admin"],
            scopes=["member:read", "member:write", "member:pii", "org:read"],
            region_id=self.ids[region],
        )

    def member(self, member_id: uuid.UUID | str) -> dict[str, str]:
        return self.headers(
            subject=f"member.{member_id}",
            roles=["member"],
            scopes=["member:read", "org:read"],
            member_id=str(member_id),
        )

    async def organization(
        self, name: str, kind: str, region: str, parent: str | None, **extra: Any
    ) -> uuid.UUID:
        """Found an organization in org-service (for tests that need one of their own)."""
        body = {
            "name": name,
            "kind": kind,
            "region_id": str(self.ids[region]),
            "parent_id": str(self.ids[parent]) if parent else None,
            "founded_on": FOUNDED,
            **extra,
        }
        token = self.issuer.token(
            subject="org.admin", roles=["city_admin"], scopes=["org:read", "org:write", "org:admin"]
        )
        async with httpx.AsyncClient(base_url=self.org_url) as client:
            response = await client.post(
                "/organizations", json=body, headers={"Authorization": f"Bearer {token}"}
            )
        assert response.status_code == 201, response.text
        self.ids[name] = uuid.UUID(response.json()["id"])
        return self.ids[name]


async def _build_city(city: City) -> None:
    token = city.issuer.token(
        subject="org.admin", roles=["city_admin"], scopes=["org:read", "org:write", "org:admin"]
    )
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=city.org_url, headers=headers) as client:

        async def post(path: str, name: str, body: dict[str, Any]) -> None:
            response = await client.post(path, json={"name": name, **body})
            assert response.status_code == 201, response.text
            city.ids[name] = uuid.UUID(response.json()["id"])

        await post("/regions", "长春市", {"kind": "city"})
        for name, kind, district_class in (
            ("南关区", "district", "urban"),
            ("二道区", "district", "urban"),
            ("农安县", "county", "county"),
        ):
            await post(
                "/regions",
                name,
                {"kind": kind, "district_class": district_class, "parent_id": str(city["长春市"])},
            )
        await post(
            "/regions", "南岭街道", {"kind": "sub_district", "parent_id": str(city["南关区"])}
        )
        for name, level in (("北湖科技园", "national"), ("高新文化创意园", "provincial")):
            await post(
                "/places", name, {"kind": "park", "level": level, "region_id": str(city["南关区"])}
            )
        await post(
            "/places",
            "同心港园区",
            {"kind": "park", "level": "municipal", "region_id": str(city["二道区"])},
        )

    await city.organization("市党工委", "working_committee", "长春市", None, subkind="city")
    await city.organization(
        "南关区党工委", "working_committee", "南关区", "市党工委", subkind="district"
    )
    await city.organization(
        "二道区党工委", "working_committee", "二道区", "市党工委", subkind="district"
    )
    await city.organization(
        "农安县党工委", "working_committee", "农安县", "市党工委", subkind="district"
    )
    await city.organization(
        "律师行业党委", "party_committee", "长春市", "市党工委", subkind="industry"
    )
    await city.organization(
        "星火源综合党委", "party_committee", "南岭街道", "南关区党工委", subkind="comprehensive"
    )
    await city.organization("盈科律所党支部", "branch", "南岭街道", "星火源综合党委")
    await city.organization("瑞华会计所党支部", "branch", "南岭街道", "星火源综合党委")
    await city.organization("同心港企业党支部", "branch", "二道区", "二道区党工委")
    await city.organization("农安某企业党支部", "branch", "农安县", "农安县党工委")
    await city.organization("律师协会党支部", "branch", "长春市", "律师行业党委")
    await city.organization(
        "红旗商圈功能型党支部", "branch", "南岭街道", "南关区党工委", formation="dispatched"
    )
    body17 = "31220102MA0017037"
    async with httpx.AsyncClient(base_url=city.org_url, headers=headers) as client:
        response = await client.post(
            "/work-targets",
            json={
                "name": "盈科律师事务所",
                "kind": "social_organization",
                "industry": "law",
                "region_id": str(city["南岭街道"]),
                "registered_on": "2012-09-01",
                "credit_code": body17 + credit_check(body17),
            },
        )
        assert response.status_code == 201, response.text
        city.ids["盈科律师事务所"] = uuid.UUID(response.json()["id"])


@pytest.fixture(scope="session")
async def city(pg_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[City]:
    """The issuer and org-service over real HTTP, with a small city, for the whole session."""
    key_file = tmp_path_factory.mktemp("issuer") / "signing-key.pem"
    key = SigningKey.load_or_create(key_file)
    issuer = TestIssuer(key=key, issuer=ISSUER)
    org_db = await migrated_database(pg_server_url, "member_org_test", ORG_MIGRATIONS)
    org = create_org(
        OrgSettings(
            environment="test",
            database_url=org_db,
            auth_issuer=ISSUER,
            auth_jwks=issuer.jwks_json,
            relay_enabled=False,
        ),
        configure_logs=False,
    )
    # The gateway's built-in issuer (its own router), for the service credentials.
    gateway = FastAPI()
    gateway.include_router(
        issuer_router(
            Issuer(
                GatewaySettings(
                    environment="test",
                    demo_accounts=False,
                    issuer_key_file=Path(key_file),
                    auth_issuer=ISSUER,
                ),
                key,
            )
        )
    )
    install_error_handlers(gateway)
    async with serve_app(gateway) as gateway_url, serve_app(org) as org_url:
        built = City(org_url=org_url, gateway_url=gateway_url, issuer=issuer)
        await _build_city(built)
        yield built


@pytest.fixture(scope="session")
async def member_db_url(pg_server_url: str) -> str:
    return await migrated_database(pg_server_url, "member_test", MIGRATIONS_DIR)


def member_settings(db_url: str, city: City, **overrides: Any) -> MemberSettings:
    values: dict[str, Any] = {
        "environment": "test",
        "database_url": db_url,
        "auth_issuer": ISSUER,
        "auth_jwks": city.issuer.jwks_json,
        "relay_enabled": False,
        "org_service_url": city.org_url,
        "token_url": f"{city.gateway_url}/auth/token",
        **overrides,
    }
    return MemberSettings(**values)


@pytest.fixture
async def client(member_db_url: str, city: City) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(member_settings(member_db_url, city), configure_logs=False)
    async with app_client(app) as http:
        yield http
    await reset_member_database(member_db_url)


@dataclass
class Members:
    """Shortcuts to put members into member-service through its API."""

    client: httpx.AsyncClient
    city: City

    async def create(self, organization: str = "盈科律所党支部", **body: Any) -> dict[str, Any]:
        headers = body.pop("headers", None) or self.city.admin()
        birth = body.pop("birth", date(1970, 5, 17))
        payload = {
            "name": body.pop("name", "张三"),
            "id_number": body.pop("id_number", None) or id_number(birth),
            "organization_id": str(self.city[organization]),
            **{k: str(v) if isinstance(v, date | uuid.UUID) else v for k, v in body.items()},
        }
        response = await self.client.post("/members", json=payload, headers=headers)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    async def full_member(
        self, organization: str = "盈科律所党支部", *, since: date = date(2010, 7, 1), **body: Any
    ) -> dict[str, Any]:
        """An existing full member brought in with their history."""
        return await self.create(
            organization,
            stage="full_member",
            applied_on=since - timedelta(days=1200),
            activist_on=since - timedelta(days=1100),
            development_target_on=since - timedelta(days=700),
            admitted_on=since - timedelta(days=366),
            full_member_on=since,
            **body,
        )

    async def at_stage(
        self, stage: str, organization: str = "盈科律所党支部", **body: Any
    ) -> dict[str, Any]:
        """A record brought in at `stage`, each stage long enough ago for the next step."""
        today = date.today()
        dates = {
            "applied_on": today - timedelta(days=2000),
            "activist_on": today - timedelta(days=1900),
            "development_target_on": today - timedelta(days=1400),
            "admitted_on": today - timedelta(days=800),
            "full_member_on": today - timedelta(days=300),
        }
        order = [
            "applicant",
            "activist",
            "development_target",
            "probationary_member",
            "full_member",
        ]
        keep = list(dates)[: order.index(stage) + 1]
        return await self.create(organization, stage=stage, **{k: dates[k] for k in keep}, **body)


@pytest.fixture
def members(client: httpx.AsyncClient, city: City) -> Members:
    return Members(client, city)


async def count(url: str, table: str, where: str = "true") -> int:
    connection = await asyncpg.connect(plain_url(url))
    try:
        return int(await connection.fetchval(f"SELECT count(*) FROM {table} WHERE {where}"))  # noqa: S608
    finally:
        await connection.close()


def error_code(response: httpx.Response) -> str:
    code: str = response.json()["error"]["code"]
    return code
