"""org-service's policy parameters (local numbers as dated data, see service_kit.policy)."""

from __future__ import annotations

from typing import Any

from service_kit.policy import PolicyKey


def _rate(value: Any) -> float:
    rate = float(value)
    if not 0 < rate <= 1:
        raise ValueError("a rate is a number above 0 and at most 1")
    return rate


def _area(value: Any) -> float:
    area = float(value)
    if area <= 0:
        raise ValueError("an area is a positive number of square metres")
    return area


def _checklist(value: Any) -> list[str]:
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(item, str) and item for item in value)
    ):
        raise ValueError("a checklist is a non-empty list of item codes")
    return list(value)


RECOGNITION_RATE = PolicyKey(
    "recognition_rate",
    "认定率: the share of registered enterprises a region must treat as work targets "
    "(baseline = round(registered × rate)).",
    0.10,
    _rate,
)

GUIDANCE_CENTER_MIN_AREA_M2 = PolicyKey(
    "guidance_center_min_area_m2",
    "The floor area a party-building guidance center must reach (m²).",
    1000,
    _area,
)

FRONTLINE_CHECKLIST = PolicyKey(
    "frontline_checklist",
    "Items a responsible cadre ticks off on a front-line work day (三级包保).",
    ["visit_unit", "explain_policy", "find_activists", "help_found_organization", "solve_problem"],
    _checklist,
)

ALL_KEYS = (RECOGNITION_RATE, GUIDANCE_CENTER_MIN_AREA_M2, FRONTLINE_CHECKLIST)
