"""Posts digest subscriptions on time: APScheduler jobs built from the store, each digest claimed first.

One job per subscription, in an in-memory job store that each process builds from the subscriptions
table (a shared APScheduler job store would be run by every scheduler at once, and its pickled job
arguments would carry whatever they reference into the database). Job arguments are subscription
keys only. A periodic job reloads the table, so a subscription added or removed by another process
takes effect within `sync_interval`, and runs `run_due`: catch-up after start-up, and a safety net
for a fire that a freshly added job could not see.

Exactly once: a digest is posted only by the owner of its claim row for (subscription, period), and
every step of the claim is a conditional UPDATE (`bot.store.claims`). The claim is held for `lease`:

- a process that dies while building the digest leaves a "claimed" claim whose lease runs out; the
  next `run_due` of any process (or of this one after a restart) takes it over and builds it again,
  while the digest is less than the grace late, and records it as skipped after that;
- a process that dies while sending leaves a "posting" claim; whoever takes it over only looks for the
  digest in the channel by its delivery id (`find_digest`): found, it is posted; not found or not
  checkable, it is "unconfirmed", shown by `subscriptions` and never sent again;
- a digest that failed before anything was sent, for a cause that may pass (GitHub down or rate
  limited), is tried again with a doubling delay (1, 2, 4 ... at most 30 minutes) while it is less
  than the grace late; other failures (not in the channel, archived) are recorded and not retried.
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

from bot.delivery.ids import Delivery, NotDelivered, new_delivery_id
from bot.delivery.schedule import DEFAULT_GRACE, Schedule, digest_period, due_fires, next_fire, previous_fire
from bot.slack import messages
from bot.store import Store, Subscription
from bot.store.claims import Claim

log = logging.getLogger(__name__)

# Builds and posts one digest, passing `delivery` on to the poster (its begin() gates the first
# message); the first message's ts, or None when nothing needed posting. Raises NotDelivered (or any
# exception: counted as failed, retried only if the post never began) when it was not posted.
PostDigest = Callable[[Subscription, datetime, Delivery], "str | None"]
# The ts of the digest posted with this delivery id at or after `since`, None if not there; raises when
# the channel cannot be looked at.
FindDigest = Callable[..., "str | None"]
Outcome = Literal["posted", "claimed elsewhere", "failed", "retrying", "unconfirmed", "gone"]

DEFAULT_SYNC_INTERVAL = timedelta(seconds=30)
DEFAULT_LEASE = timedelta(minutes=10)
RETRY_FIRST_DELAY = timedelta(minutes=1)
RETRY_MAX_DELAY = timedelta(minutes=30)
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
        find_digest: FindDigest | None = None,
        lease: timedelta = DEFAULT_LEASE,
    ) -> None:
        if grace <= timedelta(0):
            raise ValueError("the catch-up grace must be positive")
        self._store = store
        self._post_digest = post_digest
        self._find_digest = find_digest
        self._lease = lease
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
        try:
            runs.extend(self.resume_claims(now))
        except Exception:
            log.exception("looking for digests to take over failed")
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
        legacy = subscription.legacy_key
        if legacy is not None and self._store.claims.get(legacy, period.start) is not None:
            log.debug("digest %s for %s was claimed by an earlier release as %s", key, period.spec, legacy)
            return DigestRun(key, fire_time, "claimed elsewhere")
        claim = self._store.claims.claim(
            key,
            period_start=period.start,
            fire_time=fire_time,
            owner=self.instance_name,
            now=self._now(),
            lease=self._lease,
            delivery_id=new_delivery_id(),
        )
        if claim is None:
            log.debug("digest %s for %s already claimed", key, period.spec)
            return DigestRun(key, fire_time, "claimed elsewhere")
        return self._carry_out(subscription, claim, fire_time)

    def resume_claims(self, now: datetime | None = None) -> list[DigestRun]:
        """Take over the claims whose lease ran out and the failures due again (see the module docstring)."""
        now = now or self._now()
        runs: list[DigestRun] = []
        for stale in self._store.claims.due(now=now):
            subscription = self.find(stale.key)
            if subscription is None:
                continue  # removed since
            claim = self._store.claims.take_over(
                stale.key, stale.period_start, owner=self.instance_name, now=now, lease=self._lease
            )
            if claim is None:
                continue  # another process was quicker
            if stale.fire_time is None:
                # Claimed by a release that kept no fire time nor state: it may have posted or not.
                # Settled as failed, shown by `subscriptions`, never sent again.
                error = messages.digest_left_by_an_earlier_release()
                self._store.claims.failed(claim, now=now, error=error, retry_at=None)
                log.warning("digest %s for %s not posted: %s", claim.key, claim.period_start.date(), error)
                runs.append(DigestRun(claim.key, claim.period_start, "failed"))
                continue
            fire_time = stale.fire_time
            if claim.state == "claimed" and now - fire_time > self._grace:
                if stale.state == "failed" and stale.error:
                    error = messages.digest_retries_ran_out(stale.error)
                else:
                    error = messages.digest_too_late(self._grace.total_seconds() / 3600)
                self._store.claims.failed(claim, now=now, error=error, retry_at=None)
                log.warning("digest %s fired at %s not posted: %s", claim.key, fire_time.isoformat(), error)
                runs.append(DigestRun(claim.key, fire_time, "failed"))
                continue
            if claim.state == "claimed":
                log.info(
                    "digest %s fired at %s: taking it over (attempt %d, was %s by %s)",
                    claim.key, fire_time.isoformat(), claim.attempts, stale.state, stale.owner,
                )  # fmt: skip
            runs.append(self._carry_out(subscription, claim, fire_time))
        return runs

    def _carry_out(self, subscription: Subscription, claim: Claim, fire_time: datetime) -> DigestRun:
        """Build and post the digest of this owned claim, or (a "posting" one) settle whether it landed."""
        key, channel = claim.key, subscription.channel_id
        spec = digest_period(subscription, fire_time).spec
        if claim.state == "posting":
            return self._settle(subscription, claim, fire_time)
        began: list[bool] = []

        def begin() -> bool:
            began.append(self._store.claims.begin_posting(claim, now=self._now(), lease=self._lease))
            return began[-1]

        delivery = Delivery(id=claim.delivery_id or new_delivery_id(), begin=begin)
        try:
            ts = self._post_digest(subscription, fire_time, delivery)
        except NotDelivered as error:
            return self._not_delivered(subscription, claim, fire_time, error, began=bool(began))
        except Exception as error:
            log.exception("posting digest %s for %s to %s failed", key, spec, channel)
            wrapped = NotDelivered(
                str(error) or type(error).__name__, retry=not began, unconfirmed=bool(began)
            )
            return self._not_delivered(subscription, claim, fire_time, wrapped, began=bool(began))
        if began and not began[-1]:
            log.info("digest %s for %s: the claim was taken over meanwhile; not posted here", key, spec)
            return DigestRun(key, fire_time, "claimed elsewhere")
        if not self._store.claims.posted(claim, now=self._now(), ts=ts):
            log.warning("digest %s for %s posted as %s, but its claim had moved on", key, spec, ts)
        log.info("posted digest %s for %s to %s", key, spec, channel)
        return DigestRun(key, fire_time, "posted")

    def _not_delivered(
        self,
        subscription: Subscription,
        claim: Claim,
        fire_time: datetime,
        error: NotDelivered,
        *,
        began: bool,
    ) -> DigestRun:
        now = self._now()
        key, spec, channel = claim.key, digest_period(subscription, fire_time).spec, subscription.channel_id
        text = str(error) or type(error).__name__
        if error.unconfirmed:
            self._store.claims.unconfirmed(claim, now=now, error=text)
            log.warning("digest %s for %s to %s unconfirmed: %s", key, spec, channel, text)
            return DigestRun(key, fire_time, "unconfirmed")
        retry_at = self._retry_at(claim, fire_time, now) if error.retry else None
        self._store.claims.failed(claim, now=now, error=text, retry_at=retry_at)
        again = f"; trying again at {retry_at:%H:%M} UTC" if retry_at is not None else ""
        # An expected failure (not in the channel, GitHub down) is one line; Digests logged the rest.
        log.warning("digest %s for %s to %s not posted: %s%s", key, spec, channel, text, again)
        return DigestRun(key, fire_time, "retrying" if retry_at is not None else "failed")

    def _retry_at(self, claim: Claim, fire_time: datetime, now: datetime) -> datetime | None:
        """When a failed digest is tried again: a doubling delay, while it is less than the grace late."""
        delay = min(RETRY_FIRST_DELAY * 2 ** max(claim.attempts - 1, 0), RETRY_MAX_DELAY)
        at = now + delay
        return at if at - fire_time <= self._grace else None

    def _settle(self, subscription: Subscription, claim: Claim, fire_time: datetime) -> DigestRun:
        """A digest whose sender stopped mid-post: posted if the channel shows it, else unconfirmed."""
        now = self._now()
        if self._find_digest is None or claim.delivery_id is None:
            reason = "nobody could look for it in the channel"
            ts = None
        else:
            try:
                ts = self._find_digest(subscription, claim.delivery_id, since=claim.claimed_at)
                reason = "the message was not found in the channel"
            except Exception as error:
                ts = None
                reason = (
                    f"looking for it in the channel failed ({getattr(error, 'error', type(error).__name__)})"
                )
        if ts is not None:
            self._store.claims.posted(claim, now=now, ts=ts)
            log.info("digest %s whose sender stopped mid-post is in the channel as %s", claim.key, ts)
            return DigestRun(claim.key, fire_time, "posted")
        self._store.claims.unconfirmed(claim, now=now, error=messages.digest_stopped_unconfirmed(reason))
        log.warning("digest %s: its sender stopped mid-post and %s; not posted again", claim.key, reason)
        return DigestRun(claim.key, fire_time, "unconfirmed")

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
