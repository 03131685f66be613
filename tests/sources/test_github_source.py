"""GitHubSource drives the real PyGithub client over HTTP against the fake GitHub server."""

from __future__ import annotations

import json
import math
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.errors import BadCredentials, BadInput, GitHubUnavailable, RateLimited, RepoNotFound, TicketNotFound
from bot.report.models import TicketData
from bot.sources.github import GitHubSource, SnapshotSource, read_snapshot, write_snapshot
from bot.sources.payloads import comments_from_payloads, select_window, tickets_from_issues
from tests.fakes.github_data import make_comment, make_issue, synthetic_repo
from tests.fakes.github_server import FakeGitHub

REPO = "acme/support"
NOW = datetime(2025, 4, 15, 12, 0, tzinfo=UTC)
TOKEN = "ghp_SECRETsecretSECRET0123456789"


@pytest.fixture
def gh() -> Iterator[FakeGitHub]:
    with FakeGitHub() as fake:
        yield fake


def source(gh: FakeGitHub, **kwargs) -> GitHubSource:
    kwargs.setdefault("token", None)
    kwargs.setdefault("backoff_factor", 0.01)  # retries in tests should not sleep
    return GitHubSource(base_url=gh.url, **kwargs)


def truth(issues: list[dict], comments: list[dict], start: datetime, end: datetime) -> TicketData:
    """What a fetch must return, computed from all the payloads without any HTTP."""
    return select_window(
        tickets_from_issues(issues, repo=REPO),
        comments_from_payloads(comments, repo=REPO),
        window_start=start,
        window_end=end,
    )


def recent_repo(
    *, n_issues: int, n_comments: int, n_prs: int = 0, later_comments: int = 0, end: datetime = NOW
) -> tuple[list[dict], list[dict]]:
    """Issues opened in the two days before `end`, comments spread over that time, optionally more comments
    after `end`, and some pull requests with their own comments."""
    start = end - timedelta(days=2)
    issues, comments = [], []
    for n in range(1, n_issues + n_prs + 1):
        created = start + timedelta(minutes=n)
        issues.append(
            make_issue(
                n, created_at=created, updated_at=end - timedelta(minutes=1), pull_request=n > n_issues
            )
        )
    for i in range(n_comments):
        number = i % (n_issues + n_prs) + 1
        at = start + timedelta(hours=1, minutes=i * 2)
        comments.append(make_comment(number, 10_000 + i, created_at=at, pull_request=number > n_issues))
    for i in range(later_comments):
        comments.append(make_comment(1, 90_000 + i, created_at=end + timedelta(seconds=i + 1)))
    return issues, comments


# --- list mode ------------------------------------------------------------------------------------------


def test_list_mode_stays_within_the_page_budget(gh: FakeGitHub):
    issues, comments = recent_repo(n_issues=250, n_comments=430)
    gh.add_repo(REPO, issues=issues, comments=comments)
    src = source(gh)
    data = src.fetch(REPO, window_start=NOW - timedelta(days=2), window_end=NOW, now=NOW)

    budget = math.ceil(250 / 100) + math.ceil(430 / 100) + 2
    assert len(gh.requests) <= budget
    assert gh.count("/issues/comments") == 5 and gh.count(f"/repos/{REPO}/issues") - 5 == 3
    assert src.request_count == len(gh.requests)
    assert data == truth(issues, comments, NOW - timedelta(days=2), NOW)
    assert len(data.tickets) == 250 and len(data.comments) == 430


def test_every_request_asks_for_100_per_page_and_none_fetches_one_ticket(gh: FakeGitHub):
    issues, comments = recent_repo(n_issues=120, n_comments=150)
    gh.add_repo(REPO, issues=issues, comments=comments)
    source(gh).fetch(REPO, window_start=NOW - timedelta(days=2), window_end=NOW, now=NOW)
    assert gh.requests
    assert all(r.query.get("per_page") == "100" for r in gh.requests)
    assert not [r.path for r in gh.requests if r.path.rstrip("/").split("/")[-1].isdigit()]


