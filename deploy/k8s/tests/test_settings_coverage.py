"""Every setting each app reads is given by every overlay, and nothing the app does not read.

The settings classes are read as they are now (their fields, secret ones included), so
that a field added to a service fails here until the manifests give it: a non-secret
one in deploy/k8s/base/<app>/settings.env, a secret one as a Secret reference in the
app's deployment.yaml and migrate-job.yaml (and a value in the dev overlay's
secretGenerator and in deploy/k8s/secrets.example.yaml).
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
import yaml
from k8s_objects import (
    APP_PACKAGES,
    K8S,
    App,
    Obj,
    app_workloads,
    environment,
    is_production,
    load_check,
    named,
    secret_key_refs,
    server,
)
from pydantic import AliasChoices, SecretBytes, SecretStr

OVERLAYS = [overlay.name for overlay in load_check().overlays()]
EXAMPLES = K8S / "secrets.example.yaml"


def env_names(app: App) -> dict[str, str]:
    """The environment variable(s) each field of the app's settings is read from."""
    names: dict[str, str] = {}
    for field, info in app.settings_class.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, str):
            candidates = [alias]
        elif isinstance(alias, AliasChoices):
            candidates = [c for c in alias.choices if isinstance(c, str)]
        elif info.alias:
            candidates = [info.alias]
        else:
            candidates = [app.prefix + field]
        for candidate in candidates:
            names[candidate.upper()] = field
    return names


def mentions_secret(annotation: Any) -> bool:
    if annotation in (SecretStr, SecretBytes):
        return True
    return any(mentions_secret(arg) for arg in getattr(annotation, "__args__", ()))


def secret_fields(app: App) -> set[str]:
    """Fields that hold credentials or keys: typed secret, refused as placeholders, or
    the database URL (it carries the password)."""
    cls = app.settings_class
    names = set(cls.model_construct().secret_field_names())
    names |= {field for field, info in cls.model_fields.items() if mentions_secret(info.annotation)}
    names.add("database_url")
    return names


def test_secret_fields_are_recognised(apps: list[App]) -> None:
    for app in apps:
        assert {"client_secret", "database_url"} <= secret_fields(app), app.name
        assert "client_id" not in secret_fields(app)
        assert "auth_jwks" not in secret_fields(app), "public keys"


def containers(objects: list[Obj], app: App) -> list[tuple[str, Obj]]:
    """Every container that runs the app (the server and the migration Job)."""
    found = []
    for workload in app_workloads(objects, app.name):
        for container in workload.containers():
            found.append((f"{workload.ref} container {container['name']}", container))
    assert found, f"{app.name} runs nowhere"
    return found


HOW_TO_ADD = (
    "\nGive a setting in deploy/k8s/base/<app>/settings.env, or, when it is a credential or "
    "a key, as an env entry with valueFrom.secretKeyRef in the app's deployment.yaml and "
    "migrate-job.yaml, with a value in overlays/dev's secretGenerator and in "
    "secrets.example.yaml."
)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_setting_each_app_reads_is_given(
    overlay: str, rendered: dict[str, list[Obj]], apps: list[App]
) -> None:
    objects = rendered[overlay]
    missing = []
    for app in apps:
        names = env_names(app)
        fields_given = set()
        for where, container in containers(objects, app):
            given = environment(objects, container)
            fields_given = {field for name, field in names.items() if name in given}
            missing += [
                f"{overlay}: {where}: {app.name} reads `{field}` ({app.prefix}{field.upper()}), "
                "which is not given"
                for field in sorted(set(names.values()) - fields_given)
            ]
    assert not missing, "\n".join(missing) + HOW_TO_ADD


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_nothing_given_is_unknown_to_the_app(
    overlay: str, rendered: dict[str, list[Obj]], apps: list[App]
) -> None:
    objects = rendered[overlay]
    unknown = []
    for app in apps:
        names = env_names(app)
        for where, container in containers(objects, app):
            unknown += [
                f"{overlay}: {where}: {name} ({setting.where}) is no setting of {app.name}"
                for name, setting in sorted(environment(objects, container).items())
                if name not in names
            ]
    assert not unknown, "\n".join(unknown)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_credentials_and_keys_come_from_secrets(
    overlay: str, rendered: dict[str, list[Obj]], apps: list[App]
) -> None:
    """A secret field is read from a Secret; a ConfigMap may only say it is empty."""
    objects = rendered[overlay]
    exposed = []
    for app in apps:
        names = env_names(app)
        secrets = secret_fields(app)
        for where, container in containers(objects, app):
            for name, setting in environment(objects, container).items():
                if names.get(name) in secrets and setting.source != "secret" and setting.value:
                    exposed.append(f"{overlay}: {where}: {name} is in {setting.where}")
    assert not exposed, "\n".join(exposed)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_secret_reference_resolves(overlay: str, rendered: dict[str, list[Obj]]) -> None:
    """A Secret the overlay makes has each key asked of it; one it does not make is
    documented in secrets.example.yaml with every key asked of it."""
    objects = rendered[overlay]
    examples = yaml.safe_load(EXAMPLES.read_text())
    unresolved = []
    for obj in objects:
        for secret_ref in secret_key_refs(obj):
            name, key = secret_ref["name"], secret_ref["key"]
            secret = named(objects, "Secret", name)
            if secret is not None:
                keys = {**secret.get("data", {}), **secret.get("stringData", {})}
                if key not in keys:
                    unresolved.append(f"{overlay}: Secret {name} has no key {key}")
            elif key not in (examples.get(name) or {}):
                unresolved.append(
                    f"{overlay}: Secret {name} key {key} is neither made by the overlay nor "
                    f"described in {EXAMPLES.name}"
                )
    assert not unresolved, "\n".join(sorted(set(unresolved)))


