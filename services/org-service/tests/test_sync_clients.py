"""Machine clients end to end: the demo client `sync-demo` takes a token from the built-in issuer
with OAuth2 client credentials and writes for the places it is registered for, by id."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import demo_data
from gateway.main import create_app as create_gateway
from gateway.settings import GatewaySettings
from org_service.main import MIGRATIONS_DIR, create_app
from service_kit.testing import TestIssuer, migrated_database, serve_app
from service_kit.tokens import SigningKey

from .conftest import org_settings
from .sync_helpers import outcomes, push, target_record

ISSUER = "http://sync-clients.test/auth"


@pytest.fixture(scope="module")
async def demo_city(
    pg_server_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[dict[str, Any]]:
    """The built-in issuer with its demo clients, and org-service holding the demo places."""
    key_file = tmp_path_factory.mktemp("issuer") / "signing-key.pem"
    issuer = TestIssuer(key=SigningKey.load_or_create(key_file), issuer=ISSUER)
    db = await migrated_database(pg_server_url, "org_sync_clients", MIGRATIONS_DIR)
    org = create_app(org_settings(db, issuer), configure_logs=False)
    gateway = create_gateway(
        GatewaySettings(environment="local", issuer_key_file=Path(key_file), auth_issuer=ISSUER),
        configure_logs=False,
    )
    admin = issuer.headers(
        subject="admin", roles=["city_admin"], scopes=["org:read", "org:admin", "org:write"]
    )
    async with serve_app(gateway) as gateway_url, serve_app(org) as org_url:
        async with httpx.AsyncClient(base_url=org_url, headers=admin) as client:
            for region in demo_data.REGIONS[:5]:
                body = {"id": str(region.id), "name": region.name, "kind": region.kind}
                if region.parent:
                    body["parent_id"] = str(demo_data.region_id(region.parent))
                if region.district_class:
                    body["district_class"] = region.district_class
                assert (await client.post("/regions", json=body)).status_code == 201
            for place in demo_data.PLACES:
                if place.region not in {r.name for r in demo_data.REGIONS[:5]}:
                    continue
                body = {
                    "id": str(place.id),
                    "name": place.name,
                    "kind": place.kind,
                    "region_id": str(demo_data.region_id(place.region)),
                    "level": place.level,
                    "parent_place_id": str(demo_data.place_id(place.parent))
                    if place.parent
                    else None,
                }
                response = await client.post("/places", json=body)
                assert response.status_code == 201, response.text
        yield {"gateway": gateway_url, "org": org_url}


async def client_token(gateway_url: str, client_id: str, secret: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=gateway_url) as client:
        return await client.post(
            "/auth/token",
            data={"grant_type": "client_credentials"},
            headers={
                "Authorization": "Basic "
                + base64.b64encode(f"{client_id}:{secret}".encode()).decode()
            },
        )


async def test_rule_a_client_authenticates_with_client_credentials_and_writes_for_its_places(
    demo_city: dict[str, Any],
) -> None:
    issued = await client_token(demo_city["gateway"], "sync-demo", demo_data.DEMO_PASSWORD)
    assert issued.status_code == 200, issued.text
    token = issued.json()["access_token"]
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert claims["places"] == [str(demo_data.place_id(p)) for p in ("高新文化创意园", "中天大厦")]
    assert {"sync:write", "sync:read"} <= set(issued.json()["scope"].split())
    headers = {"Authorization": f"Bearer {token}"}
    records = [
        target_record(1, demo_data.place_id("高新文化创意园")),
        target_record(2, demo_data.place_id("中天大厦")),
        target_record(3, demo_data.place_id("红旗商圈")),
    ]
    async with httpx.AsyncClient(base_url=demo_city["org"]) as client:
        response = await push(client, "/sync/work-targets", headers, records)
        assert outcomes(response) == ["created", "created", "rejected"]
        assert response.json()["records"][2]["error"]["code"] == "outside_your_places"
        batches = await client.get("/sync/batches", headers=headers)
        assert [b["subject"] for b in batches.json()["items"]] == ["sync-demo"]


async def test_rule_a_wrong_client_secret_gets_no_token(demo_city: dict[str, Any]) -> None:
    refused = await client_token(demo_city["gateway"], "sync-demo", "guess")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "invalid_grant"
