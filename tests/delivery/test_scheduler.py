"""The digest scheduler against a real database: on time, once, across restarts and processes.

Time is controlled: `run_due(now)` does what the scheduler's periodic job does at `now`. The tests
that start APScheduler itself wait on events set by the fake poster, never on the clock.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from apscheduler.jobstores.memory import MemoryJobStore

from bot.delivery.digests import DigestError
from bot.delivery.ids import Delivery
from bot.delivery.schedule import digest_period, next_fire
from bot.delivery.scheduler import DigestRun, DigestScheduler, ScheduleTrigger
from bot.store import Store, Subscription
from tests.db_fixtures import (  # noqa: F401 - fixtures
    BackendUrl,
    backend_url_fixture,
    pg_target_fixture,
    sqlite_url_fixture,
    store_fixture,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
LONG_AGO = datetime(2025, 1, 1, tzinfo=UTC)
WAIT = 20  # seconds: an upper bound for a background thread to do milliseconds of work


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


class Poster:
    """A fake `post_digest` that records what it was asked to post, or fails for chosen channels."""

    def __init__(self, *, failing: set[str] | None = None) -> None:
        self.posts: list[tuple[str, datetime, str]] = []  # (channel, fire time, period spec)
        self.failing = failing if failing is not None else set()
        self.posted = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, subscription: Subscription, fire_time: datetime, delivery: Delivery) -> str | None:
        if subscription.channel_id in self.failing:
            raise DigestError("channel_not_found: invite the bot to the channel again")
        if not delivery.begin():
            return None
        with self._lock:
            spec = digest_period(subscription, fire_time).spec
            self.posts.append((subscription.channel_id, fire_time, spec))
        self.posted.set()
        return f"{len(self.posts)}.000"

    def local_times(self, zone: ZoneInfo) -> list[str]:
        return [fire.astimezone(zone).strftime("%a %Y-%m-%d %H:%M") for _, fire, _ in self.posts]


def subscribe(
    store: Store, channel: str = "C1", *, created_at: datetime = LONG_AGO, **values
) -> Subscription:
    values = {"cadence": "daily", "at_time": "09:00", "timezone": "Europe/Berlin"} | values
    return store.add_subscription(channel_id=channel, created_by="U1", now=created_at, **values)


def step(scheduler: DigestScheduler, *, start: datetime, end: datetime, every: timedelta) -> list[DigestRun]:
    """Run the scheduler's periodic check at every `every` from `start` to `end`, as its job would."""
    runs, moment = [], start
    while moment <= end:
        runs.extend(scheduler.run_due(moment))
        moment += every
    return runs


# Firing times --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "start", "local_days", "utc_hours"),
    [
        (BERLIN, utc(2025, 3, 28, 22), ["Sat 03-29", "Sun 03-30", "Mon 03-31"], [8, 7, 7]),
        (BERLIN, utc(2025, 10, 24, 22), ["Sat 10-25", "Sun 10-26", "Mon 10-27"], [7, 8, 8]),
        (NEW_YORK, utc(2025, 3, 7, 22), ["Sat 03-08", "Sun 03-09", "Mon 03-10"], [14, 13, 13]),
        (NEW_YORK, utc(2025, 10, 31, 22), ["Sat 11-01", "Sun 11-02", "Mon 11-03"], [13, 14, 14]),
    ],
)
def test_digests_post_at_0900_local_across_dst_changes(sqlite_url, zone, start, local_days, utc_hours):
    store = Store(sqlite_url)
    subscribe(store, timezone=zone.key)
    poster = Poster()
    scheduler = DigestScheduler(store, poster)
    step(
        scheduler,
        start=start,
        end=start + timedelta(days=3) - timedelta(hours=1),
        every=timedelta(minutes=10),
    )
    assert [fire.astimezone(zone).strftime("%a %m-%d") for _, fire, _ in poster.posts] == local_days
    assert {fire.astimezone(zone).strftime("%H:%M") for _, fire, _ in poster.posts} == {"09:00"}
    assert [fire.hour for _, fire, _ in poster.posts] == utc_hours


