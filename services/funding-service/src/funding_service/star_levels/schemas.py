"""The `data` of rating.star_level.changed (the agreed contract)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class StarLevelChanged(BaseModel):
    model_config = ConfigDict(extra="ignore")

    subject_kind: Literal["organization", "member"]
    subject_id: uuid.UUID
    stars: int = Field(ge=1, le=5)
    previous_stars: int | None = Field(default=None, ge=1, le=5)
    valid_from: date | None = None
    valid_until: date | None = None
    showcase: bool = False
