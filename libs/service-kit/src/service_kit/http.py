"""One shared httpx client per process: timeouts, bounded retries of reads, credentials, tracing."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from service_kit.logs import current_request_id, current_traceparent

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({502, 503, 504})


class ServiceTokenSource:
    """The service's own token from the issuer (OAuth2 client credentials), cached a while."""

    def __init__(
        self, client: httpx.AsyncClient, *, token_url: str, client_id: str, client_secret: str
    ) -> None:
        self._client = client
        self.token_url = token_url
        self.client_id = client_id
        self.client_secret = client_secret
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()

    async def token(self) -> str:
        async with self._lock:
            if self._token and time.monotonic() < self._expires_at - 30:
                return self._token
            response = await self._client.post(
                self.token_url,
                data={
                    "grant_type": "client_credentials",
                    "client_id": self.client_id,
                    "client_secret": self.client_secret,
                },
            )
            response.raise_for_status()
            body = response.json()
            self._token = str(body["access_token"])
            self._expires_at = time.monotonic() + float(body.get("expires_in", 300))
            return self._token

    def forget(self) -> None:
        self._token = None


class HttpClient:
    """Calls to other services and subscribers."""

    def __init__(
        self,
        *,
        timeout_seconds: float = 5.0,
        read_retries: int = 1,
        max_connections: int = 200,
        max_keepalive_connections: int = 50,
        token_url: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_seconds, connect=min(timeout_seconds, 2.0)),
            # 50 kept alive by default: httpcore looks at every pooled connection (a poll of
            # its socket for each idle one) to place each request, so a pool of 200 kept
            # alive cost the gateway a quarter of its CPU under the home screen's load, far
            # more than reopening connections on a burst (bench/profile_screens.md).
            limits=httpx.Limits(
                max_connections=max_connections,
                max_keepalive_connections=max_keepalive_connections,
            ),
            transport=transport,
        )
        self.read_retries = read_retries
        self.service_tokens = (
            ServiceTokenSource(
                self.client, token_url=token_url, client_id=client_id, client_secret=client_secret
            )
            if token_url and client_id and client_secret
            else None
        )

    @classmethod
    def from_settings(cls, settings: Any) -> HttpClient:
        return cls(
            timeout_seconds=settings.http_timeout_seconds,
            read_retries=settings.http_read_retries,
            max_connections=settings.http_max_connections,
            max_keepalive_connections=settings.http_max_keepalive_connections,
            token_url=settings.token_url,
            client_id=settings.client_id or None,
            client_secret=settings.client_secret,
        )

    async def request(
        self,
        method: str,
        url: str,
        *,
        bearer: str | None = None,
        as_service: bool = False,
        retries: int | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - httpx's per-request timeout
        **kwargs: Any,
    ) -> httpx.Response:
        """Send a request; reads (idempotent methods) are retried, other methods never."""
        method = method.upper()
        headers = dict(kwargs.pop("headers", None) or {})
        if as_service:
            if self.service_tokens is None:
                raise RuntimeError("no service credentials are configured")
            bearer = await self.service_tokens.token()
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        if (request_id := current_request_id()) is not None:
            headers.setdefault("X-Request-ID", request_id)
        if (traceparent := current_traceparent()) is not None:
            headers.setdefault("traceparent", traceparent)
        if timeout is not None:
            kwargs["timeout"] = timeout
        attempts = 1 + (
            (self.read_retries if retries is None else retries)
            if method in IDEMPOTENT_METHODS
            else 0
        )
        for attempt in range(attempts):
            try:
                response = await self.client.request(method, url, headers=headers, **kwargs)
            except httpx.TransportError:
                if attempt + 1 >= attempts:
                    raise
                await asyncio.sleep(0.05 * (attempt + 1))
                continue
            if response.status_code == 401 and as_service and self.service_tokens is not None:
                self.service_tokens.forget()
            if response.status_code in RETRY_STATUSES and attempt + 1 < attempts:
                await asyncio.sleep(0.05 * (attempt + 1))
                continue
            return response
        raise AssertionError("unreachable")

    async def aclose(self) -> None:
        await self.client.aclose()
