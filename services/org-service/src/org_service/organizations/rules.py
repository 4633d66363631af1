"""Size rules of party organizations (DOMAIN.md "Organizations"): the one table of them.

Each rule has a stable id (the error code when it refuses, the `rule` of a warning),
a description, a severity and the moments it is checked at. The checks and
GET /organization-rules both read RULES, so the API always says what the code does.

Severity: `refuse` answers 422 with the rule id as the code and writes nothing;
`warn` lets the write succeed and returns `warnings: [{rule, message}]`. Refusals are
kept for what the regulations state as conditions of founding (3 full members for a
branch, exactly 3 dispatched members for a functional branch, a target without party
members); the thresholds for committees and for the level of an organization are
warnings, because local practice approves exceptions case by case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from org_service.organizations.models import Formation, OrganizationKind


class Severity(StrEnum):
    refuse = "refuse"
    warn = "warn"


class Moment(StrEnum):
    """When a rule is checked."""

    founding = "founding"  # POST /organizations
    upgrade = "upgrade"  # POST /organizations/{id}/upgrade
    member_counts = "member_counts"  # PUT /organizations/{id}/member-counts


@dataclass(frozen=True)
class SizeFacts:
    """What the rules look at: the organization's shape and its counts (None: not reported)."""

    kind: OrganizationKind
    formation: Formation
    full_members: int | None
    probationary_members: int | None
    dispatched_members: int | None = None
    committee_size: int | None = None
    # party_member_count of the work target a functional branch serves (None: no target given)
    served_target_party_members: int | None = None
    serves_work_target: bool = False

    @property
    def members(self) -> int | None:
        """Party members: full and probationary (the regulations count both for the levels)."""
        if self.full_members is None:
            return None
        return self.full_members + (self.probationary_members or 0)

    @property
    def is_functional_branch(self) -> bool:
        return self.kind == OrganizationKind.branch and self.formation == Formation.dispatched


Check = Callable[[SizeFacts], str | None]


@dataclass(frozen=True)
class Rule:
    id: str
    description: str
    severity: Severity
    moments: frozenset[Moment]
    check: Check  # the message when the rule is broken, else None


@dataclass(frozen=True)
class Finding:
    rule: Rule
    message: str


ALL_MOMENTS = frozenset(Moment)


def _branch_needs_three_full_members(f: SizeFacts) -> str | None:
    if f.kind != OrganizationKind.branch or f.is_functional_branch or f.full_members is None:
        return None
    if f.full_members >= 3:
        return None
    if f.formation == Formation.joint:
        return (
            f"A joint branch needs at least 3 full members across its units to be founded; "
            f"{f.full_members} reported."
        )
    return (
        f"A branch needs at least 3 full members to be founded; {f.full_members} reported. "
        "A unit with fewer than 3 full members joins a joint branch with other units "
        "(formation joint)."
    )


def _unit_below_three_joins_joint_branch(f: SizeFacts) -> str | None:
    if (
        f.kind == OrganizationKind.branch
        and f.formation == Formation.single
        and f.full_members is not None
        and f.full_members < 3
    ):
        return (
            f"The unit has {f.full_members} full members, fewer than 3: it should form a joint "
            "branch with other units."
        )
    return None


def _functional_branch_three_dispatched_members(f: SizeFacts) -> str | None:
    if f.is_functional_branch and f.dispatched_members is not None and f.dispatched_members != 3:
        return (
            f"A functional branch is formed by exactly 3 dispatched members; "
            f"{f.dispatched_members} given."
        )
    return None


def _functional_branch_serves_target_without_members(f: SizeFacts) -> str | None:
    if f.is_functional_branch and (f.served_target_party_members or 0) > 0:
        return (
            f"A functional branch is sent to a unit that has no party members; the work "
            f"target has {f.served_target_party_members}. Found a branch of its own or a "
            "joint branch instead."
        )
    return None


def _branch_committee_for_seven_full_members(f: SizeFacts) -> str | None:
    if f.kind != OrganizationKind.branch or f.full_members is None or f.full_members < 7:
        return None
    if f.committee_size is not None and 3 <= f.committee_size <= 5:
        return None
    has = "no committee" if f.committee_size is None else f"a committee of {f.committee_size}"
    return (
        f"A branch with {f.full_members} full members (7 or more) sets up a branch committee "
        f"of 3 to 5 members; it has {has}."
    )


