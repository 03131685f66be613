"""LoadingCache: values kept for their TTL (fallbacks for the shorter one), a miss loaded by one thread
while the others asking for it wait, and a peek that never loads or waits. Time is a hand-moved clock."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.cache import Fallback, LoadingCache

THREADS = 12
WAIT = 30  # seconds: an upper bound for work done in milliseconds, never a timing assertion


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Loader:
    """Counts its calls. A call stays busy until a second call begins -- which only happens when misses
    are not single-flight -- or for `patience` seconds, long enough for the other threads to arrive."""

    def __init__(self, value: object, *, patience: float = 0.3) -> None:
        self.value = value
        self.patience = patience
        self.calls = 0
        self._lock = threading.Lock()
        self._second = threading.Event()

    def __call__(self) -> object:
        with self._lock:
            self.calls += 1
            if self.calls > 1:
                self._second.set()
        self._second.wait(self.patience)
        return self.value


def test_concurrent_misses_for_one_key_run_one_loader_and_all_get_its_value() -> None:
    cache: LoadingCache[str, object] = LoadingCache(ttl=60, timer=Clock())
    load = Loader("members")
    start = threading.Barrier(THREADS)

    def ask() -> object:
        start.wait(WAIT)
        return cache.get_or_load("SGROUP", load)

    with ThreadPoolExecutor(THREADS) as pool:
        results = [f.result(WAIT) for f in [pool.submit(ask) for _ in range(THREADS)]]
    assert results == ["members"] * THREADS
    assert load.calls == 1


def test_different_keys_load_independently_at_the_same_time() -> None:
    cache: LoadingCache[str, object] = LoadingCache(ttl=60, timer=Clock())
    entered = threading.Barrier(2)

    def load(key: str) -> str:
        entered.wait(WAIT)  # both loaders run at once, or this times out and raises
        return key.upper()

    with ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(cache.get_or_load, key, lambda k=key: load(k)) for key in ("a", "b")]
        assert [f.result(WAIT) for f in futures] == ["A", "B"]


def test_a_value_is_kept_for_its_ttl_and_then_loaded_again() -> None:
    clock = Clock()
    cache: LoadingCache[str, str] = LoadingCache(ttl=600, failure_ttl=60, timer=clock)
    calls: list[str] = []

    def load() -> str:
        calls.append("x")
        return f"zone{len(calls)}"

    assert cache.peek("U1") is None
    assert cache.get_or_load("U1", load) == "zone1"
    clock.now += 599
    assert cache.peek("U1") == "zone1" and cache.get_or_load("U1", load) == "zone1"
    clock.now += 1
    assert cache.peek("U1") is None
    assert cache.get_or_load("U1", load) == "zone2"
    assert len(calls) == 2


def test_a_fallback_is_used_and_remembered_only_for_the_failure_ttl() -> None:
    clock = Clock()
    cache: LoadingCache[str, str] = LoadingCache(ttl=600, failure_ttl=60, timer=clock)
    answers: list[str | Fallback[str]] = [Fallback("default"), "Asia/Tokyo"]
    assert cache.get_or_load("U1", lambda: answers.pop(0)) == "default"
    clock.now += 59
    assert cache.peek("U1") == "default"
    assert cache.get_or_load("U1", lambda: answers.pop(0)) == "default"  # still remembered: no call
    clock.now += 1
    assert cache.peek("U1") is None
    assert cache.get_or_load("U1", lambda: answers.pop(0)) == "Asia/Tokyo"
    clock.now += 599
    assert cache.peek("U1") == "Asia/Tokyo"
    assert answers == []


def test_a_loader_that_raises_stores_nothing_and_a_waiting_thread_loads_in_its_turn() -> None:
    cache: LoadingCache[str, str] = LoadingCache(ttl=60, timer=Clock())
    first_running = threading.Event()
    fail_now = threading.Event()

    def failing() -> str:
        first_running.set()
        fail_now.wait(WAIT)
        raise ConnectionError("GitHub is down")

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(cache.get_or_load, "k", failing)
        assert first_running.wait(WAIT)
        second = pool.submit(cache.get_or_load, "k", lambda: "fetched")
        fail_now.set()
        with pytest.raises(ConnectionError):
            first.result(WAIT)
        assert second.result(WAIT) == "fetched"
    assert cache.peek("k") == "fetched"


def test_peek_neither_loads_nor_waits_for_a_load_under_way() -> None:
    cache: LoadingCache[str, str] = LoadingCache(ttl=60, timer=Clock())
    running, release = threading.Event(), threading.Event()

    def load() -> str:
        running.set()
        release.wait(WAIT)
        return "members"

    with ThreadPoolExecutor(1) as pool:
        loading = pool.submit(cache.get_or_load, "SGROUP", load)
        assert running.wait(WAIT)
        assert cache.peek("SGROUP") is None  # answered while the load is still blocked
        assert not release.is_set()
        release.set()
        assert loading.result(WAIT) == "members"
    assert cache.peek("SGROUP") == "members"


def test_a_ttl_of_zero_keeps_nothing() -> None:
    cache: LoadingCache[str, int] = LoadingCache(ttl=0, timer=Clock())
    calls: list[int] = []
    assert cache.get_or_load("k", lambda: calls.append(1) or len(calls)) == 1
    assert cache.get_or_load("k", lambda: calls.append(1) or len(calls)) == 2
    assert cache.peek("k") is None


def test_past_maxsize_the_least_recently_used_entry_goes() -> None:
    cache: LoadingCache[str, str] = LoadingCache(ttl=60, maxsize=2, timer=Clock())
    for key in ("a", "b"):
        cache.get_or_load(key, lambda k=key: k)
    cache.peek("a")  # a is used again, so b is the least recently used
    cache.get_or_load("c", lambda: "c")
    assert [cache.peek(k) for k in ("a", "b", "c")] == ["a", None, "c"]
