"""Periods (a month, a year) and the rule that nothing is paid for a period not yet due."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from service_kit.errors import Unprocessable

MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
YEAR_PATTERN = r"^\d{4}$"


class PeriodInFuture(Unprocessable):
    code = "period_in_future"
    message = "This period cannot be run yet."


class InvalidPeriod(Unprocessable):
    code = "invalid_period"
    message = "A period is a month (YYYY-MM) or a year (YYYY)."


def today() -> date:
    return date.today()


@dataclass(frozen=True)
class Period:
    """A month or a year: [start, end] with both days inclusive."""

    start: date
    end: date

    @property
    def label(self) -> str:
        if self.start.month == 1 and self.end == date(self.start.year, 12, 31):
            return f"{self.start.year:04d}"
        return f"{self.start.year:04d}-{self.start.month:02d}"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def overlap_days(self, first: date, last: date | None) -> int:
        """How many days of [first, last] (last None: still open) fall in this period."""
        lo = max(first, self.start)
        hi = self.end if last is None else min(last, self.end)
        return max(0, (hi - lo).days + 1)


def month(label: str) -> Period:
    """'2024-06' → June 2024."""
    if not re.match(MONTH_PATTERN, label):
        raise InvalidPeriod(details={"period": label, "expected": "YYYY-MM"})
    year, number = int(label[:4]), int(label[5:7])
    if year < 2000:
        raise InvalidPeriod("Periods start in 2000 or later.", details={"period": label})
    return Period(date(year, number, 1), date(year, number, calendar.monthrange(year, number)[1]))


def year(label: str) -> Period:
    """'2024' → the fiscal (calendar) year 2024."""
    if not re.match(YEAR_PATTERN, label) or int(label) < 2000:
        raise InvalidPeriod(details={"period": label, "expected": "YYYY, 2000 or later"})
    number = int(label)
    return Period(date(number, 1, 1), date(number, 12, 31))


def month_of(day: date) -> date:
    """The first day of the month `day` is in."""
    return day.replace(day=1)
