"""The whole system as real processes: services and gateway on one PostgreSQL, called over HTTP."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest

import demo_data
from devstack.seed import load_demo, service_token
from devstack.stack import Stack, default_apps
from service_kit.pgcluster import free_port, free_ports, port_in_use

pytestmark = pytest.mark.system


async def _token(gateway: str, username: str) -> str:
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{gateway}/auth/token",
            data={"grant_type": "password", "username": username, "password": "demo"},
        )
        response.raise_for_status()
        return str(response.json()["access_token"])


async def _graphql(gateway: str, token: str, query: str) -> dict[str, object]:
    async with httpx.AsyncClient(timeout=10.0) as client:
        response = await client.post(
            f"{gateway}/graphql",
            json={"query": query},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200, response.text
        body: dict[str, object] = response.json()
        return body


@pytest.fixture(scope="module")
async def stack(
    pg_server_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    running = Stack(
        server_url=pg_server_url,
        data_dir=tmp_path_factory.mktemp("stack"),
        apps=default_apps(free_ports(5)),
        database_prefix="system_",
        extra_env={"PYTHONUNBUFFERED": "1"},
    )
    await running.prepare_databases()
    running.start()
    try:
        await running.wait_ready()
        token = await service_token(running.gateway_url, "gateway", "dev-service-secret")
        await load_demo(running.url("org"), token)
        yield running
    finally:
        running.stop()


async def test_gateway_answers_with_demo_organizations(stack: Stack) -> None:
    token = await _token(stack.gateway_url, "admin.city")
    body = await _graphql(
        stack.gateway_url,
        token,
        "{ organizations(first: 200) { nodes { name region { name } } } }",
    )
    assert body.get("errors") is None, body
    names = {n["name"] for n in body["data"]["organizations"]["nodes"]}  # type: ignore[index]
    assert names == {o.name for o in demo_data.ORGANIZATIONS}


async def test_district_admin_sees_own_district_only(stack: Stack) -> None:
    token = await _token(stack.gateway_url, "admin.erdao")
    body = await _graphql(
        stack.gateway_url, token, "{ organizations { nodes { name region { name } } } }"
    )
    regions = {n["region"]["name"] for n in body["data"]["organizations"]["nodes"]}  # type: ignore[index]
    assert regions == {"二道区"}


async def test_organization_events_reach_every_subscriber(stack: Stack) -> None:
    base = stack.server_url.rsplit("/", 1)[0]
    org_db = await asyncpg.connect(f"{base}/system_org")
    try:
        deadline = time.monotonic() + 30
        while await org_db.fetchval(
            "SELECT count(*) FROM outbox_delivery WHERE status = 'pending'"
        ):
            assert time.monotonic() < deadline, "deliveries still pending after 30 s"
            await asyncio.sleep(0.2)
        published = await org_db.fetchval(
            "SELECT count(*) FROM outbox_event WHERE type = 'org.organization.changed'"
        )
    finally:
        await org_db.close()
    assert published == len(demo_data.ORGANIZATIONS)
    for service in ("member", "funding", "rating"):
        db = await asyncpg.connect(f"{base}/system_{service}")
        try:
            received = await db.fetchval(
                "SELECT count(*) FROM inbox_event WHERE type = 'org.organization.changed'"
            )
        finally:
            await db.close()
        assert received == published, service


async def test_services_refuse_calls_without_token(stack: Stack) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{stack.url('org')}/organizations")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_make_run_command_starts_everything_and_ctrl_c_stops_it() -> None:
    """What `make run` runs: up with demo data, the README's call works, Ctrl-C leaves nothing."""
    # Not pytest's tmp_path: when tests run as root, PostgreSQL runs as an unprivileged
    # user who must be able to reach the directory.
    tmp_path = Path(tempfile.mkdtemp(prefix="pb-devstack-"))
    tmp_path.chmod(0o755)
    base = free_ports(5)
    pg_port = free_port()
    env = {**os.environ, "PGPORT": str(pg_port), "PYTHONUNBUFFERED": "1"}
    env.pop("DATABASE_URL", None)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "devstack",
            "run",
            "--data-dir",
            str(tmp_path / "data"),
            "--base-port",
            str(base),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 300
        for line in process.stdout:
            output.append(line)
            if "Press Ctrl-C" in line:
                break
            assert time.monotonic() < deadline, "".join(output)
        assert any("27 organizations" in line for line in output), "".join(output)
        gateway = f"http://127.0.0.1:{base}"
        token = asyncio.run(_token(gateway, "admin.city"))
        body = asyncio.run(
            _graphql(gateway, token, "{ organizations(first: 5) { nodes { name kind } } }")
        )
        assert len(body["data"]["organizations"]["nodes"]) == 5  # type: ignore[index]
    finally:
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=60)
        output.append(rest)
    assert process.returncode == 0, "".join(output)
    assert "Stopped." in "".join(output)
    assert not any(port_in_use(base + i) for i in range(5))
    assert not port_in_use(pg_port)
    shutil.rmtree(tmp_path, ignore_errors=True)