def test_comment_pages_stop_once_they_reach_the_window_end(gh: FakeGitHub):
    end = NOW - timedelta(hours=3)
    issues, comments = recent_repo(n_issues=50, n_comments=230, later_comments=500, end=end)
    gh.add_repo(REPO, issues=issues, comments=comments)
    data = source(gh).fetch(REPO, window_start=end - timedelta(days=2), window_end=end, now=NOW)
    pages = [r.query.get("page", "1") for r in gh.requests if r.path.endswith("/issues/comments")]
    assert pages == [
        "1",
        "2",
        "3",
    ]  # 230 in the window + the start of the later ones, never the other 5 pages
    assert len(data.comments) == 230


def test_since_is_sent_in_utc_whatever_the_window_timezone(gh: FakeGitHub):
    gh.add_repo(REPO)
    start = datetime(2025, 4, 14, 0, 0, tzinfo=ZoneInfo("Europe/Berlin"))  # 2025-04-13T22:00Z
    source(gh).fetch(REPO, window_start=start, window_end=NOW, now=NOW)
    sent = {r.path: r.query for r in gh.requests}
    assert sent[f"/repos/{REPO}/issues"]["since"] == "2025-04-13T22:00:00Z"
    assert sent[f"/repos/{REPO}/issues"]["state"] == "all"
    assert sent[f"/repos/{REPO}/issues/comments"] | {} == {
        "since": "2025-04-13T22:00:00Z",
        "sort": "created",
        "direction": "asc",
        "per_page": "100",
    }


def test_pull_requests_and_their_comments_are_left_out(gh: FakeGitHub):
    issues, comments = recent_repo(n_issues=20, n_comments=60, n_prs=5)
    gh.add_repo(REPO, issues=issues, comments=comments)
    data = source(gh).fetch(REPO, window_start=NOW - timedelta(days=2), window_end=NOW, now=NOW)
    assert sorted(t.number for t in data.tickets) == list(range(1, 21))
    assert {c.issue_number for c in data.comments} <= set(range(1, 21))
    assert len(data.comments) == sum(1 for i in range(60) if i % 25 + 1 <= 20)


def test_a_token_is_sent_as_authorization(gh: FakeGitHub):
    gh.token = TOKEN
    gh.add_repo(REPO, private=True)
    source(gh, token=TOKEN).fetch(REPO, window_start=NOW - timedelta(days=1), window_end=NOW, now=NOW)
    assert {r.headers.get("authorization") for r in gh.requests} == {f"token {TOKEN}"}


def test_github_enterprise_base_url_with_a_path_prefix_works():
    with FakeGitHub(prefix="/api/v3") as ghe:
        issues, comments = recent_repo(n_issues=150, n_comments=120)
        ghe.add_repo(REPO, issues=issues, comments=comments)
        assert ghe.url.endswith("/api/v3")
        data = source(ghe).fetch(REPO, window_start=NOW - timedelta(days=2), window_end=NOW, now=NOW)
        assert len(data.tickets) == 150 and len(data.comments) == 120
        assert len(ghe.requests) == 4  # two pages of each, following Link headers under /api/v3


def test_one_source_serves_concurrent_fetches_of_different_repositories(gh: FakeGitHub):
    for k in range(6):
        name = f"acme/r{k}"
        gh.add_repo(
            name,
            issues=[make_issue(n, repo=name, created_at=NOW - timedelta(hours=1)) for n in range(1, k + 2)],
        )
    gh.delay = 0.01
    src = source(gh)

    def tickets(k: int) -> tuple[str, ...]:
        data = src.fetch(f"acme/r{k}", window_start=NOW - timedelta(days=1), window_end=NOW, now=NOW)
        return tuple(f"{t.repo}#{t.number}" for t in data.tickets)

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(tickets, [k for k in range(6) for _ in range(4)]))
    expected = [tuple(f"acme/r{k}#{n}" for n in range(1, k + 2)) for k in range(6) for _ in range(4)]
    assert results == expected
    assert src.request_count == len(gh.requests) == 2 * 24
    src.close()


# --- past windows: search mode --------------------------------------------------------------------------


