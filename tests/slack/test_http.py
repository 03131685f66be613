"""The HTTP surface: health check, routing, and Slack's request signatures (nothing runs without one)."""

from __future__ import annotations

import time

from tests.slack.conftest import AppUnderTest, StartApp
from tests.slack.signing import SECRET, signature, signed_headers, slash_body


def _run_one_good_command(app: AppUnderTest) -> None:
    """With one worker, jobs run in the order they were queued: once this one has been posted,
    anything a rejected request had queued before it would have run too."""
    response = app.command("today")
    assert response.status_code == 200
    assert app.slack.wait_for(lambda slack: len(slack.posts()) >= 1)


def _assert_only_the_good_command_ran(app: AppUnderTest) -> None:
    assert len(app.slack.posts()) == 1
    assert len(app.slack.calls_to("response_url")) == 0
    assert all("acme/support" in request.path for request in app.github.requests)


def test_health_check_answers_ok(start_app: StartApp) -> None:
    app = start_app()
    import requests

    response = requests.get(app.url + "/healthz", timeout=10)
    assert response.status_code == 200
    assert response.text.strip() == "ok"


def test_unknown_paths_and_methods_are_refused(start_app: StartApp) -> None:
    import requests

    app = start_app()
    assert requests.get(app.url + "/", timeout=10).status_code == 404
    assert requests.post(app.url + "/slack/other", data=b"x", timeout=10).status_code == 404
    assert requests.get(app.url + "/slack/events", timeout=10).status_code == 405


def test_a_correctly_signed_command_is_acknowledged(start_app: StartApp) -> None:
    app = start_app()
    response = app.command("today")
    assert response.status_code == 200
    assert response.json()["response_type"] == "ephemeral"
    assert "Building the ticket report for *today*" in response.json()["text"]


def test_a_forged_signature_is_rejected_and_nothing_runs(start_app: StartApp) -> None:
    app = start_app(workers=1)
    body = slash_body("today", response_url=app.slack.response_url())
    forged = signed_headers(body, secret="not-the-secret")
    assert app.post(body, headers=forged).status_code == 401
    # A valid signature over a different body does not carry over to this one.
    other = signed_headers(slash_body("yesterday"))
    assert app.post(body, headers=other).status_code == 401
    _run_one_good_command(app)
    _assert_only_the_good_command_ran(app)


def test_a_stale_timestamp_is_rejected_even_when_correctly_signed(start_app: StartApp) -> None:
    app = start_app(workers=1)
    body = slash_body("today", response_url=app.slack.response_url())
    six_minutes_ago = int(time.time()) - 6 * 60
    assert app.post(body, headers=signed_headers(body, timestamp=six_minutes_ago)).status_code == 401
    in_the_future = int(time.time()) + 6 * 60
    assert app.post(body, headers=signed_headers(body, timestamp=in_the_future)).status_code == 401
    _run_one_good_command(app)
    _assert_only_the_good_command_ran(app)


def test_missing_or_malformed_signature_headers_are_rejected(start_app: StartApp) -> None:
    app = start_app(workers=1)
    body = slash_body("today", response_url=app.slack.response_url())
    now = int(time.time())
    good = signature(body, timestamp=now, secret=SECRET)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    cases = [
        form,  # no signature headers at all
        {**form, "X-Slack-Request-Timestamp": str(now)},  # no signature
        {**form, "X-Slack-Signature": good},  # no timestamp
        {**form, "X-Slack-Request-Timestamp": "yesterday", "X-Slack-Signature": good},
        {**form, "X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": "v1=" + good[3:]},
        {**form, "X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": good.upper()},
        {**form, "X-Slack-Request-Timestamp": f"+{now}", "X-Slack-Signature": good},
    ]
    for headers in cases:
        assert app.post(body, headers=headers).status_code == 401, headers
    _run_one_good_command(app)
    _assert_only_the_good_command_ran(app)


def test_a_malformed_body_without_a_valid_signature_is_rejected_before_parsing(start_app: StartApp) -> None:
    app = start_app(workers=1)
    junk = b"payload=%7Bnot-json"
    assert app.post(junk, headers={"Content-Type": "application/x-www-form-urlencoded"}).status_code == 401
    binary = b"\xff\xfe\x00garbage"
    assert app.post(binary, headers=signed_headers(binary, secret="wrong")).status_code == 401
    _run_one_good_command(app)
    _assert_only_the_good_command_ran(app)


def test_a_signed_request_that_is_no_slash_command_runs_nothing(start_app: StartApp) -> None:
    app = start_app(workers=1)
    other_command = slash_body("today", command="/something-else", response_url=app.slack.response_url())
    assert app.post(other_command, headers=signed_headers(other_command)).status_code == 404
    not_utf8 = b"text=\xff\xfe"
    assert app.post(not_utf8, headers=signed_headers(not_utf8)).status_code == 400
    _run_one_good_command(app)
    _assert_only_the_good_command_ran(app)
