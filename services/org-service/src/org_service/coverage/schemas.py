"""API models of coverage figures, baselines, snapshots, bulletins and inspections."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, computed_field

from org_service.coverage.models import Dimension


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


class CoverageFigures(BaseModel):
    """两个覆盖 of one group: organizational coverage (own, joint, dispatched) and work coverage."""

    key: str = Field(description="region or place id, or industry code")
    name: str
    targets: int = Field(description="work targets registered on the day")
    own: int = Field(description="covered by an organization of their own")
    joint: int = Field(description="covered by a joint organization")
    dispatched: int = Field(description="served by a dispatched functional branch")
    work: int = Field(description="no organization, but an instructor or liaison assigned")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def organizational(self) -> int:
        return self.own + self.joint + self.dispatched

    @computed_field  # type: ignore[prop-decorator]
    @property
    def uncovered(self) -> int:
        return self.targets - self.organizational - self.work

    @computed_field  # type: ignore[prop-decorator]
    @property
    def organizational_rate(self) -> float | None:
        return _rate(self.organizational, self.targets)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def work_rate(self) -> float | None:
        return _rate(self.work, self.targets)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def total_rate(self) -> float | None:
        return _rate(self.organizational + self.work, self.targets)


class CoverageReport(BaseModel):
    as_of: date
    dimension: Dimension
    region_id: uuid.UUID = Field(description="the region whose subtree is counted")
    total: CoverageFigures
    groups: list[CoverageFigures]


class BaselineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    registered_count: int = Field(ge=0, description="registered enterprises (市场主体登记)")
    tax_paying_count: int = Field(ge=0, description="of them, paying tax")
    social_insurance_count: int = Field(ge=0, description="of them, paying social insurance")


class BaselinePublic(BaselineIn):
    region_id: uuid.UUID
    region_name: str
    year: int
    recognition_rate: float = Field(description="policy parameter in force at the year's end")
    baseline: int = Field(description="round(registered_count × recognition_rate)")
    recorded_at: datetime
    recorded_by: str


class SnapshotRow(CoverageFigures):
    dimension: Dimension


class SnapshotPublic(BaseModel):
    month: str = Field(description="YYYY-MM")
    as_of: date = Field(description="the month's last day")
    frozen_at: datetime
    frozen_by: str
    created: bool = Field(description="false when the month had been frozen before")
    rows: list[SnapshotRow]


class BulletinRow(BaseModel):
    rank: int
    region_id: uuid.UUID
    name: str
    now: CoverageFigures
    year_before: CoverageFigures
    organizational_growth: float | None = Field(description="year-over-year, 1.0 = +100%")
    work_growth: float | None
    organizational_doubled: bool
    work_doubled: bool
    baseline: int | None = Field(description="底数 of the year, when recorded")


class BulletinPublic(BaseModel):
    """季通报: districts ranked by total coverage rate at the quarter's end."""

    year: int
    quarter: int
    as_of: date
    provisional: bool = Field(description="the quarter is not over: figures as of today")
    rows: list[BulletinRow]


class Responsible(BaseModel):
    person_name: str
    level: str
    position: str | None
    first_secretary: bool


class InspectionItem(BaseModel):
    work_target_id: uuid.UUID
    name: str
    credit_code: str
    region_id: uuid.UUID
    district: str | None
    working_committee: str | None = Field(description="the district working committee in charge")
    responsible: list[Responsible] = Field(description="三级包保 assignments on the day")


class InspectionPage(BaseModel):
    """半年督查: targets uncovered at the half-year's end, with who is responsible."""

    year: int
    half: int
    as_of: date
    provisional: bool
    items: list[InspectionItem]
    next_cursor: str | None
