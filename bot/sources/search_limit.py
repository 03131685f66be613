"""GitHub's search budget, shared by every search this process sends with one token.

GitHub lets a token send 30 search requests a minute (10 without a token) and answers the next ones
with 403 or 429 until the minute is over. Reports of past periods search (see bot/sources/github.py),
so a burst of them -- 24 people asking for 24 different days -- would use the budget up within
seconds. A `SearchLimiter` spaces the searches instead: at most `per_window` requests in any
`window` seconds, counted from when each request's answer came back, so GitHub, which counts them on
arrival, never sees more. Waiting requests go in turn (first come, first served).

When GitHub answers a search rate limit anyway (another process or tool uses the same token), the
limiter is told when to ask again (`hold_until`) and every search waits for that moment. Nobody waits
longer than `max_wait` (a little over a minute: one full window, plus the requests in flight when it
began): a request that cannot start by then fails with `RateLimited`, which tells the user when the
limit resets.

`shared_limiter(base_url, token, per_minute)` gives the one limiter of a GitHub API and token in this
process; it lives while any source uses it.
"""

from __future__ import annotations

import hashlib
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.errors import RateLimited

SEARCHES_PER_MINUTE = 30  # GitHub's search limit for a token
ANONYMOUS_SEARCHES_PER_MINUTE = 10  # and for an anonymous caller
MAX_WAIT_SECONDS = 75.0
MIN_HOLD_SECONDS = 1.0  # GitHub's reset is to the second: asking again sooner would meet the limit again


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SearchLimiter:
    """Thread-safe: `acquire` before each search request, `release` when its answer is in."""

    def __init__(
        self,
        *,
        per_window: int = SEARCHES_PER_MINUTE,
        window: float = 60.0,
        max_wait: float = MAX_WAIT_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        if per_window < 1 or window <= 0 or max_wait < 0:
            raise ValueError("a search limiter needs per_window >= 1, window > 0 and max_wait >= 0")
        self.per_window = per_window
        self.window = window
        self.max_wait = max_wait
        self._monotonic = monotonic
        self._clock = clock
        self._changed = threading.Condition()
        self._answered: deque[float] = deque()  # when each request of the last window was answered
        self._in_flight = 0
        self._queue: deque[object] = deque()  # waiting requests, first come first served
        self._hold = float("-inf")  # GitHub asked us not to search before this moment (monotonic)
        self._hold_reset: datetime | None = None  # ... which is this moment in UTC

    def deadline(self) -> float:
        """The latest moment a request asking now may start (for `acquire`)."""
        return self._monotonic() + self.max_wait

    def acquire(self, *, deadline: float) -> None:
        """Wait for this request's turn and a free slot; RateLimited when that cannot come by `deadline`."""
        turn = object()
        with self._changed:
            self._queue.append(turn)
            try:
                while True:
                    now = self._monotonic()
                    free = self._free_at(now)
                    first = self._queue[0] is turn
                    if first and free is not None and free <= now:
                        self._queue.popleft()
                        self._in_flight += 1
                        self._changed.notify_all()  # the next in line may find a slot too
                        return
                    if self._hold > deadline or (first and free is not None and free > deadline):
                        raise self._limited(max(self._hold, free if free is not None else now), now)
                    if now >= deadline:
                        raise self._limited(free if free is not None else now + self.window, now)
                    wake = min(free, deadline) if first and free is not None else deadline
                    self._changed.wait(max(wake - now, 0.001))
            except BaseException:
                self._queue.remove(turn)
                self._changed.notify_all()
                raise

    def release(self) -> None:
        """The request's answer is in: its slot counts for `window` seconds from now."""
        with self._changed:
            self._in_flight -= 1
            self._answered.append(self._monotonic())
            self._changed.notify_all()

    def hold_until(self, reset_at: datetime) -> None:
        """GitHub answered a rate limit that resets at `reset_at`: no search starts before then."""
        now_utc = self._clock()
        reset_at = max(reset_at, now_utc + timedelta(seconds=MIN_HOLD_SECONDS))
        with self._changed:
            hold = self._monotonic() + (reset_at - now_utc).total_seconds()
            if hold > self._hold:
                self._hold, self._hold_reset = hold, reset_at
            self._changed.notify_all()

    def _free_at(self, now: float) -> float | None:
        """When a slot is free (at the earliest `now`); None when every slot is in flight."""
        while self._answered and self._answered[0] <= now - self.window:
            self._answered.popleft()
        if len(self._answered) + self._in_flight < self.per_window:
            free = now
        elif self._answered:
            free = self._answered[0] + self.window
        else:
            return None
        return max(free, self._hold)

    def _limited(self, moment: float, now: float) -> RateLimited:
        if moment <= self._hold and self._hold_reset is not None:
            return RateLimited(self._hold_reset)
        return RateLimited(self._clock() + timedelta(seconds=max(moment - now, 0)))


_shared: weakref.WeakValueDictionary[tuple[str, str, int], SearchLimiter] = weakref.WeakValueDictionary()
_shared_lock = threading.Lock()


def shared_limiter(base_url: str, token: str | None, per_minute: int | None = None) -> SearchLimiter:
    """This process's limiter for searches sent to `base_url` with `token` (GitHub counts per token).

    `per_minute` None: GitHub's limit, 30 a minute with a token and 10 without."""
    if per_minute is None:
        per_minute = SEARCHES_PER_MINUTE if token else ANONYMOUS_SEARCHES_PER_MINUTE
    who = hashlib.sha256(token.encode()).hexdigest() if token else ""
    key = (base_url.rstrip("/"), who, per_minute)
    with _shared_lock:
        limiter = _shared.get(key)
        if limiter is None:
            limiter = _shared[key] = SearchLimiter(per_window=per_minute)
        return limiter
