"""Alembic environment of org-service."""

from sqlmodel import SQLModel

import org_service.main  # noqa: F401  (registers the tables)
from service_kit.migrations import run_env

run_env(SQLModel.metadata)