def test_a_past_window_costs_a_small_multiple_of_its_tickets_and_matches_the_truth(gh: FakeGitHub):
    repo = synthetic_repo(5000, 15000, seed=7, repo=REPO, end=NOW, days=365)
    gh.add_repo(REPO, issues=repo.issues, comments=repo.comments)
    start, end = NOW - timedelta(days=200), NOW - timedelta(days=199)
    src = source(gh)
    data = src.fetch(REPO, window_start=start, window_end=end, now=NOW)

    assert data == truth(repo.issues, repo.comments, start, end)
    assert len(data.tickets) >= 10
    assert len(gh.requests) <= 2 * len(data.tickets) + 4
    searched = len(gh.requests)
    queries = [r.query["q"] for r in gh.requests if r.path == "/search/issues"]
    span = "2024-09-27T12:00:00Z..2024-09-28T12:00:00Z"
    assert queries == [f"repo:{REPO} is:issue created:{span}", f"repo:{REPO} is:issue closed:{span}"]
    assert gh.count(f"/repos/{REPO}/issues/") - gh.count("/issues/comments") == len(data.tickets) - len(
        {n for q in ("created", "closed") for n in _numbers_found(repo.issues, q, start, end)}
    )
    gh.clear_requests()  # listing "updated since" a date long ago pages through far more
    src._list_mode(REPO, window_start=start, window_end=end)
    assert searched < len(gh.requests)


def _numbers_found(issues: list[dict], field: str, start: datetime, end: datetime) -> set[int]:
    def inside(value: str | None) -> bool:
        return value is not None and start <= datetime.fromisoformat(value) <= end

    return {i["number"] for i in issues if "pull_request" not in i and inside(i.get(f"{field}_at"))}


def test_a_search_over_githubs_1000_result_cap_falls_back_to_listing(gh: FakeGitHub):
    start, end = NOW - timedelta(days=10), NOW - timedelta(days=9)
    issues = [
        make_issue(n, created_at=start + timedelta(seconds=n * 20), updated_at=start + timedelta(hours=12))
        for n in range(1, 1101)
    ]
    gh.add_repo(REPO, issues=issues)
    data = source(gh).fetch(REPO, window_start=start, window_end=end, now=NOW)
    assert len(data.tickets) == 1100
    assert gh.count("/search/issues") == 1  # the first page said total_count > 1000
    assert gh.count(f"/repos/{REPO}/issues") - gh.count("/issues/comments") == 11


# --- drill-down -----------------------------------------------------------------------------------------


def _ticket_with_comments(gh: FakeGitHub, number: int, n_comments: int) -> None:
    created = NOW - timedelta(days=30)
    gh.add_repo(
        REPO,
        issues=[make_issue(number, created_at=created, comments=n_comments)],
        comments=[
            make_comment(number, 1000 + i, created_at=created + timedelta(hours=i)) for i in range(n_comments)
        ],
    )


@pytest.mark.parametrize(
    ("n_comments", "requests", "expected_ids"),
    [
        (0, 1, []),
        (5, 2, list(range(1000, 1005))),
        (250, 3, [*range(1000, 1100), *range(1200, 1250)]),  # first page and the newest page
        (201, 3, list(range(1100, 1201))),  # the newest page holds one: the two newest pages
    ],
)
def test_a_drill_down_costs_at_most_three_requests(
    gh: FakeGitHub, n_comments: int, requests: int, expected_ids: list[int]
):
    _ticket_with_comments(gh, 7, n_comments)
    src = source(gh)
    ticket, comments = src.fetch_ticket(REPO, 7)
    assert ticket.number == 7 and ticket.comments_count == n_comments
    assert [c.id for c in comments] == expected_ids
    assert len(gh.requests) == requests == src.request_count
    assert all(r.query.get("per_page") == "100" for r in gh.requests if "comments" in r.path)


def test_a_drill_down_on_a_pull_request_or_a_deleted_or_unknown_issue_says_so(gh: FakeGitHub):
    gh.add_repo(
        REPO,
        issues=[make_issue(1, created_at=NOW, pull_request=True), make_issue(2, created_at=NOW)],
    )
    gh.delete_issue(REPO, 2)
    src = source(gh)
    with pytest.raises(TicketNotFound, match="pull request"):
        src.fetch_ticket(REPO, 1)
    with pytest.raises(TicketNotFound, match="deleted"):
        src.fetch_ticket(REPO, 2)
    with pytest.raises(TicketNotFound, match="not found"):
        src.fetch_ticket(REPO, 3)


# --- retries and failures -------------------------------------------------------------------------------


