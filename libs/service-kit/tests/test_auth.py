"""Bearer tokens: issuer, audience, algorithm and expiry checked; scopes enforced; JWKS fetched."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI
from jwt.algorithms import ECAlgorithm

from service_kit.auth import Principal, TokenVerifier, path_upper_bound
from service_kit.db import Database
from service_kit.errors import AppError
from service_kit.testing import TestIssuer, serve_app
from service_kit.tokens import SigningKey, mint_token

from .conftest import ORG_ID, REGION_ID
from .kitapp import kit_settings, probe_app


def claims(issuer: TestIssuer, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    values: dict[str, Any] = {
        "iss": issuer.issuer,
        "aud": issuer.audience,
        "sub": "tester",
        "iat": now,
        "exp": now + 600,
        "roles": ["member"],
        "scope": "kit:read",
    }
    values.update(overrides)
    return values


def unsigned(payload: dict[str, Any], header: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part(header)}.{part(payload)}."


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def rejected(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    response = await client.get("/me", headers=headers)
    assert response.status_code == 401, response.text
    error: dict[str, Any] = response.json()["error"]
    return error


class TestRejectedTokens:
    async def test_no_token_is_401(self, probe: httpx.AsyncClient) -> None:
        response = await probe.get("/me")
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"

    async def test_other_scheme_than_bearer_is_401(
        self, probe: httpx.AsyncClient, test_issuer: TestIssuer
    ) -> None:
        await rejected(probe, {"Authorization": f"Basic {test_issuer.token(scopes=['kit:read'])}"})

    async def test_malformed_token_is_401_invalid_token(self, probe: httpx.AsyncClient) -> None:
        error = await rejected(probe, bearer("not.a.jwt"))
        assert error["code"] == "invalid_token"

    async def test_expired_token_is_401_token_expired(
        self, probe: httpx.AsyncClient, test_issuer: TestIssuer
    ) -> None:
        token = mint_token(
            test_issuer.key,
            issuer=test_issuer.issuer,
            audience=test_issuer.audience,
            subject="late",
            roles=["member"],
            scopes=["kit:read"],
            ttl_seconds=600,
            now=time.time() - 3600,
        )
        error = await rejected(probe, bearer(token))
        assert error["code"] == "token_expired"

    async def test_wrong_audience_is_401(
        self, probe: httpx.AsyncClient, test_issuer: TestIssuer
    ) -> None:
        token = test_issuer.key.sign(claims(test_issuer, aud="another-api"))
        error = await rejected(probe, bearer(token))
        assert error["code"] == "invalid_token"
        assert "not meant for this API" in error["message"]

    async def test_wrong_issuer_is_401(
        self, probe: httpx.AsyncClient, test_issuer: TestIssuer
    ) -> None:
        token = test_issuer.key.sign(claims(test_issuer, iss="http://evil.test/auth"))
        error = await rejected(probe, bearer(token))
        assert error["code"] == "invalid_token"
        assert "unknown issuer" in error["message"]

    async def test_alg_none_token_is_401(
        self, probe: httpx.AsyncClient, test_issuer: TestIssuer
    ) -> None:
        for header in (
            {"alg": "none", "typ": "JWT"},
            {"alg": "none", "kid": test_issuer.key.kid},
            {"alg": "None", "kid": test_issuer.key.kid},
        ):
            error = await rejected(probe, bearer(unsigned(claims(test_issuer), header)))
            assert error["code"] == "invalid_token"

    async def test_hmac_token_keyed_with_the_public_key_is_401(
        self, probe: httpx.AsyncClient, test_issuer: TestIssuer
    ) -> None:
        # Algorithm confusion: an HS256 token whose secret is the issuer's public key.
        public_pem = test_issuer.key.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        head_and_body = unsigned(
            claims(test_issuer), {"alg": "HS256", "kid": test_issuer.key.kid}
        ).rstrip(".")
        signature = hmac.new(public_pem, head_and_body.encode(), hashlib.sha256).digest()
        token = f"{head_and_body}.{base64.urlsafe_b64encode(signature).decode().rstrip('=')}"
        error = await rejected(probe, bearer(token))
        assert error["code"] == "invalid_token"

    async def test_token_signed_by_an_unknown_key_is_401(
        self, probe: httpx.AsyncClient, test_issuer: TestIssuer
    ) -> None:
        stranger = SigningKey.generate()
        error = await rejected(probe, bearer(stranger.sign(claims(test_issuer))))
        assert error["code"] == "invalid_token"

    async def test_unknown_key_claiming_the_known_key_id_is_401(
        self, probe: httpx.AsyncClient, test_issuer: TestIssuer
    ) -> None:
        stranger = SigningKey.generate()
        token = stranger.sign(claims(test_issuer), headers={"kid": test_issuer.key.kid})
        error = await rejected(probe, bearer(token))
        assert error["code"] == "invalid_token"

    async def test_token_without_subject_is_401(
        self, probe: httpx.AsyncClient, test_issuer: TestIssuer
    ) -> None:
        payload = claims(test_issuer)
        del payload["sub"]
        await rejected(probe, bearer(test_issuer.key.sign(payload)))

    async def test_token_with_roles_as_an_object_is_401(
        self, probe: httpx.AsyncClient, test_issuer: TestIssuer
    ) -> None:
        token = test_issuer.key.sign(claims(test_issuer, roles={"city_admin": True}))
        error = await rejected(probe, bearer(token))
        assert error["code"] == "invalid_token"

    async def test_token_with_malformed_org_id_is_401(
        self, probe: httpx.AsyncClient, test_issuer: TestIssuer
    ) -> None:
        token = test_issuer.key.sign(claims(test_issuer, org_id="not-a-uuid"))
        error = await rejected(probe, bearer(token))
        assert error["code"] == "invalid_token"


class TestScopes:
    async def test_valid_token_without_the_scope_is_403_insufficient_scope(
        self, probe: httpx.AsyncClient, test_issuer: TestIssuer
    ) -> None:
        headers = test_issuer.headers(roles=["member"], scopes=["kit:other"])
        response = await probe.get("/me", headers=headers)
        assert response.status_code == 403
        error = response.json()["error"]
        assert error["code"] == "insufficient_scope"
        assert error["details"] == {"required_scope": "kit:read"}

    async def test_valid_token_with_the_scope_yields_the_principal(
        self, probe: httpx.AsyncClient, test_issuer: TestIssuer
    ) -> None:
        member_id = uuid.uuid4()
        headers = test_issuer.headers(
            subject="secretary.zhang",
            roles=["secretary", "org_admin"],
            scopes=["kit:read", "kit:write"],
            org_id=ORG_ID,
            region_id=REGION_ID,
            member_id=member_id,
            name="张书记",
            places=["park-1", "park-2"],
        )
        response = await probe.get("/me", headers=headers)
        assert response.status_code == 200, response.text
        assert response.json() == {
            "subject": "secretary.zhang",
            "roles": ["org_admin", "secretary"],
            "scopes": ["kit:read", "kit:write"],
            "organization_id": str(ORG_ID),
            "region_id": str(REGION_ID),
            "member_id": str(member_id),
            "places": ["park-1", "park-2"],
            "name": "张书记",
            "is_city_wide": False,
        }

    async def test_service_and_city_admin_are_city_wide(
        self, probe: httpx.AsyncClient, test_issuer: TestIssuer
    ) -> None:
        for role in ("service", "city_admin", "finance_bureau"):
            response = await probe.get(
                "/me", headers=test_issuer.headers(roles=[role], scopes=["kit:read"])
            )
            assert response.json()["is_city_wide"] is True
            assert response.json()["organization_id"] is None


class TestPrincipalClaims:
    def test_scope_may_be_a_list(self) -> None:
        principal = Principal.from_claims({"sub": "s", "scope": ["a:read", "b:write"]})
        assert principal.scopes == {"a:read", "b:write"}

    def test_a_single_role_given_as_a_string_is_one_role(self) -> None:
        principal = Principal.from_claims({"sub": "s", "roles": "city_admin", "scope": ""})
        assert principal.roles == {"city_admin"}
        assert principal.is_city_wide

    def test_a_single_place_given_as_a_string_is_one_place(self) -> None:
        principal = Principal.from_claims({"sub": "s", "places": "Jingyue Park"})
        assert principal.places == ("Jingyue Park",)

    def test_roles_of_another_type_are_refused(self) -> None:
        with pytest.raises(TypeError):
            Principal.from_claims({"sub": "s", "roles": {"city_admin": True}})

    def test_require_scope_raises_forbidden(self) -> None:
        principal = Principal.from_claims({"sub": "s", "scope": "kit:read"})
        principal.require_scope("kit:read")
        with pytest.raises(AppError) as caught:
            principal.require_scope("kit:write")
        assert caught.value.status_code == 403


class TestSubtreeFilter:
    def test_upper_bound_is_just_above_every_path_under_the_anchor(self) -> None:
        anchor = "ab/cd/"
        upper = path_upper_bound(anchor)
        inside = ["ab/cd/", "ab/cd/ef/", "ab/cd/" + "f" * 32 + "/"]
        outside = ["ab/ce/", "ab/c/", "ab/", "ab/cd0/"]
        assert all(anchor <= p < upper for p in inside)
        assert not any(anchor <= p < upper for p in outside)


@dataclass
class JwksServer:
    """An issuer's JWKS endpoint whose keys the test can rotate; counts fetches."""

    keys: list[SigningKey] = field(default_factory=list)
    other_keys: list[dict[str, Any]] = field(default_factory=list)  # served before `keys`
    fetches: int = 0

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/jwks")
        async def jwks() -> Any:
            self.fetches += 1
            return {"keys": [*self.other_keys, *(k.public_jwk() for k in self.keys)]}

        return app


