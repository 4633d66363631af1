"""Dues (党费) brackets of the party rules: a share of declared monthly after-tax income.

Working members: ≤3000 yuan → 0.5%; above 3000 up to 5000 → 1%; above 5000 up to 10000 →
1.5%; above 10000 → 2%. Retirees: ≤5000 → 0.5%; above → 1%. The share applies to the
whole income (not bracket by bracket), and is rounded half up to the fen. These are rules
(DOMAIN.md "Dues"), not local policy, so they live here rather than in policy parameters.
"""

from __future__ import annotations

# (upper bound of monthly income in fen, inclusive, or None for no bound; rate in basis points)
WORKING_BRACKETS: tuple[tuple[int | None, int], ...] = (
    (300_000, 50),
    (500_000, 100),
    (1_000_000, 150),
    (None, 200),
)
RETIREE_BRACKETS: tuple[tuple[int | None, int], ...] = ((500_000, 50), (None, 100))

# A member who has not paid for six months in a row is listed (party constitution art. 9).
ARREARS_MONTHS = 6


def dues_rate_bp(monthly_income_fen: int, *, retired: bool) -> int:
    """The dues rate in basis points (1/100 of a percent) for a monthly income."""
    for bound, rate in RETIREE_BRACKETS if retired else WORKING_BRACKETS:
        if bound is None or monthly_income_fen <= bound:
            return rate
    raise AssertionError("the last bracket has no bound")


def monthly_dues_fen(monthly_income_fen: int, *, retired: bool) -> int:
    """The month's dues in fen: income × rate, rounded half up to the fen."""
    rate = dues_rate_bp(monthly_income_fen, retired=retired)
    return (monthly_income_fen * rate + 5_000) // 10_000
