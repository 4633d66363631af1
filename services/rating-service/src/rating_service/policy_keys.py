"""rating-service's policy parameters (local numbers as dated data, see service_kit.policy)."""

from __future__ import annotations

from typing import Any

from rating_service.campaigns.rules import (
    check_cap,
    check_criteria,
    check_grade_thresholds,
    check_star_thresholds,
    check_weights,
    policy_check,
)
from service_kit.policy import PolicyKey


def _months(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 120:
        raise ValueError("a validity is a whole number of months from 1 to 120")
    return value


FOUR_PARTY_WEIGHTS = PolicyKey(
    "four_party_weights",
    "四方评议: each party's weight in a member's weighted score, in whole percent (sum 100); "
    "a campaign's default.",
    {"owner": 25, "secretary": 25, "members": 25, "masses": 25},
    policy_check(check_weights),
)

STAR_THRESHOLDS = PolicyKey(
    "star_thresholds",
    "The least weighted score for 5, 4, 3 and 2 stars (below two_stars: 1 star); "
    "a campaign's default.",
    {"five_stars": 90, "four_stars": 80, "three_stars": 70, "two_stars": 60},
    policy_check(check_star_thresholds),
)

FIVE_STAR_CAP_PERCENT = PolicyKey(
    "five_star_cap_percent",
    "The largest share of a campaign's evaluated members that may get 5 stars, in percent "
    "(null: no cap); a campaign's default. A published local example caps it at 5%.",
    5,
    policy_check(check_cap),
)

GRADE_THRESHOLDS = PolicyKey(
    "grade_thresholds",
    "民主评议: the least weighted score for excellent, qualified and basically qualified "
    "(below: unqualified); a campaign's default.",
    {"excellent": 90, "qualified": 70, "basically_qualified": 60},
    policy_check(check_grade_thresholds),
)

EVALUATION_CRITERIA = PolicyKey(
    "evaluation_criteria",
    "What a ballot scores, 0 to 100 each; a ballot's score is their mean; a campaign's default.",
    ["political_quality", "work_performance", "exemplary_role", "discipline"],
    policy_check(check_criteria),
)

ORGANIZATION_RATING_VALIDITY_MONTHS = PolicyKey(
    "organization_rating_validity_months",
    "How long an organization's star rating holds from the day it was rated (every 2 years).",
    24,
    _months,
)

ALL_KEYS = (
    FOUR_PARTY_WEIGHTS,
    STAR_THRESHOLDS,
    FIVE_STAR_CAP_PERCENT,
    GRADE_THRESHOLDS,
    EVALUATION_CRITERIA,
    ORGANIZATION_RATING_VALIDITY_MONTHS,
)
