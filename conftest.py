"""Fixtures shared by every test of the workspace (a throwaway PostgreSQL, a token issuer)."""

pytest_plugins = ["service_kit.testing"]
