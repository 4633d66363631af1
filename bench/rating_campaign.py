"""rating-service at city scale: a four-party evaluation of 100,000 members with about
1,000,000 ballots (small: 10,000 members; province: 1,000,000). Ballot submission through the
API (sequential latency, then throughput with concurrent voters, ballot by ballot and by
ballot sheets), and closing the campaign beside the plain SQL aggregate that computes the
same weighted scores.

Run: `make bench-rating` (or `.venv/bin/python bench/rating_campaign.py --size city`).

The campaign's roll, secretaries, registered evaluators and all ballots but those cast through
the API are loaded with COPY, with the evaluator hashes the service computes, so that the API
ballots meet the one-ballot rule exactly as they would in a real campaign.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
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

from rating_service.main import MIGRATIONS_DIR
from service_kit.migrations import upgrade_async
from service_kit.pgcluster import ensure_database
from service_kit.testing import TestIssuer

SIZES = {
    # branches, members per branch, branches whose ballots go through the API
    "small": (1_000, 10, 50),
    "city": (5_000, 20, 50),
    # 1,000,000 members, about 10,000,000 ballots: generated in memory (several GB)
    "province": (50_000, 20, 50),
}
BALLOT_KEY = "bench-ballot-key"
CRITERIA = ["conduct", "performance"]
WEIGHTS = {"owner": 20, "secretary": 30, "members": 30, "masses": 20}
MEMBER_BALLOTS = 5  # colleagues who evaluate each member
MASSES = 3  # employees registered as masses per branch
CONCURRENCY = 32
SEQUENTIAL = 1_000
NOW = datetime.now(UTC)


def evaluator_hash(campaign_id: uuid.UUID, key: str) -> str:
    """As rating_service.evaluators.eligibility.evaluator_hash computes it."""
    message = f"{campaign_id}|{key}".encode()
    return hmac.new(BALLOT_KEY.encode(), message, hashlib.sha256).hexdigest()


@dataclass
class Voter:
    subject: str
    member_id: uuid.UUID | None = None
    roles: tuple[str, ...] = ("member",)
    org_id: uuid.UUID | None = None

    @property
    def key(self) -> str:
        return f"member:{self.member_id}" if self.member_id else f"account:{self.subject}"


@dataclass
class Campaign:
    """Rows of a generated campaign, ready for COPY, and the ballots left for the API."""

    id: uuid.UUID
    root: uuid.UUID
    region: uuid.UUID
    organizations: list[tuple[Any, ...]] = field(default_factory=list)
    subjects: list[tuple[Any, ...]] = field(default_factory=list)
    secretaries: list[tuple[Any, ...]] = field(default_factory=list)
    registrations: list[tuple[Any, ...]] = field(default_factory=list)
    ballots: list[tuple[Any, ...]] = field(default_factory=list)
    api: list[tuple[Voter, dict[str, Any]]] = field(default_factory=list)


def generate(size: str, seed: int = 20180102) -> Campaign:
    """The same seed and size give the same rows on every machine (ids and scores)."""
    n_branches, per_branch, api_branches = SIZES[size]
    rng = random.Random(seed)

    def uid() -> uuid.UUID:
        return uuid.UUID(int=rng.getrandbits(128), version=4)

    campaign = Campaign(id=uid(), root=uid(), region=uid())
    chain_root = [campaign.root]
    campaign.organizations.append(
        (campaign.id, campaign.root, "综合党委", chain_root, campaign.region, [campaign.region])
    )
    for b in range(n_branches):
        org = uid()
        employer = uid()
        chain = [campaign.root, org]
        campaign.organizations.append(
            (campaign.id, org, f"支部{b}", chain, campaign.region, [campaign.region])
        )
        members = [uid() for _ in range(per_branch)]
        for i, member in enumerate(members):
            stage = "probationary_member" if i % 10 == 9 else "full_member"
            campaign.subjects.append((campaign.id, member, org, stage, employer))
        campaign.secretaries.append((campaign.id, org, members[0]))
        owner = Voter(f"owner.{b}")
        masses = [Voter(f"masses.{b}.{m}") for m in range(MASSES)]
        for kind, voter, target in [("owner", owner, employer)] + [
            ("masses", m, None) for m in masses
        ]:
            campaign.registrations.append(
                (
                    uid(),
                    kind,
                    voter.subject,
                    voter.subject,
                    org,
                    chain,
                    [campaign.region],
                    target,
                    date(2020, 1, 1),
                    "bench",
                    NOW,
                    NOW,
                )
            )
        secretary = Voter(f"secretary.{b}", members[0], ("secretary", "member"), org)
        colleagues = [Voter(f"member.{m}", m) for m in members]
        for i, subject in enumerate(members):
            voters: list[tuple[Voter, str]] = [(owner, "owner")]
            if i != 0:
                voters.append((secretary, "secretary"))
            for k in range(1, MEMBER_BALLOTS + 1):
                j = (i + k) % per_branch
                if j != 0:  # the secretary casts one ballot per member: as secretary
                    voters.append((colleagues[j], "members"))
            voters += [(m, "masses") for m in masses]
            for voter, party in voters:
                scores = {c: rng.randrange(55, 101) for c in CRITERIA}
                if b < api_branches:
                    body = {"member_id": str(subject), "party": party, "scores": scores}
                    campaign.api.append((voter, body))
                else:
                    campaign.ballots.append(
                        (
                            uid(),
                            campaign.id,
                            subject,
                            party,
                            evaluator_hash(campaign.id, voter.key),
                            json.dumps(scores),
                            sum(scores.values()),
                        )
                    )
    return campaign


async def load(url: str, campaign: Campaign) -> float:
    started = time.perf_counter()
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            """
            INSERT INTO campaign (
                id, name, organization_id, organization_chain, region_id, region_chain,
                period_start, period_end, opens_at, closes_at,
                weight_owner, weight_secretary, weight_members, weight_masses,
                five_stars_min, four_stars_min, three_stars_min, two_stars_min,
                five_star_cap_percent, excellent_min, qualified_min, basically_qualified_min,
                criteria, status, organization_count, subject_count, created_by, created_at,
                updated_at)
            VALUES ($1, '2025年度四方评议', $2, $3, $4, $5, '2025-01-01', '2025-12-31',
                    $6, $7, $8, $9, $10, $11, 90, 80, 70, 60, 5, 90, 70, 60, $12, 'open',
                    $13, $14, 'bench', $6, $6)
            """,
            campaign.id,
            campaign.root,
            [campaign.root],
            campaign.region,
            [campaign.region],
            NOW - timedelta(days=1),
            NOW + timedelta(days=30),
            WEIGHTS["owner"],
            WEIGHTS["secretary"],
            WEIGHTS["members"],
            WEIGHTS["masses"],
            json.dumps(CRITERIA),
            len(campaign.organizations),
            len(campaign.subjects),
        )
        copies = (
            (
                "campaign_organization",
                [
                    "campaign_id",
                    "organization_id",
                    "name",
                    "organization_chain",
                    "region_id",
                    "region_chain",
                ],
                campaign.organizations,
            ),
            (
                "campaign_subject",
                ["campaign_id", "member_id", "organization_id", "stage", "employer_id"],
                campaign.subjects,
            ),
            (
                "campaign_secretary",
                ["campaign_id", "organization_id", "member_id"],
                campaign.secretaries,
            ),
            (
                "evaluator_registration",
                [
                    "id",
                    "kind",
                    "account",
                    "name",
                    "organization_id",
                    "organization_chain",
                    "region_chain",
                    "work_target_id",
                    "valid_from",
                    "registered_by",
                    "created_at",
                    "updated_at",
                ],
                campaign.registrations,
            ),
            (
                "ballot",
                ["id", "campaign_id", "member_id", "party", "evaluator_hash", "scores", "total"],
                campaign.ballots,
            ),
        )
        for table, columns, rows in copies:
            await conn.copy_records_to_table(table, records=rows, columns=columns)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return time.perf_counter() - started


# The weighted score of every evaluated member, straight from the ballots: each party's mean,
# parties with a weight and ballots only, their weights rescaled, two decimals.
PLAIN_SCORES = """
SELECT p.member_id,
       round(sum(w.weight * p.mean_total) / (sum(w.weight) * $2::numeric), 2) AS weighted
