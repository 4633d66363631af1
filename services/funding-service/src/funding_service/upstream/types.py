"""Facts other services own, as funding-service uses them (whichever way they arrive)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class MemberCount:
    organization_id: uuid.UUID
    full_members: int
    probationary_members: int

    @property
    def members(self) -> int:
        """Full and probationary members: both are party members (DOMAIN.md "Members")."""
        return self.full_members + self.probationary_members


@dataclass(frozen=True)
class SecretaryTerm:
    """A term as member-service states it; term_end is the last day held (None: open)."""

    member_id: uuid.UUID
    organization_id: uuid.UUID
    name: str
    term_start: date
    term_end: date | None


@dataclass(frozen=True)
class StarLevel:
    organization_id: uuid.UUID
    stars: int
    valid_from: date | None
    valid_until: date | None
    source: str  # "rating_service" (asked at that moment) or "projection" (from its events)
