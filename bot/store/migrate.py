"""Bring the bot's database to the newest schema (the Alembic revisions in `migrations/versions`).

Every `Store` runs `upgrade` when it opens, and `python -m bot db upgrade` runs `upgrade_database`.
A database is found in one of three states:
* empty: every revision runs, from 0001;
* made by a release before migrations (its tables, no version table): stamped at 0001 (whose
  tables it holds, rows and all), then upgraded;
* versioned: the revisions it lacks run; at the newest one, nothing does.

Any number of processes may start at once (the web and clock processes do). One migrates at a time:
on PostgreSQL it holds an advisory lock on its connection for the whole upgrade; on SQLite its
`BEGIN IMMEDIATE` takes the database's write lock before anything is read, so the next process waits
(its connection's 30-second busy timeout) and then finds the schema at head. Both backends have
transactional DDL: an upgrade runs in one transaction, and one that fails leaves the database as it
was.

A new revision: change `schema.py`, then with a database at head
`alembic.command.revision(alembic_config(connection), message="...", rev_id="0003", autogenerate=True)`
writes a draft into `migrations/versions` to check by hand; `tests/store/test_migrations.py` fails until
the revisions and `schema.py` agree.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext, MigrationInfo
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
BASELINE = "0001"
# The tables the last release before migrations created (`metadata.create_all`): revision 0001.
BASELINE_TABLES = frozenset(
    {"subscriptions", "digest_claims", "drilldown_posts", "report_posts", "llm_answers"}
)
# Our own name, not Alembic's default: a PostgreSQL database shared with another Alembic-managed
# application must not mix its revisions with ours.
VERSION_TABLE = "ticket_report_alembic_version"
# Any 64-bit constant, the same in every process. The releases before migrations took this same key
# (transaction-scoped) around their create_all, so an old process starting beside a new one waits too.
LOCK_KEY = 7_305_112_870_431_993_201


@dataclass(frozen=True)
class Outcome:
    """What one upgrade did."""

    revision: str | None  # the database's revision afterwards
    applied: tuple[str, ...]  # revisions run, oldest first
    stamped: bool  # a database made before migrations was stamped at the baseline first

    def describe(self) -> str:
        """One line for a person: "database at revision 0002 (applied 0001, 0002)"."""
        done = []
        if self.stamped:
            done.append(f"tables made before migrations found, stamped {BASELINE}")
        if self.applied:
            done.append("applied " + ", ".join(self.applied))
        return f"database at revision {self.revision} ({'; '.join(done) or 'already up to date'})"


def alembic_config(connection: Connection, *, schema: str | None = None) -> Config:
    """Alembic's configuration, built in code: the scripts here, run on this open connection."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    config.attributes["schema"] = schema
    return config


def upgrade(engine: Engine, *, schema: str | None = None) -> list[str]:
    """Bring the database to head; the revisions applied (none when it already was)."""
    return list(migrate(engine, schema=schema).applied)


def upgrade_database(url: str, *, schema: str | None = None) -> str:
    """`python -m bot db upgrade`: upgrade the database at `url`; one line saying what was done."""
    # Imported here: the store's module runs `upgrade` when a Store opens, so it imports this one.
    from bot.store.database import open_engine

    engine = open_engine(url, schema=schema, timeout=None)  # a revision may take long
    try:
        return migrate(engine, schema=schema).describe()
    finally:
        engine.dispose()


def migrate(engine: Engine, *, schema: str | None = None) -> Outcome:
    """`upgrade`, telling also whether the database was stamped and where it ended."""
    with engine.connect() as conn:
        if schema is not None:
            # Tables are created unqualified by the revisions and land in the schema.
            conn.execution_options(schema_translate_map={None: schema})
        with _postgres_lock(conn), conn.begin():
            if conn.dialect.name == "sqlite":
                # The write lock before the first read: a second process waits here, not after
                # having seen a half-migrated database.
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            elif conn.dialect.name == "postgresql" and schema is not None:
                quoted = conn.dialect.identifier_preparer.quote_schema(schema)
                conn.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {quoted}"))
            outcome = _migrate(conn, schema)
    if outcome.stamped or outcome.applied:
        log.info("%s", outcome.describe())
    return outcome


def _migrate(conn: Connection, schema: str | None) -> Outcome:
    config = alembic_config(conn, schema=schema)
    tables = set(sa.inspect(conn).get_table_names(schema=schema))
    stamped = VERSION_TABLE not in tables and tables >= BASELINE_TABLES
    if stamped:
        command.stamp(config, BASELINE)
    applied: list[str] = []

    def record(*, step: MigrationInfo, **_: Any) -> None:
        if step.is_upgrade and step.up_revision_id is not None:
            applied.append(step.up_revision_id)

    config.attributes["on_version_apply"] = (record,)
    command.upgrade(config, "head")
    context = MigrationContext.configure(
        conn, opts={"version_table": VERSION_TABLE, "version_table_schema": schema}
    )
    return Outcome(revision=context.get_current_revision(), applied=tuple(applied), stamped=stamped)


@contextmanager
def _postgres_lock(conn: Connection) -> Iterator[None]:
    """PostgreSQL: hold the session advisory lock around the upgrade; elsewhere nothing."""
    if conn.dialect.name != "postgresql":
        yield
        return
    conn.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": LOCK_KEY})
    conn.commit()  # the lock belongs to the session; the upgrade gets a transaction of its own
    try:
        yield
    finally:
        try:
            conn.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
            conn.commit()
        except SQLAlchemyError:
            # A session lock outlives a pooled connection's checkout: closing the connection for good
            # is what releases it now.
            log.warning("could not release the migration lock; closing its connection", exc_info=True)
            conn.invalidate()
