"""Reports from the mirror: the same report as a live fetch, in at most 2 GitHub requests (none when fresh
or fed by webhooks), never the search API; a repository not mirrored is fetched live; a failed sync
still gives a report, saying how old its data is. Real PyGithub against the fake GitHub, SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from bot.errors import TicketNotFound
from bot.mirror.source import MirrorSource
from bot.mirror.sync import MirrorSync
from bot.render import render_json
from bot.report.options import ReportOptions
from bot.report.periods import parse_timezone
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
OTHER = "acme/other"
NOW = datetime(2025, 4, 15, 9, tzinfo=UTC)
UTC_TZ = parse_timezone("UTC")


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(name="gh")
def gh_fixture() -> Iterator[FakeGitHub]:
    with FakeGitHub() as fake:
        data = synthetic_repo(120, 400, seed=5, repo=REPO, end=NOW, days=40)
        fake.add_repo(REPO, issues=data.issues, comments=data.comments)
        other = synthetic_repo(20, 40, seed=6, repo=OTHER, end=NOW, days=10)
        fake.add_repo(OTHER, issues=other.issues, comments=other.comments)
        yield fake


class Setup:
    def __init__(self, gh: FakeGitHub, store: Store, clock: Clock) -> None:
        self.gh = gh
        self.clock = clock
        self.mirror = Mirror(store.engine)
        self.github = GitHubSource(token=None, base_url=gh.url, retries=1, backoff_factor=0.01)
        self.sync = MirrorSync(self.github, self.mirror, owner="test", clock=clock)
        self.source = MirrorSource(
            mirror=self.mirror, live=self.github, syncer=self.sync, sync_minutes=5, clock=clock
        )
        self.service = ReportService(source=self.source, options=ReportOptions())

    def report(self, period: str, repos: tuple[str, ...] = (REPO,)):
        return self.service.build(ReportRequest(period_text=period, repos=repos, tz=UTC_TZ), now=NOW)


@pytest.fixture(name="setup")
def setup_fixture(gh: FakeGitHub, store: Store) -> Iterator[Setup]:
    setup = Setup(gh, store, Clock(NOW))
    setup.sync.sync(REPO)  # the first sync
    gh.clear_requests()
    yield setup
    setup.github.close()


def summary(report) -> tuple:
    return (
        report.totals,
        report.previous_totals,
        [(s.ticket.number, round(s.score, 3)) for s in report.tickets],
        [tuple(t.number for t in g.tickets) for g in report.common_issues],
        [r.text for r in report.recommendations],
        report.headline,
    )


@pytest.mark.parametrize("period", ["today", "week", "2025-03-20", "2025-03-10..2025-03-23"])
def test_a_fresh_mirror_gives_the_live_report_without_a_request(setup: Setup, period: str) -> None:
    mirrored = setup.report(period)
    assert setup.gh.requests == []
    live = ReportService(source=setup.github, options=ReportOptions()).build(
        ReportRequest(period_text=period, repos=(REPO,), tz=UTC_TZ), now=NOW
    )
    assert summary(mirrored) == summary(live)
    assert mirrored.totals.total > 0
    assert mirrored.data_as_of == NOW  # the first sync began at NOW
    assert live.data_as_of is None


def test_an_older_mirror_syncs_first_in_at_most_two_requests(setup: Setup) -> None:
    setup.clock.now = NOW + timedelta(minutes=20)
    setup.report("2025-03-20")
    assert len(setup.gh.requests) <= 2
    assert not [r for r in setup.gh.requests if r.path.startswith("/search")]
    assert setup.mirror.state(REPO).synced_at == NOW + timedelta(minutes=20)
    # unchanged since: the next sync costs two 304s, and a report right after costs nothing
    setup.gh.clear_requests()
    setup.clock.now = NOW + timedelta(minutes=40)
    report = setup.report("yesterday")
    assert len(setup.gh.requests) == 2
    assert setup.gh.not_modified_count == 2  # both answered 304: unchanged
    setup.gh.clear_requests()
    setup.report("last week")
    assert setup.gh.requests == []
    assert report.data_as_of == NOW + timedelta(minutes=40)


def test_24_people_asking_for_24_past_days_at_once_all_get_reports(setup: Setup) -> None:
    setup.clock.now = NOW + timedelta(minutes=20)  # stale: the first report syncs, the others wait for it
    days = [(NOW - timedelta(days=d)).strftime("%Y-%m-%d") for d in range(2, 26)]
    with ThreadPoolExecutor(24) as pool:
        reports = list(pool.map(setup.report, days))
    assert len(reports) == 24
    assert [r.period.spec for r in reports] == days
    assert len(setup.gh.requests) <= 2
    assert not [r for r in setup.gh.requests if r.path.startswith("/search")]


def test_webhooks_keep_the_mirror_fresh_without_requests(setup: Setup) -> None:
    setup.mirror.update_state(REPO, webhook_since=NOW - timedelta(minutes=1), webhook_at=NOW)
    setup.clock.now = NOW + timedelta(minutes=50)
    report = setup.report("today")
    assert setup.gh.requests == []
    assert report.data_as_of == NOW + timedelta(minutes=50)
    # trusted for an hour after the sync that confirmed them; then a report syncs again
    setup.clock.now = NOW + timedelta(minutes=70)
    setup.report("today")
    assert 0 < len(setup.gh.requests) <= 2


def test_webhooks_that_stopped_are_found_out_by_the_next_sync(setup: Setup) -> None:
    setup.mirror.update_state(REPO, webhook_since=NOW - timedelta(minutes=1), webhook_at=NOW)
    # GitHub changes an issue two hours later; no delivery arrives (the hook was disabled)
    setup.clock.now = NOW + timedelta(hours=2)
    setup.gh.edit_issue(REPO, 7, at=NOW + timedelta(hours=2) - timedelta(minutes=5), title="Changed quietly")
    setup.report("today")  # trust expired: it syncs, finds the change webhooks missed
    state = setup.mirror.state(REPO)
    assert state.webhook_since is None and not state.webhook_fed
    assert setup.mirror.ticket(REPO, 7)[0].title == "Changed quietly"


def test_a_repository_never_synced_is_fetched_live(setup: Setup) -> None:
    report = setup.report("week", repos=(OTHER,))
    assert setup.gh.requests  # fetched as without a mirror
    assert report.data_as_of is None
    assert report.history == ()
    assert report.totals.total > 0


def test_a_failed_sync_still_gives_a_report_saying_how_old_its_data_is(setup: Setup) -> None:
    setup.clock.now = NOW + timedelta(hours=2)
    setup.gh.fail_next(10, 502)
    report = setup.report("yesterday")
    assert report.data_as_of == NOW
    assert "502" in (setup.mirror.state(REPO).last_error or "")
    # reports right after do not each try the failing sync again
    setup.gh.clear_requests()
    setup.clock.now += timedelta(seconds=30)
    setup.report("yesterday")
    assert setup.gh.requests == []


def test_reports_of_a_repository_not_mirrored_yet_share_one_fetch(setup: Setup) -> None:
    setup.report("2025-04-10", repos=(OTHER,))
    first = len(setup.gh.requests)
    setup.report("2025-04-10", repos=(OTHER,))
    assert first > 0 and len(setup.gh.requests) == first


def test_a_report_carries_twelve_weeks_of_history(setup: Setup) -> None:
    report = setup.report("week")
    (history,) = report.history
    assert history.repo == REPO
    assert len(history.weeks) == 12
    assert sum(w.new for w in history.weeks) == sum(
        1
        for t in setup.mirror.issue_times(REPO, since=history.weeks[0].start)
        if t.created_at >= history.weeks[0].start
    )
    assert '"history"' in render_json(report)
    assert setup.report("yesterday").history == ()  # a day's report leaves the weekly figures out


def test_drill_downs_read_the_mirror(setup: Setup) -> None:
    ticket, comments = setup.source.fetch_ticket(REPO, 7)
    assert ticket.number == 7
    assert setup.gh.requests == []
    live_ticket, live_comments = setup.github.fetch_ticket(REPO, 7)
    assert [c.id for c in comments] == [c.id for c in live_comments]
    assert ticket.title == live_ticket.title
    pull = next(n for n in range(1, 121) if setup.mirror.is_pull_request(REPO, n))
    with pytest.raises(TicketNotFound, match="pull request"):
        setup.source.fetch_ticket(REPO, pull)
