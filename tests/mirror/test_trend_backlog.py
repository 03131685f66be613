"""The trend's backlog from the mirror: every open issue of the repository, day by day, although the
report reads only the tickets active in its two periods; a live fetch or a label filter says whose
backlog it counts instead. Real PyGithub against the fake GitHub, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from bot.mirror.source import MirrorSource
from bot.mirror.sync import MirrorSync
from bot.report.models import SCOPE_ACTIVE, SCOPE_REPOSITORY
from bot.report.options import ReportOptions
from bot.report.periods import parse_timezone
from bot.report.trend import local_days
from bot.service import ReportRequest, ReportService
from bot.sources.github import GitHubSource
from bot.store import Store
from bot.store.mirror import Mirror
from tests.db_fixtures import (  # noqa: F401
    backend_url_fixture,
    pg_target_fixture,
    sqlite_url_fixture,
    store_fixture,
)
from tests.fakes.github_data import synthetic_repo
from tests.fakes.github_server import FakeGitHub

REPO = "acme/support"
NOW = datetime(2025, 4, 15, 9, tzinfo=UTC)
BERLIN = parse_timezone("Europe/Berlin")


class Mirrored:
    def __init__(self, gh: FakeGitHub, store: Store) -> None:
        self.mirror = Mirror(store.engine)
        self.github = GitHubSource(token=None, base_url=gh.url, retries=1, backoff_factor=0.01)
        self.sync = MirrorSync(self.github, self.mirror, owner="test", clock=lambda: NOW)
        source = MirrorSource(
            mirror=self.mirror, live=self.github, syncer=self.sync, sync_minutes=5, clock=lambda: NOW
        )
        self.service = ReportService(source=source, options=ReportOptions())

    def open_at(self, moment: datetime) -> int:
        """Open issues (not pull requests, not pinned) at `moment`, counted from every row of the mirror."""
        rows = self.mirror.issue_times(REPO, since=datetime(2000, 1, 1, tzinfo=UTC))
        return sum(
            1 for r in rows if r.created_at < moment and (r.closed_at is None or r.closed_at >= moment)
        )


@pytest.fixture(name="mirrored")
def mirrored_fixture(store: Store) -> Iterator[Mirrored]:
    with FakeGitHub() as gh:
        # 90 days of tickets: many were opened before the two weeks and never touched in them
        data = synthetic_repo(150, 300, seed=11, repo=REPO, end=NOW, days=90)
        gh.add_repo(REPO, issues=data.issues, comments=data.comments)
        made = Mirrored(gh, store)
        made.sync.sync(REPO)
        try:
            yield made
        finally:
            made.github.close()


def request(period: str, **values) -> ReportRequest:
    return ReportRequest(period_text=period, repos=(REPO,), tz=BERLIN, **values)


def test_the_backlog_of_a_weeks_report_is_every_open_issue_of_each_day(mirrored: Mirrored) -> None:
    report = mirrored.service.build(request("week"), now=NOW)
    trend = report.trend
    assert trend is not None and trend.backlog_scope == SCOPE_REPOSITORY
    assert len(trend.days) == 7 and len(trend.previous_days) == 7
    for days, period in ((trend.days, report.period), (trend.previous_days, report.previous_period)):
        for day, (_, _, end) in zip(days, local_days(period), strict=True):
            assert day.backlog == mirrored.open_at(end), day.day
    assert trend.backlog_start == mirrored.open_at(report.period.start)
    # the report itself read fewer tickets than were open: the old, untouched ones were counted anyway
    assert report.totals.total < trend.backlog_end
    assert trend.opened == report.totals.new


def test_a_live_report_counts_only_the_tickets_it_read(mirrored: Mirrored) -> None:
    live = ReportService(source=mirrored.github, options=ReportOptions()).build(request("week"), now=NOW)
    mirrored_report = mirrored.service.build(request("week"), now=NOW)
    assert live.trend is not None and live.trend.backlog_scope == SCOPE_ACTIVE
    assert live.trend.backlog_end < mirrored_report.trend.backlog_end
    # what a day saw opened and resolved is the same from GitHub and from the mirror
    assert [(d.opened, d.resolved) for d in live.trend.days] == [
        (d.opened, d.resolved) for d in mirrored_report.trend.days
    ]


def test_a_label_filtered_report_does_not_claim_the_repositorys_backlog(mirrored: Mirrored) -> None:
    report = mirrored.service.build(request("week", include_labels=frozenset({"bug"})), now=NOW)
    assert report.trend is not None and report.trend.backlog_scope == SCOPE_ACTIVE
