"""Schema migrations on SQLite and PostgreSQL: the revisions build `schema.py`, keep a release's rows,
and run once however many processes start together."""

from __future__ import annotations

import multiprocessing
import queue
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from bot.store import Subscription, normalize_database_url
from bot.store.database import DigestStatus, open_engine
from bot.store.migrate import LOCK_KEY, VERSION_TABLE, alembic_config, migrate, upgrade, upgrade_database
from bot.store.schema import metadata
from tests.db_fixtures import (  # noqa: F401 - fixtures
    BackendUrl,
    backend_url_fixture,
    pg_target_fixture,
    sqlite_url_fixture,
)

HEAD = "0006"
MIRROR_TABLES = {"mirror_issues", "mirror_comments", "mirror_repos", "mirror_etags", "webhook_deliveries"}
T0 = datetime(2025, 4, 14, 7, 0, tzinfo=UTC)
T1 = datetime(2025, 4, 15, 7, 0, tzinfo=UTC)


# The tables as release 8a71e3f (the last one before migrations) defined them in bot/store.py, frozen
# here: databases made by it must keep working whatever schema.py becomes.


class ReleaseUTCDateTime(sa.TypeDecorator[datetime]):
    """How the release wrote datetimes: UTC, and without the offset on SQLite."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value


release = sa.MetaData()
release_subscriptions = sa.Table(
    "subscriptions",
    release,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("channel_id", sa.String(64), nullable=False, index=True),
    sa.Column("cadence", sa.String(16), nullable=False),
    sa.Column("at_time", sa.String(5), nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("repos", sa.Text, nullable=False),
    sa.Column("quiet", sa.Boolean, nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created_at", ReleaseUTCDateTime, nullable=False),
    sa.Column("source", sa.String(16), nullable=False),
    sqlite_autoincrement=True,
)
release_digest_claims = sa.Table(
    "digest_claims",
    release,
    sa.Column("subscription_key", sa.String(200), nullable=False),
    sa.Column("period_start", ReleaseUTCDateTime, nullable=False),
    sa.Column("claimed_at", ReleaseUTCDateTime, nullable=False),
    sa.Column("claimed_by", sa.String(200), nullable=False),
    sa.Column("posted_at", ReleaseUTCDateTime, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("failed_at", ReleaseUTCDateTime, nullable=True),
    sa.PrimaryKeyConstraint("subscription_key", "period_start", name="pk_digest_claims"),
)
release_drilldown_posts = sa.Table(
    "drilldown_posts",
    release,
    sa.Column("channel_id", sa.String(64), nullable=False),
    sa.Column("thread_ts", sa.String(32), nullable=False),
    sa.Column("repo", sa.String(200), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("message_ts", sa.String(32), nullable=True),
    sa.Column("created_at", ReleaseUTCDateTime, nullable=False),
    sa.PrimaryKeyConstraint("channel_id", "thread_ts", "repo", "number", name="pk_drilldown_posts"),
)
release_report_posts = sa.Table(
    "report_posts",
    release,
    sa.Column("channel_id", sa.String(64), nullable=False),
    sa.Column("message_ts", sa.String(32), nullable=False),
    sa.Column("context", sa.Text, nullable=False),
    sa.Column("created_at", ReleaseUTCDateTime, nullable=False),
    sa.PrimaryKeyConstraint("channel_id", "message_ts", name="pk_report_posts"),
)
release_llm_answers = sa.Table(
    "llm_answers",
    release,
    sa.Column("key", sa.String(64), nullable=False),
    sa.Column("model", sa.String(200), nullable=False),
    sa.Column("answer", sa.Text, nullable=False),
    sa.Column("created_at", ReleaseUTCDateTime, nullable=False),
    sa.PrimaryKeyConstraint("key", name="pk_llm_answers"),
)


def make_release_database(target: BackendUrl, tables: list[sa.Table] | None = None) -> int:
    """The release's tables (all, or the given ones) holding its rows; the stored subscription's id."""
    engine = open_engine(target.url, schema=target.schema)
    try:
        with engine.begin() as conn:
            release.create_all(conn, tables=tables)
            subscription_id = conn.execute(
                sa.insert(release_subscriptions)
                .values(
                    channel_id="C1",
                    cadence="weekdays",
                    at_time="09:00",
                    timezone="Europe/Berlin",
                    repos='["octo/support"]',
                    quiet=True,
                    created_by="U1",
                    created_at=T0,
                    source="command",
                )
                .returning(release_subscriptions.c.id)
            ).scalar_one()
            key = f"db:{subscription_id}"
            claims = sa.insert(release_digest_claims).values(subscription_key=key, claimed_by="host-a")
            conn.execute(claims.values(period_start=T0, claimed_at=T0, posted_at=T0))
            conn.execute(claims.values(period_start=T1, claimed_at=T1, error="GitHub is down", failed_at=T1))
            drilldown = {"channel_id": "C1", "thread_ts": "1712.0001", "repo": "octo/support", "number": 686}
            conn.execute(
                sa.insert(release_drilldown_posts).values(
                    drilldown | {"message_ts": "1712.0002", "created_at": T0}
                )
            )
            if tables is None or release_report_posts in tables:
                conn.execute(
                    sa.insert(release_report_posts).values(
                        channel_id="C1", message_ts="1712.0001", context='{"tickets": []}', created_at=T0
                    )
                )
    finally:
        engine.dispose()
    return subscription_id


@contextmanager
def connect(target: BackendUrl) -> Iterator[sa.Connection]:
    """A connection on which unqualified names are the test's tables (its schema on PostgreSQL)."""
    url = normalize_database_url(target.url)
    if target.schema is None:
        engine = sa.create_engine(url)
    else:
        engine = sa.create_engine(url, connect_args={"options": f"-csearch_path={target.schema}"})
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def tables_of(target: BackendUrl) -> set[str]:
    with connect(target) as conn:
        return set(sa.inspect(conn).get_table_names())


