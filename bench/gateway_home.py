"""The mini-program's home screen of a secretary at 50 concurrent clients: through the gateway
(one GraphQL request, the registered query sent by its hash) beside the same data fetched by a
client that calls the services' REST endpoints directly (their batch endpoints, independent
calls in parallel), in the same run against the same processes.

Run: `make bench-gateway` (or `.venv/bin/python bench/gateway_home.py --size city`).

The whole system runs as in `make run` (devstack: five processes, the gateway's built-in
issuer, the relays), on a throwaway PostgreSQL. The screen: the secretary's organization
with member counts, secretary, star level and funds; its first 50 members with their star
levels and the posts they hold; the ballots the secretary may still cast. Before timing, the
two ways are checked to return the same screen.

Each way of fetching the screen is a `Target`; the peer gateway (Hive Gateway serving a
GraphQL Mesh supergraph of the services, bench/peer.py) is the third, on the same data.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Measurement, cluster, concurrently, measure, peak_rss_mb, report, summary
from peer import NAME as PEER_NAME
from peer import PeerGateway, home_fetch

import demo_data
from devstack.seed import load_demo, load_demo_members, service_token
from devstack.stack import Stack, default_apps
from gateway.persisted import query_hash
from gateway.settings import GatewaySettings
from member_service.members.id_numbers import check_character
from service_kit.pgcluster import free_port, port_in_use

SIZES = {
    # members added to the secretary's branch, other branches, members in each
    "small": (40, 50, 20),
    "city": (40, 1_000, 50),
}
CLIENTS = 50
REQUESTS = 1_000
SEQUENTIAL = 200
SCREEN_MEMBERS = 50
BRANCH = str(demo_data.organization_id(demo_data.DEMO_BRANCH))
HOME_FILE = GatewaySettings().persisted_queries_dir / "secretary_home.graphql"  # type: ignore[operator]
HOME_HASH = query_hash(HOME_FILE.read_text(encoding="utf-8"))
TODAY = date.today().isoformat()


def id_number(i: int) -> str:
    """The i-th distinct ID number: 500 a day from 1 January 1960."""
    birth = date(1960, 1, 1) + timedelta(days=i // 500)
    first17 = f"220102{birth:%Y%m%d}{(i % 500) * 2 + 1:03d}"
    return first17 + check_character(first17)


def full_member(name: str, number: int, organization_id: str) -> dict[str, Any]:
    return {
        "name": name,
        "id_number": id_number(number),
        "organization_id": organization_id,
        "stage": "full_member",
        "applied_on": "2005-03-01",
        "activist_on": "2005-09-01",
        "development_target_on": "2006-10-01",
        "admitted_on": "2007-01-15",
        "full_member_on": "2008-01-15",
    }


# -- the screen, as both ways of fetching it see it -------------------------------------------


def screen_view(
    organization: dict[str, Any],
    counts: dict[str, Any],
    secretary: str | None,
    stars: int | None,
    total_fen: int,
    members: list[tuple[str, int | None, int]],
    pending: int,
) -> dict[str, Any]:
    """What the screen shows, in one comparable shape."""
    return {
        "organization": organization["name"],
        "counts": (counts["full_members"], counts["probationary_members"]),
        "secretary": secretary,
        "stars": stars,
        "total_fen": total_fen,
        "members": sorted(members),
        "pending": pending,
    }


@dataclass
class Target:
    """A way of fetching the home screen: returns the screen and the backend calls it made
    (a gateway's calls are counted at its /metrics instead)."""

    name: str
    fetch: Callable[[], Awaitable[tuple[dict[str, Any], int]]]
    calls_counted_by: str  # "gateway" or "client"


def gateway_target(http: httpx.AsyncClient, token: str) -> Target:
    async def fetch() -> tuple[dict[str, Any], int]:
        response = await http.post(
            "/graphql",
            json={"extensions": {"persistedQuery": {"version": 1, "sha256Hash": HOME_HASH}}},
            headers={"Authorization": f"Bearer {token}"},
        )
        body = response.json()
        if response.status_code != 200 or body.get("errors"):
            raise RuntimeError(
                f"gateway answered {response.status_code}: {body.get('errors', [])[:3]}"
            )
        org = body["data"]["me"]["organization"]
        view = screen_view(
            org,
            {
                "full_members": org["memberCounts"]["fullMembers"],
                "probationary_members": org["memberCounts"]["probationaryMembers"],
            },
            org["secretary"]["name"] if org["secretary"] else None,
            org["starRating"]["stars"] if org["starRating"] else None,
            org["fundingBalance"]["totalFen"],
            [
                (m["name"], m["starRating"]["stars"] if m["starRating"] else None, len(m["posts"]))
                for m in org["members"]["nodes"]
            ],
            len(body["data"]["me"]["pendingBallots"]),
        )
        return view, 0  # counted at the gateway's /metrics

    return Target("gateway: GraphQL, one request", fetch, "gateway")


def rest_target(urls: dict[str, str], http: httpx.AsyncClient, token: str) -> Target:
    """The best a client can do without the gateway: batch endpoints, parallel calls."""
    headers = {"Authorization": f"Bearer {token}"}

    async def fetch() -> tuple[dict[str, Any], int]:
        calls = 0

        async def get(service: str, path: str, **params: Any) -> Any:
            nonlocal calls
            calls += 1
            response = await http.get(f"{urls[service]}{path}", params=params, headers=headers)
            response.raise_for_status()
            return response.json()

        async def all_pages(service: str, path: str, **params: Any) -> list[Any]:
            items: list[Any] = []
            after = None
            while True:
                page = await get(
                    service, path, limit=200, **({"after": after} if after else {}), **params
                )
                items += page["items"]
                after = page.get("next_cursor")
                if not after:
                    return items

        async def pending_ballots() -> int:
            campaigns = await all_pages("rating", "/campaigns", status="open")
            rolls = await asyncio.gather(
                *(
                    all_pages("rating", f"/campaigns/{c['id']}/evaluable-members")
                    for c in campaigns
                    if c["voting_open"]
                )
            )
            pending = [r for roll in rolls for r in roll if not r["ballot_cast"] and r["parties"]]
            if pending:
                names = ",".join(sorted({r["member_id"] for r in pending}))
                await get("member", "/members", ids=names)
            return len(pending)

        organizations, counts, terms, levels, accounts, members, pending = await asyncio.gather(
            get("org", "/organizations", ids=BRANCH),
            get("member", "/member-counts", organization_ids=BRANCH, as_of=TODAY),
            get(
                "member",
                "/secretary-terms",
                organization_ids=BRANCH,
                **{"from": TODAY, "to": TODAY},
            ),
            get("rating", "/star-levels", subject_kind="organization", ids=BRANCH),
            all_pages("funding", "/accounts", organization_id=BRANCH),
            get("member", "/members", organization_id=BRANCH, limit=SCREEN_MEMBERS),
            pending_ballots(),
        )
        ids = ",".join(m["id"] for m in members["items"])
        member_levels, posts = await asyncio.gather(
            get("rating", "/star-levels", subject_kind="member", ids=ids),
            get("member", "/member-posts", member_ids=ids, held_on=TODAY, limit=200),
        )
        stars = {level["subject_id"]: level["stars"] for level in member_levels["items"]}
        held: dict[str, int] = {}
        for post in posts["items"]:
            held[post["member_id"]] = held.get(post["member_id"], 0) + 1
        view = screen_view(
            organizations["items"][0],
            counts["items"][0],
            terms["items"][-1]["name"] if terms["items"] else None,
            levels["items"][0]["stars"] if levels["items"] else None,
            sum(a["balance_fen"] for a in accounts if a["kind"] in ("organization", "dues")),
            [(m["name"], stars.get(m["id"]), held.get(m["id"], 0)) for m in members["items"]],
            pending,
        )
        return view, calls

    return Target("REST: the services directly", fetch, "client")


# -- the system and its data -------------------------------------------------------------------


def free_base_port() -> int:
    for _ in range(50):
        base = free_port()
        if base + 4 < 65535 and not any(port_in_use(base + i) for i in range(5)):
            return base
    raise RuntimeError("no five consecutive free ports")


async def password_token(http: httpx.AsyncClient, username: str) -> str:
    response = await http.post(
        "/auth/token", data={"grant_type": "password", "username": username, "password": "demo"}
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


async def post(http: httpx.AsyncClient, url: str, body: Any, token: str, **headers: str) -> Any:
    response = await http.post(
        url, json=body, headers={"Authorization": f"Bearer {token}", **headers}
    )
    if response.status_code not in (200, 201):
        raise RuntimeError(f"POST {url} answered {response.status_code}: {response.text[:500]}")
    return response.json()


async def load(stack: Stack, http: httpx.AsyncClient, size: str) -> dict[str, int]:
    """The demo city, a larger secretary's branch with posts and star levels, an open
    campaign, an account, and other branches with their members around them."""
    extra, branches, per_branch = SIZES[size]
    urls = {name: stack.url(name) for name in ("org", "member", "funding", "rating")}
    service = await service_token(stack.gateway_url, "gateway", "dev-service-secret")
    await load_demo(urls["org"], service)
    await load_demo_members(urls["member"], service)
    admin = await password_token(http, "admin.city")
    secretary = await password_token(http, "secretary.demo")

    home = [full_member(f"盈科党员{i:03d}", 100_000 + i, BRANCH) for i in range(extra)]
    await post(http, f"{urls['member']}/members/bulk", {"items": home}, admin)

    parent = str(demo_data.organization_id("二道区非公有制经济组织和社会组织党工委"))
    region = str(demo_data.region_id("二道区"))
    number = 0
    for start in range(0, branches, 20):
        created = await asyncio.gather(
            *(
                post(
                    http,
                    f"{urls['org']}/organizations",
                    {
                        "name": f"二道区企业{i:05d}党支部",
                        "kind": "branch",
                        "region_id": region,
                        "parent_id": parent,
                        "founded_on": "2018-01-01",
                    },
                    admin,
                )
                for i in range(start, min(branches, start + 20))
            )
        )
        items = []
        for organization in created:
            for _ in range(per_branch):
                items.append(full_member(f"党员{number:06d}", number, organization["id"]))
                number += 1
        for chunk in range(0, len(items), 500):
            await post(
                http, f"{urls['member']}/members/bulk", {"items": items[chunk : chunk + 500]}, admin
            )

    members = (
        await http.get(
            f"{urls['member']}/members",
            params={"organization_id": BRANCH, "limit": 200, "stage": "full_member"},
            headers={"Authorization": f"Bearer {admin}"},
        )
    ).json()["items"]
    for i, member in enumerate(members):
        if i % 3 == 0:
            await post(
                http,
                f"{urls['member']}/members/{member['id']}/posts",
                {"kind": "integrity", "title": "诚信服务窗口", "started_on": "2025-01-01"},
                admin,
            )

    # A closed evaluation gives the members their star levels; an open one leaves the
    # secretary ballots to cast.
    year = date.today().year
    for period, close in ((year - 1, True), (year, False)):
        campaign = await post(
            http,
            f"{urls['rating']}/campaigns",
            {
                "name": f"{demo_data.DEMO_BRANCH}{period}年度四方评议",
                "organization_id": BRANCH,
                "period_start": f"{period}-01-01",
                "period_end": f"{period}-12-31",
                "closes_at": (datetime.now(UTC) + timedelta(days=30)).isoformat(),
                "five_star_cap_percent": None,
            },
            admin,
        )
        if close:
            me = str(demo_data.demo_id("member", "secretary.demo"))
            for i, member in enumerate(members):
                if member["id"] == me:
                    continue
                await post(
                    http,
                    f"{urls['rating']}/campaigns/{campaign['id']}/ballots",
                    {
                        "member_id": member["id"],
                        "party": "secretary",
                        "scores": {c: 60 + (i * 7) % 40 for c in campaign["criteria"]},
                    },
                    secretary,
                )
            await post(http, f"{urls['rating']}/campaigns/{campaign['id']}/close", None, admin)

    scheme = (
        await http.get(
            f"{urls['rating']}/rating-schemes", headers={"Authorization": f"Bearer {admin}"}
        )
    ).json()["items"][0]
    await post(
        http,
        f"{urls['rating']}/organization-ratings",
        {
            "organization_id": BRANCH,
            "indicator_points": {
                i["code"]: i["max_points"] * 0.85 for a in scheme["areas"] for i in a["indicators"]
            },
            "showcase_criteria": {
                "standardized": True,
                "visualized": True,
                "signature_method": True,
                "innovative_project": False,
                "culture": True,
            },
        },
        admin,
    )
    lines = (
        await http.get(
            f"{urls['funding']}/budget-lines", headers={"Authorization": f"Bearer {admin}"}
        )
    ).json()
    await post(
        http,
        f"{urls['funding']}/accounts",
        {"kind": "organization", "organization_id": BRANCH, "budget_line": lines[0]["code"]},
        admin,
        **{"Idempotency-Key": f"bench-{uuid.uuid4()}"},
    )
    return {
        "members_in_branch": len(members) + 4,
        "other_branches": branches,
        "members_elsewhere": number,
    }


async def gateway_calls(http: httpx.AsyncClient) -> int:
    text = (await http.get("/metrics")).text
    return int(
        sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith("gateway_upstream_requests_total{")
        )
    )


async def run(size: str) -> None:
    with cluster() as pg:
        data_dir = Path(tempfile.mkdtemp(prefix="pb-bench-gateway-"))
        quiet = {
            f"{p}LOG_LEVEL": "WARNING"
            for p in ("GATEWAY_", "ORG_", "MEMBER_", "FUNDING_", "RATING_")
        }
        # Saturation is measured, not survived: no timeouts or open circuits cut it short
        # (the services' pools queue the load; failed screens are counted all the same).
        patient = {"GATEWAY_HTTP_TIMEOUT_SECONDS": "60", "GATEWAY_CIRCUIT_BREAKER_FAILURES": "0"}
        stack = Stack(
            server_url=pg.url(),
            data_dir=data_dir,
            apps=default_apps(free_base_port()),
            extra_env={**quiet, **patient, "PYTHONUNBUFFERED": "1"},
        )
        await stack.prepare_databases()
        stack.start()
        try:
            await stack.wait_ready(within=180)
            # Idle connections are dropped before uvicorn closes them (after 5 s), so that
            # no request goes out on a connection the server is closing.
            limits = httpx.Limits(
                max_connections=CLIENTS * 4,
                max_keepalive_connections=CLIENTS * 4,
                keepalive_expiry=2.0,
            )
            async with httpx.AsyncClient(
                base_url=stack.gateway_url, timeout=60.0, limits=limits
            ) as http:
                print(f"loading ({size}) …", flush=True)
                started = time.monotonic()
                sizes = await load(stack, http, size)
                print(f"loaded in {time.monotonic() - started:.0f} s", flush=True)
                token = await password_token(http, "secretary.demo")
                urls = {n: stack.url(n) for n in ("org", "member", "funding", "rating")}
                targets = [gateway_target(http, token), rest_target(urls, http, token)]
                async with PeerGateway(urls) as peer:
                    print(f"peer composed in {peer.compose_seconds:.1f} s", flush=True)
                    peer_fetch = home_fetch(
                        http, peer.url, token, BRANCH, date.today(), screen_view
                    )
                    targets.append(Target(PEER_NAME, peer_fetch, "peer"))
                    views = [await t.fetch() for t in targets]
                    for other in views[1:]:
                        if other[0] != views[0][0]:
                            raise RuntimeError(f"the ways disagree:\n{views[0][0]}\n{other[0]}")
                    screen = views[0][0]
                    print(
                        f"screen: {len(screen['members'])} members, {screen['pending']} ballots "
                        "to cast; all three ways agree",
                        flush=True,
                    )
                    measurements = await measure_targets(targets, http, stack, size, peer)
                    compose_seconds = peer.compose_seconds
        finally:
            stack.stop()
    report(
        "gateway_home",
        measurements,
        {
            "size": size,
            "data": sizes,
            "clients": CLIENTS,
            "requests": REQUESTS,
            "screen_members": len(screen["members"]),
            "pending_ballots": screen["pending"],
            "gateway_settings": patient,
            "peer_compose_seconds": round(compose_seconds, 1),
            "load_average": [round(x, 2) for x in os.getloadavg()],
        },
    )


async def measure_targets(
    targets: list[Target], http: httpx.AsyncClient, stack: Stack, size: str, peer: PeerGateway
) -> list[Measurement]:
    results: list[Measurement] = []
    for target in targets:
        gateway_before = await gateway_calls(http)
        client_calls = 0
        failures = 0

        async def once(target: Target = target) -> None:
            nonlocal client_calls, failures
            try:
                _, calls = await target.fetch()
            except (RuntimeError, httpx.HTTPError):
                failures += 1
                return
            client_calls += calls

        timings, elapsed = await concurrently(once, clients=CLIENTS, requests=REQUESTS, warmup=20)
        gateway_after = await gateway_calls(http)
        calls = (
            (gateway_after - gateway_before) / (REQUESTS + 20)
            if target.calls_counted_by == "gateway"
            else client_calls / (REQUESTS + 20)
        )
        p50, p95, _ = summary(timings)
        sequential, _ = await measure(once, runs=SEQUENTIAL)
        s50, s95, s_rate = summary(sequential)
        pid = peer.pid if target.calls_counted_by == "peer" else stack.processes["gateway"].pid
        results += [
            Measurement(
                scenario=f"{target.name} ×{CLIENTS}",
                size=size,
                runs=REQUESTS,
                p50_ms=p50,
                p95_ms=p95,
                throughput_per_s=REQUESTS / elapsed,
                peak_rss_mb=peak_rss_mb(pid) if target.calls_counted_by != "client" else None,
                extra={
                    "backend_calls_per_screen": round(calls, 2),
                    "clients": CLIENTS,
                    "failed_screens": failures,
                },
            ),
            Measurement(
                scenario=f"{target.name} ×1",
                size=size,
                runs=SEQUENTIAL,
                p50_ms=s50,
                p95_ms=s95,
                throughput_per_s=s_rate,
                extra={"clients": 1},
            ),
        ]
    gateway, rest = results[0], results[2]
    gateway.compared_with = rest.scenario
    gateway.comparison_p50_ms = rest.p50_ms
    gateway.ratio = gateway.p50_ms / rest.p50_ms
    results[1].compared_with = results[3].scenario
    results[1].comparison_p50_ms = results[3].p50_ms
    results[1].ratio = results[1].p50_ms / results[3].p50_ms
    # The peer beside our gateway: its p50 / ours, and ours / its in extra.
    for peer_row, ours in ((results[4], results[0]), (results[5], results[1])):
        peer_row.compared_with = ours.scenario
        peer_row.comparison_p50_ms = ours.p50_ms
        peer_row.ratio = peer_row.p50_ms / ours.p50_ms
        peer_row.extra["ours_over_peer_p50"] = round(ours.p50_ms / peer_row.p50_ms, 3)
        peer_row.extra["ours_over_peer_throughput"] = round(
            ours.throughput_per_s / peer_row.throughput_per_s, 3
        )
        print(
            f"ours / peer {peer_row.extra['clients']:>2} clients: p50 "
            f"{peer_row.extra['ours_over_peer_p50']}, throughput "
            f"{peer_row.extra['ours_over_peer_throughput']}"
        )
    for m in results:
        if "backend_calls_per_screen" in m.extra:
            print(f"{m.scenario}: {m.extra['backend_calls_per_screen']} backend calls per screen")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", choices=sorted(SIZES), default="city")
    args = parser.parse_args()
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    asyncio.run(run(args.size))


if __name__ == "__main__":
    main()
