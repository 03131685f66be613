"""The bot's durable state: digest subscriptions, digest claims and drill-down replies.

SQLAlchemy Core over SQLite (the default, one machine) or PostgreSQL (several processes). The schema
is migrated to the newest revision on start (`bot.store.migrate`); any number of processes may start
at once. Exactly-once posting rests on the claims (`bot.store.claims`): a digest is posted only by the
owner of its (subscription, period) claim row, whose every step is a conditional UPDATE. Two identical
subscriptions of a channel cannot both be stored (a unique index on the schedule and `repos_key`), and a
signed Slack request is run once (`first_sight`).

Subscriptions declared in the config file are not rows here: they come in as `Subscription` objects
with `source="config"` and a stable key built from their content; their claims and failures are
stored like any other.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import psycopg
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError

from bot.delivery.schedule import Schedule, ScheduleError, parse_schedule
from bot.store.actions import ActionLog
from bot.store.claims import Claims, DigestStatus, State, clip_error
from bot.store.migrate import upgrade
from bot.store.schema import (
    digest_claims,
    drilldown_posts,
    llm_answers,
    report_posts,
    slack_requests,
    subscriptions,
)

log = logging.getLogger(__name__)

DEFAULT_DATABASE_URL = "sqlite:///ticket-report.db"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# How long a claim made through `claim_digest` is held before another process may take it over.
DEFAULT_LEASE = timedelta(minutes=10)
# Slack refuses requests signed more than five minutes off; a record older than both ways of that
# can never match an accepted request again.
SEEN_REQUESTS_KEPT = timedelta(minutes=11)
# How long recording a signed request may wait for a database lock held elsewhere (then it is served
# unrecorded): it happens before the acknowledgement.
REQUEST_RECORD_WAIT = timedelta(milliseconds=500)
# How long any wait on the database may take (`database_timeout_seconds` in the config): a command
# whose database stalls gets its answer in seconds.
DEFAULT_TIMEOUT_SECONDS = 5.0
ANSWER_GRACE_SECONDS = 0.5  # past statement_timeout: the server's own cancellation arrives first
MIGRATION_WAIT_SECONDS = 30.0  # an upgrade waits this long for another process's lock

_REPO_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}", re.ASCII)
_SCHEMA_NAME_RE = re.compile(r"[a-z_][a-z0-9_]{0,62}", re.ASCII)

Source = Literal["command", "config"]


@dataclass(frozen=True)
class Subscription:
    """A channel's digest: when it fires, what it covers, and how its last run went.

    `last_error`, `last_error_at` and `last_posted_at` are read from the claims when listed; they
    are not part of what the user subscribed to.
    """

    channel_id: str
    cadence: str
    at_time: str  # "HH:MM", local to `timezone`
    timezone: str  # IANA name
    repos: tuple[str, ...] = ()  # empty: the channel's default repositories
    quiet: bool = False  # post nothing (rather than one short line) for a period without activity
    id: int | None = None  # set for stored subscriptions, None for config ones
    created_by: str = ""
    created_at: datetime = EPOCH
    source: Source = "command"
    last_error: str | None = None
    last_error_at: datetime | None = None
    last_posted_at: datetime | None = field(default=None, compare=False)

    last_state: State | None = field(default=None, compare=False)
    next_attempt_at: datetime | None = field(default=None, compare=False)

    @property
    def key(self) -> str:
        """Stable identity for claims: "db:<id>", or "config:<channel>:<cadence>:<HH:MM>:<zone>", with
        ":<hash>" of the repositories after it when a config subscription names some."""
        if self.source == "config":
            key = f"config:{self.channel_id}:{self.cadence}:{self.at_time}:{self.timezone}"
            return f"{key}:{repos_key(self.repos)[:12]}" if self.repos else key
        if self.id is None:
            raise ValueError("a stored subscription has an id")
        return f"db:{self.id}"

    @property
    def legacy_key(self) -> str | None:
        """The key a config subscription naming repositories had before its key named them (releases up
        to the delivery rework): its claims still count, so an upgrade never posts a digest twice."""
        if self.source == "config" and self.repos:
            return f"config:{self.channel_id}:{self.cadence}:{self.at_time}:{self.timezone}"
        return None

    @property
    def schedule(self) -> Schedule:
        return Schedule(cadence=self.cadence, at_time=self.at_time, timezone=self.timezone)

    @classmethod
    def from_config(
        cls,
        *,
        channel_id: str,
        cadence: str | None = None,
        at_time: str | None = None,
        timezone: str | None = None,
        repos: Iterable[str] = (),
        quiet: bool = False,
    ) -> Subscription:
        """A subscription declared in the config file, validated like a typed one."""
        schedule = parse_schedule(cadence, at_time, timezone)
        return cls(
            channel_id=_channel(channel_id),
            cadence=schedule.cadence,
            at_time=schedule.at_time,
            timezone=schedule.timezone,
            repos=normalize_repos(repos),
            quiet=quiet,
            created_by="config",
            source="config",
        )


class SubscriptionExists(Exception):
    """The channel already has this digest (same schedule and repositories); nothing was stored."""

    def __init__(self, existing: Subscription) -> None:
        super().__init__(existing.key)
        self.existing = existing


def repos_key(repos: Iterable[str]) -> str:
    """What identifies a subscription's repositories: a hash of their lower-cased names as a set."""
    names = sorted({name.strip().lower() for name in repos})
    return hashlib.sha256("\n".join(names).encode("utf-8")).hexdigest()