def versions_of(target: BackendUrl) -> list[str]:
    with connect(target) as conn:
        return list(conn.execute(sa.text("SELECT version_num FROM ticket_report_alembic_version")).scalars())


def expected_subscription(subscription_id: int) -> Subscription:
    return Subscription(
        id=subscription_id,
        channel_id="C1",
        cadence="weekdays",
        at_time="09:00",
        timezone="Europe/Berlin",
        repos=("octo/support",),
        quiet=True,
        created_by="U1",
        created_at=T0,
        source="command",
        last_error="GitHub is down",
        last_error_at=T1,
        last_posted_at=T0,
    )


# The revisions and schema.py -----------------------------------------------------------------------


def test_the_migrations_at_head_build_exactly_the_tables_of_schema_py(backend_url: BackendUrl):
    """A table, column, type, nullability or index changed in schema.py without a migration fails here."""
    backend_url.store().close()
    with connect(backend_url) as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "version_table": VERSION_TABLE}
        )
        assert compare_metadata(context, metadata) == []
    assert versions_of(backend_url) == [HEAD]


def test_an_empty_database_is_upgraded_from_the_first_revision(backend_url: BackendUrl):
    assert upgrade_database(backend_url.url, schema=backend_url.schema) == (
        "database at revision 0006 (applied 0001, 0002, 0003, 0004, 0005, 0006)"
    )
    assert tables_of(backend_url) == set(metadata.tables) | {VERSION_TABLE}


def test_a_database_at_head_is_left_alone(backend_url: BackendUrl):
    store = backend_url.store()
    try:
        assert store.upgrade_schema() == []
        assert upgrade(store.engine, schema=backend_url.schema) == []
    finally:
        store.close()
    assert upgrade_database(backend_url.url, schema=backend_url.schema) == (
        "database at revision 0006 (already up to date)"
    )
    assert versions_of(backend_url) == [HEAD]


# Databases made before migrations ------------------------------------------------------------------


