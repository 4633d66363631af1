"""org-service at city scale: coverage as of today and a past date, a district's subtree, a page
of uncovered targets; each beside the plain SQL that computes the same answer directly.

Run: `make bench-org` (or `.venv/bin/python bench/org_coverage.py --size city`).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Measurement, cluster, measure, peak_rss_mb, report, service_process, summary

from org_service.main import MIGRATIONS_DIR
from org_service.work_targets.credit_code import check_character
from service_kit.migrations import upgrade_async
from service_kit.pgcluster import ensure_database
from service_kit.testing import TestIssuer

SIZES = {
    # targets, organizations, districts, sub-districts per district, communities per sub-district
    "small": (20_000, 2_000, 3, 5, 5),
    "city": (200_000, 20_000, 10, 10, 10),
    "province": (2_000_000, 200_000, 60, 10, 10),
}
COVERAGE_RUNS = 5  # the city-wide coverage takes seconds a run and varies little between runs
TODAY = date.today()
PAST = date(TODAY.year - 1, 1, 1)
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def hexpath(*ids: uuid.UUID) -> str:
    return "".join(i.hex + "/" for i in ids)


def some_day(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange(max(1, (end - start).days)))


def later_day(rng: random.Random, start: date) -> date | None:
    """A day after `start` and not after today (None when there is none)."""
    span = (TODAY - start).days
    return start + timedelta(days=1 + rng.randrange(span)) if span > 0 else None


@dataclass
class City:
    """Rows of a generated city, ready for COPY."""

    regions: list[tuple[Any, ...]] = field(default_factory=list)
    places: list[tuple[Any, ...]] = field(default_factory=list)
    organizations: list[tuple[Any, ...]] = field(default_factory=list)
    versions: list[tuple[Any, ...]] = field(default_factory=list)
    targets: list[tuple[Any, ...]] = field(default_factory=list)
    links: list[tuple[Any, ...]] = field(default_factory=list)
    assignments: list[tuple[Any, ...]] = field(default_factory=list)
    district_committees: list[uuid.UUID] = field(default_factory=list)


def generate(size: str, seed: int = 20180101) -> City:
    """A deterministic city: the same seed and size give the same rows on every machine."""
    n_targets, n_orgs, n_districts, n_subs, n_communities = SIZES[size]
    rng = random.Random(seed)
    uid = lambda: uuid.UUID(int=rng.getrandbits(128), version=4)  # noqa: E731
    city = City()
    founded = date(2015, 1, 1)

    root = uid()
    city.regions.append((root, "城市", "city", None, None, hexpath(root)))
    communities: dict[uuid.UUID, list[tuple[uuid.UUID, str]]] = {}
    districts = []
    for d in range(n_districts):
        did = uid()
        dclass = "urban" if d < n_districts * 0.7 else "county"
        city.regions.append(
            (
                did,
                f"区{d:03d}",
                "district" if dclass == "urban" else "county",
                root,
                dclass,
                hexpath(root, did),
            )
        )
        districts.append(did)
        communities[did] = []
        for s in range(n_subs):
            sid = uid()
            city.regions.append(
                (sid, f"区{d:03d}街道{s:02d}", "sub_district", did, None, hexpath(root, did, sid))
            )
            for c in range(n_communities):
                cid = uid()
                path = hexpath(root, did, sid, cid)
                city.regions.append(
                    (cid, f"区{d:03d}街道{s:02d}社区{c:02d}", "community", sid, None, path)
                )
                communities[did].append((cid, path))

    places_by_district: dict[uuid.UUID, list[uuid.UUID]] = {d: [] for d in districts}
    for i in range(max(3, n_districts * 3)):
        district = districts[i % n_districts]
        park = uid()
        level = ("national", "provincial", "municipal")[i % 3]
        city.places.append((park, f"园区{i:03d}", "park", level, district, None))
        places_by_district[district].append(park)
        for b in range(5):
            building = uid()
            city.places.append((building, f"园区{i:03d}楼{b}", "building", None, district, park))
            places_by_district[district].append(building)

    def org(
        name: str,
        kind: str,
        subkind: str | None,
        formation: str,
        parent: Any,
        parent_path: str,
        region: uuid.UUID,
        founded_on: date,
    ) -> tuple[uuid.UUID, str]:
        oid = uid()
        path = parent_path + oid.hex + "/"
        joint_mode = "area" if formation == "joint" else None
        dissolved_on = (
            later_day(rng, founded_on) if kind == "branch" and rng.random() < 0.03 else None
        )
        dissolved = dissolved_on is not None
        status = "dissolved" if dissolved else "active"
        city.organizations.append(
            (
                oid,
                name,
                kind,
                subkind,
                formation,
                joint_mode,
                parent,
                None,
                region,
                path,
                status,
                founded_on,
                dissolved_on,
                NOW,
                NOW,
            )
        )
        if dissolved:
            city.versions.append(
                (
                    uid(),
                    oid,
                    founded_on,
                    dissolved_on,
                    name,
                    kind,
                    subkind,
                    formation,
                    joint_mode,
                    parent,
                    None,
                    region,
                    path,
                    "active",
                )
            )
            city.versions.append(
                (
                    uid(),
                    oid,
                    dissolved_on,
                    None,
                    name,
                    kind,
                    subkind,
                    formation,
                    joint_mode,
                    parent,
                    None,
                    region,
                    path,
                    "dissolved",
                )
            )
        else:
            city.versions.append(
                (
                    uid(),
                    oid,
                    founded_on,
                    None,
                    name,
                    kind,
                    subkind,
                    formation,
                    joint_mode,
                    parent,
                    None,
                    region,
                    path,
                    status,
                )
            )
        return oid, path

    city_wc, city_path = org(
        "市党工委", "working_committee", "city", "single", None, "", root, founded
    )
    for i in range(8):
        org(
            f"行业党委{i}",
            "party_committee",
            "industry",
            "single",
            city_wc,
            city_path,
            root,
            founded,
        )
    parents: list[tuple[uuid.UUID, str, uuid.UUID]] = []
    for d, district in enumerate(districts):
        wc, wc_path = org(
            f"区{d:03d}党工委",
            "working_committee",
            "district",
            "single",
            city_wc,
            city_path,
            district,
            founded,
        )
        city.district_committees.append(wc)
        parents.append((wc, wc_path, district))
        for c in range(10):
            cc, cc_path = org(
                f"区{d:03d}综合党委{c}",
                "party_committee",
                "comprehensive",
                "single",
                wc,
                wc_path,
                district,
                founded,
            )
            parents.append((cc, cc_path, district))
    branches: dict[tuple[uuid.UUID, str], list[uuid.UUID]] = {}
    while len(city.organizations) < n_orgs:
        parent, parent_path, district = rng.choice(parents)
        formation = rng.choices(("single", "joint", "dispatched"), (70, 20, 10))[0]
        founded_on = some_day(rng, founded, TODAY - timedelta(days=30))
        oid, _ = org(
            f"支部{len(city.organizations)}",
            "branch",
            None,
            formation,
            parent,
            parent_path,
            district,
            founded_on,
        )
        if city.organizations[-1][10] == "active":
            branches.setdefault((district, formation), []).append(oid)

    modes = {"single": "own", "joint": "joint", "dispatched": "dispatched"}
    for i in range(n_targets):
        district = rng.choice(districts)
        community, _ = rng.choice(communities[district])
        place = rng.choice(places_by_district[district]) if rng.random() < 0.2 else None
        registered = some_day(rng, date(2012, 1, 1), TODAY)
        deregistered = later_day(rng, registered) if rng.random() < 0.05 else None
        tid = uid()
        area = "220" + f"{(i % 99) + 1:03d}"
        first17 = f"91{area}{i:010d}"[:17]
        city.targets.append(
            (
                tid,
                _credit_code(first17),
                f"企业{i:07d}",
                "enterprise",
                rng.choice(("retail", "logistics", "internet", "law", "other")),
                community,
                place,
                rng.randrange(1, 500),
                rng.random() < 0.8,
                rng.random() < 0.6,
                0,
                registered,
                deregistered,
                NOW,
                NOW,
            )
        )
        roll = rng.random()
        formation = (
            "single"
            if roll < 0.35
            else "joint"
            if roll < 0.5
            else ("dispatched" if roll < 0.55 else None)
        )
        if formation and branches.get((district, formation)):
            since = some_day(rng, registered, TODAY)
            until = later_day(rng, since) if rng.random() < 0.05 else None
            city.links.append(
                (
                    uid(),
                    tid,
                    rng.choice(branches[(district, formation)]),
                    modes[formation],
                    since,
                    until,
                    NOW,
                )
            )
        elif roll < 0.75:
            since = some_day(rng, registered, TODAY)
            city.assignments.append(
                (
                    uid(),
                    rng.choice(("instructor", "liaison")),
                    f"指导员{i % 500}",
                    None,
                    None,
                    tid,
                    None,
                    since,
                    None,
                    NOW,
                )
            )
    return city


def _credit_code(first17: str) -> str:
    return first17 + check_character(first17)


async def load(url: str, city: City) -> float:
    started = time.perf_counter()
    conn = await asyncpg.connect(url)
    try:
        copies = (
            (
                "region",
                ["id", "name", "kind", "parent_id", "district_class", "path"],
                city.regions,
                "created_at",
            ),
            (
                "place",
                ["id", "name", "kind", "level", "region_id", "parent_place_id"],
                city.places,
                "created_at",
            ),
            (
                "organization",
                [
                    "id",
                    "name",
                    "kind",
                    "subkind",
                    "formation",
                    "joint_mode",
                    "parent_id",
                    "industry_committee_id",
                    "region_id",
                    "path",
                    "status",
                    "founded_on",
                    "dissolved_on",
                    "created_at",
                    "updated_at",
                ],
                city.organizations,
                None,
            ),
            (
                "organization_version",
                [
                    "id",
                    "organization_id",
                    "valid_from",
                    "valid_to",
                    "name",
                    "kind",
                    "subkind",
                    "formation",
                    "joint_mode",
                    "parent_id",
                    "industry_committee_id",
                    "region_id",
                    "path",
                    "status",
                ],
                city.versions,
                None,
            ),
            (
                "work_target",
                [
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
                    "registered_on",
                    "deregistered_on",
                    "created_at",
                    "updated_at",
                ],
                city.targets,
                None,
            ),
            (
                "work_target_coverage",
                [
                    "id",
                    "work_target_id",
                    "organization_id",
                    "mode",
                    "valid_from",
                    "valid_to",
                    "created_at",
                ],
                city.links,
                None,
            ),
            (
                "instructor_assignment",
                [
                    "id",
                    "role",
                    "person_name",
                    "subject",
                    "member_id",
                    "work_target_id",
                    "organization_id",
                    "valid_from",
                    "valid_to",
                    "created_at",
                ],
                city.assignments,
                None,
            ),
        )
        now = date.today()
        for table, columns, rows, stamp in copies:
            if stamp:
                columns = [*columns, stamp]
                rows = [(*r, now) for r in rows]
            await conn.copy_records_to_table(table, records=rows, columns=columns)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return time.perf_counter() - started


PLAIN_COVERAGE = """
SELECT d.id, count(*) AS targets,
       count(*) FILTER (WHERE cov.mode = 'own') AS own,
       count(*) FILTER (WHERE cov.mode = 'joint') AS joint,
       count(*) FILTER (WHERE cov.mode = 'dispatched') AS dispatched,
       count(*) FILTER (WHERE cov.mode IS NULL AND asg.x IS NOT NULL) AS work
