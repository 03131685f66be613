"""What one alerts pass reads and in which order it writes (see conftest): a `waiting` update is sent
before the record says so, a pass reads each repository's recent tickets once, a ticket whose comments
the mirror lacks is not called unanswered, a flood of other tickets cannot hide a label's ticket, and a
ticket is named alike in its alert and the alert's update."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest

from bot.app_runner import REPORT_WORKERS
from tests.alerts.conftest import REPO, WAIT, StartAlertApp
from tests.db_fixtures import BackendUrl
from tests.fakes.github_data import make_issue

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)


class Counting:
    """Passes every call through to `inner`, counting them by name."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.calls: dict[str, int] = {}

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._inner, name)
        if not callable(found):
            return found

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] = self.calls.get(name, 0) + 1
            return found(*args, **kwargs)

        return call


class ProcessDied(BaseException):
    """The process stopping in the middle of a pass (nothing after this line runs)."""


def waiting_alert_posted(app, number: int = 1300) -> dict:
    app.say("alerts on waiting")
    app.clock.advance(HOUR)
    issue = app.open_ticket(number, title="No answer yet")
    app.clock.advance(5 * HOUR)
    app.run()
    assert len(app.posts()) == 1
    return issue


def test_the_update_is_sent_before_the_alert_is_marked_answered(
    start_alert_app: StartAlertApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = start_alert_app(config={"response_target_hours": 4})
    app.manual()
    issue = waiting_alert_posted(app)
    app.comment(issue, 5002, user="maintainer", association="MEMBER")

    real = app.dispatcher._updater

    class DiesBeforeSending:
        def update(self, channel: str, ts: str, message: Any) -> None:
            raise ProcessDied()

    monkeypatch.setattr(app.dispatcher, "_updater", DiesBeforeSending())
    with pytest.raises(ProcessDied):
        app.run()
    assert app.slack.updates() == []
    monkeypatch.setattr(app.dispatcher, "_updater", real)  # the process starts again
    app.run()
    [update] = app.slack.updates()
    assert "maintainer replied after" in str(update["blocks"])
    [record] = app.alerts.records("C1")
    assert record.resolved_at is not None
    app.run()
    assert len(app.slack.updates()) == 1


def test_a_pass_reads_each_repositorys_recent_tickets_and_titles_once(
    start_alert_app: StartAlertApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = start_alert_app()
    app.manual()
    app.say("alerts on new", channel="C1")
    app.say("alerts on new", channel="C2")
    for number in (1500, 1501, 1502):
        app.open_ticket(number, title=f"Crash on start {number}")
    mirror, alerts = Counting(app.dispatcher._mirror), Counting(app.dispatcher._alerts)
    monkeypatch.setattr(app.dispatcher, "_mirror", mirror)
    monkeypatch.setattr(app.dispatcher, "_alerts", alerts)
    result = app.run()
    assert len(result.posted) == 6  # three tickets in two channels
    assert mirror.calls.get("window") == 1
    assert alerts.calls.get("open_titles") == 1


def test_a_pass_does_not_reload_tickets_still_waiting(
    start_alert_app: StartAlertApp, monkeypatch: pytest.MonkeyPatch, backend_url: BackendUrl
) -> None:
    app = start_alert_app(config={"response_target_hours": 4}, database=backend_url)
    app.manual()
    issue = waiting_alert_posted(app)
    mirror = Counting(app.dispatcher._mirror)
    monkeypatch.setattr(app.dispatcher, "_mirror", mirror)
    app.clock.advance(MINUTE)
    app.run()
    assert mirror.calls.get("ticket", 0) == 0  # still waiting: not read again
    app.comment(issue, 5002, user="maintainer", association="MEMBER")
    app.run()
    assert mirror.calls.get("ticket") == 1 and len(app.slack.updates()) == 1


def test_a_ticket_whose_comments_the_mirror_lacks_is_not_called_unanswered(
    start_alert_app: StartAlertApp,
) -> None:
    app = start_alert_app(config={"response_target_hours": 4})
    app.manual()
    app.say("alerts on waiting")
    app.clock.advance(HOUR)
    app.open_ticket(1310, comments=2)  # GitHub counts two comments the mirror has not got
    app.open_ticket(1311)
    app.clock.advance(5 * HOUR)
    result = app.run()
    assert [n for _, _, n, _ in result.posted] == [1311]
    assert [r.number for r in app.alerts.records("C1")] == [1311]  # 1310: no record, looked at again


def test_a_flood_of_other_tickets_cannot_hide_a_labels_ticket(
    start_alert_app: StartAlertApp, backend_url: BackendUrl
) -> None:
    app = start_alert_app(database=backend_url)
    app.manual()
    app.say('alerts on new label:bug label:"50%_done"')
    now = app.clock.now
    flood = [
        make_issue(n, title=f"Spam {n}", created_at=now + timedelta(seconds=1), updated_at=now)
        for n in range(3000, 3250)  # more than a pass reads
    ]
    wanted = make_issue(3300, title="A real bug", labels=["BUG"], created_at=now + timedelta(seconds=2))
    odd = make_issue(3301, title="Odd label", labels=["50%_Done"], created_at=now + timedelta(seconds=2))
    near = make_issue(3302, title="Near miss", labels=["50x-done"], created_at=now + timedelta(seconds=2))
    app.github.add_repo(REPO, issues=[*flood, wanted, odd, near])
    app.clock.advance(MINUTE)
    app.mirror.sync.sync(REPO)
    assert sorted(n for _, _, n, _ in app.run().posted) == [3300, 3301]


def test_the_same_ticket_is_named_alike_in_its_alert_and_the_update(start_alert_app: StartAlertApp) -> None:
    app = start_alert_app(
        config={"response_target_hours": 4, "channels": {"C1": {"repos": [REPO, "acme/private"]}}}
    )
    app.manual()
    app.say(f"alerts on waiting repo:{REPO}")
    app.clock.advance(HOUR)
    issue = app.open_ticket(1320, title="No answer yet")
    app.clock.advance(5 * HOUR)
    app.run()
    [post] = app.posts()
    assert post.body["text"].startswith("#1320 has waited")
    app.comment(issue, 5003, user="maintainer", association="MEMBER")
    app.run()
    [update] = app.slack.updates()
    assert update["text"].startswith("#1320 answered by maintainer")
    assert "#1320 No answer yet" in str(update["blocks"]) and "acme/support#1320" not in str(update["blocks"])


def test_listing_alerts_while_the_bot_is_busy_never_says_it_checks_a_change(
    start_alert_app: StartAlertApp,
) -> None:
    app = start_alert_app()
    release = threading.Event()
    for _ in range(REPORT_WORKERS):  # every worker busy: the answer cannot come within the ack
        app.bot.executor.submit(release.wait, WAIT)
    try:
        ack = app.say("alerts")
    finally:
        release.set()
    assert ack == "Reading this channel's alerts…"
    assert app.slack.wait_for(
        lambda s: any("This channel gets no alerts" in str(c.body) for c in s.calls_to("response_url")), WAIT
    )
