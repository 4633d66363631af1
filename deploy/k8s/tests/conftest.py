"""Fixtures of the deployment tests: the check script, the rendered overlays, the apps."""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

# The tests share k8s_objects.py, beside this file.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from k8s_objects import App, discover_apps, load_check


@pytest.fixture(scope="session")
def check() -> ModuleType:
    return load_check()


@pytest.fixture(scope="session")
def apps() -> list[App]:
    return discover_apps()


@pytest.fixture(scope="session")
def rendered(check: ModuleType) -> dict[str, list[dict[str, Any]]]:
    """Every overlay's objects, by overlay name."""
    return {overlay.name: check.render(overlay) for overlay in check.overlays()}
