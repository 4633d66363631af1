"""Operations: /healthz, /readyz (database and migrations), /metrics, request ids."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from service_kit.db import Database
from service_kit.migrations import head_revision
from service_kit.pgcluster import drop_database, ensure_database, free_port
from service_kit.testing import TestIssuer, serve_app

from .kitapp import MIGRATIONS_DIR, SERVICE_NAME, kit_settings, probe_app


def metric_value(exposition: str, name: str, **labels: str) -> float | None:
    """The value of one sample of the Prometheus text exposition, matched on `labels`."""
    for line in exposition.splitlines():
        if not line.startswith(name + "{"):
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', line[: line.rindex("}")]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


class TestHealth:
    async def test_healthz_answers_200(self, probe: httpx.AsyncClient) -> None:
        response = await probe.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}


class TestReadiness:
    async def test_readyz_is_200_when_migrated_to_head(self, probe: httpx.AsyncClient) -> None:
        response = await probe.get("/readyz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "migration": head_revision(MIGRATIONS_DIR)}
        assert response.json()["migration"] == "kit_0002"

    async def test_readyz_is_503_migrations_pending_on_an_unmigrated_database(
        self, pg_server_url: str, test_issuer: TestIssuer
    ) -> None:
        name = "kit_empty_" + uuid.uuid4().hex[:8]
        url = await ensure_database(pg_server_url, name)
        database = Database(url)
        try:
            app = probe_app(kit_settings(test_issuer, url), database)
            async with serve_app(app) as base, httpx.AsyncClient() as client:
                response = await client.get(f"{base}/readyz")
        finally:
            await database.dispose()
            await drop_database(pg_server_url, name)
        assert response.status_code == 503
        error = response.json()["error"]
        assert error["code"] == "migrations_pending"
        assert error["details"] == {"current": None, "head": "kit_0002"}

    async def test_readyz_is_503_when_the_database_is_unreachable(
        self, test_issuer: TestIssuer
    ) -> None:
        url = f"postgresql://postgres@127.0.0.1:{free_port()}/nothing"
        database = Database(url)
        try:
            app = probe_app(kit_settings(test_issuer, url), database)
            async with serve_app(app) as base, httpx.AsyncClient() as client:
                ready = await client.get(f"{base}/readyz")
                alive = await client.get(f"{base}/healthz")
        finally:
            await database.dispose()
        assert ready.status_code == 503
        assert ready.json()["error"]["code"] == "database_unavailable"
        assert alive.status_code == 200

    async def test_readyz_without_migrations_only_needs_the_database(
        self, kit_db: Database, test_issuer: TestIssuer
    ) -> None:
        app = probe_app(kit_settings(test_issuer, kit_db.url), kit_db, migrations_dir=None)
        async with serve_app(app) as base, httpx.AsyncClient() as client:
            response = await client.get(f"{base}/readyz")
        assert response.status_code == 200


class TestMetrics:
    @pytest.fixture
    async def probe(
        self, kit_db: Database, test_issuer: TestIssuer
    ) -> AsyncIterator[httpx.AsyncClient]:
        """A probe app of its own, whose metrics count only this test's requests."""
        app = probe_app(kit_settings(test_issuer, kit_db.url), kit_db)
        async with serve_app(app) as url, httpx.AsyncClient(base_url=url) as client:
            yield client

    async def test_metrics_count_requests_by_route_template(
        self, probe: httpx.AsyncClient, reader: dict[str, str]
    ) -> None:
        for _ in range(3):
            await probe.get(f"/probes/{uuid.uuid4()}", headers=reader)
        await probe.get("/healthz")
        await probe.get(f"/no/such/{uuid.uuid4()}")
        response = await probe.get("/metrics")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        text = response.text
        assert (
            metric_value(
                text,
                "http_requests_total",
                service=SERVICE_NAME,
                method="GET",
                route="/probes/{probe_id}",
                status="404",
            )
            == 3.0
        )
        assert metric_value(text, "http_requests_total", route="/healthz", status="200") == 1.0
        assert metric_value(text, "http_requests_total", route="unmatched", status="404") == 1.0
        assert "/no/such/" not in text  # raw paths would explode the label set
        assert (
            metric_value(text, "http_request_duration_seconds_count", route="/probes/{probe_id}")
            == 3.0
        )

    async def test_failed_requests_are_counted_as_500(self, probe: httpx.AsyncClient) -> None:
        await probe.get("/boom")
        text = (await probe.get("/metrics")).text
        assert metric_value(text, "http_requests_total", route="/boom", status="500") == 1.0


class TestRequestIds:
    async def test_response_carries_a_generated_request_id(self, probe: httpx.AsyncClient) -> None:
        first = await probe.get("/healthz")
        second = await probe.get("/healthz")
        assert re.fullmatch(r"[0-9a-f]{32}", first.headers["x-request-id"])
        assert first.headers["x-request-id"] != second.headers["x-request-id"]

    async def test_incoming_request_id_is_echoed(self, probe: httpx.AsyncClient) -> None:
        response = await probe.get("/healthz", headers={"X-Request-ID": "gw-1234.abc"})
        assert response.headers["x-request-id"] == "gw-1234.abc"

    async def test_error_answers_carry_the_request_id(self, probe: httpx.AsyncClient) -> None:
        response = await probe.get("/no/such/route", headers={"X-Request-ID": "err-1"})
        assert response.status_code == 404
        assert response.headers["x-request-id"] == "err-1"

    async def test_unusable_incoming_request_id_is_replaced(self, probe: httpx.AsyncClient) -> None:
        for bad in ("x" * 300, "has spaces in it", 'quote"d'):
            response = await probe.get("/healthz", headers={"X-Request-ID": bad})
            assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"]), bad