def test_a_502_is_retried_and_the_fetch_succeeds(gh: FakeGitHub):
    issues, comments = recent_repo(n_issues=3, n_comments=3)
    gh.add_repo(REPO, issues=issues, comments=comments)
    gh.fail_next(1, 502)
    data = source(gh).fetch(REPO, window_start=NOW - timedelta(days=2), window_end=NOW, now=NOW)
    assert len(data.tickets) == 3
    assert gh.count(f"/repos/{REPO}/issues") == 3  # the failed list request, its retry, the comments


def test_a_429_with_retry_after_is_retried_and_succeeds(gh: FakeGitHub):
    gh.add_repo(REPO, issues=recent_repo(n_issues=2, n_comments=0)[0])
    gh.fail_next(1, 429, headers={"Retry-After": "1"})
    data = source(gh).fetch(REPO, window_start=NOW - timedelta(days=2), window_end=NOW, now=NOW)
    assert len(data.tickets) == 2
    assert len(gh.requests) == 3


def test_a_secondary_rate_limit_is_retried(gh: FakeGitHub):
    gh.add_repo(REPO, issues=recent_repo(n_issues=2, n_comments=0)[0])
    gh.fail_with_secondary_rate_limit(1, retry_after=1)
    data = source(gh).fetch(REPO, window_start=NOW - timedelta(days=2), window_end=NOW, now=NOW)
    assert len(data.tickets) == 2 and len(gh.requests) == 3


def test_a_secondary_rate_limit_without_retry_after_waits_at_most_the_allowed_wait(gh: FakeGitHub):
    gh.add_repo(REPO, issues=recent_repo(n_issues=2, n_comments=0)[0])
    gh.fail_with_secondary_rate_limit(1)
    data = source(gh, max_rate_limit_wait=0.2).fetch(
        REPO, window_start=NOW - timedelta(days=2), window_end=NOW, now=NOW
    )
    assert len(data.tickets) == 2 and len(gh.requests) == 3


def test_a_429_saying_the_primary_limit_is_used_up_gives_up_at_once(gh: FakeGitHub):
    gh.add_repo(REPO)
    reset = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=20)
    gh.fail_next(
        1, 429, headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(reset.timestamp()))}
    )
    with pytest.raises(RateLimited) as caught:
        source(gh).fetch(REPO, window_start=NOW - timedelta(days=1), window_end=NOW, now=NOW)
    assert len(gh.requests) == 1 and caught.value.reset_at == reset


def test_a_primary_rate_limit_gives_up_at_once_with_the_reset_time(gh: FakeGitHub):
    gh.add_repo(REPO)
    reset = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=47)
    gh.rate_limited_until = reset
    with pytest.raises(RateLimited) as caught:
        source(gh, token=TOKEN).fetch(REPO, window_start=NOW - timedelta(days=1), window_end=NOW, now=NOW)
    assert len(gh.requests) == 1  # no retry, no sleeping until the reset
    assert caught.value.reset_at == reset
    assert caught.value.user_message == f"GitHub rate limit reached; it resets at {reset:%H:%M} UTC"


def test_a_retry_after_longer_than_the_allowed_wait_gives_up_at_once(gh: FakeGitHub):
    gh.add_repo(REPO)
    gh.fail_next(1, 429, headers={"Retry-After": "3600"})
    with pytest.raises(RateLimited) as caught:
        source(gh).fetch(REPO, window_start=NOW - timedelta(days=1), window_end=NOW, now=NOW)
    assert len(gh.requests) == 1
    assert caught.value.reset_at > datetime.now(UTC) + timedelta(minutes=59)


def test_a_429_after_the_last_retry_is_a_rate_limit(gh: FakeGitHub):
    gh.add_repo(REPO)
    gh.fail_next(3, 429, headers={"Retry-After": "0"})
    with pytest.raises(RateLimited):
        source(gh, retries=2).fetch(REPO, window_start=NOW - timedelta(days=1), window_end=NOW, now=NOW)
    assert len(gh.requests) == 3


def test_server_errors_that_persist_make_github_unavailable_after_bounded_retries(gh: FakeGitHub):
    gh.add_repo(REPO)
    gh.fail_next(10, 500)
    with pytest.raises(GitHubUnavailable, match="HTTP 500"):
        source(gh, retries=2).fetch(REPO, window_start=NOW - timedelta(days=1), window_end=NOW, now=NOW)
    assert len(gh.requests) == 3


