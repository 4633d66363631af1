"""The schema's SDL in gateway/schema.graphql: `python -m gateway.sdl` writes it, `--check` tells
whether it is current (clients and reviewers read the file, not the running gateway)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gateway.schema.root import build_schema

SDL_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"


def sdl() -> str:
    return str(build_schema()).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gateway.sdl", description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail when the file is stale")
    parser.add_argument("--output", type=Path, default=SDL_FILE)
    args = parser.parse_args(argv)
    current = sdl()
    if args.check:
        if not args.output.exists() or args.output.read_text(encoding="utf-8") != current:
            print(f"{args.output} is out of date; run: python -m gateway.sdl", file=sys.stderr)
            return 1
        return 0
    args.output.write_text(current, encoding="utf-8")
    print(f"written: {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
