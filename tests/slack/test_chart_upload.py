"""The trend chart uploaded into a report's thread: the three calls of files_upload_v2 against the fake
Slack, Slack's limits on each, and a failed upload that never loses the report."""

from __future__ import annotations

import json
import logging

import pytest

from bot.render import validate_message
from bot.render.chart_text import MAX_ALT_TEXT, MAX_TITLE
from bot.render.slack_limits import MAX_FALLBACK_TEXT
from tests.fakes.slack_server import FakeSlack, SlackCall
from tests.slack.conftest import AppUnderTest, StartApp

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
UPLOAD_CALLS = ("files.getUploadURLExternal", "file.upload", "files.completeUploadExternal")


def _message(call: SlackCall) -> dict[str, object]:
    return {"text": call.body["text"], "blocks": call.blocks}


def _finished(app: AppUnderTest) -> None:
    """Wait for every queued report job (its post and its chart) to be done."""
    app.bot.executor.shutdown(wait=True)


def _upload_calls(slack: FakeSlack) -> list[SlackCall]:
    return [call for call in slack.calls if call.method in UPLOAD_CALLS]


def test_a_weeks_report_uploads_its_chart_into_the_reports_thread(start_app: StartApp) -> None:
    app = start_app()
    app.command("week", channel="C1")
    assert app.slack.wait_for(lambda slack: len(slack.calls_to("files.completeUploadExternal")) >= 1)
    _finished(app)
    posts = app.slack.posts()
    for post in posts:
        validate_message(_message(post))
    report_ts = posts[0].body["ts"]

    calls = _upload_calls(app.slack)
    assert [call.method for call in calls] == list(UPLOAD_CALLS)  # in this order, once each
    assert all(call.status == 200 for call in calls)
    get_url, upload, complete = calls

    # 1. files.getUploadURLExternal: the file's name, its exact length and the alt text within its limit
    assert get_url.body["filename"] == "ticket-trend-2025-04-08-to-2025-04-14.png"
    data = app.slack.uploaded(upload.body["file_id"])
    assert data is not None and data.startswith(PNG_MAGIC)
    assert int(get_url.body["length"]) == len(data) == upload.body["length"]
    alt = get_url.body["alt_txt"]
    assert 0 < len(alt) <= MAX_ALT_TEXT
    assert "acme/support" in alt and "Tue 8 Apr – Mon 14 Apr 2025 (UTC)" in alt
    # the three tickets of the day: all opened on Monday, one resolved
    assert "Opened: 3 (previous period 0, +3)." in alt
    assert "Resolved: 1 (previous period 0, +1)." in alt
    assert "Most opened on one day: 3 on Mon 14 Apr." in alt

    # 3. files.completeUploadExternal shares that file in the report's thread, with a short comment
    assert complete.body["channel_id"] == "C1"
    assert complete.body["thread_ts"] == report_ts
    [shared] = json.loads(complete.body["files"])
    assert shared["id"] == upload.body["file_id"]
    assert 0 < len(shared["title"]) <= MAX_TITLE and "acme/support" in shared["title"]
    comment = complete.body["initial_comment"]
    assert 0 < len(comment) <= MAX_FALLBACK_TEXT and "3 tickets opened, 1 resolved" in comment
    assert app.slack.calls_to("response_url") == []  # nothing went wrong: no ephemeral follow-up


def test_the_charts_words_never_carry_ticket_text_or_a_mention(start_app: StartApp) -> None:
    """A ticket titled with <!channel> and <@U123> is in the week; nothing uploaded can ping anyone."""
    app = start_app()
    app.command("week")
    assert app.slack.wait_for(lambda slack: len(slack.calls_to("files.completeUploadExternal")) >= 1)
    sent = json.dumps([call.body for call in _upload_calls(app.slack)], ensure_ascii=False)
    for live in ("<!", "<@", "@here", "@channel", "script"):
        assert live not in sent


def test_a_report_shorter_than_a_week_gets_no_chart(start_app: StartApp) -> None:
    app = start_app()
    app.command("today")
    assert app.slack.wait_for(lambda slack: len(slack.posts()) >= 1)
    _finished(app)
    assert _upload_calls(app.slack) == []


def test_a_private_report_gets_no_chart(start_app: StartApp) -> None:
    """A private answer has no thread to upload into (and a file shared in a channel is not private)."""
    app = start_app()
    app.command("week private")
    assert app.slack.wait_for(lambda slack: len(slack.calls_to("response_url")) >= 1)
    _finished(app)
    assert _upload_calls(app.slack) == []


@pytest.mark.parametrize(
    ("break_it", "logged"),
    [
        (lambda slack: slack.fail_files("files.getUploadURLExternal", "missing_scope"), "files:write"),
        (lambda slack: slack.fail_file_uploads(500), "HTTPError"),
        (lambda slack: slack.fail_files("files.completeUploadExternal", "not_in_channel"), "not_in_channel"),
    ],
    ids=["missing-scope", "upload-url-refuses", "complete-refused"],
)
def test_a_failed_upload_never_loses_the_report_and_is_logged(
    start_app: StartApp, caplog: pytest.LogCaptureFixture, break_it, logged: str
) -> None:
    app = start_app()
    break_it(app.slack)
    with caplog.at_level(logging.WARNING, logger="bot.slack.charts"):
        app.command("week", channel="C1")
        assert app.slack.wait_for(lambda slack: len(slack.posts()) >= 1)
        _finished(app)
    posts = app.slack.posts()
    assert posts and posts[0].body["channel"] == "C1"
    assert "#685" in json.dumps(posts[0].blocks)
    assert app.slack.calls_to("response_url") == []  # the requester is not told the report failed
    assert app.slack.calls_to("chat.postEphemeral") == []
    warnings = [r.getMessage() for r in caplog.records if r.name == "bot.slack.charts"]
    assert len(warnings) == 1 and "trend chart" in warnings[0] and logged in warnings[0]
    assert "xoxb" not in warnings[0]


def test_sharing_the_chart_is_not_repeated_after_a_server_error(start_app: StartApp) -> None:
    app = start_app()
    app.slack.answer_with_page("files.completeUploadExternal", status=500)  # it may have been shared
    app.command("week", channel="C1")
    assert app.slack.wait_for(lambda slack: len(slack.calls_to("files.completeUploadExternal")) >= 1)
    _finished(app)
    assert len(app.slack.calls_to("files.completeUploadExternal")) == 1
    assert app.slack.posts() and app.slack.posts()[0].body["channel"] == "C1"  # the report stands
