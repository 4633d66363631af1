"""The sync API of park systems: a park system's work targets (city: 100,000, half the city's
200,000) pushed in batches of 5,000 over HTTP, end to end, beside the same rows loaded with
asyncpg's copy_records_to_table; then the same data pushed again (every record unchanged),
measured the same way.

Run: `make bench-sync` (or `.venv/bin/python bench/sync_push.py --size city --batch 5000`;
`--records N` pushes N records whatever the size).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Measurement, cluster, peak_rss_mb, report, service_process, summary

from org_service.main import MIGRATIONS_DIR
from org_service.work_targets.credit_code import check_character
from service_kit.migrations import upgrade_async
from service_kit.pgcluster import ensure_database
from service_kit.testing import TestIssuer

SIZES = {
    # a park system's work targets: half of the size's (small 20,000; city 200,000; province
    # 2,000,000)
    "small": 10_000,
    "city": 100_000,
    "province": 1_000_000,
}
CLIENT = "park-system"
BUILDINGS = 40
INDUSTRIES = ("retail", "logistics", "internet", "law", "other")
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def hexpath(*ids: uuid.UUID) -> str:
    return "".join(i.hex + "/" for i in ids)


class Park:
    """A city, a district, a sub-district, one park and its buildings (the client's places)."""

    def __init__(self, rng: random.Random) -> None:
        uid = lambda: uuid.UUID(int=rng.getrandbits(128), version=4)  # noqa: E731
        self.city, self.district, self.sub = uid(), uid(), uid()
        self.park = uid()
        self.buildings = [uid() for _ in range(BUILDINGS)]
        self.regions = [
            (self.city, "城市", "city", None, None, hexpath(self.city), NOW),
            (
                self.district,
                "区",
                "district",
                self.city,
                "urban",
                hexpath(self.city, self.district),
                NOW,
            ),
            (
                self.sub,
                "街道",
                "sub_district",
                self.district,
                None,
                hexpath(self.city, self.district, self.sub),
                NOW,
            ),
        ]
        self.places = [(self.park, "园区", "park", "provincial", self.district, None, NOW)] + [
            (b, f"园区楼{i:02d}", "building", None, self.sub, self.park, NOW)
            for i, b in enumerate(self.buildings)
        ]
        self.region_of = {self.park: self.district, **{b: self.sub for b in self.buildings}}


def records(n: int, park: Park, rng: random.Random) -> list[dict[str, Any]]:
    """The client's records: deterministic for a seed, every credit code valid."""
    out = []
    start = date(2010, 1, 1)
    for i in range(n):
        first17 = f"91220102{i:09d}"
        place = park.park if i % 10 == 0 else park.buildings[i % BUILDINGS]
        out.append(
            {
                "credit_code": first17 + check_character(first17),
                "external_id": f"P-{i:07d}",
                "name": f"园区企业{i:07d}",
                "industry": INDUSTRIES[i % len(INDUSTRIES)],
                "place_id": str(place),
                "employee_count": rng.randrange(1, 500),
                "pays_tax": rng.random() < 0.8,
                "pays_social_insurance": rng.random() < 0.6,
                "registered_on": (start + timedelta(days=rng.randrange(5000))).isoformat(),
            }
        )
    return out


def copy_rows(batch: list[dict[str, Any]], park: Park) -> list[tuple[Any, ...]]:
    """The rows the API writes for these records, for COPY."""
    rows = []
    for r in batch:
        place = uuid.UUID(r["place_id"])
        rows.append(
            (
                uuid.uuid4(),
                r["credit_code"],
                r["name"],
                "enterprise",
                r["industry"],
                park.region_of[place],
                place,
                r["employee_count"],
                r["pays_tax"],
                r["pays_social_insurance"],
                0,
                None,
                date.fromisoformat(r["registered_on"]),
                None,
                json.dumps({CLIENT: r["external_id"]}),
                NOW,
                NOW,
            )
        )
    return rows


COPY_COLUMNS = [
    "id",
    "credit_code",
    "name",
    "kind",
    "industry",
    "region_id",
    "place_id",
    "employee_count",
    "pays_tax",
    "pays_social_insurance",
    "party_member_count",
    "investor_name",
    "registered_on",
    "deregistered_on",
    "external_refs",
    "created_at",
    "updated_at",
]


async def prepare(url: str, park: Park) -> None:
    await upgrade_async(MIGRATIONS_DIR, url)
    conn = await asyncpg.connect(url)
    try:
        await conn.copy_records_to_table(
            "region",
            records=park.regions,
            columns=["id", "name", "kind", "parent_id", "district_class", "path", "created_at"],
        )
        await conn.copy_records_to_table(
            "place",
            records=park.places,
            columns=["id", "name", "kind", "level", "region_id", "parent_place_id", "created_at"],
        )
    finally:
        await conn.close()


async def push_all(
    client: httpx.AsyncClient, batches: list[bytes], round_name: str
) -> tuple[list[float], dict[str, int]]:
    timings, totals = [], {"created": 0, "updated": 0, "unchanged": 0, "rejected": 0}
    for i, body in enumerate(batches):
        started = time.perf_counter()
        response = await client.post(
            "/sync/work-targets",
            content=body,
            headers={"Idempotency-Key": f"{round_name}-{i}", "Content-Type": "application/json"},
        )
        timings.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
        result = response.json()
        for key in totals:
            totals[key] += result[key]
    return timings, totals


async def copy_all(url: str, batches: list[list[tuple[Any, ...]]]) -> list[float]:
    conn = await asyncpg.connect(url)
    try:
        timings = []
        for rows in batches:
            started = time.perf_counter()
            await conn.copy_records_to_table("work_target", records=rows, columns=COPY_COLUMNS)
            timings.append((time.perf_counter() - started) * 1000)
        return timings
    finally:
        await conn.close()


def measurement(
    name: str, size: str, api: list[float], copy: list[float], records_per_batch: int, **extra: Any
) -> Measurement:
    p50, p95, _ = summary(api)
    c50, _, _ = summary(copy)
    api_rate = records_per_batch * len(api) / (sum(api) / 1000)
    copy_rate = records_per_batch * len(copy) / (sum(copy) / 1000)
    return Measurement(
        scenario=name,
        size=size,
        runs=len(api),
        p50_ms=p50,
        p95_ms=p95,
        throughput_per_s=api_rate,
        compared_with="asyncpg copy_records_to_table",
        comparison_p50_ms=c50,
        ratio=p50 / c50 if c50 else None,
        extra={
            "records_per_s": round(api_rate),
            "copy_records_per_s": round(copy_rate),
            "rate_ratio_copy_over_api": round(copy_rate / api_rate, 2),
            "total_s": round(sum(api) / 1000, 2),
            "copy_total_s": round(sum(copy) / 1000, 2),
            **extra,
        },
    )


async def run(n: int, batch: int, size: str) -> None:
    rng = random.Random(20180101)
    park = Park(rng)
    data = records(n, park, rng)
    chunks = [data[i : i + batch] for i in range(0, n, batch)]
    bodies = [json.dumps(c, ensure_ascii=False).encode() for c in chunks]
    issuer = TestIssuer()
    token = issuer.token(
        subject=CLIENT,
        roles=["sync_client"],
        scopes=["sync:write", "sync:read", "org:read"],
        places=[str(park.park)],
    )
    with cluster() as pg:
        url = await ensure_database(pg.url(), "org")
        copy_url = await ensure_database(pg.url(), "org_copy")
        await prepare(url, park)
        await prepare(copy_url, park)
        copy_first = await copy_all(copy_url, [copy_rows(c, park) for c in chunks])
        copy_conn = await asyncpg.connect(copy_url)
        await copy_conn.execute("TRUNCATE work_target CASCADE")
        await copy_conn.close()
        # COPY again into the emptied table: the same state the API's first round meets.
        copy_timings = await copy_all(copy_url, [copy_rows(c, park) for c in chunks])
        with service_process("org_service", "ORG_", url, issuer) as (base, process):
            headers = {"Authorization": f"Bearer {token}"}
            async with httpx.AsyncClient(base_url=base, headers=headers, timeout=300) as client:
                first, created = await push_all(client, bodies, "first")
                second, unchanged = await push_all(client, bodies, "second")
            rss = peak_rss_mb(process.pid)
        check = await asyncpg.connect(url)
        stored = await check.fetchval("SELECT count(*) FROM work_target")
        logged = await check.fetchval("SELECT count(*) FROM bulk_batch")
        await check.close()
    assert created["created"] == n, created
    assert stored == n, stored
    assert unchanged["unchanged"] == n, unchanged
    assert logged == 2 * len(chunks)
    print(
        f"{n} work targets in {len(chunks)} batches of {batch}; the client's park has "
        f"{BUILDINGS} buildings; COPY warm-up {sum(copy_first) / 1000:.1f}s\n"
    )
    results = [
        measurement("push, all created", size, first, copy_timings, batch, outcomes=created),
        measurement(
            "push again, all unchanged", size, second, copy_timings, batch, outcomes=unchanged
        ),
    ]
    for m in results:
        m.peak_rss_mb = rss
    report("sync-push", results, {"size": size, "records": n, "batch": batch})
    for m in results:
        print(
            f"{m.scenario}: {m.extra['records_per_s']} records/s end to end, COPY "
            f"{m.extra['copy_records_per_s']} records/s ({m.extra['rate_ratio_copy_over_api']}x)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", choices=sorted(SIZES), default="city")
    parser.add_argument("--records", type=int, help="records to push (default: the size's)")
    parser.add_argument("--batch", type=int, default=5_000)
    args = parser.parse_args()
    records = args.records or SIZES[args.size]
    label = args.size if records == SIZES[args.size] else f"{records // 1000}k"
    asyncio.run(run(records, args.batch, label))


if __name__ == "__main__":
    main()
