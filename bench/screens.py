"""The four mini-program screens of the whole-system benchmark, as data.

Each screen has a name, a `view` that turns what a client fetched into ONE comparable
plain shape (dicts, lists and tuples of str, int, bool and None: no floats, no enums), and
two ways of fetching it: our gateway (one GraphQL request, the registered query sent by
its hash) and a client calling the services' REST endpoints directly (the best it can do:
batch endpoints, independent calls in parallel). Every fetcher builds its answer with the
screen's `view`, so that two ways agree exactly when their views are equal.

The `view` functions take REST-shaped arguments (snake_case keys, enum values in lower
case, dates as ISO strings): what the services answer, and what a gateway composed from
their OpenAPI documents answers too. A GraphQL fetcher converts its answer with `snake`
and `lower` first.

Another gateway is measured by building one more `Target` per screen from the same
`ScreenContext` (bench/peer.py, `peer_targets`).
"""

from __future__ import annotations

import asyncio
import operator
import re
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from gateway.persisted import query_hash
from gateway.settings import GatewaySettings

View = Any  # dicts / lists / tuples of str, int, bool, None
Fetch = Callable[[], Awaitable[tuple[View, int]]]

PERSISTED_DIR: Path = GatewaySettings().persisted_queries_dir  # type: ignore[assignment]
SCREEN_MEMBERS = 50  # members on the home screen
ARCHIVE_ENTRIES = 50  # archive entries on the archive screen
UNCOVERED_PAGE = 50  # uncovered targets on the coverage dashboard


@dataclass
class Target:
    """A way of fetching a screen: returns the screen's view and the backend calls it made
    (0 when they are counted elsewhere: a gateway's calls are read from its /metrics)."""

    name: str
    fetch: Fetch
    calls_counted_by: str  # "gateway" or "client"


@dataclass(frozen=True)
class BallotPair:
    """One ballot still to cast: who casts it (their bearer token), for whom, in which party."""

    token: str
    member_id: str
    party: str  # owner, secretary, members, masses
    scores: dict[str, int]  # criterion -> 0..100


@dataclass
class ScreenContext:
    """Everything a fetcher needs; the same for every target of a run.

    `http` is one pooled client without a base URL (fetchers use absolute URLs);
    `tokens` are bearer tokens by role: "secretary" (the home screen's secretary of
    `branch_id`), "member" (the member `member_id` reading their own archive),
    "district_admin" (of the district `district_id`), "city_admin". `next_ballot` hands
    out a new (evaluator, member, party) of the open campaign `campaign_id` on every call,
    shared by all targets so that no ballot is cast twice; it raises `LookupError` when
    none is left.
    """

    http: httpx.AsyncClient
    gateway_url: str
    service_urls: dict[str, str]  # "org", "member", "funding", "rating" -> base URL
    tokens: dict[str, str]
    branch_id: str
    member_id: str
    district_id: str
    campaign_id: str
    criteria: tuple[str, ...]
    today: date
    next_ballot: Callable[[], BallotPair]


class ScreenMismatch(RuntimeError):
    """Two ways of fetching a screen disagree, or one answered something unexpected."""


def ballot_supply(pairs: list[BallotPair]) -> Callable[[], BallotPair]:
    """A `next_ballot` over a prepared list: each pair once, then LookupError."""
    iterator: Iterator[BallotPair] = iter(pairs)

    def next_ballot() -> BallotPair:
        try:
            return next(iterator)
        except StopIteration:
            raise LookupError("no ballot pairs left; prepare more") from None

    return next_ballot


# -- helpers for the fetchers ------------------------------------------------------------------


def snake(value: Any) -> Any:
    """camelCase keys to snake_case, all the way down (a GraphQL answer in REST's words)."""
    if isinstance(value, dict):
        return {re.sub(r"(?<!^)(?=[A-Z])", "_", k).lower(): snake(v) for k, v in value.items()}
    if isinstance(value, list):
        return [snake(v) for v in value]
    return value


def lower(value: str | None) -> str | None:
    """A GraphQL enum value (FULL_MEMBER) as the services spell it (full_member)."""
    return value.lower() if value is not None else None


def persisted(name: str) -> tuple[str, str]:
    """The registered query `name` (its file in the gateway's persisted directory): text, hash."""
    text = (PERSISTED_DIR / f"{name}.graphql").read_text(encoding="utf-8")
    return text, query_hash(text)