def normalize_database_url(url: str) -> str:
    """`postgres://` and `postgresql://` (as hosts hand them out) -> the installed psycopg 3 driver."""
    url = url.strip()
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def sqlite_path(url: str) -> Path | None:
    """The file of a `sqlite:///PATH` URL; None for another database or an in-memory one."""
    parsed = make_url(normalize_database_url(url))
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def open_engine(
    url: str, *, schema: str | None = None, timeout: float | None = DEFAULT_TIMEOUT_SECONDS
) -> Engine:
    """The engine a Store uses: `schema` puts its tables in that PostgreSQL schema (unqualified names).

    `timeout` bounds every wait on the database, so a stalled one costs a command seconds, not minutes:
    on SQLite, how long a write waits for another process's lock; on PostgreSQL, connecting, each
    statement (the server cancels it) and each wait for an answer on an open connection (closed on
    our side when nothing arrives, as when the network or a proxy stalls); on both, the wait for a
    pooled connection. None leaves statements unbounded (schema migrations, which may wait for another
    process's migration), with the connection and lock waits of MIGRATION_WAIT_SECONDS.
    """
    url = normalize_database_url(url)
    wait = MIGRATION_WAIT_SECONDS if timeout is None else timeout
    options: dict[str, Any] = {"pool_pre_ping": True, "pool_timeout": wait}
    if url.startswith("sqlite"):
        # The busy timeout: wait this long for another process's write lock, then fail ("database is
        # locked") rather than hold a worker.
        options["connect_args"] = {"timeout": wait}
    elif url.startswith("postgresql"):
        # An unreachable server fails in seconds, not at the TCP timeout. Half the bound: a stalled
        # pooled connection costs the whole bound before the pool tries a new one. libpq counts whole
        # seconds, at least 2.
        options["connect_args"] = {"connect_timeout": max(2, math.ceil(min(wait, 10) / 2))}
    engine = sa.create_engine(url, **options)
    if engine.dialect.name == "postgresql" and timeout is not None:
        _bound_postgres_waits(engine, timeout)
    if schema is not None:
        if not _SCHEMA_NAME_RE.fullmatch(schema):
            raise ValueError(f"schema name {schema!r} must be lower-case letters, digits and _")
        if engine.dialect.name != "postgresql":
            raise ValueError("a schema can only be given for PostgreSQL")
        engine = engine.execution_options(schema_translate_map={None: schema})
    return engine


def _bound_postgres_waits(engine: Engine, timeout: float) -> None:
    """Every new connection gets a server-side statement_timeout of `timeout`, and is a psycopg
    connection that stops waiting for an answer a second after that (see _DeadlineConnection)."""
    statement_ms = max(1, round(timeout * 1000))
    deadline = timeout + ANSWER_GRACE_SECONDS

    @sa.event.listens_for(engine, "do_connect")
    def connect(dialect: Any, record: Any, cargs: tuple[Any, ...], cparams: dict[str, Any]) -> Any:
        setting = f"-c statement_timeout={statement_ms}"
        given = cparams.get("options")  # DATABASE_URL's own ?options=... are kept
        cparams["options"] = f"{given} {setting}" if given else setting
        connection = _DeadlineConnection.connect(*cargs, **cparams)
        connection.deadline = deadline
        return connection


