"""The rules of the development pipeline (DOMAIN.md "Members"), each in one place.

A broken rule answers 422 with the rule's id as the error code, a message that names the
rule, and `details.earliest_on`: the first day on which the step becomes possible (null
when waiting alone cannot make it possible, e.g. a missing introducer).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from member_service.members.models import PIPELINE, Stage
from member_service.temporal import add_months, add_years, after_working_days
from service_kit.errors import Unprocessable

MIN_APPLICANT_AGE = 18
ACTIVIST_YEARS = 1
INTRODUCERS = 2
TRAINING_DAYS = 3
TRAINING_CLASS_HOURS = 24
NOTICE_WORKING_DAYS = 5
PROBATION_YEARS = 1
EXTENSION_MONTHS = (6, 12)


@dataclass(frozen=True)
class Rule:
    id: str
    description: str


APPLICANT_AGE = Rule("applicant_at_least_18", "An applicant is 18 or older on the day they apply.")
STAGE_ORDER = Rule(
    "stage_in_order",
    "applicant → activist → development_target → probationary_member → full_member, one "
    "step at a time; an ended member (transferred_out, left, deceased) takes no more steps.",
)
DATE_ORDER = Rule(
    "steps_in_date_order",
    "A step is dated on or after the member's previous step (and never after today).",
)
ACTIVIST_YEAR = Rule(
    "activist_at_least_one_year",
    "An activist becomes a development target after at least 1 year as an activist.",
)
TWO_INTRODUCERS = Rule(
    "two_full_member_introducers",
    "Admission needs two introducers, both full members on the day of the vote, neither "
    "of them the candidate.",
)
TRAINING = Rule(
    "intensive_training_before_admission",
    "Before admission the development target completes an intensive training of at least "
    "3 days or 24 class hours.",
)
PUBLIC_NOTICE = Rule(
    "public_notice_five_working_days",
    "The candidate is publicly announced for at least 5 working days before the branch "
    "meeting votes.",
)
QUORUM = Rule(
    "branch_meeting_quorum",
    "The branch meeting needs more than half of the members entitled to vote present.",
)
MAJORITY = Rule(
    "branch_meeting_majority",
    "The admission passes with votes for from more than half of the members entitled to vote.",
)
QUOTA = Rule(
    "development_quota",
    "An admission draws one place from its district's development quota of the vote's year; "
    "quotas are never exceeded.",
)
PROBATION = Rule(
    "probation_one_year",
    "Probation lasts 1 year from the branch meeting's vote (plus any extension) before the "
    "member becomes a full member; party standing counts from then.",
)
EXTENSION_ONCE = Rule("probation_extended_once", "Probation may be extended once.")
EXTENSION_LENGTH = Rule(
    "probation_extension_6_to_12_months",
    "An extension of probation lasts 6 to 12 months and is decided during probation.",
)

RULES: tuple[Rule, ...] = (
    APPLICANT_AGE,
    STAGE_ORDER,
    DATE_ORDER,
    ACTIVIST_YEAR,
    TWO_INTRODUCERS,
    TRAINING,
    PUBLIC_NOTICE,
    QUORUM,
    MAJORITY,
    QUOTA,
    PROBATION,
    EXTENSION_ONCE,
    EXTENSION_LENGTH,
)


class RuleBroken(Unprocessable):
    """A step a rule refuses; the code is the rule's id unless a narrower one is given."""

    code = "rule_broken"

    def __init__(
        self,
        rule: Rule,
        message: str,
        *,
        earliest_on: date | None = None,
        code: str | None = None,
        **details: Any,
    ) -> None:
        when = (
            f" The step becomes possible on {earliest_on.isoformat()}."
            if earliest_on is not None
            else ""
        )
        super().__init__(
            f"{message}{when} (rule {rule.id}: {rule.description})",
            code=code or rule.id,
            details={
                "rule": rule.id,
                "earliest_on": earliest_on.isoformat() if earliest_on else None,
                **{k: _plain(v) for k, v in details.items()},
            },
        )


