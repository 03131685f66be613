"""Posts digest subscriptions on time: APScheduler jobs built from the store, each digest claimed first.

One job per subscription, in an in-memory job store that each process builds from the subscriptions
table (a shared APScheduler job store would be run by every scheduler at once, and its pickled job
arguments would carry whatever they reference into the database). Job arguments are subscription
keys only. A periodic job reloads the table, so a subscription added or removed by another process
takes effect within `sync_interval`, and runs `run_due`: catch-up after start-up, and a safety net
for a fire that a freshly added job could not see.

Exactly once: `run_digest` posts only after its claim row for (subscription, period) was inserted;
every other process, and every later retry, finds the claim taken. A digest whose post failed is
not retried (the failure is recorded and listed with the subscription): a retry could post twice.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.schedule import DEFAULT_GRACE, Schedule, digest_period, due_fires, next_fire, previous_fire
from bot.store import Store, Subscription

log = logging.getLogger(__name__)

PostDigest = Callable[[Subscription, datetime], None]
Outcome = Literal["posted", "claimed elsewhere", "failed", "gone"]

DEFAULT_SYNC_INTERVAL = timedelta(seconds=30)
_SYNC_JOB_ID = "ticket-report:sync"
# APScheduler logs every run of a job at INFO ("Running job ...", "... executed successfully") on the
# logger apscheduler.executors.<executor alias>. Periodic jobs (the 30-second check here, the mirror's
# sync) run on an executor of this alias, whose logger passes only a missed run or a job's exception:
# an idle bot logs nothing every 30 seconds, while a digest's run is still logged.
PERIODIC_EXECUTOR = "periodic"


def periodic_executor() -> ThreadPoolExecutor:
    """The one-thread executor for PERIODIC_EXECUTOR, its per-run INFO lines silenced."""
    logging.getLogger(f"apscheduler.executors.{PERIODIC_EXECUTOR}").setLevel(logging.WARNING)
    return ThreadPoolExecutor(1)


@dataclass(frozen=True)
class DigestRun:
    """What one attempt to post a digest did (returned for logs and tests)."""

    key: str
    fire_time: datetime
    outcome: Outcome


class ScheduleTrigger(BaseTrigger):
    """APScheduler trigger firing at `schedule.next_fire`: the same instants `run_due` computes.

    Used instead of CronTrigger so that the jobs and the catch-up agree on every DST edge case.
    """

    __slots__ = ("schedule",)

    def __init__(self, schedule: Schedule) -> None:
        self.schedule = schedule

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime:
        return next_fire(self.schedule, previous_fire_time or now)

    def __str__(self) -> str:
        s = self.schedule
        return f"digest[{s.cadence} {s.at_time} {s.timezone}]"

    def __repr__(self) -> str:
        return f"<ScheduleTrigger {self.schedule!r}>"


def _utc_now() -> datetime:
    return datetime.now(UTC)


def default_instance_name() -> str:
    """Who claimed a digest, for people reading the claims table: host, pid and a random tag."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class DigestScheduler:
    """Fires every subscription's digests, in this process, claiming each in the store first.

    `post_digest(subscription, fire_time)` builds and posts one digest (the service does; the
    period is `schedule.digest_period(subscription, fire_time)`); it raises when posting failed, and
    the exception's text is what `/ticket-report subscriptions` shows, so it should be readable.
    `now` is the clock for every decision except APScheduler's own wake-ups; tests pass a fake one
    and call `run_due(now)` instead of waiting.
    """

    def __init__(
        self,
        store: Store,
        post_digest: PostDigest,
        *,
        now: Callable[[], datetime] = _utc_now,
        grace: timedelta = DEFAULT_GRACE,
        config_subscriptions: Iterable[Subscription] = (),
        sync_interval: timedelta = DEFAULT_SYNC_INTERVAL,
        max_workers: int = 4,
        instance_name: str | None = None,
    ) -> None:
        if grace <= timedelta(0):
            raise ValueError("the catch-up grace must be positive")
        self._store = store
        self._post_digest = post_digest
        self._now = now
        self._grace = grace
        self._sync_interval = sync_interval
        self._max_workers = max_workers
        self.instance_name = instance_name or default_instance_name()
        self._config: dict[str, Subscription] = {}
        for subscription in config_subscriptions:
            if subscription.source != "config":
                raise ValueError("config_subscriptions must come from Subscription.from_config")
            if subscription.key in self._config:
                log.warning("config declares the digest %s twice; keeping the first", subscription.key)
                continue
            self._config[subscription.key] = subscription
        self._scheduler: BackgroundScheduler | None = None
        self._job_schedules: dict[str, Schedule] = {}
        self._checked_until: datetime | None = None
        self._lock = threading.Lock()  # guards _checked_until
        # Guards _scheduler and _job_schedules. APScheduler 3's shutdown(wait=True) holds its job
        # store lock while it waits for running jobs, so a running sync that then called remove_job
        # would wait forever: shutdown takes this lock first and sync touches no job after it.
        self._jobs_lock = threading.Lock()

    # Deterministic core: what the jobs call, callable directly with a chosen `now` --------------

    def subscriptions(self) -> list[Subscription]:
        """Every subscription this scheduler serves: the config's, then the stored ones."""
        return list(self._config.values()) + self._store.list_subscriptions()

    def find(self, key: str) -> Subscription | None:
        return self._config.get(key) or self._store.get_subscription(key)

    def run_due(self, now: datetime | None = None) -> list[DigestRun]:
        """Post every digest due since the last check (on the first call: since each was created).

        At most one per subscription, and only while it is less than the grace late, so after an
        outage each channel gets its latest missed digest once, never a backlog.
        """
        now = now or self._now()
        with self._lock:
            last_check = self._checked_until
        runs: list[DigestRun] = []
        complete = True
        for subscription in self.subscriptions():
            since = (
                subscription.created_at if last_check is None else max(subscription.created_at, last_check)
            )
            for fire_time in due_fires(subscription, last_check=since, now=now, grace=self._grace):
                try:
                    runs.append(self.run_digest(subscription.key, fire_time))
                except Exception:
                    # The store failed (the post itself is handled in run_digest). Look again next
                    # time: the claim makes a second attempt safe.
                    log.exception("digest %s could not be claimed or recorded", subscription.key)
                    complete = False
        if complete:
            with self._lock:
                if self._checked_until is None or now > self._checked_until:
                    self._checked_until = now
        return runs

    def run_digest(self, key: str, fire_time: datetime) -> DigestRun:
        """Claim, post, record: the only path by which a digest is posted."""
        subscription = self.find(key)
        if subscription is None:
            return DigestRun(key, fire_time, "gone")
        period = digest_period(subscription, fire_time)
        if not self._store.claim_digest(key, period_start=period.start, by=self.instance_name):
            log.debug("digest %s for %s already claimed", key, period.spec)
            return DigestRun(key, fire_time, "claimed elsewhere")
        try:
            self._post_digest(subscription, fire_time)
        except Exception as error:
            log.exception("posting digest %s for %s to %s failed", key, period.spec, subscription.channel_id)
            self._store.record_failure(
                key, period_start=period.start, error=str(error) or type(error).__name__
            )
            return DigestRun(key, fire_time, "failed")
        self._store.mark_posted(key, period.start)
        log.info("posted digest %s for %s to %s", key, period.spec, subscription.channel_id)
        return DigestRun(key, fire_time, "posted")

    # APScheduler --------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the background scheduler: jobs for every subscription now, catch-up right after."""
        if self._scheduler is not None:
            raise RuntimeError("the digest scheduler is already running")
        grace_seconds = max(1, int(self._grace.total_seconds()))
        scheduler = BackgroundScheduler(
            jobstores={"default": MemoryJobStore()},
            executors={
                "default": ThreadPoolExecutor(self._max_workers),
                PERIODIC_EXECUTOR: periodic_executor(),
            },
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": grace_seconds},
            timezone=UTC,
        )
        scheduler.start()
        with self._jobs_lock:
            self._scheduler = scheduler
        self.sync()
        scheduler.add_job(
            self._sync_and_run_due,
            trigger=IntervalTrigger(seconds=max(self._sync_interval.total_seconds(), 0.01), timezone=UTC),
            id=_SYNC_JOB_ID,
            name="reload subscriptions and post due digests",
            executor=PERIODIC_EXECUTOR,
            next_run_time=datetime.now(UTC),  # the start-up catch-up, in the pool, not in start()
            misfire_grace_time=None,
        )

    def shutdown(self, *, wait: bool = True) -> None:
        """Stop firing; with `wait`, return once digests being posted are done."""
        with self._jobs_lock:
            scheduler, self._scheduler = self._scheduler, None
            self._job_schedules = {}
        if scheduler is not None:
            scheduler.shutdown(wait=wait)

    @property
    def last_check(self) -> datetime | None:
        """The `now` of the latest `run_due` that completed; None before the start-up catch-up ran."""
        with self._lock:
            return self._checked_until

    @property
    def running(self) -> bool:
        return self._scheduler is not None

    @property
    def apscheduler(self) -> BackgroundScheduler | None:
        """The underlying APScheduler while running (for inspection; jobs are managed by `sync`)."""
        return self._scheduler

    def sync(self) -> None:
        """Make the jobs match the subscriptions table and the config: add, drop, keep unchanged ones."""
        if self._scheduler is None:
            return
        try:
            wanted = {s.key: s.schedule for s in self.subscriptions()}
        except Exception:
            log.exception("could not read subscriptions; keeping the current jobs")
            return
        with self._jobs_lock:
            scheduler = self._scheduler
            if scheduler is None:  # shut down meanwhile
                return
            for key in set(self._job_schedules) - set(wanted):
                scheduler.remove_job(key)
            for key, schedule in wanted.items():
                if self._job_schedules.get(key) == schedule:
                    continue
                scheduler.add_job(
                    self._fire,
                    trigger=ScheduleTrigger(schedule),
                    args=[key],
                    id=key,
                    name=f"digest {key}",
                    replace_existing=True,
                )
            self._job_schedules = wanted

    def next_runs(self) -> dict[str, datetime]:
        """When each subscription's job will next fire (jobs of a running scheduler only)."""
        if self._scheduler is None:
            return {}
        return {
            job.id: job.next_run_time
            for job in self._scheduler.get_jobs()
            if job.id != _SYNC_JOB_ID and job.next_run_time is not None
        }

    def _fire(self, key: str) -> None:
        # APScheduler does not pass the scheduled time; the job runs at it or within the grace, so the
        # latest fire at or before now is the one this run is for.
        subscription = self.find(key)
        if subscription is None:
            return
        now = self._now()
        fire_time = previous_fire(subscription, now)
        if now - fire_time > self._grace:
            log.warning("digest %s fired %s late; skipped", key, now - fire_time)
            return
        self.run_digest(key, fire_time)

    def _sync_and_run_due(self) -> None:
        self.sync()
        try:
            self.run_due()
        except Exception:
            log.exception("checking for due digests failed; trying again in %s", self._sync_interval)