def test_a_release_database_keeps_its_subscriptions_claims_and_posted_reports(backend_url: BackendUrl):
    subscription_id = make_release_database(backend_url)
    store = backend_url.store()
    try:
        assert store.list_subscriptions() == [expected_subscription(subscription_id)]
        assert store.digest_status([f"db:{subscription_id}"]) == {
            f"db:{subscription_id}": DigestStatus(
                last_posted_at=T0, last_error="GitHub is down", last_error_at=T1, state="failed"
            )
        }
        assert store.load_report_context(channel_id="C1", message_ts="1712.0001") == '{"tickets": []}'
        where = {"channel_id": "C1", "thread_ts": "1712.0001", "repo": "octo/support", "number": 686}
        assert store.find_drilldown(**where) == "1712.0002"
        # A claim the release made still blocks a second post of that digest.
        assert store.claim_digest(f"db:{subscription_id}", period_start=T0, by="host-c") is False
        # New subscriptions never take an id the release handed out.
        added = store.add_subscription(
            channel_id="C2", cadence="daily", at_time="08:00", timezone="UTC", created_by="U2", now=T1
        )
        assert added.id is not None and added.id > subscription_id
    finally:
        store.close()
    assert tables_of(backend_url) >= MIRROR_TABLES
    assert versions_of(backend_url) == [HEAD]


def test_a_release_database_is_stamped_at_the_baseline_and_then_upgraded(backend_url: BackendUrl):
    make_release_database(backend_url)
    engine = open_engine(backend_url.url, schema=backend_url.schema)
    try:
        outcome = migrate(engine, schema=backend_url.schema)
    finally:
        engine.dispose()
    applied = ("0002", "0003", "0004", "0005", "0006")
    assert (outcome.stamped, outcome.applied, outcome.revision) == (True, applied, HEAD)
    assert outcome.describe() == (
        "database at revision 0006 "
        "(tables made before migrations found, stamped 0001; applied 0002, 0003, 0004, 0005, 0006)"
    )


def test_a_database_of_an_earlier_release_gets_the_tables_it_lacked(backend_url: BackendUrl):
    """The first release made only subscriptions, digest_claims and drilldown_posts."""
    subscription_id = make_release_database(
        backend_url, [release_subscriptions, release_digest_claims, release_drilldown_posts]
    )
    store = backend_url.store()
    try:
        assert store.list_subscriptions() == [expected_subscription(subscription_id)]
        store.save_report_context(channel_id="C1", message_ts="1712.9", context="{}")
        assert store.load_report_context(channel_id="C1", message_ts="1712.9") == "{}"
    finally:
        store.close()
    assert tables_of(backend_url) == set(metadata.tables) | {VERSION_TABLE}
    with connect(backend_url) as conn:
        assert (
            compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True, "version_table": VERSION_TABLE}),
                metadata,
            )
            == []
        )


# Databases of a release with migrations ----------------------------------------------------------


def make_mirror_release_database(target: BackendUrl) -> None:
    """A database as the mirror's first release (revision 0002) left it: a ticket and a team comment
    whose derived text is of text version 1 (lines as JSON; no `words` column yet)."""
    engine = open_engine(target.url, schema=target.schema)
    try:
        with engine.connect() as conn:
            if target.schema is not None:
                conn.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{target.schema}"'))
                conn.commit()
            with conn.begin():
                command.upgrade(alembic_config(conn, schema=target.schema), "0002")
        with engine.begin() as conn:
            tables = sa.MetaData()
            issues = sa.Table("mirror_issues", tables, autoload_with=conn, schema=target.schema)
            comments = sa.Table("mirror_comments", tables, autoload_with=conn, schema=target.schema)
            assert "words" not in comments.c

            def when(moment: datetime) -> datetime:  # as UTCDateTime wrote it
                return moment.replace(tzinfo=None) if conn.dialect.name == "sqlite" else moment

            conn.execute(
                sa.insert(issues).values(
                    repo="octo/support", number=7, title="[Bug]: Export hangs", url="https://x/7",
                    body="### Describe the bug\n\nExport hangs at 99%.", state="open", state_reason=None,
                    labels='["bug"]', author="ann", author_association="NONE", author_is_bot=False,
                    created_at=when(T0), updated_at=when(T0), closed_at=None, comments_count=1, reactions=0,
                    is_pull_request=False, pinned=False, deleted_at=None, clean_title="Export hangs",
                    clean_body='["Export hangs at 99%."]', text_version=1, synced_at=when(T0),
                )
            )  # fmt: skip
            conn.execute(
                sa.insert(comments).values(
                    repo="octo/support", id=70, issue_number=7, author="bob", author_association="MEMBER",
                    author_is_bot=False, body="Fixed in 2.0.1, please update.", created_at=when(T1),
                    updated_at=when(T1), reactions=0, deleted_at=None, clean_body='["Fixed in 2.0.1."]',
                    text_version=1, synced_at=when(T1),
                )
            )  # fmt: skip
    finally:
        engine.dispose()


