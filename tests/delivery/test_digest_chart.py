"""A weekly digest's trend chart: uploaded into the digest's thread; a daily digest has none; a chart
that cannot be drawn or uploaded never costs the digest itself."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from bot.delivery.digests import Digests
from bot.report.models import Report
from bot.report.options import ReportOptions
from bot.service import ReportService
from bot.slack.access import ChannelRules
from bot.slack.charts import ChartPoster
from bot.slack.poster import SlackPoster, make_web_client
from bot.sources.github import GitHubSource
from bot.store import Subscription
from tests.fakes.github_server import FakeGitHub
from tests.fakes.slack_server import FakeSlack
from tests.slack.conftest import support_issues

TOKEN = "xoxb-digest-chart-token"
NOW = datetime(2025, 4, 21, 9, 0, 5, tzinfo=UTC)
MONDAY_0900 = datetime(2025, 4, 21, 9, 0, tzinfo=UTC)  # a weekly digest here covers 14 to 20 April
RULES = ChannelRules(default_repos=("acme/support",), channel_repos={})


def subscription(cadence: str) -> Subscription:
    return Subscription.from_config(channel_id="C1", cadence=cadence, at_time="09:00", timezone="UTC")


class Wired:
    def __init__(self, github: FakeGitHub, slack: FakeSlack) -> None:
        self.slack = slack
        self.source = GitHubSource(token=None, base_url=github.url)
        self.client = make_web_client(token=TOKEN, base_url=slack.api_url)
        service = ReportService(source=self.source, options=ReportOptions())
        self.digests = Digests(
            service=service, poster=SlackPoster(self.client), rules=RULES, clock=lambda: NOW
        )
        self.digests.post_chart = ChartPoster(self.client).post


@pytest.fixture
def wired() -> Iterator[Wired]:
    with FakeGitHub() as github, FakeSlack(token=TOKEN) as slack:
        issues, comments = support_issues()
        github.add_repo("acme/support", issues=issues, comments=comments)
        made = Wired(github, slack)
        try:
            yield made
        finally:
            made.source.close()


def test_a_weekly_digest_uploads_its_chart_into_the_digests_thread(wired: Wired) -> None:
    wired.digests.post_digest(subscription("weekly"), MONDAY_0900)
    first = wired.slack.posts()[0]
    assert first.body["channel"] == "C1" and "thread_ts" not in first.body
    [get_url] = wired.slack.calls_to("files.getUploadURLExternal")
    [complete] = wired.slack.calls_to("files.completeUploadExternal")
    assert complete.body["channel_id"] == "C1" and complete.body["thread_ts"] == first.body["ts"]
    assert "Mon 14 Apr – Sun 20 Apr 2025 (UTC)" in get_url.body["alt_txt"]
    assert "Opened: 3 (previous period 0, +3)." in get_url.body["alt_txt"]
    [shared] = json.loads(complete.body["files"])
    assert wired.slack.uploaded(shared["id"]) is not None


def test_a_daily_digest_has_no_chart(wired: Wired) -> None:
    wired.digests.post_digest(subscription("daily"), datetime(2025, 4, 15, 9, 0, tzinfo=UTC))
    assert wired.slack.posts()
    assert wired.slack.calls_to("files.getUploadURLExternal") == []


def test_a_chart_that_cannot_be_drawn_leaves_the_digest_posted_and_logs_why(
    wired: Wired, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(report: Report) -> bytes:
        raise RuntimeError("drawing failed")

    wired.digests.post_chart = ChartPoster(wired.client, draw=broken).post
    with caplog.at_level(logging.WARNING):
        wired.digests.post_digest(subscription("weekly"), MONDAY_0900)  # no DigestError
    assert "#685" in json.dumps(wired.slack.posts()[0].blocks)
    assert wired.slack.calls_to("files.getUploadURLExternal") == []
    [record] = [r for r in caplog.records if r.name == "bot.slack.charts"]
    assert "trend chart" in record.getMessage() and record.exc_info is not None


def test_a_refused_upload_leaves_the_digest_posted(wired: Wired, caplog: pytest.LogCaptureFixture) -> None:
    wired.slack.fail_files("files.getUploadURLExternal", "missing_scope")
    with caplog.at_level(logging.WARNING):
        wired.digests.post_digest(subscription("weekly"), MONDAY_0900)  # no DigestError
    assert wired.slack.posts()
    assert wired.slack.calls_to("files.completeUploadExternal") == []
    assert any("files:write" in r.getMessage() for r in caplog.records if r.name == "bot.slack.charts")
