"""The apps' Dockerfiles, checked without a Docker engine.

Read as text: multi-stage, a slim Python base, a non-root user, `uv sync --frozen
--no-dev --package <app>`, and only the app's own source (with the workspace libraries
it depends on) copied. Then the build stage is replayed in a temporary folder: its
COPY lines (with .dockerignore) and its `uv sync` commands, offline from uv's cache, and
the result must run the app, find its migrations and hold nothing else.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from k8s_objects import APP_PACKAGES, ROOT, App


@dataclass
class Instruction:
    keyword: str
    arguments: str

    @property
    def words(self) -> list[str]:
        return shlex.split(self.arguments)


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]


@dataclass
class Dockerfile:
    arguments: dict[str, str]  # ARGs before the first FROM, with their defaults
    stages: list[Stage]

    def resolve(self, text: str) -> str:
        return re.sub(r"\$\{(\w+)\}", lambda m: self.arguments.get(m.group(1), m.group(0)), text)


def parse(path: Path) -> Dockerfile:
    lines: list[str] = []
    pending = ""
    for raw in path.read_text().splitlines():
        stripped = raw.strip()
        if stripped.startswith("#") or (not stripped and not pending):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        lines.append(pending + stripped)
        pending = ""
    arguments: dict[str, str] = {}
    stages: list[Stage] = []
    for line in lines:
        keyword, _, rest = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            words = rest.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append(Stage(words[0], name))
        elif not stages:
            if keyword == "ARG":
                key, _, default = rest.partition("=")
                arguments[key.strip()] = default.strip()
        else:
            stages[-1].instructions.append(Instruction(keyword, rest.strip()))
    return Dockerfile(arguments, stages)


def workspace_members() -> dict[str, str]:
    """Package name -> folder, for every member of the uv workspace."""
    root = tomllib.loads((ROOT / "pyproject.toml").read_text())
    members = {}
    for folder in root["tool"]["uv"]["workspace"]["members"]:
        project = tomllib.loads((ROOT / folder / "pyproject.toml").read_text())["project"]
        members[project["name"]] = folder
    return members


def workspace_closure(name: str, members: dict[str, str]) -> set[str]:
    """The member and the workspace members it depends on, transitively."""
    found: set[str] = set()
    todo = [name]
    while todo:
        current = todo.pop()
        if current in found:
            continue
        found.add(current)
        project = tomllib.loads((ROOT / members[current] / "pyproject.toml").read_text())
        for requirement in project["project"].get("dependencies", []):
            dependency = re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0]
            if dependency in members:
                todo.append(dependency)
    return found


def copies(stage: Stage) -> list[tuple[list[str], str]]:
    """(sources, destination) of the stage's COPY lines from the build context."""
    found = []
    for instruction in stage.all("COPY"):
        words = instruction.words
        if any(w.startswith("--from") for w in words):
            continue
        words = [w for w in words if not w.startswith("--")]
        found.append((words[:-1], words[-1]))
    return found


def uv_syncs(stage: Stage) -> list[list[str]]:
    commands = []
    for run in stage.all("RUN"):
        for part in run.arguments.split("&&"):
            words = [w for w in shlex.split(part) if not w.startswith("--mount=")]
            if words[:2] == ["uv", "sync"]:
                commands.append(words)
    return commands


def dockerfile(app: str) -> Path:
    members = workspace_members()
    return ROOT / members[app] / "Dockerfile"


APPS = list(APP_PACKAGES)


@pytest.mark.parametrize("app", APPS)
def test_multi_stage_on_a_slim_python(app: str) -> None:
    parsed = parse(dockerfile(app))
    assert len(parsed.stages) >= 2
    runtime = parsed.stages[-1]
    base = parsed.resolve(runtime.base)
    assert re.fullmatch(r"python:3\.1[1-9][\w.]*-slim[\w.-]*", base), base
    assert not runtime.all("HEALTHCHECK"), "Kubernetes probes the app; no HEALTHCHECK"


