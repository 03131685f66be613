"""Posting one digest: the real ReportService, GitHubSource and SlackPoster against the fake servers.

What a digest covers, where it goes (the channel, continued in the thread), the short line or the
silence of a period without activity, and the readable, secret-free errors the scheduler records.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest
import yaml

from bot.delivery.digests import DigestError, Digests, config_subscriptions, digest_grace
from bot.render import render_messages, validate_message
from bot.render.picker_blocks import PICKER_BLOCK
from bot.report.drilldown import ReportContext
from bot.report.options import ReportOptions
from bot.service import ReportService
from bot.settings import SettingsError, load_settings
from bot.slack.access import ChannelRules
from bot.slack.drilldown import remember_report
from bot.slack.poster import SlackPoster, make_web_client
from bot.sources.github import GitHubSource
from bot.store import Store, Subscription
from tests.fakes.github_data import make_issue, synthetic_repo
from tests.fakes.github_server import FakeGitHub
from tests.fakes.slack_server import FakeSlack, SlackCall
from tests.slack.conftest import HOSTILE_TITLE, support_issues

TOKEN = "xoxb-digest-test-token"
NOW = datetime(2025, 4, 14, 21, 7, 2, tzinfo=UTC)  # the tickets of support_issues() are on this day
TUESDAY_0900 = datetime(2025, 4, 15, 9, 0, tzinfo=UTC)  # a daily digest fired here covers 14 April
RULES = ChannelRules(
    default_repos=("acme/support",),
    channel_repos={"C_PRIVATE": ("acme/private", "acme/support"), "C_MISSING": ("acme/missing",)},
)


def daily(channel: str = "C1", **values) -> Subscription:
    return Subscription.from_config(
        channel_id=channel, cadence="daily", at_time="09:00", timezone="UTC", **values
    )


class Parts:
    """A Digests wired to the fakes, and what it sent."""

    def __init__(self, github: FakeGitHub, slack: FakeSlack) -> None:
        self.github = github
        self.slack = slack
        self.source = GitHubSource(token=None, base_url=github.url)
        self.service = ReportService(source=self.source, options=ReportOptions())
        self.poster = SlackPoster(make_web_client(token=TOKEN, base_url=slack.api_url))
        self.digests = Digests(service=self.service, poster=self.poster, rules=RULES, clock=lambda: NOW)

    def posts(self) -> list[SlackCall]:
        return self.slack.posts()

    def sent_text(self) -> str:
        return json.dumps([call.body for call in self.slack.calls_to("chat.postMessage")], ensure_ascii=False)


@pytest.fixture
def parts() -> Iterator[Parts]:
    with FakeGitHub() as github, FakeSlack(token=TOKEN) as slack:
        issues, comments = support_issues()
        github.add_repo("acme/support", issues=issues, comments=comments)
        private_issues, private_comments = support_issues("acme/private")
        github.add_repo("acme/private", issues=private_issues, comments=private_comments)
        made = Parts(github, slack)
        try:
            yield made
        finally:
            made.source.close()


def _message(call: SlackCall) -> dict[str, object]:
    return {"text": call.body["text"], "blocks": call.blocks}


# What is posted ------------------------------------------------------------------------------


def test_a_daily_digest_posts_the_previous_days_report_in_the_channel(parts: Parts) -> None:
    parts.digests.post_digest(daily("C1"), TUESDAY_0900)
    [post] = parts.posts()
    assert post.body["channel"] == "C1" and "thread_ts" not in post.body
    validate_message(_message(post))
    blocks = json.dumps(post.blocks, ensure_ascii=False)
    assert "Mon 14 Apr 2025" in blocks
    assert "#685" in blocks and "#686" in blocks
    assert "acme/support" in blocks and "acme/private" not in blocks


def test_a_posted_digest_is_remembered_for_its_details_buttons(parts: Parts, tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'digests.db'}")
    parts.digests.on_posted = partial(remember_report, store)
    parts.digests.post_digest(daily("C1"), TUESDAY_0900)
    [post] = parts.posts()
    raw = store.load_report_context(channel_id="C1", message_ts=post.body["ts"])
    store.close()
    context = ReportContext.from_dict(json.loads(raw))
    assert {t.number for t in context.tickets} >= {685, 686}
    assert context.period.label == "2025-04-14 to 2025-04-14"


def test_the_period_is_the_subscriptions_local_previous_day(parts: Parts) -> None:
    """09:00 in Auckland on 16 April is 21:00 UTC on the 15th: that digest covers 15 April there."""
    auckland = Subscription.from_config(channel_id="C1", at_time="09:00", timezone="Pacific/Auckland")
    parts.digests.post_digest(auckland, datetime(2025, 4, 15, 21, 0, tzinfo=UTC))
    assert "Tue 15 Apr 2025" in json.dumps(parts.posts()[0].blocks)
    # 15 April in Auckland is 14 April 12:00 UTC onwards: the afternoon tickets are in it.
    assert "#685" in json.dumps(parts.posts()[0].blocks)


def test_a_weekly_digest_covers_last_monday_to_sunday(parts: Parts) -> None:
    weekly = Subscription.from_config(channel_id="C1", cadence="weekly", timezone="UTC")
    parts.digests.post_digest(weekly, datetime(2025, 4, 21, 9, 0, tzinfo=UTC))
    blocks = json.dumps(parts.posts()[0].blocks, ensure_ascii=False)
    assert "Mon 14 – Sun 20 Apr 2025" in blocks
    assert "#685" in blocks


def test_a_long_digest_continues_in_the_first_messages_thread() -> None:
    end = datetime(2025, 4, 15, tzinfo=UTC)
    busy = synthetic_repo(400, 1500, 7, end=end, days=2)
    with FakeGitHub() as github, FakeSlack(token=TOKEN) as slack:
        github.add_repo("acme/support", issues=busy.issues, comments=busy.comments)
        made = Parts(github, slack)
        try:
            made.digests.post_digest(daily("C1"), TUESDAY_0900)
        finally:
            made.source.close()
        posts = slack.posts()
    assert len(posts) >= 2
    assert "thread_ts" not in posts[0].body
    assert {post.body.get("thread_ts") for post in posts[1:]} == {posts[0].body["ts"]}
    assert {post.body["channel"] for post in posts} == {"C1"}
    for post in posts:
        validate_message(_message(post))


def test_the_subscriptions_own_repositories_are_used_when_it_names_some(parts: Parts) -> None:
    parts.digests.post_digest(daily("C_PRIVATE", repos=["acme/private"]), TUESDAY_0900)
    # The report itself names only its repository (the period picker at its end may offer others).
    blocks = json.dumps([b for b in parts.posts()[0].blocks if b.get("block_id") != PICKER_BLOCK])
    assert "acme/private" in blocks and "acme/support" not in blocks
    assert parts.github.count("/repos/acme/support/") == 0


def test_github_text_in_a_digest_never_pings_anyone(parts: Parts) -> None:
    parts.digests.post_digest(daily("C1"), TUESDAY_0900)
    sent = parts.sent_text()
    assert "script" in sent  # the hostile ticket is in the digest...
    for live in ("<!channel>", "<!here>", "<!everyone>", "<@U123>", "<@U42>", "<@U999>", HOSTILE_TITLE):
        assert live not in sent  # ...but inert


# Periods without activity --------------------------------------------------------------------


def test_a_period_without_activity_posts_one_short_line(parts: Parts) -> None:
    parts.digests.post_digest(daily("C1"), datetime(2025, 4, 20, 9, 0, tzinfo=UTC))  # covers 19 April
    [post] = parts.posts()
    assert post.body["channel"] == "C1"
    assert post.body["text"] == "No ticket activity on Sat 19 Apr 2025 (UTC) in acme/support."
    assert [b.get("block_id") == PICKER_BLOCK for b in post.blocks] == [False, True]  # the line, the picker
    validate_message(_message(post))


def test_a_quiet_subscription_posts_nothing_for_a_period_without_activity(parts: Parts) -> None:
    parts.digests.post_digest(daily("C1", quiet=True), datetime(2025, 4, 20, 9, 0, tzinfo=UTC))
    assert parts.slack.calls_to("chat.postMessage") == []
    parts.digests.post_digest(daily("C1", quiet=True), TUESDAY_0900)  # activity: quiet changes nothing
    assert len(parts.posts()) == 1


def test_a_ticket_created_just_after_the_period_does_not_count_as_activity(parts: Parts) -> None:
    later = make_issue(900, title="Opened on Sunday", created_at=datetime(2025, 4, 20, 0, 0, 1, tzinfo=UTC))
    parts.github.add_repo("acme/support", issues=[later])
    parts.digests.post_digest(daily("C1"), datetime(2025, 4, 20, 9, 0, tzinfo=UTC))  # covers Saturday
    assert parts.posts()[0].body["text"].startswith("No ticket activity on ")


# Failures ------------------------------------------------------------------------------------


def _failure(parts: Parts, subscription: Subscription, fire: datetime = TUESDAY_0900) -> str:
    with pytest.raises(DigestError) as error:
        parts.digests.post_digest(subscription, fire)
    text = str(error.value)
    assert TOKEN not in text and "Traceback" not in text
    return text


def test_a_channel_the_bot_is_not_in_fails_with_how_to_invite_it(parts: Parts) -> None:
    parts.slack.fail_channel("C_GONE", "not_in_channel")
    text = _failure(parts, daily("C_GONE"))
    assert (
        text == "I am not a member of this channel (not_in_channel); invite me with `/invite @ticket-report`"
    )


def test_an_archived_channel_fails_readably(parts: Parts) -> None:
    parts.slack.fail_channel("C_OLD", "is_archived")
    assert _failure(parts, daily("C_OLD")) == "the channel is archived (is_archived)"


def test_an_html_page_from_slack_is_recorded_in_words_not_as_the_sdks_text(parts: Parts) -> None:
    parts.slack.answer_with_page("chat.postMessage", status=502)
    text = _failure(parts, daily("C1"))
    # A server error after a post may hide a digest Slack stored: unconfirmed, never posted again.
    assert text.startswith("it was sent, but Slack did not confirm it (Slack answered HTTP 502")
    assert len(parts.slack.calls_to("chat.postMessage")) == 1
    for raw in ("non-JSON", "Received a response", "html", "Bad Gateway"):
        assert raw not in text


def test_a_refused_thread_continuation_says_only_the_first_part_was_posted() -> None:
    busy = synthetic_repo(400, 1500, 7, end=datetime(2025, 4, 15, tzinfo=UTC), days=2)
    with FakeGitHub() as github, FakeSlack(token=TOKEN) as slack:
        github.add_repo("acme/support", issues=busy.issues, comments=busy.comments)
        slack.fail_thread_replies("msg_too_long")
        made = Parts(github, slack)
        try:
            assert "only the first message was posted" in _failure(made, daily("C1"))
        finally:
            made.source.close()
        assert len(slack.posts()) == 1


def test_repositories_no_longer_allowed_in_the_channel_fail_without_fetching(parts: Parts) -> None:
    text = _failure(parts, daily("C1", repos=["acme/private"]))
    assert "may not be reported in this channel" in text and "acme/private" in text
    assert parts.github.requests == []
    assert parts.slack.calls_to("chat.postMessage") == []


def test_a_github_failure_is_named(parts: Parts) -> None:
    text = _failure(parts, daily("C_MISSING"))
    assert text.startswith("GitHub: ") and "acme/missing" in text
    assert parts.slack.calls_to("chat.postMessage") == []


def test_an_unexpected_error_is_logged_in_full_and_shown_in_one_line(
    parts: Parts, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(report):
        raise KeyError("renderer bug")

    digests = Digests(service=parts.service, poster=parts.poster, rules=RULES, render=broken)
    with caplog.at_level(logging.ERROR, logger="bot.delivery.digests"), pytest.raises(DigestError) as error:
        digests.post_digest(daily("C1"), TUESDAY_0900)
    assert str(error.value) == "something went wrong on my side; the details are in the bot's log"
    assert "renderer bug" in caplog.text and "Traceback" in caplog.text


def test_the_report_now_is_the_fire_time_or_later_never_earlier(parts: Parts) -> None:
    seen: list[datetime] = []

    def render(report):
        seen.append(report.generated_at)
        return render_messages(report)

    later = datetime(2025, 4, 15, 11, 30, tzinfo=UTC)
    for clock in (lambda: NOW, lambda: later):
        Digests(
            service=parts.service, poster=parts.poster, rules=RULES, clock=clock, render=render
        ).post_digest(daily("C1"), TUESDAY_0900)
    assert seen == [TUESDAY_0900, later]


# Configuration -------------------------------------------------------------------------------


def _settings(tmp_path: Path, config: dict) -> object:
    path = tmp_path / "config.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return load_settings({}, config_path=str(path))


def test_config_subscriptions_become_config_subscription_objects(tmp_path: Path) -> None:
    settings = _settings(
        tmp_path,
        {
            "subscriptions": [
                {"channel": "C1", "cadence": "weekdays", "at": "8:30", "timezone": "Europe/Berlin"},
                {"channel": "C2", "repos": ["acme/support"], "quiet": True},
            ]
        },
    )
    first, second = config_subscriptions(settings)
    assert (first.channel_id, first.cadence, first.at_time, first.timezone) == (
        "C1",
        "weekdays",
        "08:30",
        "Europe/Berlin",
    )
    assert first.key == "config:C1:weekdays:08:30:Europe/Berlin"
    assert second == daily("C2", repos=["acme/support"], quiet=True)
    assert {first.source, second.source} == {"config"}


def test_a_bad_config_subscription_names_its_entry(tmp_path: Path) -> None:
    settings = _settings(
        tmp_path, {"subscriptions": [{"channel": "C1"}, {"channel": "C2", "repos": ["nope"]}]}
    )
    with pytest.raises(SettingsError) as error:
        config_subscriptions(settings)
    assert "subscriptions.1" in str(error.value) and "nope" in str(error.value)


def test_the_grace_comes_from_config_with_a_minute_at_least(tmp_path: Path) -> None:
    assert digest_grace(_settings(tmp_path, {})) == timedelta(hours=6)
    assert digest_grace(_settings(tmp_path, {"digest_grace_hours": 1.5})) == timedelta(minutes=90)
    assert digest_grace(_settings(tmp_path, {"digest_grace_hours": 0})) == timedelta(minutes=1)


def test_a_channel_the_bot_left_is_one_warning_line_from_the_scheduler_through_the_real_poster(
    parts: Parts, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.delivery.scheduler import DigestScheduler

    store = Store(f"sqlite:///{tmp_path / 'digests.db'}")
    try:
        store.add_subscription(
            channel_id="C_GONE", created_by="U1", now=NOW, cadence="daily", at_time="09:00", timezone="UTC"
        )
        parts.slack.fail_channel("C_GONE", "not_in_channel")
        with caplog.at_level(logging.INFO, logger="bot"):
            runs = DigestScheduler(store, parts.digests.post_digest, now=lambda: TUESDAY_0900).run_due(
                TUESDAY_0900
            )
        assert [run.outcome for run in runs] != ["posted"]
        loud = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(loud) == 1 and "not_in_channel" in loud[0].getMessage() and loud[0].exc_info is None
    finally:
        store.close()
