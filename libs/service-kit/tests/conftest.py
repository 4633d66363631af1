"""service-kit test fixtures: migrated databases, the probe app over HTTP, a token endpoint."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from service_kit.db import Database
from service_kit.testing import TestIssuer, migrated_database, serve_app, truncate_all

from .kitapp import MIGRATIONS_DIR, TokenEndpoint, kit_settings, probe_app

ORG_ID = uuid.UUID("0b6d2a9e-4a8f-4f39-9c3e-6f1d7c2b8a01")
REGION_ID = uuid.UUID("5c2e8f14-1d7b-4a66-8f0a-2b9e3d4c5a02")


@pytest.fixture(scope="session")
async def kit_db_url(pg_server_url: str) -> str:
    """The publishing service's database (and the one most tests write to)."""
    return await migrated_database(pg_server_url, "kit_test", MIGRATIONS_DIR)


@pytest.fixture(scope="session")
async def sub_db_url(pg_server_url: str) -> str:
    """A subscribing service's own database."""
    return await migrated_database(pg_server_url, "kit_sub_test", MIGRATIONS_DIR)


@pytest.fixture(scope="session")
async def kit_database(kit_db_url: str) -> AsyncIterator[Database]:
    database = Database(kit_db_url, pool_size=5, max_overflow=20)
    yield database
    await database.dispose()


@pytest.fixture(scope="session")
async def sub_database(sub_db_url: str) -> AsyncIterator[Database]:
    database = Database(sub_db_url, pool_size=5, max_overflow=20)
    yield database
    await database.dispose()


@pytest.fixture
async def kit_db(kit_database: Database, kit_db_url: str) -> AsyncIterator[Database]:
    """The kit database, emptied after the test."""
    yield kit_database
    await truncate_all(kit_db_url)


@pytest.fixture
async def sub_db(sub_database: Database, sub_db_url: str) -> AsyncIterator[Database]:
    """The subscriber's database, emptied after the test."""
    yield sub_database
    await truncate_all(sub_db_url)


@pytest.fixture(scope="session")
async def probe_url(kit_database: Database, test_issuer: TestIssuer) -> AsyncIterator[str]:
    """The probe app served over real HTTP on the kit database, shared by the tests.

    Tests that count what an app saw (metrics) serve their own.
    """
    app = probe_app(kit_settings(test_issuer, kit_database.url), kit_database)
    async with serve_app(app) as url:
        yield url


@pytest.fixture
async def probe(probe_url: str, kit_db: Database) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=probe_url) as client:
        yield client


@pytest.fixture(scope="session")
async def token_endpoint(test_issuer: TestIssuer) -> AsyncIterator[TokenEndpoint]:
    endpoint = TokenEndpoint(test_issuer)
    async with serve_app(endpoint.app()) as url:
        endpoint.url = url
        yield endpoint


@pytest.fixture
def reader(test_issuer: TestIssuer) -> dict[str, str]:
    return test_issuer.headers(subject="reader", roles=["member"], scopes=["kit:read"])


@pytest.fixture
def writer(test_issuer: TestIssuer) -> dict[str, str]:
    return test_issuer.headers(
        subject="secretary.kit",
        roles=["secretary", "org_admin"],
        scopes=["kit:read", "kit:write"],
        org_id=ORG_ID,
        region_id=REGION_ID,
    )