def test_a_mirror_of_revision_0002_keeps_its_tickets_and_derives_their_text_anew(backend_url: BackendUrl):
    from bot.report import derived
    from bot.store.mirror import Mirror

    make_mirror_release_database(backend_url)
    store = backend_url.store()  # upgrades to head as it opens
    try:
        assert versions_of(backend_url) == [HEAD]
        mirror = Mirror(store.engine)
        window = {"window_start": T0, "window_end": T1 + timedelta(hours=1)}
        data = mirror.window("octo/support", **window)
        (ticket,), (said,) = data.tickets, data.comments
        assert (ticket.number, ticket.title) == (7, "[Bug]: Export hangs")
        assert said.body == "Fixed in 2.0.1, please update."
        # version 1's text is not handed on (a report reads the body itself) ...
        assert (ticket.clean_body, said.clean_body, said.words) == (None, None, None)
        # ... until the sync derives it anew
        assert mirror.rederive("octo/support") == 2
        data = mirror.window("octo/support", **window)
        (ticket,), (said,) = data.tickets, data.comments
        assert ticket.clean_body == ("Export hangs at 99%.",)
        assert said.clean_body == derived.clean_comment("Fixed in 2.0.1, please update.")
        assert derived.decode_words(said.words).said.kind == "fix_released"
    finally:
        store.close()


def make_revision_0003_database(target: BackendUrl) -> None:
    """A database of revision 0003 holding what it allowed: the same digest subscribed twice (repositories
    in another order and case), and a claim whose process died before it posted or failed."""
    engine = open_engine(target.url, schema=target.schema)
    try:
        with engine.connect() as conn:
            if target.schema is not None:
                conn.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{target.schema}"'))
                conn.commit()
            with conn.begin():
                command.upgrade(alembic_config(conn, schema=target.schema), "0003")
        with engine.begin() as conn:
            for repos in ('["octo/support", "octo/app"]', '["Octo/App", "octo/support"]', '["octo/app"]'):
                conn.execute(
                    sa.insert(release_subscriptions).values(
                        channel_id="C1", cadence="daily", at_time="09:00", timezone="UTC", repos=repos,
                        quiet=False, created_by="U1", created_at=T0, source="command",
                    )
                )  # fmt: skip
            claims = sa.insert(release_digest_claims).values(subscription_key="db:1", claimed_by="host-a")
            conn.execute(claims.values(period_start=T0, claimed_at=T0, posted_at=T0))
            conn.execute(claims.values(period_start=T1, claimed_at=T1))  # its process died
    finally:
        engine.dispose()


