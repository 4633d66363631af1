"""GraphQL types and inputs of funding (funding-service): balances, projects and bids (in fen)."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from gateway.schema.common import Connection, check_first, connection, load_organization
from gateway.schema.places import Region

if TYPE_CHECKING:
    from gateway.schema.organizations import Organization

LazyOrganization = Annotated["Organization", strawberry.lazy("gateway.schema.organizations")]


@strawberry.type(description="One account of an organization: funds of a budget line, or dues.")
class FundingAccount:
    id: strawberry.ID
    kind: str = strawberry.field(description="organization: funds of a budget line; dues")
    name: str
    budget_line: str | None
    balance_fen: int

    @classmethod
    def from_rest(cls, data: dict[str, Any]) -> FundingAccount:
        return cls(
            id=strawberry.ID(data["id"]),
            kind=data["kind"],
            name=data["name"],
            budget_line=data.get("budget_line"),
            balance_fen=data["balance_fen"],
        )


@strawberry.type(description="What an organization holds: its accounts and their sum, in fen.")
class FundingBalance:
    total_fen: int
    accounts: list[FundingAccount]

    @classmethod
    def from_rest(cls, organization_id: str, accounts: list[dict[str, Any]]) -> FundingBalance:
        rows = [FundingAccount.from_rest(a) for a in accounts]
        return cls(total_fen=sum(a.balance_fen for a in rows), accounts=rows)


@strawberry.type(description="A bid of an organization for a party-building project.")
class Bid:
    id: strawberry.ID
    organization_name: str
    amount_fen: int
    proposal: str | None
    stars: int = strawberry.field(description="the organization's star level when it bid")
    star_source: str
    status: str
    created_at: datetime.datetime
    organization_id: strawberry.Private[str]
    project_id: strawberry.Private[str]

    @strawberry.field
    async def organization(self, info: strawberry.Info) -> LazyOrganization | None:
        return await load_organization(info, self.organization_id)

    @classmethod
    def from_rest(cls, data: dict[str, Any]) -> Bid:
        return cls(
            id=strawberry.ID(data["id"]),
            organization_name=data["organization_name"],
            amount_fen=data["amount_fen"],
            proposal=data.get("proposal"),
            stars=data["stars"],
            star_source=data["star_source"],
            status=data["status"],
            created_at=datetime.datetime.fromisoformat(data["created_at"]),
            organization_id=str(data["organization_id"]),
            project_id=str(data["project_id"]),
        )


@strawberry.type(description="A party-building project (党建项目) branches bid for.")
class Project:
    id: strawberry.ID
    title: str
    description: str | None
    budget_fen: int
    awarded_fen: int
    min_stars: int = strawberry.field(description="the lowest star level that may bid")
    bids_close_on: datetime.date
    created_at: datetime.datetime
    district_id: strawberry.Private[str]

    @strawberry.field
    async def district(self, info: strawberry.Info) -> Region | None:
        data = await info.context.loaders.region.load(self.district_id)
        return Region.from_rest(data) if data else None

    @strawberry.field(description="Bids the caller may see, oldest first.")
    async def bids(
        self, info: strawberry.Info, first: int = 50, after: str | None = None
    ) -> Connection[Bid] | None:
        check_first(first)
        page = await info.context.services["funding"].get(
            f"/projects/{self.id}/bids",
            bearer=info.context.token,
            params={"limit": first, "after": after},
        )
        return connection(page, Bid.from_rest)

    @classmethod
    def from_rest(cls, data: dict[str, Any]) -> Project:
        return cls(
            id=strawberry.ID(data["id"]),
            title=data["title"],
            description=data.get("description"),
            budget_fen=data["budget_fen"],
            awarded_fen=data["awarded_fen"],
            min_stars=data["min_stars"],
            bids_close_on=datetime.date.fromisoformat(data["bids_close_on"]),
            created_at=datetime.datetime.fromisoformat(data["created_at"]),
            district_id=str(data["district_id"]),
        )


@strawberry.input
class BidInput:
    organization_id: strawberry.ID
    amount_fen: int
    proposal: str | None = None

    def to_rest(self) -> dict[str, Any]:
        body = {
            "organization_id": self.organization_id,
            "amount_fen": self.amount_fen,
            "proposal": self.proposal,
        }
        return {k: v for k, v in body.items() if v is not None}
