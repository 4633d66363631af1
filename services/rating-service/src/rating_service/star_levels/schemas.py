"""API models of star levels."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from rating_service.star_levels.models import LevelSource, SubjectKind


class StarLevelPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    subject_kind: SubjectKind
    subject_id: uuid.UUID
    stars: int = Field(ge=1, le=5)
    valid_from: date
    valid_until: date | None = Field(description="exclusive; null: until a new level replaces it")
    showcase: bool = Field(description="organizations: meets the showcase criteria (两化三有)")


class StarLevelRecord(StarLevelPublic):
    """A level in a subject's history, with where it came from."""

    source: LevelSource
    source_id: uuid.UUID = Field(description="the campaign or the organization rating")