def test_revision_0004_keeps_one_of_identical_subscriptions_and_gives_old_claims_a_state(
    backend_url: BackendUrl,
):
    make_revision_0003_database(backend_url)
    store = backend_url.store()
    try:
        listed = store.list_subscriptions("C1")
        assert [(s.id, s.repos) for s in listed] == [(1, ("octo/support", "octo/app")), (3, ("octo/app",))]
        posted = store.claims.get("db:1", T0)
        assert (posted.state, posted.attempts) == ("posted", 1)
        died = store.claims.get("db:1", T1)
        assert (died.state, died.lease_until) == ("claimed", T1 + timedelta(minutes=10))
        # The claim of the process that died is taken over once its lease ran out, not before.
        lease = timedelta(minutes=10)
        early, late = T1 + timedelta(minutes=9), T1 + timedelta(minutes=11)
        assert store.claims.take_over("db:1", T1, owner="b", now=early, lease=lease) is None
        taken = store.claims.take_over("db:1", T1, owner="b", now=late, lease=lease)
        assert (taken.owner, taken.state, taken.attempts) == ("b", "claimed", 2)
    finally:
        store.close()


def test_a_claim_left_pending_by_an_earlier_release_settles_as_failed_and_is_shown(backend_url: BackendUrl):
    from bot.delivery.scheduler import DigestScheduler

    make_revision_0003_database(backend_url)
    store = backend_url.store()
    try:
        posts: list[object] = []
        late = T1 + timedelta(minutes=11)  # its lease ran out: the release's process is gone
        scheduler = DigestScheduler(store, lambda *args: posts.append(args), now=lambda: late)
        runs = [r for r in scheduler.resume_claims(late) if r.key == "db:1"]
        assert [r.outcome for r in runs] == ["failed"] and posts == []  # never sent again
        settled = store.claims.get("db:1", T1)
        assert settled.state == "failed" and settled.next_attempt_at is None
        assert "earlier version" in (settled.error or "")
        assert scheduler.resume_claims(late + timedelta(hours=1)) == []  # settled once
    finally:
        store.close()


# Processes starting together -----------------------------------------------------------------------


def _upgrade_in_process(target: BackendUrl, started, results) -> None:
    """One process starting up: upgrade as a Store does, then open a Store and use it."""
    started.wait(timeout=60)
    engine = open_engine(target.url, schema=target.schema)
    try:
        applied = upgrade(engine, schema=target.schema)
        store = target.store()
        store.list_subscriptions()
        store.close()
        results.put(("ok", applied))
    except Exception as error:
        results.put(("error", repr(error)))
    finally:
        engine.dispose()


def test_two_processes_opening_a_fresh_database_together_both_succeed_and_migrate_once(
    backend_url: BackendUrl,
):
    context = multiprocessing.get_context("spawn")
    started = context.Barrier(2)
    results = context.Queue()
    workers = [
        context.Process(target=_upgrade_in_process, args=(backend_url, started, results)) for _ in "ab"
    ]
    for worker in workers:
        worker.start()
    outcomes = sorted(results.get(timeout=120) for _ in workers)
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    assert outcomes == [("ok", []), ("ok", ["0001", "0002", "0003", "0004", "0005", "0006"])]
    assert versions_of(backend_url) == [HEAD]
    assert tables_of(backend_url) == set(metadata.tables) | {VERSION_TABLE}


@contextmanager
def migration_lock_held(target: BackendUrl) -> Iterator[None]:
    """Hold what a migrating process holds: SQLite's write lock, or PostgreSQL's advisory lock."""
    if target.schema is None:
        path = sa.make_url(target.url).database
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    engine = sa.create_engine(normalize_database_url(target.url))
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": LOCK_KEY})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
                conn.commit()
    finally:
        engine.dispose()


def test_a_process_starting_while_another_migrates_waits_for_it(backend_url: BackendUrl):
    context = multiprocessing.get_context("spawn")
    started = context.Barrier(2)
    results = context.Queue()
    worker = context.Process(target=_upgrade_in_process, args=(backend_url, started, results))
    with migration_lock_held(backend_url):
        worker.start()
        started.wait(timeout=60)
        with pytest.raises(queue.Empty):  # still waiting for the lock
            results.get(timeout=2)
        assert worker.is_alive()
        assert VERSION_TABLE not in tables_of(backend_url)
    assert results.get(timeout=60) == ("ok", ["0001", "0002", "0003", "0004", "0005", "0006"])
    worker.join(timeout=60)
    assert worker.exitcode == 0