FROM (
    SELECT member_id, party, avg(total) AS mean_total
    FROM ballot WHERE campaign_id = $1 GROUP BY member_id, party
) p
JOIN (VALUES ('owner', $3::int), ('secretary', $4::int), ('members', $5::int),
             ('masses', $6::int)) AS w(party, weight)
  ON w.party = p.party AND w.weight > 0
GROUP BY p.member_id
"""

PLAIN_INSERT = """
INSERT INTO ballot (id, campaign_id, member_id, party, evaluator_hash, scores, total)
VALUES ($1, $2, $3, 'members', $4, '{"conduct": 80, "performance": 80}', 160)
"""


async def run(size: str, runs: int) -> None:
    issuer = TestIssuer()
    with cluster() as pg:
        url = await ensure_database(pg.url(), "rating")
        await upgrade_async(MIGRATIONS_DIR, url)
        started = time.perf_counter()
        campaign = generate(size)
        generated = time.perf_counter() - started
        loaded = await load(url, campaign)
        total = len(campaign.ballots) + len(campaign.api)
        print(
            f"{size}: {len(campaign.subjects)} members in {len(campaign.organizations) - 1} "
            f"branches, {total} ballots ({len(campaign.api)} through the API, the rest by COPY); "
            f"generated in {generated:.1f}s, loaded (COPY) in {loaded:.1f}s\n"
        )
        subscriptions = json.dumps(
            {
                "rating.evaluation.finalized": ["http://127.0.0.1:9/member"],
                "rating.star_level.changed": [
                    "http://127.0.0.1:9/funding",
                    "http://127.0.0.1:9/org",
                ],
            }
        )
        with service_process(
            "rating_service",
            "RATING_",
            url,
            issuer,
            RATING_BALLOT_KEY=BALLOT_KEY,
            RATING_EVENT_SUBSCRIPTIONS=subscriptions,
            RATING_DATABASE_POOL_SIZE="20",
        ) as (base, process):
            conn = await asyncpg.connect(url)
            async with httpx.AsyncClient(base_url=base, timeout=600) as client:
                results = await _scenarios(client, conn, issuer, campaign, size, runs)
            await conn.close()
            rss = peak_rss_mb(process.pid)
        for m in results:
            m.peak_rss_mb = rss
    report(
        "rating-campaign",
        results,
        {"size": size, "members": len(campaign.subjects), "ballots": total},
    )


async def _scenarios(
    client: httpx.AsyncClient,
    conn: asyncpg.Connection,
    issuer: TestIssuer,
    campaign: Campaign,
    size: str,
    runs: int,
) -> list[Measurement]:
    out = []
    headers: dict[str, dict[str, str]] = {}
    for voter, _ in campaign.api:
        if voter.subject not in headers:
            token = issuer.token(
                subject=voter.subject,
                roles=list(voter.roles),
                scopes=["rating:read", "rating:vote"],
                ttl_seconds=3600,
                member_id=voter.member_id,
                org_id=voter.org_id,
            )
            headers[voter.subject] = {"Authorization": f"Bearer {token}"}
    path = f"/campaigns/{campaign.id}/ballots"

    async def cast(voter: Voter, body: dict[str, Any]) -> float:
        started = time.perf_counter()
        response = await client.post(path, json=body, headers=headers[voter.subject])
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 201:
            raise RuntimeError(f"ballot refused: {response.status_code} {response.text}")
        return elapsed

    # One by one: the latency a voter sees, beside a plain INSERT of one ballot.
    sequential = [await cast(v, b) for v, b in campaign.api[:SEQUENTIAL]]
    insert_t: list[float] = []
    for _ in range(SEQUENTIAL):
        started = time.perf_counter()
        await conn.execute(
            PLAIN_INSERT, uuid.uuid4(), campaign.id, uuid.uuid4(), uuid.uuid4().hex + "0" * 32
        )
        insert_t.append((time.perf_counter() - started) * 1000)
    await conn.execute(
        "DELETE FROM ballot WHERE campaign_id = $1 AND member_id NOT IN "
        "(SELECT member_id FROM campaign_subject WHERE campaign_id = $1)",
        campaign.id,
    )
    p50, p95, tput = summary(sequential)
    s50, _, _ = summary(insert_t)
    out.append(
        Measurement(
            scenario="cast a ballot, one at a time",
            size=size,
            runs=len(sequential),
            p50_ms=p50,
            p95_ms=p95,
            throughput_per_s=tput,
            compared_with="plain INSERT (asyncpg)",
            comparison_p50_ms=s50,
            ratio=p50 / s50 if s50 else None,
        )
    )

    # Many voters at once: throughput of the service process, ballot by ballot and by sheets
    # (a voter sends all the colleagues they evaluate in one request).
    gate = asyncio.Semaphore(CONCURRENCY)

    async def gated(voter: Voter, body: dict[str, Any]) -> float:
        async with gate:
            return await cast(voter, body)

    rest = campaign.api[SEQUENTIAL:]
    singles, by_sheet = rest[: len(rest) // 2], rest[len(rest) // 2 :]
    started = time.perf_counter()
    concurrent = await asyncio.gather(*(gated(v, b) for v, b in singles))
    wall = time.perf_counter() - started
    p50, p95, _ = summary(list(concurrent))
    out.append(
        Measurement(
            scenario=f"cast ballots, {CONCURRENCY} voters at once",
            size=size,
            runs=len(singles),
            p50_ms=p50,
            p95_ms=p95,
            throughput_per_s=len(singles) / wall,
            extra={"wall_s": round(wall, 1), "concurrency": CONCURRENCY, "unit": "ballots"},
        )
    )
    sheets: dict[str, tuple[Voter, list[dict[str, Any]]]] = {}
    for voter, body in by_sheet:
        sheets.setdefault(voter.subject, (voter, []))[1].append(body)
    sheet_path = f"/campaigns/{campaign.id}/ballot-sheets"

    async def send_sheet(voter: Voter, ballots: list[dict[str, Any]]) -> float:
        async with gate:
            started = time.perf_counter()
            response = await client.post(
                sheet_path, json={"ballots": ballots}, headers=headers[voter.subject]
            )
            elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 201:
            raise RuntimeError(f"sheet refused: {response.status_code} {response.text}")
        return elapsed

    started = time.perf_counter()
    sheet_t = await asyncio.gather(*(send_sheet(v, b) for v, b in sheets.values()))
    wall = time.perf_counter() - started
    p50, p95, _ = summary(list(sheet_t))
    out.append(
        Measurement(
            scenario=f"cast ballot sheets, {CONCURRENCY} voters at once",
            size=size,
            runs=len(sheets),
            p50_ms=p50,
            p95_ms=p95,
            throughput_per_s=len(by_sheet) / wall,
            extra={
                "wall_s": round(wall, 1),
                "concurrency": CONCURRENCY,
                "unit": "ballots",
                "ballots_per_sheet": round(len(by_sheet) / len(sheets), 1),
            },
        )
    )

    # Closing: once (it cannot be repeated), beside the plain aggregate run `runs` times.
    await conn.execute("ANALYZE ballot")
    admin = issuer.headers(
        subject="bench", roles=["city_admin"], scopes=["rating:read", "rating:write"]
    )
    started = time.perf_counter()
    response = await client.post(f"/campaigns/{campaign.id}/close", headers=admin)
    close_ms = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"closing failed: {response.status_code} {response.text}")
    closed = response.json()
    args = (
        campaign.id,
        len(CRITERIA),
        WEIGHTS["owner"],
        WEIGHTS["secretary"],
        WEIGHTS["members"],
        WEIGHTS["masses"],
    )
    sql_t, plain = await measure(lambda: conn.fetch(PLAIN_SCORES, *args), runs=runs, warmup=1)
    stored = {
        r["member_id"]: r["weighted_score"]
        for r in await conn.fetch(
            "SELECT member_id, weighted_score FROM evaluation_result WHERE campaign_id = $1",
            campaign.id,
        )
    }
    expected = {r["member_id"]: float(r["weighted"]) for r in plain}
    assert stored == expected, "the service's weighted scores differ from the plain SQL's"
    events = await conn.fetchval("SELECT count(*) FROM outbox_event")
    deliveries = await conn.fetchval("SELECT count(*) FROM outbox_delivery")
    s50, _, _ = summary(sql_t)
    out.append(
        Measurement(
            scenario="close the campaign (results, levels, events)",
            size=size,
            runs=1,
            p50_ms=close_ms,
            p95_ms=close_ms,
            throughput_per_s=1000 / close_ms,
            compared_with="plain SQL weighted scores",
            comparison_p50_ms=s50,
            ratio=close_ms / s50 if s50 else None,
            extra={
                "evaluated": closed["evaluated"],
                "capped": closed["capped"],
                "grade_capped": closed["grade_capped"],
                "events": events,
                "deliveries": deliveries,
            },
        )
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", choices=sorted(SIZES), default="city")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(run(args.size, args.runs))


if __name__ == "__main__":
    main()
