"""The rules a campaign's settings must follow: weights, thresholds, caps and criteria."""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from typing import Any

from rating_service.parties import PARTIES
from service_kit.errors import Unprocessable

STAR_KEYS = ("five_stars", "four_stars", "three_stars", "two_stars")
GRADE_KEYS = ("excellent", "qualified", "basically_qualified")
CRITERION = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_CRITERIA = 20
MAX_SCORE = 100


class CampaignRuleBroken(Unprocessable):
    code = "campaign_rule_broken"


def check_weights(weights: Mapping[str, Any]) -> dict[str, int]:
    """Each party's weight is a whole percentage from 0 to 100, and together they make 100."""
    if not isinstance(weights, Mapping) or set(weights) != {p.value for p in PARTIES}:
        raise CampaignRuleBroken(
            "Weights are given for exactly the four parties: owner, secretary, members, masses.",
            code="weights_parties",
            details={"field": "weights"},
        )
    out: dict[str, int] = {}
    for party in PARTIES:
        value = weights[party.value]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
            raise CampaignRuleBroken(
                f"The weight of {party.value} must be a whole percentage from 0 to 100.",
                code="weight_out_of_range",
                details={"field": f"weights.{party.value}", "value": value},
            )
        out[party.value] = value
    total = sum(out.values())
    if total != 100:
        raise CampaignRuleBroken(
            f"The four parties' weights must add up to 100%; they add up to {total}%.",
            code="weights_not_100",
            details={"field": "weights", "sum": total},
        )
    return out


def check_descending(
    values: Mapping[str, Any], keys: Sequence[str], *, field: str, what: str
) -> dict[str, float]:
    """Thresholds are numbers in (0, 100], each strictly above the next lower one."""
    if not isinstance(values, Mapping) or set(values) != set(keys):
        raise CampaignRuleBroken(
            f"{what} are given for exactly: {', '.join(keys)}.",
            code="thresholds_keys",
            details={"field": field},
        )
    out: dict[str, float] = {}
    for key in keys:
        value = values[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise CampaignRuleBroken(
                f"{what}: {key} must be a number.",
                code="thresholds_out_of_order",
                details={"field": f"{field}.{key}", "value": value},
            )
        if not 0 < value <= MAX_SCORE:
            raise CampaignRuleBroken(
                f"{what}: {key} must be above 0 and at most {MAX_SCORE}.",
                code="thresholds_out_of_order",
                details={"field": f"{field}.{key}", "value": value},
            )
        out[key] = float(value)
    for higher, lower in itertools.pairwise(keys):
        if not out[higher] > out[lower]:
            raise CampaignRuleBroken(
                f"{what} must fall from each level to the next: {higher} ({out[higher]:g}) "
                f"must be above {lower} ({out[lower]:g}).",
                code="thresholds_out_of_order",
                details={"field": field, "higher": higher, "lower": lower},
            )
    return out


def check_star_thresholds(values: Mapping[str, Any]) -> dict[str, float]:
    """The least weighted score for 5, 4, 3 and 2 stars, falling; below two_stars: 1 star."""
    return check_descending(values, STAR_KEYS, field="star_thresholds", what="Star thresholds")


def check_grade_thresholds(values: Mapping[str, Any]) -> dict[str, float]:
    """The least weighted score for each grade, falling; below basically_qualified: unqualified."""
    return check_descending(values, GRADE_KEYS, field="grade_thresholds", what="Grade thresholds")


def check_cap(value: Any) -> float | None:
    """No cap, or the largest share of 5-star members in percent, above 0 and at most 100."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 100:
        raise CampaignRuleBroken(
            "The cap on 5-star members is a percentage above 0 and at most 100 (or null).",
            code="five_star_cap_out_of_range",
            details={"field": "five_star_cap_percent", "value": value},
        )
    return float(value)


def check_criteria(values: Any) -> list[str]:
    """One to twenty distinct criterion codes (lower case, digits and underscores)."""
    if (
        not isinstance(values, list)
        or not 1 <= len(values) <= MAX_CRITERIA
        or not all(isinstance(v, str) and CRITERION.match(v) for v in values)
        or len(set(values)) != len(values)
    ):
        raise CampaignRuleBroken(
            f"Criteria are 1 to {MAX_CRITERIA} distinct codes such as 'work_performance'.",
            code="invalid_criteria",
            details={"field": "criteria"},
        )
    return list(values)


def policy_check(rule: Any) -> Any:
    """A rule as a policy parameter's check: a broken rule becomes a ValueError."""

    def check(value: Any) -> Any:
        try:
            return rule(value)
        except CampaignRuleBroken as exc:
            raise ValueError(exc.detail_message) from exc

    return check
