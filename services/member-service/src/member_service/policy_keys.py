"""member-service's policy parameters (local numbers as dated data, see service_kit.policy)."""

from __future__ import annotations

from datetime import date
from typing import Any

from service_kit.policy import PolicyKey

NORM_KINDS = ("district_level", "national_park", "provincial_park")


def _norms(value: Any) -> dict[str, int]:
    if not isinstance(value, dict) or set(value) != set(NORM_KINDS):
        raise ValueError(f"norms are an object with exactly the keys {', '.join(NORM_KINDS)}")
    norms = {}
    for kind, number in value.items():
        if isinstance(number, bool) or not isinstance(number, int) or not 0 <= number <= 10_000:
            raise ValueError(f"{kind}: a norm is a whole number of instructors, 0 to 10000")
        norms[kind] = number
    return norms


def _holidays(value: Any) -> list[str]:
    if not isinstance(value, list) or len(value) > 1000:
        raise ValueError("holidays are a list of at most 1000 ISO dates")
    return sorted({date.fromisoformat(str(day)).isoformat() for day in value})


INSTRUCTOR_NORMS = PolicyKey(
    "instructor_staffing_norms",
    "Full-time party-building instructors each employer must have at least (article): "
    "districts, counties and new areas 10, national parks 10, provincial parks 5.",
    {"district_level": 10, "national_park": 10, "provincial_park": 5},
    _norms,
)

PUBLIC_HOLIDAYS = PolicyKey(
    "public_holidays",
    "Weekdays that are not working days (public holidays), as ISO dates; the public notice "
    "before an admission counts working days.",
    [],
    _holidays,
)

ALL_KEYS = (INSTRUCTOR_NORMS, PUBLIC_HOLIDAYS)
