"""Database fixtures: a fresh SQLite file per test, and a fresh PostgreSQL schema per test.

PostgreSQL comes from TEST_DATABASE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test);
tests needing it are skipped when it is unset. Each test gets its own schema, dropped afterwards, so
test runs in parallel on one database never see each other's rows.

The fixtures are named `sqlite_url`, `pg_target`, `backend_url` and `store`; their functions carry a
`_fixture` suffix so that importing them does not shadow the test parameters of the same name. A
test module imports the ones it uses (`from tests.db_fixtures import store_fixture  # noqa: F401`),
or tests/conftest.py exposes them all with `pytest_plugins = ["tests.db_fixtures"]`.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.store import Store, normalize_database_url

PG_URL_VARIABLE = "TEST_DATABASE_URL"

__all__ = [
    "BackendUrl",
    "PgTarget",
    "backend_url_fixture",
    "pg_target_fixture",
    "sqlite_url_fixture",
    "store_fixture",
]


@dataclass(frozen=True)
class PgTarget:
    """Where a test's PostgreSQL tables go: `Store(target.url, schema=target.schema)`."""

    url: str
    schema: str

    def store(self) -> Store:
        return Store(self.url, schema=self.schema)


@pytest.fixture(name="sqlite_url")
def sqlite_url_fixture(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ticket-report.db'}"


@pytest.fixture(name="pg_target")
def pg_target_fixture() -> Iterator[PgTarget]:
    url = os.environ.get(PG_URL_VARIABLE, "").strip()
    if not url:
        pytest.skip(f"{PG_URL_VARIABLE} is not set")
    schema = f"tr_test_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(normalize_database_url(url))
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        yield PgTarget(url=url, schema=schema)
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


@dataclass(frozen=True)
class BackendUrl:
    """A database for one test, on either backend: open as many Stores on it as the test needs."""

    name: str  # "sqlite" | "postgresql"
    url: str
    schema: str | None = None

    def store(self) -> Store:
        return Store(self.url, schema=self.schema)


@pytest.fixture(name="backend_url", params=["sqlite", "postgresql"])
def backend_url_fixture(request: pytest.FixtureRequest) -> BackendUrl:
    """The same test on a SQLite file and on a PostgreSQL schema (skipped without TEST_DATABASE_URL)."""
    if request.param == "sqlite":
        return BackendUrl(name="sqlite", url=request.getfixturevalue("sqlite_url"))
    target: PgTarget = request.getfixturevalue("pg_target")
    return BackendUrl(name="postgresql", url=target.url, schema=target.schema)


@pytest.fixture(name="store")
def store_fixture(backend_url: BackendUrl) -> Iterator[Store]:
    """A Store on a fresh database of each backend, closed after the test."""
    opened = backend_url.store()
    try:
        yield opened
    finally:
        opened.close()
