"""One table of every result of a `make bench` run, and the run's wall time.

`make bench` sets BENCH_RUN (the run's start, seconds since the epoch) for every benchmark it
starts; each writes it into its JSON (harness.report). This reads the files of bench/results/
that carry that run and prints their measurements together, in the order they were written.

Run: `.venv/bin/python bench/summary.py --run <BENCH_RUN>` (`make bench` does it at the end), or
`--since <seconds since the epoch>` for every result written since then, whichever run.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def results(run: str | None, since: float | None) -> list[dict[str, Any]]:
    """The JSON reports of the run (or written since `since`), oldest first."""
    found = []
    for path in sorted(RESULTS.glob("*.json"), key=lambda p: p.stat().st_mtime):
        written = path.stat().st_mtime
        if since is not None and written < since:
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if run is not None and str(data.get("bench_run")) != run:
            continue
        data["_written"] = written
        found.append(data)
    return found


def _number(value: Any, digits: int = 1) -> str:
    if not isinstance(value, int | float) or not value:
        return "-"
    return f"{value:,.{digits if abs(value) >= 1 else 2}f}"


def table(reports: list[dict[str, Any]]) -> list[str]:
    header = (
        f"{'benchmark':<16} {'scenario':<46} {'size':<8} {'per s':>9} {'p50 ms':>9} "
        f"{'p95 ms':>9} {'RSS MB':>7}  {'compared with':<36} {'its p50':>9} {'ratio':>7}"
    )
    lines = [header, "-" * len(header)]
    for data in reports:
        for m in data.get("measurements", []):
            lines.append(
                f"{data.get('benchmark', '?'):<16} {m.get('scenario', '?')[:46]:<46} "
                f"{m.get('size') or data.get('size') or '-'!s:<8} "
                f"{_number(m.get('throughput_per_s')):>9} {_number(m.get('p50_ms')):>9} "
                f"{_number(m.get('p95_ms')):>9} {_number(m.get('peak_rss_mb'), 0):>7}  "
                f"{(m.get('compared_with') or '-')[:36]:<36} "
                f"{_number(m.get('comparison_p50_ms')):>9} {_number(m.get('ratio'), 2):>7}"
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--run", help="the BENCH_RUN of a `make bench` run (its start, epoch s)")
    parser.add_argument("--since", type=float, help="every result written since (epoch s)")
    args = parser.parse_args()
    if args.run is None and args.since is None:
        parser.error("--run or --since is needed")
    reports = results(args.run, args.since)
    print()
    print(f"All results of this run ({len(reports)} benchmarks):")
    print("\n".join(table(reports)))
    print()
    for data in reports:
        seconds = data.get("process_seconds")
        load = data.get("load_average")
        print(
            f"  {data.get('benchmark', '?'):<16} "
            f"{f'{seconds / 60:5.1f} min' if seconds else '      -  '}"
            f"{f'  (load average {load[0]:.1f} at its end)' if load else ''}"
        )
    started = float(args.run) if args.run else args.since
    if started:
        total = time.time() - started
        print(f"\ntotal wall time: {total / 60:.1f} min ({total:.0f} s)")


if __name__ == "__main__":
    main()
