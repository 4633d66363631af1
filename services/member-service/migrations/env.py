"""Alembic environment of member-service."""

from service_kit.migrations import run_env
from sqlmodel import SQLModel

import member_service.main  # noqa: F401  (registers the tables)

run_env(SQLModel.metadata)
