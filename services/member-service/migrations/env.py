"""Alembic environment of member-service."""

from sqlmodel import SQLModel

import member_service.main  # noqa: F401  (registers the tables)
from service_kit.migrations import run_env

run_env(SQLModel.metadata)