@pytest.fixture
async def jwks_server() -> AsyncIterator[tuple[JwksServer, str]]:
    server = JwksServer(keys=[SigningKey.generate()])
    async with serve_app(server.app()) as url:
        yield server, f"{url}/jwks"


def verifier_for(url: str, issuer: TestIssuer, **kwargs: Any) -> TokenVerifier:
    return TokenVerifier(
        issuer=issuer.issuer,
        audience=issuer.audience,
        algorithm="RS256",
        jwks_url=url,
        **kwargs,
    )


class TestJwksUrl:
    async def test_keys_are_fetched_from_the_jwks_url_once(
        self, jwks_server: tuple[JwksServer, str], test_issuer: TestIssuer
    ) -> None:
        server, url = jwks_server
        verifier = verifier_for(url, test_issuer)
        key = server.keys[0]
        for subject in ("a", "b", "c"):
            principal = await verifier.verify(key.sign(claims(test_issuer, sub=subject)))
            assert principal.subject == subject
        assert server.fetches == 1

    async def test_rotated_key_is_fetched_when_a_token_names_it(
        self, jwks_server: tuple[JwksServer, str], test_issuer: TestIssuer
    ) -> None:
        server, url = jwks_server
        verifier = verifier_for(url, test_issuer, refetch_interval_seconds=0)
        old = server.keys[0]
        assert (await verifier.verify(old.sign(claims(test_issuer)))).subject == "tester"
        new = SigningKey.generate()
        server.keys = [new]
        principal = await verifier.verify(new.sign(claims(test_issuer, sub="after-rotation")))
        assert principal.subject == "after-rotation"
        assert server.fetches == 2
        with pytest.raises(AppError) as caught:
            await verifier.verify(old.sign(claims(test_issuer)))
        assert caught.value.status_code == 401

    async def test_unknown_key_ids_do_not_refetch_more_than_once_per_interval(
        self, jwks_server: tuple[JwksServer, str], test_issuer: TestIssuer
    ) -> None:
        server, url = jwks_server
        verifier = verifier_for(url, test_issuer, refetch_interval_seconds=3600)
        await verifier.verify(server.keys[0].sign(claims(test_issuer)))
        for _ in range(5):
            with pytest.raises(AppError) as caught:
                await verifier.verify(SigningKey.generate().sign(claims(test_issuer)))
            assert caught.value.instance_code == "invalid_token"
        assert server.fetches == 1

    async def test_keys_of_other_types_and_uses_in_the_jwks_are_passed_over(
        self, jwks_server: tuple[JwksServer, str], test_issuer: TestIssuer
    ) -> None:
        # An OpenID Connect issuer may publish keys for other algorithms (alg is optional
        # in a JWK) and for encryption next to the signing key.
        server, url = jwks_server
        ec_public = ec.generate_private_key(ec.SECP256R1()).public_key()
        ec_jwk = json.loads(ECAlgorithm.to_jwk(ec_public))
        encryption_jwk = {**SigningKey.generate().public_jwk(), "use": "enc", "kid": "enc-1"}
        encryption_jwk.pop("alg")
        server.other_keys = [
            {**ec_jwk, "kid": "ec-1", "use": "sig"},
            encryption_jwk,
            {"kty": "RSA", "kid": "broken", "n": "AQ", "e": "AQAB"},
        ]
        verifier = verifier_for(url, test_issuer)
        principal = await verifier.verify(server.keys[0].sign(claims(test_issuer, sub="mixed")))
        assert principal.subject == "mixed"
        for kid in ("ec-1", "enc-1", "broken"):
            token = server.keys[0].sign(claims(test_issuer), headers={"kid": kid})
            with pytest.raises(AppError) as caught:
                await verifier.verify(token)
            assert caught.value.status_code == 401

    async def test_unreachable_jwks_is_503_issuer_unavailable(
        self, test_issuer: TestIssuer
    ) -> None:
        verifier = verifier_for("http://127.0.0.1:9/jwks", test_issuer)
        with pytest.raises(AppError) as caught:
            await verifier.verify(test_issuer.token())
        assert (caught.value.status_code, caught.value.instance_code) == (
            503,
            "issuer_unavailable",
        )

    async def test_service_app_verifies_with_keys_from_the_jwks_url(
        self,
        jwks_server: tuple[JwksServer, str],
        test_issuer: TestIssuer,
        kit_db: Database,
    ) -> None:
        server, url = jwks_server
        settings = kit_settings(test_issuer, kit_db.url, auth_jwks=None, auth_jwks_url=url)
        key = server.keys[0]
        async with serve_app(probe_app(settings, kit_db)) as base, httpx.AsyncClient() as client:
            ok = await client.get(
                f"{base}/me", headers=bearer(key.sign(claims(test_issuer, sub="via-jwks")))
            )
            assert ok.status_code == 200
            assert ok.json()["subject"] == "via-jwks"
            other = await client.get(f"{base}/me", headers=test_issuer.headers(scopes=["kit:read"]))
            assert other.status_code == 401