FROM work_target wt
JOIN region r ON r.id = wt.region_id
JOIN region d ON d.path = left(r.path, 66)
LEFT JOIN LATERAL (
    SELECT c.mode FROM work_target_coverage c
    JOIN organization_version ov ON ov.organization_id = c.organization_id
     AND ov.valid_from <= $1 AND (ov.valid_to IS NULL OR ov.valid_to > $1)
     AND ov.status = 'active'
    WHERE c.work_target_id = wt.id
      AND c.valid_from <= $1 AND (c.valid_to IS NULL OR c.valid_to > $1)
    ORDER BY CASE c.mode WHEN 'own' THEN 0 WHEN 'joint' THEN 1 ELSE 2 END LIMIT 1
) cov ON true
LEFT JOIN LATERAL (
    SELECT 1 AS x FROM instructor_assignment a
    WHERE a.work_target_id = wt.id
      AND a.valid_from <= $1 AND (a.valid_to IS NULL OR a.valid_to > $1) LIMIT 1
) asg ON true
WHERE wt.registered_on <= $1 AND (wt.deregistered_on IS NULL OR wt.deregistered_on > $1)
GROUP BY d.id
"""

PLAIN_SUBTREE = """
SELECT * FROM organization WHERE path >= $1 AND path < $2 ORDER BY path LIMIT 201
"""

PLAIN_UNCOVERED = """
SELECT wt.id, wt.name, wt.credit_code FROM work_target wt
WHERE wt.registered_on <= $1 AND (wt.deregistered_on IS NULL OR wt.deregistered_on > $1)
  AND NOT EXISTS (
    SELECT 1 FROM work_target_coverage c
    JOIN organization_version ov ON ov.organization_id = c.organization_id
     AND ov.valid_from <= $1 AND (ov.valid_to IS NULL OR ov.valid_to > $1)
     AND ov.status = 'active'
    WHERE c.work_target_id = wt.id
      AND c.valid_from <= $1 AND (c.valid_to IS NULL OR c.valid_to > $1))
  AND NOT EXISTS (
    SELECT 1 FROM instructor_assignment a WHERE a.work_target_id = wt.id
      AND a.valid_from <= $1 AND (a.valid_to IS NULL OR a.valid_to > $1))
