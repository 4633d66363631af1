"""funding-service's policy parameters: the local numbers of DOMAIN.md "Funding" as dated data."""

from __future__ import annotations

import re
from typing import Any

from funding_service.money import MAX_FEN
from service_kit.policy import PolicyKey


def _fen(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_FEN:
        raise ValueError(f"an amount is a whole number of fen from 0 to {MAX_FEN}")
    return value


def _by_district_class(value: Any) -> dict[str, int]:
    if not isinstance(value, dict) or set(value) != {"urban", "county"}:
        raise ValueError('an object with the keys "urban" and "county", each in fen')
    return {key: _fen(amount) for key, amount in value.items()}


def _month_day(value: Any) -> str:
    if not isinstance(value, str) or not re.match(
        r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$", value
    ):
        raise ValueError('a day of the year as "MM-DD"')
    if value in ("02-29", "02-30", "02-31", "04-31", "06-31", "09-31", "11-31"):
        raise ValueError("a day that every year has")
    return value


SECRETARY_ALLOWANCE_MONTHLY_FEN = PolicyKey(
    "secretary_allowance_monthly_fen",
    "书记津贴: the monthly allowance of an organization's secretary by the district class of "
    "the organization's district, in fen (article: urban 400 yuan, county 200 yuan). A "
    "district may have its own value (region_id: the district).",
    {"urban": 40_000, "county": 20_000},
    _by_district_class,
)

PER_MEMBER_FUND_YEARLY_FEN = PolicyKey(
    "per_member_fund_yearly_fen",
    "基层党建工作经费: the yearly grassroots party-building funds per member, paid to the "
    "member's organization, in fen (article: 300 yuan). A district may have its own value.",
    30_000,
    _fen,
)

CITY_COMMITTEE_OPERATING_FUND_YEARLY_FEN = PolicyKey(
    "city_committee_operating_fund_yearly_fen",
    "工委工作经费: the yearly operating funds of the city working committee, in fen "
    "(article: 4,000,000 yuan).",
    400_000_000,
    _fen,
)

MEMBER_COUNT_DAY = PolicyKey(
    "per_member_count_day",
    'The day of the fiscal year ("MM-DD") whose member counts decide the per-member funds '
    "of that year; the year's run is possible from that day on.",
    "01-01",
    _month_day,
)

ALL_KEYS = (
    SECRETARY_ALLOWANCE_MONTHLY_FEN,
    PER_MEMBER_FUND_YEARLY_FEN,
    CITY_COMMITTEE_OPERATING_FUND_YEARLY_FEN,
    MEMBER_COUNT_DAY,
)
