"""Dates in member-service: today, calendar arithmetic the rules use, working days, validity ranges.

Member history is kept as rows valid from a date (inclusive) to a date (exclusive, or
open). Periods people read (posts, secretary terms, assignments) end on their last day.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import Depends, Query
from sqlalchemy import and_, or_

from service_kit.errors import Unprocessable


class DateInFuture(Unprocessable):
    code = "date_in_future"
    message = "The date cannot be later than today."


def today() -> date:
    return date.today()


def add_years(day: date, years: int) -> date:
    """The same calendar day `years` later; 29 February becomes 1 March (the later reading)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def add_months(day: date, months: int) -> date:
    """The same day of the month `months` later; a day the month lacks becomes the 1st after."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    try:
        return date(year, month, day.day)
    except ValueError:
        return date(year + month // 12, month % 12 + 1, 1)


def is_working_day(day: date, holidays: Iterable[date]) -> bool:
    return day.weekday() < 5 and day not in set(holidays)


def after_working_days(start: date, count: int, holidays: Iterable[date]) -> date:
    """The first day after `count` working days counted from `start` (inclusive)."""
    off = set(holidays)
    day, seen = start, 0
    while True:
        if day.weekday() < 5 and day not in off:
            seen += 1
            if seen == count:
                return day + timedelta(days=1)
        day += timedelta(days=1)


def past_or_today(day: date | None, field: str) -> date:
    """`day` (default today), refused when it lies in the future."""
    value = day or today()
    if value > today():
        raise DateInFuture(
            f"{field} ({value.isoformat()}) cannot be later than today ({today().isoformat()}): "
            "record a step on or after the day it happens.",
            details={"field": field, field: value.isoformat(), "today": today().isoformat()},
        )
    return value


def as_of_param(
    as_of: Annotated[
        date | None, Query(description="the day to answer for (default today, never later)")
    ] = None,
) -> date:
    return past_or_today(as_of, "as_of")


AsOfDep = Annotated[date, Depends(as_of_param)]


def valid_on(valid_from: Any, valid_to: Any, day: date) -> Any:
    """SQL: the range [valid_from, valid_to) holds `day` (valid_to NULL: still open)."""
    return and_(valid_from <= day, or_(valid_to.is_(None), valid_to > day))


def held_on(started_on: Any, ended_on: Any, day: date) -> Any:
    """SQL: the period [started_on, ended_on] (last day inclusive, NULL: open) holds `day`."""
    return and_(started_on <= day, or_(ended_on.is_(None), ended_on >= day))


def overlaps(started_on: Any, ended_on: Any, first: date, last: date) -> Any:
    """SQL: the period [started_on, ended_on] (NULL: open) shares a day with [first, last]."""
    return and_(started_on <= last, or_(ended_on.is_(None), ended_on >= first))