ORDER BY wt.credit_code LIMIT 51
"""


async def run(size: str, runs: int) -> None:
    issuer = TestIssuer()
    token = issuer.token(subject="bench", roles=["city_admin"], scopes=["org:read", "org:admin"])
    headers = {"Authorization": f"Bearer {token}"}
    with cluster() as pg:
        url = await ensure_database(pg.url(), "org")
        await upgrade_async(MIGRATIONS_DIR, url)
        started = time.perf_counter()
        city = generate(size)
        generated = time.perf_counter() - started
        loaded = await load(url, city)
        print(
            f"{size}: {len(city.targets)} targets, {len(city.organizations)} organizations, "
            f"{len(city.regions)} regions, {len(city.links)} coverage links; "
            f"generated in {generated:.1f}s, loaded (COPY) in {loaded:.1f}s\n"
        )
        with service_process("org_service", "ORG_", url, issuer) as (base, process):
            conn = await asyncpg.connect(url)
            async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as client:
                results = await _scenarios(client, conn, city, size, runs)
            await conn.close()
            rss = peak_rss_mb(process.pid)
        for m in results:
            m.peak_rss_mb = rss
    report(
        "org-coverage",
        results,
        {"size": size, "targets": len(city.targets), "organizations": len(city.organizations)},
    )


async def _scenarios(
    client: httpx.AsyncClient, conn: asyncpg.Connection, city: City, size: str, runs: int
) -> list[Measurement]:
    out = []

    async def api_get(path: str, **params: Any) -> Any:
        response = await client.get(path, params=params)
        response.raise_for_status()
        return response.json()

    heavy = min(runs, COVERAGE_RUNS)
    for label, day in (("today", TODAY), ("past date", PAST)):
        api_t, api = await measure(
            lambda d=day: api_get("/coverage", as_of=d.isoformat()), runs=heavy, warmup=1
        )
        sql_t, plain = await measure(
            lambda d=day: conn.fetch(PLAIN_COVERAGE, d), runs=heavy, warmup=1
        )
        by_id = {str(r["id"]): r for r in plain}
        for g in api["groups"]:
            row = by_id.get(g["key"])
            got = (g["targets"], g["own"], g["joint"], g["dispatched"], g["work"])
            want = (
                tuple(row[k] for k in ("targets", "own", "joint", "dispatched", "work"))
                if (row)
                else (0, 0, 0, 0, 0)
            )
            assert got == want, f"coverage differs for {g['name']}: {got} != {want}"
        out.append(_compare(f"city coverage by district ({label})", size, api_t, sql_t))

    committee = city.district_committees[0]
    path = next(o[9] for o in city.organizations if o[0] == committee)
    api_t, page = await measure(
        lambda: api_get("/organizations", under=str(committee), limit=200), runs=runs
    )
    high = path[:-1] + chr(ord(path[-1]) + 1)
    sql_t, _ = await measure(lambda: conn.fetch(PLAIN_SUBTREE, path, high), runs=runs)
    out.append(
        _compare("one district's subtree, first 200", size, api_t, sql_t, items=len(page["items"]))
    )

    half = 1 if TODAY.month <= 6 else 2
    api_t, page = await measure(
        lambda: api_get(f"/coverage/inspections/{TODAY.year}/{half}", limit=50), runs=runs
    )
    sql_t, _ = await measure(lambda: conn.fetch(PLAIN_UNCOVERED, TODAY), runs=runs)
    out.append(
        _compare("uncovered targets, a page of 50", size, api_t, sql_t, items=len(page["items"]))
    )
    return out


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
    args = parser.parse_args()
    asyncio.run(run(args.size, args.runs))


if __name__ == "__main__":
    main()
