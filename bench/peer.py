"""The peer gateway: Hive Gateway serving a supergraph that GraphQL Mesh composes from the
four services' OpenAPI documents, measured beside our gateway on the same running services.

What a team would assemble instead of our gateway, in its strongest honest configuration:
the same services and data, the services' batch endpoints joined with `@resolveTo`
(keyField / keysArg / valueKeyField: one call for a whole list, regrouped per parent),
production mode, no telemetry, one Node process (as our gateway is one Python process).
The packages are pinned in bench/peers/hive/package.json and its lock file; they are
installed with `npm ci` when node_modules is missing.

`PeerGateway` fetches each running service's /openapi.json, declares the batch parameters
(`ids`, `organization_ids`, `member_ids`, …: comma-separated lists that FastAPI documents as
plain strings) as arrays joined by commas (OpenAPI `style: form, explode: false`), composes
the supergraph (`mesh-compose`, timed) and serves it (`hive-gateway supergraph`) on a free
port in its own process group; nothing of Node outlives it.

Each screen of bench/screens.py has a GraphQL document against the composed schema (field
names are the services' operation ids, prefixed with the service) and a fetcher that turns
the answer into the screen's view. `peer_targets(ctx, stack)` yields one `Target` per screen
and `peer_rss_mb()` gives the Node process's peak RSS.

Backend calls: the peer counts its own calls to the services per request (a small plugin in
gateway.config.ts puts the count in the answer's `extensions.upstream_calls`), and each
fetcher returns that count, as the REST client returns its own. `service_calls` reads the
same from the services' side (their `http_requests_total`), which also counts calls one
service makes to another while answering.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import ctypes
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from datetime import date
from pathlib import Path
from typing import IO, Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import descendants, peak_rss_mb, set_affinity
from screens import (
    ARCHIVE_ENTRIES,
    SCREEN_MEMBERS,
    UNCOVERED_PAGE,
    Fetch,
    ScreenContext,
    ScreenMismatch,
    Target,
    View,
    archive_view,
    ballot_view,
    coverage_view,
    expect_ballot,
    half_of,
    home_view,
)

from service_kit.pgcluster import free_port

PEER_DIR = Path(__file__).resolve().parent / "peers" / "hive"
SERVICES = ("org", "member", "funding", "rating")
NAME = "peer: Hive Gateway + Mesh"
# Each fetch returns the calls the peer reported for that request (not read from /metrics).
COUNTED_BY = "peer"
# Query parameters that take a comma-separated list of ids (a batch get).
BATCH_PARAMETER = re.compile(r"ids|[a-z_]+_ids")
# Not calls of a gateway: health, metrics, the OpenAPI document, and the relays' event
# deliveries between services (asynchronous, after a write).
NOT_CALLS = ("/healthz", "/readyz", "/metrics", "/openapi.json", "/events")


# -- installing, composing, serving ------------------------------------------------------------


def tool(name: str) -> str:
    """The full path of `node` or `npm`, or a clear error."""
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(
            f"the peer gateway needs Node.js 20 or newer and npm; `{name}` is not on PATH"
        )
    return path


def ensure_installed() -> None:
    """`npm ci` in bench/peers/hive when its node_modules lacks the two tools. (Never over
    an existing installation: another run may be using it; delete node_modules to refresh.)"""
    npm = tool("npm")
    version = subprocess.run(
        [tool("node"), "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    if int(version.lstrip("v").split(".")[0]) < 20:
        raise RuntimeError(f"the peer gateway needs Node.js 20 or newer, found {version}")
    tools = PEER_DIR / "node_modules" / ".bin"
    if (tools / "hive-gateway").exists() and (tools / "mesh-compose").exists():
        return
    print("installing the peer gateway: npm ci in bench/peers/hive …", flush=True)
    subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=PEER_DIR, check=True)


def batch_parameters(document: dict[str, Any]) -> int:
    """Declare the comma-separated id lists of `document` as what they are on the wire:
    arrays of strings joined by commas (style form, explode false), so that a batch join
    can hand them a list of keys. Returns how many parameters were declared."""
    changed = 0
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") != "query" or not BATCH_PARAMETER.fullmatch(
                    parameter["name"]
                ):
                    continue
                schema = parameter.get("schema", {})
                types = {s.get("type") for s in schema.get("anyOf", [schema])}
                if "string" not in types:
                    continue
                parameter["schema"] = {
                    "type": "array",
                    "items": {"type": "string"},
                    **{k: v for k, v in schema.items() if k in ("title", "description")},
                }
                parameter["style"] = "form"
                parameter["explode"] = False
                changed += 1
    return changed


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: the child gets SIGTERM if the benchmark dies without cleaning up."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _bin(name: str) -> str:
    path = PEER_DIR / "node_modules" / ".bin" / name
    if not path.exists():
        raise RuntimeError(f"{path} is missing; run `npm ci` in {PEER_DIR}")
    return os.path.realpath(path)


def _kill_group(process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """SIGTERM the process group, wait, then SIGKILL whatever is left of it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


