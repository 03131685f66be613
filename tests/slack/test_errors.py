"""Every failure answers the requester ephemerally with what happened and what to do; never silence."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.slack.conftest import AppUnderTest, StartApp
from tests.slack.signing import SECRET, TOKEN


def _ephemeral_text(app: AppUnderTest) -> str:
    assert app.slack.wait_for(lambda slack: len(slack.calls_to("response_url")) >= 1)
    (answer,) = app.slack.calls_to("response_url")
    assert answer.body["response_type"] == "ephemeral"
    return str(answer.body["text"])


def test_an_unknown_period_is_answered_in_the_ack_with_the_usage(start_app: StartApp) -> None:
    app = start_app()
    ack = app.command("someday soon")
    assert ack.status_code == 200
    text = ack.json()["text"]
    assert ack.json()["response_type"] == "ephemeral"
    assert "someday soon" in text and "*Usage:*" in text
    assert app.github.requests == []


def test_an_unknown_option_is_answered_with_the_usage(start_app: StartApp) -> None:
    app = start_app()
    text = app.command("today colour:blue").json()["text"]
    assert "colour:blue" in text and "*Usage:*" in text
    assert app.github.requests == []


def test_a_period_in_the_future_is_refused(start_app: StartApp) -> None:
    app = start_app()
    text = app.command("2025-05-01").json()["text"]
    assert "future" in text
    assert app.github.requests == []


def test_a_repository_not_allowed_in_the_channel_is_refused_before_any_request(start_app: StartApp) -> None:
    app = start_app()
    text = app.command("today repo:acme/private").json()["text"]
    assert "`acme/private` may not be reported in this channel" in text
    assert "`acme/support`" in text  # what is allowed here
    assert app.github.requests == []
    assert app.slack.calls_to("chat.postMessage") == []


def test_a_repository_github_does_not_know_gets_an_ephemeral_error(start_app: StartApp) -> None:
    app = start_app(env={"TICKET_REPORT_REPOS": "acme/missing"})
    assert "Building" in app.command("today").json()["text"]
    text = _ephemeral_text(app)
    assert text.startswith("I couldn't build the ticket report:")
    assert "acme/missing" in text
    assert app.slack.calls_to("chat.postMessage") == []


def test_a_github_rate_limit_says_when_to_try_again_in_the_users_zone(start_app: StartApp) -> None:
    app = start_app()
    reset = (datetime.now(UTC) + timedelta(hours=1)).replace(second=0, microsecond=0)
    app.github.rate_limited_until = reset
    app.slack.set_user_timezone("UBER", "Europe/Berlin")
    app.command("today", user="UBER")
    text = _ephemeral_text(app)
    local = reset.astimezone(ZoneInfo("Europe/Berlin"))
    assert "rate limit" in text
    assert f"{local:%H:%M} {local.tzname()}" in text
    assert app.slack.calls_to("chat.postMessage") == []


def test_bad_github_credentials_get_an_ephemeral_error(start_app: StartApp) -> None:
    app = start_app(env={"GITHUB_TOKEN": "ghp_wrong"})
    app.github.token = "ghp_right"
    app.command("today")
    text = _ephemeral_text(app)
    assert text.startswith("I couldn't build the ticket report:")
    assert "ghp_wrong" not in text


def test_github_unavailable_gets_an_ephemeral_error(start_app: StartApp) -> None:
    app = start_app()
    app.github.fail_next(20, 503)
    app.command("today")
    text = _ephemeral_text(app)
    assert text.startswith("I couldn't build the ticket report:")
    assert "GitHub" in text


def test_the_bot_not_in_the_channel_is_told_how_to_invite_it(start_app: StartApp) -> None:
    app = start_app()
    app.slack.fail_channel("CNOTIN", "not_in_channel")
    app.command("today", channel="CNOTIN")
    text = _ephemeral_text(app)
    assert "/invite @ticket-report" in text and "private" in text
    assert app.slack.posts() == []


def test_a_channel_the_bot_cannot_see_is_treated_like_not_being_in_it(start_app: StartApp) -> None:
    app = start_app()
    app.slack.fail_channel("GSECRET", "channel_not_found")
    app.command("today", channel="GSECRET")
    assert "/invite @ticket-report" in _ephemeral_text(app)


def test_another_slack_error_is_named_to_the_user(start_app: StartApp) -> None:
    app = start_app()
    app.slack.fail_channel("CRESTRICTED", "restricted_action")
    app.command("today", channel="CRESTRICTED")
    text = _ephemeral_text(app)
    assert "restricted_action" in text and "try again" in text


def test_secrets_never_reach_the_log_or_the_user(
    start_app: StartApp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    app = start_app(env={"GITHUB_TOKEN": "ghp_secret_value_123"})
    app.github.fail_next(1, 404)
    app.command("today")
    app.command("today", channel="C2")
    app.command("today", headers={"X-Slack-Signature": "v0=00", "X-Slack-Request-Timestamp": "1"})
    assert app.slack.wait_for(lambda slack: len(slack.posts()) + len(slack.calls_to("response_url")) >= 2)
    sent = json.dumps([call.body for call in app.slack.calls])
    for secret in (TOKEN, SECRET, "ghp_secret_value_123"):
        assert secret not in caplog.text
        assert secret not in sent


RAW_SDK_TEXT = ("non-JSON", "Received a response", "<html", "&lt;html", "Bad Gateway")


@pytest.mark.parametrize("status", [500, 502, 503])
def test_an_html_page_from_slack_is_told_in_words_not_as_the_sdks_text(
    start_app: StartApp, status: int
) -> None:
    app = start_app()
    app.slack.answer_with_page("chat.postMessage", status=status)
    app.command("today")
    text = _ephemeral_text(app)
    assert not [raw for raw in RAW_SDK_TEXT if raw in text], text
    # A server error after a post may hide a message Slack stored: never posted again, said in words.
    assert "Slack did not confirm" in text and "Look in the channel" in text
    assert app.slack.posts() == [] and len(app.slack.calls_to("chat.postMessage")) == 1


def test_a_period_longer_than_the_bound_is_refused_in_the_ack_with_the_bound(start_app: StartApp) -> None:
    app = start_app()
    app.github.clear_requests()
    answer = app.command("10000 days").json()["text"]
    assert "covers 10,000 days" in answer and "at most 400" in answer
    assert "Try 400d, since 2024-03-11" in answer and "*Usage:*" in answer
    assert app.github.requests == [] and app.slack.calls_to("chat.postMessage") == []


def test_the_configured_period_bound_holds_for_the_slash_command(start_app: StartApp) -> None:
    app = start_app(config={"max_period_days": 14})
    app.github.clear_requests()
    answer = app.command("since 2025-03-01").json()["text"]
    assert "at most 14" in answer and "Try 14d, since 2025-04-01" in answer
    assert app.github.requests == []
    assert "Building the ticket report" in app.command("week").json()["text"]
