"""Shared fixtures: database targets (SQLite always; PostgreSQL when TEST_DATABASE_URL is set)."""

pytest_plugins = ["tests.db_fixtures"]
