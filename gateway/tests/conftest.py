"""Gateway test fixtures: the four services over real HTTP, each on its own test database, and
the gateway over HTTP in front of them (its built-in issuer gives the services their tokens)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from devstack.seed import load_demo, load_demo_members
from funding_service.main import MIGRATIONS_DIR as FUNDING_MIGRATIONS
from funding_service.main import create_app as create_funding
from funding_service.settings import FundingSettings
from gateway.main import create_app as create_gateway
from gateway.settings import GatewaySettings
from member_service.main import MIGRATIONS_DIR as MEMBER_MIGRATIONS
from member_service.main import create_app as create_member
from member_service.settings import MemberSettings
from org_service.main import MIGRATIONS_DIR as ORG_MIGRATIONS
from org_service.main import create_app as create_org
from org_service.settings import OrgSettings
from rating_service.main import MIGRATIONS_DIR as RATING_MIGRATIONS
from rating_service.main import create_app as create_rating
from rating_service.settings import RatingSettings
from service_kit.pgcluster import free_ports
from service_kit.testing import migrated_database, serve_app
from service_kit.tokens import SigningKey

ISSUER = "http://gateway.test/auth"
SERVICES = ("org", "member", "funding", "rating")
OPS_ROUTES = ('route="/healthz"', 'route="/readyz"', 'route="/metrics"')


@dataclass
class GatewayStack:
    client: httpx.AsyncClient
    urls: dict[str, str]
    key_file: Path
    databases: dict[str, str] = field(default_factory=dict)

    @property
    def org_url(self) -> str:
        return self.urls["org"]

    async def token(self, username: str, password: str = "demo") -> str:  # noqa: S107
        response = await self.client.post(
            "/auth/token",
            data={"grant_type": "password", "username": username, "password": password},
        )
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    async def service_token(self) -> str:
        response = await self.client.post(
            "/auth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "gateway",
                "client_secret": "dev-service-secret",
            },
        )
        return str(response.json()["access_token"])

    async def graphql(
        self,
        query: str | None,
        token: str,
        variables: dict[str, object] | None = None,
        extensions: dict[str, object] | None = None,
    ) -> dict[str, Any]:
        body: dict[str, object] = {"query": query, "variables": variables or {}}
        if extensions is not None:
            body["extensions"] = extensions
        response = await self.client.post(
            "/graphql", json=body, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    async def calls(self) -> Counter[tuple[str, str, str]]:
        """Requests each service has answered so far, by (service, method, route template)."""
        counts: Counter[tuple[str, str, str]] = Counter()
        async with httpx.AsyncClient() as client:
            for service in SERVICES:
                text = (await client.get(f"{self.urls[service]}/metrics")).text
                for line in text.splitlines():
                    if not line.startswith("http_requests_total{") or any(
                        r in line for r in OPS_ROUTES
                    ):
                        continue
                    labels = dict(
                        part.split("=", 1)
                        for part in line[line.index("{") + 1 : line.index("}")].split(",")
                    )
                    key = (service, labels["method"].strip('"'), labels["route"].strip('"'))
                    counts[key] += int(float(line.rsplit(" ", 1)[1]))
        return counts

    async def org_requests(self, routes: tuple[str, ...] = ("/organizations", "/regions")) -> float:
        """How many GET requests org-service has answered on `routes`."""
        calls = await self.calls()
        return float(
            sum(n for (s, m, r), n in calls.items() if s == "org" and m == "GET" and r in routes)
        )

    def rest(self, service: str, token: str) -> httpx.AsyncClient:
        """A client of one service's REST API, for setting up what a test needs."""
        return httpx.AsyncClient(
            base_url=self.urls[service],
            headers={"Authorization": f"Bearer {token}"},
            timeout=30.0,
        )


