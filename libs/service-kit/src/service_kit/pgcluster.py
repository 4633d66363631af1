"""A local PostgreSQL cluster in a directory, without installing or configuring a server.

Binaries come from PG_BINDIR, PATH, /usr/lib/postgresql/*/bin, or the PyPI package
`pgserver` (only its binaries are used: its own start-up creates system users and
changes permissions). When the caller is root the postgres processes run as an
unprivileged user, since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import random
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg

SUPERUSER = "postgres"


class ClusterError(RuntimeError):
    """The local cluster cannot be created or started; the message says what to do."""


def _has_tools(bindir: Path) -> bool:
    return all((bindir / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres"))


def find_bindir() -> Path:
    """Where initdb, pg_ctl and postgres are, in the documented order of preference."""
    if env := os.environ.get("PG_BINDIR"):
        if _has_tools(Path(env)):
            return Path(env)
        raise ClusterError(f"PG_BINDIR={env} does not hold initdb, pg_ctl and postgres")
    on_path = shutil.which("pg_ctl")
    if on_path:
        bindir = Path(on_path).resolve().parent
        if _has_tools(bindir):
            return bindir
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0,
    )
    for candidate in reversed(versions):
        if _has_tools(Path(candidate)):
            return Path(candidate)
    try:
        import pgserver
    except ImportError as exc:
        raise ClusterError(
            "No PostgreSQL binaries found: set PG_BINDIR, install PostgreSQL, or use "
            "Python 3.12 or older so that the bundled 'pgserver' binaries can be installed."
        ) from exc
    bindir = Path(pgserver.__file__).parent / "pginstall" / "bin"
    if not _has_tools(bindir):
        raise ClusterError(f"the pgserver package has no binaries at {bindir}")
    return bindir


# Below this, well-known services (PostgreSQL 5432, Redis 6379, RabbitMQ, NATS …) listen.
_LOWEST_PORT = 15000


def _ephemeral_range() -> tuple[int, int]:
    """The ports the kernel hands to outgoing connections."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def _can_bind(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


# Ports this process was given: a caller may choose several before it binds any of them.
_handed_out: set[int] = set()


def free_ports(count: int = 1, *, between: tuple[int, int] | None = None) -> int:
    """The first of `count` consecutive ports that nobody holds.

    They lie outside the kernel's ephemeral range: a port taken from that range can be
    given to an outgoing connection (a client of PostgreSQL, of another service) between
    the moment it is chosen and the moment a server binds it, and the server then fails
    to start. Chosen at random, so that concurrent test sessions rarely pick the same.
    `between` narrows the first port to [first, last).
    """
    low, high = _ephemeral_range()
    if between is not None:
        first, last = between
    elif low - count > _LOWEST_PORT + 1000:
        first, last = _LOWEST_PORT, low - count
    else:
        first, last = high + 1, 65535 - count
    chooser = random.SystemRandom()
    for _ in range(200):
        base = chooser.randrange(first, last)
        block = range(base, base + count)
        if any(port in _handed_out for port in block):
            continue  # chosen earlier in this process, maybe not bound yet
        if all(_can_bind(port) for port in block):  # a listener makes the bind fail
            _handed_out.update(block)
            return base
    raise RuntimeError(f"no {count} consecutive free ports between {first} and {last + count}")


