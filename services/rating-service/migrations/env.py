"""Alembic environment of rating-service."""

from service_kit.migrations import run_env
from sqlmodel import SQLModel

import rating_service.main  # noqa: F401  (registers the tables)

run_env(SQLModel.metadata)
