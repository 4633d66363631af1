"""Dates in org-service: the "as of" parameter and the validity-range predicate.

History is kept as rows valid from a date (inclusive) to a date (exclusive, or open);
a question "as of D" reads the rows whose range holds D.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Query
from sqlalchemy import and_, or_

from service_kit.errors import Conflict, Unprocessable


class AsOfInFuture(Unprocessable):
    code = "as_of_in_future"
    message = "as_of cannot be later than today: the future has no figures yet."


def today() -> date:
    return date.today()


def as_of_param(
    as_of: Annotated[
        date | None, Query(description="the day to answer for (default today, never later)")
    ] = None,
) -> date:
    day = as_of or today()
    if day > today():
        raise AsOfInFuture(details={"as_of": day.isoformat(), "today": today().isoformat()})
    return day


AsOfDep = Annotated[date, Depends(as_of_param)]


def valid_on(valid_from: Any, valid_to: Any, day: date) -> Any:
    """SQL: the range [valid_from, valid_to) holds `day` (valid_to NULL: still open)."""
    return and_(valid_from <= day, or_(valid_to.is_(None), valid_to > day))


class PeriodEnded(Conflict):
    code = "period_ended"


class EndBeforeStart(Unprocessable):
    code = "end_before_start"


def check_end(
    *,
    what: str,
    starts: date,
    ended: date | None,
    new_end: date,
    ended_code: str,
    field: str = "valid_to",
    entity_id: object = None,
) -> None:
    """The rule for ending a dated period: it is still open, and it ends after it starts."""
    if ended is not None:
        raise PeriodEnded(
            f"This {what} has ended already, on {ended}.",
            code=ended_code,
            details={"id": str(entity_id), field: ended.isoformat()},
        )
    if new_end <= starts:
        raise EndBeforeStart(
            f"The {what} starts on {starts}; {field} must be later.",
            details={"field": field, "starts": starts.isoformat()},
        )
