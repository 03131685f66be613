"""Keeps the ticket mirror current in a running bot: every mirrored repository synced every `sync_minutes`.

An APScheduler job of its own (an in-memory job store: never shared between schedulers), one run at a
time, started at once so a repository never synced gets its first sync (which pages through its whole
history and resumes after a restart) without anyone running `python -m bot sync`. Any number of
processes may run a keeper: the mirror's sync lease lets one of them sync a repository at a time, and the
others skip it. A failure is logged and recorded on the repository (`mirror_repos.last_error`) and the
next run tries again; it never stops the keeper.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.delivery.scheduler import PERIODIC_EXECUTOR, periodic_executor
from bot.errors import TicketReportError

log = logging.getLogger(__name__)

_JOB_ID = "ticket-report:mirror-sync"


class MirrorKeeper:
    """Runs `sync(repo)` for each of `repos` every `interval` (see the module docstring)."""

    def __init__(
        self,
        sync: Callable[[str], Any],
        *,
        repos: Sequence[str],
        interval: timedelta,
        stop: Callable[[], None] | None = None,
    ) -> None:
        """stop: makes a sync in progress return early (MirrorSync.stop), so shutdown does not wait for a
        long first sync; it resumes at the next start."""
        if interval <= timedelta(0):
            raise ValueError("the sync interval must be positive")
        self._sync = sync
        self._repos = tuple(repos)
        self._interval = interval
        self._stop = stop
        self._scheduler: BackgroundScheduler | None = None

    def run_once(self) -> list[Any]:
        """Sync every repository once, in order; a failing one does not stop the others."""
        results = []
        for repo in self._repos:
            try:
                result = self._sync(repo)
            except TicketReportError as exc:
                log.warning("mirror sync of %s failed: %s", repo, exc.user_message)
                continue
            except Exception:  # a bug or the database: logged, and the next run tries again
                log.exception("mirror sync of %s failed", repo)
                continue
            summary = getattr(result, "summary", None)
            # A sync that changed nothing runs every few minutes: its line is for debugging only.
            level = logging.INFO if _changed(result) else logging.DEBUG
            log.log(level, "%s", summary() if callable(summary) else f"{repo}: synced")
            results.append(result)
        return results

    def start(self) -> None:
        if self._scheduler is not None:
            raise RuntimeError("the mirror keeper is already running")
        if not self._repos:
            log.info("ticket mirror: no repositories configured; nothing to sync")
            return
        scheduler = BackgroundScheduler(
            jobstores={"default": MemoryJobStore()},
            executors={PERIODIC_EXECUTOR: periodic_executor()},  # no INFO line from APScheduler per run
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=UTC,
        )
        scheduler.add_job(
            self.run_once,
            trigger=IntervalTrigger(seconds=self._interval.total_seconds(), timezone=UTC),
            id=_JOB_ID,
            name="sync the ticket mirror",
            executor=PERIODIC_EXECUTOR,
            next_run_time=datetime.now(UTC),
        )
        scheduler.start()
        self._scheduler = scheduler
        log.info("ticket mirror: syncing %s every %s", ", ".join(self._repos), _minutes(self._interval))

    def shutdown(self, *, wait: bool = True) -> None:
        """Stop syncing: the sync in progress stops before its next request; with `wait`, return once it
        has."""
        scheduler, self._scheduler = self._scheduler, None
        if self._stop is not None:
            self._stop()
        if scheduler is not None:
            scheduler.shutdown(wait=wait)

    @property
    def running(self) -> bool:
        return self._scheduler is not None


def _minutes(interval: timedelta) -> str:
    minutes = interval.total_seconds() / 60
    return f"{minutes:g} minute{'s' if minutes != 1 else ''}"


def _changed(result: Any) -> bool:
    """Whether a sync wrote, deleted or first-synced anything (or was skipped for another process)."""
    if getattr(result, "kind", None) != "incremental":
        return True
    written = ("issues_written", "comments_written", "deleted")
    return any(getattr(result, name, 0) for name in written)
