"""The four parties of a four-party evaluation (四方评议) and the stages that take part."""

from __future__ import annotations

from enum import StrEnum


class Party(StrEnum):
    owner = "owner"  # 业主 / 出资人: the owner or investor of the member's employer
    secretary = "secretary"  # 书记: the secretary of the member's organization
    members = "members"  # 党员: party members of the same organization
    masses = "masses"  # 群众: employees a secretary registered as masses


# The order in which parties are listed everywhere (results, events).
PARTIES: tuple[Party, ...] = (Party.owner, Party.secretary, Party.members, Party.masses)


class Stage(StrEnum):
    """The member stages a campaign evaluates: party members, full and probationary."""

    full_member = "full_member"
    probationary_member = "probationary_member"


class Grade(StrEnum):
    """Democratic evaluation grades (民主评议); probationary members are not graded."""

    excellent = "excellent"
    qualified = "qualified"
    basically_qualified = "basically_qualified"
    unqualified = "unqualified"