def test_an_unknown_repository_is_repo_not_found(gh: FakeGitHub):
    with pytest.raises(RepoNotFound, match="acme/missing"):
        source(gh).fetch("acme/missing", window_start=NOW - timedelta(days=1), window_end=NOW, now=NOW)
    with pytest.raises(RepoNotFound):  # past window: search mode
        source(gh).fetch(
            "acme/missing", window_start=NOW - timedelta(days=9), window_end=NOW - timedelta(days=8), now=NOW
        )


def test_a_bad_token_is_bad_credentials_and_never_shown(gh: FakeGitHub):
    gh.token = "the-right-one"
    gh.add_repo(REPO)
    with pytest.raises(BadCredentials) as caught:
        source(gh, token=TOKEN).fetch(REPO, window_start=NOW - timedelta(days=1), window_end=NOW, now=NOW)
    assert "GITHUB_TOKEN" in caught.value.user_message
    for text in (caught.value.user_message, str(caught.value), repr(caught.value)):
        assert TOKEN not in text


def test_a_slow_github_times_out_as_unavailable(gh: FakeGitHub):
    gh.add_repo(REPO)
    gh.delay = 1.5
    with pytest.raises(GitHubUnavailable, match="in time"):
        source(gh, timeout=1, retries=0).fetch(
            REPO, window_start=NOW - timedelta(days=1), window_end=NOW, now=NOW
        )


def test_nothing_listening_is_unavailable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    src = GitHubSource(token=TOKEN, base_url=f"http://127.0.0.1:{port}", retries=0)
    with pytest.raises(GitHubUnavailable, match="Could not reach") as caught:
        src.fetch(REPO, window_start=NOW - timedelta(days=1), window_end=NOW, now=NOW)
    assert TOKEN not in caught.value.user_message


def test_bad_input_is_refused_before_any_request(gh: FakeGitHub):
    with pytest.raises(BadInput):
        source(gh).fetch("../../etc", window_start=NOW - timedelta(days=1), window_end=NOW, now=NOW)
    with pytest.raises(BadInput):
        GitHubSource(token=None, base_url="ftp://example.com")
    assert gh.requests == []


# --- snapshots ------------------------------------------------------------------------------------------


def test_a_snapshot_round_trips_and_reports_like_the_api(gh: FakeGitHub, tmp_path: Path):
    repo = synthetic_repo(400, 1500, seed=3, repo=REPO, end=NOW, days=20)
    gh.add_repo(REPO, issues=repo.issues, comments=repo.comments)
    since = NOW - timedelta(days=6)
    path = tmp_path / "snapshot.json"
    summary = write_snapshot(source(gh), repos=[REPO], since=since, now=NOW, path=path)
    assert REPO in summary

    raw = json.loads(path.read_text())
    assert set(raw) >= {"issues", "comments"}
    assert any("pull_request" in i for i in raw["issues"])  # exactly as the API listed them

    by_repo = read_snapshot(path)
    assert set(by_repo) == {REPO}
    recent = [i for i in repo.issues if i["updated_at"] >= "2025-04-09T12:00:00Z"]
    assert by_repo[REPO].tickets == tuple(
        sorted(tickets_from_issues(recent, repo=REPO), key=lambda t: t.number)
    )
    assert by_repo[REPO].comments_since == since

    start, end = NOW - timedelta(days=4), NOW - timedelta(hours=2)
    live = source(gh).fetch(REPO, window_start=start, window_end=end, now=NOW)
    offline = SnapshotSource(path).fetch(REPO, window_start=start, window_end=end, now=NOW)
    assert offline == live
    with pytest.raises(RepoNotFound, match="acme/support"):
        SnapshotSource(path).fetch("other/repo", window_start=start, window_end=end, now=NOW)


def test_a_missing_or_malformed_snapshot_is_bad_input(tmp_path: Path):
    with pytest.raises(BadInput, match="does not exist"):
        read_snapshot(tmp_path / "nope.json")
    (tmp_path / "bad.json").write_text("[1, 2")
    with pytest.raises(BadInput, match="JSON"):
        read_snapshot(tmp_path / "bad.json")
    (tmp_path / "list.json").write_text("[]")
    with pytest.raises(BadInput, match="issues"):
        SnapshotSource(tmp_path / "list.json")


