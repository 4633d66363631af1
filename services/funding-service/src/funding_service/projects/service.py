"""Rules of party-building projects: a district funds a project from its budget; organizations
of the district bid, each only if its star level (as rating-service reports it at that
moment) reaches the project's minimum; an award moves the funds."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import true
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from funding_service.access import Reach, require_district_writer
from funding_service.budgets import service as budget_service
from funding_service.budgets.models import Budget, BudgetLevel
from funding_service.integrity import flush_unique
from funding_service.ledger import repository as ledger_repository
from funding_service.ledger import service as ledger
from funding_service.ledger.models import Account, AccountKind, Transfer, TransferKind
from funding_service.projects import repository
from funding_service.projects.models import BidStatus, Project, ProjectBid
from funding_service.projects.schemas import (
    AwardCreate,
    BidCreate,
    BidPublic,
    ProjectCreate,
    ProjectPublic,
)
from funding_service.star_levels import service as star_levels
from funding_service.temporal import today
from funding_service.upstream.org import OrgService
from funding_service.upstream.rating import RatingService
from service_kit.audit import record_audit
from service_kit.auth import Principal
from service_kit.errors import Conflict, Forbidden, NotFound, Unprocessable
from service_kit.events import EventPublisher


class ProjectNotFound(NotFound):
    code = "project_not_found"
    message = "No project with this id."


class BidNotFound(NotFound):
    code = "bid_not_found"
    message = "No bid with this id on this project (or it is outside what you may see)."


class InvalidProject(Unprocessable):
    code = "invalid_project"


class BidRefused(Unprocessable):
    code = "bid_refused"


class StarLevelTooLow(Unprocessable):
    code = "star_level_too_low"


class BidExists(Conflict):
    code = "bid_exists"
    message = "The organization has bid for this project already."


class AlreadyAwarded(Conflict):
    code = "bid_already_awarded"
    message = "This bid has been awarded already."


class OutsideYourOrganizations(Forbidden):
    code = "outside_your_organizations"
    message = "You bid for the organizations you act for only."


def project_public(project: Project) -> ProjectPublic:
    return ProjectPublic.model_validate(project)


def bid_public(bid: ProjectBid) -> BidPublic:
    return BidPublic.model_validate(bid)


def visible_bids(reach: Reach) -> Any:
    return reach.clause(
        district=col(ProjectBid.district_id), organization=col(ProjectBid.organization_id)
    )


async def create(
    *, session: AsyncSession, principal: Principal, reach: Reach, data: ProjectCreate
) -> Project:
    """Turn part of a district budget into a project with a minimum star level for bidders."""
    budget = await budget_service.get(session=session, reach=reach, budget_id=data.budget_id)
    if budget.level != BudgetLevel.district or budget.district_id is None:
        raise InvalidProject(
            "A project is funded from a district's budget.",
            code="project_budget_not_district",
            details={"budget_id": str(budget.id), "level": budget.level},
        )
    require_district_writer(principal, budget.district_id)
    if data.bids_close_on < today():
        raise InvalidProject(
            f"Bids cannot close in the past (today is {today()}).",
            code="bids_close_in_past",
            details={"bids_close_on": data.bids_close_on.isoformat()},
        )
    available = (await budget_service.public(session, budget)).available_fen
    if data.budget_fen > available:
        raise ledger.BudgetExceeded(
            f"The budget has {available} fen left; the project needs {data.budget_fen}.",
            details={"budget_id": str(budget.id), "available_fen": available},
        )
    project = Project(
        **data.model_dump(exclude={"budget_id"}),
        budget_id=budget.id,
        district_id=budget.district_id,
        created_by=principal.subject,
    )
    session.add(project)
    await session.flush()
    await record_audit(
        session,
        principal=principal,
        action="project.create",
        entity_type="project",
        entity_id=project.id,
        after=project_public(project).model_dump(mode="json"),
    )
    return project


async def get(*, session: AsyncSession, project_id: uuid.UUID, for_update: bool = False) -> Project:
    """A project: calls for bids are public to everyone who reads the funds."""
    project = await repository.get(session, project_id, true(), for_update=for_update)
    if project is None:
        raise ProjectNotFound(details={"id": str(project_id)})
    return project


async def bid(
    *,
    session: AsyncSession,
    principal: Principal,
    org: OrgService,
    rating: RatingService,
    reach: Reach,
    project_id: uuid.UUID,
    data: BidCreate,
) -> ProjectBid:
    """Bid for a project for an organization of its district whose star level is high enough."""
    project = await get(session=session, project_id=project_id)
    day = today()
    if day > project.bids_close_on:
        raise BidRefused(
            f"Bids for this project closed on {project.bids_close_on}.",
            code="bidding_closed",
            details={"bids_close_on": project.bids_close_on.isoformat()},
        )
    if data.amount_fen > project.budget_fen - project.awarded_fen:
        raise BidRefused(
            f"The project has {project.budget_fen - project.awarded_fen} fen to award; the bid "
            f"asks {data.amount_fen}.",
            code="bid_exceeds_project_budget",
            details={"available_fen": project.budget_fen - project.awarded_fen},
        )
    organization = (await org.organizations([data.organization_id])).get(data.organization_id)
    if organization is None:
        raise BidRefused(
            "org-service knows no such organization.",
            code="organization_not_found",
            details={"organization_id": str(data.organization_id)},
        )
    placement = (await org.placements([organization.region_id])).get(organization.region_id)
    district_id = placement.region_id if placement and placement.level == "district" else None
    if not reach.sees(district_id=district_id, organization_id=organization.id):
        raise OutsideYourOrganizations(details={"organization_id": str(organization.id)})
    if organization.status != "active":
        raise BidRefused(
            f"{organization.name} is {organization.status}.",
            code="organization_not_active",
            details={"organization_id": str(organization.id)},
        )
    if district_id != project.district_id:
        raise BidRefused(
            "Only organizations of the project's district bid for it.",
            code="organization_outside_district",
            details={"organization_id": str(organization.id), "district_id": str(district_id)},
        )
    if organization.kind == "working_committee":
        raise BidRefused(
            "A working committee sets projects; it does not bid for them.",
            code="working_committee_cannot_bid",
            details={"organization_id": str(organization.id)},
        )
    level = await star_levels.current_level(session, rating, organization.id, day)
    if level is None or level.stars < project.min_stars:
        stars = None if level is None else level.stars
        raise StarLevelTooLow(
            f"The project takes bids from organizations of {project.min_stars} stars or more; "
            f"{organization.name} has "
            + (f"{stars}" if stars is not None else "no star level")
            + (f" (as {level.source.replace('_', '-')} reports it)." if level else "."),
            details={
                "organization_id": str(organization.id),
                "stars": stars,
                "min_stars": project.min_stars,
                "source": level.source if level else "rating_service",
            },
        )
    row = ProjectBid(
        project_id=project.id,
        organization_id=organization.id,
        organization_name=organization.name,
        district_id=project.district_id,
        amount_fen=data.amount_fen,
        proposal=data.proposal,
        stars=level.stars,
        star_source=level.source,
        created_by=principal.subject,
    )
    if not await flush_unique(session, row):
        raise BidExists(details={"organization_id": str(organization.id)})
    await record_audit(
        session,
        principal=principal,
        action="project.bid",
        entity_type="project_bid",
        entity_id=row.id,
        after=bid_public(row).model_dump(mode="json"),
    )
    return row


async def award(
    *,
    session: AsyncSession,
    principal: Principal,
    publisher: EventPublisher,
    project_id: uuid.UUID,
    data: AwardCreate,
) -> ProjectBid:
    """Award a bid: the funds move from the district's budget to the organization's account."""
    project = await get(session=session, project_id=project_id, for_update=True)
    require_district_writer(principal, project.district_id)
    row = await repository.bid(session, data.bid_id, for_update=True)
    if row is None or row.project_id != project.id:
        raise BidNotFound(details={"bid_id": str(data.bid_id)})
    if row.status == BidStatus.awarded:
        raise AlreadyAwarded(details={"transfer_id": str(row.transfer_id)})
    amount = data.amount_fen or row.amount_fen
    if amount > row.amount_fen:
        raise BidRefused(
            f"An award is at most what was bid ({row.amount_fen} fen).",
            code="award_exceeds_bid",
            details={"bid_fen": row.amount_fen},
        )
    if project.awarded_fen + amount > project.budget_fen:
        raise BidRefused(
            f"The project has {project.budget_fen - project.awarded_fen} fen left to award.",
            code="project_budget_exceeded",
            details={"available_fen": project.budget_fen - project.awarded_fen},
        )
    budget = await session.get(Budget, project.budget_id)
    assert budget is not None  # a foreign key
    before = bid_public(row).model_dump(mode="json")
    credit = await _organization_account(session, principal, row, budget)
    posting = await ledger.post(
        session,
        principal=principal,
        publisher=publisher,
        specs=[
            ledger.TransferSpec(
                kind=TransferKind.project_award,
                debit_account_id=budget.account_id,
                credit_account_id=credit.id,
                amount_fen=amount,
                value_date=today(),
                memo=f"党建项目 {project.title}",
                budget_id=budget.id,
                organization_id=row.organization_id,
            )
        ],
    )
    row.status = BidStatus.awarded.value
    row.transfer_id = posting.posted[0].id
    project.awarded_fen += amount
    session.add(row)
    session.add(project)
    await session.flush()
    await record_audit(
        session,
        principal=principal,
        action="project.award",
        entity_type="project_bid",
        entity_id=row.id,
        before=before,
        after={**bid_public(row).model_dump(mode="json"), "awarded_fen": amount},
    )
    return row


async def _organization_account(
    session: AsyncSession, principal: Principal, row: ProjectBid, budget: Budget
) -> Account:
    await ledger_repository.ensure_accounts(
        session,
        "organization",
        [
            {
                "id": uuid.uuid4(),
                "kind": AccountKind.organization.value,
                "name": row.organization_name,
                "level": budget.level,
                "region_id": budget.region_id,
                "district_id": row.district_id,
                "organization_id": row.organization_id,
                "member_id": None,
                "budget_line_id": budget.budget_line_id,
                "allow_negative": False,
                "balance_fen": 0,
                "created_at": ledger.utcnow(),
                "created_by": principal.subject,
            }
        ],
    )
    found = await ledger_repository.find_accounts(
        session,
        "organization",
        organization_id=row.organization_id,
        budget_line_id=budget.budget_line_id,
    )
    return found[0]


@ledger.on_reversal(TransferKind.project_award)
async def _award_reversed(session: AsyncSession, transfer: Transfer) -> None:
    """A reversed award leaves the bid standing and the project's funds to award again."""
    row = await repository.bid_by_transfer(session, transfer.id)
    if row is None:
        return
    project = await get(session=session, project_id=row.project_id, for_update=True)
    project.awarded_fen -= transfer.amount_fen
    row.status = BidStatus.submitted.value
    row.transfer_id = None
    session.add(project)
    session.add(row)
    await session.flush()
