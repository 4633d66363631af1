"""Alembic environment of funding-service."""

from service_kit.migrations import run_env
from sqlmodel import SQLModel

import funding_service.main  # noqa: F401  (registers the tables)

run_env(SQLModel.metadata)
