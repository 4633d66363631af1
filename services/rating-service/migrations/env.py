"""Alembic environment of rating-service."""

from sqlmodel import SQLModel

import rating_service.main  # noqa: F401  (registers the tables)
from service_kit.migrations import run_env

run_env(SQLModel.metadata)
