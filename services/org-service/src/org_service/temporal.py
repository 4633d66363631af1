"""Dates in org-service: the "as of" parameter and the validity-range predicate.

History is kept as rows valid from a date (inclusive) to a date (exclusive, or open);
a question "as of D" reads the rows whose range holds D.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Query
from sqlalchemy import and_, or_

from service_kit.errors import Unprocessable


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
