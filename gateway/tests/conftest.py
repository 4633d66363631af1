"""Gateway test fixtures: org-service over real HTTP on the test database, gateway in process."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from devstack.seed import load_demo
from gateway.main import create_app as create_gateway
from gateway.settings import GatewaySettings
from org_service.main import MIGRATIONS_DIR as ORG_MIGRATIONS
from org_service.main import create_app as create_org
from org_service.settings import OrgSettings
from service_kit.testing import app_client, migrated_database, serve_app, truncate_all
from service_kit.tokens import SigningKey

ISSUER = "http://gateway.test/auth"


@dataclass
class GatewayStack:
    client: httpx.AsyncClient
    org_url: str
    key_file: Path

    async def token(self, username: str, password: str = "demo") -> str:  # noqa: S107
        response = await self.client.post(
            "/auth/token",
            data={"grant_type": "password", "username": username, "password": password},
        )
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    async def graphql(
        self, query: str, token: str, variables: dict[str, object] | None = None
    ) -> dict[str, object]:
        response = await self.client.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200, response.text
        body: dict[str, object] = response.json()
        return body

    async def org_requests(self, routes: tuple[str, ...] = ("/organizations", "/regions")) -> float:
        """How many GET requests org-service has answered on `routes`."""
        async with httpx.AsyncClient() as client:
            text = (await client.get(f"{self.org_url}/metrics")).text
        total = 0.0
        for line in text.splitlines():
            if (
                line.startswith("http_requests_total{")
                and 'method="GET"' in line
                and any(f'route="{route}"' in line for route in routes)
            ):
                total += float(line.rsplit(" ", 1)[1])
        return total


@pytest.fixture(scope="session")
async def gw_org_db(pg_server_url: str) -> str:
    return await migrated_database(pg_server_url, "gw_org_test", ORG_MIGRATIONS)


@pytest.fixture(scope="module")
async def gateway_stack(
    gw_org_db: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[GatewayStack]:
    """Demo data loaded once per test module; tests add what they need under new names."""
    key_file = tmp_path_factory.mktemp("issuer") / "signing-key.pem"
    key = SigningKey.load_or_create(key_file)
    org = create_org(
        OrgSettings(
            environment="test",
            database_url=gw_org_db,
            auth_issuer=ISSUER,
            auth_jwks=json.dumps(key.jwks()),
            relay_enabled=False,
        ),
        configure_logs=False,
    )
    async with serve_app(org) as org_url:
        gateway = create_gateway(
            GatewaySettings(
                environment="local",
                issuer_key_file=key_file,
                auth_issuer=ISSUER,
                org_service_url=org_url,
                http_timeout_seconds=2.0,
            ),
            configure_logs=False,
        )
        async with app_client(gateway) as client:
            stack = GatewayStack(client, org_url, key_file)
            token = await client.post(
                "/auth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": "gateway",
                    "client_secret": "dev-service-secret",
                },
            )
            await load_demo(org_url, token.json()["access_token"])
            yield stack
    await truncate_all(gw_org_db)
