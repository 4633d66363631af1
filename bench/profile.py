"""Profile the gateway or a service with py-spy while a benchmark loads it.

Starts the benchmark command, echoes its output, and once a line matches --after (default: at
once) attaches `py-spy record` to each process started by the benchmark (at any depth) that
runs one of the --app modules (`python -m gateway`, `python -m member_service`, …). Recording
stops when a line matches --until, after --seconds, or when the benchmark ends; then the top
frames of each profile are printed (own time and time inside, as shares of the samples).

    .venv/bin/python bench/profile.py --app gateway --app member_service \\
        --after 'agree' -- .venv/bin/python bench/gateway_home.py --size small

Profiles go to bench/results/profiles/ (collapsed stacks, one line a stack: `flamegraph.pl`,
speedscope.app or `--format speedscope` read them). See bench/profile_screens.md.
"""

from __future__ import annotations

import argparse
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from harness import descendants

PROFILES = Path(__file__).resolve().parent / "results" / "profiles"
PY_SPY = Path(sys.executable).parent / "py-spy"


def module_of(pid: int) -> str | None:
    """The module of a `python -m module …` process."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return None
    for i, arg in enumerate(argv[:-1]):
        if arg == b"-m":
            return argv[i + 1].decode()
    return None


# A thread parked in these (a worker thread waiting for work) is not busy, whatever py-spy says.
IDLE = ("Condition.wait (threading.py", "Queue.get (queue.py", "Event.wait (threading.py")
# Time inside: the share of busy samples with one of these frames on the stack.
INSIDE = {
    "GraphQL parse + validate": ("(graphql/language/", "(graphql/validation/"),
    "GraphQL execution (graphql-core, Strawberry)": ("(graphql/execution/", "(strawberry/"),
    "upstream calls (httpx, httpcore)": ("(httpx/", "(httpcore/"),
    "JSON encode/decode": ("(json/", "orjson", "dump_json", "JSONResponse.render"),
    "tokens (JWT verify)": ("(jwt/",),
    "SQLAlchemy / SQLModel": ("(sqlalchemy/", "(sqlmodel/"),
    "asyncpg": ("(asyncpg/",),
    "pydantic": ("(pydantic/", "(pydantic_core/"),
    "ASGI stack (uvicorn, Starlette, FastAPI middleware)": (
        "(uvicorn/",
        "(starlette/",
        "(fastapi/",
    ),
}


def _library(frame: str) -> str:
    """`f (graphql/execution/executor.py:12)` → `graphql`."""
    where = frame[frame.rfind("(") + 1 :]
    return where.split("/", 1)[0] if "/" in where else where.split(":", 1)[0]


def top_frames(path: Path, count: int) -> list[str]:
    """Busy samples (idle worker threads left out) by library of the running frame, by what
    they are inside of, and the frames with the most own samples."""
    own: Counter[str] = Counter()
    libraries: Counter[str] = Counter()
    inside: Counter[str] = Counter()
    total = idle = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, samples = line.rpartition(" ")
        if not stack or not samples.isdigit():
            continue
        n = int(samples)
        frames = stack.split(";")
        if frames[-1].startswith(IDLE):
            idle += n
            continue
        total += n
        own[frames[-1]] += n
        libraries[_library(frames[-1])] += n
        for label, marks in INSIDE.items():
            if any(mark in frame for frame in frames for mark in marks):
                inside[label] += n
    if not total:
        return ["  (no busy samples)"]
    lines = [f"  {total} busy samples ({idle} more in idle worker threads, left out)"]
    lines.append("  own time by library (the frame running when sampled):")
    lines += [f"    {n / total:6.1%}  {lib}" for lib, n in libraries.most_common(count)]
    lines.append("  time inside (the sample has such a frame on its stack; they overlap):")
    lines += [f"    {n / total:6.1%}  {label}" for label, n in inside.most_common()]
    lines.append("  own time by frame:")
    lines += [f"    {n / total:6.1%}  {frame}" for frame, n in own.most_common(count)]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--app", action="append", default=[], help="module to profile")
    parser.add_argument("--after", help="start recording at the first output line matching this")
    parser.add_argument("--until", help="stop recording at the first output line matching this")
    parser.add_argument("--seconds", type=float, help="stop recording after this long")
    parser.add_argument(
        "--repeat",
        action="store_true",
        help="record again at every later --after line, until the next --until line (a window "
        "each, its profiles named after the --after pattern's first group, e.g. the screen)",
    )
    parser.add_argument("--rate", type=int, default=100, help="samples a second (py-spy)")
    parser.add_argument("--format", choices=("raw", "speedscope", "flamegraph"), default="raw")
    parser.add_argument("--top", type=int, default=15, help="frames to print per profile")
    parser.add_argument("--out", type=Path, default=PROFILES)
    parser.add_argument(
        "--summarize", type=Path, nargs="+", help="only print the top frames of these profiles"
    )
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- the benchmark command")
    args = parser.parse_args()
    if args.summarize:
        for path in args.summarize:
            print(f"{path}:")
            print("\n".join(top_frames(path, args.top)))
        return
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command or not args.app:
        parser.error("--app and the benchmark command (after --) are needed")
    if not PY_SPY.exists():
        sys.exit(f"{PY_SPY} is missing: `make bootstrap` installs it (a dev dependency)")
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    suffix = {"raw": "txt", "speedscope": "json", "flamegraph": "svg"}[args.format]
    bench = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, bufsize=1)
    recorders: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}
    recording: list[str] = []  # the recorders of the open window
    started_at: float | None = None
    lock = threading.Lock()

    def attach(label: str = "") -> None:
        nonlocal started_at
        with lock:
            if started_at is not None:
                return
            started_at = time.monotonic()
            tag = f"{label}-" if label else ""
            found = set()
            for pid in descendants(bench.pid):
                name = module_of(pid)
                key = f"{tag}{name}"
                if name is not None and name in args.app and key not in recorders:
                    path = args.out / f"{key}-{stamp}.{suffix}"
                    spy = subprocess.Popen(
                        [
                            PY_SPY,
                            "record",
                            *("--pid", str(pid), "--rate", str(args.rate)),
                            *("--format", args.format, "--output", str(path)),
                        ],
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.PIPE,
                    )
                    recorders[key] = (spy, path)
                    recording.append(key)
                    found.add(name)
                    print(f"[profile] recording {key} (pid {pid}) into {path}", flush=True)
            missing = set(args.app) - found
            if missing:
                print(f"[profile] not found below the benchmark: {sorted(missing)}", flush=True)

    def detach() -> None:
        nonlocal started_at
        with lock:
            for key in recording:
                spy, _ = recorders[key]
                if spy.poll() is None:
                    spy.send_signal(signal.SIGINT)  # py-spy writes its profile on SIGINT
            recording.clear()
            if args.repeat:
                started_at = None

    def timer() -> None:
        while bench.poll() is None:
            if (
                started_at is not None
                and args.seconds
                and time.monotonic() - started_at >= args.seconds
            ):
                detach()
                return
            time.sleep(0.2)

    threading.Thread(target=timer, daemon=True).start()
    after = re.compile(args.after) if args.after else None
    until = re.compile(args.until) if args.until else None
    if after is None:
        # no line to wait for: as soon as the apps run
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and bench.poll() is None:
            if set(args.app) <= {module_of(p) for p in descendants(bench.pid)}:
                break
            time.sleep(0.5)
        attach()
    assert bench.stdout is not None
    for line in bench.stdout:
        sys.stdout.write(line)
        matched = after.search(line) if after is not None and started_at is None else None
        if matched:
            attach(next((g for g in matched.groups() if g), "") if args.repeat else "")
        if until is not None and started_at is not None and until.search(line):
            detach()
    code = bench.wait()
    detach()
    for name, (spy, path) in recorders.items():
        try:
            _, err = spy.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            spy.kill()
            _, err = spy.communicate()
        print(f"\n[profile] {name}: {path}")
        if not path.exists():
            print(f"  py-spy wrote nothing: {err.decode(errors='replace')[-1000:]}")
        elif args.format == "raw":
            print("\n".join(top_frames(path, args.top)))
    sys.exit(code)


if __name__ == "__main__":
    main()
