"""A stalled database costs a command seconds and gets a clear answer, over HTTP against the real app.

PostgreSQL is reached through a TCP proxy that stops forwarding (the connection stays open, nothing
flows); SQLite's stall is another process holding the write lock. Either way the acknowledgement comes
within Slack's three seconds and the answer that follows says the database could not be reached.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.slack import messages
from bot.store import Store, normalize_database_url
from tests.db_fixtures import PgTarget
from tests.fakes.tcp_proxy import TcpProxy
from tests.slack.conftest import AppUnderTest, StartApp

SHORT = 1.0  # the store's database_timeout_seconds in these tests (5 by default)
WAIT = 15  # seconds: an upper bound the stalled command's answer must arrive within
UNAVAILABLE = messages.subscriptions_unavailable()


def _answers(app: AppUnderTest) -> list[str]:
    return [str(call.body.get("text", "")) for call in app.slack.calls_to("response_url")]


def _ask(app: AppUnderTest, text: str, name: str) -> str:
    response = app.command(text, response_url=app.slack.response_url(name))
    assert response.status_code == 200
    return str(response.json()["text"])


@pytest.fixture
def stalling_pg(pg_target: PgTarget) -> Iterator[tuple[TcpProxy, Store]]:
    parsed = make_url(normalize_database_url(pg_target.url))
    with TcpProxy(parsed.host or "127.0.0.1", parsed.port or 5432) as proxy:
        url = parsed.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        store = Store(url, schema=pg_target.schema, timeout=SHORT)
        try:
            yield proxy, store
        finally:
            proxy.resume()
            store.close()


def test_a_stalled_postgresql_gets_the_command_a_clear_answer_within_seconds(
    start_app: StartApp, stalling_pg: tuple[TcpProxy, Store]
) -> None:
    proxy, store = stalling_pg
    app = start_app(store=store)
    assert "no digest subscriptions" in _ask(app, "subscriptions", "before")  # through the proxy
    proxy.stall()
    ack = _ask(app, "subscriptions", "stalled")
    assert ack in (UNAVAILABLE, messages.subscription_pending())
    if ack != UNAVAILABLE:
        assert app.slack.wait_for(lambda slack: UNAVAILABLE in _answers(app), timeout=WAIT)
    # Once the database answers again, so does the command.
    proxy.resume()
    assert "no digest subscriptions" in _ask(app, "subscriptions", "after")


def test_a_locked_sqlite_file_gets_the_command_a_clear_answer_within_seconds(
    start_app: StartApp, tmp_path: Path
) -> None:
    path = tmp_path / "locked.db"
    store = Store(f"sqlite:///{path}")  # the default bound: 5 s, where a worker used to wait 30 s
    other = sqlite3.connect(path, isolation_level=None)
    try:
        app = start_app(store=store)
        other.execute("BEGIN EXCLUSIVE")
        ack = _ask(app, "subscribe daily 09:00 UTC", "locked")
        assert ack in (UNAVAILABLE, messages.subscription_pending())
        if ack != UNAVAILABLE:
            assert app.slack.wait_for(lambda slack: UNAVAILABLE in _answers(app), timeout=WAIT)
        other.execute("ROLLBACK")
        assert store.list_subscriptions("C1") == []  # nothing was stored
    finally:
        other.close()
        store.close()


@pytest.fixture
def stalling_pg_default(pg_target: PgTarget) -> Iterator[tuple[TcpProxy, Store]]:
    """As `stalling_pg`, with the default database_timeout_seconds (5 s)."""
    parsed = make_url(normalize_database_url(pg_target.url))
    with TcpProxy(parsed.host or "127.0.0.1", parsed.port or 5432) as proxy:
        url = parsed.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        store = Store(url, schema=pg_target.schema)
        try:
            yield proxy, store
        finally:
            proxy.resume()
            store.close()


@pytest.mark.parametrize("text", ["help", "today"])
def test_a_stalled_postgresql_never_holds_an_acknowledgement_past_slacks_deadline(
    start_app: StartApp, stalling_pg_default: tuple[TcpProxy, Store], text: str
) -> None:
    proxy, store = stalling_pg_default
    app = start_app(store=store)
    assert app.command("help").status_code == 200  # the record of seen requests works through the proxy
    proxy.stall()
    started = time.monotonic()
    response = app.command(text)
    assert response.status_code == 200 and response.json()["text"]
    # Slack gives up on an acknowledgement after 3 s; the record of seen requests may cost at most its
    # half-second deadline, not the database's timeouts.
    assert time.monotonic() - started < 2.5