def _plain(value: Any) -> Any:
    if isinstance(value, date | uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def check_applicant_age(birth_date: date, applied_on: date) -> None:
    adult_on = add_years(birth_date, MIN_APPLICANT_AGE)
    if applied_on < adult_on:
        raise RuleBroken(
            APPLICANT_AGE,
            f"The applicant was born on {birth_date.isoformat()} (from the ID number) and is "
            f"under 18 on {applied_on.isoformat()}.",
            earliest_on=adult_on,
            birth_date=birth_date,
            applied_on=applied_on,
        )


def check_next_stage(current: Stage, to: Stage) -> None:
    """`to` is the next stage of the pipeline, or an ending (left, deceased) of a live member."""
    if current in (Stage.transferred_out, Stage.left, Stage.deceased):
        raise RuleBroken(
            STAGE_ORDER,
            f"The member's record has ended ({current}); no further step can be recorded.",
            code="member_ended",
            stage=current.value,
        )
    if to in (Stage.left, Stage.deceased):
        return
    if to == Stage.transferred_out:
        raise RuleBroken(
            STAGE_ORDER,
            "transferred_out is reached by a transfer to an organization outside the city's "
            "system (POST /transfers with destination_name), not by a stage change.",
            code="stage_skipped",
            stage=current.value,
            to_stage=to.value,
        )
    position = PIPELINE.index(current)
    following = PIPELINE[position + 1] if position + 1 < len(PIPELINE) else None
    if to != following:
        raise RuleBroken(
            STAGE_ORDER,
            f"A {current.value} can next become "
            + (f"a {following.value}" if following else "nothing further along the pipeline")
            + f", not a {to.value}.",
            code="stage_skipped",
            stage=current.value,
            to_stage=to.value,
            next_stage=following.value if following else None,
        )


def check_date_order(latest: date, on: date) -> None:
    if on < latest:
        raise RuleBroken(
            DATE_ORDER,
            f"The member's last recorded step is dated {latest.isoformat()}; this one cannot "
            f"be dated earlier ({on.isoformat()}).",
            earliest_on=latest,
            code="effective_date_before_last_change",
            effective_on=on,
            latest_change_on=latest,
        )


def check_activist_year(activist_on: date, on: date) -> None:
    possible = add_years(activist_on, ACTIVIST_YEARS)
    if on < possible:
        raise RuleBroken(
            ACTIVIST_YEAR,
            f"The member became an activist on {activist_on.isoformat()}; on {on.isoformat()} "
            "that is less than 1 year.",
            earliest_on=possible,
            activist_on=activist_on,
        )


@dataclass(frozen=True)
class Introducer:
    member_id: uuid.UUID
    stage_on_vote: str | None  # the introducer's stage on the day of the vote (None: unknown)


def check_introducers(
    candidate_id: uuid.UUID, requested: Sequence[uuid.UUID], found: Iterable[Introducer]
) -> None:
    distinct = list(dict.fromkeys(requested))
    if len(distinct) != INTRODUCERS or candidate_id in distinct:
        raise RuleBroken(
            TWO_INTRODUCERS,
            f"{len(distinct)} distinct introducer(s) given"
            + (", one of them the candidate" if candidate_id in distinct else "")
            + "; exactly two other members are needed.",
            introducer_ids=distinct,
        )
    by_id = {i.member_id: i for i in found}
    not_full = [
        i for i in distinct if by_id.get(i) is None or by_id[i].stage_on_vote != "full_member"
    ]
    if not_full:
        raise RuleBroken(
            TWO_INTRODUCERS,
            "Introducers must be full members on the day of the vote; these are not (or are "
            "not members you may see): " + ", ".join(str(i) for i in not_full) + ".",
            introducer_ids=not_full,
        )


@dataclass(frozen=True)
class TrainingFact:
    started_on: date
    ended_on: date
    days: int
    class_hours: int


def training_counts(training: TrainingFact) -> bool:
    return training.days >= TRAINING_DAYS or training.class_hours >= TRAINING_CLASS_HOURS


def check_training(trainings: Sequence[TrainingFact], voted_on: date) -> None:
    sufficient = [t for t in trainings if training_counts(t)]
    if any(t.ended_on < voted_on for t in sufficient):
        return
    later = [t.ended_on for t in sufficient]
    earliest = min(later) + timedelta(days=1) if later else None
    raise RuleBroken(
        TRAINING,
        "No intensive training of at least 3 days or 24 class hours ended before the vote on "
        f"{voted_on.isoformat()}"
        + (
            "; the one recorded ends too late."
            if later
            else "; record it first (POST /members/{id}/trainings, kind intensive)."
        ),
        earliest_on=earliest,
    )


def check_public_notice(started_on: date, voted_on: date, holidays: Iterable[date]) -> None:
    possible = after_working_days(started_on, NOTICE_WORKING_DAYS, holidays)
    if voted_on < possible:
        raise RuleBroken(
            PUBLIC_NOTICE,
            f"The public notice began on {started_on.isoformat()}; by the vote on "
            f"{voted_on.isoformat()} it had not run for 5 working days.",
            earliest_on=possible,
            public_notice_started_on=started_on,
        )


def check_branch_meeting(entitled: int, present: int, votes_for: int) -> None:
    if present * 2 <= entitled:
        raise RuleBroken(
            QUORUM,
            f"{present} of {entitled} members entitled to vote were present; more than half "
            f"({entitled // 2 + 1}) must be. Hold the meeting again.",
            entitled_voters=entitled,
            present_voters=present,
        )
    if votes_for * 2 <= entitled:
        raise RuleBroken(
            MAJORITY,
            f"{votes_for} of {entitled} members entitled to vote voted for; the motion needs "
            f"more than half ({entitled // 2 + 1}).",
            entitled_voters=entitled,
            votes_for=votes_for,
        )


def probation_end(admitted_on: date, extension_months: int | None) -> date:
    """The first day the probationary member may become a full member."""
    end = add_years(admitted_on, PROBATION_YEARS)
    return add_months(end, extension_months) if extension_months else end


def check_probation(probation_ends_on: date, on: date) -> None:
    if on < probation_ends_on:
        raise RuleBroken(
            PROBATION,
            f"Probation runs until {probation_ends_on.isoformat()}; on {on.isoformat()} it has "
            "not ended.",
            earliest_on=probation_ends_on,
            probation_ends_on=probation_ends_on,
        )


def check_extension(already: int | None, months: int, probation_ends_on: date, on: date) -> None:
    if already is not None:
        raise RuleBroken(
            EXTENSION_ONCE,
            f"Probation was extended already (by {already} months).",
            extended_months=already,
        )
    low, high = EXTENSION_MONTHS
    if not low <= months <= high:
        raise RuleBroken(
            EXTENSION_LENGTH,
            f"An extension of {months} months is outside 6 to 12 months.",
            months=months,
        )
    if on >= probation_ends_on:
        raise RuleBroken(
            EXTENSION_LENGTH,
            f"Probation ended on {probation_ends_on.isoformat()}; an extension is decided "
            "before it ends.",
            probation_ends_on=probation_ends_on,
        )
