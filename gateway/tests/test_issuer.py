"""The built-in issuer of the local default: grants, JWKS, and its refusal outside local."""

from __future__ import annotations

import base64

import jwt
import pytest
from pydantic import ValidationError

from gateway.settings import GatewaySettings
from service_kit.auth import TokenVerifier
from service_kit.tokens import SigningKey

from .conftest import ISSUER, GatewayStack


class TestTokenEndpoint:
    async def test_password_grant_carries_roles_scopes_and_place(
        self, gateway_stack: GatewayStack
    ) -> None:
        token = await gateway_stack.token("admin.nanguan")
        key = SigningKey.load_or_create(gateway_stack.key_file)
        verifier = TokenVerifier(
            issuer=ISSUER, audience="party-building", algorithm="RS256", jwks=key.jwks()
        )
        principal = await verifier.verify(token)
        assert principal.roles == {"district_admin"}
        assert "org:read" in principal.scopes
        assert "org:admin" not in principal.scopes
        assert principal.region_id is not None

    async def test_wrong_password_is_invalid_grant(self, gateway_stack: GatewayStack) -> None:
        response = await gateway_stack.client.post(
            "/auth/token",
            data={"grant_type": "password", "username": "admin.city", "password": "nope"},
        )
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "invalid_grant"

    async def test_client_credentials_in_form_and_basic(self, gateway_stack: GatewayStack) -> None:
        form = await gateway_stack.client.post(
            "/auth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "finance-bureau",
                "client_secret": "demo",
            },
        )
        assert form.status_code == 200
        assert "funding:read" in form.json()["scope"].split()
        basic = await gateway_stack.client.post(
            "/auth/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": "Basic " + base64.b64encode(b"sync-demo:demo").decode()},
        )
        assert basic.status_code == 200
        claims = jwt.decode(basic.json()["access_token"], options={"verify_signature": False})
        assert claims["roles"] == ["sync_client"]
        assert claims["places"]

    async def test_requested_scope_narrows_the_token(self, gateway_stack: GatewayStack) -> None:
        response = await gateway_stack.client.post(
            "/auth/token",
            data={
                "grant_type": "password",
                "username": "admin.city",
                "password": "demo",
                "scope": "org:read member:pii nonsense",
            },
        )
        assert response.json()["scope"] == "member:pii org:read"

    async def test_unsupported_grant(self, gateway_stack: GatewayStack) -> None:
        response = await gateway_stack.client.post("/auth/token", data={"grant_type": "implicit"})
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "unsupported_grant_type"

    async def test_missing_grant_type_is_validation_error(
        self, gateway_stack: GatewayStack
    ) -> None:
        response = await gateway_stack.client.post("/auth/token", data={})
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "validation_error"

    async def test_jwks_publishes_the_signing_key(self, gateway_stack: GatewayStack) -> None:
        jwks = (await gateway_stack.client.get("/auth/jwks")).json()
        key = SigningKey.load_or_create(gateway_stack.key_file)
        assert [k["kid"] for k in jwks["keys"]] == [key.kid]
        assert "d" not in jwks["keys"][0]


def test_demo_accounts_refused_outside_local() -> None:
    with pytest.raises(ValidationError, match="demo accounts"):
        GatewaySettings(
            environment="production",
            service_client_secret="s3cret-value",
            client_secret="another-secret",
            database_url="postgresql://x/y",
        )


def test_placeholder_service_secret_refused_in_production() -> None:
    with pytest.raises(ValidationError, match="service_client_secret"):
        GatewaySettings(
            environment="production",
            demo_accounts=False,
            client_secret="another-secret",
            database_url="postgresql://x/y",
        )


def test_signing_key_is_kept_between_starts(tmp_path: pytest.TempPathFactory) -> None:
    path = tmp_path / "k.pem"  # type: ignore[operator]
    first = SigningKey.load_or_create(path)
    assert SigningKey.load_or_create(path).kid == first.kid
    assert oct(path.stat().st_mode & 0o777) == "0o600"
