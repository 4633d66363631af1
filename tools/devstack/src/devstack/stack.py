"""Start and stop the whole system as real processes on one PostgreSQL server."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

from service_kit.migrations import upgrade_async
from service_kit.pgcluster import ensure_database, port_in_use


@dataclass(frozen=True)
class App:
    name: str
    module: str
    env_prefix: str
    port: int
    database: str | None
    migrations: Path | None


def _migrations(service: str) -> Path:
    module = __import__(f"{service}_service.main", fromlist=["MIGRATIONS_DIR"])
    path: Path = module.MIGRATIONS_DIR
    return path


def default_apps(base_port: int = 8000) -> list[App]:
    """The gateway and the four services with ARCHITECTURE.md's ports (8000-8004 by default)."""
    apps = [App("gateway", "gateway", "GATEWAY_", base_port, None, None)]
    for offset, service in enumerate(("org", "member", "funding", "rating"), start=1):
        apps.append(
            App(
                f"{service}-service",
                f"{service}_service",
                f"{service.upper()}_",
                base_port + offset,
                service,
                _migrations(service),
            )
        )
    return apps


def event_subscriptions(urls: dict[str, str]) -> dict[str, dict[str, list[str]]]:
    """Who hears what (ARCHITECTURE.md "Known flows"), by publishing service."""
    member, funding, rating, org = (urls[k] for k in ("member", "funding", "rating", "org"))
    return {
        "org": {
            "org.organization.changed": [member, funding, rating],
            "org.organization.dissolved": [member, funding, rating],
        },
        "member": {
            "member.stage.changed": [funding, org],
            "member.transferred": [funding, org],
            "member.secretary_term.changed": [funding, org],
        },
        "rating": {
            "rating.evaluation.finalized": [member],
            "rating.star_level.changed": [funding, org],
        },
        "funding": {},
    }


def _tail(path: Path, lines: int = 20) -> str:
    """The last lines of a log, for an error message that says why without opening it."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


@dataclass
class Stack:
    """The running system: one process per app, logs under `log_dir`."""

    server_url: str
    data_dir: Path
    apps: list[App] = field(default_factory=default_apps)
    environment: str = "local"
    extra_env: dict[str, str] = field(default_factory=dict)
    database_prefix: str = ""
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    _logs: list[IO[bytes]] = field(default_factory=list)

    def url(self, name: str) -> str:
        app = next(a for a in self.apps if a.name == name or a.database == name)
        return f"http://127.0.0.1:{app.port}"

    @property
    def gateway_url(self) -> str:
        return self.url("gateway")

    def database_url(self, app: App) -> str:
        assert app.database is not None
        return self.server_url.rsplit("/", 1)[0] + "/" + self.database_prefix + app.database

    async def prepare_databases(self) -> None:
        """One database per service, migrated to head."""
        for app in self.apps:
            if app.database is None or app.migrations is None:
                continue
            url = await ensure_database(self.server_url, self.database_prefix + app.database)
            await upgrade_async(app.migrations, url)

    def _env(self, app: App) -> dict[str, str]:
        urls = {a.database: self.url(a.name) for a in self.apps if a.database}
        gateway = self.gateway_url
        env = dict(os.environ)
        p = app.env_prefix
        env.update(
            {
                f"{p}ENVIRONMENT": self.environment,
                f"{p}PORT": str(app.port),
                f"{p}HOST": "127.0.0.1",
                f"{p}AUTH_ISSUER": f"{gateway}/auth",
                f"{p}AUTH_JWKS_URL": f"{gateway}/auth/jwks",
                f"{p}TOKEN_URL": f"{gateway}/auth/token",
            }
        )
        if app.database is not None:
            env[f"{p}DATABASE_URL"] = self.database_url(app)
            # Where the other services answer (org_service_url, …), whatever the ports.
            for name, url in urls.items():
                env[f"{p}{name.upper()}_SERVICE_URL"] = url
            subscriptions = event_subscriptions(urls)[app.database]
            env[f"{p}EVENT_SUBSCRIPTIONS"] = json.dumps(subscriptions)
            # Where the other services answer (ORG_SERVICE_URL …), read by those that call them.
            for name, url in urls.items():
                if name != app.database:
                    env[f"{p}{name.upper()}_SERVICE_URL"] = url
        else:
            env["GATEWAY_ISSUER_KEY_FILE"] = str(self.data_dir / "issuer" / "signing-key.pem")
            for name, url in urls.items():
                env[f"GATEWAY_{name.upper()}_SERVICE_URL"] = url
        env.update(self.extra_env)
        return env

    def start(self) -> None:
        """Start every app; refuses when a port is taken, so that nothing old answers."""
        taken = [a for a in self.apps if port_in_use(a.port)]
        if taken:
            names = ", ".join(f"{a.name} ({a.port})" for a in taken)
            raise RuntimeError(f"ports already in use: {names}; stop what holds them first")
        log_dir = self.data_dir / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        for app in self.apps:
            log = (log_dir / f"{app.name}.log").open("ab")
            self._logs.append(log)
            self.processes[app.name] = subprocess.Popen(  # noqa: S603 - our own interpreter
                [sys.executable, "-m", app.module],
                env=self._env(app),
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    async def wait_ready(self, within: float = 180.0) -> None:
        """Until every app answers /readyz (services) or /healthz (gateway)."""
        deadline = time.monotonic() + within
        async with httpx.AsyncClient(timeout=2.0) as client:
            for app in self.apps:
                path = "/readyz" if app.database else "/healthz"
                while True:
                    process = self.processes[app.name]
                    if process.poll() is not None:
                        log = self.data_dir / "logs" / f"{app.name}.log"
                        raise RuntimeError(
                            f"{app.name} exited with {process.returncode}; see {log}; "
                            f"it ends with:\n{_tail(log)}"
                        )
                    try:
                        response = await client.get(f"http://127.0.0.1:{app.port}{path}")
                        if response.status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"{app.name} did not become ready in {within:.0f}s")
                    await asyncio.sleep(0.1)

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM every app, wait, then SIGKILL what is left; nothing stays behind."""
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in self.processes.values():
            remaining = max(0.1, deadline - time.monotonic())
            try:
                process.wait(remaining)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()
        for log in self._logs:
            log.close()
        self._logs.clear()
