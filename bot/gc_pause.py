"""A decorator that keeps Python's cyclic garbage collector from running while a report is made.

The collector runs when enough new container objects outlive a few of its passes, and a full pass
walks every object the process holds. A report over a big repository holds hundreds of thousands of
tickets and comments and makes as many objects again (a scored ticket, a list of comments, ... for
each ticket), so the collector walks them all, twice or more at close to half a second a pass with
50,000 tickets, and finds next to nothing to free: building and rendering a report make no
reference cycles (slack_sdk's `to_dict` a few hundred objects' worth), and reference counting
frees everything else they drop. So the collector waits until the last decorated call running in
any thread ends, and then runs as before (if it ran before), collecting any cycles made meanwhile.
Mercurial does the same (`util.nogc`).
"""

from __future__ import annotations

import functools
import gc
import threading
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

_lock = threading.Lock()
_running = 0  # calls of decorated functions under way, in all threads
_resume = False  # the collector was on when the first of them started


def without_gc(function: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(function)
    def paused(*args: P.args, **kwargs: P.kwargs) -> R:
        global _running, _resume
        with _lock:
            if _running == 0:
                _resume = gc.isenabled()
                gc.disable()
            _running += 1
        try:
            return function(*args, **kwargs)
        finally:
            with _lock:
                _running -= 1
                if _running == 0 and _resume:
                    gc.enable()

    return paused
