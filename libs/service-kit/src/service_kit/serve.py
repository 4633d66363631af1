"""The command line of every service: `serve` (default) or `migrate`."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvicorn

from service_kit.migrations import upgrade
from service_kit.settings import KitSettings


def main(
    create_app: Callable[..., Any],
    settings_class: type[KitSettings],
    migrations_dir: Path | None,
    argv: list[str] | None = None,
) -> None:
    parser = argparse.ArgumentParser(prog=settings_class().service_name)
    parser.add_argument("command", nargs="?", default="serve", choices=["serve", "migrate"])
    args = parser.parse_args(argv)
    settings = settings_class()
    if args.command == "migrate":
        if migrations_dir is None:
            return
        if not settings.database_url:
            raise SystemExit("database_url is not set: cannot migrate")
        upgrade(migrations_dir, settings.database_url)
        return
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
    )
