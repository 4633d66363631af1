"""API models of rating schemes and organization ratings."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

CODE = r"^[a-z][a-z0-9_]{0,39}$"


class Indicator(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    code: str = Field(pattern=CODE)
    name: str = Field(min_length=1, max_length=100)
    max_points: float = Field(gt=0, le=1000)


class Area(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=CODE)
    name: str = Field(min_length=1, max_length=100)
    indicators: list[Indicator] = Field(min_length=1, max_length=50)


class VetoItem(BaseModel):
    """A condition that on its own holds the organization at 1 star (一票否决)."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=CODE)
    name: str = Field(min_length=1, max_length=100)


class SchemeThresholds(BaseModel):
    """The least total points for 5, 4, 3 and 2 stars, falling; below two_stars: 1 star."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    five_stars: float
    four_stars: float
    three_stars: float
    two_stars: float


class SchemeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    valid_from: date = Field(description="ratings from this day on use the scheme")
    areas: list[Area] = Field(min_length=1, max_length=20)
    star_thresholds: SchemeThresholds
    veto_items: list[VetoItem] = Field(default_factory=list, max_length=50)


class SchemePublic(BaseModel):
    id: uuid.UUID
    name: str
    valid_from: date
    total_points: float = Field(description="the sum of every indicator's points")
    indicator_count: int
    areas: list[Area]
    star_thresholds: SchemeThresholds
    veto_items: list[VetoItem]
    created_at: datetime


class ShowcaseCriteria(BaseModel):
    """两化三有: all five must hold for a showcase organization."""

    model_config = ConfigDict(extra="forbid")

    standardized: bool = Field(description="规范化")
    visualized: bool = Field(description="可视化")
    signature_method: bool = Field(description="有品牌工作法: a signature work method")
    innovative_project: bool = Field(description="有创新项目: an innovative project")
    culture: bool = Field(description="有党建文化: a party-building culture")


class RatingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    organization_id: uuid.UUID
    rated_on: date | None = Field(default=None, description="default today; never later")
    scheme_id: uuid.UUID | None = Field(
        default=None, description="default: the scheme in force on rated_on"
    )
    indicator_points: dict[str, float] = Field(
        description="points for every indicator of the scheme, 0 to its max_points"
    )
    vetoes: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="veto items of the scheme that hold: any one holds the organization at "
        "1 star and ends its showcase status",
    )
    showcase_criteria: ShowcaseCriteria
    note: str | None = Field(default=None, max_length=500)


class RatingPublic(BaseModel):
    id: uuid.UUID
    organization_id: uuid.UUID
    scheme_id: uuid.UUID
    rated_on: date
    indicator_points: dict[str, float]
    area_points: dict[str, float]
    total_points: float
    vetoes: list[str]
    vetoed: bool
    points_stars: int = Field(description="stars by the total points alone")
    stars: int = Field(description="stars given: 1 when vetoed, else points_stars")
    showcase_criteria: ShowcaseCriteria
    showcase: bool = Field(description="all five showcase criteria hold and nothing vetoed")
    valid_from: date
    valid_until: date = Field(description="exclusive: the rating holds until then")
    previous_stars: int | None = Field(
        default=None, description="the level this rating replaced (only in the answer to POST)"
    )
    note: str | None
    created_at: datetime
