"""Whom a caller may see and change: members by organization subtree, region, or themselves.

A member sees their own record; a secretary or organization admin the members whose home
or serving organization lies in their subtree; a district admin those of organizations
in their region; an instructor those of the organizations assigned to them; city-wide
roles everyone. Changes follow the home organization (the membership relation) and need
member:write, which members and instructors do not hold.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import false, or_, true
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from member_service.instructors.models import Instructor, InstructorAssignment
from member_service.members.models import Member
from member_service.references import repository as references
from member_service.temporal import held_on, today
from service_kit.auth import Principal

ORGANIZATION_ROLES = frozenset({"org_admin", "secretary"})
DISTRICT_ADMIN = "district_admin"
INSTRUCTOR = "instructor"


@dataclass(frozen=True)
class Reach:
    """The organizations a caller reaches: all of them, or those the selects of ids name."""

    everything: bool
    parts: tuple[Any, ...] = ()  # selects of organization ids

    @property
    def nothing(self) -> bool:
        return not self.everything and not self.parts

    def clause(self, column: Any) -> Any:
        """A WHERE clause on an organization id column."""
        if self.everything:
            return true()
        if not self.parts:
            return false()
        return or_(*(col(column).in_(part) for part in self.parts))


def _instructor_organizations(principal: Principal) -> Any:
    return (
        select(InstructorAssignment.organization_id)
        .join(Instructor, col(Instructor.id) == col(InstructorAssignment.instructor_id))
        .where(
            Instructor.subject == principal.subject,
            col(InstructorAssignment.organization_id).is_not(None),
            held_on(InstructorAssignment.started_on, InstructorAssignment.ended_on, today()),
        )
    )


def reach(principal: Principal, *, writing: bool = False) -> Reach:
    """The organizations whose members (activities, posts, terms) the caller may see or change."""
    if principal.is_city_wide:
        return Reach(everything=True)
    parts: list[Any] = []
    if principal.roles & ORGANIZATION_ROLES and principal.organization_id is not None:
        parts.append(references.organization_subtree([principal.organization_id]))
    if DISTRICT_ADMIN in principal.roles and principal.region_id is not None:
        parts.append(references.organizations_in_region(principal.region_id))
    if INSTRUCTOR in principal.roles and not writing:
        parts.append(references.organization_subtree(_instructor_organizations(principal)))
    return Reach(everything=False, parts=tuple(parts))


def visible_members(principal: Principal) -> Any:
    """A WHERE clause on Member for what the caller may read."""
    if principal.is_city_wide:
        return true()
    clauses: list[Any] = []
    if principal.member_id is not None:
        clauses.append(Member.id == principal.member_id)
    scope = reach(principal)
    if not scope.nothing:
        clauses.append(scope.clause(Member.organization_id))
        clauses.append(scope.clause(Member.serving_organization_id))
    return or_(*clauses) if clauses else false()


def writable_members(principal: Principal) -> Any:
    """A WHERE clause on Member for what the caller may change (by home organization)."""
    return reach(principal, writing=True).clause(Member.organization_id)


async def reaches(
    session: AsyncSession, principal: Principal, organization_id: uuid.UUID, *, writing: bool
) -> bool:
    """Whether the caller reaches this organization (to see, or to change, what is in it)."""
    scope = reach(principal, writing=writing)
    if scope.everything:
        return True
    if scope.nothing:
        return False
    return await references.organization_in(session, organization_id, scope.parts)


async def reached(
    session: AsyncSession,
    principal: Principal,
    organization_ids: Sequence[uuid.UUID],
    *,
    writing: bool,
) -> set[uuid.UUID]:
    """Those of `organization_ids` the caller reaches (`reaches` for many, in one query)."""
    scope = reach(principal, writing=writing)
    if scope.everything:
        return set(organization_ids)
    if scope.nothing:
        return set()
    return await references.organizations_in(session, organization_ids, scope.parts)
