"""Alerts when Slack refuses, loses or is slow (see conftest): only channel errors pause a channel's
alerts; Slack's or the network's trouble is tried again later without counting; a message Slack
rejects is never sent again; what may be missing is shown by `alerts`."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.alerts.conftest import StartAlertApp

MINUTE = timedelta(minutes=1)


def c1_posts(app) -> list:
    return [c for c in app.slack.calls_to("chat.postMessage") if c.body["channel"] == "C1"]


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        ("ratelimited", "Slack asked me to slow down"),
        ("invalid_auth", "Slack did not accept my token"),
        ("token_expired", "`token\u02cdexpired`"),  # Slack's code, its underscore made inert
    ],
)
def test_slacks_own_trouble_never_pauses_alerts_and_is_tried_again_later(
    start_alert_app: StartAlertApp, error: str, shown: str
) -> None:
    app = start_alert_app()
    app.manual()
    app.say("alerts on new")
    app.slack.fail_channel("C1", error)
    app.open_ticket(1400)
    for _ in range(6):  # more tries than pause the channel for a channel error
        app.run()
        app.clock.advance(5 * MINUTE)
    assert len(c1_posts(app)) > 3
    [subscription] = app.alerts.subscriptions("C1")
    assert subscription.paused_at is None and subscription.failures == 0
    assert not [p for p in app.slack.posts() if p.body["channel"] == "U1"]  # no pause DM
    [record] = app.alerts.records("C1")
    assert record.state == "failed" and record.error == error
    listed = app.say("alerts")
    assert f"the last post failed ({shown}" in listed and "it is tried again later" in listed
    assert "pause" not in listed.lower()

    app.slack.fail_channel("C1", "")
    app.clock.advance(20 * MINUTE)
    app.run()
    assert [p.body["text"] for p in app.posts()] == ["New ticket #1400: Something is broken"]


def test_a_transient_failure_waits_longer_each_time(start_alert_app: StartAlertApp) -> None:
    app = start_alert_app()
    app.manual()
    app.say("alerts on new")
    app.slack.fail_channel("C1", "ratelimited")
    app.open_ticket(1410)
    app.run()
    assert len(c1_posts(app)) == 1
    app.run()  # within the first retry delay: not tried
    app.clock.advance(30 * timedelta(seconds=1))
    app.run()
    assert len(c1_posts(app)) == 1
    app.clock.advance(30 * timedelta(seconds=1))  # one minute after the first try
    app.run()
    assert len(c1_posts(app)) == 2
    app.clock.advance(MINUTE)  # tries at 0, 1, 2, 4, 8 minutes: each waits as long as all before
    app.run()
    assert len(c1_posts(app)) == 3
    app.clock.advance(MINUTE)
    app.run()
    assert len(c1_posts(app)) == 3
    app.clock.advance(MINUTE)
    app.run()
    assert len(c1_posts(app)) == 4
    from bot.alerts.dispatch import retry_delay

    assert retry_delay(timedelta(0)) == MINUTE and retry_delay(timedelta(days=1)) == timedelta(minutes=30)


@pytest.mark.parametrize(
    ("error", "fix"),
    [
        ("restricted_action", "Let me post there"),
        ("is_archived", "Unarchive the channel"),
        ("not_in_channel", "Invite me to the channel"),
    ],
)
def test_only_channel_errors_pause_and_the_notice_says_what_to_fix(
    start_alert_app: StartAlertApp, error: str, fix: str
) -> None:
    app = start_alert_app()
    app.manual()
    app.say("alerts on new")
    app.slack.fail_channel("C1", error)
    app.open_ticket(1420)
    results = [app.run() for _ in range(3)]
    assert results[-1].paused == [("C1", "new")]
    [notice] = [p for p in app.slack.posts() if p.body["channel"] == "U1"]
    assert fix in str(notice.blocks)


def test_the_pause_notice_goes_to_whoever_last_turned_alerts_on(start_alert_app: StartAlertApp) -> None:
    app = start_alert_app()
    app.manual()
    app.say("alerts on new", user="U1")
    app.say("alerts on new", user="U2")  # a change by someone else
    app.slack.fail_channel("C1", "not_in_channel")
    app.open_ticket(1430)
    for _ in range(3):
        app.run()
    assert [p.body["channel"] for p in app.slack.posts() if p.body["channel"].startswith("U")] == ["U2"]


@pytest.mark.parametrize("error", ["msg_too_long", "invalid_blocks"])
def test_a_message_slack_rejects_is_never_sent_again_and_is_shown(
    start_alert_app: StartAlertApp, error: str
) -> None:
    app = start_alert_app()
    app.manual()
    app.say("alerts on new")
    app.slack.fail_channel("C1", error)
    app.open_ticket(1440)
    for _ in range(4):
        app.run()
        app.clock.advance(timedelta(hours=1))
    assert len(c1_posts(app)) == 1
    [record] = app.alerts.records("C1")
    assert (record.state, record.error) == ("rejected", error)
    [subscription] = app.alerts.subscriptions("C1")
    assert subscription.paused_at is None and subscription.failures == 0
    listed = app.say("alerts")
    assert "1 alert (`acme/support#1440`): Slack refused the message" in listed
    assert "not tried again" in listed
    # Another ticket still goes out once Slack takes posts again.
    app.slack.fail_channel("C1", "")
    app.open_ticket(1441)
    app.run()
    assert [p.body["text"] for p in app.posts()] == ["New ticket #1441: Something is broken"]


def test_an_alert_whose_post_is_unconfirmed_is_recorded_and_shown(start_alert_app: StartAlertApp) -> None:
    app = start_alert_app()
    app.manual()
    app.say("alerts on new")
    app.slack.lose_answers(1, status=500, posted=False)
    app.open_ticket(1450)
    assert app.run().failed == 1
    [record] = app.alerts.records("C1")
    assert record.state == "unconfirmed"
    app.run()
    assert len(c1_posts(app)) == 1  # never sent again
    listed = app.say("alerts")
    assert "1 alert (`acme/support#1450`): Slack's answer was lost" in listed
    assert "not posted again" in listed


def test_an_alert_that_is_not_a_valid_slack_message_is_rejected_not_retried(
    start_alert_app: StartAlertApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.alerts.dispatch as dispatch

    real = dispatch.render_new_ticket

    def too_many_blocks(alert, **kwargs):  # our own bug: more blocks than Slack takes
        message = real(alert, **kwargs)
        return {**message, "blocks": message["blocks"] * 30}

    monkeypatch.setattr(dispatch, "render_new_ticket", too_many_blocks)
    app = start_alert_app()
    app.manual()
    app.say("alerts on new")
    app.open_ticket(1460)
    for _ in range(3):
        app.run()
        app.clock.advance(10 * MINUTE)
    assert c1_posts(app) == []
    [record] = app.alerts.records("C1")
    assert record.state == "rejected"
    [subscription] = app.alerts.subscriptions("C1")
    assert subscription.paused_at is None
    assert "I built a message Slack would not take" in app.say("alerts")


# --- updating a waiting alert ---------------------------------------------------------------------

HOUR = timedelta(hours=1)


def two_waiting_alerts_answered(app) -> tuple:
    """Two `waiting` alerts posted in C1, both tickets since answered by the team (no pass run yet)."""
    app.manual()
    app.say("alerts on waiting")
    first, second = app.open_ticket(1501), app.open_ticket(1502)
    app.clock.advance(5 * HOUR)
    app.run()
    posts = {int(p.body["text"].split()[0][1:]): p for p in app.posts()}
    assert set(posts) == {1501, 1502}
    app.comment(first, 7001, user="maintainer", association="MEMBER")
    app.comment(second, 7002, user="maintainer", association="MEMBER")
    return posts[1501], posts[1502]


def test_an_alert_whose_message_was_deleted_is_not_updated_again_and_the_others_are(
    start_alert_app: StartAlertApp,
) -> None:
    app = start_alert_app(config={"response_target_hours": 4})
    first, second = two_waiting_alerts_answered(app)
    app.slack.delete_message("C1", first.body["ts"])
    assert app.run().updated == 1
    assert [u["ts"] for u in app.slack.updates()] == [second.body["ts"]]
    tries = len(app.slack.calls_to("chat.update"))
    app.run()
    app.run()
    assert len(app.slack.calls_to("chat.update")) == tries  # message_not_found is final
    assert app.alerts.unresolved_waiting() == []


@pytest.mark.parametrize("error", ["cant_update_message", "msg_too_long", "invalid_blocks"])
def test_an_update_slack_will_never_take_is_not_tried_again(
    start_alert_app: StartAlertApp, error: str
) -> None:
    app = start_alert_app(config={"response_target_hours": 4})
    two_waiting_alerts_answered(app)
    app.slack.fail_method("chat.update", error)
    app.run()
    tries = len(app.slack.calls_to("chat.update"))
    assert tries == 2
    app.run()
    assert len(app.slack.calls_to("chat.update")) == tries
    assert app.alerts.unresolved_waiting() == []


def test_a_transient_update_failure_is_tried_again(start_alert_app: StartAlertApp) -> None:
    app = start_alert_app(config={"response_target_hours": 4})
    two_waiting_alerts_answered(app)
    app.slack.fail_method("chat.update", "internal_error")
    app.run()
    assert len(app.alerts.unresolved_waiting()) == 2
    app.run()
    assert len(app.slack.calls_to("chat.update")) == 4


def test_an_update_breaking_slacks_limits_is_left_and_the_others_still_go(
    start_alert_app: StartAlertApp, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    app = start_alert_app(config={"response_target_hours": 4})
    _first, second = two_waiting_alerts_answered(app)
    from bot.alerts import dispatch

    real = dispatch.render_waiting

    # No ticket renders past Slack's limits today; a renderer bug for one ticket is simulated here, and
    # the real check before chat.update refuses it.
    def render(alert, **kw):
        message = real(alert, **kw)
        if alert.ticket.number == 1501:
            return {
                **message,
                "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 4000}}],
            }
        return message

    monkeypatch.setattr(dispatch, "render_waiting", render)
    assert app.run().updated == 1
    assert [u["ts"] for u in app.slack.updates()] == [second.body["ts"]]
    assert app.alerts.unresolved_waiting() == []
    assert len([r for r in caplog.records if "breaks Slack's limits" in r.getMessage()]) == 1


def test_a_failed_paused_tickets_line_that_pauses_the_channel_tells_who_turned_alerts_on(
    start_alert_app: StartAlertApp,
) -> None:
    app = start_alert_app()
    app.manual()
    app.say("alerts on new")
    app.clock.advance(5 * HOUR)
    app.slack.fail_channel("C1", "not_in_channel")
    results = []
    for number in (1600, 1601, 1602):  # each too old to alert: counted in a line, which fails
        app.open_ticket(number, ago=3 * HOUR)
        results.append(app.run())
        app.clock.advance(2 * MINUTE)  # the next window: its own line
    assert [r.counted for r in results] == [1, 1, 1]
    assert [r.paused for r in results] == [[], [], [("C1", "new")]]
    [notice] = [p for p in app.slack.posts() if p.body["channel"] == "U1"]
    assert notice.body["text"] == "Alerts for new tickets in <#C1> are paused after 3 failed posts"
    [subscription] = app.alerts.subscriptions("C1")
    assert subscription.paused
