"""What every benchmark shares: a throwaway PostgreSQL, service processes, timing, reports."""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from service_kit.pgcluster import LocalCluster, free_port
from service_kit.testing import TestIssuer

RESULTS = Path(__file__).resolve().parent / "results"
STARTED = time.monotonic()  # about when the benchmark's process started (it imports us first)


@dataclass
class Measurement:
    scenario: str
    size: str
    runs: int
    p50_ms: float
    p95_ms: float
    throughput_per_s: float
    peak_rss_mb: float | None = None
    compared_with: str | None = None
    comparison_p50_ms: float | None = None
    ratio: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


async def measure(
    call: Callable[[], Awaitable[Any]], *, runs: int, warmup: int = 3
) -> tuple[list[float], Any]:
    """Run `call` warmup + runs times in sequence; returns the timings in ms and the last result."""
    result = None
    for _ in range(warmup):
        result = await call()
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        result = await call()
        timings.append((time.perf_counter() - started) * 1000)
    return timings, result


async def concurrently(
    call: Callable[[], Awaitable[Any]], *, clients: int, requests: int, warmup: int = 0
) -> tuple[list[float], float]:
    """`requests` calls from `clients` callers at once (each waits for its answer before the
    next); returns every call's time in ms and the wall-clock seconds of the whole run."""
    import asyncio

    for _ in range(warmup):
        await call()
    remaining = requests
    timings: list[float] = []

    async def caller() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            await call()
            timings.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(clients)))
    return timings, time.perf_counter() - started


def summary(timings: list[float]) -> tuple[float, float, float]:
    """p50, p95 (ms) and sequential throughput (per second)."""
    ordered = sorted(timings)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95, 1000 / statistics.mean(ordered)


def descendants(root: int) -> list[int]:
    """`root` and every process below it (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def set_affinity(pid: int, cpus: set[int]) -> int:
    """Every thread of process `pid` on `cpus` (os.sched_setaffinity(pid) moves only the
    thread whose id is pid: a JIT's or a garbage collector's threads would stay free);
    returns how many threads were moved."""
    moved = 0
    try:
        threads = [int(t) for t in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        threads = [pid]
    for tid in threads:
        try:
            os.sched_setaffinity(tid, cpus)
            moved += 1
        except OSError:
            continue
    return moved


def peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


@contextmanager
def cluster() -> Iterator[LocalCluster]:
    """A throwaway PostgreSQL (durable off: we measure queries, not fsync)."""
    directory = Path(tempfile.mkdtemp(prefix="pb-bench-pg-"))
    directory.chmod(0o755)
    pg = LocalCluster(directory, free_port(), durable=False)
    pg.init()
    pg.start()
    try:
        yield pg
    finally:
        pg.stop()
        shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def service_process(
    module: str, prefix: str, database_url: str, issuer: TestIssuer, **env: str
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A service as its own process (as in production), trusting `issuer`'s tokens."""
    port = free_port()
    environment = {
        **os.environ,
        f"{prefix}ENVIRONMENT": "test",
        f"{prefix}PORT": str(port),
        f"{prefix}DATABASE_URL": database_url,
        f"{prefix}AUTH_ISSUER": issuer.issuer,
        f"{prefix}AUTH_AUDIENCE": issuer.audience,
        f"{prefix}AUTH_JWKS": issuer.jwks_json,
        f"{prefix}RELAY_ENABLED": "false",
        f"{prefix}LOG_LEVEL": "WARNING",
        **env,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", module],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            err = process.stderr.read().decode() if process.stderr else ""
            raise RuntimeError(f"{module} did not start: {err[-2000:]}")
        time.sleep(0.1)
    try:
        yield url, process
    finally:
        process.terminate()
        process.wait(15)


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
    }


def report(name: str, measurements: list[Measurement], meta: dict[str, Any]) -> Path:
    """Print the table and write the JSON beside the earlier runs."""
    header = (
        f"{'scenario':<38} {'size':<6} {'p50 ms':>9} {'p95 ms':>9} {'per s':>8} "
        f"{'RSS MB':>7}  {'compared with':<26} {'its p50':>8} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    for m in measurements:
        rss = f"{m.peak_rss_mb:.0f}" if m.peak_rss_mb else "-"
        other = m.compared_with or "-"
        other_p50 = f"{m.comparison_p50_ms:.1f}" if m.comparison_p50_ms else "-"
        ratio = f"{m.ratio:.2f}" if m.ratio else "-"
        print(
            f"{m.scenario:<38} {m.size:<6} {m.p50_ms:>9.1f} {m.p95_ms:>9.1f} "
            f"{m.throughput_per_s:>8.1f} {rss:>7}  {other:<26} {other_p50:>8} {ratio:>6}"
        )
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    path = RESULTS / f"{name}-{stamp}.json"
    path.write_text(
        json.dumps(
            {
                "benchmark": name,
                "machine": machine(),
                # `make bench` sets BENCH_RUN: bench/summary.py gathers that run's files by it
                "bench_run": os.environ.get("BENCH_RUN"),
                "process_seconds": round(time.monotonic() - STARTED, 1),
                "load_average": [round(x, 2) for x in os.getloadavg()],
                **meta,
                "measurements": [asdict(m) for m in measurements],
            },
            ensure_ascii=False,
            indent=2,
        )
    )
    print(f"\nwritten: {path}")
    return path