class _DeadlineConnection(psycopg.Connection):  # type: ignore[type-arg]
    """A psycopg connection that waits at most `deadline` seconds for the server at each step.

    psycopg waits on the socket for as long as it takes; a server that is merely slow is cut short by
    statement_timeout, but when nothing flows at all (a stalled network or proxy, the connection still
    open) no answer, not even the cancellation, ever arrives. Every wait for the server (a statement,
    its rows, a commit, a rollback, the pool's ping) goes through `wait`, which psycopg can bound;
    on expiry the connection is closed, so SQLAlchemy drops it from the pool instead of reusing it.
    """

    deadline: float | None = None

    def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
        if timeout is not None or self.deadline is None:  # psycopg's own bounded waits stay its own
            return super().wait(gen, interval, timeout)
        try:
            return super().wait(gen, interval, self.deadline)
        except _WAIT_TIMEOUT:
            self.close()
            raise psycopg.OperationalError(
                f"the database did not answer within {self.deadline:g} s; the connection was closed"
            ) from None


# What psycopg's `wait` raises when its timeout expires (an OperationalError). psycopg calls it
# internal and leaves it to the caller to convert into a public error, as _DeadlineConnection does.
_WAIT_TIMEOUT: type[Exception] = psycopg.errors._WaitTimeout


def normalize_repos(repos: Iterable[str]) -> tuple[str, ...]:
    """Checked "owner/name" strings, duplicates dropped (case-insensitively), order kept."""
    seen: set[str] = set()
    kept: list[str] = []
    for repo in repos:
        name = repo.strip()
        if not _REPO_RE.fullmatch(name):
            shown = name if len(name) <= 60 else name[:59] + "…"
            raise ScheduleError(f"'{shown}' is not a repository; use OWNER/NAME like octo-org/support")
        if name.lower() not in seen:
            seen.add(name.lower())
            kept.append(name)
    return tuple(kept)


def _channel(channel_id: str) -> str:
    channel = channel_id.strip()
    if not channel or len(channel) > 64:
        raise ScheduleError("A subscription needs the channel it posts to")
    return channel


