"""A stalled or locked database costs a call seconds: every wait on it is bounded, and it recovers.

PostgreSQL is reached through a TCP proxy that can stop forwarding (tests/fakes/tcp_proxy.py): the
connection stays open and nothing flows, which only the client's own deadline can notice. SQLite's
stall is another connection holding the write lock.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from bot.store import Store, normalize_database_url
from tests.db_fixtures import PgTarget
from tests.fakes.tcp_proxy import TcpProxy

SHORT = 1.0  # the stores under test wait this long; the default is 5 s
# Our deadline on the pooled connection's ping (SHORT + 0.5 s), or libpq's on the new one after it.
STALLED = r"did not answer within 1\.5 s|connection timeout expired"


def through(proxy: TcpProxy, url: str) -> str:
    return make_url(normalize_database_url(url)).set(host="127.0.0.1", port=proxy.port).render_as_string(
        hide_password=False
    )


@pytest.fixture
def proxy(pg_target: PgTarget) -> Iterator[TcpProxy]:
    parsed = make_url(normalize_database_url(pg_target.url))
    with TcpProxy(parsed.host or "127.0.0.1", parsed.port or 5432) as running:
        yield running


def _subscribe(store: Store, channel: str = "C1") -> None:
    store.add_subscription(
        channel_id=channel, cadence="daily", at_time="09:00", timezone="UTC", created_by="U1"
    )


def test_a_stalled_postgresql_fails_a_call_within_the_timeout_and_recovers(
    pg_target: PgTarget, proxy: TcpProxy
) -> None:
    store = Store(through(proxy, pg_target.url), schema=pg_target.schema, timeout=SHORT)
    try:
        _subscribe(store)  # the pool now holds an open connection through the proxy
        proxy.stall()
        with pytest.raises(OperationalError, match=STALLED):
            store.list_subscriptions("C1")
        with pytest.raises(OperationalError):  # a new connection cannot get through either
            store.list_subscriptions("C1")
        proxy.resume()
        assert [s.channel_id for s in store.list_subscriptions("C1")] == ["C1"]
    finally:
        proxy.resume()
        store.close()


def test_postgresql_statements_and_the_pool_are_bounded_by_default(pg_target: PgTarget) -> None:
    store = pg_target.store()
    try:
        with store.engine.connect() as conn:
            assert conn.execute(sa.text("SHOW statement_timeout")).scalar() == "5s"
            # the server cancels a statement that runs longer, with an error of its own
        assert store.engine.pool.timeout() == 5
    finally:
        store.close()
    quick = Store(pg_target.url, schema=pg_target.schema, timeout=SHORT)
    try:
        with quick.engine.connect() as conn, pytest.raises(OperationalError, match="statement timeout"):
            conn.execute(sa.text("SELECT pg_sleep(3)"))
    finally:
        quick.close()


def test_a_locked_sqlite_file_fails_a_write_within_the_busy_timeout(tmp_path: Path) -> None:
    path = tmp_path / "ticket-report.db"
    store = Store(f"sqlite:///{path}", timeout=SHORT)
    try:
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 1000
        other = sqlite3.connect(path, isolation_level=None)
        try:
            other.execute("BEGIN EXCLUSIVE")
            with pytest.raises(OperationalError, match="locked"):
                _subscribe(store)
            other.execute("ROLLBACK")
        finally:
            other.close()
        _subscribe(store)
        assert len(store.list_subscriptions("C1")) == 1
    finally:
        store.close()
    default = Store(f"sqlite:///{path}")
    try:
        with default.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
    finally:
        default.close()
