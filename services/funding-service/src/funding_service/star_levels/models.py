"""Table of the star-level projection: the last level rating-service announced per subject."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Column, Date, DateTime, Integer, String
from sqlmodel import Field, SQLModel


class StarLevelRecord(SQLModel, table=True):
    """Kept from rating.star_level.changed; a fallback when rating-service cannot answer."""

    __tablename__ = "star_level"
    __table_args__ = (
        CheckConstraint("stars BETWEEN 1 AND 5", name="stars"),
        CheckConstraint("subject_kind IN ('organization','member')", name="subject_kind"),
    )

    subject_kind: str = Field(sa_column=Column(String(20), primary_key=True))
    subject_id: uuid.UUID = Field(primary_key=True)
    stars: int = Field(sa_column=Column(Integer, nullable=False))
    previous_stars: int | None = Field(default=None, sa_column=Column(Integer))
    valid_from: date | None = Field(default=None, sa_column=Column(Date))
    valid_until: date | None = Field(default=None, sa_column=Column(Date))
    showcase: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    announced_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