def test_a_weekdays_digest_skips_saturday_and_sunday_and_mondays_covers_the_weekend(sqlite_url):
    store = Store(sqlite_url)
    subscribe(store, cadence="weekdays")
    poster = Poster()
    scheduler = DigestScheduler(store, poster)
    step(scheduler, start=utc(2025, 4, 10, 20), end=utc(2025, 4, 16, 12), every=timedelta(minutes=30))
    assert poster.local_times(BERLIN) == [
        "Fri 2025-04-11 09:00",
        "Mon 2025-04-14 09:00",
        "Tue 2025-04-15 09:00",
        "Wed 2025-04-16 09:00",
    ]
    assert [spec for _, _, spec in poster.posts] == [
        "2025-04-10",
        "2025-04-11..2025-04-13",
        "2025-04-14",
        "2025-04-15",
    ]


def test_a_weekly_digest_posts_on_mondays_covering_the_last_week(sqlite_url):
    store = Store(sqlite_url)
    subscribe(store, cadence="weekly", timezone="America/New_York")
    poster = Poster()
    scheduler = DigestScheduler(store, poster)
    step(scheduler, start=utc(2025, 4, 9), end=utc(2025, 4, 23), every=timedelta(hours=1))
    assert poster.local_times(NEW_YORK) == ["Mon 2025-04-14 09:00", "Mon 2025-04-21 09:00"]
    assert [spec for _, _, spec in poster.posts] == ["last week", "last week"]


def test_a_subscription_made_after_todays_time_first_posts_tomorrow(sqlite_url):
    store = Store(sqlite_url)
    subscribe(store, timezone="UTC", created_at=utc(2025, 4, 14, 9, 30))
    poster = Poster()
    scheduler = DigestScheduler(store, poster)
    step(scheduler, start=utc(2025, 4, 14, 9, 31), end=utc(2025, 4, 15, 10), every=timedelta(minutes=15))
    assert poster.local_times(ZoneInfo("UTC")) == ["Tue 2025-04-15 09:00"]


# Catch-up and restarts -----------------------------------------------------------------------


def test_a_digest_missed_while_down_is_posted_once_on_start_within_the_grace(sqlite_url):
    store = Store(sqlite_url)
    subscribe(store, timezone="UTC")
    poster = Poster()
    scheduler = DigestScheduler(store, poster)
    runs = scheduler.run_due(utc(2025, 4, 14, 11))  # started two hours after the 09:00 fire
    assert [(r.fire_time, r.outcome) for r in runs] == [(utc(2025, 4, 14, 9), "posted")]
    step(scheduler, start=utc(2025, 4, 14, 11, 1), end=utc(2025, 4, 14, 23), every=timedelta(minutes=5))
    assert len(poster.posts) == 1


def test_a_digest_missed_by_more_than_the_grace_is_skipped(sqlite_url):
    store = Store(sqlite_url)
    subscribe(store, timezone="UTC")
    poster = Poster()
    assert DigestScheduler(store, poster).run_due(utc(2025, 4, 14, 15, 0, 1)) == []
    assert poster.posts == []
    longer = DigestScheduler(store, poster, grace=timedelta(hours=8))
    assert [r.outcome for r in longer.run_due(utc(2025, 4, 14, 15, 0, 1))] == ["posted"]


def test_days_of_downtime_give_one_digest_not_a_backlog(sqlite_url):
    store = Store(sqlite_url)
    for channel in ("C1", "C2", "C3"):
        subscribe(store, channel, timezone="UTC")
    poster = Poster()
    scheduler = DigestScheduler(store, poster)
    scheduler.run_due(utc(2025, 4, 14, 10))  # down since January
    assert sorted(poster.posts) == [(c, utc(2025, 4, 14, 9), "2025-04-13") for c in ("C1", "C2", "C3")]


