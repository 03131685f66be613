"""Slow reports never delay an acknowledgement.

Bolt's listener pool has five threads; if reports were built there (or as Bolt lazy listeners, which
share that pool), six slow reports would leave a seventh command waiting past Slack's 3 seconds. The
reports run on the app's own pool, so the seventh is acknowledged while all six are still waiting
for GitHub. The assertion is about order (the ack arrives before any report is posted), not time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from tests.slack.conftest import StartApp

SLOW_PERIODS = ("today", "yesterday", "week", "last week", "this month", "2025-04-01..2025-04-07")


def test_a_seventh_command_is_acknowledged_while_six_slow_reports_are_in_flight(start_app: StartApp) -> None:
    app = start_app()
    app.github.delay = 1.5  # every GitHub request takes 1.5 s; a report needs at least two in a row

    with ThreadPoolExecutor(max_workers=len(SLOW_PERIODS)) as senders:
        acks = list(senders.map(lambda period: app.command(period), SLOW_PERIODS))
    assert [ack.status_code for ack in acks] == [200] * len(SLOW_PERIODS)
    assert all("Building the ticket report" in ack.json()["text"] for ack in acks)

    # All six are waiting on GitHub now: a report's second request can only come 1.5 s after its first.
    assert wait_until(lambda: len(app.github.requests) >= len(SLOW_PERIODS))

    seventh = app.command("since 2025-04-10")
    assert seventh.status_code == 200
    assert "Building the ticket report for *since 2025-04-10" in seventh.json()["text"]
    assert app.slack.posts() == []  # acknowledged before any of the six slow reports was finished

    help_reply = app.command("help")
    assert help_reply.status_code == 200 and "*Usage:*" in help_reply.json()["text"]
    assert app.slack.posts() == []

    assert app.slack.wait_for(lambda slack: len(slack.posts()) >= len(SLOW_PERIODS) + 1, timeout=120)
    assert app.slack.calls_to("response_url") == []  # every report succeeded


def wait_until(condition: Callable[[], bool], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
