"""funding-service on a city's year of ledger (about 1,000,000 entries; province: ten years,
10,000,000 entries): an account's balance, a district's budget execution for a year, a monthly
allowance run for 10,000 secretaries, and the CSV (and XLSX) export of the allowance line's
ledger lines (province: 1,000,000) with its rows per second and the service's peak memory;
each beside the plain SQL that computes the same answer.

Run: `make bench-funding` (or `.venv/bin/python bench/funding_ledger.py --size city`).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Measurement, cluster, measure, peak_rss_mb, report, service_process, summary

from funding_service.main import MIGRATIONS_DIR as FUNDING_MIGRATIONS
from gateway.issuer import scopes_for
from org_service.main import MIGRATIONS_DIR as ORG_MIGRATIONS
from service_kit.migrations import upgrade_async
from service_kit.pgcluster import ensure_database
from service_kit.testing import TestIssuer, serve_app

SIZES = {
    # secretaries (one branch each), fiscal years of history, months of allowance history,
    # disbursements per branch a year, vendors.
    # city: 10,000 secretaries, one year: 12 months × 10,000 = 120,000 allowance lines (the
    # export); ≈ 520,000 transfers = 1,040,000 entries in all.
    # province: ten years, 100 months × 10,000 = 1,000,000 allowance lines; ≈ 5,000,000
    # transfers = 10,000,000 entries in all.
    # small (a district's share of the work): 2,000 secretaries, one year; ≈ 105,000 entries.
    "small": (2_000, 1, 12, 8, 50),
    "city": (10_000, 1, 12, 38, 200),
    "province": (10_000, 10, 100, 38, 200),
}
LAST_YEAR = date.today().year - 2  # the history ends here; the runs pay the year after
RUN_YEAR = LAST_YEAR + 1
DISTRICTS = 10
SUBS = 10
LINES = {
    "operating_funds": uuid.UUID("7f3c1b2a-0a51-4c57-9a55-000000000001"),
    "per_member_funds": uuid.UUID("7f3c1b2a-0a51-4c57-9a55-000000000002"),
    "venue_funds": uuid.UUID("7f3c1b2a-0a51-4c57-9a55-000000000003"),
    "secretary_allowance": uuid.UUID("7f3c1b2a-0a51-4c57-9a55-000000000004"),
}
MONTHLY = {"urban": 40_000, "county": 20_000}
PER_MEMBER = 30_000
OPERATING = 400_000_000
VENUE_PER_YEAR = 10_000
NOW = datetime(2026, 1, 1, tzinfo=UTC)
BATCH = 10_000


@dataclass
class World:
    """The generated city and the funds' accounts, kept for the scenarios."""

    rng: random.Random
    city: uuid.UUID = field(default_factory=uuid.uuid4)
    districts: list[tuple[uuid.UUID, str, str]] = field(default_factory=list)  # id, name, class
    subs: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)  # sub-district → district
    city_committee: uuid.UUID = field(default_factory=uuid.uuid4)
    branches: list[tuple[uuid.UUID, uuid.UUID, int]] = field(
        default_factory=list
    )  # id, district, members
    secretaries: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)  # branch → member
    accounts: list[tuple[Any, ...]] = field(default_factory=list)
    balances: dict[uuid.UUID, int] = field(default_factory=dict)
    budgets: dict[tuple[int, str, uuid.UUID, str], tuple[uuid.UUID, uuid.UUID]] = field(
        default_factory=dict
    )  # (year, level, region, line) → (budget id, account id)
    budget_amounts: dict[uuid.UUID, int] = field(default_factory=dict)
    treasuries: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)  # region → account
    branch_accounts: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)
    payees: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)  # member → account
    vendors: list[uuid.UUID] = field(default_factory=list)
    committee_account: uuid.UUID = field(default_factory=uuid.uuid4)
    years: int = 10
    transfers: int = 0
    entries: int = 0

    def uid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def district_class(self, district: uuid.UUID) -> str:
        return next(c for d, _, c in self.districts if d == district)