def _branch_at_most_fifty_members(f: SizeFacts) -> str | None:
    members = f.members
    if f.kind == OrganizationKind.branch and members is not None and members > 50:
        return (
            f"A branch usually has at most 50 members; this one has {members}. Consider a "
            "general branch with several branches."
        )
    return None


def _general_branch_fifty_to_hundred_members(f: SizeFacts) -> str | None:
    members = f.members
    if f.kind == OrganizationKind.general_branch and members is not None and members < 50:
        return f"A general branch is set up with 50 to 100 members; this one has {members}."
    return None


def _party_committee_for_hundred_members(f: SizeFacts) -> str | None:
    members = f.members
    if (
        f.kind in (OrganizationKind.branch, OrganizationKind.general_branch)
        and members is not None
        and members >= 100
    ):
        return (
            f"An organization with 100 or more members ({members}) is set up as a party "
            f"committee, not a {f.kind.value}."
        )
    return None


def _member_counts_reported(f: SizeFacts) -> str | None:
    if f.kind == OrganizationKind.working_committee:
        return None
    if f.is_functional_branch:
        missing = [
            name
            for name, known in (
                ("dispatched_members", f.dispatched_members is not None),
                ("serves_work_target_id", f.serves_work_target),
            )
            if not known
        ]
        if missing:
            return (
                f"{' and '.join(missing)} not given: the functional-branch rules could not be "
                "checked in full."
            )
        return None
    if f.full_members is None:
        return (
            "No member counts are known: the size rules could not be checked. Report them "
            "with PUT /organizations/{id}/member-counts."
        )
    return None


RULES: tuple[Rule, ...] = (
    Rule(
        "branch_needs_three_full_members",
        "A branch (single or joint) is founded only with at least 3 full members.",
        Severity.refuse,
        frozenset({Moment.founding}),
        _branch_needs_three_full_members,
    ),
    Rule(
        "unit_below_three_joins_joint_branch",
        "A unit's own branch with fewer than 3 full members should become a joint branch "
        "with other units.",
        Severity.warn,
        frozenset({Moment.member_counts}),
        _unit_below_three_joins_joint_branch,
    ),
    Rule(
        "functional_branch_three_dispatched_members",
        "A dispatched functional branch has exactly 3 dispatched members.",
        Severity.refuse,
        frozenset({Moment.founding, Moment.member_counts}),
        _functional_branch_three_dispatched_members,
    ),
    Rule(
        "functional_branch_serves_target_without_members",
        "A dispatched functional branch is founded for a work target that has no party members.",
        Severity.refuse,
        frozenset({Moment.founding}),
        _functional_branch_serves_target_without_members,
    ),
    Rule(
        "branch_committee_for_seven_full_members",
        "A branch with 7 or more full members has a branch committee of 3 to 5 members.",
        Severity.warn,
        ALL_MOMENTS,
        _branch_committee_for_seven_full_members,
    ),
    Rule(
        "branch_at_most_fifty_members",
        "A branch usually has at most 50 members (full and probationary).",
        Severity.warn,
        ALL_MOMENTS,
        _branch_at_most_fifty_members,
    ),
    Rule(
        "general_branch_fifty_to_hundred_members",
        "A general branch is set up with 50 to 100 members.",
        Severity.warn,
        ALL_MOMENTS,
        _general_branch_fifty_to_hundred_members,
    ),
    Rule(
        "party_committee_for_hundred_members",
        "An organization with 100 or more members is a party committee.",
        Severity.warn,
        ALL_MOMENTS,
        _party_committee_for_hundred_members,
    ),
    Rule(
        "member_counts_reported",
        "The size rules need member counts; without them nothing is refused, and this "
        "warning says that the rules were not checked.",
        Severity.warn,
        frozenset({Moment.founding, Moment.upgrade}),
        _member_counts_reported,
    ),
)

RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}


def evaluate(facts: SizeFacts, moment: Moment) -> list[Finding]:
    """Every rule checked at `moment` that `facts` break, refusals first."""
    findings = []
    for rule in RULES:
        if moment not in rule.moments:
            continue
        message = rule.check(facts)
        if message is not None:
            findings.append(Finding(rule, message))
    return sorted(findings, key=lambda f: f.rule.severity != Severity.refuse)