class PeerGateway:
    """Hive Gateway over a Mesh supergraph of the running services `urls` (name -> base URL).

    `async with PeerGateway(urls) as peer:` composes and starts it; `peer.url`, `peer.pid`
    (the Node process, for harness.peak_rss_mb), `peer.compose_seconds`. Leaving the block
    stops it (also on errors and Ctrl-C); an exiting interpreter stops it too.
    """

    def __init__(self, urls: dict[str, str], *, options: tuple[str, ...] = ()) -> None:
        self.urls = urls
        self.options = options  # more hive-gateway options (e.g. --jit)
        self.work_dir = Path(tempfile.mkdtemp(prefix="pb-bench-peer-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.compose_seconds = 0.0
        self.batch_parameters = 0
        self._process: subprocess.Popen[bytes] | None = None
        # Every thread of the peer's processes moved beside our gateway's (see `beside`).
        self.threads_pinned = False
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int:
        if self._process is None:
            raise RuntimeError("the peer gateway is not running")
        return self._process.pid

    def _env(self) -> dict[str, str]:
        return {
            **os.environ,
            "NODE_ENV": "production",
            "PEER_WORK_DIR": str(self.work_dir),
            **{f"PEER_{name.upper()}_URL": url for name, url in self.urls.items()},
        }

    async def __aenter__(self) -> PeerGateway:
        try:
            ensure_installed()
            await self._write_documents()
            self._compose()
            self._start()
            await self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.stop()

    async def _write_documents(self) -> None:
        async with httpx.AsyncClient(timeout=30.0) as client:
            for name in SERVICES:
                response = await client.get(f"{self.urls[name]}/openapi.json")
                response.raise_for_status()
                document = response.json()
                self.batch_parameters += batch_parameters(document)
                (self.work_dir / f"{name}-openapi.json").write_text(
                    json.dumps(document, ensure_ascii=False), encoding="utf-8"
                )

    def _compose(self) -> None:
        started = time.monotonic()
        process = subprocess.Popen(
            [tool("node"), _bin("mesh-compose")],
            cwd=PEER_DIR,
            env=self._env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        try:
            output, _ = process.communicate(timeout=600)
        finally:
            _kill_group(process)
        if process.returncode != 0 or not (self.work_dir / "supergraph.graphql").exists():
            raise RuntimeError(f"mesh-compose failed:\n{output.decode(errors='replace')[-4000:]}")
        self.compose_seconds = time.monotonic() - started

    def _start(self) -> None:
        self._log = (self.work_dir / "gateway.log").open("wb")
        argv = [
            tool("node"),
            _bin("hive-gateway"),
            "supergraph",
            str(self.work_dir / "supergraph.graphql"),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--fork",
            "1",
            *self.options,
        ]
        self._process = subprocess.Popen(
            argv,
            cwd=PEER_DIR,
            env=self._env(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        atexit.register(self.stop)

    async def _wait_ready(self, within: float = 180.0) -> None:
        deadline = time.monotonic() + within
        async with httpx.AsyncClient(timeout=2.0) as client:
            while True:
                assert self._process is not None
                if self._process.poll() is not None:
                    raise RuntimeError(f"hive-gateway exited:\n{self.log_tail()}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{self.url}/readiness")).status_code == 200:
                        return
                if time.monotonic() > deadline:
                    raise TimeoutError(f"hive-gateway not ready in {within:.0f} s")
                await asyncio.sleep(0.2)

    def log_tail(self, chars: int = 4000) -> str:
        path = self.work_dir / "gateway.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def stop(self) -> None:
        """Stop the Node process group (idempotent) and remove the work directory."""
        if self._process is not None:
            _kill_group(self._process)
            self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None
        shutil.rmtree(self.work_dir, ignore_errors=True)


async def service_calls(http: httpx.AsyncClient, urls: dict[str, str]) -> int:
    """Requests the four services have answered so far (their Prometheus
    `http_requests_total`, health, metrics and event deliveries left out): the difference
    around a request is its backend calls, service-to-service calls included."""
    total = 0.0
    for name in SERVICES:
        text = (await http.get(f"{urls[name]}/metrics")).text
        for line in text.splitlines():
            if line.startswith("http_requests_total{") and not any(
                f'route="{route}"' in line for route in NOT_CALLS
            ):
                total += float(line.rsplit(" ", 1)[1])
    return int(total)


# -- the screens through the peer --------------------------------------------------------------

HOME = """
query SecretaryHome($organization: [String]!, $today: Date!, $first: PositiveInt!) {
  org_list_organizations(ids: $organization) {
    items {
      id
      name
      kind
      member_counts(as_of: $today) { full_members probationary_members }
      secretary_terms(from: $today, to: $today) { name term_start }
      star_level { stars showcase valid_from }
      accounts { kind budget_line balance_fen }
      members(first: $first) {
        next_cursor
        items {
          id
          name
          stage
          star_level { stars }
          posts(held_on: $today) { kind title started_on }
        }
      }
    }
  }
  rating_list_campaigns(status: "open", limit: 200) {
    items {
      id
      name
      closes_at
      voting_open
      evaluable_members { member_id parties ballot_cast member { id name } }
    }
  }
}
"""

ARCHIVE = """
query MemberArchive($member: UUID!, $ids: [String]!, $today: Date!, $first: Int!) {
  member_get_member(member_id: $member) {
    id
    name
    stage
    organization { id name }
  }
  member_list_archive_entries(member_id: $member, limit: $first, newest_first: true) {
    next_cursor
    items { id seq kind occurred_on payload }
  }
  rating_list_star_levels(subject_kind: member, ids: $ids) { items { stars valid_from } }
  member_list_member_posts(member_ids: $ids, held_on: $today, limit: 200) {
    items { kind title started_on }
  }
}
"""

_FIGURES = "key name targets own joint dispatched work organizational uncovered total_rate"
COVERAGE = f"""
query DistrictCoverage($district: UUID!, $year: PositiveInt!, $half: PositiveInt!, $first: Int!) {{
  by_region: org_get_coverage(region_id: $district, group_by: region) {{
    as_of
    total {{ {_FIGURES} }}
    groups {{ {_FIGURES} }}
  }}
  by_park: org_get_coverage(region_id: $district, group_by: park) {{
    as_of
    groups {{ {_FIGURES} }}
  }}
  uncovered: org_get_half_year_inspection(
    year: $year, half: $half, region_id: $district, limit: $first
  ) {{
    as_of
    provisional
    next_cursor
    items {{
      work_target_id
      name
      credit_code
      district
      working_committee
      responsible {{ person_name level position first_secretary }}
    }}
  }}
}}
"""

BALLOT = """
mutation CastBallot($campaign: UUID!, $input: Rating_BallotCast_Input!) {
  rating_cast_ballot(campaign_id: $campaign, input: $input) {
    member_id
    party
    scores
    score
  }
}
"""


async def ask(
    http: httpx.AsyncClient,
    url: str,
    document: str,
    token: str,
    variables: dict[str, Any],
) -> tuple[dict[str, Any], int]:
    """One GraphQL request to the peer (the document's text: it keeps no registered
    queries): its data and the calls it made to the services (the gateway's own count, in
    the answer's extensions). Errors raise."""
    response = await http.post(
        f"{url}/graphql",
        json={"query": document, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    try:
        body = response.json()
    except ValueError:
        raise ScreenMismatch(
            f"peer answered {response.status_code}: {response.text[:300]}"
        ) from None
    if response.status_code != 200 or body.get("errors") or body.get("data") is None:
        raise ScreenMismatch(
            f"peer answered {response.status_code}: {(body.get('errors') or [])[:3]}"
        )
    data: dict[str, Any] = body["data"]
    return data, int((body.get("extensions") or {}).get("upstream_calls", 0))


def home_fetch(
    http: httpx.AsyncClient,
    url: str,
    token: str,
    branch_id: str,
    today: date,
    view: Callable[..., View] = home_view,
) -> Fetch:
    """The secretary's home screen through the peer, as `view` (screens.home_view) shows it."""
    variables = {"organization": [branch_id], "today": today.isoformat(), "first": SCREEN_MEMBERS}

    async def fetch() -> tuple[View, int]:
        data, calls = await ask(http, url, HOME, token, variables)
        organizations = data["org_list_organizations"]["items"]
        if not organizations:
            raise ScreenMismatch(f"the peer found no organization {branch_id}")
        org = organizations[0]
        terms = org["secretary_terms"]
        pending = [
            r
            for c in data["rating_list_campaigns"]["items"]
            if c["voting_open"]
            for r in c["evaluable_members"]
            if not r["ballot_cast"] and r["parties"]
        ]
        return view(
            org,
            org["member_counts"],
            terms[-1]["name"] if terms else None,
            org["star_level"]["stars"] if org["star_level"] else None,
            sum(a["balance_fen"] for a in org["accounts"] if a["kind"] in ("organization", "dues")),
            [
                (m["name"], m["star_level"]["stars"] if m["star_level"] else None, len(m["posts"]))
                for m in org["members"]["items"]
            ],
            len(pending),
        ), calls

    return fetch


def home_peer(ctx: ScreenContext, url: str) -> Target:
    fetch = home_fetch(ctx.http, url, ctx.tokens["secretary"], ctx.branch_id, ctx.today)
    return Target(NAME, fetch, COUNTED_BY)


def archive_peer(ctx: ScreenContext, url: str) -> Target:
    variables = {
        "member": ctx.member_id,
        "ids": [ctx.member_id],
        "today": ctx.today.isoformat(),
        "first": ARCHIVE_ENTRIES,
    }

    async def fetch() -> tuple[View, int]:
        data, calls = await ask(ctx.http, url, ARCHIVE, ctx.tokens["member"], variables)
        member = data["member_get_member"]
        if member is None:
            raise ScreenMismatch(f"the peer found no member {ctx.member_id}")
        levels = data["rating_list_star_levels"]["items"]
        entries = data["member_list_archive_entries"]
        return archive_view(
            member,
            member["organization"],
            levels[0]["stars"] if levels else None,
            data["member_list_member_posts"]["items"],
            entries["items"],
            entries["next_cursor"] is not None,
        ), calls

    return Target(NAME, fetch, COUNTED_BY)


def coverage_peer(ctx: ScreenContext, url: str) -> Target:
    year, half = half_of(ctx.today)
    variables = {"district": ctx.district_id, "year": year, "half": half, "first": UNCOVERED_PAGE}

    async def fetch() -> tuple[View, int]:
        data, calls = await ask(ctx.http, url, COVERAGE, ctx.tokens["district_admin"], variables)
        return coverage_view(data["by_region"], data["by_park"], data["uncovered"]), calls

    return Target(NAME, fetch, COUNTED_BY)


def ballot_peer(ctx: ScreenContext, url: str) -> Target:
    async def fetch() -> tuple[View, int]:
        pair = ctx.next_ballot()
        data, calls = await ask(
            ctx.http,
            url,
            BALLOT,
            pair.token,
            {
                "campaign": ctx.campaign_id,
                "input": {"member_id": pair.member_id, "party": pair.party, "scores": pair.scores},
            },
        )
        return expect_ballot(pair, ballot_view(data["rating_cast_ballot"])), calls

    return Target(NAME, fetch, COUNTED_BY)


PEER_SCREENS: dict[str, Callable[[ScreenContext, str], Target]] = {
    "home": home_peer,
    "archive": archive_peer,
    "coverage": coverage_peer,
    "ballot": ballot_peer,
}


class PeerTargets(dict[str, Target]):
    """{screen name: Target} of the peer, with the running `peer` (its pid, its
    composition time)."""

    def __init__(self, peer: PeerGateway, targets: dict[str, Target]) -> None:
        super().__init__(targets)
        self.peer = peer


_running: PeerGateway | None = None


def peer_rss_mb() -> float | None:
    """The running peer's peak RSS (its Node process), None when none runs."""
    return peak_rss_mb(_running.pid) if _running is not None else None


def beside(target: Target, peer: PeerGateway, gateway_pid: int) -> Target:
    """`target`, whose Node process is kept on the CPUs our gateway's process may use (a
    benchmark that pins the stack to one CPU pins the peer with it): checked before each
    request, as pinning may come after the peer starts."""
    fetch = target.fetch

    async def pinned() -> tuple[View, int]:
        with contextlib.suppress(OSError):
            cpus = os.sched_getaffinity(gateway_pid)
            if os.sched_getaffinity(peer.pid) != cpus or not peer.threads_pinned:
                for pid in descendants(peer.pid):
                    set_affinity(pid, cpus)
                peer.threads_pinned = True
        return await fetch()

    return Target(target.name, pinned, target.calls_counted_by)


@contextlib.asynccontextmanager
async def peer_targets(ctx: ScreenContext, stack: Any = None) -> AsyncIterator[PeerTargets]:
    """The peer gateway over the services of `ctx` (the running stack's), one Target per
    screen; stopped when the block ends. With `stack` (devstack's Stack), the peer runs on
    the CPUs its gateway process runs on."""
    global _running
    async with PeerGateway(ctx.service_urls) as peer:
        print(
            f"peer: composed in {peer.compose_seconds:.1f} s "
            f"({peer.batch_parameters} batch parameters), serving at {peer.url}",
            flush=True,
        )
        targets = {name: make(ctx, peer.url) for name, make in PEER_SCREENS.items()}
        gateway = getattr(stack, "processes", {}).get("gateway")
        if gateway is not None:
            targets = {name: beside(t, peer, gateway.pid) for name, t in targets.items()}
        _running = peer
        try:
            yield PeerTargets(peer, targets)
        finally:
            _running = None