def service_settings(
    service: str, database_url: str, key: SigningKey, gateway_url: str, urls: dict[str, str]
) -> Any:
    common: dict[str, Any] = {
        "environment": "test",
        "database_url": database_url,
        "auth_issuer": ISSUER,
        "auth_jwks": json.dumps(key.jwks()),
        "token_url": f"{gateway_url}/auth/token",
        "relay_enabled": False,
        "log_json": False,
    }
    if service == "org":
        return OrgSettings(**common)
    others = {f"{name}_service_url": urls[name] for name in SERVICES if name != service}
    if service == "member":
        return MemberSettings(**common, org_service_url=urls["org"])
    if service == "funding":
        return FundingSettings(**common, **others)
    return RatingSettings(**common, org_service_url=urls["org"], member_service_url=urls["member"])


CREATE = {
    "org": create_org,
    "member": create_member,
    "funding": create_funding,
    "rating": create_rating,
}


def gateway_settings(key_file: Path, urls: dict[str, str], **overrides: Any) -> GatewaySettings:
    values: dict[str, Any] = {
        "environment": "local",
        "issuer_key_file": key_file,
        "auth_issuer": ISSUER,
        "http_timeout_seconds": 5.0,
        "log_json": False,
        **{f"{name}_service_url": urls[name] for name in SERVICES},
    }
    return GatewaySettings(**{**values, **overrides})


@asynccontextmanager
async def serve_service(
    service: str,
    database_url: str,
    key: SigningKey,
    gateway_url: str,
    urls: dict[str, str],
    port: int | None = None,
) -> AsyncIterator[str]:
    """One service over real HTTP on its database (on `port`, or one of its own)."""
    app = CREATE[service](
        service_settings(service, database_url, key, gateway_url, urls), configure_logs=False
    )
    async with serve_app(app, port) as url:
        yield url


async def reset_database(url: str) -> None:
    """Empty every table; append-only guards are lifted for it, as the tables' owner."""
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        tables = [
            r["tablename"]
            for r in await connection.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version'"
            )
        ]
        if not tables:
            return
        async with connection.transaction():
            for table in tables:
                await connection.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER USER')
            await connection.execute(
                "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
            )
            for table in tables:
                await connection.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER USER')
    finally:
        await connection.close()


MIGRATIONS = {
    "org": ORG_MIGRATIONS,
    "member": MEMBER_MIGRATIONS,
    "funding": FUNDING_MIGRATIONS,
    "rating": RATING_MIGRATIONS,
}


@pytest.fixture(scope="session")
async def gw_databases(pg_server_url: str) -> dict[str, str]:
    return {
        service: await migrated_database(pg_server_url, f"gw_{service}_test", MIGRATIONS[service])
        for service in SERVICES
    }


@asynccontextmanager
async def running_stack(databases: dict[str, str], key_file: Path) -> AsyncIterator[GatewayStack]:
    """The four services and the gateway, with the demo city and the demo branch's members.

    The databases are emptied afterwards, also when the stack failed to start, so that one
    module's failure does not become the next module's."""
    key = SigningKey.load_or_create(key_file)
    gateway_port = free_ports(1 + len(SERVICES))  # one block: the gateway, then the services
    gateway_url = f"http://127.0.0.1:{gateway_port}"
    ports = {service: gateway_port + 1 + i for i, service in enumerate(SERVICES)}
    urls = {service: f"http://127.0.0.1:{port}" for service, port in ports.items()}
    try:
        async with AsyncExitStack() as stack:
            for service in SERVICES:
                await stack.enter_async_context(
                    serve_service(
                        service, databases[service], key, gateway_url, urls, ports[service]
                    )
                )
            gateway = create_gateway(gateway_settings(key_file, urls), configure_logs=False)
            await stack.enter_async_context(serve_app(gateway, gateway_port))
            client = await stack.enter_async_context(
                httpx.AsyncClient(base_url=gateway_url, timeout=30.0)
            )
            running = GatewayStack(client, urls, key_file, databases)
            token = await running.service_token()
            await load_demo(urls["org"], token)
            await load_demo_members(urls["member"], token)
            yield running
    finally:
        for url in databases.values():
            await reset_database(url)


@pytest.fixture(scope="module")
async def gateway_stack(
    gw_databases: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[GatewayStack]:
    """Demo data loaded once per test module; tests add what they need under new names."""
    key_file = tmp_path_factory.mktemp("issuer") / "signing-key.pem"
    async with running_stack(gw_databases, key_file) as stack:
        yield stack