async def graphql(
    ctx: ScreenContext, query: str, token: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    """One request to our gateway with a registered query by its hash; errors raise."""
    _, digest = persisted(query)
    response = await ctx.http.post(
        f"{ctx.gateway_url}/graphql",
        json={
            "variables": variables or {},
            "extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}},
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise ScreenMismatch(
            f"gateway answered {response.status_code}: {(body.get('errors') or [])[:3]}"
        )
    data: dict[str, Any] = body["data"]
    return data


class Rest:
    """A REST client's calls for one screen, counted."""

    def __init__(self, ctx: ScreenContext, token: str) -> None:
        self.ctx = ctx
        self.headers = {"Authorization": f"Bearer {token}"}
        self.calls = 0

    async def get(self, service: str, path: str, **params: Any) -> Any:
        self.calls += 1
        url = f"{self.ctx.service_urls[service]}{path}"
        query = {k: v for k, v in params.items() if v is not None}
        try:
            response = await self.ctx.http.get(url, params=query, headers=self.headers)
        except httpx.TransportError:
            # A read is retried once on a dropped connection, as the gateway's client does.
            self.calls += 1
            response = await self.ctx.http.get(url, params=query, headers=self.headers)
        if response.status_code != 200:
            raise ScreenMismatch(f"GET {service} {path} answered {response.status_code}")
        return response.json()

    async def post(self, service: str, path: str, body: Any) -> Any:
        self.calls += 1
        response = await self.ctx.http.post(
            f"{self.ctx.service_urls[service]}{path}", json=body, headers=self.headers
        )
        if response.status_code not in (200, 201):
            raise ScreenMismatch(
                f"POST {service} {path} answered {response.status_code}: {response.text[:300]}"
            )
        return response.json()

    async def all_pages(self, service: str, path: str, **params: Any) -> list[Any]:
        items: list[Any] = []
        after = None
        while True:
            page = await self.get(service, path, limit=200, after=after, **params)
            items += page["items"]
            after = page.get("next_cursor")
            if not after:
                return items


# -- a: the secretary's home screen ------------------------------------------------------------


def home_view(
    organization: dict[str, Any],
    counts: dict[str, Any],
    secretary: str | None,
    stars: int | None,
    total_fen: int,
    members: list[tuple[str, int | None, int]],
    pending: int,
) -> View:
    """The secretary's home screen:

    {"organization": name, "counts": (full_members, probationary_members),
     "secretary": the running term's name | None, "stars": the branch's star level | None,
     "total_fen": the sum of its organization and dues accounts,
     "members": sorted [(name, stars | None, posts held today)] of the first 50 by name,
     "pending": ballots the secretary may still cast in campaigns open now}
    """
    return {
        "organization": organization["name"],
        "counts": (counts["full_members"], counts["probationary_members"]),
        "secretary": secretary,
        "stars": stars,
        "total_fen": total_fen,
        "members": sorted(members, key=lambda m: (m[0], m[1] or 0, m[2])),
        "pending": pending,
    }


def home_gateway(ctx: ScreenContext) -> Target:
    async def fetch() -> tuple[View, int]:
        data = await graphql(ctx, "secretary_home", ctx.tokens["secretary"])
        org = data["me"]["organization"]
        view = home_view(
            org,
            snake(org["memberCounts"]),
            org["secretary"]["name"] if org["secretary"] else None,
            org["starRating"]["stars"] if org["starRating"] else None,
            org["fundingBalance"]["totalFen"],
            [
                (m["name"], m["starRating"]["stars"] if m["starRating"] else None, len(m["posts"]))
                for m in org["members"]["nodes"]
            ],
            len(data["me"]["pendingBallots"]),
        )
        return view, 0

    return Target("gateway: GraphQL, one request", fetch, "gateway")


def home_rest(ctx: ScreenContext) -> Target:
    branch, today = ctx.branch_id, ctx.today.isoformat()

    async def fetch() -> tuple[View, int]:
        rest = Rest(ctx, ctx.tokens["secretary"])

        async def pending_ballots() -> int:
            campaigns = await rest.all_pages("rating", "/campaigns", status="open")
            rolls = await asyncio.gather(
                *(
                    rest.all_pages("rating", f"/campaigns/{c['id']}/evaluable-members")
                    for c in campaigns
                    if c["voting_open"]
                )
            )
            pending = [r for roll in rolls for r in roll if not r["ballot_cast"] and r["parties"]]
            # The screen names each member to evaluate: their records, 500 at a time.
            ids = sorted({r["member_id"] for r in pending})
            await asyncio.gather(
                *(
                    rest.get("member", "/members", ids=",".join(ids[i : i + 500]), limit=200)
                    for i in range(0, len(ids), 500)
                )
            )
            return len(pending)

        organizations, counts, terms, levels, accounts, members, pending = await asyncio.gather(
            rest.get("org", "/organizations", ids=branch),
            rest.get("member", "/member-counts", organization_ids=branch, as_of=today),
            rest.get(
                "member",
                "/secretary-terms",
                organization_ids=branch,
                **{"from": today, "to": today},
            ),
            rest.get("rating", "/star-levels", subject_kind="organization", ids=branch),
            rest.all_pages("funding", "/accounts", organization_id=branch),
            rest.get("member", "/members", organization_id=branch, limit=SCREEN_MEMBERS),
            pending_ballots(),
        )
        ids = ",".join(m["id"] for m in members["items"])
        member_levels, posts = await asyncio.gather(
            rest.get("rating", "/star-levels", subject_kind="member", ids=ids, limit=200),
            rest.get("member", "/member-posts", member_ids=ids, held_on=today, limit=200),
        )
        stars = {level["subject_id"]: level["stars"] for level in member_levels["items"]}
        held: dict[str, int] = {}
        for post in posts["items"]:
            held[post["member_id"]] = held.get(post["member_id"], 0) + 1
        view = home_view(
            organizations["items"][0],
            counts["items"][0],
            terms["items"][-1]["name"] if terms["items"] else None,
            levels["items"][0]["stars"] if levels["items"] else None,
            sum(a["balance_fen"] for a in accounts if a["kind"] in ("organization", "dues")),
            [(m["name"], stars.get(m["id"]), held.get(m["id"], 0)) for m in members["items"]],
            pending,
        )
        return view, rest.calls

    return Target("REST: the services directly", fetch, "client")


# -- b: a member's own archive screen ----------------------------------------------------------


def archive_view(
    member: dict[str, Any],
    organization: dict[str, Any] | None,
    stars: int | None,
    posts: list[dict[str, Any]],
    entries: list[dict[str, Any]],
    has_more: bool,
) -> View:
    """A member reading their own record:

    {"name": str, "stage": "full_member" …, "organization": the home organization's name,
     "stars": the member's star level in force | None,
     "posts": sorted [(kind, title, started_on)] held today,
     "archive": [(seq, kind, occurred_on)] the first 50 entries, newest first,
     "more": whether older entries follow}
    """
    return {
        "name": member["name"],
        "stage": member["stage"],
        "organization": organization["name"] if organization else None,
        "stars": stars,
        "posts": sorted((p["kind"], p["title"], p["started_on"]) for p in posts),
        "archive": [(e["seq"], e["kind"], e["occurred_on"]) for e in entries],
        "more": has_more,
    }


def archive_gateway(ctx: ScreenContext) -> Target:
    async def fetch() -> tuple[View, int]:
        data = await graphql(ctx, "member_archive", ctx.tokens["member"])
        member = data["me"]["member"]
        if member is None:
            raise ScreenMismatch("the gateway found no member record for the caller")
        archive = member["archive"]
        view = archive_view(
            {"name": member["name"], "stage": lower(member["stage"])},
            member["organization"],
            member["starRating"]["stars"] if member["starRating"] else None,
            [{**snake(p), "kind": lower(p["kind"])} for p in member["posts"]],
            [{**snake(e), "kind": lower(e["kind"])} for e in archive["nodes"]],
            archive["pageInfo"]["hasNextPage"],
        )
        return view, 0

    return Target("gateway: GraphQL, one request", fetch, "gateway")


def archive_rest(ctx: ScreenContext) -> Target:
    member_id, today = ctx.member_id, ctx.today.isoformat()

    async def fetch() -> tuple[View, int]:
        rest = Rest(ctx, ctx.tokens["member"])
        member, entries, levels, posts = await asyncio.gather(
            rest.get("member", f"/members/{member_id}"),
            rest.get(
                "member",
                f"/members/{member_id}/archive",
                limit=ARCHIVE_ENTRIES,
                newest_first="true",
            ),
            rest.get("rating", "/star-levels", subject_kind="member", ids=member_id),
            rest.get("member", "/member-posts", member_ids=member_id, held_on=today, limit=200),
        )
        organization = await rest.get("org", f"/organizations/{member['organization_id']}")
        view = archive_view(
            member,
            organization,
            levels["items"][0]["stars"] if levels["items"] else None,
            posts["items"],
            entries["items"],
            entries.get("next_cursor") is not None,
        )
        return view, rest.calls

    return Target("REST: the services directly", fetch, "client")


# -- c: the district coverage dashboard --------------------------------------------------------

FIGURES = ("targets", "own", "joint", "dispatched", "work", "organizational", "uncovered")


def coverage_view(
    by_region: dict[str, Any], by_park: dict[str, Any], inspection: dict[str, Any]
) -> View:
    """A district admin's 两个覆盖 dashboard today:

    {"as_of": day, "district": (name, *figures), "regions": sorted [(name, *figures)] of the
     child regions, "parks": sorted [(name, *figures)] of the district's parks,
     "uncovered": [(name, credit_code, district, working_committee,
                    sorted [(person_name, level, first_secretary)])] the first 50 uncovered
                   targets (credit-code order) with who is responsible for each,
     "more": whether more uncovered targets follow}
    with figures = (targets, own, joint, dispatched, work, organizational, uncovered).
    `by_region` and `by_park` are coverage reports ({as_of, total, groups}); `inspection`
    a half-year inspection page ({as_of, items, next_cursor}) of the half running today.
    """

    def row(figures: dict[str, Any]) -> tuple[Any, ...]:
        return (figures["name"], *(figures[f] for f in FIGURES))

    return {
        "as_of": by_region["as_of"],
        "district": row(by_region["total"]),
        "regions": sorted(row(g) for g in by_region["groups"]),
        "parks": sorted(row(g) for g in by_park["groups"]),
        "inspected_on": inspection["as_of"],
        "uncovered": [
            (
                t["name"],
                t["credit_code"],
                t["district"],
                t["working_committee"],
                sorted(
                    (r["person_name"], r["level"], r["first_secretary"]) for r in t["responsible"]
                ),
            )
            for t in inspection["items"]
        ],
        "more": inspection.get("next_cursor") is not None,
    }


def half_of(day: date) -> tuple[int, int]:
    """The half-year running on `day`: (year, 1 or 2)."""
    return day.year, 1 if day.month <= 6 else 2


def coverage_gateway(ctx: ScreenContext) -> Target:
    year, half = half_of(ctx.today)

    async def fetch() -> tuple[View, int]:
        data = snake(
            await graphql(
                ctx, "district_coverage", ctx.tokens["district_admin"], {"year": year, "half": half}
            )
        )
        inspection = data["uncovered"]
        view = coverage_view(
            data["by_region"],
            data["by_park"],
            {
                "as_of": inspection["as_of"],
                "items": inspection["items"],
                "next_cursor": inspection["page_info"]["end_cursor"]
                if inspection["page_info"]["has_next_page"]
                else None,
            },
        )
        return view, 0

    return Target("gateway: GraphQL, one request", fetch, "gateway")


def coverage_rest(ctx: ScreenContext) -> Target:
    year, half = half_of(ctx.today)

    async def fetch() -> tuple[View, int]:
        rest = Rest(ctx, ctx.tokens["district_admin"])
        by_region, by_park, inspection = await asyncio.gather(
            rest.get("org", "/coverage", region_id=ctx.district_id, group_by="region"),
            rest.get("org", "/coverage", region_id=ctx.district_id, group_by="park"),
            rest.get(
                "org",
                f"/coverage/inspections/{year}/{half}",
                region_id=ctx.district_id,
                limit=UNCOVERED_PAGE,
            ),
        )
        return coverage_view(by_region, by_park, inspection), rest.calls

    return Target("REST: the services directly", fetch, "client")


# -- d: casting a ballot -----------------------------------------------------------------------


def ballot_view(ballot: dict[str, Any]) -> View:
    """The ballot as the evaluator sees it once cast:

    {"member_id": str, "party": "secretary" …, "scores": sorted [(criterion, score)],
     "score_hundredths": the mean of the scores × 100, rounded}
    Every request casts a new ballot: each answer is checked against the ballot it cast
    (`expect_ballot`), and two ways are compared by `same_ballot`.
    """
    return {
        "member_id": str(ballot["member_id"]),
        "party": ballot["party"],
        "scores": sorted((k, v) for k, v in ballot["scores"].items()),
        "score_hundredths": round(float(ballot["score"]) * 100),
    }


def same_ballot(a: View, b: View) -> bool:
    """Two ballots cast by two ways (for different members, parties and scores): both
    answer the same fields, each with the mean of its own scores. That each answer is the
    ballot it cast is checked as it is fetched (`expect_ballot`)."""
    return bool(set(a) == set(b) and consistent_ballot(a) and consistent_ballot(b))


def consistent_ballot(view: View) -> bool:
    scores = [score for _, score in view["scores"]]
    mean = 100 * sum(scores) / len(scores) if scores else 0
    return bool(abs(view["score_hundredths"] - mean) <= 1)


def expect_ballot(pair: BallotPair, view: View) -> View:
    """The view checked against the pair it was cast for (a wrong answer is an error)."""
    if view["member_id"] != pair.member_id or view["party"] != pair.party:
        raise ScreenMismatch(f"cast {pair.member_id}/{pair.party}, answered {view}")
    if dict(view["scores"]) != pair.scores or not consistent_ballot(view):
        raise ScreenMismatch(f"cast scores {pair.scores}, answered {view}")
    return view


def ballot_gateway(ctx: ScreenContext) -> Target:
    async def fetch() -> tuple[View, int]:
        pair = ctx.next_ballot()
        data = await graphql(
            ctx,
            "cast_ballot",
            pair.token,
            {
                "campaignId": ctx.campaign_id,
                "input": {
                    "memberId": pair.member_id,
                    "party": pair.party.upper(),
                    "scores": [{"criterion": c, "score": s} for c, s in pair.scores.items()],
                },
            },
        )
        ballot = data["castBallot"]
        view = ballot_view(
            {
                "member_id": ballot["memberId"],
                "party": lower(ballot["party"]),
                "scores": {s["criterion"]: s["score"] for s in ballot["scores"]},
                "score": ballot["score"],
            }
        )
        return expect_ballot(pair, view), 0

    return Target("gateway: GraphQL, one request", fetch, "gateway")


def ballot_rest(ctx: ScreenContext) -> Target:
    async def fetch() -> tuple[View, int]:
        pair = ctx.next_ballot()
        rest = Rest(ctx, pair.token)
        ballot = await rest.post(
            "rating",
            f"/campaigns/{ctx.campaign_id}/ballots",
            {"member_id": pair.member_id, "party": pair.party, "scores": pair.scores},
        )
        return expect_ballot(pair, ballot_view(ballot)), rest.calls

    return Target("REST: the services directly", fetch, "client")


# -- the screens -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Screen:
    """A screen: its view, our gateway's target and the REST client's, and how two views
    are compared (equality, except for ballots: each request casts a different one)."""

    name: str
    title: str
    view: Callable[..., View]
    gateway: Callable[[ScreenContext], Target]
    rest: Callable[[ScreenContext], Target]
    same: Callable[[View, View], bool] = field(default=operator.eq)
    # Each request changes the data (a new ballot): timed once, never repeated for warm-up.
    writes: bool = False
    # The share of the size's requests this screen is timed with: a screen that takes the
    # stack a good part of a second (the coverage dashboard at city) is timed less often.
    share: float = 1.0


SCREENS: dict[str, Screen] = {
    s.name: s
    for s in (
        Screen("home", "secretary's home screen", home_view, home_gateway, home_rest),
        Screen("archive", "member's archive screen", archive_view, archive_gateway, archive_rest),
        Screen(
            "coverage",
            "district coverage dashboard",
            coverage_view,
            coverage_gateway,
            coverage_rest,
            share=0.4,
        ),
        Screen(
            "ballot",
            "casting a ballot",
            ballot_view,
            ballot_gateway,
            ballot_rest,
            same=same_ballot,
            writes=True,
        ),
    )
}


def scores_for(criteria: tuple[str, ...], n: int) -> dict[str, int]:
    """Deterministic scores for the n-th prepared ballot."""
    return {c: 60 + (n * 7 + i * 13) % 41 for i, c in enumerate(criteria)}