def free_port() -> int:
    """One port nobody holds, outside the ephemeral range (see free_ports)."""
    return free_ports(1)


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class LocalCluster:
    """One cluster in `data_dir`, listening on 127.0.0.1:`port` with trust auth."""

    data_dir: Path
    port: int
    durable: bool = True
    bindir: Path | None = None

    def __post_init__(self) -> None:
        self.data_dir = self.data_dir.resolve()
        self.bindir = self.bindir or find_bindir()
        self._user = self._unprivileged_user()

    @staticmethod
    def _unprivileged_user() -> pwd.struct_passwd | None:
        if os.geteuid() != 0:
            return None
        name = os.environ.get("PG_RUN_AS", "nobody")
        try:
            return pwd.getpwnam(name)
        except KeyError as exc:
            raise ClusterError(
                f"running as root, but user {name!r} (PG_RUN_AS) does not exist"
            ) from exc

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "pgdata"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "postgres.log"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _run(self, args: list[str]) -> subprocess.CompletedProcess[str]:
        assert self.bindir is not None
        user = self._user
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C.UTF-8" if Path("/usr/lib/locale/C.utf8").exists() else "C"
        return subprocess.run(  # noqa: S603 - fixed binaries, arguments built here
            [str(self.bindir / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            env=env,
            check=False,
            cwd="/",
            user=user.pw_uid if user is not None else None,
            group=user.pw_gid if user is not None else None,
            extra_groups=[] if user is not None else None,
        )

    def _give_to_user(self, path: Path) -> None:
        if self._user is None:
            return
        os.chown(path, self._user.pw_uid, self._user.pw_gid)
        # The postgres user must reach the directory through every parent.
        for parent in path.parents:
            mode = parent.stat().st_mode
            if not mode & 0o001:
                raise ClusterError(
                    f"{parent} is not searchable by user {self._user.pw_name!r}, who runs "
                    "PostgreSQL when the caller is root: put the checkout somewhere others "
                    "can traverse, or set DATABASE_URL to an existing server."
                )

    def initialized(self) -> bool:
        return (self.pgdata / "PG_VERSION").exists()

    def init(self) -> None:
        """Create the cluster directory (idempotent)."""
        if self.initialized():
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir.chmod(0o755)
        self._give_to_user(self.data_dir)
        result = self._run(
            [
                "initdb",
                "-D",
                str(self.pgdata),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--no-instructions",
                *([] if self.durable else ["--no-sync"]),
            ]
        )
        if result.returncode != 0:
            raise ClusterError(f"initdb failed:\n{result.stdout}\n{result.stderr}")
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": "''",
            "max_connections": "400",
            "shared_buffers": "256MB",
            "timezone": "'UTC'",
        }
        if not self.durable:
            settings.update(
                {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
            )
        with (self.pgdata / "postgresql.auto.conf").open("a") as conf:
            for key, value in settings.items():
                conf.write(f"{key} = {value}\n")

    def running(self) -> bool:
        return self._run(["pg_ctl", "status", "-D", str(self.pgdata)]).returncode == 0

    def start(self) -> None:
        """Start the server on `port` and wait until it accepts connections."""
        if self.running():
            return
        if port_in_use(self.port):
            raise ClusterError(
                f"port {self.port} on 127.0.0.1 is already taken; set PGPORT to another port"
            )
        if not self.log_file.exists():
            self.log_file.touch()
            self._give_to_user(self.log_file)
        result = self._run(
            [
                "pg_ctl",
                "start",
                "-w",
                "-t",
                "60",
                "-D",
                str(self.pgdata),
                "-l",
                str(self.log_file),
                "-o",
                f"-p {self.port}",
            ]
        )
        if result.returncode != 0:
            tail = self.log_file.read_text(errors="replace")[-2000:]
            raise ClusterError(f"PostgreSQL did not start:\n{result.stderr}\n{tail}")

    def stop(self) -> None:
        if self.initialized():
            self._run(["pg_ctl", "stop", "-D", str(self.pgdata), "-m", "fast", "-w"])


def database_url(server_url: str, name: str) -> str:
    """The server's URL naming database `name`; user, host and query (sslmode…) are kept."""
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path="/" + quote(name, safe="")))


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def ensure_database(server_url: str, name: str, *, template: str | None = None) -> str:
    """Create database `name` on the server if it does not exist; returns its URL."""
    connection = await asyncpg.connect(database_url(server_url, "postgres"))
    try:
        exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            suffix = f" TEMPLATE {_identifier(template)}" if template else ""
            # Another process may create it between the check and here: that is success
            # (PostgreSQL reports the race as either error).
            with contextlib.suppress(asyncpg.DuplicateDatabaseError, asyncpg.UniqueViolationError):
                await connection.execute(f"CREATE DATABASE {_identifier(name)}{suffix}")
    finally:
        await connection.close()
    return database_url(server_url, name)


async def drop_database(server_url: str, name: str) -> None:
    connection = await asyncpg.connect(database_url(server_url, "postgres"))
    try:
        await connection.execute(f"DROP DATABASE IF EXISTS {_identifier(name)} WITH (FORCE)")
    finally:
        await connection.close()
