"""Bearer-token verification (issuer, audience, pinned algorithm, expiry) and the Principal."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Annotated, Any

import httpx
import jwt
from fastapi import Depends, Request
from jwt import PyJWK
from sqlalchemy import and_

from service_kit.errors import Forbidden, ServiceUnavailable, Unauthorized

log = logging.getLogger("service_kit.auth")

# Roles of ARCHITECTURE.md "Identity and access".
ROLES = (
    "city_admin",
    "district_admin",
    "org_admin",
    "secretary",
    "instructor",
    "member",
    "finance_bureau",
    "sync_client",
    "service",
)


@dataclass(frozen=True)
class Principal:
    """Who is calling: subject, roles, scopes and the part of the city they may see."""

    subject: str
    roles: frozenset[str]
    scopes: frozenset[str]
    organization_id: uuid.UUID | None = None
    region_id: uuid.UUID | None = None
    member_id: uuid.UUID | None = None
    places: tuple[str, ...] = ()
    name: str | None = None
    token: str = field(default="", repr=False)

    @property
    def is_city_wide(self) -> bool:
        """City admins, the finance bureau and services see the whole city."""
        return bool(self.roles & {"city_admin", "finance_bureau", "service"})

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def require_scope(self, scope: str) -> None:
        if scope not in self.scopes:
            raise Forbidden(
                f"This action needs the scope '{scope}'.",
                code="insufficient_scope",
                details={"required_scope": scope},
            )

    @classmethod
    def from_claims(cls, claims: dict[str, Any], token: str = "") -> Principal:
        def _uuid(key: str) -> uuid.UUID | None:
            value = claims.get(key)
            return uuid.UUID(str(value)) if value else None

        def _names(key: str, *, separated: bool = True) -> list[str]:
            # A list, or a string: space-separated names (OAuth2's `scope`) or, for places,
            # one name. Never a string taken apart into its characters.
            value = claims.get(key) or []
            if isinstance(value, str):
                return value.split() if separated else [value]
            if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
                raise TypeError(f"claim {key!r} must be a string or a list of strings")
            return list(value)

        return cls(
            subject=str(claims["sub"]),
            roles=frozenset(_names("roles")),
            scopes=frozenset(_names("scope")),
            organization_id=_uuid("org_id"),
            region_id=_uuid("region_id"),
            member_id=_uuid("member_id"),
            places=tuple(_names("places", separated=False)),
            name=claims.get("name"),
            token=token,
        )


JwksFetcher = Callable[[], Coroutine[Any, Any, dict[str, Any]]]

# Tokens verified lately, remembered until they expire: a client sends the same token with
# every request, and checking its RSA signature again cost about 5% of the gateway's CPU.
VERIFIED_TOKENS = 10_000


class TokenVerifier:
    """Verifies tokens against a JWKS; refetches the set when it meets an unknown key id."""

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        algorithm: str,
        jwks: dict[str, Any] | None = None,
        jwks_url: str | None = None,
        leeway_seconds: int = 30,
        refetch_interval_seconds: float = 30.0,
    ) -> None:
        if jwks is None and not jwks_url:
            raise ValueError("a JWKS document or a JWKS URL is required")
        self.issuer = issuer
        self.audience = audience
        self.algorithm = algorithm
        self.jwks_url = jwks_url
        self.leeway = leeway_seconds
        self._keys: dict[str, PyJWK] = {}
        self._fetched_at = 0.0
        self._refetch_interval = refetch_interval_seconds
        self._lock = asyncio.Lock()
        # token -> (the principal, the key id that signed it, when it expires)
        self._verified: OrderedDict[str, tuple[Principal, str, float]] = OrderedDict()
        if jwks is not None:
            self._load(jwks)

    def _load(self, jwks: dict[str, Any]) -> None:
        """Keep the signing keys for the pinned algorithm; pass over every other key.

        An issuer's set may also hold keys of other types (a JWK's `alg` is optional),
        encryption keys, or keys this library cannot read: none of them may stop the
        keys that do verify this service's tokens from loading.
        """
        if not isinstance(jwks, dict) or not isinstance(jwks.get("keys", []), list):
            raise ValueError("a JWKS document is an object with a list of keys")
        keys = {}
        for jwk in jwks.get("keys", []):
            if not isinstance(jwk, dict):
                continue
            if jwk.get("alg") not in (None, self.algorithm) or jwk.get("use") not in (None, "sig"):
                continue
            try:
                key = PyJWK(jwk, algorithm=self.algorithm)
            except jwt.PyJWTError:
                log.warning(
                    "JWKS key %r is not a %s key; passed over", jwk.get("kid"), self.algorithm
                )
                continue
            keys[str(jwk.get("kid", ""))] = key
        self._keys = keys

    async def _refresh(self, *, force: bool) -> None:
        if not self.jwks_url:
            return
        async with self._lock:
            if not force and self._keys:
                return
            if time.monotonic() - self._fetched_at < self._refetch_interval and self._keys:
                return
            try:
                async with httpx.AsyncClient(timeout=5.0) as client:
                    response = await client.get(self.jwks_url)
                    response.raise_for_status()
                    self._load(response.json())
            except (httpx.HTTPError, ValueError) as exc:
                raise ServiceUnavailable(
                    "The token issuer's keys cannot be fetched right now.",
                    code="issuer_unavailable",
                ) from exc
            finally:
                self._fetched_at = time.monotonic()

    async def _key_for(self, kid: str) -> PyJWK:
        if kid not in self._keys:
            await self._refresh(force=bool(self._keys))
        key = self._keys.get(kid)
        if key is None:
            raise Unauthorized("The token was signed by an unknown key.", code="invalid_token")
        return key

    async def verify(self, token: str) -> Principal:
        """The caller the token names, once its signature, issuer, audience and times hold.

        A token verified before is taken from memory while it has not expired and the key
        that signed it is still in the issuer's set; the memory holds the latest
        VERIFIED_TOKENS tokens.
        """
        known = self._verified.get(token)
        if known is not None:
            principal, kid, expires = known
            if time.time() < expires + self.leeway and kid in self._keys:
                self._verified.move_to_end(token)
                return principal
            del self._verified[token]
        principal, kid, expires = await self._verify(token)
        self._verified[token] = (principal, kid, expires)
        if len(self._verified) > VERIFIED_TOKENS:
            self._verified.popitem(last=False)
        return principal

    async def _verify(self, token: str) -> tuple[Principal, str, float]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthorized("The bearer token is malformed.", code="invalid_token") from exc
        if header.get("alg") != self.algorithm:
            raise Unauthorized(
                f"Tokens must be signed with {self.algorithm}.", code="invalid_token"
            )
        kid = str(header.get("kid", ""))
        key = await self._key_for(kid)
        try:
            claims = jwt.decode(
                token,
                key=key.key,
                algorithms=[self.algorithm],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("The token has expired.", code="token_expired") from exc
        except jwt.InvalidAudienceError as exc:
            raise Unauthorized(
                "The token is not meant for this API.", code="invalid_token"
            ) from exc
        except jwt.InvalidIssuerError as exc:
            raise Unauthorized(
                "The token comes from an unknown issuer.", code="invalid_token"
            ) from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"The token is not valid: {exc}.", code="invalid_token") from exc
        try:
            return Principal.from_claims(claims, token), kid, float(claims["exp"])
        except (KeyError, ValueError, TypeError) as exc:
            raise Unauthorized("The token's claims are malformed.", code="invalid_token") from exc

    @classmethod
    def from_settings(cls, settings: Any) -> TokenVerifier:
        jwks = json.loads(settings.auth_jwks) if settings.auth_jwks else None
        return cls(
            issuer=settings.auth_issuer,
            audience=settings.auth_audience,
            algorithm=settings.auth_algorithm,
            jwks=jwks,
            jwks_url=None if jwks is not None else settings.auth_jwks_url,
            leeway_seconds=settings.auth_leeway_seconds,
        )


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized()
    return token.strip()


async def current_principal(request: Request) -> Principal:
    """FastAPI dependency: the verified caller, or 401."""
    token = bearer_token(request)
    verifier: TokenVerifier = request.app.state.token_verifier
    principal = await verifier.verify(token)
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_scope(scope: str) -> Any:
    """Dependency factory: the caller, who must hold `scope` (else 403)."""

    async def _dependency(principal: CurrentPrincipal) -> Principal:
        principal.require_scope(scope)
        return principal

    return Depends(_dependency)


def path_upper_bound(anchor_path: str) -> str:
    """The smallest string above every path that starts with `anchor_path` (C collation)."""
    return anchor_path[:-1] + chr(ord(anchor_path[-1]) + 1)


def subtree_filter(column: Any, anchor_path: str) -> Any:
    """Rows whose materialized path lies at or under `anchor_path`.

    Spelled as a range rather than LIKE so that a plain btree index on a C-collated
    column serves it, also from prepared statements with generic plans.
    """
    return and_(column >= anchor_path, column < path_upper_bound(anchor_path))
