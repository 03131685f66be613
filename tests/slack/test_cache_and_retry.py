"""Identical reports reuse fetched data; Slack's 429 is retried after Retry-After, the message posted once."""

from __future__ import annotations

from tests.slack.conftest import StartApp


def test_an_identical_report_soon_after_costs_no_github_requests(start_app: StartApp) -> None:
    app = start_app()
    app.command("today", user="U1")
    assert app.slack.wait_for(lambda slack: len(slack.posts()) >= 1)
    after_first = len(app.github.requests)
    assert after_first > 0
    app.command("today", user="U2")  # someone else, same report
    assert app.slack.wait_for(lambda slack: len(slack.posts()) >= 2)
    assert len(app.github.requests) == after_first


def test_a_different_report_fetches_again(start_app: StartApp) -> None:
    app = start_app()
    app.command("today")
    assert app.slack.wait_for(lambda slack: len(slack.posts()) >= 1)
    after_first = len(app.github.requests)
    app.command("2025-04-01..2025-04-07")
    assert app.slack.wait_for(lambda slack: len(slack.posts()) >= 2)
    assert len(app.github.requests) > after_first


def test_the_cache_can_be_turned_off(start_app: StartApp) -> None:
    app = start_app(config={"repos": ["acme/support"], "cache_seconds": 0})
    app.command("today")
    assert app.slack.wait_for(lambda slack: len(slack.posts()) >= 1)
    after_first = len(app.github.requests)
    app.command("today")
    assert app.slack.wait_for(lambda slack: len(slack.posts()) >= 2)
    assert len(app.github.requests) == 2 * after_first


def test_a_rate_limited_post_is_retried_and_posted_once(start_app: StartApp) -> None:
    app = start_app()
    app.slack.rate_limit_next(1, retry_after=0, method="chat.postMessage")
    app.command("today")
    assert app.slack.wait_for(lambda slack: len(slack.posts()) >= 1)
    attempts = app.slack.calls_to("chat.postMessage")
    assert [call.status for call in attempts][:2] == [429, 200]
    assert len(app.slack.posts()) == len(attempts) - 1  # every message once; only the 429 was repeated
    assert app.slack.calls_to("response_url") == []  # no error for the user


def test_a_rate_limited_timezone_lookup_is_retried(start_app: StartApp) -> None:
    app = start_app()
    app.slack.set_user_timezone("UNZ", "Pacific/Auckland")
    app.slack.rate_limit_next(1, retry_after=0, method="users.info")
    app.command("today", user="UNZ")
    assert app.slack.wait_for(lambda slack: len(slack.posts()) >= 1)
    assert [call.status for call in app.slack.calls_to("users.info")] == [429, 200]
    assert "Tue 15 Apr 2025" in str(app.slack.posts()[0].blocks)