@pytest.mark.parametrize("app", APPS)
def test_runs_as_a_non_root_user(app: str) -> None:
    runtime = parse(dockerfile(app)).stages[-1]
    users = runtime.all("USER")
    assert users, "no USER in the final stage"
    user = users[-1].arguments.split(":")[0]
    # A numeric uid: the kubelet checks runAsNonRoot against it.
    assert user.isdigit(), user
    assert int(user) > 0
    last_user = runtime.instructions.index(users[-1])
    assert not [i for i in runtime.instructions[last_user:] if i.keyword == "RUN"]


@pytest.mark.parametrize("app", APPS)
def test_installs_the_app_from_the_lock_without_dev_dependencies(app: str) -> None:
    parsed = parse(dockerfile(app))
    build = parsed.stages[0] if parsed.stages[0].name != "uv" else parsed.stages[1]
    syncs = uv_syncs(build)
    assert syncs, "no uv sync"
    for command in syncs:
        assert "--frozen" in command, command
        assert "--no-dev" in command, command
        assert command[command.index("--package") + 1] == app, command
    assert "--no-install-workspace" not in syncs[-1], "the last sync installs the app"
    assert not uv_syncs(parsed.stages[-1]), "the runtime stage installs nothing"


@pytest.mark.parametrize("app", APPS)
def test_copies_only_its_own_source_and_the_libraries_it_uses(app: str, apps: list[App]) -> None:
    members = workspace_members()
    parsed = parse(dockerfile(app))
    build = next(s for s in parsed.stages if uv_syncs(s))
    sources = {source.rstrip("/") for sources, _ in copies(build) for source in sources}
    needed = workspace_closure(app, members)
    manifests = {f"{folder}/pyproject.toml" for folder in members.values()}
    code = {f"{members[name]}/src" for name in needed}
    has_migrations = next(a for a in apps if a.name == app).migrations is not None
    if has_migrations:
        code.add(f"{members[app]}/migrations")
    # uv reads every member's pyproject.toml to load the workspace: metadata, no code.
    assert sources == {"pyproject.toml", "uv.lock"} | manifests | code


@pytest.mark.parametrize("app", APPS)
def test_starts_the_app_on_its_port(app: str, apps: list[App]) -> None:
    the_app = next(a for a in apps if a.name == app)
    runtime = parse(dockerfile(app)).stages[-1]
    (entrypoint,) = runtime.all("ENTRYPOINT")
    assert entrypoint.arguments == f'["python", "-m", "{the_app.package}"]'
    assert [e.arguments for e in runtime.all("EXPOSE")] == [str(the_app.port)]
    env = {}
    for instruction in runtime.all("ENV"):
        env.update(dict(w.split("=", 1) for w in instruction.words))
    assert env.get(f"{the_app.prefix}HOST") == "0.0.0.0"  # noqa: S104 - inside a container


def test_every_app_has_a_dockerfile_and_the_k8s_base_has_every_app() -> None:
    members = workspace_members()
    k8s_apps = {p.name for p in (ROOT / "deploy/k8s/base").iterdir() if p.is_dir()}
    assert k8s_apps == set(APPS)
    for app in APPS:
        assert (ROOT / members[app] / "Dockerfile").is_file(), app


def dockerignored(relative: str, patterns: list[str]) -> bool:
    parts = relative.split("/")
    for pattern in patterns:
        glob = pattern.removeprefix("**/")
        anywhere = pattern.startswith("**/")
        for end in range(1, len(parts) + 1):
            prefix = "/".join(parts[:end])
            if fnmatch.fnmatch(prefix, pattern) or (
                anywhere and fnmatch.fnmatch(parts[end - 1], glob)
            ):
                return True
    return False


def replay_copy(words: list[str], workdir: Path, ignore: list[str]) -> None:
    """COPY from the build context, as Docker does it, leaving out what .dockerignore says."""
    *sources, destination = [w for w in words if not w.startswith("--")]
    target = workdir / destination
    for source in sources:
        assert not dockerignored(source, ignore), f".dockerignore leaves out {source}"
        origin = ROOT / source
        if origin.is_dir():
            shutil.copytree(
                origin,
                target,
                dirs_exist_ok=True,
                ignore=lambda folder, names: [
                    n
                    for n in names
                    if dockerignored(str((Path(folder) / n).relative_to(ROOT)), ignore)
                ],
            )
        elif destination.endswith("/") or len(sources) > 1:
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy(origin, target / origin.name)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(origin, target)


