"""Calls from the gateway to the services' REST APIs, with the caller's token forwarded."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from service_kit.http import HttpClient


class UpstreamError(Exception):
    """A service answered with an error; its code travels to the GraphQL client."""

    def __init__(self, service: str, status: int, code: str, message: str, details: Any = None):
        super().__init__(message)
        self.service = service
        self.status = status
        self.code = code
        self.details = details


class UpstreamUnavailable(UpstreamError):
    """A service did not answer in time, or not at all."""

    def __init__(self, service: str, reason: str) -> None:
        super().__init__(
            service, 503, "service_unavailable", f"{service} is not answering right now.", reason
        )


# Called once per request sent: (service, method, outcome) with outcome the HTTP status,
# "timeout", "unreachable" or "circuit_open".
CallObserver = Callable[[str, str, str], None]


class CircuitBreaker:
    """Fails fast for a while after a run of failures, so that a dead service costs no waits.

    A service that times out makes every screen wait for the timeout; after `threshold`
    failures in a row the gateway stops asking for `cooldown` seconds, then lets one
    call through to see whether the service is back.
    """

    def __init__(self, threshold: int, cooldown: float) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self.failures = 0
        self.open_until = 0.0

    def allows(self) -> bool:
        if self.threshold <= 0 or self.failures < self.threshold:
            return True
        now = time.monotonic()
        if now >= self.open_until:
            # Half open: this one call probes; a failure opens the circuit again.
            self.open_until = now + self.cooldown
            return True
        return False

    def succeeded(self) -> None:
        self.failures = 0

    def failed(self) -> None:
        self.failures += 1
        if self.failures == self.threshold:
            self.open_until = time.monotonic() + self.cooldown


class ServiceClient:
    """One backend service seen from the gateway: its address, timeout and circuit breaker."""

    def __init__(
        self,
        name: str,
        base_url: str,
        http: HttpClient,
        *,
        timeout: float | None = None,
        breaker: CircuitBreaker | None = None,
        observe: CallObserver | None = None,
    ) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.http = http
        self.timeout = timeout
        self.breaker = breaker or CircuitBreaker(0, 0.0)
        self.observe = observe

    def _observed(self, method: str, outcome: str) -> None:
        if self.observe is not None:
            self.observe(self.name, method, outcome)

    async def call(
        self,
        method: str,
        path: str,
        *,
        bearer: str,
        params: dict[str, Any] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """One call; reads may be retried once by the HTTP client, writes never are."""
        if not self.breaker.allows():
            self._observed(method, "circuit_open")
            raise UpstreamUnavailable(self.name, "circuit open after repeated failures")
        try:
            response = await self.http.request(
                method,
                f"{self.base_url}{path}",
                bearer=bearer,
                params={k: v for k, v in (params or {}).items() if v is not None},
                json=json,
                headers=headers,
                timeout=self.timeout,
            )
        except httpx.TimeoutException as exc:
            self.breaker.failed()
            self._observed(method, "timeout")
            raise UpstreamUnavailable(self.name, type(exc).__name__) from exc
        except httpx.HTTPError as exc:
            self.breaker.failed()
            self._observed(method, "unreachable")
            raise UpstreamUnavailable(self.name, type(exc).__name__) from exc
        self._observed(method, str(response.status_code))
        # A service that answers, even with an error, costs no waits: only silence counts.
        self.breaker.succeeded()
        if response.status_code >= 400:
            try:
                error = response.json()["error"]
                code, message, details = error["code"], error["message"], error.get("details")
            except (ValueError, KeyError, TypeError):
                code, message, details = "upstream_error", f"{self.name} failed.", None
            if response.status_code >= 500 and code in ("internal_error", "upstream_error"):
                raise UpstreamUnavailable(self.name, f"HTTP {response.status_code}")
            raise UpstreamError(self.name, response.status_code, code, message, details)
        return response.json()

    async def get(self, path: str, *, bearer: str, params: dict[str, Any] | None = None) -> Any:
        return await self.call("GET", path, bearer=bearer, params=params)

    async def post(
        self, path: str, *, bearer: str, json: Any, headers: dict[str, str] | None = None
    ) -> Any:
        return await self.call("POST", path, bearer=bearer, json=json, headers=headers)
