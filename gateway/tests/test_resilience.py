"""One service stopped, slow or refusing: the others' data still arrives, with coded errors on
the fields that needed the missing one; reads are retried once, writes never."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx

import demo_data
from gateway.main import create_app as create_gateway
from service_kit.testing import app_client
from service_kit.tokens import SigningKey

from .conftest import GatewayStack, gateway_settings, serve_service

BRANCH = str(demo_data.organization_id(demo_data.DEMO_BRANCH))
QUERY = """query($id: ID!) { organization(id: $id) {
  name
  starRating { stars }
  secretary { name }
  members(first: 3) { nodes { name starRating { stars } } }
} }"""


@asynccontextmanager
async def gateway_with(stack: GatewayStack, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A second gateway, in process, whose services are the stack's unless overridden."""
    urls = {**stack.urls, **{k: v for k, v in overrides.items() if k in stack.urls}}
    settings = {k: v for k, v in overrides.items() if k not in stack.urls}
    app = create_gateway(gateway_settings(stack.key_file, urls, **settings), configure_logs=False)
    async with app_client(app) as client:
        yield client


async def ask(client: httpx.AsyncClient, token: str, query: str = QUERY) -> dict[str, Any]:
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": {"id": BRANCH}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


class Listener:
    """A TCP endpoint where a service should be: it hangs up at once, or never answers."""

    def __init__(self, *, hang: bool) -> None:
        self.hang = hang
        self.connections = 0
        self.server: asyncio.Server | None = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        if self.hang:
            await reader.read()  # until the gateway gives up and closes
        writer.close()

    @asynccontextmanager
    async def running(self) -> AsyncIterator[str]:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            self.server.close()


async def test_rule_partial_result_when_rating_service_is_stopped(
    gateway_stack: GatewayStack,
) -> None:
    """Partial results: a stopped service costs only the fields that need it."""
    token = await gateway_stack.token("secretary.demo")
    key = SigningKey.load_or_create(gateway_stack.key_file)
    gateway_url = str(gateway_stack.client.base_url).rstrip("/")
    async with AsyncExitStack() as rating:
        rating_url = await rating.enter_async_context(
            serve_service(
                "rating", gateway_stack.databases["rating"], key, gateway_url, gateway_stack.urls
            )
        )
        async with gateway_with(gateway_stack, rating=rating_url) as client:
            whole = await ask(client, token)
            assert whole.get("errors") is None, whole
            await rating.aclose()  # rating-service stops: its port refuses connections
            partial = await ask(client, token)
    organization = partial["data"]["organization"]
    assert organization["name"] == demo_data.DEMO_BRANCH
    assert organization["secretary"] == whole["data"]["organization"]["secretary"]
    assert [m["name"] for m in organization["members"]["nodes"]] == [
        m["name"] for m in whole["data"]["organization"]["members"]["nodes"]
    ]
    assert organization["starRating"] is None
    assert all(m["starRating"] is None for m in organization["members"]["nodes"])
    failed = {tuple(e["path"]) for e in partial["errors"]}
    assert ("organization", "starRating") in failed
    assert ("organization", "members", "nodes", 0, "starRating") in failed
    assert {e["extensions"]["code"] for e in partial["errors"]} == {"service_unavailable"}
    assert {e["extensions"]["service"] for e in partial["errors"]} == {"rating-service"}
    assert all("Traceback" not in e["message"] for e in partial["errors"])


async def test_slow_service_times_out_and_then_is_not_asked(
    gateway_stack: GatewayStack,
) -> None:
    token = await gateway_stack.token("secretary.demo")
    hanging = Listener(hang=True)
    async with (
        hanging.running() as url,
        gateway_with(
            gateway_stack,
            rating=url,
            rating_service_timeout_seconds=0.3,
            http_read_retries=0,
            circuit_breaker_failures=2,
            circuit_breaker_cooldown_seconds=60,
        ) as client,
    ):
        started = time.monotonic()
        body = await ask(client, token)
        elapsed = time.monotonic() - started
        assert body["data"]["organization"]["name"] == demo_data.DEMO_BRANCH
        assert body["data"]["organization"]["starRating"] is None
        assert elapsed < 2.0
        # Two timeouts (organizations' and members' star levels) open the circuit: the
        # next screen does not wait for rating-service at all.
        asked = hanging.connections
        started = time.monotonic()
        again = await ask(client, token)
        assert time.monotonic() - started < 0.3
        assert hanging.connections == asked
        assert again["data"]["organization"]["secretary"] is not None
        assert {e["extensions"]["code"] for e in again["errors"]} == {"service_unavailable"}


async def test_reads_are_retried_once_and_writes_never(gateway_stack: GatewayStack) -> None:
    token = await gateway_stack.token("admin.city")
    refusing = Listener(hang=False)
    async with (
        refusing.running() as url,
        gateway_with(gateway_stack, funding=url, http_read_retries=1) as client,
    ):
        body = await ask(
            client,
            token,
            "query($id: ID!) { organization(id: $id) { name fundingBalance { totalFen } } }",
        )
        assert body["data"]["organization"]["name"] == demo_data.DEMO_BRANCH
        assert body["errors"][0]["extensions"]["code"] == "service_unavailable"
        assert refusing.connections == 2
        response = await client.post(
            "/graphql",
            json={
                "query": """mutation($p: ID!, $o: ID!) { bidForProject(projectId: $p,
                              input: {organizationId: $o, amountFen: 100},
                              idempotencyKey: "k-1") { id } }""",
                "variables": {"p": BRANCH, "o": BRANCH},
            },
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.json()["errors"][0]["extensions"]["code"] == "service_unavailable"
        assert refusing.connections == 3
