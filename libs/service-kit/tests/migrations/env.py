"""Alembic environment of the service-kit tests: the kit's own tables and a probe table."""

from service_kit.migrations import run_env

run_env()
