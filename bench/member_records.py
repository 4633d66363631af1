"""member-service at city scale (100,000 members in 20,000 organizations, 2,000,000 archive
entries; province ten times that): one organization's member page, one member's archive of
1,000 entries and its verification, exact-match lookup by ID number, member counts of 500
organizations, and bulk creation; each beside the plain SQL that reads (or writes) the same rows.

Run: `make bench-member` (or `.venv/bin/python bench/member_records.py --size city`).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Measurement, cluster, measure, peak_rss_mb, report, service_process, summary

from member_service.archive.chain import GENESIS, canonical_json, digest
from member_service.main import MIGRATIONS_DIR
from member_service.members.id_numbers import IdNumberCipher, check_character
from member_service.settings import MemberSettings
from service_kit.migrations import upgrade_async
from service_kit.pgcluster import ensure_database
from service_kit.testing import TestIssuer

SIZES = {
    # members, organizations, archive entries per member (one member has LONG_ARCHIVE)
    "small": (20_000, 2_000, 10),
    "city": (100_000, 20_000, 20),
    "province": (1_000_000, 200_000, 20),
}
LONG_ARCHIVE = 1_000
BIG_BRANCH = 120  # members of the secretary's branch: the page of 50 is a full one at every size
DISTRICTS = 10
CHUNK = 20_000  # members generated and copied at a time
NOW = datetime(2026, 1, 1, tzinfo=UTC)
KINDS = ("attendance", "post", "evaluation", "award", "training", "stage_change")


def uid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def id_number(i: int, region: str = "220102") -> str:
    """The i-th distinct ID number: 500 a day from 1 January 1960."""
    birth = date(1960, 1, 1) + timedelta(days=i // 500)
    first17 = f"{region}{birth:%Y%m%d}{(i % 500) * 2 + 1:03d}"
    return first17 + check_character(first17)


@dataclass
class City:
    regions: list[tuple[Any, ...]] = field(default_factory=list)
    organizations: list[tuple[Any, ...]] = field(default_factory=list)
    branches: list[uuid.UUID] = field(default_factory=list)
    secretary_branch: uuid.UUID | None = None
    long_member: uuid.UUID | None = None
    lookup_number: str = ""
    members: int = 0
    entries: int = 0


def tree(size: str, rng: random.Random) -> City:
    """Regions and organizations as member-service references them (org-service owns them)."""
    _, n_orgs, _ = SIZES[size]
    city = City()
    root = uid(rng)
    city.regions.append((root, "城市", "city", None, None, NOW))
    committee = uid(rng)
    city.organizations.append(
        (committee, "市党工委", "working_committee", None, root, "active", NOW, NOW)
    )
    parents = []
    for d in range(DISTRICTS):
        region = uid(rng)
        city.regions.append((region, f"区{d}", "district", root, "urban", NOW))
        district_committee = uid(rng)
        city.organizations.append(
            (
                district_committee,
                f"区{d}党工委",
                "working_committee",
                committee,
                region,
                "active",
                NOW,
                NOW,
            )
        )
        for c in range(10):
            org = uid(rng)
            city.organizations.append(
                (
                    org,
                    f"区{d}综合党委{c}",
                    "party_committee",
                    district_committee,
                    region,
                    "active",
                    NOW,
                    NOW,
                )
            )
            parents.append((org, region))
    while len(city.organizations) < n_orgs:
        parent, region = rng.choice(parents)
        branch = uid(rng)
        city.organizations.append(
            (branch, f"支部{len(city.organizations)}", "branch", parent, region, "active", NOW, NOW)
        )
        city.branches.append(branch)
    return city


def members_and_archives(
    size: str, city: City, rng: random.Random, cipher: IdNumberCipher
) -> Iterator[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
    """Chunks of (members, versions, archive entries), every member's chain sealed."""
    n_members, _, per_member = SIZES[size]
    surnames = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
    for start in range(0, n_members, CHUNK):
        members, versions, entries = [], [], []
        for i in range(start, min(start + CHUNK, n_members)):
            member_id = uid(rng)
            branch = city.branches[0 if i < BIG_BRANCH else i % len(city.branches)]
            number = id_number(i)
            sealed = cipher.seal(number, member_id)
            full_on = date(2000, 1, 1) + timedelta(days=rng.randrange(8000))
            birth = date(1960, 1, 1) + timedelta(days=i // 500)
            members.append(
                (
                    member_id,
                    f"{surnames[i % len(surnames)]}{i:07d}",
                    "male" if i % 2 == 0 else "female",
                    birth,
                    sealed.key_id,
                    sealed.nonce,
                    sealed.ciphertext,
                    cipher.digest(number),
                    "full_member",
                    full_on - timedelta(days=1500),
                    full_on - timedelta(days=1400),
                    full_on - timedelta(days=900),
                    full_on - timedelta(days=366),
                    full_on - timedelta(days=1),
                    full_on,
                    branch,
                    branch,
                    "imported",
                    NOW,
                    NOW,
                )
            )
            versions.append((uid(rng), member_id, full_on, None, "full_member", branch, branch))
            if i == 0:
                city.secretary_branch = branch
                city.long_member = member_id
                city.lookup_number = number
            entries.extend(chain(member_id, LONG_ARCHIVE if i == 0 else per_member, rng))
        city.members += len(members)
        city.entries += len(entries)
        yield members, versions, entries


def chain(member_id: uuid.UUID, length: int, rng: random.Random) -> list[tuple[Any, ...]]:
    """A member's sealed archive entries, as member-service would have written them."""
    rows = []
    previous = GENESIS
    for seq in range(1, length + 1):
        kind = KINDS[seq % len(KINDS)]
        entry = SimpleNamespace(
            id=uid(rng),
            member_id=member_id,
            seq=seq,
            kind=kind,
            occurred_on=date(2010, 1, 1) + timedelta(days=seq * 3),
            payload=canonical_json({"title": f"{kind} {seq}", "status": "present"}),
            corrects_id=None,
            source="member-service",
            source_event_id=None,
            recorded_at=NOW + timedelta(seconds=seq),
            recorded_by="bench",
        )
        hashed = digest(entry, previous)  # type: ignore[arg-type]
        rows.append(
            (
                entry.id,
                member_id,
                seq,
                kind,
                entry.occurred_on,
                entry.payload,
                None,
                entry.source,
                None,
                entry.recorded_at,
                entry.recorded_by,
                previous,
                hashed,
            )
        )
        previous = hashed
    return rows


MEMBER_COLUMNS = [
    "id",
    "name",
    "gender",
    "birth_date",
    "id_number_key_id",
    "id_number_nonce",
    "id_number_ciphertext",
    "id_number_hash",
    "stage",
    "applied_on",
    "activist_on",
    "development_target_on",
    "admitted_on",
    "probation_ends_on",
    "full_member_on",
    "organization_id",
    "serving_organization_id",
    "origin",
    "created_at",
    "updated_at",
]
VERSION_COLUMNS = [
    "id",
    "member_id",
    "valid_from",
    "valid_to",
    "stage",
    "organization_id",
    "serving_organization_id",
]
ENTRY_COLUMNS = [
    "id",
    "member_id",
    "seq",
    "kind",
    "occurred_on",
    "payload",
    "corrects_id",
    "source",
    "source_event_id",
    "recorded_at",
    "recorded_by",
    "prev_hash",
    "hash",
]
BULK_TABLES = ("member", "member_version", "archive_entry")


async def _without_keys(conn: asyncpg.Connection) -> list[str]:
    """Drop the bulk tables' keys and indexes (a plain bulk load); the statements restoring them."""
    bulk = list(BULK_TABLES)
    foreign = await conn.fetch(
        "SELECT conrelid::regclass::text AS tbl, conname, pg_get_constraintdef(oid) AS def "
        "FROM pg_constraint WHERE contype = 'f' AND (conrelid::regclass::text = ANY($1) "
        "OR confrelid::regclass::text = ANY($1))",
        bulk,
    )
    keys = await conn.fetch(
        "SELECT conrelid::regclass::text AS tbl, conname, pg_get_constraintdef(oid) AS def "
        "FROM pg_constraint WHERE contype IN ('p', 'u') AND conrelid::regclass::text = ANY($1)",
        bulk,
    )
    indexes = await conn.fetch(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY($1) "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
        bulk,
    )
    for c in foreign:
        await conn.execute(f'ALTER TABLE {c["tbl"]} DROP CONSTRAINT "{c["conname"]}"')
    for c in keys:
        await conn.execute(f'ALTER TABLE {c["tbl"]} DROP CONSTRAINT "{c["conname"]}"')
    for i in indexes:
        await conn.execute(f'DROP INDEX "{i["indexname"]}"')
    return [
        *(f'ALTER TABLE {c["tbl"]} ADD CONSTRAINT "{c["conname"]}" {c["def"]}' for c in keys),
        *(i["indexdef"] for i in indexes),
        *(f'ALTER TABLE {c["tbl"]} ADD CONSTRAINT "{c["conname"]}" {c["def"]}' for c in foreign),
    ]


async def load(
    url: str, size: str, city: City, cipher: IdNumberCipher, rng: random.Random
) -> float:
    started = time.perf_counter()
    conn = await asyncpg.connect(url)
    try:
        await conn.copy_records_to_table(
            "member_region_reference",
            records=city.regions,
            columns=["id", "name", "kind", "parent_id", "district_class", "synced_at"],
        )
        await conn.copy_records_to_table(
            "member_org_reference",
            records=city.organizations,
            columns=[
                "id",
                "name",
                "kind",
                "parent_id",
                "region_id",
                "status",
                "source_updated_at",
                "synced_at",
            ],
        )
        restore = await _without_keys(conn)
        for members, versions, entries in members_and_archives(size, city, rng, cipher):
            await conn.copy_records_to_table("member", records=members, columns=MEMBER_COLUMNS)
            await conn.copy_records_to_table(
                "member_version", records=versions, columns=VERSION_COLUMNS
            )
            await conn.copy_records_to_table(
                "archive_entry", records=entries, columns=ENTRY_COLUMNS
            )
            print(f"  {city.members} members, {city.entries} archive entries copied", flush=True)
        await conn.execute("SET maintenance_work_mem = '1GB'")
        for statement in restore:
            await conn.execute(statement)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return time.perf_counter() - started


PLAIN_PAGE = """
SELECT * FROM member WHERE organization_id = $1 ORDER BY name, id LIMIT 51
"""
PLAIN_ARCHIVE = "SELECT * FROM archive_entry WHERE member_id = $1 ORDER BY seq"
PLAIN_LOOKUP = "SELECT * FROM member WHERE id_number_hash = $1"
PLAIN_COUNTS = """
SELECT organization_id,
       count(*) FILTER (WHERE stage = 'full_member'),
       count(*) FILTER (WHERE stage = 'probationary_member')
FROM member_version
WHERE organization_id = ANY($1::uuid[])
  AND stage IN ('full_member', 'probationary_member')
  AND valid_from <= $2 AND (valid_to IS NULL OR valid_to > $2)
GROUP BY organization_id
"""
# Constant column names; every value is a bound parameter.
PLAIN_INSERT = (
    f"INSERT INTO member ({', '.join(MEMBER_COLUMNS)}) "  # noqa: S608
    f"VALUES ({', '.join(f'${i}' for i in range(1, len(MEMBER_COLUMNS) + 1))})"
)


async def run(size: str, runs: int, bulk_requests: int) -> None:
    issuer = TestIssuer()
    rng = random.Random(20180101)
    cipher = IdNumberCipher.from_settings(MemberSettings(environment="test"))
    with cluster() as pg:
        url = await ensure_database(pg.url(), "member")
        await upgrade_async(MIGRATIONS_DIR, url)
        started = time.perf_counter()
        city = tree(size, rng)
        loaded = await load(url, size, city, cipher, rng)
        print(
            f"{size}: {city.members} members in {len(city.organizations)} organizations, "
            f"{city.entries} archive entries; generated and loaded (COPY) in "
            f"{time.perf_counter() - started:.0f}s ({loaded:.0f}s in the load)\n"
        )
        # Minted after the load, which can outlast a token's default lifetime.
        admin = issuer.headers(
            subject="bench",
            roles=["city_admin"],
            scopes=["member:read", "member:write", "member:pii", "member:admin"],
            ttl_seconds=4 * 3600,
        )
        secretary = issuer.headers(
            subject="bench.secretary",
            roles=["secretary"],
            scopes=["member:read", "member:write"],
            org_id=city.secretary_branch,
            ttl_seconds=4 * 3600,
        )
        with service_process("member_service", "MEMBER_", url, issuer) as (base, process):
            conn = await asyncpg.connect(url)
            async with httpx.AsyncClient(base_url=base, timeout=120) as client:
                results = await _scenarios(
                    client, conn, city, size, runs, admin, secretary, cipher, bulk_requests
                )
            await conn.close()
            rss = peak_rss_mb(process.pid)
        for m in results:
            m.peak_rss_mb = rss
    report(
        "member-records",
        results,
        {
            "size": size,
            "members": city.members,
            "organizations": len(city.organizations),
            "archive_entries": city.entries,
        },
    )


async def _scenarios(
    client: httpx.AsyncClient,
    conn: asyncpg.Connection,
    city: City,
    size: str,
    runs: int,
    admin: dict[str, str],
    secretary: dict[str, str],
    cipher: IdNumberCipher,
    bulk_requests: int,
) -> list[Measurement]:
    out = []
    branch = city.secretary_branch
    assert branch is not None
    assert city.long_member is not None

    async def get(path: str, headers: dict[str, str], **params: Any) -> Any:
        response = await client.get(path, params=params, headers=headers)
        response.raise_for_status()
        return response.json()

    sql_t, rows = await measure(lambda: conn.fetch(PLAIN_PAGE, branch), runs=runs)
    for who, headers in (("city admin", admin), ("its secretary", secretary)):
        api_t, page = await measure(
            lambda h=headers: get("/members", h, organization_id=str(branch), limit=50), runs=runs
        )
        assert [m["id"] for m in page["items"]] == [str(r["id"]) for r in rows[:50]]
        out.append(
            _compare(
                f"one organization's member page ({who})",
                size,
                api_t,
                sql_t,
                items=len(page["items"]),
            )
        )

    async def whole_archive() -> list[Any]:
        items: list[Any] = []
        after = None
        while True:
            params: dict[str, Any] = {"limit": 200, **({"after": after} if after else {})}
            page = await get(f"/members/{city.long_member}/archive", admin, **params)
            items.extend(page["items"])
            after = page["next_cursor"]
            if not after:
                return items

    api_t, items = await measure(whole_archive, runs=runs)
    sql_t, entries = await measure(lambda: conn.fetch(PLAIN_ARCHIVE, city.long_member), runs=runs)
    assert len(items) == len(entries) == LONG_ARCHIVE
    out.append(_compare("one member's archive, 1,000 entries (5 pages)", size, api_t, sql_t))
    api_t, verified = await measure(
        lambda: get(f"/members/{city.long_member}/archive/verification", admin), runs=runs
    )
    assert verified["valid"] is True, verified
    assert verified["entries"] == LONG_ARCHIVE, verified
    out.append(_compare("…and its verification (hash chain)", size, api_t, sql_t))

    async def lookup() -> Any:
        response = await client.post(
            "/members/lookup", json={"id_number": city.lookup_number}, headers=admin
        )
        response.raise_for_status()
        return response.json()

    api_t, found = await measure(lookup, runs=runs)
    assert found["id"] == str(city.long_member)
    sql_t, _ = await measure(
        lambda: conn.fetch(PLAIN_LOOKUP, cipher.digest(city.lookup_number)), runs=runs
    )
    out.append(_compare("exact-match lookup by ID number", size, api_t, sql_t))

    organizations = city.branches[:500]
    ids = ",".join(str(o) for o in organizations)
    api_t, counts = await measure(
        lambda: get("/member-counts", admin, organization_ids=ids), runs=runs
    )
    sql_t, plain = await measure(
        lambda: conn.fetch(PLAIN_COUNTS, organizations, date.today()), runs=runs
    )
    assert sum(c["full_members"] for c in counts["items"]) == sum(r[1] for r in plain)
    out.append(_compare("member counts of 500 organizations", size, api_t, sql_t))
    out.extend(await _bulk(client, conn, city, size, admin, cipher, bulk_requests))
    return out


async def _bulk(
    client: httpx.AsyncClient,
    conn: asyncpg.Connection,
    city: City,
    size: str,
    admin: dict[str, str],
    cipher: IdNumberCipher,
    requests: int,
) -> list[Measurement]:
    """POST /members/bulk of 500 applicants (with their history, archive, audit and events)
    beside a plain INSERT of 500 member rows alone."""
    batch = 500
    numbers = iter(range(10_000_000))
    branches = city.branches

    def items() -> list[dict[str, Any]]:
        return [
            {
                "name": f"新申请人{n}",
                "id_number": id_number(n, region="220199"),
                "organization_id": str(branches[n % len(branches)]),
                "applied_on": "2026-01-05",
            }
            for n in (next(numbers) for _ in range(batch))
        ]

    async def create() -> Any:
        response = await client.post("/members/bulk", json={"items": items()}, headers=admin)
        response.raise_for_status()
        return response.json()

    api_t, _ = await measure(create, runs=requests, warmup=1)
    rng = random.Random(7)

    def rows() -> list[tuple[Any, ...]]:
        made = []
        for _ in range(batch):
            n = next(numbers)
            member_id = uid(rng)
            number = id_number(n, region="220199")
            sealed = cipher.seal(number, member_id)
            branch = branches[n % len(branches)]
            made.append(
                (
                    member_id,
                    f"新申请人{n}",
                    "male",
                    date(1980, 1, 1),
                    sealed.key_id,
                    sealed.nonce,
                    sealed.ciphertext,
                    cipher.digest(number),
                    "applicant",
                    date(2026, 1, 5),
                    None,
                    None,
                    None,
                    None,
                    None,
                    branch,
                    branch,
                    "registered",
                    NOW,
                    NOW,
                )
            )
        return made

    async def plain() -> None:
        async with conn.transaction():
            await conn.executemany(PLAIN_INSERT, rows())

    sql_t, _ = await measure(plain, runs=requests, warmup=1)
    m = _compare("bulk creation, 500 members a request", size, api_t, sql_t)
    m.extra["members_per_s"] = round(batch * m.throughput_per_s)
    m.extra["plain_sql_members_per_s"] = round(batch * 1000 / (sum(sql_t) / len(sql_t)))
    print(
        f"bulk creation: {m.extra['members_per_s']} members/s through the API, "
        f"{m.extra['plain_sql_members_per_s']} members/s as plain INSERTs of the member rows"
    )
    return [m]


def _compare(name: str, size: str, api: list[float], sql: list[float], **extra: Any) -> Measurement:
    p50, p95, tput = summary(api)
    s50, _, _ = summary(sql)
    return Measurement(
        scenario=name,
        size=size,
        runs=len(api),
        p50_ms=p50,
        p95_ms=p95,
        throughput_per_s=tput,
        compared_with="plain SQL (asyncpg)",
        comparison_p50_ms=s50,
        ratio=p50 / s50 if s50 else None,
        extra=extra,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", choices=sorted(SIZES), default="city")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--bulk-requests", type=int, default=10)
    args = parser.parse_args()
    asyncio.run(run(args.size, args.runs, args.bulk_requests))


if __name__ == "__main__":
    main()
