"""Tables of posts (双亮): integrity, civility, shock and tackling posts held for a period."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, Date, DateTime, ForeignKey, Index, String
from sqlmodel import Field, SQLModel


class PostKind(StrEnum):
    integrity = "integrity"  # 党员诚信岗
    civility = "civility"  # 文明岗
    shock = "shock"  # 突击岗
    tackling = "tackling"  # 攻关岗


def utcnow() -> datetime:
    return datetime.now(UTC)


class Post(SQLModel, table=True):
    __tablename__ = "member_post"
    __table_args__ = (
        CheckConstraint(
            "kind IN (" + ",".join(f"'{k.value}'" for k in PostKind) + ")", name="kind"
        ),
        CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="period"),
        Index("ix_member_post_member_id_kind", "member_id", "kind", "started_on"),
        Index("ix_member_post_organization_id", "organization_id", "started_on"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    member_id: uuid.UUID = Field(sa_column=Column(ForeignKey("member.id"), nullable=False))
    organization_id: uuid.UUID
    kind: str = Field(sa_column=Column(String(20), nullable=False))
    title: str = Field(max_length=200)
    duties: str | None = Field(default=None, max_length=1000)
    started_on: date = Field(sa_column=Column(Date, nullable=False))
    ended_on: date | None = Field(default=None, sa_column=Column(Date))  # the last day held
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