def test_a_restart_posts_no_duplicate_and_one_catch_up(sqlite_url):
    first_store = Store(sqlite_url)
    subscribe(first_store, timezone="UTC")
    poster = Poster()
    first = DigestScheduler(first_store, poster)
    step(first, start=utc(2025, 4, 14, 8, 50), end=utc(2025, 4, 14, 9, 30), every=timedelta(minutes=1))
    assert len(poster.posts) == 1
    first_store.close()  # the process dies; the 15 April digest is due while it is down

    second_store = Store(sqlite_url)
    second = DigestScheduler(second_store, poster)
    # Restarted at 10:00 on the 15th: the 14th is posted already, the 15th is caught up, once.
    step(second, start=utc(2025, 4, 15, 10), end=utc(2025, 4, 16, 9, 5), every=timedelta(minutes=5))
    assert [(fire, spec) for _, fire, spec in poster.posts] == [
        (utc(2025, 4, 14, 9), "2025-04-13"),
        (utc(2025, 4, 15, 9), "2025-04-14"),
        (utc(2025, 4, 16, 9), "2025-04-15"),
    ]
    # A restart right after a post, inside the grace, does not post it again.
    third = DigestScheduler(Store(sqlite_url), poster)
    assert [r.outcome for r in third.run_due(utc(2025, 4, 16, 9, 10))] == ["claimed elsewhere"]
    assert len(poster.posts) == 3


# Failures ------------------------------------------------------------------------------------


def test_a_failing_channel_is_recorded_and_the_others_still_post(store):
    failing = subscribe(store, "C_GONE", timezone="UTC")
    subscribe(store, "C_OK", timezone="UTC")
    poster = Poster(failing={"C_GONE"})
    scheduler = DigestScheduler(store, poster)
    runs = scheduler.run_due(utc(2025, 4, 14, 9, 0, 30))
    assert sorted(r.outcome for r in runs) == ["failed", "posted"]
    assert [channel for channel, _, _ in poster.posts] == ["C_OK"]
    [listed] = store.list_subscriptions("C_GONE")
    assert listed.key == failing.key
    assert listed.last_error == "channel_not_found: invite the bot to the channel again"
    assert store.list_subscriptions("C_OK")[0].last_error is None

    # The failed digest is not retried (a retry could post twice); the next one clears the error.
    assert scheduler.run_due(utc(2025, 4, 14, 9, 5)) == []
    poster.failing.clear()
    scheduler.run_due(utc(2025, 4, 15, 9, 0, 30))
    [listed] = store.list_subscriptions("C_GONE")
    assert listed.last_error is None
    assert listed.last_posted_at is not None


# Changes from elsewhere ----------------------------------------------------------------------


def test_subscriptions_added_or_removed_by_another_process_take_effect_without_restart(
    backend_url: BackendUrl,
):
    ours, theirs = backend_url.store(), backend_url.store()
    try:
        kept = subscribe(theirs, "C1", timezone="UTC")
        dropped = subscribe(theirs, "C2", timezone="UTC")
        poster = Poster()
        scheduler = DigestScheduler(ours, poster)
        scheduler.run_due(utc(2025, 4, 14, 8))
        assert theirs.remove_subscription("C2", dropped.id)
        added = subscribe(theirs, "C3", timezone="UTC", created_at=utc(2025, 4, 14, 8, 30))
        runs = scheduler.run_due(utc(2025, 4, 14, 9, 0, 30))
        assert sorted(r.key for r in runs) == sorted([kept.key, added.key])
        assert sorted(channel for channel, _, _ in poster.posts) == ["C1", "C3"]
    finally:
        ours.close()
        theirs.close()


def test_a_subscription_removed_after_its_job_was_built_does_not_post(sqlite_url):
    store = Store(sqlite_url)
    gone = subscribe(store, timezone="UTC")
    store.remove_all("C1")
    poster = Poster()
    run = DigestScheduler(store, poster).run_digest(gone.key, utc(2025, 4, 14, 9))
    assert run.outcome == "gone"
    assert poster.posts == []


