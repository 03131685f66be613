"""A small thread-safe TTL cache whose misses are loaded once, however many threads ask at the same time.

The bot caches what costs a network call and changes rarely: each Slack user's timezone, the members
of the user groups that may change subscriptions, and the report data fetched from GitHub. All three
want the same things, which `LoadingCache` gives them:

* `get_or_load(key, load)`: the cached value while it is fresh; else `load()` runs once, and threads
  asking for the same key meanwhile wait for it and share what it stored (single-flight), instead of
  each sending its own request.
* A loader that fails but has a value to go on with (the default zone, no members) returns it wrapped
  in `Fallback`: that value is used and remembered for the shorter `failure_ttl`, so an outage costs
  one call a while rather than one per request, and the real answer is asked for again soon.
  A loader that raises stores nothing: the next thread waiting for that key loads it in turn.
* `peek(key)`: the fresh value or None, never loading and never waiting for a load under way -- the
  acknowledgement of a slash command must answer Slack within 3 seconds.

Entries live in a `cachetools.TLRUCache` (expiry per entry, least recently used dropped past
`maxsize`); `timer` is injectable so tests move time by hand.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

from cachetools import TLRUCache

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass(frozen=True)
class Fallback(Generic[V]):
    """What a loader returns when the lookup failed: a value to use, kept only for `failure_ttl`."""

    value: V


@dataclass(frozen=True)
class _Entry(Generic[V]):
    value: V
    failed: bool


class LoadingCache(Generic[K, V]):
    """Values per key for `ttl` seconds (fallbacks for `failure_ttl`), each miss loaded once."""

    def __init__(
        self,
        *,
        ttl: float,
        failure_ttl: float | None = None,
        maxsize: int = 10_000,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl
        self._failure_ttl = ttl if failure_ttl is None else failure_ttl
        self._entries: TLRUCache[K, _Entry[V]] = TLRUCache(maxsize=maxsize, ttu=self._expires, timer=timer)
        # One lock for the entries and the keys being loaded; it is never held while a loader runs.
        self._lock = threading.Lock()
        self._loaded = threading.Condition(self._lock)
        self._loading: set[K] = set()

    def _expires(self, _key: K, entry: _Entry[V], now: float) -> float:
        return now + (self._failure_ttl if entry.failed else self._ttl)

    def peek(self, key: K) -> V | None:
        """The fresh cached value, or None. Never loads, and never waits for a load under way."""
        with self._lock:
            entry = self._entries.get(key)
        return None if entry is None else entry.value

    def get_or_load(self, key: K, load: Callable[[], V | Fallback[V]]) -> V:
        """The fresh cached value; else the result of `load()`, run by one thread at a time per key."""
        with self._loaded:
            while key in self._loading:
                self._loaded.wait()
            entry = self._entries.get(key)
            if entry is not None:
                return entry.value
            self._loading.add(key)
        try:
            result = load()
        except BaseException:
            with self._loaded:  # nothing stored: the next thread waiting for this key loads it
                self._loading.discard(key)
                self._loaded.notify_all()
            raise
        entry = _Entry(result.value, True) if isinstance(result, Fallback) else _Entry(result, False)
        with self._loaded:
            self._entries[key] = entry  # not kept when its TTL is 0
            self._loading.discard(key)
            self._loaded.notify_all()
        return entry.value
