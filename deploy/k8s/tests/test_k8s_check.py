"""`make k8s-check` as part of `make test`: every overlay renders and validates offline,
and the check fails on each kind of planted error."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from k8s_objects import K8S

# One version is enough to show that a planted error is caught.
VERSION = ("1.33.0",)


def test_every_overlay_renders_and_validates(check: ModuleType) -> None:
    report = check.check()
    assert report.ok, "\n".join(report.errors)
    assert set(report.validated) == {p.name for p in check.overlays()}
    # Nothing escapes unlisted: every object is validated or a listed custom resource.
    for overlay, objects in report.not_validated.items():
        assert all(o.startswith("Cluster/") for o in objects), (overlay, objects)
    assert report.unchecked_kinds <= set(check.NOT_VALIDATED)


def test_validates_against_a_stated_kubernetes_version(check: ModuleType) -> None:
    assert check.KUBERNETES_VERSIONS
    assert all(v.count(".") == 2 for v in check.KUBERNETES_VERSIONS)


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """deploy/k8s without its tests, and with the dev overlay only (quicker)."""
    root = tmp_path / "k8s"
    for part in ("base", "components", "overlays"):
        shutil.copytree(K8S / part, root / part)
    for overlay in (root / "overlays").iterdir():
        if overlay.name != "dev":
            shutil.rmtree(overlay)
    return root


def plant(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def errors(check: ModuleType, root: Path) -> str:
    report = check.check(root, VERSION)
    assert not report.ok, "the planted error went unnoticed"
    return "\n".join(report.errors)


def test_the_copy_itself_passes(check: ModuleType, copy: Path) -> None:
    assert check.check(copy, VERSION).ok


def test_an_unknown_field_fails(check: ModuleType, copy: Path) -> None:
    plant(copy / "base/org-service/deployment.yaml", "path: /readyz", "pathh: /readyz")
    found = errors(check, copy)
    assert "Deployment/org-service" in found
    assert "'pathh' was unexpected" in found


def test_a_value_of_the_wrong_type_fails(check: ModuleType, copy: Path) -> None:
    plant(
        copy / "base/gateway/deployment.yaml",
        "terminationGracePeriodSeconds: 30",
        "terminationGracePeriodSeconds: thirty",
    )
    found = errors(check, copy)
    assert "Deployment/gateway: spec.template.spec.terminationGracePeriodSeconds" in found


def test_a_missing_required_field_fails(check: ModuleType, copy: Path) -> None:
    plant(copy / "base/rating-service/service.yaml", "      port: 8004\n", "")
    found = errors(check, copy)
    assert "Service/rating-service: spec.ports.0" in found
    assert "'port' is a required property" in found


def test_an_unknown_api_version_fails(check: ModuleType, copy: Path) -> None:
    plant(copy / "base/funding-service/pdb.yaml", "apiVersion: policy/v1", "apiVersion: policy/v2")
    assert "no schema for policy/v2 PodDisruptionBudget" in errors(check, copy)


def test_an_overlay_that_does_not_render_fails(check: ModuleType, copy: Path) -> None:
    plant(copy / "overlays/dev/kustomization.yaml", "  - postgres\n", "  - postgress\n")
    assert "dev: kustomize failed" in errors(check, copy)


def test_a_custom_resource_is_checked_against_its_schema_when_there_is_one(
    check: ModuleType, tmp_path: Path
) -> None:
    root = tmp_path / "k8s"
    for part in ("base", "components", "overlays"):
        shutil.copytree(K8S / part, root / part)
    shutil.rmtree(root / "overlays/dev")
    schema = root / "schemas/postgresql.cnpg.io/cluster_v1.json"
    schema.parent.mkdir(parents=True)
    schema.write_text(
        json.dumps(
            {
                "type": "object",
                "properties": {
                    "spec": {"type": "object", "properties": {"instances": {"maximum": 1}}}
                },
            }
        )
    )
    report = check.check(root, VERSION)
    assert any("Cluster/pg-org: spec.instances" in e for e in report.errors), report.errors
    assert not report.not_validated


def test_make_k8s_check_exits_non_zero_on_an_error(copy: Path) -> None:
    plant(copy / "base/member-service/service.yaml", "type: ClusterIP", "typ: ClusterIP")
    result = subprocess.run(
        [
            sys.executable,
            str(K8S / "check.py"),
            "--root",
            str(copy),
            "--kubernetes-version",
            "1.33.0",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "Service/member-service" in result.stderr