def uv_binary() -> str | None:
    return shutil.which("uv") or next(
        (str(p) for p in [ROOT / ".tools/uv/bin/uv"] if p.exists()), None
    )


@pytest.mark.skipif(uv_binary() is None, reason="uv is neither on PATH nor in .tools/")
@pytest.mark.parametrize("app", APPS)
def test_the_build_stage_replayed_offline_runs_the_app(
    app: str, apps: list[App], tmp_path: Path
) -> None:
    the_app = next(a for a in apps if a.name == app)
    parsed = parse(dockerfile(app))
    build = next(s for s in parsed.stages if uv_syncs(s))
    ignore = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    workdir = tmp_path / "app"
    workdir.mkdir()
    env = {**os.environ}
    for instruction in build.all("ENV"):
        env.update(dict(w.split("=", 1) for w in instruction.words))
    env["UV_PROJECT_ENVIRONMENT"] = str(workdir / ".venv")
    # The same files as in the image, sooner: linked rather than copied, and the
    # third-party packages left uncompiled (the image compiles them at build time).
    env["UV_LINK_MODE"] = "hardlink"
    env["UV_COMPILE_BYTECODE"] = "0"
    env.pop("VIRTUAL_ENV", None)
    # The image's Python is the one the lock was installed with here: its wheels are in
    # uv's cache, which is all an offline sync may use.
    env["UV_PYTHON"] = sys.executable
    uv = uv_binary()
    assert uv is not None
    for instruction in build.instructions:
        if instruction.keyword == "COPY" and not instruction.arguments.startswith("--from"):
            replay_copy(instruction.words, workdir, ignore)
        elif instruction.keyword == "RUN":
            for part in instruction.arguments.split("&&"):
                words = [w for w in shlex.split(part) if not w.startswith("--mount=")]
                if words[:2] == ["uv", "sync"]:
                    command = [uv, *words[1:], "--offline", "--quiet"]
                elif words[:1] == [".venv/bin/python"]:
                    command = [str(workdir / words[0]), *words[1:]]
                else:
                    pytest.fail(f"unknown build step: {part}")
                result = subprocess.run(
                    command, cwd=workdir, env=env, capture_output=True, text=True, check=False
                )
                assert result.returncode == 0, f"{part}:\n{result.stderr}"

    python = str(workdir / ".venv/bin/python")

    def run(code: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [python, "-c", code], cwd=workdir, capture_output=True, text=True, check=False
        )

    copied = [p.relative_to(workdir) for p in workdir.rglob("*") if ".venv" not in p.parts]
    assert not [p for p in copied if "tests" in p.parts], ".dockerignore leaves tests out"
    started = subprocess.run(
        [python, "-m", the_app.package, "--help"], cwd=workdir, capture_output=True, text=True
    )
    assert started.returncode == 0, started.stderr
    if the_app.migrations is not None:
        found = run(
            f"import {the_app.package}.main as m; print(m.MIGRATIONS_DIR.resolve())"
        ).stdout.strip()
        assert Path(found).is_relative_to(workdir)
        assert Path(found, "env.py").is_file()

    def installed(module: str) -> bool:
        # The workspace's folders (gateway/ holds its pyproject.toml) would import as
        # empty namespace packages from the working directory: only code counts.
        probe = run(
            f"import importlib.util, sys; spec = importlib.util.find_spec({module!r}); "
            "sys.exit(0 if spec is not None and spec.origin not in (None, 'namespace') else 1)"
        )
        return probe.returncode == 0

    assert installed(the_app.package)
    for other in APP_PACKAGES.values():
        if other != the_app.package:
            assert not installed(other), f"{other} is in the {app} image"
    for dev_only in ("pytest", "ruff", "mypy", "devstack", "kubernetes_validate"):
        assert not installed(dev_only), f"{dev_only} is in the {app} image"
