"""GitHub's search limit without the mirror: searches are spaced to the budget by one limiter per API and
token, a limit GitHub answers anyway is waited out, and a wait past the bound fails saying when to try
again. The real PyGithub client against the fake GitHub with its search limit on, in a small window."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.errors import RateLimited
from bot.report.models import TicketData
from bot.report.options import ReportOptions
from bot.service import ReportRequest, ReportService
from bot.settings import SettingsError, load_settings
from bot.sources.github import GitHubSource
from bot.sources.payloads import comments_from_payloads, select_window, tickets_from_issues
from bot.sources.search_limit import SearchLimiter, shared_limiter
from tests.fakes.github_data import synthetic_repo
from tests.fakes.github_server import FakeGitHub

REPO = "acme/support"
NOW = datetime(2025, 4, 15, 12, 0, tzinfo=UTC)
WAIT = 60  # seconds: an upper bound for the whole burst, never a timing assertion
DAYS = [(date(2025, 3, 1) + timedelta(days=n)).isoformat() for n in range(24)]


REPO_DATA = synthetic_repo(300, 900, seed=11, repo=REPO, end=NOW, days=60)


class Truth:
    """What GitHub holds, without HTTP: the window of every payload the fake serves."""

    def fetch(self, repo: str, *, window_start: datetime, window_end: datetime, now: datetime) -> TicketData:
        return select_window(
            tickets_from_issues(REPO_DATA.issues, repo=repo),
            comments_from_payloads(REPO_DATA.comments, repo=repo),
            window_start=window_start,
            window_end=window_end,
        )


@pytest.fixture
def gh() -> Iterator[FakeGitHub]:
    with FakeGitHub() as fake:
        fake.add_repo(REPO, issues=REPO_DATA.issues, comments=REPO_DATA.comments)
        yield fake


def source(gh: FakeGitHub, limiter: SearchLimiter, *, token: str | None = None) -> GitHubSource:
    return GitHubSource(token=token, base_url=gh.url, backoff_factor=0.01, search_limiter=limiter)


def request(day: str) -> ReportRequest:
    return ReportRequest(period_text=day, repos=(REPO,), tz=UTC)


def searches(gh: FakeGitHub) -> int:
    return gh.count("/search/issues")


def test_24_reports_of_24_past_days_at_once_all_arrive_and_github_never_sees_more_than_its_limit(
    gh: FakeGitHub,
) -> None:
    truth = ReportService(source=Truth(), options=ReportOptions())
    expected = [truth.build(request(day), now=NOW) for day in DAYS]
    gh.limit_search(10, window=0.5)  # GitHub's 30 a minute, in a window short enough for a test
    service = ReportService(
        source=source(gh, SearchLimiter(per_window=10, window=0.5, max_wait=20)), options=ReportOptions()
    )
    with ThreadPoolExecutor(len(DAYS)) as pool:
        futures = [pool.submit(service.build, request(day), now=NOW) for day in DAYS]
        reports = [future.result(WAIT) for future in futures]

    assert reports == expected
    # Each report searched what was created and what was closed that day, and no search was repeated.
    assert searches(gh) == 2 * len(DAYS)
    assert gh.search_rejections == 0
    assert gh.search_peak == 10  # the budget was used, never exceeded


@pytest.mark.parametrize("status", [403, 429])
def test_a_search_limit_github_answers_is_waited_out_and_the_search_sent_again(
    gh: FakeGitHub, status: int
) -> None:
    # Another process uses the same token: GitHub's budget is smaller than this limiter thinks.
    gh.limit_search(1, window=1.0, status=status)
    service = ReportService(
        source=source(gh, SearchLimiter(per_window=30, window=60, max_wait=20)), options=ReportOptions()
    )
    report = service.build(request("2025-03-10"), now=NOW)

    assert report.period.spec == "2025-03-10"
    assert gh.search_rejections == 1
    rejected = [a for a in gh.answers if a.request.path == "/search/issues" and a.status == status]
    assert len(rejected) == 1 and searches(gh) == 3  # the refused search was sent again, once


def test_a_limit_resetting_later_than_the_bound_fails_at_once_with_the_reset_time(gh: FakeGitHub) -> None:
    gh.limit_search(1, window=3600)
    src = source(gh, SearchLimiter(per_window=30, window=60, max_wait=5))
    with pytest.raises(RateLimited) as caught:
        src.fetch(REPO, window_start=NOW - timedelta(days=20), window_end=NOW - timedelta(days=19), now=NOW)
    reset = caught.value.reset_at
    assert timedelta(minutes=59) < reset - datetime.now(UTC) <= timedelta(minutes=60, seconds=1)
    assert caught.value.user_message == f"GitHub rate limit reached; it resets at {reset:%H:%M} UTC"
    assert gh.search_rejections == 1  # given up without asking again


def test_a_turn_further_away_than_the_bound_fails_with_when_the_budget_frees(gh: FakeGitHub) -> None:
    src = source(gh, SearchLimiter(per_window=1, window=60, max_wait=0.2))
    with pytest.raises(RateLimited) as caught:  # the second search of the fetch would wait a minute
        src.fetch(REPO, window_start=NOW - timedelta(days=20), window_end=NOW - timedelta(days=19), now=NOW)
    reset = caught.value.reset_at
    assert timedelta(seconds=55) < reset - datetime.now(UTC) <= timedelta(seconds=60)
    assert caught.value.user_message == f"GitHub rate limit reached; it resets at {reset:%H:%M} UTC"
    assert searches(gh) == 1 and gh.search_rejections == 0


def test_one_limiter_per_api_and_token_with_githubs_budgets() -> None:
    api = "https://github.example.com/api/v3"
    first = shared_limiter(api, "ghp_one")
    assert shared_limiter(api + "/", "ghp_one") is first
    assert shared_limiter(api, "ghp_two") is not first
    assert shared_limiter("https://api.github.com", "ghp_one") is not first
    assert first.per_window == 30 and shared_limiter(api, None).per_window == 10
    assert shared_limiter(api, "ghp_one", 12).per_window == 12
    one, other = GitHubSource(token="ghp_one", base_url=api), GitHubSource(token="ghp_one", base_url=api)
    assert one.search_limiter is other.search_limiter is first


def test_the_search_budget_comes_from_the_config_file(tmp_path) -> None:
    config = tmp_path / "ticket-report.yml"
    config.write_text("github_search_per_minute: 12\n", encoding="utf-8")
    settings = load_settings({"TICKET_REPORT_CONFIG": str(config)})
    assert settings.config.github_search_per_minute == 12
    config.write_text("github_search_per_minute: 0\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="github_search_per_minute"):
        load_settings({"TICKET_REPORT_CONFIG": str(config)})


# The limiter on its own, with clocks moved by hand ---------------------------------------------------


class Clocks:
    def __init__(self) -> None:
        self.mono = 500.0
        self.utc = datetime(2025, 4, 15, 12, 0, 0, tzinfo=UTC)

    def monotonic(self) -> float:
        return self.mono

    def now(self) -> datetime:
        return self.utc


def test_a_hold_past_the_deadline_fails_at_once_naming_githubs_reset() -> None:
    clocks = Clocks()
    limiter = SearchLimiter(per_window=5, max_wait=75, monotonic=clocks.monotonic, clock=clocks.now)
    reset = clocks.utc + timedelta(minutes=7, seconds=30)
    limiter.hold_until(reset)
    with pytest.raises(RateLimited) as caught:
        limiter.acquire(deadline=limiter.deadline())
    assert caught.value.reset_at == reset and "12:07 UTC" in caught.value.user_message


def test_slots_free_a_window_after_each_answer() -> None:
    clocks = Clocks()
    limiter = SearchLimiter(per_window=2, window=60, max_wait=0, monotonic=clocks.monotonic, clock=clocks.now)
    for _ in range(2):
        limiter.acquire(deadline=limiter.deadline())
        clocks.mono += 10
        limiter.release()  # answered at 510 and 520
    with pytest.raises(RateLimited) as caught:
        limiter.acquire(deadline=limiter.deadline())
    assert caught.value.reset_at == clocks.utc + timedelta(seconds=50)  # 510 + 60 - 520
    clocks.mono = 570
    limiter.acquire(deadline=limiter.deadline())