class Store:
    """Subscriptions, digest claims and drill-down replies in one SQL database.

    Safe to share between threads (each call checks out its own connection) and between processes
    (every guarantee is a database constraint). `schema` puts the tables in a PostgreSQL schema
    of that name, created if missing (tests use a fresh one per run).
    """

    def __init__(
        self,
        url: str = DEFAULT_DATABASE_URL,
        *,
        schema: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        self._engine: Engine = open_engine(url, schema=schema, timeout=timeout)
        self._url = url
        self._schema = schema
        self.claims = Claims(self._engine, self._insert_once)
        self.actions = ActionLog(self._engine, self._insert_once)
        self._pruned_requests_at: datetime | None = None
        self.upgrade_schema()

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    def close(self) -> None:
        self._engine.dispose()

    def upgrade_schema(self) -> list[str]:
        """Migrate the database to the newest schema (`bot.store.migrate`); the revisions applied.

        Several processes may run this at the same moment: one migrates, the others wait and find it done.
        Runs on an engine of its own without the store's timeouts: a revision may take long, and the
        others wait for it.
        """
        if sqlite_path(self._url) is None and self.dialect == "sqlite":  # in memory: only in this engine
            return upgrade(self._engine, schema=self._schema)
        engine = open_engine(self._url, schema=self._schema, timeout=None)
        try:
            return upgrade(engine, schema=self._schema)
        finally:
            engine.dispose()

    # Subscriptions -------------------------------------------------------------------------

    def add_subscription(
        self,
        *,
        channel_id: str,
        cadence: str | None,
        at_time: str | None,
        timezone: str | None,
        repos: Iterable[str] = (),
        quiet: bool = False,
        created_by: str,
        now: datetime | None = None,
    ) -> Subscription:
        """Validate and store; ScheduleError (nothing written) when the input is not valid, and
        SubscriptionExists when the channel has this digest already (also when another process stored
        it a moment ago)."""
        schedule = parse_schedule(cadence, at_time, timezone)
        normalized = normalize_repos(repos)
        values = {
            "channel_id": _channel(channel_id),
            "cadence": schedule.cadence,
            "at_time": schedule.at_time,
            "timezone": schedule.timezone,
            "repos": json.dumps(list(normalized)),
            "repos_key": repos_key(normalized),
            "quiet": bool(quiet),
            "created_by": created_by[:64],
            "created_at": now or datetime.now(UTC),
            "source": "command",
        }
        try:
            with self._engine.begin() as conn:
                new_id = conn.execute(
                    sa.insert(subscriptions).values(values).returning(subscriptions.c.id)
                ).scalar_one()
                row = conn.execute(sa.select(subscriptions).where(subscriptions.c.id == new_id)).one()
        except IntegrityError:
            existing = self._same_digest(values)
            if existing is None:  # removed again in between: nothing to point at
                raise
            raise SubscriptionExists(existing) from None
        return _subscription(row._mapping)

    def _same_digest(self, values: dict[str, Any]) -> Subscription | None:
        c = subscriptions.c
        query = sa.select(subscriptions).where(
            *(
                c[name] == values[name]
                for name in ("channel_id", "cadence", "at_time", "timezone", "repos_key")
            )
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else _subscription(row._mapping)

    def get_subscription(self, key: str) -> Subscription | None:
        """The stored subscription with key "db:<id>", or None (removed, or not a stored key)."""
        subscription_id = _db_id(key)
        if subscription_id is None:
            return None
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(subscriptions).where(subscriptions.c.id == subscription_id)).first()
        return None if row is None else _subscription(row._mapping)

    def list_subscriptions(
        self, channel_id: str | None = None, *, config: Sequence[Subscription] = ()
    ) -> list[Subscription]:
        """Stored subscriptions (of one channel, or all), after the given config ones, with status."""
        query = sa.select(subscriptions).order_by(subscriptions.c.id)
        if channel_id is not None:
            query = query.where(subscriptions.c.channel_id == channel_id)
        with self._engine.connect() as conn:
            stored = [_subscription(row._mapping) for row in conn.execute(query)]
        declared = [s for s in config if channel_id is None or s.channel_id == channel_id]
        found = declared + stored
        statuses = self.digest_status([s.key for s in found])
        return [_with_status(s, statuses.get(s.key)) for s in found]

    def remove_subscription(self, channel_id: str, subscription_id: int) -> bool:
        """Remove one stored subscription of this channel; False if the channel has none by that id."""
        with self._engine.begin() as conn:
            result = conn.execute(
                sa.delete(subscriptions).where(
                    subscriptions.c.id == subscription_id, subscriptions.c.channel_id == channel_id
                )
            )
        return result.rowcount == 1

    def remove_all(self, channel_id: str) -> int:
        """Remove every stored subscription of the channel (config ones stay); how many went."""
        with self._engine.begin() as conn:
            result = conn.execute(sa.delete(subscriptions).where(subscriptions.c.channel_id == channel_id))
        return result.rowcount

    # Digest claims (bot.store.claims) ---------------------------------------------------------

    def claim_digest(
        self,
        key: str,
        *,
        period_start: datetime,
        by: str,
        now: datetime | None = None,
        lease: timedelta = DEFAULT_LEASE,
    ) -> bool:
        """Take the right to post this (subscription, period) digest; False if another holds it or it is
        done. The scheduler uses `claims` directly, for the lease and the states."""
        moment = now or datetime.now(UTC)
        return (
            self.claims.claim(key, period_start=period_start, owner=by, now=moment, lease=lease) is not None
        )

    def mark_posted(self, key: str, period_start: datetime, *, now: datetime | None = None) -> None:
        """Record the digest as posted, whoever holds its claim."""
        with self._engine.begin() as conn:
            conn.execute(
                sa.update(digest_claims)
                .where(_claim_is(key, period_start))
                .values(
                    state="posted",
                    posted_at=now or datetime.now(UTC),
                    error=None,
                    failed_at=None,
                    lease_until=None,
                    next_attempt_at=None,
                )
            )

    def record_failure(
        self, key: str, *, period_start: datetime, error: str, now: datetime | None = None
    ) -> None:
        """Remember why this digest was not posted (not retried); listed with the subscription until one
        posts."""
        with self._engine.begin() as conn:
            conn.execute(
                sa.update(digest_claims)
                .where(_claim_is(key, period_start))
                .values(
                    state="failed",
                    error=clip_error(error),
                    failed_at=now or datetime.now(UTC),
                    lease_until=None,
                    next_attempt_at=None,
                )
            )

    def digest_status(self, keys: Iterable[str]) -> dict[str, DigestStatus]:
        """Last post and the latest digest's state of each subscription key that has ever been claimed."""
        return self.claims.status(keys)

    # Signed Slack requests -------------------------------------------------------------------

    def first_sight(self, signature: str, *, timestamp: int, now: datetime | None = None) -> bool:
        """Record a signed request; False when a request with this signature was recorded before.

        Every process on the database sees every other's records. Records older than the signature
        window are deleted, at most once a minute per process.
        """
        moment = now or datetime.now(UTC)
        values = {"signature": signature[:100], "request_timestamp": timestamp, "seen_at": moment}
        fresh = self._insert_quickly(slack_requests, values)
        last = self._pruned_requests_at
        if last is None or moment - last >= timedelta(minutes=1):
            self._pruned_requests_at = moment
            with self._engine.begin() as conn:
                conn.execute(
                    sa.delete(slack_requests).where(slack_requests.c.seen_at < moment - SEEN_REQUESTS_KEPT)
                )
        return fresh

    # Drill-down replies --------------------------------------------------------------------

    def record_drilldown(
        self,
        *,
        channel_id: str,
        thread_ts: str,
        repo: str,
        number: int,
        message_ts: str | None = None,
        now: datetime | None = None,
    ) -> bool:
        """Claim the drill-down of this ticket in this thread; False if one was posted or is being posted.

        Record before posting (message_ts None), then `complete_drilldown` with the reply's ts, or
        `forget_drilldown` if the post failed, so two simultaneous clicks post one reply.
        """
        values = {
            "channel_id": channel_id,
            "thread_ts": thread_ts,
            "repo": repo,
            "number": number,
            "message_ts": message_ts,
            "created_at": now or datetime.now(UTC),
        }
        return self._insert_once(drilldown_posts, values)

    def complete_drilldown(
        self, *, channel_id: str, thread_ts: str, repo: str, number: int, message_ts: str
    ) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                sa.update(drilldown_posts)
                .where(_drilldown_is(channel_id, thread_ts, repo, number))
                .values(message_ts=message_ts)
            )

    def find_drilldown(self, *, channel_id: str, thread_ts: str, repo: str, number: int) -> str | None:
        """The ts of the reply already posted for this ticket in this thread, else None."""
        query = sa.select(drilldown_posts.c.message_ts).where(
            _drilldown_is(channel_id, thread_ts, repo, number)
        )
        with self._engine.connect() as conn:
            return conn.execute(query).scalar_one_or_none()

    def forget_drilldown(self, *, channel_id: str, thread_ts: str, repo: str, number: int) -> None:
        with self._engine.begin() as conn:
            conn.execute(sa.delete(drilldown_posts).where(_drilldown_is(channel_id, thread_ts, repo, number)))

    # ---------------------------------------------------------------------------------------

    # Posted reports -------------------------------------------------------------------------

    def save_report_context(
        self, *, channel_id: str, message_ts: str, context: str, now: datetime | None = None
    ) -> None:
        """Remember the JSON context of the report posted as `message_ts` (the first save wins)."""
        values = {
            "channel_id": channel_id,
            "message_ts": message_ts,
            "context": context,
            "created_at": now or datetime.now(UTC),
        }
        self._insert_once(report_posts, values)

    def load_report_context(self, *, channel_id: str, message_ts: str) -> str | None:
        query = sa.select(report_posts.c.context).where(
            report_posts.c.channel_id == channel_id, report_posts.c.message_ts == message_ts
        )
        with self._engine.connect() as conn:
            return conn.execute(query).scalar_one_or_none()

    # Language-model answers ----------------------------------------------------------------

    def llm_answer(self, key: str) -> str | None:
        """The cached answer stored under `key`, else None."""
        query = sa.select(llm_answers.c.answer).where(llm_answers.c.key == key)
        with self._engine.connect() as conn:
            return conn.execute(query).scalar_one_or_none()

    def save_llm_answer(self, key: str, *, model: str, answer: str, now: datetime | None = None) -> None:
        """Cache `answer` under `key`; when two processes save one key at once, the first one stays."""
        values = {"key": key, "model": model[:200], "answer": answer, "created_at": now or datetime.now(UTC)}
        self._insert_once(llm_answers, values)

    def _insert_quickly(self, table: sa.Table, values: dict[str, Any]) -> bool:
        """`_insert_once` that waits at most REQUEST_RECORD_WAIT for a lock held elsewhere, then raises
        OperationalError: it runs before a request is acknowledged, within Slack's three seconds."""
        statement = self._insert_statement(table, values)
        wait_ms = int(REQUEST_RECORD_WAIT.total_seconds() * 1000)
        try:
            with self._engine.begin() as conn:
                usual = None
                if self.dialect == "sqlite":
                    usual = conn.exec_driver_sql("PRAGMA busy_timeout").scalar()
                    conn.exec_driver_sql(f"PRAGMA busy_timeout = {wait_ms}")
                elif self.dialect == "postgresql":
                    conn.exec_driver_sql(f"SET LOCAL lock_timeout = {wait_ms}")
                    conn.exec_driver_sql(f"SET LOCAL statement_timeout = {wait_ms}")
                try:
                    return conn.execute(statement).first() is not None
                finally:
                    if usual is not None:  # the pooled connection keeps its usual patience
                        conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(usual)}")
        except IntegrityError:
            return False

    def _insert_statement(self, table: sa.Table, values: dict[str, Any]) -> Any:
        dialect = self.dialect
        if dialect == "postgresql":
            statement: Any = postgresql.insert(table).values(values).on_conflict_do_nothing()
        elif dialect == "sqlite":
            statement = sqlite.insert(table).values(values).on_conflict_do_nothing()
        else:
            statement = sa.insert(table).values(values)
        # RETURNING rather than rowcount: psycopg reports rowcount -1 for this statement here.
        return statement.returning(*table.primary_key.columns)

    def _insert_once(self, table: sa.Table, values: dict[str, Any]) -> bool:
        """INSERT that reports False instead of failing when the primary key is taken."""
        statement = self._insert_statement(table, values)
        try:
            with self._engine.begin() as conn:
                return conn.execute(statement).first() is not None
        except IntegrityError:
            return False


