"""Calls from the gateway to the services' REST APIs, with the caller's token forwarded."""

from __future__ import annotations

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


class ServiceClient:
    """One backend service seen from the gateway."""

    def __init__(self, name: str, base_url: str, http: HttpClient) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.http = http

    async def call(
        self,
        method: str,
        path: str,
        *,
        bearer: str,
        params: dict[str, Any] | None = None,
        json: Any = None,
    ) -> Any:
        try:
            response = await self.http.request(
                method,
                f"{self.base_url}{path}",
                bearer=bearer,
                params={k: v for k, v in (params or {}).items() if v is not None},
                json=json,
            )
        except httpx.HTTPError as exc:
            raise UpstreamUnavailable(self.name, type(exc).__name__) from exc
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

    async def post(self, path: str, *, bearer: str, json: Any) -> Any:
        return await self.call("POST", path, bearer=bearer, json=json)
