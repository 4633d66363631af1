"""The whole system under load through the gateway: four mini-program screens (a secretary's
home, a member's archive, a district's coverage dashboard, casting a ballot), each at 50
concurrent clients and at one, through our gateway (one GraphQL request, the registered query
by its hash) beside a client calling the services' REST endpoints directly (batch endpoints,
independent calls in parallel), on a generated city loaded through the services' own APIs.

Run: `make bench-system SIZE=small|city|province` (or `.venv/bin/python bench/system.py
--size city`); `--screens home` measures only the home screen (`make bench-gateway`).

The city is deterministic (seeded random: the same size gives the same names, ID numbers,
credit codes and ids on every machine) and is loaded over HTTP by the services' bulk paths:
parks and business districts, their buildings (org-service /sync/places, each place's system
with its own token) and work targets (/sync/work-targets, 5,000 a request); organizations (POST
/organizations/bulk) and coverage links (POST /work-targets/coverage/bulk); 三级包保 and
instructors (one request each); members (POST /members/bulk) and secretaries' terms (POST
/secretary-terms/bulk); a year of ledger (budgets, the per-member
funds of last year and twelve months of secretary allowances, by period runs); and ratings
(last year's four-party evaluation of every district, each secretary casting one ballot sheet
for their branch, closed into star levels; organization ratings). Each part's time is reported.

Before anything is timed, the two ways of fetching each screen are checked to return the same
view (bench/screens.py); a mismatch stops the run. During the measurements the stack (the
five processes and PostgreSQL) is pinned to CPU 0 and this process to CPU 1.

If bench/peer.py exists and provides `peer_targets(ctx, stack)` (an async context manager
giving a Target per screen name), those targets are measured too, beside ours.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import os
import random
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (
    Measurement,
    cluster,
    concurrently,
    descendants,
    measure,
    peak_rss_mb,
    report,
    set_affinity,
    summary,
)
from screens import (
    SCREENS,
    BallotPair,
    Screen,
    ScreenContext,
    ScreenMismatch,
    Target,
    ballot_supply,
    scores_for,
)

import demo_data
from devstack.seed import load_demo, load_demo_members, service_token
from devstack.stack import Stack, default_apps
from member_service.members.id_numbers import check_character as id_check
from org_service.work_targets.credit_code import check_character as credit_check
from service_kit.pgcluster import LocalCluster, free_ports
from service_kit.tokens import SigningKey, mint_token

T = TypeVar("T")


@dataclass(frozen=True)
class Size:
    targets: int
    organizations: int
    members: int
    sub_districts: int  # per district
    communities: int  # per sub-district
    places: int  # parks and business districts per district
    buildings: int  # per place


SIZES = {
    "tiny": Size(2_000, 300, 1_500, 1, 2, 1, 2),
    "small": Size(20_000, 2_000, 10_000, 3, 3, 2, 5),
    "city": Size(200_000, 20_000, 100_000, 6, 5, 4, 20),
    "province": Size(2_000_000, 200_000, 1_000_000, 10, 10, 20, 50),
}
# The districts with a working committee in the demo city; the generated city fills them.
DISTRICTS = ("南关区", "宽城区", "朝阳区", "二道区", "绿园区", "长春新区")
AREA = {"南关区": "220102", "宽城区": "220103", "朝阳区": "220104", "二道区": "220105"}
AREA |= {"绿园区": "220106", "长春新区": "220173"}
COVERAGE_DISTRICT = "二道区"  # the district admin's dashboard (admin.erdao)
BALLOT_DISTRICT = "绿园区"  # the open campaign of the ballot screen (not the demo branch's)

CLIENTS = 50
# (requests at 50 clients, requests at one client, warm-up requests) per target and screen
REQUESTS = {
    "tiny": (50, 20, 5),
    "small": (200, 50, 10),
    "city": (250, 50, 10),
    "province": (250, 50, 10),
}
SEED = 20180101


def requests_for(size: str, screen: Screen) -> tuple[int, int, int]:
    """(at 50 clients, at one client, warm-up) requests of `screen` at `size`."""
    concurrent, single, warmup = REQUESTS[size]
    share = screen.share
    return max(CLIENTS, round(concurrent * share)), max(10, round(single * share)), warmup


# Each way is measured in two rounds, the second in the opposite order of the first: what the
# first way measured leaves behind (the services' connection pools grown, PostgreSQL's pages
# and plans cached) would otherwise favour the ways measured after it.
ROUNDS = 2


def ballot_pairs_needed(size: str) -> int:
    """Ballots the ballot screen casts: three targets (ours, REST, a peer), each checked once,
    and in each of the two rounds warmed up and timed at 50 clients and at one, and a margin
    for failed attempts."""
    concurrent, single, warmup = REQUESTS[size]
    return 3 * (concurrent + single + ROUNDS * warmup + 1) + 100


TODAY = date.today()
LAST_YEAR = TODAY.year - 1
LOAD_CONCURRENCY = 16

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国志文斌宇浩凯"
FIRM_WORDS = "长春吉林北湖净月汇通恒信华宇金诚鼎盛新程博远天成宏达瑞丰嘉禾中和润泽永安"
FIRM_KINDS = (
    ("enterprise", "other", "制造有限公司"),
    ("enterprise", "retail", "商贸有限公司"),
    ("enterprise", "internet", "网络科技有限公司"),
    ("enterprise", "construction", "建设有限公司"),
    ("enterprise", "logistics", "物流有限公司"),
    ("enterprise", "property_services", "物业服务有限公司"),
    ("social_organization", "law", "律师事务所"),
    ("social_organization", "accounting", "会计师事务所"),
    ("social_organization", "private_school", "培训学校"),
    ("social_organization", "private_hospital", "医院"),
)


# -- the generated city -----------------------------------------------------------------------


@dataclass
class Place:
    id: str
    name: str
    kind: str  # park, business_district
    level: str | None
    district: str
    committee: str  # the party committee of the place
    buildings: list[dict[str, Any]] = field(default_factory=list)
    targets: list[dict[str, Any]] = field(default_factory=list)  # sync records


@dataclass
class Branch:
    id: str
    body: dict[str, Any]
    covers: list[int]  # indexes into City.targets (by credit code order of generation)
    mode: str | None  # own, joint, dispatched
    members: list[dict[str, Any]] = field(default_factory=list)
    district: str = ""


@dataclass
class City:
    size: str
    regions: list[dict[str, Any]] = field(default_factory=list)
    communities: dict[str, list[str]] = field(default_factory=dict)  # district -> ids
    places: list[Place] = field(default_factory=list)
    committees: list[dict[str, Any]] = field(default_factory=list)
    branches: list[Branch] = field(default_factory=list)
    target_codes: list[str] = field(default_factory=list)
    target_registered: list[str] = field(default_factory=list)
    responsibility: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    instructors: list[tuple[int, dict[str, Any]]] = field(default_factory=list)

    @property
    def members(self) -> int:
        return sum(len(b.members) for b in self.branches)


def credit_code(area: str, n: int) -> str:
    first17 = f"91{area}MB{n:07d}"
    return first17 + credit_check(first17)


def id_number(n: int) -> str:
    """The n-th distinct ID number: 800 a day from 1 January 1960 (both sexes)."""
    birth = date(1960, 1, 1) + timedelta(days=n // 800)
    first17 = f"220106{birth:%Y%m%d}{100 + n % 800:03d}"
    return first17 + id_check(first17)


def generate(size: str) -> City:
    """The city of `size`: the same on every machine (one seeded random generator)."""
    spec = SIZES[size]
    rng = random.Random(f"{SEED}-{size}")
    city = City(size)

    def uid() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    def person() -> str:
        return rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)

    for district in DISTRICTS:
        parent = str(demo_data.region_id(district))
        city.communities[district] = []
        for s in range(spec.sub_districts):
            sub = uid()
            city.regions.append(
                {
                    "id": sub,
                    "name": f"{district}第{s + 1}街道",
                    "kind": "sub_district",
                    "parent_id": parent,
                }
            )
            for c in range(spec.communities):
                community = uid()
                city.regions.append(
                    {
                        "id": community,
                        "name": f"{district}第{s + 1}街道第{c + 1}社区",
                        "kind": "community",
                        "parent_id": sub,
                    }
                )
                city.communities[district].append(community)

    n_places = spec.places * len(DISTRICTS)
    for i in range(n_places):
        district = DISTRICTS[i % len(DISTRICTS)]
        park = (i // len(DISTRICTS)) % 2 == 0
        place = Place(
            id=uid(),
            name=f"{district}{'科技产业园' if park else '商圈'}{i // len(DISTRICTS) + 1:02d}",
            kind="park" if park else "business_district",
            level=("national", "provincial", "municipal")[i % 3] if park else None,
            district=district,
            committee=uid(),
        )
        for b in range(spec.buildings):
            place.buildings.append(
                {
                    "external_id": f"B{b + 1:03d}",
                    "name": f"{place.name}{b + 1}号楼",
                    "kind": "building",
                    "parent_place_id": place.id,
                    "floors": [f"{f}F" for f in range(1, 13)],
                }
            )
        city.places.append(place)
        city.committees.append(
            {
                "id": place.committee,
                "name": f"{place.name}党委",
                "kind": "party_committee",
                "subkind": "park" if park else "comprehensive",
                "region_id": str(demo_data.region_id(district)),
                "parent_id": str(
                    demo_data.organization_id(f"{district}非公有制经济组织和社会组织党工委")
                ),
                "founded_on": "2017-07-01",
            }
        )

    # Work targets: spread over the places, each in the place or one of its buildings.
    for n in range(spec.targets):
        place = city.places[n % n_places]
        kind, industry, suffix = FIRM_KINDS[rng.randrange(len(FIRM_KINDS))]
        name = f"{rng.choice(FIRM_WORDS)}{rng.choice(FIRM_WORDS)}{n:07d}{suffix}"
        code = credit_code(AREA[place.district], n)
        building = rng.randrange(len(place.buildings) + 1)
        record: dict[str, Any] = {
            "credit_code": code,
            "external_id": f"T{n:07d}",
            "name": name,
            "kind": kind,
            "industry": industry,
            "region_id": rng.choice(city.communities[place.district]),
            "employee_count": rng.randrange(3, 800),
            "pays_tax": rng.random() < 0.8,
            "pays_social_insurance": rng.random() < 0.6,
            "investor_name": person(),
            "registered_on": (date(2005, 1, 1) + timedelta(days=rng.randrange(6000))).isoformat(),
        }
        if building:
            record["place_external_id"] = place.buildings[building - 1]["external_id"]
            record["floor"] = f"{rng.randrange(1, 13)}F"
        else:
            record["place_id"] = place.id
        place.targets.append(record)
        city.target_codes.append(code)
        city.target_registered.append(record["registered_on"])

    # Branches: own (a unit's own), joint (three units of a place) and functional (sent to a
    # unit with no members); each covers its units from its founding day.
    n_branches = spec.organizations - len(city.committees)
    free = list(range(spec.targets))
    rng.shuffle(free)
    for b in range(n_branches):
        roll = rng.random()
        mode = "own" if roll < 0.7 else "joint" if roll < 0.93 else "dispatched"
        covers = [free.pop() for _ in range(3 if mode == "joint" else 1)]
        first = covers[0]
        place = city.places[first % n_places]
        founded = date(2017, 8, 1) + timedelta(days=rng.randrange(3000))
        target_name = place.targets[first // n_places]["name"]
        name = {
            "own": f"{target_name}党支部",
            "joint": f"{place.name}第{b + 1}联合党支部",
            "dispatched": f"{target_name}功能型党支部",
        }[mode]
        body = {
            "name": name,
            "kind": "branch",
            "region_id": str(demo_data.region_id(place.district)),
            "parent_id": place.committee,
            "formation": {"own": "single", "joint": "joint", "dispatched": "dispatched"}[mode],
            "founded_on": founded.isoformat(),
        }
        if mode == "joint":
            body["joint_mode"] = "area"
        city.branches.append(Branch(uid(), body, covers, mode, district=place.district))

    # Members: every branch has some; the rest go where the dice say.
    number = 0
    per_branch = [1] * n_branches
    for _ in range(spec.members - n_branches):
        per_branch[rng.randrange(n_branches)] += 1
    for branch, count in zip(city.branches, per_branch, strict=True):
        for _ in range(count):
            year = 1990 + rng.randrange(30)
            probationary = rng.random() < 0.08
            member: dict[str, Any] = {
                "id": uid(),
                "name": person(),
                "id_number": id_number(number),
                "organization_id": branch.id,
                "stage": "probationary_member" if probationary else "full_member",
            }
            if probationary:
                admitted = TODAY - timedelta(days=30 + rng.randrange(300))
                member |= {
                    "applied_on": (admitted - timedelta(days=900)).isoformat(),
                    "activist_on": (admitted - timedelta(days=800)).isoformat(),
                    "development_target_on": (admitted - timedelta(days=200)).isoformat(),
                    "admitted_on": admitted.isoformat(),
                }
            else:
                member |= {
                    "applied_on": f"{year}-03-01",
                    "activist_on": f"{year}-09-01",
                    "development_target_on": f"{year + 1}-10-01",
                    "admitted_on": f"{year + 2}-01-15",
                    "full_member_on": f"{year + 3}-01-15",
                }
            branch.members.append(member)
            number += 1

    # 三级包保 and instructors for some of the units without an organization.
    for n in free[: spec.targets // 100]:
        levels = (("village", "社区书记"), ("township", "街道党工委副书记"))
        level, position = levels[n % 2]
        city.responsibility.append(
            (
                n,
                {
                    "person_name": person(),
                    "level": level,
                    "position": position,
                    "first_secretary": level == "village",
                    "valid_from": "2024-01-01",
                },
            )
        )
    for n in free[spec.targets // 100 : spec.targets // 100 + spec.targets // 50]:
        city.instructors.append(
            (n, {"role": "instructor", "person_name": person(), "valid_from": "2024-03-01"})
        )
    return city


# -- loading through the services' APIs -------------------------------------------------------


class Refused(RuntimeError):
    pass


async def bounded(calls: Iterable[Awaitable[T]], limit: int = LOAD_CONCURRENCY) -> list[T]:
    """Await `calls` with at most `limit` running at once; the results in order."""
    semaphore = asyncio.Semaphore(limit)

    async def one(call: Awaitable[T]) -> T:
        async with semaphore:
            return await call

    return await asyncio.gather(*(one(c) for c in calls))


def cpu_seconds(roots: Iterable[int]) -> float:
    """CPU time (user + system, with reaped children) of `roots` and every process below
    them, and of this process: what a part cost, whatever else the machine was doing."""
    total = 0
    for root in roots:
        for pid in descendants(root):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += sum(int(f) for f in fields[11:15])
    own = os.times()
    return total / os.sysconf("SC_CLK_TCK") + own.user + own.system


@dataclass
class Loader:
    stack: Stack
    http: httpx.AsyncClient
    key: SigningKey
    pg: LocalCluster
    parts: dict[str, float] = field(default_factory=dict)
    parts_cpu: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    admin: str = ""

    def url(self, service: str) -> str:
        return self.stack.url(service)

    def mint(self, subject: str, roles: list[str], scopes: list[str], **claims: Any) -> str:
        return mint_token(
            self.key,
            issuer=f"{self.stack.gateway_url}/auth",
            audience="party-building",
            subject=subject,
            roles=roles,
            scopes=scopes,
            ttl_seconds=12 * 3600,
            extra=claims,
        )

    async def post(
        self, service: str, path: str, body: Any, token: str | None = None, **headers: str
    ) -> Any:
        for attempt in range(3):
            response = await self.http.post(
                f"{self.url(service)}{path}",
                json=body,
                headers={"Authorization": f"Bearer {token or self.admin}", **headers},
            )
            if response.status_code in (200, 201):
                return response.json()
            if response.status_code < 500 or attempt == 2:
                raise Refused(f"POST {service}{path} {response.status_code}: {response.text[:600]}")
            await asyncio.sleep(1 + attempt)
        raise AssertionError("unreachable")

    async def get(self, service: str, path: str, token: str | None = None, **params: Any) -> Any:
        response = await self.http.get(
            f"{self.url(service)}{path}",
            params=params,
            headers={"Authorization": f"Bearer {token or self.admin}"},
        )
        if response.status_code != 200:
            raise Refused(f"GET {service}{path} {response.status_code}: {response.text[:600]}")
        return response.json()

    def roots(self) -> list[int]:
        postmaster = int((self.pg.pgdata / "postmaster.pid").read_text().split()[0])
        return [*(p.pid for p in self.stack.processes.values()), postmaster]

    @contextlib.asynccontextmanager
    async def part(self, name: str, *, cpu: bool = True) -> AsyncIterator[None]:
        """Times a part of the load; `cpu=False` for a part running beside another (the CPU
        time is the enclosing part's, counted once)."""
        if name in self.parts:
            name = f"{name} (again)"
        # A password token lives an hour and a city's load takes longer: a new one a part.
        self.admin = await password_token(self.http, self.stack.gateway_url, "admin.city")
        print(f"  {name} …", flush=True)
        started, used = time.monotonic(), cpu_seconds(self.roots())
        yield
        self.parts[name] = round(time.monotonic() - started, 1)
        took = f"{self.parts[name]:.1f} s"
        if cpu:
            self.parts_cpu[name] = round(cpu_seconds(self.roots()) - used, 1)
            took += f", {self.parts_cpu[name]:.1f} CPU s"
        print(f"  {name}: {took}", flush=True)


async def load_city(loader: Loader, city: City) -> dict[str, Any]:
    """The demo city, then the generated one on top of it; returns what the screens need."""
    ld = loader
    service = await service_token(ld.stack.gateway_url, "gateway", "dev-service-secret")
    async with ld.part("demo city"):
        await load_demo(ld.url("org"), service)
        await load_demo_members(ld.url("member"), service)

    async with ld.part("regions"):
        for region in city.regions:  # parents first: one at a time, in order
            await ld.post("org", "/regions", region)
    async with ld.part("places"):
        await bounded(
            ld.post(
                "org",
                "/places",
                {
                    "id": p.id,
                    "name": p.name,
                    "kind": p.kind,
                    "level": p.level,
                    "region_id": str(demo_data.region_id(p.district)),
                },
            )
            for p in city.places
        )
    clients = {
        p.id: ld.mint(
            f"bench-park-system-{i:03d}",
            ["sync_client"],
            ["sync:write", "sync:read", "org:read"],
            places=[p.id],
        )
        for i, p in enumerate(city.places)
    }
    async with ld.part("buildings (/sync/places)"):
        await bounded(
            ld.post(
                "org",
                "/sync/places",
                p.buildings,
                clients[p.id],
                **{"Idempotency-Key": f"places-{p.id}"},
            )
            for p in city.places
        )
    target_ids: dict[str, str] = {}
    async with ld.part("work targets (/sync/work-targets, 5,000 a request)"):

        async def push(place: Place, start: int) -> None:
            batch = place.targets[start : start + 5000]
            result = await ld.post(
                "org",
                "/sync/work-targets",
                batch,
                clients[place.id],
                **{"Idempotency-Key": f"targets-{place.id}-{start}"},
            )
            if result["rejected"]:
                bad = [r for r in result["records"] if r["outcome"] == "rejected"][:3]
                raise Refused(f"work targets rejected: {bad}")
            for record, outcome in zip(batch, result["records"], strict=True):
                target_ids[record["credit_code"]] = str(outcome["id"])

        await bounded((push(p, s) for p in city.places for s in range(0, len(p.targets), 5000)), 4)
    ld.counts["work_targets"] = len(target_ids)

    def target(n: int) -> str:
        return target_ids[city.target_codes[n]]

    async with ld.part("organizations (/organizations/bulk, 500 a request)"):
        await ld.post("org", "/organizations/bulk", {"items": city.committees})
        bodies = []
        for b in city.branches:
            body = {"id": b.id, **b.body}
            if b.mode == "dispatched":
                body["serves_work_target_id"] = target(b.covers[0])
            bodies.append(body)
        await bounded(
            (
                ld.post("org", "/organizations/bulk", {"items": bodies[i : i + 500]})
                for i in range(0, len(bodies), 500)
            ),
            2,
        )
    ld.counts["organizations"] = len(city.committees) + len(city.branches)
    secretaries = {
        b.id: next(m for m in b.members if m["stage"] == "full_member")
        for b in city.branches
        if any(m["stage"] == "full_member" for m in b.members)
    }

    async def coverage() -> None:
        async with ld.part(
            "coverage links (/work-targets/coverage/bulk, 1,000 a request), 三级包保 and "
            "instructors (one request each)",
            cpu=False,
        ):
            links = [
                {
                    "work_target_id": target(n),
                    "organization_id": b.id,
                    "mode": b.mode,
                    "valid_from": max(b.body["founded_on"], city.target_registered[n]),
                }
                for b in city.branches
                for n in b.covers
            ]
            await bounded(
                (
                    ld.post("org", "/work-targets/coverage/bulk", {"items": links[i : i + 1000]})
                    for i in range(0, len(links), 1000)
                ),
                2,
            )
            await bounded(
                ld.post("org", "/responsibility-assignments", {**body, "work_target_id": target(n)})
                for n, body in city.responsibility
            )
            await bounded(
                ld.post("org", "/instructor-assignments", {**body, "work_target_id": target(n)})
                for n, body in city.instructors
            )
        ld.counts["coverage_links"] = sum(len(b.covers) for b in city.branches)

    async def people() -> None:
        async with ld.part("members (/members/bulk, 500 a request)", cpu=False):
            members = [m for b in city.branches for m in b.members]
            await bounded(
                (
                    ld.post("member", "/members/bulk", {"items": members[i : i + 500]})
                    for i in range(0, len(members), 500)
                ),
                4,
            )
        ld.counts["members"] = len(members)
        async with ld.part("secretary terms (/secretary-terms/bulk, 500 a request)", cpu=False):
            term_start = date(LAST_YEAR - 1, 1, 1).isoformat()
            terms = [
                {"member_id": m["id"], "organization_id": b, "term_start": term_start}
                for b, m in secretaries.items()
            ]
            await bounded(
                (
                    ld.post("member", "/secretary-terms/bulk", {"items": terms[i : i + 500]})
                    for i in range(0, len(terms), 500)
                ),
                2,
            )
        ld.counts["secretary_terms"] = len(secretaries)

    # org-service's part and member-service's run side by side: each service is one process.
    async with ld.part("coverage (org-service) beside members and terms (member-service)"):
        await asyncio.gather(coverage(), people())

    screen = await load_screens(ld, city, secretaries, ballot_pairs_needed(city.size))
    async with ld.part("events delivered"):
        await settled(ld.stack)

    async def ledger() -> None:
        async with ld.part("a year of ledger (budgets, period runs)", cpu=False):
            await load_ledger(ld)

    async def ratings() -> None:
        async with ld.part("ratings of last year (sheets, close, organization ratings)", cpu=False):
            await load_ratings(ld, city, secretaries)

    async with ld.part("ledger (funding-service) beside ratings (rating-service)"):
        await asyncio.gather(ledger(), ratings())
    async with ld.part("events delivered"):
        await settled(ld.stack)
    async with ld.part("vacuum and analyze (what autovacuum does after such an import)"):
        await vacuumed(ld.stack)
    return screen


async def load_screens(
    ld: Loader, city: City, secretaries: dict[str, dict[str, Any]], needed: int
) -> dict[str, Any]:
    """What the screens show beyond the city: a larger demo branch with posts, a year of
    activities, an open campaign over it (the secretary's ballots to cast) and one over a
    park committee of another district (the ballots the ballot screen casts)."""
    branch = str(demo_data.organization_id(demo_data.DEMO_BRANCH))
    async with ld.part("the demo branch: members, posts, activities, attendance"):
        extra = [
            {
                "name": f"盈科党员{i:03d}",
                "id_number": id_number(5_000_000 + i),
                "organization_id": branch,
                "stage": "full_member",
                "applied_on": "2005-03-01",
                "activist_on": "2005-09-01",
                "development_target_on": "2006-10-01",
                "admitted_on": "2007-01-15",
                "full_member_on": "2008-01-15",
            }
            for i in range(40)
        ]
        await ld.post("member", "/members/bulk", {"items": extra})
        members = (
            await ld.get(
                "member", "/members", organization_id=branch, limit=200, stage="full_member"
            )
        )["items"]
        await bounded(
            ld.post(
                "member",
                f"/members/{m['id']}/posts",
                {
                    "kind": ("integrity", "civility", "shock", "tackling")[i % 4],
                    "title": "诚信服务窗口",
                    "started_on": "2025-01-01",
                },
            )
            for i, m in enumerate(members)
            if i % 3 == 0
        )
        # 党小组: the demo member's group of ten attends them all (each attendance is an
        # entry in ten archives).
        demo_member = str(demo_data.demo_id("member", "member.demo"))
        group = [demo_member, *[m["id"] for m in members if m["id"] != demo_member][:9]]
        activities = []
        for months_ago in range(24):
            first = date(TODAY.year, TODAY.month, 1) - timedelta(days=30 * months_ago)
            held = min(first.replace(day=15), TODAY - timedelta(days=1))
            activities.append(("themed_party_day", "主题党日", held))
            activities.append(("group_meeting", "党小组会", held - timedelta(days=7)))
            if held.month % 3 == 0:
                activities.append(("member_meeting", "支部党员大会", held - timedelta(days=3)))
                activities.append(("party_lesson", "党课", held - timedelta(days=2)))

        async def activity(kind: str, title: str, held: date) -> None:
            created = await ld.post(
                "member",
                "/activities",
                {
                    "organization_id": branch,
                    "kind": kind,
                    "title": f"{held:%Y年%m月}{title}",
                    "held_on": held.isoformat(),
                },
            )
            await ld.post(
                "member",
                f"/activities/{created['id']}/attendance",
                {"records": [{"member_id": m, "status": "present"} for m in group]},
            )

        await bounded((activity(*a) for a in activities), 4)

    async with ld.part("open campaigns (the secretary's ballots, the ballot screen's)"):
        closes = (datetime.now(UTC) + timedelta(days=30)).isoformat()
        own = await ld.post(
            "rating",
            "/campaigns",
            {
                "name": f"{demo_data.DEMO_BRANCH}{TODAY.year}年度四方评议",
                "organization_id": branch,
                "period_start": f"{TODAY.year}-01-01",
                "period_end": f"{TODAY.year}-12-31",
                "closes_at": closes,
            },
        )
        committee = str(
            demo_data.organization_id(f"{BALLOT_DISTRICT}非公有制经济组织和社会组织党工委")
        )
        campaign = await ld.post(
            "rating",
            "/campaigns",
            {
                "name": f"{BALLOT_DISTRICT}{TODAY.year}年度四方评议",
                "organization_id": committee,
                "period_start": f"{TODAY.year}-01-01",
                "period_end": f"{TODAY.year}-12-31",
                "closes_at": closes,
            },
        )
        criteria = tuple(campaign["criteria"])
        pairs: list[BallotPair] = []
        tokens: dict[str, str] = {}

        def token(member: dict[str, Any], branch_id: str, role: str) -> str:
            key = f"{role}:{member['id']}"
            if key not in tokens:
                scopes = ["org:read", "member:read", "rating:read", "rating:vote"]
                tokens[key] = ld.mint(
                    f"bench-{role}-{member['id']}",
                    [role],
                    scopes,
                    name=member["name"],
                    org_id=branch_id,
                    member_id=member["id"],
                )
            return tokens[key]

        for b in city.branches:
            if b.district != BALLOT_DISTRICT or len(pairs) >= needed:
                continue
            secretary = secretaries.get(b.id)
            for subject in b.members:
                if secretary and subject is not secretary:
                    pairs.append(
                        BallotPair(
                            token(secretary, b.id, "secretary"),
                            subject["id"],
                            "secretary",
                            scores_for(criteria, len(pairs)),
                        )
                    )
                for evaluator in b.members:
                    if evaluator is not subject and evaluator is not secretary:
                        pairs.append(
                            BallotPair(
                                token(evaluator, b.id, "member"),
                                subject["id"],
                                "members",
                                scores_for(criteria, len(pairs)),
                            )
                        )
        if len(pairs) < needed:
            raise Refused(f"only {len(pairs)} ballot pairs in {BALLOT_DISTRICT}, {needed} needed")
    return {
        "branch": branch,
        "own_campaign": own["id"],
        "campaign": campaign["id"],
        "criteria": criteria,
        "pairs": pairs[:needed],
    }


async def load_ledger(ld: Loader) -> None:
    """Budgets of both fiscal years the last twelve months span, then the period runs."""
    lines = ("per_member_funds", "secretary_allowance")
    await bounded(
        ld.post(
            "funding",
            "/budgets",
            {
                "fiscal_year": year,
                "level": "district",
                "region_id": str(demo_data.region_id(d)),
                "budget_line": line,
                "amount_fen": 50_000_000_000,
            },
            **{"Idempotency-Key": f"budget-{year}-{demo_data.region_id(d)}-{line}"},
        )
        for year in (LAST_YEAR, TODAY.year)
        for d in DISTRICTS
        for line in lines
    )
    runs = [("per_member_funds", str(LAST_YEAR))]
    month = date(TODAY.year, TODAY.month, 1)
    for _ in range(12):
        month = (month - timedelta(days=1)).replace(day=1)
        runs.append(("secretary_allowance", f"{month:%Y-%m}"))
    for kind, period in sorted(runs, key=lambda r: r[1]):
        await ld.post(
            "funding",
            "/period-runs",
            {"kind": kind, "period": period},
            **{"Idempotency-Key": f"run-{kind}-{period}"},
        )
    ld.counts["period_runs"] = len(runs)


async def load_ratings(ld: Loader, city: City, secretaries: dict[str, dict[str, Any]]) -> None:
    """Last year's four-party evaluation of every district: each secretary casts one ballot
    sheet for their branch; closed, it gives members their star levels. Organization ratings
    of one branch in ten and of the demo branch."""
    closes = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    campaigns = await bounded(
        (
            ld.post(
                "rating",
                "/campaigns",
                {
                    "name": f"{d}{LAST_YEAR}年度四方评议",
                    "organization_id": str(
                        demo_data.organization_id(f"{d}非公有制经济组织和社会组织党工委")
                    ),
                    "period_start": f"{LAST_YEAR}-01-01",
                    "period_end": f"{LAST_YEAR}-12-31",
                    "closes_at": closes,
                    "five_star_cap_percent": None,
                },
            )
            for d in DISTRICTS
        ),
        2,
    )
    by_district = dict(zip(DISTRICTS, campaigns, strict=True))
    scopes = ["org:read", "member:read", "rating:read", "rating:vote"]
    sheets = 0

    async def sheet(b: Branch, secretary: dict[str, Any]) -> None:
        nonlocal sheets
        campaign = by_district[b.district]
        ballots = [
            {
                "member_id": m["id"],
                "party": "secretary",
                "scores": {
                    c: 55 + (i * 11 + j * 7) % 45 for j, c in enumerate(campaign["criteria"])
                },
            }
            for i, m in enumerate(b.members)
            if m is not secretary
        ]
        if not ballots:
            return
        token = ld.mint(
            f"bench-secretary-{secretary['id']}",
            ["secretary"],
            scopes,
            name=secretary["name"],
            org_id=b.id,
            member_id=secretary["id"],
        )
        for start in range(0, len(ballots), 100):
            await ld.post(
                "rating",
                f"/campaigns/{campaign['id']}/ballot-sheets",
                {"ballots": ballots[start : start + 100]},
                token,
            )
            sheets += 1

    await bounded(sheet(b, secretaries[b.id]) for b in city.branches if b.id in secretaries)
    # The demo branch's secretary evaluates its members too.
    demo = str(demo_data.organization_id(demo_data.DEMO_BRANCH))
    secretary_demo = await password_token(ld.http, ld.stack.gateway_url, "secretary.demo")
    me = str(demo_data.demo_id("member", "secretary.demo"))
    roll = await ld.get(
        "rating",
        f"/campaigns/{by_district['南关区']['id']}/evaluable-members",
        secretary_demo,
        organization_id=demo,
        limit=200,
    )
    ballots = [
        {
            "member_id": r["member_id"],
            "party": "secretary",
            "scores": {c: 60 + (i * 7) % 40 for c in by_district["南关区"]["criteria"]},
        }
        for i, r in enumerate(roll["items"])
        if r["member_id"] != me and "secretary" in r["parties"]
    ]
    if ballots:
        await ld.post(
            "rating",
            f"/campaigns/{by_district['南关区']['id']}/ballot-sheets",
            {"ballots": ballots[:100]},
            secretary_demo,
        )
    ld.counts["ballot_sheets"] = sheets + 1
    await bounded((ld.post("rating", f"/campaigns/{c['id']}/close", None) for c in campaigns), 1)
    scheme = (await ld.get("rating", "/rating-schemes"))["items"][0]
    points = {i["code"]: i["max_points"] for a in scheme["areas"] for i in a["indicators"]}
    rated = [demo] + [b.id for b in city.branches[::10]]
    await bounded(
        ld.post(
            "rating",
            "/organization-ratings",
            {
                "organization_id": o,
                "indicator_points": {
                    k: v * (0.6 + 0.4 * ((n * 7) % 10) / 10) for k, v in points.items()
                },
                "showcase_criteria": {
                    "standardized": True,
                    "visualized": n % 2 == 0,
                    "signature_method": n % 3 == 0,
                    "innovative_project": n % 5 == 0,
                    "culture": True,
                },
            },
        )
        for n, o in enumerate(rated)
    )
    ld.counts["organization_ratings"] = len(rated)


async def vacuumed(stack: Stack) -> None:
    """Every service's database vacuumed and analyzed, as autovacuum would leave it some time
    after a city's import: the screens are measured in that steady state, not beside
    autovacuum's workers catching up on a million fresh rows."""
    for url in plain_database_urls(stack):
        connection = await asyncpg.connect(url)
        try:
            await connection.execute("VACUUM (ANALYZE)")
        finally:
            await connection.close()


def plain_database_urls(stack: Stack) -> list[str]:
    """Each service's database, as asyncpg connects to it."""
    return [
        stack.database_url(app).replace("postgresql+asyncpg://", "postgresql://")
        for app in stack.apps
        if app.database is not None
    ]


async def settled(stack: Stack, within: float = 1800) -> None:
    """Until every service's outbox has delivered everything (nothing disturbs the timing)."""
    deadline = time.monotonic() + within
    while True:
        pending = 0
        for url in plain_database_urls(stack):
            connection = await asyncpg.connect(url)
            try:
                pending += await connection.fetchval(
                    "SELECT count(*) FROM outbox_delivery WHERE status = 'pending'"
                )
            finally:
                await connection.close()
        if pending == 0:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{pending} event deliveries still pending")
        await asyncio.sleep(1.0)


async def password_token(http: httpx.AsyncClient, gateway_url: str, username: str) -> str:
    response = await http.post(
        f"{gateway_url}/auth/token",
        data={"grant_type": "password", "username": username, "password": "demo"},
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


# -- pinning ----------------------------------------------------------------------------------


def pin(stack: Stack, pg: LocalCluster) -> dict[str, Any]:
    """The stack (its five processes and PostgreSQL) on CPU 0, this process on CPU 1; on a
    machine with one CPU, nothing is pinned."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return {"pinned": False, "reason": f"only CPUs {cpus} available"}
    stack_cpu, bench_cpu = cpus[0], cpus[1]
    pids = [p.pid for p in stack.processes.values()]
    postmaster = int((pg.pgdata / "postmaster.pid").read_text().split()[0])
    pinned, refused = 0, 0
    for root in [*pids, postmaster]:
        for pid in descendants(root):
            if set_affinity(pid, {stack_cpu}):
                pinned += 1
            else:
                refused += 1
    os.sched_setaffinity(0, {bench_cpu})
    return {
        "pinned": True,
        "stack_cpu": stack_cpu,
        "benchmark_cpu": bench_cpu,
        "stack_processes_pinned": pinned,
        "not_pinned": refused,
    }


def unpin(previous: set[int]) -> None:
    os.sched_setaffinity(0, previous)


# -- measuring --------------------------------------------------------------------------------


async def gateway_calls(http: httpx.AsyncClient, gateway_url: str) -> int:
    text = (await http.get(f"{gateway_url}/metrics")).text
    return int(
        sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith("gateway_upstream_requests_total{")
        )
    )


async def check_same(screen: Screen, targets: dict[str, Target]) -> dict[str, Any]:
    """Every target's view of the screen, checked equal to the first's (else ScreenMismatch)."""
    views = {name: (await t.fetch())[0] for name, t in targets.items()}
    first_name, first = next(iter(views.items()))
    for name, view in views.items():
        if not screen.same(first, view):
            raise ScreenMismatch(
                f"{screen.name}: {name} disagrees with {first_name}:\n"
                f"  {first_name}: {first}\n  {name}: {view}"
            )
    return first  # type: ignore[no-any-return]


@dataclass
class Outcome:
    label: str
    target: Target
    concurrent: list[float]
    elapsed: float
    sequential: list[float]
    calls_per_screen: float
    failures: int
    first_failure: str | None
    rss_mb: float | None


async def measure_target(
    label: str,
    target: Target,
    ctx: ScreenContext,
    counts: tuple[int, int, int],
    rss_of: Callable[[], float | None],
) -> Outcome:
    requests, sequential_runs, warmup = counts
    client_calls = 0
    failures = 0
    first_failure: str | None = None

    async def once() -> None:
        nonlocal client_calls, failures, first_failure
        try:
            _, calls = await target.fetch()
        except (ScreenMismatch, httpx.HTTPError, LookupError) as exc:
            failures += 1
            first_failure = first_failure or f"{type(exc).__name__}: {exc}"[:300]
            return
        client_calls += calls

    before = await gateway_calls(ctx.http, ctx.gateway_url)
    timings, elapsed = await concurrently(once, clients=CLIENTS, requests=requests, warmup=warmup)
    after = await gateway_calls(ctx.http, ctx.gateway_url)
    done = requests + warmup
    calls = (after - before) / done if target.calls_counted_by == "gateway" else client_calls / done
    rss = rss_of()
    sequential, _ = await measure(once, runs=sequential_runs, warmup=0)
    return Outcome(label, target, timings, elapsed, sequential, calls, failures, first_failure, rss)


def round_share(counts: tuple[int, int, int], round_: int) -> tuple[int, int, int]:
    """This round's part of (at 50 clients, at one client, warm-up): the requests split
    between the rounds, each round warmed up in full."""
    concurrent, single, warmup = counts
    return (
        concurrent // ROUNDS + (round_ < concurrent % ROUNDS),
        single // ROUNDS + (round_ < single % ROUNDS),
        warmup,
    )


def merged(parts: list[Outcome]) -> Outcome:
    """One way's rounds as one outcome: every timing, the rounds' wall time added up."""
    rss = [p.rss_mb for p in parts if p.rss_mb is not None]
    timed = sum(len(p.concurrent) for p in parts)
    return Outcome(
        parts[0].label,
        parts[0].target,
        [t for p in parts for t in p.concurrent],
        sum(p.elapsed for p in parts),
        [t for p in parts for t in p.sequential],
        sum(p.calls_per_screen * len(p.concurrent) for p in parts) / timed if timed else 0.0,
        sum(p.failures for p in parts),
        next((p.first_failure for p in parts if p.first_failure), None),
        max(rss) if rss else None,
    )


def measurements(
    screen: Screen, outcomes: list[Outcome], size: str, ours: str
) -> list[Measurement]:
    """Two rows per target (×50, ×1); every row beside our gateway's of the same kind, and
    our gateway's beside the REST client's."""
    rows: dict[tuple[str, str], Measurement] = {}
    for o in outcomes:
        p50, p95, _ = summary(o.concurrent)
        s50, s95, s_rate = summary(o.sequential)
        base = {"screen": screen.name, "target": o.label, "failed_screens": o.failures}
        if o.first_failure:
            base["first_failure"] = o.first_failure
        rows[(o.label, "many")] = Measurement(
            scenario=f"{screen.name}: {o.target.name} ×{CLIENTS}",
            size=size,
            runs=len(o.concurrent),
            p50_ms=p50,
            p95_ms=p95,
            throughput_per_s=len(o.concurrent) / o.elapsed,
            peak_rss_mb=o.rss_mb,
            extra={
                **base,
                "clients": CLIENTS,
                "backend_calls_per_screen": round(o.calls_per_screen, 2),
            },
        )
        rows[(o.label, "one")] = Measurement(
            scenario=f"{screen.name}: {o.target.name} ×1",
            size=size,
            runs=len(o.sequential),
            p50_ms=s50,
            p95_ms=s95,
            throughput_per_s=s_rate,
            extra={**base, "clients": 1},
        )
    # The ratio is always ours / the other (p50): below 1, our gateway answers sooner. Our
    # gateway's rows stand beside the REST client's, every other row beside ours.
    for (label, kind), row in rows.items():
        other = "rest" if label == ours else ours
        if (other, kind) not in rows:
            continue
        beside = rows[(other, kind)]
        row.compared_with = beside.scenario.split(": ", 1)[1]
        row.comparison_p50_ms = beside.p50_ms
        mine, theirs = (row, beside) if label == ours else (beside, row)
        row.ratio = mine.p50_ms / theirs.p50_ms if theirs.p50_ms else None
        row.extra["ratio_is"] = "ours / this" if label != ours else "ours / REST"
        if theirs.throughput_per_s:
            row.extra["throughput_ratio_ours_over_other"] = round(
                mine.throughput_per_s / theirs.throughput_per_s, 3
            )
    return list(rows.values())


def load_peer() -> tuple[Any, Callable[[], float | None]]:
    """bench/peer.py's `peer_targets`, if there is one, and its `peer_rss_mb` (the peer
    gateway's peak RSS, if it provides one)."""
    if not (Path(__file__).resolve().parent / "peer.py").exists():
        return None, lambda: None
    module = importlib.import_module("peer")
    return getattr(module, "peer_targets", None), getattr(module, "peer_rss_mb", lambda: None)


# -- the run ----------------------------------------------------------------------------------


async def start_stack(pg: LocalCluster, data_dir: Path, env: dict[str, str]) -> Stack:
    """The five processes on five free ports; again on others when a port was taken
    meanwhile (the machine is shared)."""
    for attempt in range(3):
        stack = Stack(
            server_url=pg.url(),
            data_dir=data_dir,
            apps=default_apps(free_ports(5)),
            extra_env=env,
        )
        if attempt == 0:
            await stack.prepare_databases()
        stack.start()
        try:
            await stack.wait_ready(within=180)
            return stack
        except (RuntimeError, TimeoutError):
            stack.stop()
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


async def run(size: str, screen_names: list[str], use_peer: bool) -> None:
    started_all = time.monotonic()
    generated_at = time.monotonic()
    city = generate(size)
    generate_s = round(time.monotonic() - generated_at, 1)
    print(
        f"generated ({size}): {sum(len(p.targets) for p in city.places):,} work targets, "
        f"{len(city.committees) + len(city.branches):,} organizations, {city.members:,} members "
        f"in {generate_s} s",
        flush=True,
    )
    peer, peer_rss = load_peer() if use_peer else (None, lambda: None)
    previous_affinity = os.sched_getaffinity(0)
    results: list[Measurement] = []
    with cluster() as pg:
        data_dir = Path(tempfile.mkdtemp(prefix="pb-bench-system-"))
        quiet = {
            f"{p}LOG_LEVEL": "WARNING"
            for p in ("GATEWAY_", "ORG_", "MEMBER_", "FUNDING_", "RATING_")
        }
        # Saturation is measured, not survived: no timeouts or open circuits cut it short
        # (the services' pools queue the load; failed screens are counted all the same).
        patient = {"GATEWAY_HTTP_TIMEOUT_SECONDS": "60", "GATEWAY_CIRCUIT_BREAKER_FAILURES": "0"}
        stack = await start_stack(pg, data_dir, {**quiet, **patient, "PYTHONUNBUFFERED": "1"})
        try:
            limits = httpx.Limits(
                max_connections=CLIENTS * 4,
                max_keepalive_connections=CLIENTS * 4,
                keepalive_expiry=2.0,
            )
            async with httpx.AsyncClient(timeout=120.0, limits=limits) as http:
                key = SigningKey.load_or_create(data_dir / "issuer" / "signing-key.pem")
                loader = Loader(stack, http, key, pg)
                print(f"loading ({size}) through the services' APIs:", flush=True)
                load_started = time.monotonic()
                screen_data = await load_city(loader, city)
                load_s = round(time.monotonic() - load_started, 1)
                print(f"loaded in {load_s:.0f} s", flush=True)
                ctx = ScreenContext(
                    http=http,
                    gateway_url=stack.gateway_url,
                    service_urls={n: stack.url(n) for n in ("org", "member", "funding", "rating")},
                    tokens={
                        role: await password_token(http, stack.gateway_url, user)
                        for role, user in (
                            ("secretary", "secretary.demo"),
                            ("member", "member.demo"),
                            ("district_admin", "admin.erdao"),
                            ("city_admin", "admin.city"),
                        )
                    },
                    branch_id=screen_data["branch"],
                    member_id=str(demo_data.demo_id("member", "member.demo")),
                    district_id=str(demo_data.region_id(COVERAGE_DISTRICT)),
                    campaign_id=screen_data["campaign"],
                    criteria=screen_data["criteria"],
                    today=TODAY,
                    next_ballot=ballot_supply(screen_data["pairs"]),
                )
                async with contextlib.AsyncExitStack() as exits:
                    peers: dict[str, Target] = {}
                    if peer is not None:
                        peers = await exits.enter_async_context(peer(ctx, stack))
                    pinning = pin(stack, pg)
                    print(f"pinning: {pinning}", flush=True)
                    gateway_pid = stack.processes["gateway"].pid
                    rss_readers: dict[str, Callable[[], float | None]] = {
                        "gateway": lambda: peak_rss_mb(gateway_pid),
                        "peer": peer_rss,
                    }
                    seen: dict[str, Any] = {}
                    for name in screen_names:
                        screen = SCREENS[name]
                        targets = {"gateway": screen.gateway(ctx), "rest": screen.rest(ctx)}
                        if name in peers:
                            targets["peer"] = peers[name]
                        seen[name] = await check_same(screen, targets)
                        print(f"{name}: the {len(targets)} ways agree", flush=True)
                        parts: dict[str, list[Outcome]] = {label: [] for label in targets}
                        ways = list(targets.items())
                        for round_ in range(ROUNDS):
                            for label, target in ways if round_ % 2 == 0 else ways[::-1]:
                                parts[label].append(
                                    await measure_target(
                                        label,
                                        target,
                                        ctx,
                                        round_share(requests_for(size, screen), round_),
                                        rss_readers.get(label, lambda: None),
                                    )
                                )
                        outcomes = []
                        for label in targets:
                            outcome = merged(parts[label])
                            outcomes.append(outcome)
                            p50, _, _ = summary(outcome.concurrent)
                            print(
                                f"  {label:<8} ×{CLIENTS}: "
                                f"{len(outcome.concurrent) / outcome.elapsed:7.1f}/s "
                                f"p50 {p50:7.1f} ms, {outcome.calls_per_screen:.1f} calls, "
                                f"{outcome.failures} failed",
                                flush=True,
                            )
                        results += measurements(screen, outcomes, size, "gateway")
                    unpin(previous_affinity)
        finally:
            unpin(previous_affinity)
            stack.stop()
            shutil.rmtree(data_dir, ignore_errors=True)
    load_avg = os.getloadavg()
    report(
        "system",
        results,
        {
            "size": size,
            "screens": screen_names,
            "clients": CLIENTS,
            "requests": {
                name: dict(
                    zip(
                        ("at_50_clients", "at_1_client", "warmup"),
                        requests_for(size, SCREENS[name]),
                        strict=True,
                    )
                )
                for name in screen_names
            },
            "data": {
                **loader.counts,
                "work_targets_generated": len(city.target_codes),
                "members_generated": city.members,
            },
            "load_seconds": {"total": load_s, **loader.parts, "generate": generate_s},
            # CPU seconds of the stack, PostgreSQL and this process per part: on a shared
            # machine the wall-clock time says as much about the neighbours.
            "load_cpu_seconds": {
                "total": round(sum(loader.parts_cpu.values()), 1),
                **loader.parts_cpu,
            },
            "pinning": pinning,
            "peer": "bench/peer.py" if peers else None,
            "views": {k: summarize_view(v) for k, v in seen.items()},
            "gateway_settings": patient,
            "load_average_after": [round(x, 2) for x in load_avg],
            "total_seconds": round(time.monotonic() - started_all, 1),
        },
    )
    print(
        f"pinning: {pinning}\nload: {load_s:.0f} s, "
        f"{sum(loader.parts_cpu.values()):.0f} CPU s ({loader.parts})\n"
        f"load average: {load_avg[0]:.2f} {load_avg[1]:.2f} {load_avg[2]:.2f}",
        flush=True,
    )
    failed = sum(m.extra.get("failed_screens", 0) for m in results)
    if failed:
        print(f"failed screens: {failed}", flush=True)


def summarize_view(view: Any) -> Any:
    """A short account of a screen's view for the report (sizes, not contents)."""
    if isinstance(view, dict):
        return {k: (len(v) if isinstance(v, list) else v) for k, v in view.items()}
    return view


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", choices=sorted(SIZES), default="city")
    parser.add_argument(
        "--screens", default=",".join(SCREENS), help=f"comma-separated, of {','.join(SCREENS)}"
    )
    parser.add_argument("--no-peer", action="store_true", help="ignore bench/peer.py")
    args = parser.parse_args()
    names = [s.strip() for s in args.screens.split(",") if s.strip()]
    unknown = [n for n in names if n not in SCREENS]
    if unknown:
        parser.error(f"unknown screens: {unknown}")
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    asyncio.run(run(args.size, names, not args.no_peer))


if __name__ == "__main__":
    main()