def given_environment(objects: list[Obj], container: Obj) -> dict[str, str]:
    """The container's environment as it would start: Secrets the overlay does not make
    take their example values."""
    examples = yaml.safe_load(EXAMPLES.read_text())
    env = {}
    for name, setting in environment(objects, container).items():
        value = setting.value
        if value is None:
            ref = next(
                e["valueFrom"]["secretKeyRef"] for e in container["env"] if e["name"] == name
            )
            value = str(examples[ref["name"]][ref["key"]])
        env[name] = value
    return env


LOAD_CASES = [
    pytest.param(overlay, app, id=f"{overlay}-{app}")
    for overlay in OVERLAYS
    for app in APP_PACKAGES
]


@pytest.mark.parametrize(("overlay", "app_name"), LOAD_CASES)
def test_each_app_accepts_the_settings_the_overlay_gives_it(
    overlay: str,
    app_name: str,
    rendered: dict[str, list[Obj]],
    apps: list[App],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The app's own validation (types, placeholders refused in production, the demo
    accounts only locally) passes with exactly what the overlay gives it."""
    app = next(a for a in apps if a.name == app_name)
    objects = rendered[overlay]
    container = server(objects, app.name).containers(init=False)[0]
    for name in list(os.environ):
        if name.upper().startswith(app.prefix):
            monkeypatch.delenv(name)
    for name, value in given_environment(objects, container).items():
        monkeypatch.setenv(name, value)
    settings = app.settings_class()
    expected = "production" if is_production(overlay) else "local"
    assert settings.environment == expected


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_event_subscriptions_are_the_known_flows(
    overlay: str, rendered: dict[str, list[Obj]], apps: list[App]
) -> None:
    """Who hears what is the same as in the local default (tools/devstack), with the
    in-cluster addresses of the subscribers."""
    from devstack.stack import event_subscriptions

    objects = rendered[overlay]
    urls = {
        app.name.removesuffix("-service"): f"http://{app.name}:{app.port}"
        for app in apps
        if app.migrations is not None
    }
    expected = event_subscriptions(urls)
    for app in apps:
        if app.migrations is None:
            continue
        env = environment(objects, server(objects, app.name).containers()[0])
        given = json.loads(env[f"{app.prefix}EVENT_SUBSCRIPTIONS"].value or "{}")
        assert given == expected[app.name.removesuffix("-service")], app.name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_app_trusts_the_same_issuer(
    overlay: str, rendered: dict[str, list[Obj]], apps: list[App]
) -> None:
    objects = rendered[overlay]
    seen: dict[str, set[str]] = {}
    for app in apps:
        env = environment(objects, server(objects, app.name).containers()[0])
        for setting in ("AUTH_ISSUER", "AUTH_AUDIENCE", "AUTH_JWKS_URL", "TOKEN_URL"):
            seen.setdefault(setting, set()).add(env[app.prefix + setting].value or "")
    assert all(len(values) == 1 for values in seen.values()), seen