class TestSigningKey:
    def test_key_is_created_once_with_private_permissions_and_reloaded(
        self, tmp_path: Path
    ) -> None:
        path = tmp_path / "issuer" / "key.pem"
        first = SigningKey.load_or_create(path)
        assert path.stat().st_mode & 0o777 == 0o600
        again = SigningKey.load_or_create(path)
        assert again.kid == first.kid
        assert again.jwks() == first.jwks()


class TestVerifiedTokens:
    async def test_a_verified_token_is_remembered_until_it_expires(
        self, test_issuer: TestIssuer
    ) -> None:
        key = SigningKey.generate()
        verifier = TokenVerifier(
            issuer=test_issuer.issuer,
            audience=test_issuer.audience,
            algorithm="RS256",
            jwks={"keys": [key.public_jwk()]},
            leeway_seconds=0,
        )
        expires = int(time.time()) + 2
        token = key.sign(claims(test_issuer, exp=expires))
        first = await verifier.verify(token)
        assert await verifier.verify(token) is first  # not decoded again
        await asyncio.sleep(max(0.0, expires - time.time()) + 0.2)
        with pytest.raises(AppError) as caught:
            await verifier.verify(token)
        assert (caught.value.status_code, caught.value.instance_code) == (401, "token_expired")

    async def test_a_remembered_token_is_refused_once_its_key_left_the_set(
        self, jwks_server: tuple[JwksServer, str], test_issuer: TestIssuer
    ) -> None:
        server, url = jwks_server
        verifier = verifier_for(url, test_issuer, refetch_interval_seconds=0)
        old = server.keys[0]
        token = old.sign(claims(test_issuer, sub="before-rotation"))
        assert (await verifier.verify(token)).subject == "before-rotation"
        new = SigningKey.generate()
        server.keys = [new]
        assert (await verifier.verify(new.sign(claims(test_issuer)))).subject == "tester"
        with pytest.raises(AppError) as caught:
            await verifier.verify(token)
        assert caught.value.status_code == 401

    async def test_remembered_tokens_are_bounded(
        self, test_issuer: TestIssuer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr("service_kit.auth.VERIFIED_TOKENS", 3)
        key = SigningKey.generate()
        verifier = TokenVerifier(
            issuer=test_issuer.issuer,
            audience=test_issuer.audience,
            algorithm="RS256",
            jwks={"keys": [key.public_jwk()]},
        )
        tokens = [key.sign(claims(test_issuer, sub=f"s{i}")) for i in range(5)]
        principals = [await verifier.verify(t) for t in tokens]
        assert await verifier.verify(tokens[4]) is principals[4]
        assert await verifier.verify(tokens[0]) is not principals[0]  # forgotten, decoded again
        assert (await verifier.verify(tokens[0])).subject == "s0"
