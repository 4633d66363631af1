"""Questions the deployment tests ask of rendered objects: workloads, selectors, settings."""

from __future__ import annotations

import base64
import importlib
import importlib.util
import inspect
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from service_kit.settings import KitSettings

K8S = Path(__file__).resolve().parents[1]
ROOT = K8S.parents[1]

# The apps that run, by name (Deployment, Service, image) and Python package.
APP_PACKAGES = {
    "gateway": "gateway",
    "org-service": "org_service",
    "member-service": "member_service",
    "funding-service": "funding_service",
    "rating-service": "rating_service",
}
NAME = "app.kubernetes.io/name"
COMPONENT = "app.kubernetes.io/component"
POD_KINDS = ("Deployment", "StatefulSet", "Job", "DaemonSet", "ReplicaSet")

Obj = dict[str, Any]


@dataclass(frozen=True)
class App:
    name: str
    package: str
    settings_class: type[KitSettings]
    source: Path  # the app's folder in the repository: services/<name> or gateway

    @property
    def prefix(self) -> str:
        return str(self.settings_class.model_config.get("env_prefix", "")).upper()

    @property
    def port(self) -> int:
        port: int = self.settings_class.model_fields["port"].default
        return port

    @property
    def migrations(self) -> Path | None:
        """Where <package>.main finds them (MIGRATIONS_DIR). Not imported: the services'
        models share one SQLAlchemy metadata and cannot all load in one process."""
        path = self.source / "migrations"
        return path if (path / "env.py").is_file() else None


def settings_class_of(package: str) -> type[KitSettings]:
    """The one settings class the app's settings module defines."""
    module = importlib.import_module(f"{package}.settings")
    found = [
        cls
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, KitSettings) and cls.__module__ == module.__name__
    ]
    assert len(found) == 1, f"{module.__name__} defines {len(found)} settings classes"
    return found[0]


def discover_apps() -> list[App]:
    found = []
    for name, package in APP_PACKAGES.items():
        init = importlib.import_module(package).__file__
        assert init is not None
        found.append(App(name, package, settings_class_of(package), Path(init).parents[2]))
    return found


def load_check() -> ModuleType:
    """deploy/k8s/check.py, the script behind `make k8s-check`, loaded once."""
    if "k8s_check" in sys.modules:
        return sys.modules["k8s_check"]
    spec = importlib.util.spec_from_file_location("k8s_check", K8S / "check.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["k8s_check"] = module
    spec.loader.exec_module(module)
    return module


def is_production(overlay: str) -> bool:
    return overlay != "dev"


def of_kind(objects: list[Obj], kind: str) -> list[Obj]:
    return [o for o in objects if o["kind"] == kind]


def named(objects: list[Obj], kind: str, name: str) -> Obj | None:
    for obj in of_kind(objects, kind):
        if obj["metadata"]["name"] == name:
            return obj
    return None


@dataclass(frozen=True)
class Workload:
    obj: Obj
    pod: Obj  # the pod template's spec
    labels: dict[str, str]

    @property
    def ref(self) -> str:
        return f"{self.obj['kind']}/{self.obj['metadata']['name']}"

    def containers(self, *, init: bool = True) -> list[Obj]:
        found: list[Obj] = list(self.pod.get("containers", []))
        if init:
            found += self.pod.get("initContainers", [])
        return found


def workloads(objects: list[Obj]) -> Iterator[Workload]:
    for obj in objects:
        if obj["kind"] in POD_KINDS:
            template = obj["spec"]["template"]
            yield Workload(obj, template["spec"], template["metadata"].get("labels", {}))


def app_workloads(objects: list[Obj], app: str) -> list[Workload]:
    return [w for w in workloads(objects) if w.labels.get(NAME) == app]


def server(objects: list[Obj], app: str) -> Workload:
    """The app's Deployment."""
    found = [w for w in app_workloads(objects, app) if w.obj["kind"] == "Deployment"]
    assert len(found) == 1, f"{app}: {len(found)} Deployments"
    return found[0]


def selects(selector: Obj | None, labels: dict[str, str]) -> bool:
    """Whether a label selector (matchLabels, matchExpressions) selects these labels."""
    if selector is None:
        return False
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions", []):
        key, operator = expression["key"], expression["operator"]
        values = expression.get("values", [])
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and labels.get(key) in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


@dataclass(frozen=True)
class Setting:
    """Where a container's environment variable comes from."""

    source: str  # "configmap", "secret" or "literal"
    value: str | None  # None for a Secret that the overlay does not render
    where: str  # ConfigMap or Secret (name and key)


def secret_key_refs(node: Any) -> Iterator[Obj]:
    """Every secretKeyRef anywhere inside an object."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "secretKeyRef" and isinstance(value, dict):
                yield value
            else:
                yield from secret_key_refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from secret_key_refs(item)


def secret_value(objects: list[Obj], name: str, key: str) -> str | None:
    secret = named(objects, "Secret", name)
    if secret is None:
        return None
    if key in secret.get("stringData", {}):
        return str(secret["stringData"][key])
    if key in secret.get("data", {}):
        return base64.b64decode(secret["data"][key]).decode()
    return None


def environment(objects: list[Obj], container: Obj) -> dict[str, Setting]:
    """A container's environment variables and where each one comes from."""
    env: dict[str, Setting] = {}
    for source in container.get("envFrom", []):
        prefix = source.get("prefix", "")
        if "configMapRef" in source:
            name = source["configMapRef"]["name"]
            config = named(objects, "ConfigMap", name)
            assert config is not None, f"ConfigMap {name} is not in the overlay"
            for key, value in config.get("data", {}).items():
                env[prefix + key] = Setting("configmap", value, f"ConfigMap {name}")
        if "secretRef" in source:
            name = source["secretRef"]["name"]
            secret = named(objects, "Secret", name)
            assert secret is not None, (
                f"envFrom Secret {name}: its keys are unknown unless the overlay renders it; "
                "name each key with env[].valueFrom.secretKeyRef instead"
            )
            keys = {**secret.get("data", {}), **secret.get("stringData", {})}
            for key in keys:
                env[prefix + key] = Setting(
                    "secret", secret_value(objects, name, key), f"Secret {name}"
                )
    for entry in container.get("env", []):
        if "value" in entry:
            env[entry["name"]] = Setting("literal", str(entry["value"]), "the container")
        elif "secretKeyRef" in entry.get("valueFrom", {}):
            ref = entry["valueFrom"]["secretKeyRef"]
            env[entry["name"]] = Setting(
                "secret",
                secret_value(objects, ref["name"], ref["key"]),
                f"Secret {ref['name']} key {ref['key']}",
            )
        elif "configMapKeyRef" in entry.get("valueFrom", {}):
            ref = entry["valueFrom"]["configMapKeyRef"]
            config = named(objects, "ConfigMap", ref["name"])
            value = None if config is None else config.get("data", {}).get(ref["key"])
            env[entry["name"]] = Setting(
                "configmap", value, f"ConfigMap {ref['name']} key {ref['key']}"
            )
    return env
