"""The local PostgreSQL cluster: binaries found or a clear error, init/start/stop, databases."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from service_kit.pgcluster import (
    ClusterError,
    LocalCluster,
    database_url,
    drop_database,
    ensure_database,
    find_bindir,
    free_port,
    free_ports,
)


@pytest.fixture
def cluster_dir() -> Iterator[Path]:
    # Not tmp_path: when the tests run as root, PostgreSQL runs as an unprivileged user who
    # must be able to reach the directory (pytest's base directory is private).
    directory = Path(tempfile.mkdtemp(prefix="kit-pgcluster-"))
    directory.chmod(0o755)
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


class TestFindBindir:
    def test_pg_bindir_without_the_binaries_is_a_clear_cluster_error(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        monkeypatch.setenv("PG_BINDIR", str(tmp_path))
        with pytest.raises(ClusterError, match="does not hold initdb, pg_ctl and postgres") as err:
            find_bindir()
        assert f"PG_BINDIR={tmp_path}" in str(err.value)

    def test_pg_bindir_with_the_binaries_is_used(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("PG_BINDIR", raising=False)
        found = find_bindir()
        assert all((found / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres"))
        monkeypatch.setenv("PG_BINDIR", str(found))
        assert find_bindir() == found


class TestDatabaseUrl:
    def test_database_url_keeps_user_host_and_query(self) -> None:
        url = "postgresql://kit:pw@db.internal:6543/postgres?sslmode=require"
        assert (
            database_url(url, "org") == "postgresql://kit:pw@db.internal:6543/org?sslmode=require"
        )

    def test_database_url_quotes_the_name(self) -> None:
        assert database_url("postgresql://h/x", "a b/c") == "postgresql://h/a%20b%2Fc"


class TestLocalCluster:
    def test_start_on_a_taken_port_is_a_clear_cluster_error(self, cluster_dir: Path) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            cluster = LocalCluster(cluster_dir, port, durable=False)
            with pytest.raises(ClusterError, match=f"port {port} .* already taken"):
                cluster.start()

    async def test_cluster_inits_starts_serves_idempotent_databases_and_stops(
        self, cluster_dir: Path
    ) -> None:
        cluster = LocalCluster(cluster_dir / "cluster", free_port(), durable=False)
        try:
            await asyncio.to_thread(cluster.init)
            assert cluster.initialized()
            await asyncio.to_thread(cluster.init)  # a second init keeps the cluster
            await asyncio.to_thread(cluster.start)
            assert cluster.running()
            await asyncio.to_thread(cluster.start)  # already running: nothing to do

            server = cluster.url() + "?application_name=kit-test"
            first, second = await asyncio.gather(
                ensure_database(server, "kit-idempotent"), ensure_database(server, "kit-idempotent")
            )
            assert first == second == cluster.url("kit-idempotent") + "?application_name=kit-test"
            assert await ensure_database(server, "kit-idempotent") == first
            copy = await ensure_database(server, 'kit "copy"', template="kit-idempotent")
            assert copy == cluster.url("kit%20%22copy%22") + "?application_name=kit-test"
            connection = await asyncpg.connect(first)
            try:
                assert await connection.fetchval("SELECT current_database()") == "kit-idempotent"
                assert await connection.fetchval("SHOW application_name") == "kit-test"
                assert await connection.fetchval("SHOW fsync") == "off"
            finally:
                await connection.close()
            connection = await asyncpg.connect(copy)
            try:
                assert await connection.fetchval("SELECT current_database()") == 'kit "copy"'
            finally:
                await connection.close()

            await drop_database(cluster.url(), "kit-idempotent")
            await drop_database(cluster.url(), "kit-idempotent")  # already gone: no error
            connection = await asyncpg.connect(cluster.url())
            try:
                count = await connection.fetchval(
                    "SELECT count(*) FROM pg_database WHERE datname = 'kit-idempotent'"
                )
            finally:
                await connection.close()
            assert count == 0
        finally:
            await asyncio.to_thread(cluster.stop)
        assert not cluster.running()


class TestFreePorts:
    """Ports for servers a test starts: free, consecutive, never from the ephemeral range."""

    def test_a_block_of_ports_lies_outside_the_ephemeral_range_and_can_be_bound(self) -> None:
        low, high = (
            int(v) for v in Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        )
        for _ in range(20):
            base = free_ports(5)
            assert all(not low <= base + i <= high for i in range(5))
            with contextlib.ExitStack() as held:
                for i in range(5):
                    sock = held.enter_context(socket.socket())
                    sock.bind(("127.0.0.1", base + i))

    def test_a_port_someone_listens_on_is_never_chosen(self) -> None:
        with socket.socket() as listener:
            port = free_port()
            listener.bind(("127.0.0.1", port))
            listener.listen()
            with pytest.raises(RuntimeError, match="no 1 consecutive free ports"):
                free_ports(1, between=(port, port + 1))
            with pytest.raises(RuntimeError, match="no 3 consecutive free ports"):
                free_ports(3, between=(port - 2, port - 1))

    def test_ports_chosen_before_any_is_bound_are_all_different(self) -> None:
        first = free_ports(3, between=(20000, 20100))
        chosen = {free_port() for _ in range(300)}
        assert len(chosen) == 300
        with pytest.raises(RuntimeError):
            free_ports(3, between=(first, first + 1))  # the same block again