def test_config_subscriptions_post_once_and_are_declared_once(sqlite_url):
    store = Store(sqlite_url)
    declared = Subscription.from_config(channel_id="C_CFG", cadence="daily", at_time="08:00", timezone="UTC")
    twin = Subscription.from_config(channel_id="C_CFG", cadence="daily", at_time="8:00", timezone="utc")
    poster = Poster()
    scheduler = DigestScheduler(store, poster, config_subscriptions=[declared, twin])
    assert scheduler.subscriptions() == [declared]
    runs = scheduler.run_due(utc(2025, 4, 14, 8, 0, 30))
    assert [(r.key, r.outcome) for r in runs] == [("config:C_CFG:daily:08:00:UTC", "posted")]
    again = DigestScheduler(store, poster, config_subscriptions=[declared])
    assert [r.outcome for r in again.run_due(utc(2025, 4, 14, 8, 1))] == ["claimed elsewhere"]


def test_a_config_digest_naming_repositories_posted_by_an_earlier_release_is_not_posted_again(sqlite_url):
    store = Store(sqlite_url)
    declared = Subscription.from_config(
        channel_id="C_CFG", cadence="daily", at_time="08:00", timezone="UTC", repos=["acme/support"]
    )
    fire = utc(2025, 4, 14, 8)
    period = digest_period(declared, fire)
    # An earlier release keyed it without its repositories, and had posted today's digest.
    assert declared.legacy_key == "config:C_CFG:daily:08:00:UTC" != declared.key
    old = store.claims.claim(
        declared.legacy_key, period_start=period.start, fire_time=fire, owner="old", now=fire,
        lease=timedelta(minutes=10), delivery_id="old",
    )
    assert old is not None
    poster = Poster()
    runs = DigestScheduler(store, poster, config_subscriptions=[declared]).run_due(utc(2025, 4, 14, 8, 0, 30))
    assert [r.outcome for r in runs] == ["claimed elsewhere"] and poster.posts == []
    # The next day is the new key's own.
    runs = DigestScheduler(store, poster, config_subscriptions=[declared]).run_due(utc(2025, 4, 15, 8, 0, 30))
    assert [r.outcome for r in runs] == ["posted"] and len(poster.posts) == 1


def test_stored_subscriptions_are_not_accepted_as_config():
    with pytest.raises(ValueError, match="from_config"):
        DigestScheduler(
            store=None,  # type: ignore[arg-type]
            post_digest=Poster(),
            config_subscriptions=[
                Subscription(channel_id="C1", cadence="daily", at_time="09:00", timezone="UTC")
            ],
        )


# APScheduler wiring --------------------------------------------------------------------------