def _claim_is(key: str, period_start: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(digest_claims.c.subscription_key == key, digest_claims.c.period_start == period_start)


def _drilldown_is(channel_id: str, thread_ts: str, repo: str, number: int) -> sa.ColumnElement[bool]:
    return sa.and_(
        drilldown_posts.c.channel_id == channel_id,
        drilldown_posts.c.thread_ts == thread_ts,
        drilldown_posts.c.repo == repo,
        drilldown_posts.c.number == number,
    )


def _db_id(key: str) -> int | None:
    prefix, _, rest = key.partition(":")
    if prefix != "db" or not rest.isascii() or not rest.isdigit():
        return None
    return int(rest)


def _subscription(row: Any) -> Subscription:
    return Subscription(
        id=row["id"],
        channel_id=row["channel_id"],
        cadence=row["cadence"],
        at_time=row["at_time"],
        timezone=row["timezone"],
        repos=tuple(json.loads(row["repos"])),
        quiet=bool(row["quiet"]),
        created_by=row["created_by"],
        created_at=row["created_at"],
        source="command",
    )


def _with_status(subscription: Subscription, status: DigestStatus | None) -> Subscription:
    if status is None:
        return subscription
    return replace(
        subscription,
        last_error=status.last_error,
        last_error_at=status.last_error_at,
        last_posted_at=status.last_posted_at,
        last_state=status.state,
        next_attempt_at=status.next_attempt_at,
    )
