"""`python -m devstack run`: the whole system on this machine, with demo data, until Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from pathlib import Path

import demo_data
from devstack.seed import load_demo, load_demo_members, service_token
from devstack.stack import Stack, default_apps
from service_kit.pgcluster import ClusterError, LocalCluster

DEFAULT_PG_PORT = 55432


def _banner(stack: Stack, database: str, created: dict[str, int]) -> str:
    gw = stack.gateway_url
    lines = [
        "",
        "Party-building backend is running.",
        "",
        f"  gateway (GraphQL)  {gw}/graphql",
        f"  token issuer       {gw}/auth/token",
    ]
    lines += [
        f"  {a.name:<18} {stack.url(a.name)}  (OpenAPI: {stack.url(a.name)}/docs)"
        for a in stack.apps
        if a.database
    ]
    lines += [
        f"  PostgreSQL         {database}",
        f"  logs               {stack.data_dir / 'logs'}",
        "  demo data          loaded now (0: kept from an earlier run): "
        + ", ".join(f"{n} {what.replace('_', ' ')}" for what, n in created.items()),
        "",
        f"Demo accounts (password '{demo_data.DEMO_PASSWORD}'): "
        + ", ".join(a.username for a in demo_data.ACCOUNTS),
        "Machine clients (secret 'demo'): " + ", ".join(c.client_id for c in demo_data.CLIENTS),
        "",
        "Try it:",
        f"  TOKEN=$(curl -s {gw}/auth/token -d grant_type=password -d username=admin.city "
        "-d password=demo | python3 -c "
        "'import json,sys; print(json.load(sys.stdin)[\"access_token\"])')",
        f'  curl -s {gw}/graphql -H "Authorization: Bearer $TOKEN" '
        "-H 'Content-Type: application/json' "
        '-d \'{"query": "{ organizations(first: 5) { nodes { name kind region { name } } } }"}\'',
        "",
        "Press Ctrl-C to stop everything.",
    ]
    return "\n".join(lines)


async def _run(data_dir: Path, base_port: int) -> int:
    cluster: LocalCluster | None = None
    server_url = os.environ.get("DATABASE_URL")
    if server_url is None:
        port = int(os.environ.get("PGPORT", DEFAULT_PG_PORT))
        cluster = LocalCluster(data_dir / "postgres", port)
        print(f"Starting PostgreSQL in {cluster.data_dir} on port {port} …", flush=True)
        cluster.init()
        cluster.start()
        server_url = cluster.url()
    stack = Stack(server_url=server_url, data_dir=data_dir, apps=default_apps(base_port))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        print("Migrating the four databases …", flush=True)
        await stack.prepare_databases()
        print("Starting the services and the gateway …", flush=True)
        stack.start()
        await stack.wait_ready()
        token = await service_token(
            stack.gateway_url,
            "gateway",
            os.environ.get("GATEWAY_SERVICE_CLIENT_SECRET", "dev-service-secret"),
        )
        created = await load_demo(stack.url("org"), token)
        created.update(await load_demo_members(stack.url("member"), token))
        print(_banner(stack, server_url.rsplit("@", 1)[-1], created), flush=True)
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=1.0)
            except TimeoutError:
                for name, process in stack.processes.items():
                    if process.poll() is not None:
                        print(f"{name} exited with {process.returncode}; stopping.", flush=True)
                        return 1
        return 0
    finally:
        print("\nStopping …", flush=True)
        stack.stop()
        if cluster is not None:
            cluster.stop()
        print("Stopped.", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="devstack")
    parser.add_argument("command", choices=["run"])
    parser.add_argument("--data-dir", type=Path, default=Path(".data"))
    parser.add_argument(
        "--base-port",
        type=int,
        default=int(os.environ.get("BASE_PORT", "8000")),
        help="gateway port; the services take the next four (default 8000)",
    )
    args = parser.parse_args(argv)
    try:
        code = asyncio.run(_run(args.data_dir.resolve(), args.base_port))
    except (ClusterError, RuntimeError, TimeoutError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = 1
    sys.exit(code)


if __name__ == "__main__":
    main()
