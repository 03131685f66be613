"""Reports from the ticket mirror: the `TicketSource` the service uses when the bot has a database.

For each repository a report covers:
* the mirror is **fresh** (synced within `sync_minutes`, or fed by webhooks with no gap since the last
  sync): the report reads it, and asks GitHub nothing;
* the mirror holds the repository but is older: it is synced first (an incremental sync: a couple of
  requests, 304s when nothing changed), then read. When that sync fails (GitHub down, rate limited) or
  another process is syncing, the report is built from the mirror as it is and says how old it is;
* the repository was never synced (or its first sync has not finished): it is fetched from GitHub as
  without a mirror.
Either way the data carries `as_of`: when the mirror was last known current (None for a live fetch).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection
from dataclasses import replace
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, Protocol

from bot.errors import TicketNotFound, UpstreamError
from bot.report.models import Comment, Ticket, TicketData
from bot.store.mirror import Mirror, RepoState

log = logging.getLogger(__name__)

HISTORY_WEEKS = 12
SYNC_BACKOFF = timedelta(minutes=1)  # after a failed sync, reports use the mirror as it is this long


class LiveSource(Protocol):
    """What the mirror falls back to: the GitHub API (bot.sources.github.GitHubSource)."""

    def fetch(
        self, repo: str, *, window_start: datetime, window_end: datetime, now: datetime
    ) -> TicketData: ...

    def fetch_ticket(self, repo: str, number: int) -> tuple[Ticket, tuple[Comment, ...]]: ...


class Syncer(Protocol):
    """Brings one repository's mirror up to date (bot.mirror.sync.MirrorSync); a report never waits for
    the deletion check (`reconcile=False`): that is the keeper's and `python -m bot sync`'s work."""

    def sync(self, repo: str, *, reconcile: bool = True) -> Any: ...


def _utc_now() -> datetime:
    return datetime.now(UTC)


class MirrorSource:
    """A TicketSource over the mirror (see the module docstring). Safe to share between threads."""

    def __init__(
        self,
        *,
        mirror: Mirror,
        live: LiveSource,
        syncer: Syncer | None,
        sync_minutes: float,
        team_logins: Collection[str] = (),
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._mirror = mirror
        self._live = live
        self._syncer = syncer
        self._sync_minutes = sync_minutes
        self._team_logins = frozenset(login.lower() for login in team_logins)
        self._clock = clock
        self._locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()
        self._history: dict[tuple[Any, ...], Any] = {}
        self._failed: dict[str, datetime] = {}  # repository -> when its last sync from a report failed

    @property
    def request_count(self) -> int:
        return int(getattr(self._live, "request_count", 0))

    def close(self) -> None:
        close = getattr(self._live, "close", None)
        if callable(close):
            close()

    # --- reports ------------------------------------------------------------------------------------

    def reads_mirror(self, repo: str) -> bool:
        """Whether a report of `repo` reads the mirror (the service then keeps no copy of it: reading is
        cheap, and a copy would hide what webhooks brought in since) or fetches it live."""
        state = self._mirror.state(repo)
        return state is not None and state.ready

    def fetch(self, repo: str, *, window_start: datetime, window_end: datetime, now: datetime) -> TicketData:
        state = self._current(repo)
        if state is None:
            return self._live.fetch(repo, window_start=window_start, window_end=window_end, now=now)
        data = self._mirror.window(repo, window_start=window_start, window_end=window_end)
        return replace(data, as_of=state.as_of(now=self._clock()))

    def fetch_ticket(self, repo: str, number: int) -> tuple[Ticket, tuple[Comment, ...]]:
        """One ticket for a drill-down: from the mirror when it is current and holds it, else GitHub."""
        state = self._current(repo)
        if state is not None:
            found = self._mirror.ticket(repo, number)
            if found is not None:
                return found
            if self._mirror.is_pull_request(repo, number):
                raise TicketNotFound(f"{repo}#{number} is a pull request; ticket reports cover issues only")
        return self._live.fetch_ticket(repo, number)

    def history(self, repo: str, *, now: datetime, tz: tzinfo) -> Any:
        """The repository's last 12 weeks (bot.report.history.RepoHistory), or None when the mirror
        does not hold its history."""
        from bot.report.history import RepoHistory, weekly_history

        state = self._mirror.state(repo)
        if state is None or not state.ready:
            return None
        # Reports of the same minute share it (the current week ends at the report's now).
        key = (repo.lower(), state.synced_at, state.webhook_at, str(tz), now.replace(second=0, microsecond=0))
        cached = self._history.get(key)
        if cached is not None:
            return cached
        since = now - timedelta(weeks=HISTORY_WEEKS + 1)
        rows = self._mirror.issue_times(repo, since=since, team_logins=self._team_logins)
        result = RepoHistory(repo=repo, weeks=weekly_history(rows, now=now, tz=tz, weeks=HISTORY_WEEKS))
        if len(self._history) > 64:
            self._history.clear()
        self._history[key] = result
        return result

    # --- freshness ----------------------------------------------------------------------------------

    def _current(self, repo: str) -> RepoState | None:
        """The repository's mirror state once it is as current as it can be made; None when the
        mirror does not hold the repository (the caller asks GitHub instead)."""
        state = self._mirror.state(repo)
        if state is None or not state.ready:
            return None
        if state.fresh(now=self._clock(), sync_minutes=self._sync_minutes) or self._syncer is None:
            return state
        with self._lock(repo):  # reports arriving together wait for one sync instead of each sending one
            state = self._mirror.state(repo) or state
            now = self._clock()
            if state.fresh(now=now, sync_minutes=self._sync_minutes):
                return state
            failed = self._failed.get(repo.lower())
            if failed is not None and now - failed < SYNC_BACKOFF:  # reports waiting together try once
                return state
            try:
                self._syncer.sync(repo, reconcile=False)
            except UpstreamError as exc:
                self._failed[repo.lower()] = self._clock()
                log.warning("mirror of %s not synced (%s); reporting from its last sync", repo, exc)
            else:
                self._failed.pop(repo.lower(), None)
            return self._mirror.state(repo) or state

    def _lock(self, repo: str) -> threading.Lock:
        with self._locks_lock:
            return self._locks.setdefault(repo.lower(), threading.Lock())
