"""Pytest fixtures for every service's tests: a throwaway PostgreSQL cluster and a token issuer.

Loaded by the root conftest.py; services build their own fixtures on these.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from service_kit.migrations import upgrade_async
from service_kit.pgcluster import LocalCluster, drop_database, ensure_database, free_port
from service_kit.tokens import SigningKey, mint_token

TEST_ISSUER = "http://issuer.test/auth"
TEST_AUDIENCE = "party-building"


@dataclass
class TestIssuer:
    """Mints real RS256 tokens for tests; services verify them against `jwks_json`."""

    __test__ = False
    key: SigningKey = field(default_factory=SigningKey.generate)
    issuer: str = TEST_ISSUER
    audience: str = TEST_AUDIENCE

    @property
    def jwks_json(self) -> str:
        import json

        return json.dumps(self.key.jwks())

    def token(
        self,
        *,
        subject: str = "tester",
        roles: list[str] | None = None,
        scopes: list[str] | None = None,
        ttl_seconds: int = 600,
        **extra: Any,
    ) -> str:
        return mint_token(
            self.key,
            issuer=self.issuer,
            audience=self.audience,
            subject=subject,
            roles=roles or [],
            scopes=scopes or [],
            ttl_seconds=ttl_seconds,
            extra={k: str(v) if isinstance(v, uuid.UUID) else v for k, v in extra.items()},
        )

    def headers(self, **kwargs: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(**kwargs)}"}


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """A PostgreSQL server for this test session: TEST_DATABASE_URL, or a throwaway cluster."""
    if url := os.environ.get("TEST_DATABASE_URL"):
        yield url
        return
    directory = Path(tempfile.mkdtemp(prefix="pb-test-pg-"))
    directory.chmod(0o755)
    cluster = LocalCluster(directory, free_port(), durable=False)
    cluster.init()
    cluster.start()
    try:
        yield cluster.url()
    finally:
        cluster.stop()
        shutil.rmtree(directory, ignore_errors=True)


async def migrated_database(server_url: str, name: str, migrations_dir: Path) -> str:
    """A fresh database `name` on the test server, migrated to head; returns its URL."""
    await drop_database(server_url, name)
    url = await ensure_database(server_url, name)
    await upgrade_async(migrations_dir, url)
    return url


@pytest.fixture(scope="session")
def test_issuer() -> TestIssuer:
    return TestIssuer()


@pytest.fixture
def unique_name() -> str:
    return "t_" + uuid.uuid4().hex[:12]


async def truncate_all(url: str) -> None:
    """Empty every table of a database but Alembic's own, between tests."""
    import asyncpg

    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        tables = await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version'"
        )
        if tables:
            names = ", ".join(f'"{t["tablename"]}"' for t in tables)
            await connection.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    finally:
        await connection.close()


@asynccontextmanager
async def app_client(app: Any, **headers: str) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client that talks to `app` in process, with its lifespan run around it."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=headers
        ) as client:
            yield client


@asynccontextmanager
async def serve_app(app: Any, port: int | None = None) -> AsyncIterator[str]:
    """Serve `app` over real HTTP on 127.0.0.1 in this event loop; yields its base URL."""
    import asyncio

    import uvicorn

    port = port or free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("server stopped before it started")
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
