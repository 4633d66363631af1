"""The shared HTTP client: bounded retries of reads only, service tokens, request-id propagation."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from service_kit.db import Database
from service_kit.http import HttpClient
from service_kit.testing import TestIssuer, app_client, serve_app

from .kitapp import TokenEndpoint, Upstream, dropping_server, kit_settings, probe_app


@pytest.fixture(scope="module")
async def upstream_server() -> AsyncIterator[tuple[Upstream, str]]:
    state = Upstream()
    async with serve_app(state.app()) as url:
        yield state, url


@pytest.fixture
def upstream(upstream_server: tuple[Upstream, str]) -> tuple[Upstream, str]:
    """The upstream service, its call counts zeroed for the test."""
    state, url = upstream_server
    state.calls.clear()
    return state, url


@pytest.fixture
async def http() -> AsyncIterator[HttpClient]:
    client = HttpClient(timeout_seconds=5.0)
    yield client
    await client.aclose()


class TestRetries:
    async def test_get_is_retried_once_after_a_503(
        self, http: HttpClient, upstream: tuple[Upstream, str]
    ) -> None:
        state, url = upstream
        response = await http.request("GET", f"{url}/flaky/get")
        assert response.status_code == 200
        assert state.calls["get"] == 2

    async def test_get_gives_up_after_one_retry(
        self, http: HttpClient, upstream: tuple[Upstream, str]
    ) -> None:
        state, url = upstream
        response = await http.request("GET", f"{url}/down/get")
        assert response.status_code == 503
        assert state.calls["get"] == 2

    async def test_retries_can_be_turned_off_per_call(
        self, http: HttpClient, upstream: tuple[Upstream, str]
    ) -> None:
        state, url = upstream
        response = await http.request("GET", f"{url}/flaky/once", retries=0)
        assert response.status_code == 503
        assert state.calls["once"] == 1

    async def test_post_is_never_retried_after_a_503(
        self, http: HttpClient, upstream: tuple[Upstream, str]
    ) -> None:
        state, url = upstream
        response = await http.request("POST", f"{url}/flaky/post", json={"a": 1})
        assert response.status_code == 503
        assert state.calls["post"] == 1

    async def test_post_is_never_retried_even_when_retries_are_asked_for(
        self, http: HttpClient, upstream: tuple[Upstream, str]
    ) -> None:
        state, url = upstream
        response = await http.request("POST", f"{url}/flaky/post2", retries=3)
        assert response.status_code == 503
        assert state.calls["post2"] == 1

    async def test_get_is_retried_once_after_a_dropped_connection(self, http: HttpClient) -> None:
        async with dropping_server(drops=1) as (url, heads):
            response = await http.request("GET", f"{url}/thing")
        assert response.status_code == 200
        assert response.json() == {"ok": True}
        assert len(heads) == 2
        assert all(h.startswith(b"GET /thing ") for h in heads)

    async def test_get_raises_when_the_retry_is_dropped_too(self, http: HttpClient) -> None:
        async with dropping_server(drops=2) as (url, heads):
            with pytest.raises(httpx.TransportError):
                await http.request("GET", f"{url}/thing")
        assert len(heads) == 2

    async def test_post_is_not_retried_after_a_dropped_connection(self, http: HttpClient) -> None:
        async with dropping_server(drops=1) as (url, heads):
            with pytest.raises(httpx.TransportError):
                await http.request("POST", f"{url}/thing", json={"a": 1})
        assert len(heads) == 1

    async def test_get_to_a_closed_port_raises_a_connect_error(self, http: HttpClient) -> None:
        with pytest.raises(httpx.ConnectError):
            await http.request("GET", "http://127.0.0.1:9/nothing")


class TestServiceTokens:
    async def test_service_token_is_fetched_once_and_sent(
        self, token_endpoint: TokenEndpoint, upstream: tuple[Upstream, str], test_issuer: TestIssuer
    ) -> None:
        _, url = upstream
        client = HttpClient(**token_endpoint.credentials())
        try:
            issued = token_endpoint.issued
            first = (await client.request("GET", f"{url}/echo", as_service=True)).json()
            second = (await client.request("GET", f"{url}/echo", as_service=True)).json()
        finally:
            await client.aclose()
        assert token_endpoint.issued == issued + 1
        assert first["authorization"] == second["authorization"]
        assert first["authorization"].startswith("Bearer ")

    async def test_rejected_service_token_is_fetched_anew(
        self, token_endpoint: TokenEndpoint, upstream: tuple[Upstream, str]
    ) -> None:
        state, url = upstream
        client = HttpClient(**token_endpoint.credentials())
        try:
            issued = token_endpoint.issued
            await client.request("GET", f"{url}/echo", as_service=True)
            rejected = await client.request("GET", f"{url}/reject/r", as_service=True)
            await client.request("GET", f"{url}/echo", as_service=True)
        finally:
            await client.aclose()
        assert rejected.status_code == 401
        assert state.calls["r"] == 1  # a 401 is not retried
        assert token_endpoint.issued == issued + 2

    async def test_as_service_without_credentials_is_refused(self, http: HttpClient) -> None:
        with pytest.raises(RuntimeError, match="no service credentials"):
            await http.request("GET", "http://127.0.0.1:9/", as_service=True)

    async def test_explicit_bearer_is_sent(
        self, http: HttpClient, upstream: tuple[Upstream, str]
    ) -> None:
        _, url = upstream
        body = (await http.request("GET", f"{url}/echo", bearer="abc")).json()
        assert body["authorization"] == "Bearer abc"


class TestRequestContext:
    async def test_request_id_and_traceparent_travel_to_the_next_service(
        self,
        probe_url: str,
        upstream: tuple[Upstream, str],
    ) -> None:
        _, url = upstream
        traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        async with httpx.AsyncClient() as client:
            response = await client.get(
                f"{probe_url}/outbound",
                params={"url": f"{url}/echo"},
                headers={"X-Request-ID": "req-chain-1", "traceparent": traceparent},
            )
        assert response.status_code == 200, response.text
        assert response.json()["x_request_id"] == "req-chain-1"
        assert response.json()["traceparent"] == traceparent
        assert response.headers["x-request-id"] == "req-chain-1"

    async def test_generated_request_id_travels_to_the_next_service(
        self, probe_url: str, upstream: tuple[Upstream, str]
    ) -> None:
        _, url = upstream
        async with httpx.AsyncClient() as client:
            response = await client.get(f"{probe_url}/outbound", params={"url": f"{url}/echo"})
        assert response.json()["x_request_id"] == response.headers["x-request-id"]

    async def test_request_id_does_not_outlive_its_request(
        self,
        kit_db: Database,
        test_issuer: TestIssuer,
        http: HttpClient,
        upstream: tuple[Upstream, str],
    ) -> None:
        # In process, the app runs in the caller's task: its request id must not stick to it.
        _, url = upstream
        app = probe_app(kit_settings(test_issuer, kit_db.url), kit_db)
        async with app_client(app) as client:
            response = await client.get("/healthz", headers={"X-Request-ID": "req-in-process"})
            assert response.headers["x-request-id"] == "req-in-process"
        body = (await http.request("GET", f"{url}/echo")).json()
        assert body["x_request_id"] is None
        assert body["traceparent"] is None


class TestConnectionLimits:
    async def test_calls_beyond_the_connection_limit_wait_for_a_connection(
        self, test_issuer: TestIssuer
    ) -> None:
        """http_max_connections bounds the calls in flight to one service; the others wait."""
        in_flight = 0
        most = 0
        crowded = asyncio.Event()
        app = FastAPI()

        @app.get("/hold")
        async def hold() -> dict[str, int]:
            nonlocal in_flight, most
            in_flight += 1
            most = max(most, in_flight)
            if in_flight > 2:
                crowded.set()
            # Held until a third call arrives (it never does under the limit) or a while.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(crowded.wait(), 0.2)
            in_flight -= 1
            return {"most": most}

        settings = kit_settings(
            test_issuer, http_max_connections=2, http_max_keepalive_connections=2
        )
        client = HttpClient.from_settings(settings)
        try:
            async with serve_app(app) as url:
                answers = await asyncio.gather(
                    *(client.request("GET", f"{url}/hold") for _ in range(6))
                )
        finally:
            await client.aclose()
        assert [a.status_code for a in answers] == [200] * 6
        assert most == 2