# --- conditional pages (the ticket mirror's sync) -------------------------------------------------------


def test_a_conditional_page_is_answered_304_while_nothing_changed(gh: FakeGitHub):
    issues, _ = recent_repo(n_issues=25, n_comments=0)
    gh.add_repo(REPO, issues=issues)
    src = source(gh, token=TOKEN)
    params = {"state": "all", "sort": "created", "direction": "asc", "per_page": 10}
    first = src.conditional_page(REPO, f"/repos/{REPO}/issues", params)
    assert first.status == 200 and [i["number"] for i in first.items] == list(range(1, 11))
    assert first.url == f"/repos/{REPO}/issues?direction=asc&per_page=10&sort=created&state=all"
    assert first.next_url == f"/repos/{REPO}/issues?direction=asc&page=2&per_page=10&sort=created&state=all"
    assert first.page == 1 and first.last_page == 3 and first.etag and first.etag.startswith('W/"')
    again = src.conditional_page(REPO, first.url, etag=first.etag)
    assert again.not_modified and again.items == [] and again.etag == first.etag
    assert gh.requests[-1].headers["if-none-match"] == first.etag
    gh.edit_issue(REPO, 4, title="Changed")
    changed = src.conditional_page(REPO, first.url, etag=first.etag)
    assert changed.status == 200 and changed.etag != first.etag
    assert src.request_count == len(gh.requests) == 3 and src.not_modified_count == gh.not_modified_count == 1
    second = src.conditional_page(REPO, first.next_url)
    last = src.conditional_page(REPO, second.next_url)
    assert last.page == 3 and last.next_url is None and last.last_page is None


def test_conditional_pages_under_a_github_enterprise_prefix_follow_relative_links():
    with FakeGitHub(prefix="/api/v3") as ghe:
        ghe.add_repo(REPO, issues=recent_repo(n_issues=15, n_comments=0)[0])
        src = source(ghe)
        first = src.conditional_page(REPO, f"/repos/{REPO}/issues", {"state": "all", "per_page": 10})
        assert first.next_url is not None and first.next_url.startswith(f"/repos/{REPO}/issues?")
        second = src.conditional_page(REPO, first.next_url)
        assert len(first.items) + len(second.items) == 15
        assert [r.path for r in ghe.requests] == [f"/repos/{REPO}/issues"] * 2


def test_conditional_page_failures_fall_into_the_usual_categories(gh: FakeGitHub):
    gh.add_repo(REPO, issues=recent_repo(n_issues=2, n_comments=0)[0])
    with pytest.raises(RepoNotFound, match="acme/missing"):
        source(gh).conditional_page("acme/missing", "/repos/acme/missing/issues")
    gh.fail_next(2, 502)
    with pytest.raises(GitHubUnavailable, match="502"):
        source(gh, retries=1).conditional_page(REPO, f"/repos/{REPO}/issues")
    gh.fail_with_primary_rate_limit(reset_at=datetime.now(UTC) + timedelta(hours=1), count=3)
    with pytest.raises(RateLimited):
        source(gh, retries=1).conditional_page(REPO, f"/repos/{REPO}/issues")


def test_current_issue_is_none_once_deleted_or_transferred(gh: FakeGitHub):
    gh.add_repo(REPO, issues=[make_issue(n, created_at=NOW) for n in (1, 2, 3, 4)])
    gh.add_repo("acme/elsewhere")
    gh.delete_issue(REPO, 2)
    moved = gh.transfer_issue(REPO, 3, to="acme/elsewhere")
    gh.transfer_issue(REPO, 4)  # to a repository the fake does not serve: 404
    src = source(gh)
    assert src.current_issue(REPO, 1)["number"] == 1
    assert [src.current_issue(REPO, n) for n in (2, 3, 4, 5)] == [None] * 4
    assert [(a.request.path, a.status) for a in gh.answers if a.status in (301, 410)] == [
        (f"/repos/{REPO}/issues/2", 410),
        (f"/repos/{REPO}/issues/3", 301),
    ]
    assert any(a.request.path.endswith(f"/issues/{moved}") and a.status == 200 for a in gh.answers)
