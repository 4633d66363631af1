"""The arithmetic of period runs, kept apart so each rule has one home and one test.

Secretary allowance (rule chosen here): prorated by the days of the month the term was
held. A secretary who changes mid-month shares the month with the successor by days,
which is what the appointment dates say and what an auditor can recompute; paying a
full month to both would pay the post twice, paying only the one in office on a given
day would leave the other's days unpaid. An organization's month never pays more than
one allowance: the holders share floor(monthly × days covered / days in month) fen,
split by the largest-remainder method so the shares add up to that total to the fen.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Holding:
    """A member's days in an organization's secretary post within one month."""

    member_id: uuid.UUID
    days: int
    first_day: date


def allowance_shares(
    monthly_fen: int, days_in_month: int, covered_days: int, holdings: list[Holding]
) -> list[int]:
    """Each holder's allowance in fen, in the order of `holdings`.

    `covered_days`: the days of the month on which someone held the post (a day two
    holders share counts once), so overlapping terms never pay more than the month.
    """
    weights = [h.days for h in holdings]
    weight = sum(weights)
    if weight == 0 or monthly_fen == 0:
        return [0] * len(holdings)
    total = monthly_fen * min(covered_days, days_in_month) // days_in_month
    shares = [total * w // weight for w in weights]
    remainders = [total * w % weight for w in weights]
    leftover = total - sum(shares)
    order = sorted(
        range(len(holdings)),
        key=lambda i: (-remainders[i], holdings[i].first_day, holdings[i].member_id),
    )
    for i in order[:leftover]:
        shares[i] += 1
    return shares


def per_member_funds(members: int, per_member_fen: int) -> int:
    """Grassroots funds of an organization for a year: its members × the yearly amount."""
    return members * per_member_fen
