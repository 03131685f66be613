"""Alerts without webhooks: tickets and team replies that arrive by the mirror's sync from the fake
GitHub are alerted once, and a `waiting` alert is updated when the sync brings the team's reply."""

from __future__ import annotations

from datetime import timedelta

from tests.alerts.conftest import REPO, StartAlertApp
from tests.fakes.github_data import make_comment, make_issue

HOUR = timedelta(hours=1)


def test_waiting_alerts_are_posted_and_updated_from_syncs_alone(start_alert_app: StartAlertApp) -> None:
    app = start_alert_app(config={"response_target_hours": 2})
    app.manual()
    sync = app.mirror.sync
    sync.sync(REPO)  # the first sync (backfill) of an empty repository
    app.say("alerts on")
    app.clock.advance(timedelta(minutes=5))
    app.github.add_repo(REPO, issues=[make_issue(4000, title="Sync only", created_at=app.clock.now)])
    app.clock.advance(timedelta(minutes=5))
    sync.sync(REPO)
    app.run()
    assert [p.body["text"] for p in app.posts()] == ["New ticket #4000: Sync only"]

    app.clock.advance(2 * HOUR)
    sync.sync(REPO)
    app.run()
    waiting = app.posts()[1]
    assert waiting.body["text"].startswith("#4000 has waited 2h 5m for a first reply")

    reply = make_comment(
        4000, 7001, user="maintainer", association="MEMBER", body="Looking", created_at=app.clock.now
    )
    app.github.add_comment(REPO, reply)
    app.clock.advance(timedelta(minutes=5))
    sync.sync(REPO)
    app.run()
    [update] = app.slack.updates()
    assert update["ts"] == waiting.body["ts"] and "maintainer replied after 2h 5m" in str(update["blocks"])
    sync.sync(REPO)
    app.run()
    assert len(app.posts()) == 2 and len(app.slack.updates()) == 1
