"""The garbage collector waits while a report is made, and runs again as before once none is."""

from __future__ import annotations

import gc
import threading

import pytest

from bot.gc_pause import without_gc


@without_gc
def collector_on() -> bool:
    return gc.isenabled()


@without_gc
def fails() -> None:
    raise RuntimeError("boom")


def test_the_collector_is_off_during_the_call_and_on_after():
    assert gc.isenabled()
    assert collector_on() is False
    assert gc.isenabled()


def test_the_collector_is_on_again_after_a_failure():
    with pytest.raises(RuntimeError):
        fails()
    assert gc.isenabled()


def test_a_collector_turned_off_before_stays_off():
    gc.disable()
    try:
        assert collector_on() is False
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_overlapping_calls_in_threads_leave_the_collector_on_when_the_last_ends():
    inside = threading.Barrier(2)
    release = threading.Event()
    seen: list[bool] = []

    @without_gc
    def slow() -> None:
        inside.wait(timeout=5)
        release.wait(timeout=5)
        seen.append(gc.isenabled())

    threads = [threading.Thread(target=slow) for _ in range(2)]
    for thread in threads:
        thread.start()
    release.set()
    for thread in threads:
        thread.join(timeout=5)
    assert seen == [False, False]
    assert gc.isenabled()
