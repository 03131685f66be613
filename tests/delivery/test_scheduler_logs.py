"""What the running schedulers log: nothing at INFO for their periodic jobs (an idle bot's log stays
quiet between events), while a digest's own run is still logged."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from bot.delivery.ids import Delivery
from bot.delivery.scheduler import DigestScheduler
from bot.mirror.keeper import MirrorKeeper
from bot.mirror.sync import SyncResult
from bot.store import Store, Subscription
from tests.db_fixtures import sqlite_url_fixture  # noqa: F401 - fixture

WAIT = 20  # seconds: an upper bound for a background thread to do milliseconds of work


class CountingClock:
    """A fixed moment that counts how often it was read: the periodic check reads it once per run."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment
        self.reads = 0
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            self.reads += 1
        return self.moment


def wait_for(condition: Callable[[], bool]) -> bool:
    pause = threading.Event()
    for _ in range(WAIT * 1000):
        if condition():
            return True
        pause.wait(0.001)
    return condition()


def _apscheduler_info(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("apscheduler.executors") and record.levelno <= logging.INFO
    ]


def test_the_periodic_check_logs_nothing_at_info_but_a_digest_run_is_logged(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    store = Store(sqlite_url)
    subscription = store.add_subscription(
        channel_id="C1",
        created_by="U1",
        now=datetime(2025, 4, 14, 12, tzinfo=UTC),
        cadence="daily",
        at_time="09:00",
        timezone="UTC",
    )
    posted = threading.Event()

    def post(_: Subscription, __: datetime, ___: Delivery) -> str:
        posted.set()
        return "1700000000.000001"

    clock = CountingClock(datetime(2025, 4, 15, 8, tzinfo=UTC))  # nothing due: the checks find nothing
    scheduler = DigestScheduler(store, post, now=clock, sync_interval=timedelta(milliseconds=5))
    scheduler.start()
    try:
        assert wait_for(lambda: clock.reads >= 5)  # the periodic check has run several times
        quiet = _apscheduler_info(caplog)
        clock.moment = datetime(2025, 4, 15, 9, 0, 2, tzinfo=UTC)
        scheduler.apscheduler.modify_job(subscription.key, next_run_time=datetime.now(UTC))
        assert posted.wait(WAIT)
        assert wait_for(lambda: any("executed successfully" in m for m in _apscheduler_info(caplog)))
    finally:
        scheduler.shutdown()
        store.close()
    assert quiet == []
    digest_lines = _apscheduler_info(caplog)
    assert digest_lines and all(f"digest {subscription.key}" in line for line in digest_lines)


def test_the_mirror_keeper_logs_no_line_per_run_of_its_own_job(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    runs: list[str] = []
    keeper = MirrorKeeper(runs.append, repos=["acme/support"], interval=timedelta(milliseconds=5))
    keeper.start()
    try:
        assert wait_for(lambda: len(runs) >= 3)
    finally:
        keeper.shutdown(wait=True)
    assert _apscheduler_info(caplog) == []


def test_a_mirror_sync_that_changed_nothing_logs_nothing_at_info(caplog: pytest.LogCaptureFixture) -> None:
    results = iter(
        [
            SyncResult(repo="acme/support", kind="incremental", requests=2, not_modified=2),
            SyncResult(repo="acme/support", kind="incremental", requests=2, issues_written=1),
        ]
    )
    keeper = MirrorKeeper(lambda repo: next(results), repos=["acme/support"], interval=timedelta(minutes=5))
    caplog.set_level(logging.INFO, logger="bot.mirror.keeper")
    keeper.run_once()  # every answer a 304: a line only at DEBUG
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO] == []
    keeper.run_once()  # an issue came in: one line saying so
    (line,) = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert line.startswith("acme/support:") and "1 issue" in line
