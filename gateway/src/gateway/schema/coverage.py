"""GraphQL types of coverage (两个覆盖) and work targets."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from gateway.schema.common import Connection, PageInfo, connection, load_organization
from gateway.schema.places import Region

if TYPE_CHECKING:
    from gateway.schema.organizations import Organization

LazyOrganization = Annotated["Organization", strawberry.lazy("gateway.schema.organizations")]


@strawberry.type(description="两个覆盖 of one group of work targets on a day.")
class CoverageFigures:
    key: str
    name: str
    targets: int
    own: int
    joint: int
    dispatched: int
    work: int
    organizational: int
    uncovered: int
    organizational_rate: float | None
    work_rate: float | None
    total_rate: float | None

    @classmethod
    def from_rest(cls, data: dict[str, Any]) -> CoverageFigures:
        return cls(**{name: data[name] for name in cls.__annotations__})


@strawberry.type
class CoverageReport:
    as_of: datetime.date
    dimension: str
    total: CoverageFigures
    groups: list[CoverageFigures]

    @classmethod
    def from_rest(cls, data: dict[str, Any]) -> CoverageReport:
        return cls(
            as_of=datetime.date.fromisoformat(data["as_of"]),
            dimension=data["dimension"],
            total=CoverageFigures.from_rest(data["total"]),
            groups=[CoverageFigures.from_rest(g) for g in data["groups"]],
        )


@strawberry.type(description="A work target's coverage on a day.")
class TargetCoverage:
    as_of: datetime.date
    state: str = strawberry.field(description="organizational, work, uncovered, not_registered")
    mode: str | None = strawberry.field(description="own, joint or dispatched")
    organization_id: strawberry.Private[str | None]

    @strawberry.field(description="The organization that covers the target on that day.")
    async def organization(self, info: strawberry.Info) -> LazyOrganization | None:
        return await load_organization(info, self.organization_id)


@strawberry.type(description="An enterprise or social organization the work must reach.")
class WorkTarget:
    id: strawberry.ID
    name: str
    credit_code: str
    kind: str
    industry: str
    employee_count: int | None
    party_member_count: int
    registered_on: datetime.date
    deregistered_on: datetime.date | None
    coverage: TargetCoverage
    region_id: strawberry.Private[str]

    @strawberry.field
    async def region(self, info: strawberry.Info) -> Region | None:
        data = await info.context.loaders.region.load(self.region_id)
        return Region.from_rest(data) if data else None

    @strawberry.field(
        description="The organization that covers the target (its own, a joint one or a "
        "dispatched functional branch), on the coverage day; null: uncovered or work only."
    )
    async def covering_organization(self, info: strawberry.Info) -> LazyOrganization | None:
        return await load_organization(info, self.coverage.organization_id)

    @classmethod
    def from_rest(cls, data: dict[str, Any]) -> WorkTarget:
        cov = data["coverage"]
        return cls(
            id=strawberry.ID(data["id"]),
            name=data["name"],
            credit_code=data["credit_code"],
            kind=data["kind"],
            industry=data["industry"],
            employee_count=data.get("employee_count"),
            party_member_count=data["party_member_count"],
            registered_on=datetime.date.fromisoformat(data["registered_on"]),
            deregistered_on=datetime.date.fromisoformat(data["deregistered_on"])
            if data.get("deregistered_on")
            else None,
            coverage=TargetCoverage(
                as_of=datetime.date.fromisoformat(cov["as_of"]),
                state=cov["state"],
                mode=cov.get("mode"),
                organization_id=cov.get("organization_id"),
            ),
            region_id=data["region_id"],
        )


async def work_target_page(info: strawberry.Info, params: dict[str, Any]) -> Connection[WorkTarget]:
    page = await info.context.services["org"].get(
        "/work-targets", bearer=info.context.token, params=params
    )
    return connection(page, WorkTarget.from_rest)


@strawberry.type(description="One of the 三级包保 leaders responsible for a work target.")
class Responsible:
    person_name: str
    level: str = strawberry.field(description="county, township or village level")
    position: str | None
    first_secretary: bool

    @classmethod
    def from_rest(cls, data: dict[str, Any]) -> Responsible:
        return cls(
            person_name=data["person_name"],
            level=data["level"],
            position=data.get("position"),
            first_secretary=data["first_secretary"],
        )


@strawberry.type(description="A work target still uncovered on the inspection's day.")
class UncoveredTarget:
    work_target_id: strawberry.ID
    name: str
    credit_code: str
    district: str | None
    working_committee: str | None = strawberry.field(
        description="the district working committee in charge"
    )
    responsible: list[Responsible] = strawberry.field(description="三级包保 assignments on the day")

    @strawberry.field
    async def work_target(self, info: strawberry.Info) -> WorkTarget | None:
        data = await info.context.loaders.work_target.load(str(self.work_target_id))
        return WorkTarget.from_rest(data) if data else None

    @classmethod
    def from_rest(cls, data: dict[str, Any]) -> UncoveredTarget:
        return cls(
            work_target_id=strawberry.ID(str(data["work_target_id"])),
            name=data["name"],
            credit_code=data["credit_code"],
            district=data.get("district"),
            working_committee=data.get("working_committee"),
            responsible=[Responsible.from_rest(r) for r in data["responsible"]],
        )


@strawberry.type(
    description="半年督查: targets uncovered at a half-year's end (today, while it runs), with "
    "who is responsible; a page at a time, in credit-code order."
)
class Inspection:
    year: int
    half: int
    as_of: datetime.date
    provisional: bool = strawberry.field(description="the half-year is still running")
    items: list[UncoveredTarget]
    page_info: PageInfo

    @classmethod
    def from_rest(cls, data: dict[str, Any]) -> Inspection:
        return cls(
            year=data["year"],
            half=data["half"],
            as_of=datetime.date.fromisoformat(data["as_of"]),
            provisional=data["provisional"],
            items=[UncoveredTarget.from_rest(i) for i in data["items"]],
            page_info=PageInfo(
                has_next_page=data.get("next_cursor") is not None,
                end_cursor=data.get("next_cursor"),
            ),
        )