def hexpath(*ids: uuid.UUID) -> str:
    return "".join(i.hex + "/" for i in ids)


# ----------------------------------------------------------------------------- org-service


async def load_org(url: str, world: World, secretaries: int) -> None:
    """Regions and organizations (with their one version each) straight into org-service."""
    rng = world.rng
    founded = date(2010, 1, 1)
    regions: list[tuple[Any, ...]] = [
        (world.city, "长春市", "city", None, None, hexpath(world.city))
    ]
    for d in range(DISTRICTS):
        did = world.uid()
        dclass = "urban" if d < 7 else "county"
        name = f"区{d:02d}"
        world.districts.append((did, name, dclass))
        regions.append(
            (
                did,
                name,
                "district" if dclass == "urban" else "county",
                world.city,
                dclass,
                hexpath(world.city, did),
            )
        )
        for s in range(SUBS):
            sid = world.uid()
            world.subs[sid] = did
            regions.append(
                (sid, f"{name}街道{s}", "sub_district", did, None, hexpath(world.city, did, sid))
            )
    organizations: list[tuple[Any, ...]] = []

    def org(
        oid: uuid.UUID, name: str, kind: str, subkind: Any, parent: Any, path: str, region: Any
    ) -> None:
        organizations.append(
            (
                oid,
                name,
                kind,
                subkind,
                "single",
                None,
                parent,
                None,
                region,
                path,
                "active",
                founded,
                None,
                NOW,
                NOW,
            )
        )

    city_path = hexpath(world.city_committee)
    org(world.city_committee, "市党工委", "working_committee", "city", None, city_path, world.city)
    committees = {}
    for did, name, _ in world.districts:
        wc = world.uid()
        committees[did] = (wc, city_path + wc.hex + "/")
        org(
            wc,
            f"{name}党工委",
            "working_committee",
            "district",
            world.city_committee,
            committees[did][1],
            did,
        )
    subs = list(world.subs)
    for i in range(secretaries):
        sid = subs[i % len(subs)]
        did = world.subs[sid]
        bid = world.uid()
        parent, parent_path = committees[did]
        org(bid, f"支部{i:05d}", "branch", None, parent, parent_path + bid.hex + "/", sid)
        world.branches.append((bid, did, rng.randrange(3, 50)))
    versions = [(world.uid(), o[0], founded, None, *o[1:10], "active") for o in organizations]
    conn = await asyncpg.connect(url)
    try:
        await conn.copy_records_to_table(
            "region",
            records=[(*r, NOW) for r in regions],
            columns=["id", "name", "kind", "parent_id", "district_class", "path", "created_at"],
        )
        await conn.copy_records_to_table(
            "organization",
            records=organizations,
            columns=[
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
        )
        await conn.copy_records_to_table(
            "organization_version",
            records=versions,
            columns=[
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
        )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


# ------------------------------------------------------------------------------- the funds


def open_accounts(world: World, vendors: int) -> None:
    def account(kind: str, name: str, **values: Any) -> uuid.UUID:
        aid = world.uid()
        world.accounts.append(
            (
                aid,
                kind,
                name,
                values.get("level"),
                values.get("region_id"),
                values.get("district_id"),
                values.get("organization_id"),
                values.get("member_id"),
                values.get("budget_line_id"),
                kind == "treasury",
                0,
                NOW,
                "bench",
            )
        )
        world.balances[aid] = 0
        return aid

    world.treasuries[world.city] = account(
        "treasury", "长春市财政预算", level="city", region_id=world.city
    )
    for did, name, _ in world.districts:
        world.treasuries[did] = account(
            "treasury", f"{name}财政预算", level="district", region_id=did, district_id=did
        )
    first = LAST_YEAR - world.years + 1
    for year in range(first, RUN_YEAR + 1):
        regions = [(world.city, "city", None, "长春市")] + [
            (did, "district", did, name) for did, name, _ in world.districts
        ]
        for region, level, district, name in regions:
            for line, line_id in LINES.items():
                bid = world.uid()
                aid = account(
                    "budget",
                    f"{year}年{name}{line}",
                    level=level,
                    region_id=region,
                    district_id=district,
                    budget_line_id=line_id,
                )
                world.budgets[(year, level, region, line)] = (bid, aid)
    world.committee_account = account(
        "organization",
        "市党工委·工委工作经费",
        level="city",
        region_id=world.city,
        organization_id=world.city_committee,
        budget_line_id=LINES["operating_funds"],
    )
    for bid, did, _ in world.branches:
        world.branch_accounts[bid] = account(
            "organization",
            f"支部{bid.hex[:6]}",
            level="district",
            region_id=did,
            district_id=did,
            organization_id=bid,
            budget_line_id=LINES["per_member_funds"],
        )
        member = world.uid()
        world.secretaries[bid] = member
        world.payees[member] = account(
            "payee",
            f"书记{member.hex[:6]}",
            level="district",
            region_id=did,
            district_id=did,
            organization_id=bid,
            member_id=member,
        )
    for v in range(vendors):
        world.vendors.append(account("payee", f"供应商{v:03d}"))


@dataclass
class Posting:
    """Transfers and entries of the history, in posting order, for two COPY streams."""

    world: World
    # bounded: the generator waits for the COPY streams instead of holding the history
    transfers: asyncio.Queue[list[tuple[Any, ...]] | None] = field(
        default_factory=lambda: asyncio.Queue(maxsize=4)
    )
    entries: asyncio.Queue[list[tuple[Any, ...]] | None] = field(
        default_factory=lambda: asyncio.Queue(maxsize=4)
    )
    t_batch: list[tuple[Any, ...]] = field(default_factory=list)
    e_batch: list[tuple[Any, ...]] = field(default_factory=list)
    clock: datetime = NOW

    async def post(
        self, kind: str, debit: uuid.UUID, credit: uuid.UUID, amount: int, day: date, **refs: Any
    ) -> None:
        w = self.world
        assert amount > 0
        tid = w.uid()
        self.clock = max(
            self.clock + timedelta(microseconds=10),
            datetime(day.year, day.month, day.day, tzinfo=UTC),
        )
        w.balances[debit] -= amount
        w.balances[credit] += amount
        self.t_batch.append(
            (
                tid,
                kind,
                debit,
                credit,
                amount,
                day,
                None,
                None,
                refs.get("budget_id"),
                None,
                refs.get("organization_id"),
                refs.get("member_id"),
                self.clock,
                "bench",
            )
        )
        self.e_batch.append((tid, debit, credit, -amount, w.balances[debit], day, self.clock))
        self.e_batch.append((tid, credit, debit, amount, w.balances[credit], day, self.clock))
        w.transfers += 1
        w.entries += 2
        if len(self.t_batch) >= BATCH:
            await self.flush()

    async def flush(self) -> None:
        if self.t_batch:
            await self.transfers.put(self.t_batch)
            await self.entries.put(self.e_batch)
            self.t_batch, self.e_batch = [], []
            await asyncio.sleep(0)


async def history(posting: Posting, months: int, per_branch: int) -> None:
    """Years of budgets spent: allocations, per-member funds, venue bills, branches' bills,
    the committee's operating funds, and `months` months of allowances up to LAST_YEAR."""
    w = posting.world
    rng = w.rng
    first_allowance = date(LAST_YEAR, 12, 1)
    for _ in range(months - 1):
        first_allowance = (first_allowance - timedelta(days=1)).replace(day=1)
    for year in range(LAST_YEAR - w.years + 1, LAST_YEAR + 1):
        allowance_months = [m for m in range(1, 13) if date(year, m, 1) >= first_allowance]
        venue = [
            (rng.choice(w.districts)[0], rng.randrange(10_000, 5_000_000))
            for _ in range(VENUE_PER_YEAR)
        ]
        # what each budget will pay this year, so that it is funded exactly (and a little more)
        planned: dict[tuple[str, uuid.UUID, str], int] = {}
        for _, did, members in w.branches:
            key = ("district", did, "secretary_allowance")
            planned[key] = planned.get(key, 0) + MONTHLY[w.district_class(did)] * len(
                allowance_months
            )
            key = ("district", did, "per_member_funds")
            planned[key] = planned.get(key, 0) + members * PER_MEMBER
        for did, amount in venue:
            planned[("district", did, "venue_funds")] = (
                planned.get(("district", did, "venue_funds"), 0) + amount
            )
        planned[("city", w.city, "operating_funds")] = OPERATING
        jan1 = date(year, 1, 1)
        for (level, region, line), amount in sorted(
            planned.items(), key=lambda kv: (kv[0][0], str(kv[0][1]), kv[0][2])
        ):
            budget, account = w.budgets[(year, level, region, line)]
            funded = amount + amount // 20
            if funded == 0:
                continue
            w.budget_amounts[budget] = funded
            await posting.post(
                "budget_allocation", w.treasuries[region], account, funded, jan1, budget_id=budget
            )
        budget, account = w.budgets[(year, "city", w.city, "operating_funds")]
        await posting.post(
            "operating_funds",
            account,
            w.committee_account,
            OPERATING,
            jan1,
            budget_id=budget,
            organization_id=w.city_committee,
        )
        for bid, did, members in w.branches:
            budget, account = w.budgets[(year, "district", did, "per_member_funds")]
            await posting.post(
                "per_member_funds",
                account,
                w.branch_accounts[bid],
                members * PER_MEMBER,
                date(year, 1, 2),
                budget_id=budget,
                organization_id=bid,
            )
        # each bill about half a bill's share of the year's funds: no branch runs dry
        bills = sorted(
            (date(year, rng.randrange(1, 13), rng.randrange(1, 29)), bid, members)
            for bid, _, members in w.branches
            for _ in range(per_branch)
        )
        venue_days = sorted(
            (date(year, rng.randrange(1, 13), rng.randrange(1, 29)), d, a) for d, a in venue
        )
        by_month: dict[int, list[Any]] = {m: [] for m in range(1, 13)}
        for day, bid, members in bills:
            by_month[day.month].append(("bill", day, bid, members))
        for day, did, amount in venue_days:
            by_month[day.month].append(("venue", day, did, amount))
        for month in range(1, 13):
            for item in sorted(by_month[month], key=lambda x: x[1]):
                if item[0] == "bill":
                    _, day, bid, members = item
                    account = w.branch_accounts[bid]
                    share = members * PER_MEMBER // per_branch
                    amount = min(w.balances[account], rng.randrange(100, max(101, share)))
                    if amount > 0:
                        await posting.post(
                            "disbursement",
                            account,
                            rng.choice(w.vendors),
                            amount,
                            day,
                            organization_id=bid,
                        )
                else:
                    _, day, did, amount = item
                    budget, account = w.budgets[(year, "district", did, "venue_funds")]
                    await posting.post(
                        "disbursement",
                        account,
                        rng.choice(w.vendors),
                        amount,
                        day,
                        budget_id=budget,
                    )
            if month in allowance_months:
                end = (date(year, month, 28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
                for bid, did, _ in w.branches:
                    member = w.secretaries[bid]
                    budget, account = w.budgets[(year, "district", did, "secretary_allowance")]
                    await posting.post(
                        "secretary_allowance",
                        account,
                        w.payees[member],
                        MONTHLY[w.district_class(did)],
                        end,
                        budget_id=budget,
                        organization_id=bid,
                        member_id=member,
                    )
    # the run year: allowance budgets only (the runs pay from them)
    for level_region in [("district", did) for did, _, _ in w.districts]:
        level, region = level_region
        budget, account = w.budgets[(RUN_YEAR, level, region, "secretary_allowance")]
        amount = 12 * sum(MONTHLY[w.district_class(d)] for _, d, _ in w.branches if d == region)
        w.budget_amounts[budget] = amount
        await posting.post(
            "budget_allocation",
            w.treasuries[region],
            account,
            amount,
            date(RUN_YEAR, 1, 1),
            budget_id=budget,
        )
    await posting.flush()
    await posting.transfers.put(None)
    await posting.entries.put(None)


async def drain(
    queue: asyncio.Queue[list[tuple[Any, ...]] | None],
) -> AsyncIterator[tuple[Any, ...]]:
    while (batch := await queue.get()) is not None:
        for row in batch:
            yield row


async def load_funds(url: str, world: World, months: int, per_branch: int, vendors: int) -> None:
    open_accounts(world, vendors)
    posting = Posting(world)
    conns = [await asyncpg.connect(url) for _ in range(3)]
    try:
        for conn in conns:
            # foreign keys are checked by construction here; the triggers would cost hours
            await conn.execute("SET session_replication_role = replica")
        await asyncio.gather(
            history(posting, months, per_branch),
            conns[0].copy_records_to_table(
                "transfer",
                records=drain(posting.transfers),
                columns=[
                    "id",
                    "kind",
                    "debit_account_id",
                    "credit_account_id",
                    "amount_fen",
                    "value_date",
                    "memo",
                    "reverses_transfer_id",
                    "budget_id",
                    "period_run_id",
                    "organization_id",
                    "member_id",
                    "created_at",
                    "created_by",
                ],
            ),
            conns[1].copy_records_to_table(
                "ledger_entry",
                records=drain(posting.entries),
                columns=[
                    "transfer_id",
                    "account_id",
                    "counter_account_id",
                    "amount_fen",
                    "balance_after_fen",
                    "value_date",
                    "posted_at",
                ],
            ),
        )
        conn = conns[2]
        await conn.copy_records_to_table(
            "account",
            records=[(*a[:10], world.balances[a[0]], *a[11:]) for a in world.accounts],
            columns=[
                "id",
                "kind",
                "name",
                "level",
                "region_id",
                "district_id",
                "organization_id",
                "member_id",
                "budget_line_id",
                "allow_negative",
                "balance_fen",
                "created_at",
                "created_by",
            ],
        )
        names = {did: name for did, name, _ in world.districts} | {world.city: "长春市"}
        await conn.copy_records_to_table(
            "budget",
            records=[
                (
                    bid,
                    year,
                    level,
                    region,
                    names[region],
                    region if level == "district" else None,
                    LINES[line],
                    aid,
                    world.budget_amounts.get(bid, 0),
                    NOW,
                    NOW,
                    "bench",
                )
                for (year, level, region, line), (bid, aid) in world.budgets.items()
            ],
            columns=[
                "id",
                "fiscal_year",
                "level",
                "region_id",
                "region_name",
                "district_id",
                "budget_line_id",
                "account_id",
                "amount_fen",
                "created_at",
                "updated_at",
                "created_by",
            ],
        )
        await conn.copy_records_to_table(
            "secretary_term",
            records=[
                (world.uid(), member, bid, f"书记{member.hex[:6]}", date(2015, 1, 1), None, NOW)
                for bid, member in world.secretaries.items()
            ],
            columns=[
                "id",
                "member_id",
                "organization_id",
                "name",
                "term_start",
                "term_end",
                "updated_at",
            ],
        )
        await conn.execute("ANALYZE")
    finally:
        for conn in conns:
            await conn.close()


async def check_ledger(url: str) -> dict[str, int]:
    """The invariants on the loaded ledger, so that the figures are about a consistent one."""
    conn = await asyncpg.connect(url)
    try:
        wrong = await conn.fetchval(
            "SELECT count(*) FROM account a LEFT JOIN (SELECT account_id, sum(amount_fen) AS s "
            "FROM ledger_entry GROUP BY account_id) e ON e.account_id = a.id "
            "WHERE a.balance_fen <> coalesce(e.s, 0)"
        )
        unbalanced = await conn.fetchval(
            "SELECT count(*) FROM (SELECT transfer_id FROM ledger_entry GROUP BY transfer_id "
            "HAVING sum(amount_fen) <> 0) t"
        )
        overdrawn = await conn.fetchval(
            "SELECT count(*) FROM account WHERE NOT allow_negative AND balance_fen < 0"
        )
        entries = await conn.fetchval("SELECT count(*) FROM ledger_entry")
    finally:
        await conn.close()
    assert (wrong, unbalanced, overdrawn) == (0, 0, 0), (wrong, unbalanced, overdrawn)
    return {"entries": int(entries)}


# -------------------------------------------------------------------------------- scenarios

PLAIN_BALANCE = "SELECT coalesce(sum(amount_fen), 0) FROM ledger_entry WHERE account_id = $1"

PLAIN_EXECUTION = """
SELECT b.id, b.amount_fen AS budgeted,
       coalesce(-sum(e.amount_fen) FILTER (WHERE c.kind <> 'treasury'), 0) AS executed
FROM budget b
LEFT JOIN ledger_entry e ON e.account_id = b.account_id
LEFT JOIN account c ON c.id = e.counter_account_id
WHERE b.region_id = $1 AND b.fiscal_year = $2
GROUP BY b.id
"""

# What the month's run computes: each secretary term in the month, its organization's
# district class (as org-service would say it, copied here for the comparison), prorated
# by days held. Read-only: the API also writes transfers, entries, lines and events.
PLAIN_ALLOWANCE = """
WITH month AS (
    SELECT $1::date AS first, ($1::date + interval '1 month' - interval '1 day')::date AS last
)
SELECT t.member_id, t.organization_id,
       (p.monthly * (least(coalesce(t.term_end, m.last), m.last)
                     - greatest(t.term_start, m.first) + 1)
        / (m.last - m.first + 1))::bigint AS amount_fen
FROM secretary_term t CROSS JOIN month m
JOIN bench_placement p ON p.organization_id = t.organization_id
WHERE t.term_start <= m.last AND (t.term_end IS NULL OR t.term_end >= m.first)
"""

EXPORT_SQL = """
    SELECT e.id, e.posted_at, e.value_date, b.fiscal_year, b.level, b.region_name, l.name,
           t.kind, c.name, CASE WHEN e.amount_fen > 0 THEN e.amount_fen / 100.0 END,
           CASE WHEN e.amount_fen < 0 THEN -e.amount_fen / 100.0 END, t.memo, t.id, b.id
    FROM ledger_entry e
    JOIN budget b ON b.account_id = e.account_id
    JOIN budget_line l ON l.id = b.budget_line_id
    JOIN transfer t ON t.id = e.transfer_id
    JOIN account c ON c.id = e.counter_account_id
    WHERE l.code = 'secretary_allowance'
    ORDER BY e.id
"""


def token_app(issuer: TestIssuer) -> FastAPI:
    """The issuer's client-credentials grant, for the service's calls to org-service."""
    app = FastAPI()

    @app.post("/token")
    async def token(request: Request) -> JSONResponse:
        form = await request.form()
        access = issuer.token(
            subject=str(form.get("client_id")), roles=["service"], scopes=scopes_for(("service",))
        )
        return JSONResponse({"access_token": access, "expires_in": 3600})

    return app


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def rss_sampler(pid: int, stop: asyncio.Event) -> float:
    """The largest resident set seen while `stop` is unset (MB)."""
    peak = 0.0
    while not stop.is_set():
        peak = max(peak, rss_mb(pid))
        await asyncio.sleep(0.02)
    return peak


def compare(
    name: str, size: str, api: list[float], sql: list[float], with_: str, **extra: Any
) -> Measurement:
    p50, p95, tput = summary(api)
    s50, _, _ = summary(sql)
    return Measurement(
        scenario=name,
        size=size,
        runs=len(api),
        p50_ms=p50,
        p95_ms=p95,
        throughput_per_s=tput,
        compared_with=with_,
        comparison_p50_ms=s50,
        ratio=p50 / s50 if s50 else None,
        extra=extra,
    )


async def scenarios(
    base: str, pid: int, url: str, world: World, size: str, runs: int, headers: dict[str, str]
) -> list[Measurement]:
    out = []
    conn = await asyncpg.connect(url)
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=600) as client:
        # 1. the busiest account's balance
        busiest = await conn.fetchrow(
            "SELECT account_id, count(*) AS n FROM ledger_entry GROUP BY account_id "
            "ORDER BY n DESC LIMIT 1"
        )
        assert busiest is not None
        account = busiest["account_id"]

        async def balance() -> int:
            response = await client.get(f"/accounts/{account}")
            response.raise_for_status()
            return int(response.json()["balance_fen"])

        api_t, got = await measure(balance, runs=runs)
        sql_t, want = await measure(lambda: conn.fetchval(PLAIN_BALANCE, account), runs=runs)
        assert got == want, (got, want)
        out.append(
            compare(
                "an account's balance",
                size,
                api_t,
                sql_t,
                "SUM of its entries",
                entries=busiest["n"],
            )
        )

        # 2. a district's budget execution for a year
        district = world.districts[0][0]

        async def execution() -> dict[str, int]:
            response = await client.get(
                "/budgets", params={"region_id": str(district), "fiscal_year": LAST_YEAR}
            )
            response.raise_for_status()
            return {b["id"]: b["executed_fen"] for b in response.json()["items"]}

        api_t, got_exec = await measure(execution, runs=runs)
        sql_t, rows = await measure(
            lambda: conn.fetch(PLAIN_EXECUTION, district, LAST_YEAR), runs=runs
        )
        assert got_exec == {str(r["id"]): r["executed"] for r in rows}, "execution differs"
        lines = await conn.fetchval(
            "SELECT count(*) FROM ledger_entry e JOIN budget b ON b.account_id = e.account_id "
            "WHERE b.region_id = $1 AND b.fiscal_year = $2",
            district,
            LAST_YEAR,
        )
        out.append(
            compare(
                "a district's budget execution, a year",
                size,
                api_t,
                sql_t,
                "SUM over its budgets' entries",
                entries=lines,
            )
        )

        # 3. a monthly allowance run for every secretary
        await conn.execute(
            "CREATE TABLE bench_placement AS SELECT * FROM unnest($1::uuid[], $2::bigint[]) "
            "AS p(organization_id, monthly)",
            [b for b, _, _ in world.branches],
            [MONTHLY[world.district_class(d)] for _, d, _ in world.branches],
        )
        api_runs, sql_runs = [], []
        for month in range(1, min(runs, 3) + 1):
            started = time.perf_counter()
            response = await client.post(
                "/period-runs",
                json={"kind": "secretary_allowance", "period": f"{RUN_YEAR}-{month:02d}"},
                headers={"Idempotency-Key": uuid.uuid4().hex},
            )
            api_runs.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 201, response.text
            made = response.json()
            started = time.perf_counter()
            plain = await conn.fetch(PLAIN_ALLOWANCE, date(RUN_YEAR, month, 1))
            sql_runs.append((time.perf_counter() - started) * 1000)
            assert made["paid_count"] == len(plain), (made["paid_count"], len(plain))
            assert made["paid_total_fen"] == sum(r["amount_fen"] for r in plain)
        out.append(
            compare(
                f"allowance run, {len(world.branches)} secretaries",
                size,
                api_runs,
                sql_runs,
                "SELECT of the payments",
                paid=len(world.branches),
                note="API: computes, posts transfers/entries, lines, events",
            )
        )
    await conn.close()
    return out


async def export(
    base: str, pid: int, url: str, size: str, fmt: str, headers: dict[str, str]
) -> Measurement:
    """One streamed export of the allowance line's ledger lines: rows/s, peak RSS."""
    conn = await asyncpg.connect(url)
    rows = await conn.fetchval(
        "SELECT count(*) FROM ledger_entry e JOIN budget b ON b.account_id = e.account_id "
        "JOIN budget_line l ON l.id = b.budget_line_id WHERE l.code = 'secretary_allowance'"
    )
    before = peak_rss_mb(pid) or 0.0
    stop = asyncio.Event()
    sampler = asyncio.create_task(rss_sampler(pid, stop))
    received = 0
    started = time.perf_counter()
    params = {"budget_line": "secretary_allowance", "format": fmt}
    async with (
        httpx.AsyncClient(base_url=base, headers=headers, timeout=3600) as client,
        client.stream("GET", "/exports/ledger-lines", params=params) as response,
    ):
        response.raise_for_status()
        async for chunk in response.aiter_bytes():
            received += len(chunk)
    api_s = time.perf_counter() - started
    stop.set()
    peak = await sampler
    sql_bytes = 0

    async def sink(data: bytes) -> None:
        nonlocal sql_bytes
        sql_bytes += len(data)

    started = time.perf_counter()
    await conn.copy_from_query(EXPORT_SQL, output=sink, format="csv", header=True)
    sql_s = time.perf_counter() - started
    await conn.close()
    return Measurement(
        scenario=f"{fmt.upper()} export, ledger lines",
        size=size,
        runs=1,
        p50_ms=api_s * 1000,
        p95_ms=api_s * 1000,
        throughput_per_s=rows / api_s,
        peak_rss_mb=peak,
        compared_with="COPY (SELECT …) TO STDOUT",
        comparison_p50_ms=sql_s * 1000,
        ratio=api_s / sql_s,
        extra={
            "rows": rows,
            "rows_per_s": round(rows / api_s),
            "sql_rows_per_s": round(rows / sql_s),
            "bytes": received,
            "sql_bytes": sql_bytes,
            "rss_before_mb": round(before, 1),
            "peak_rss_mb": round(peak, 1),
        },
    )


async def run(size: str, runs: int) -> None:
    secretaries, years, months, per_branch, vendors = SIZES[size]
    assert months <= 12 * years, "allowance history longer than the ledger's"
    issuer = TestIssuer()
    headers = {
        "Authorization": "Bearer "
        + issuer.token(
            subject="bench",
            roles=["city_admin"],
            scopes=scopes_for(("city_admin",)),
            ttl_seconds=86400,
        )
    }
    world = World(random.Random(20180101), years=years)
    with cluster() as pg:
        org_url = await ensure_database(pg.url(), "org")
        funding_url = await ensure_database(pg.url(), "funding")
        await upgrade_async(ORG_MIGRATIONS, org_url)
        await upgrade_async(FUNDING_MIGRATIONS, funding_url)
        started = time.perf_counter()
        await load_org(org_url, world, secretaries)
        await load_funds(funding_url, world, months, per_branch, vendors)
        loaded = time.perf_counter() - started
        counts = await check_ledger(funding_url)
        print(
            f"{size}: {counts['entries']:,} entries ({world.transfers:,} transfers), "
            f"{len(world.accounts):,} accounts, {len(world.budgets)} budgets, "
            f"{secretaries:,} secretaries; generated and loaded in {loaded:.0f}s, invariants hold\n"
        )
        async with serve_app(token_app(issuer)) as tokens:
            with service_process("org_service", "ORG_", org_url, issuer) as (org_base, _):
                env = {
                    "FUNDING_ORG_SERVICE_URL": org_base,
                    "FUNDING_TOKEN_URL": f"{tokens}/token",
                    "FUNDING_CLIENT_SECRET": "bench-secret",
                    "FUNDING_ROSTER_SOURCE": "events",
                }
                with service_process("funding_service", "FUNDING_", funding_url, issuer, **env) as (
                    base,
                    process,
                ):
                    results = await scenarios(
                        base, process.pid, funding_url, world, size, runs, headers
                    )
                    rss = peak_rss_mb(process.pid)
                for m in results:
                    m.peak_rss_mb = rss
                for fmt in ("csv", "xlsx"):
                    # a fresh process each: its peak memory is the export's
                    with service_process(
                        "funding_service", "FUNDING_", funding_url, issuer, **env
                    ) as (
                        base,
                        process,
                    ):
                        results.append(
                            await export(base, process.pid, funding_url, size, fmt, headers)
                        )
    report(
        "funding-ledger",
        results,
        {
            "size": size,
            "entries": counts["entries"],
            "transfers": world.transfers,
            "secretaries": secretaries,
            "budgets": len(world.budgets),
        },
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", choices=sorted(SIZES), default="city")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(run(args.size, args.runs))


if __name__ == "__main__":
    main()