def fixed_clock(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


def test_jobs_are_built_from_the_table_in_memory_with_the_grace_and_no_secrets(sqlite_url):
    store = Store(sqlite_url)
    berlin = subscribe(store, cadence="weekdays")
    new_york = subscribe(store, "C2", cadence="weekly", timezone="America/New_York")
    scheduler = DigestScheduler(store, Poster(), now=fixed_clock(utc(2025, 4, 14, 12)))
    before = datetime.now(UTC)
    scheduler.start()
    try:
        after = datetime.now(UTC)
        apscheduler = scheduler.apscheduler
        assert apscheduler is not None
        assert isinstance(apscheduler._lookup_jobstore("default"), MemoryJobStore)
        jobs = {job.id: job for job in apscheduler.get_jobs() if job.id.startswith("db:")}
        assert set(jobs) == {berlin.key, new_york.key}
        for subscription in (berlin, new_york):
            job = jobs[subscription.key]
            assert job.args == (subscription.key,)
            assert job.kwargs == {}
            assert isinstance(job.trigger, ScheduleTrigger)
            assert job.misfire_grace_time == 6 * 3600
            assert job.coalesce is True
            assert job.max_instances == 1
            assert job.next_run_time in {next_fire(subscription, before), next_fire(subscription, after)}
        assert scheduler.next_runs() == {key: job.next_run_time for key, job in jobs.items()}
    finally:
        scheduler.shutdown()


def test_sync_adds_and_drops_jobs_for_changes_made_elsewhere(sqlite_url):
    ours, theirs = Store(sqlite_url), Store(sqlite_url)
    first = subscribe(theirs)
    scheduler = DigestScheduler(
        ours, Poster(), now=fixed_clock(utc(2025, 4, 14, 12)), sync_interval=timedelta(hours=1)
    )
    scheduler.start()
    try:
        assert set(scheduler.next_runs()) == {first.key}
        second = subscribe(theirs, "C2", created_at=utc(2025, 4, 14, 12))
        theirs.remove_all("C1")
        scheduler.sync()
        assert set(scheduler.next_runs()) == {second.key}
        sync_job = scheduler.apscheduler.get_job("ticket-report:sync")
        assert sync_job.trigger.interval == timedelta(hours=1)
    finally:
        scheduler.shutdown()


class Clock:
    """A settable clock for the scheduler's decisions (APScheduler keeps its own wall clock)."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


def wait_for(condition: Callable[[], bool]) -> bool:
    """Poll a condition that a background thread makes true within milliseconds."""
    pause = threading.Event()
    for _ in range(WAIT * 1000):
        if condition():
            return True
        pause.wait(0.001)
    return condition()


def test_a_job_fired_by_apscheduler_claims_and_posts_the_current_digest(sqlite_url):
    store = Store(sqlite_url)
    subscription = subscribe(store, timezone="UTC", created_at=utc(2025, 4, 14, 12))
    poster = Poster()
    clock = Clock(utc(2025, 4, 15, 8))  # nothing due at start-up
    scheduler = DigestScheduler(store, poster, now=clock, sync_interval=timedelta(hours=1))
    scheduler.start()
    try:
        assert wait_for(lambda: scheduler.last_check is not None)  # the start-up catch-up is done
        clock.moment = utc(2025, 4, 15, 9, 0, 2)
        scheduler.apscheduler.modify_job(subscription.key, next_run_time=datetime.now(UTC))
        assert poster.posted.wait(WAIT)
    finally:
        scheduler.shutdown()
    assert poster.posts == [("C1", utc(2025, 4, 15, 9), "2025-04-14")]
    assert scheduler.last_check == utc(2025, 4, 15, 8)  # posted by the job, not by a periodic check
    assert store.list_subscriptions()[0].last_posted_at is not None


def test_starting_the_scheduler_catches_up_a_missed_digest_in_the_background(sqlite_url):
    store = Store(sqlite_url)
    subscribe(store, timezone="UTC")
    poster = Poster()
    scheduler = DigestScheduler(store, poster, now=fixed_clock(utc(2025, 4, 14, 11)))
    scheduler.start()
    try:
        assert poster.posted.wait(WAIT)
    finally:
        scheduler.shutdown()
    assert poster.posts == [("C1", utc(2025, 4, 14, 9), "2025-04-13")]


# Two processes -------------------------------------------------------------------------------

RACE_START = utc(2025, 4, 13)
RACE_END = utc(2025, 4, 17)
RACE_STEP = timedelta(minutes=20)


def _race_moments() -> list[datetime]:
    moments, moment = [], RACE_START
    while moment <= RACE_END:
        moments.append(moment)
        moment += RACE_STEP
    return moments


def _race_worker(target: BackendUrl, out_path: str, name: str, barrier, results) -> None:
    """One scheduler process: post by appending a line to a shared file, in lock-step with the other."""
    store = target.store()

    def post(subscription: Subscription, fire_time: datetime, delivery: Delivery) -> None:
        if not delivery.begin():
            return
        line = f"{subscription.key}|{fire_time.isoformat()}|{name}\n".encode()
        handle = os.open(out_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            os.write(handle, line)  # one small O_APPEND write: lines from two processes never mix
        finally:
            os.close(handle)

    scheduler = DigestScheduler(store, post, instance_name=name)
    seen: list[tuple[str, str, str]] = []
    for moment in _race_moments():
        barrier.wait(timeout=120)  # both processes check the same moment at the same time
        seen.extend((run.key, run.fire_time.isoformat(), run.outcome) for run in scheduler.run_due(moment))
    store.close()
    results.put((name, seen))


def test_two_scheduler_processes_post_each_digest_exactly_once(backend_url: BackendUrl, tmp_path: Path):
    setup = backend_url.store()
    subscriptions = [
        subscribe(setup, f"C{n}", cadence=cadence, at_time=at, timezone=zone)
        for n, (cadence, at, zone) in enumerate(
            (cadence, at, zone)
            for cadence in ("daily", "weekdays")
            for at in ("09:00", "09:30")
            for zone in ("UTC", "Europe/Berlin", "America/New_York")
        )
    ]
    setup.close()
    expected = set()
    for subscription in subscriptions:
        fire = next_fire(subscription, RACE_START)
        while fire <= RACE_END:
            expected.add((subscription.key, fire.isoformat()))
            fire = next_fire(subscription, fire)
    assert len(expected) == 6 * 4 + 6 * 3  # daily: Sun to Wed; weekdays: Mon to Wed

    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    results = context.Queue()
    out_path = str(tmp_path / "posts.log")
    workers = [
        context.Process(target=_race_worker, args=(backend_url, out_path, name, barrier, results))
        for name in ("proc-a", "proc-b")
    ]
    for worker in workers:
        worker.start()
    reports = dict(results.get(timeout=300) for _ in workers)
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0

    lines = Path(out_path).read_text().splitlines()
    posted = Counter(tuple(line.split("|")[:2]) for line in lines)
    assert set(posted) == expected
    assert set(posted.values()) == {1}, [key for key, count in posted.items() if count > 1]
    # Both processes tried every digest, so each one really was contested.
    for name, seen in reports.items():
        assert {(key, fire) for key, fire, _ in seen} == expected, name
        assert all(outcome in ("posted", "claimed elsewhere") for _, _, outcome in seen), name
        assert len(seen) == len(expected), name


class PausingStore(Store):
    """A real store whose `pause_at`-th subscription listing waits until the test lets it go on."""

    def __init__(self, url: str, *, pause_at: int) -> None:
        super().__init__(url)
        self.calls = 0
        self.pause_at = pause_at
        self.entered = threading.Event()
        self.release = threading.Event()

    def list_subscriptions(self, channel_id=None, *, config=()):
        self.calls += 1
        if self.calls == self.pause_at:
            self.entered.set()
            self.release.wait(WAIT)
        return super().list_subscriptions(channel_id, config=config)


def test_shutdown_while_a_sync_is_about_to_drop_a_job_does_not_hang(sqlite_url):
    """APScheduler 3 holds its job store lock while shutdown waits for running jobs."""
    # Listing 1 is start()'s own sync (it builds the job); listing 2 is the start-up sync job's.
    store = PausingStore(sqlite_url, pause_at=2)
    subscribe(store, timezone="UTC", created_at=utc(2025, 4, 14, 12))
    scheduler = DigestScheduler(
        store, Poster(), now=fixed_clock(utc(2025, 4, 14, 12)), sync_interval=timedelta(hours=1)
    )
    scheduler.start()
    apscheduler = scheduler.apscheduler
    assert store.entered.wait(WAIT)
    store.remove_all("C1")  # so the paused sync will drop the job
    stopping = threading.Thread(target=scheduler.shutdown, daemon=True)
    stopping.start()
    # Let the sync go on only once shutdown holds APScheduler's job store lock.
    while apscheduler._jobstores_lock.acquire(blocking=False):
        apscheduler._jobstores_lock.release()
        if not stopping.is_alive():
            break
        threading.Event().wait(0.001)
    store.release.set()
    stopping.join(WAIT)
    assert not stopping.is_alive()
