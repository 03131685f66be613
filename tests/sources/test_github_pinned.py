"""Pinned issues: one GraphQL request per repository and fetch (with a token), marked on the tickets, kept
in snapshots, and never the reason a report fails. Real PyGithub over HTTP against the fake GitHub."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from github import Auth, Github, GithubException

from bot.errors import RepoNotFound
from bot.report.options import ReportOptions
from bot.service import ReportRequest, ReportService
from bot.sources.github import GitHubSource, SnapshotSource, read_snapshot, write_snapshot
from bot.sources.payloads import pinned_from_snapshot, pinned_numbers_from_graphql
from tests.fakes.github_data import make_comment, make_issue
from tests.fakes.github_server import FakeGitHub

REPO = "acme/support"
OTHER = "acme/billing"
NOW = datetime(2025, 4, 15, 12, 0, tzinfo=UTC)
TOKEN = "ghp_PINNEDsecret0123456789abcdef"
ROOT = Path(__file__).resolve().parents[2]
WINDOW = {"window_start": NOW - timedelta(days=2), "window_end": NOW, "now": NOW}


@pytest.fixture
def gh() -> Iterator[FakeGitHub]:
    with FakeGitHub(token=TOKEN) as fake:
        yield fake


def source(gh: FakeGitHub, **kwargs) -> GitHubSource:
    kwargs.setdefault("token", TOKEN)
    kwargs.setdefault("backoff_factor", 0.01)  # retries in tests should not sleep
    return GitHubSource(base_url=gh.url, **kwargs)


def add_support_repo(gh: FakeGitHub, *, name: str = REPO, pinned: list[int] | None = None) -> None:
    """Six issues opened yesterday, each with a comment; `pinned` are pinned to the repository."""
    start = NOW - timedelta(days=1)
    gh.add_repo(
        name,
        issues=[make_issue(n, repo=name, created_at=start + timedelta(minutes=n)) for n in range(1, 7)],
        comments=[
            make_comment(n, 500 + n, repo=name, created_at=start + timedelta(hours=n)) for n in range(1, 7)
        ],
        pinned=pinned,
    )


def pinned(data) -> list[int]:
    return sorted(t.number for t in data.tickets if t.pinned)


def graphql_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "bot.sources.github" and "GraphQL" in r.getMessage()]


# --- marking --------------------------------------------------------------------------------------------


def test_the_pinned_issues_github_names_are_marked_pinned(gh: FakeGitHub):
    add_support_repo(gh, pinned=[2, 5, 99])  # 99 is pinned but not in the window: no ticket to mark
    data = source(gh).fetch(REPO, **WINDOW)
    assert pinned(data) == [2, 5]
    assert len(data.tickets) == 6 and len(data.comments) == 6


def test_a_fetch_with_a_token_sends_exactly_one_graphql_request_on_top_of_the_page_budget(gh: FakeGitHub):
    add_support_repo(gh, pinned=[3])
    src = source(gh)
    src.fetch(REPO, **WINDOW)

    graphql = [r for r in gh.requests if r.path == "/graphql"]
    assert len(graphql) == 1
    (request,) = graphql
    assert request.method == "POST"
    assert request.headers["authorization"] == f"token {TOKEN}"
    assert request.body["variables"] == {"owner": "acme", "name": "support"}
    assert "pinnedIssues(first: 10)" in request.body["query"]
    budget = math.ceil(6 / 100) + math.ceil(6 / 100) + 2 + 1  # the list-mode budget, plus GraphQL
    assert src.request_count == len(gh.requests) <= budget
    assert gh.requests[-1].path == "/graphql"  # after the REST pages: an unreadable repo costs none


def test_without_a_token_no_graphql_request_is_sent_and_nothing_is_pinned(gh: FakeGitHub):
    add_support_repo(gh, pinned=[2, 5])
    src = source(gh, token=None)
    data = src.fetch(REPO, **WINDOW)
    assert pinned(data) == []
    assert gh.count("/graphql") == 0
    assert src.request_count == len(gh.requests) == 2


def test_a_past_window_searched_instead_of_listed_is_marked_too(gh: FakeGitHub):
    start = NOW - timedelta(days=30)
    gh.add_repo(
        REPO,
        issues=[make_issue(n, created_at=start + timedelta(hours=n)) for n in range(1, 4)],
        pinned=[1],
    )
    data = source(gh).fetch(REPO, window_start=start, window_end=start + timedelta(days=1), now=NOW)
    assert gh.count("/search/issues") == 2
    assert pinned(data) == [1] and gh.count("/graphql") == 1


def test_each_repository_of_a_report_costs_one_graphql_request_and_the_cache_repeats_none(gh: FakeGitHub):
    add_support_repo(gh, pinned=[1])
    add_support_repo(gh, name=OTHER, pinned=[4, 6])
    service = ReportService(source=source(gh), options=ReportOptions())
    request = ReportRequest(period_text="today", repos=(REPO, OTHER), tz=UTC)
    data = [service.fetch(repo, **WINDOW) for repo in (REPO, OTHER)]
    assert [pinned(d) for d in data] == [[1], [4, 6]]
    assert sorted(r.body["variables"]["name"] for r in gh.requests if r.path == "/graphql") == [
        "billing",
        "support",
    ]
    gh.clear_requests()
    service.build(request, now=NOW)
    service.build(request, now=NOW)  # within the cache: no request at all the second time
    assert gh.count("/graphql") == 2


def test_github_enterprise_answers_graphql_under_api_graphql():
    with FakeGitHub(prefix="/api/v3", token=TOKEN) as ghe:
        add_support_repo(ghe, pinned=[6])
        data = source(ghe).fetch(REPO, **WINDOW)
        assert ghe.graphql_path == "/api/graphql"
        assert pinned(data) == [6] and ghe.count("/graphql") == 1


def test_a_drill_down_sends_no_graphql_request(gh: FakeGitHub):
    add_support_repo(gh, pinned=[2])
    ticket, _ = source(gh).fetch_ticket(REPO, 2)
    assert ticket.number == 2 and not ticket.pinned
    assert gh.count("/graphql") == 0


def test_a_graphql_answer_that_fails_once_is_retried_like_any_other_request(gh: FakeGitHub):
    add_support_repo(gh, pinned=[4])
    gh.fail_next(1, 502, path_contains="/graphql")
    src = source(gh)
    data = src.fetch(REPO, **WINDOW)
    assert pinned(data) == [4]
    assert gh.count("/graphql") == 2 and src.request_count == 3  # transport retries are not counted


# --- failures -------------------------------------------------------------------------------------------

NOT_FOUND = {
    "data": {"repository": None},
    "errors": [{"type": "NOT_FOUND", "message": "Could not resolve to a Repository with the name 'x'."}],
}
FAILURES = {
    "500 after the retries": dict(count=3, status=500),  # retries=2: three attempts
    "an errors array": dict(status=200, body=NOT_FOUND),
    "403": dict(status=403, body={"message": "Resource not accessible by integration"}),
    "401": dict(status=401),
    "a rate limit": dict(status=429, headers={"Retry-After": "3600"}),
    "malformed JSON": dict(status=200, body=b'{"data": {"repository": '),
    "an empty body": dict(status=200, body=b""),
    "text, not JSON": dict(status=200, body=b"<html>upstream hiccup</html>"),
    "another shape": dict(status=200, body={"data": {"repository": {"pinnedIssues": None}}}),
}


@pytest.mark.parametrize("failure", FAILURES.values(), ids=FAILURES.keys())
def test_a_failed_graphql_request_leaves_nothing_pinned_logs_one_line_and_the_report_is_built(
    gh: FakeGitHub, caplog: pytest.LogCaptureFixture, failure: dict
):
    add_support_repo(gh, pinned=[2, 5])
    request = ReportRequest(period_text="today", repos=(REPO,), tz=UTC)
    expected = ReportService(source=source(gh, token=None), options=ReportOptions()).build(request, now=NOW)
    caplog.set_level(logging.DEBUG)
    src = source(gh, retries=2)

    gh.fail_next(**failure, path_contains="/graphql")
    data = src.fetch(REPO, **WINDOW)
    assert pinned(data) == [] and len(data.tickets) == 6
    assert src.request_count == 3  # two pages and one GraphQL request
    (warning,) = graphql_warnings(caplog)
    assert warning.levelno == logging.WARNING and warning.exc_info is None
    assert REPO in warning.getMessage() and "\n" not in warning.getMessage()

    gh.fail_next(**failure, path_contains="/graphql")
    report = ReportService(source=src, options=ReportOptions()).build(request, now=NOW)
    assert report.totals == expected.totals
    assert len(graphql_warnings(caplog)) == 2
    assert TOKEN not in caplog.text


def test_a_graphql_request_that_times_out_leaves_nothing_pinned(
    gh: FakeGitHub, caplog: pytest.LogCaptureFixture
):
    add_support_repo(gh, pinned=[2])
    gh.fail_next(1, 200, delay=1.5, path_contains="/graphql")
    data = source(gh, timeout=1, retries=0).fetch(REPO, **WINDOW)
    assert pinned(data) == [] and len(data.tickets) == 6
    (warning,) = graphql_warnings(caplog)
    assert warning.levelno == logging.WARNING and "in time" in warning.getMessage()


def test_a_failure_of_the_rest_pages_still_fails_the_fetch_before_any_graphql_request(gh: FakeGitHub):
    with pytest.raises(RepoNotFound):
        source(gh).fetch("acme/missing", **WINDOW)
    assert gh.count("/graphql") == 0


# --- snapshots ------------------------------------------------------------------------------------------


def test_a_snapshot_keeps_the_pinned_issues_and_reports_them_like_the_api(gh: FakeGitHub, tmp_path: Path):
    add_support_repo(gh, pinned=[2, 5])
    add_support_repo(gh, name=OTHER, pinned=[])
    path = tmp_path / "snapshot.json"
    write_snapshot(source(gh), repos=[REPO, OTHER], since=NOW - timedelta(days=3), now=NOW, path=path)

    raw = json.loads(path.read_text())
    assert raw["pinned"] == {REPO: [2, 5], OTHER: []}
    assert gh.count("/graphql") == 2
    assert pinned(read_snapshot(path)[REPO]) == [2, 5]
    assert pinned(read_snapshot(path)[OTHER]) == []

    live = source(gh).fetch(REPO, **WINDOW)
    offline = SnapshotSource(path)
    assert offline.fetch(REPO, **WINDOW) == live
    assert offline.fetch_ticket(REPO, 5)[0].pinned
    assert not offline.fetch_ticket(REPO, 4)[0].pinned


def test_snapshot_repository_names_match_whatever_their_case(gh: FakeGitHub, tmp_path: Path):
    add_support_repo(gh)
    path = tmp_path / "snapshot.json"
    write_snapshot(source(gh, token=None), repos=[REPO], since=NOW - timedelta(days=3), now=NOW, path=path)
    raw = json.loads(path.read_text())
    raw["pinned"] = {"ACME/Support": [3]}
    path.write_text(json.dumps(raw))
    assert pinned(read_snapshot(path)[REPO]) == [3]
    assert pinned(SnapshotSource(path).fetch("Acme/SUPPORT", **WINDOW)) == [3]
    assert SnapshotSource(path).fetch_ticket("acme/support", 3)[0].pinned


def test_a_snapshot_written_without_a_token_has_no_pinned_key_and_loads(gh: FakeGitHub, tmp_path: Path):
    add_support_repo(gh, pinned=[2])
    path = tmp_path / "snapshot.json"
    write_snapshot(source(gh, token=None), repos=[REPO], since=NOW - timedelta(days=3), now=NOW, path=path)
    assert "pinned" not in json.loads(path.read_text())
    assert gh.count("/graphql") == 0
    assert pinned(read_snapshot(path)[REPO]) == []
    assert len(SnapshotSource(path).fetch(REPO, **WINDOW).tickets) == 6


def test_an_old_snapshot_without_the_pinned_key_still_loads():
    example = ROOT / "config" / "snapshot-example.json"
    assert "pinned" not in json.loads(example.read_text())
    by_repo = read_snapshot(example)
    assert by_repo and all(not t.pinned for data in by_repo.values() for t in data.tickets)
    repo = next(iter(by_repo))
    ticket = by_repo[repo].tickets[0]
    assert not SnapshotSource(example).fetch_ticket(repo, ticket.number)[0].pinned


def test_unreadable_pinned_entries_in_a_snapshot_are_skipped():
    assert pinned_from_snapshot(None) == {}
    assert pinned_from_snapshot([1, 2]) == {}
    assert pinned_from_snapshot({"a/b": [1, "2", "²", None, -3, True, 4.5], "c/d": "7", 5: [1]}) == {
        "a/b": frozenset({1, 2})
    }


# --- the GraphQL answer and the fake --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "numbers"),
    [
        ({"data": {"repository": {"pinnedIssues": {"nodes": [{"issue": {"number": 12}}]}}}}, {12}),
        ({"data": {"repository": {"pinnedIssues": {"nodes": []}}}}, set()),
        (
            {"data": {"repository": {"pinnedIssues": {"nodes": [None, {"issue": None}, {"issue": {}}]}}}},
            set(),
        ),
        ({"data": {"repository": None}}, None),
        ({"data": "<html>"}, None),
        (None, None),
        ([], None),
    ],
)
def test_the_graphql_answer_is_read_defensively(answer: object, numbers: set[int] | None):
    result = pinned_numbers_from_graphql(answer)
    assert result == (None if numbers is None else frozenset(numbers))


def test_the_fake_answers_graphql_like_github_and_refuses_it_without_a_token(gh: FakeGitHub):
    add_support_repo(gh, pinned=[1])
    requester = Github(base_url=gh.url).requester
    query = 'query { repository(owner: "acme", name: "support") { pinnedIssues(first: 3) { nodes { issue {'
    query += " number } } } } }"
    with pytest.raises(GithubException) as caught:
        requester.requestJsonAndCheck("POST", requester.graphql_url, input={"query": query})
    assert caught.value.status == 401
    assert [(r.method, r.path) for r in gh.requests] == [("POST", "/graphql")]

    authed = Github(base_url=gh.url, auth=Auth.Token(TOKEN)).requester
    _, answer = authed.requestJsonAndCheck("POST", authed.graphql_url, input={"query": query})
    assert answer == {"data": {"repository": {"pinnedIssues": {"nodes": [{"issue": {"number": 1}}]}}}}
    _, answer = authed.requestJsonAndCheck(
        "POST", authed.graphql_url, input={"query": "{ viewer { login } }"}
    )
    assert "errors" in answer
