"""API models of posts."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from member_service.posts.models import PostKind


class PostCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: PostKind
    title: str = Field(min_length=1, max_length=200, description="e.g. 诚信服务窗口")
    duties: str | None = Field(default=None, max_length=1000)
    organization_id: uuid.UUID | None = Field(
        default=None, description="where the post is shown: default the serving organization"
    )
    started_on: date | None = Field(default=None, description="default today")
    ended_on: date | None = Field(default=None, description="the last day, when known")


class PostEnd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ended_on: date | None = Field(default=None, description="the last day held; default today")


class PostPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    member_id: uuid.UUID
    organization_id: uuid.UUID
    kind: PostKind
    title: str
    duties: str | None
    started_on: date
    ended_on: date | None
    created_at: datetime
    updated_at: datetime
