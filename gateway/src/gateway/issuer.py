"""The local default's built-in token issuer: OAuth2 password and client credentials, JWKS."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel

import demo_data
from gateway.settings import GatewaySettings
from service_kit.errors import AppError, BadRequest
from service_kit.tokens import SigningKey, mint_token

# What each role may do; a token carries the union over its roles.
ROLE_SCOPES: dict[str, tuple[str, ...]] = {
    "city_admin": (
        "org:read",
        "org:write",
        "org:admin",
        "member:read",
        "member:write",
        "member:pii",
        "member:admin",
        "funding:read",
        "funding:write",
        "funding:admin",
        "funding:dues",
        "funding:bid",
        "rating:read",
        "rating:write",
        "rating:admin",
        "sync:read",
    ),
    "district_admin": (
        "org:read",
        "org:write",
        "member:read",
        "member:write",
        "member:pii",
        "funding:read",
        "funding:write",
        "funding:dues",
        "funding:bid",
        "rating:read",
        "rating:write",
    ),
    "org_admin": (
        "org:read",
        "org:write",
        "member:read",
        "member:write",
        "funding:read",
        "funding:dues",
        "funding:bid",
        "rating:read",
        "rating:write",
    ),
    "secretary": (
        "org:read",
        "org:write",
        "member:read",
        "member:write",
        "funding:read",
        "funding:dues",
        "funding:bid",
        "rating:read",
        "rating:write",
        "rating:vote",
    ),
    "instructor": ("org:read", "member:read", "rating:read"),
    "member": ("org:read", "member:read", "funding:read", "rating:read", "rating:vote"),
    "finance_bureau": ("funding:read", "org:read"),
    "sync_client": ("sync:write", "sync:read", "org:read"),
    "service": (
        "org:read",
        "org:write",
        "org:admin",
        "member:read",
        "member:write",
        "member:pii",
        "member:admin",
        "funding:read",
        "funding:write",
        "funding:dues",
        "rating:read",
        "rating:write",
        "events:deliver",
    ),
}

SERVICE_CLIENTS = ("org-service", "member-service", "funding-service", "rating-service", "gateway")


def scopes_for(roles: tuple[str, ...]) -> list[str]:
    return sorted({scope for role in roles for scope in ROLE_SCOPES.get(role, ())})


def hash_secret(secret: str, salt: bytes) -> bytes:
    return hashlib.scrypt(secret.encode(), salt=salt, n=2**14, r=8, p=1)


@dataclass
class Identity:
    """An account or machine client the issuer knows."""

    subject: str
    roles: tuple[str, ...]
    salt: bytes
    secret_hash: bytes
    claims: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def with_secret(
        cls, subject: str, roles: tuple[str, ...], secret: str, **claims: Any
    ) -> Identity:
        salt = secrets.token_bytes(16)
        return cls(subject, roles, salt, hash_secret(secret, salt), claims)

    def check(self, secret: str) -> bool:
        return hmac.compare_digest(hash_secret(secret, self.salt), self.secret_hash)


class InvalidGrant(AppError):
    status_code = 401
    code = "invalid_grant"
    message = "Unknown user or client, or wrong password or secret."


class UnsupportedGrant(BadRequest):
    code = "unsupported_grant_type"
    message = "grant_type must be 'password' or 'client_credentials'."


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - not a secret
    expires_in: int
    scope: str


class Issuer:
    """Holds the signing key, the accounts and the machine clients."""

    def __init__(self, settings: GatewaySettings, key: SigningKey) -> None:
        self.settings = settings
        self.key = key
        self.users: dict[str, Identity] = {}
        self.clients: dict[str, Identity] = {}
        for client_id in SERVICE_CLIENTS:
            self.clients[client_id] = Identity.with_secret(
                client_id, ("service",), settings.service_client_secret
            )
        if settings.demo_accounts:
            self._add_demo_identities()

    def _add_demo_identities(self) -> None:
        # The demo password is hashed once and shared: five scrypt runs would slow start-up.
        salt = secrets.token_bytes(16)
        digest = hash_secret(demo_data.DEMO_PASSWORD, salt)
        for account in demo_data.ACCOUNTS:
            self.users[account.username] = Identity(
                account.username,
                account.roles,
                salt,
                digest,
                {
                    "name": account.name,
                    "region_id": str(demo_data.region_id(account.region))
                    if account.region
                    else None,
                    "org_id": str(demo_data.organization_id(account.organization))
                    if account.organization
                    else None,
                    "member_id": str(account.member_id) if account.member_id else None,
                },
            )
        for client in demo_data.CLIENTS:
            self.clients[client.client_id] = Identity(
                client.client_id,
                client.roles,
                salt,
                digest,
                # Ids, not names: a name is unique only within its region.
                {"places": [str(demo_data.place_id(p)) for p in client.places]},
            )

    def issue(self, identity: Identity, requested_scope: str | None) -> TokenResponse:
        granted = scopes_for(identity.roles)
        if requested_scope:
            wanted = set(requested_scope.split())
            granted = [s for s in granted if s in wanted]
        ttl = self.settings.access_token_ttl_seconds
        token = mint_token(
            self.key,
            issuer=self.settings.auth_issuer,
            audience=self.settings.auth_audience,
            subject=identity.subject,
            roles=list(identity.roles),
            scopes=granted,
            ttl_seconds=ttl,
            extra=identity.claims,
        )
        return TokenResponse(access_token=token, expires_in=ttl, scope=" ".join(granted))


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, _, secret = base64.b64decode(value).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return client_id, secret


def issuer_router(issuer: Issuer) -> APIRouter:
    router = APIRouter(prefix="/auth", tags=["auth"])

    @router.post("/token", response_model=TokenResponse, operation_id="issue_token")
    async def token(
        request: Request,
        grant_type: Annotated[str, Form()],
        username: Annotated[str | None, Form()] = None,
        password: Annotated[str | None, Form()] = None,
        client_id: Annotated[str | None, Form()] = None,
        client_secret: Annotated[str | None, Form()] = None,
        scope: Annotated[str | None, Form()] = None,
    ) -> TokenResponse:
        """OAuth2 token endpoint: `password` for people, `client_credentials` for machines."""
        if grant_type == "password":
            identity = issuer.users.get(username or "")
            if identity is None or not identity.check(password or ""):
                raise InvalidGrant()
            return issuer.issue(identity, scope)
        if grant_type == "client_credentials":
            basic = _basic_credentials(request)
            cid, secret = basic if basic else (client_id or "", client_secret or "")
            identity = issuer.clients.get(cid)
            if identity is None or not identity.check(secret):
                raise InvalidGrant()
            return issuer.issue(identity, scope)
        raise UnsupportedGrant(details={"grant_type": grant_type})

    @router.get("/jwks", operation_id="issuer_jwks")
    async def jwks() -> dict[str, Any]:
        """The public keys that verify this issuer's tokens."""
        return issuer.key.jwks()

    @router.get("/.well-known/openid-configuration", operation_id="issuer_metadata")
    async def metadata() -> dict[str, Any]:
        """Discovery document of the built-in issuer."""
        base = issuer.settings.auth_issuer
        return {
            "issuer": base,
            "token_endpoint": f"{base}/token",
            "jwks_uri": f"{base}/jwks",
            "grant_types_supported": ["password", "client_credentials"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    return router
