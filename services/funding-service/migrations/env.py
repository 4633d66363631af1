"""Alembic environment of funding-service."""

from sqlmodel import SQLModel

import funding_service.main  # noqa: F401  (registers the tables)
from service_kit.migrations import run_env

run_env(SQLModel.metadata)
