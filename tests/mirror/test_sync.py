"""MirrorSync and `python -m bot sync` against the fake GitHub over real HTTP (the real PyGithub client),
on SQLite and on PostgreSQL."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.cli import main
from bot.errors import GitHubUnavailable, RateLimited
from bot.mirror.sync import MirrorSync, SyncProgress
from bot.sources.github import GitHubSource
from bot.store import Store
from bot.store.mirror import Mirror
from tests.db_fixtures import (  # noqa: F401
    BackendUrl,
    backend_url_fixture,
    pg_target_fixture,
    sqlite_url_fixture,
    store_fixture,
)
from tests.fakes.github_data import make_comment, synthetic_repo
from tests.fakes.github_server import FakeGitHub

ROOT = Path(__file__).resolve().parents[2]
REPO = "acme/support"
ELSEWHERE = "acme/elsewhere"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
TOKEN = "ghp_MIRRORmirrorMIRROR0123456789"
PER_PAGE = 10
N_ISSUES, N_COMMENTS = 45, 95  # 5 + 10 pages of 10


@pytest.fixture(name="gh")
def gh_fixture() -> Iterator[FakeGitHub]:
    """45 issues (#4, #5 and #29 are pull requests, with 13 of the 95 comments; #3 is pinned)."""
    with FakeGitHub(token=TOKEN) as fake:
        data = synthetic_repo(N_ISSUES, N_COMMENTS, seed=11, repo=REPO)
        fake.add_repo(REPO, issues=data.issues, comments=data.comments, pinned=[3])
        fake.add_repo(ELSEWHERE)
        yield fake


@pytest.fixture(name="mirror")
def mirror_fixture(store: Store) -> Mirror:
    return Mirror(store.engine)


def syncer(gh: FakeGitHub, mirror: Mirror, *, token: str | None = None, **options) -> MirrorSync:
    source = GitHubSource(token=token, base_url=gh.url, retries=1, backoff_factor=0.01)
    options.setdefault("owner", "test")
    options.setdefault("per_page", PER_PAGE)
    return MirrorSync(source, mirror, **options)


def github_ids(gh: FakeGitHub, repo: str = REPO) -> tuple[set[int], set[int]]:
    """What GitHub holds now: every issue and pull request number, and the ids of the issue comments
    (the mirror keeps no pull request comments)."""
    issues = {i["number"] for page in _all(gh, f"/repos/{repo}/issues?state=all") for i in page}
    comments = {
        c["id"]
        for page in _all(gh, f"/repos/{repo}/issues/comments")
        for c in page
        if "/pull/" not in c["html_url"]
    }
    return issues, comments


def _all(gh: FakeGitHub, url: str) -> Iterator[list[dict]]:
    """Every page of a listing, read with a source of its own (so the test's counts stay as they are)."""
    with GitHubSource(token=None, base_url=gh.url) as source:
        next_url: str | None = url
        while next_url:
            page = source.conditional_page(REPO, next_url, {"per_page": 100} if next_url == url else None)
            yield page.items
            next_url = page.next_url


def mirror_ids(mirror: Mirror) -> tuple[set[int], set[int]]:
    """The live issue numbers and comment ids the mirror holds."""
    issues = mirror.issue_numbers(REPO, created_from=EPOCH, created_to=datetime(2100, 1, 1, tzinfo=UTC))
    comments = {i for number in issues for i in mirror.comment_ids(REPO, number)}
    return issues, comments


def assert_mirror_matches(gh: FakeGitHub, mirror: Mirror) -> None:
    """The mirror holds exactly what GitHub does, each row once (the counts count rows)."""
    issues, comments = mirror_ids(mirror)
    want_issues, want_comments = github_ids(gh)
    assert issues == want_issues
    assert comments == want_comments
    assert mirror.counts(REPO) == (len(want_issues), len(want_comments))


def first_sync_pages(gh: FakeGitHub) -> int:
    with gh._lock:
        repo = gh._repos[REPO]
        return math.ceil(len(repo.issues) / PER_PAGE) + math.ceil(len(repo.comments) / PER_PAGE)


def issue_numbers(gh: FakeGitHub, *, pull_requests: bool = False) -> list[int]:
    with gh._lock:
        issues = gh._repos[REPO].issues.values()
        return sorted(i["number"] for i in issues if ("pull_request" in i) == pull_requests)


# --- the first sync ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, TOKEN])
def test_a_first_sync_reads_each_page_once_and_holds_every_issue_and_comment(
    gh: FakeGitHub, mirror: Mirror, token: str | None
) -> None:
    steps: list[SyncProgress] = []
    before = datetime.now(UTC)
    result = syncer(gh, mirror, token=token, progress=steps.append).sync(REPO)
    pages = first_sync_pages(gh)
    assert result.kind == "backfill" and result.finished
    assert result.requests == len(gh.requests) == pages + (1 if token else 0)
    assert gh.count("/graphql") == (1 if token else 0)
    assert_mirror_matches(gh, mirror)
    assert result.summary() == (
        f"{REPO}: first sync done, {N_ISSUES} issues, {result.comments} comments, {result.requests} requests"
    )
    # progress after every page, with what is left from Link rel="last" once both listings answered
    assert [s.pages for s in steps] == list(range(1, pages + 1))
    assert steps[1].pages_left == pages - 2 and steps[-1].pages_left == 0
    assert steps[-1].issues == N_ISSUES and steps[-1].comments == result.comments
    state = mirror.state(REPO)
    assert state is not None and state.ready
    assert state.backfill_issues_url is None and state.backfill_comments_url is None
    assert state.backfill_started_at is not None and state.backfill_started_at >= before
    assert state.issues_since == state.comments_since == state.synced_at == state.backfill_started_at
    assert state.reconciled_at == state.backfill_started_at
    assert (state.pinned_at is not None) == bool(token)
    assert state.lease_owner is None and state.last_error is None
    if token:
        assert mirror.ticket(REPO, 3)[0].pinned


def test_an_unchanged_repository_costs_two_304s(gh: FakeGitHub, mirror: Mirror) -> None:
    sync = syncer(gh, mirror, token=TOKEN)
    sync.sync(REPO)
    gh.clear_requests()
    first = sync.sync(REPO)  # a new `since`: no ETag saved for it yet
    assert first.kind == "incremental" and first.requests == 2 and first.not_modified == 0
    assert first.summary() == f"{REPO}: nothing new, 2 requests"
    gh.clear_requests()
    second = sync.sync(REPO)
    assert second.requests == 2 and second.not_modified == 2
    assert [a.status for a in gh.answers] == [304, 304] and gh.not_modified_count == 2
    assert all(a.request.headers.get("if-none-match") for a in gh.answers)
    assert second.summary() == f"{REPO}: 2 requests, both 304 (unchanged)"
    assert sync.source.not_modified_count == 2


def test_edits_and_new_comments_are_picked_up_since_the_last_sync(gh: FakeGitHub, mirror: Mirror) -> None:
    sync = syncer(gh, mirror, token=TOKEN)
    sync.sync(REPO)
    sync.sync(REPO)
    number = issue_numbers(gh)[5]
    comment = next(c for c in gh._repos[REPO].comments if "/pull/" not in c["html_url"])
    gh.edit_issue(REPO, number, title="Renamed: sync fails on Windows")
    gh.edit_issue(REPO, 3, state="closed", state_reason="completed")  # the pinned issue
    gh.edit_comment(REPO, comment["id"], body="Edited: it works after the update")
    new = make_comment(number, 9_000_000_001, repo=REPO, body="A new comment", created_at=datetime.now(UTC))
    gh.add_comment(REPO, new)
    gh.clear_requests()
    result = sync.sync(REPO)
    assert result.issues_written == 2 and result.comments_written == 2 and result.deleted == 0
    assert result.requests == 2 and result.not_modified == 0
    ticket, comments = mirror.ticket(REPO, number)
    assert ticket.title == "Renamed: sync fails on Windows"
    assert "A new comment" in [c.body for c in comments]
    assert ticket.comments_count == len(comments)
    said = mirror.ticket(REPO, int(comment["issue_url"].rsplit("/", 1)[1]))
    assert said is not None and "Edited: it works after the update" in [c.body for c in said[1]]
    pinned = mirror.ticket(REPO, 3)[0]
    assert pinned.state == "closed" and pinned.pinned  # an edit keeps the pin
    assert_mirror_matches(gh, mirror)
    assert result.summary() == f"{REPO}: 2 issues and 2 comments updated, 2 requests"
    # the listings are read again from the newest change (minus the overlap): nothing new, then 304s
    assert sync.sync(REPO).issues_written == 0
    assert sync.sync(REPO).not_modified == 2


# --- resuming ---------------------------------------------------------------------------------------------


def test_after_an_upgrade_the_sync_derives_the_stored_text_anew_a_batch_at_a_time(
    gh: FakeGitHub, mirror: Mirror, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.mirror import sync as sync_module
    from bot.report import derived
    from bot.store.schema import mirror_comments, mirror_issues

    sync = syncer(gh, mirror, token=TOKEN)
    sync.sync(REPO)
    sync.sync(REPO)
    # What the previous release stored: text version 1, no words (pull requests' rows too).
    with store.engine.begin() as conn:
        conn.execute(mirror_issues.update().values(text_version=1, clean_body='["old"]'))
        conn.execute(mirror_comments.update().values(text_version=1, words=None))
    issues, comments = mirror.counts(REPO)
    assert issues < 60 < comments
    monkeypatch.setattr(sync_module, "REDERIVE_BATCH", 60)
    first = sync.sync(REPO)
    assert first.requests == 2 and first.not_modified == 2  # GitHub is not asked for any of it again
    assert first.rederived == issues + 60  # every issue, and a batch of the comments
    assert first.summary() == (
        f"{REPO}: 2 requests, both 304 (unchanged); text of {issues + 60} stored rows derived anew after an "
        "upgrade"
    )
    assert sync.sync(REPO).rederived == comments - 60
    assert sync.sync(REPO).rederived == 0
    with store.engine.connect() as conn:
        for table in (mirror_comments, mirror_issues):
            assert set(conn.execute(sa.select(table.c.text_version)).scalars()) == {derived.TEXT_VERSION}
        words = conn.execute(sa.select(mirror_comments.c.body, mirror_comments.c.words)).all()
    assert all(stored == derived.encode_words(derived.comment_words(body)) for body, stored in words)


@pytest.mark.parametrize("failure", ["server errors", "rate limit"])
def test_an_interrupted_first_sync_resumes_at_the_page_it_had_not_read(
    gh: FakeGitHub, mirror: Mirror, failure: str
) -> None:
    def fail_after_five_pages(step: SyncProgress) -> None:
        if step.pages == 5:
            if failure == "server errors":
                gh.fail_next(2, 502)  # the request and its one retry
            else:
                gh.rate_limited_until = datetime.now(UTC) + timedelta(hours=1)

    expected = GitHubUnavailable if failure == "server errors" else RateLimited
    with pytest.raises(expected):
        syncer(gh, mirror, progress=fail_after_five_pages).sync(REPO)
    state = mirror.state(REPO)
    assert state is not None and not state.ready and state.last_error
    assert state.lease_owner is None  # released on the error
    # five pages were read, in turns: three of issues, two of comments
    assert "page=4" in state.backfill_issues_url and "page=3" in state.backfill_comments_url
    assert mirror.counts(REPO)[0] == 3 * PER_PAGE

    gh.rate_limited_until = None
    result = syncer(gh, mirror).sync(REPO)
    assert result.kind == "backfill" and result.finished
    read = Counter(a.request.url for a in gh.answers if a.status == 200)
    assert read and max(read.values()) == 1  # no page was read twice
    assert sum(read.values()) == first_sync_pages(gh)
    assert_mirror_matches(gh, mirror)
    state = mirror.state(REPO)
    assert state.ready and state.last_error is None
    # the watermarks are when the first attempt began: changes made meanwhile are read next time
    assert state.issues_since == state.comments_since == state.backfill_started_at < state.backfilled_at


# --- reconcile --------------------------------------------------------------------------------------------


def test_an_unchanged_repository_is_reconciled_with_304s_only(gh: FakeGitHub, mirror: Mirror) -> None:
    sync = syncer(gh, mirror, token=TOKEN, reconcile_every=timedelta(0))
    sync.sync(REPO)  # its issue pages' ETags serve the reconciles
    pages = math.ceil(N_ISSUES / PER_PAGE)
    gh.clear_requests()
    first = sync.sync(REPO)
    assert first.reconciled and first.deleted == 0
    assert first.requests == 2 + pages + 1  # the since listings, the pages by creation, pinned issues
    assert first.not_modified == pages
    gh.clear_requests()
    second = sync.sync(REPO)
    assert second.requests == 2 + pages + 1 and second.not_modified == 2 + pages
    assert Counter(a.status for a in gh.answers) == {304: 2 + pages, 200: 1}  # 200: the GraphQL query
    assert (
        second.summary()
        == f"{REPO}: nothing new, {2 + pages + 1} requests ({2 + pages} answered 304), "
        + ("deletions checked")
    )


def test_a_reconcile_tombstones_deleted_and_transferred_issues_and_deleted_comments(
    gh: FakeGitHub, mirror: Mirror
) -> None:
    sync = syncer(gh, mirror, reconcile_every=timedelta(hours=1))
    sync.sync(REPO)
    issues = issue_numbers(gh)
    deleted, transferred, boundary = issues[14], issues[21], 1
    assert {deleted, transferred, boundary} <= mirror_ids(mirror)[0]
    commented = next(
        c
        for c in gh._repos[REPO].comments
        if "/pull/" not in c["html_url"]
        and int(c["issue_url"].rsplit("/", 1)[1]) not in (deleted, transferred, boundary)
    )
    gh.delete_issue(REPO, deleted)
    new_number = gh.transfer_issue(REPO, transferred, to=ELSEWHERE)
    gh.transfer_issue(REPO, boundary, to=ELSEWHERE)  # the first issue: no page's range holds it any more
    gh.delete_comment(REPO, commented["id"])

    quiet = sync.sync(REPO)  # not due yet: a since listing shows no deletion
    assert not quiet.reconciled and quiet.deleted == 0
    later = syncer(gh, mirror, reconcile_every=timedelta(0))
    gh.clear_requests()
    result = later.sync(REPO)
    assert result.reconciled
    assert result.deleted == 4
    assert_mirror_matches(gh, mirror)
    # the first issue sat before every page: asked for by itself, GitHub redirected it (transferred)
    asked = [a for a in gh.answers if a.request.path == f"/repos/{REPO}/issues/{boundary}"]
    assert [a.status for a in asked] == [301]
    assert new_number is not None and gh.count(f"/repos/{ELSEWHERE}/issues/{new_number}") == 0
    assert all(mirror.ticket(REPO, n) is None for n in (deleted, transferred, boundary))
    assert commented["id"] not in mirror_ids(mirror)[1]
    state = mirror.state(REPO)
    assert state.reconciled_at == state.synced_at


# --- the lease and webhooks -------------------------------------------------------------------------------


def test_a_second_syncer_finds_the_repository_busy(gh: FakeGitHub, mirror: Mirror) -> None:
    now = datetime.now(UTC)
    assert mirror.acquire_lease(REPO, owner="another-process", now=now, seconds=60)
    result = syncer(gh, mirror, owner="this-process").sync(REPO)
    assert result.kind == "busy" and result.requests == 0 and gh.requests == []
    assert result.summary() == f"{REPO}: another process is syncing it; skipped"
    mirror.release_lease(REPO, owner="another-process")
    assert syncer(gh, mirror, owner="this-process").sync(REPO).kind == "backfill"
    assert mirror.state(REPO).lease_owner is None


def test_a_change_the_webhooks_missed_ends_the_trust_in_them(gh: FakeGitHub, mirror: Mirror) -> None:
    sync = syncer(gh, mirror)
    sync.sync(REPO)
    sync.sync(REPO)
    now = datetime.now(UTC)
    mirror.update_state(REPO, webhook_since=now - timedelta(hours=1), webhook_at=now + timedelta(minutes=5))
    # a change the webhooks delivered (the mirror holds it) is no gap
    delivered = gh.edit_issue(REPO, issue_numbers(gh)[1], title="Delivered by a webhook", at=now)
    mirror.upsert_issues(REPO, [delivered], now=now)
    result = sync.sync(REPO)
    assert result.issues_written == 0 and not result.webhook_gap
    assert mirror.state(REPO).webhook_since is not None
    # one they missed, made well before this sync began (five minutes later), is
    gh.edit_issue(REPO, issue_numbers(gh)[2], title="Never delivered", at=now + timedelta(seconds=1))
    sync.clock = lambda: now + timedelta(minutes=5)
    result = sync.sync(REPO)
    assert result.issues_written == 1 and result.webhook_gap
    assert mirror.state(REPO).webhook_since is None
    assert "webhooks had missed changes" in result.summary()


# --- the command ------------------------------------------------------------------------------------------


def database_url(backend: BackendUrl) -> str:
    """DATABASE_URL for a process of its own: a PostgreSQL test schema goes into the search path."""
    if backend.schema is None:
        return backend.url
    return f"{backend.url}?options=-csearch_path%3D{backend.schema}"


@pytest.fixture(name="cli_env")
def cli_env_fixture(
    monkeypatch: pytest.MonkeyPatch, backend_url: BackendUrl, gh: FakeGitHub
) -> dict[str, str]:
    for name in ("TICKET_REPORT_REPOS", "TICKET_REPORT_CONFIG", "GITHUB_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    env = {"GITHUB_API_URL": gh.url, "DATABASE_URL": database_url(backend_url), "GITHUB_TOKEN": TOKEN}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def test_the_sync_command_prints_one_line_per_repository(
    cli_env: dict[str, str], gh: FakeGitHub, backend_url: BackendUrl, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sync", "--repo", REPO]) == 0
    out, err = capsys.readouterr()
    pages = math.ceil(N_ISSUES / 100) + math.ceil(len(gh._repos[REPO].comments) / 100)
    assert out.splitlines() == [
        f"{REPO}: first sync done, {N_ISSUES} issues, {len(github_ids(gh)[1])} comments, {pages + 1} requests"
    ]
    assert "first sync, 1 page read" in err  # progress on stderr
    assert main(["sync", "--repo", REPO]) == 0
    assert main(["sync", "--repo", REPO]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"{REPO}: 2 requests, both 304 (unchanged)"


def test_the_sync_command_fails_in_one_line(
    cli_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sync", "--repo", "acme/missing"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.strip().splitlines() == [
        "error: acme/missing: Repository acme/missing was not found on GitHub, or GITHUB_TOKEN cannot see it"
    ]
    assert main(["sync", "--repo", "not a repo"]) == 2
    assert "not a repository name" in capsys.readouterr().err


def test_two_processes_syncing_at_once_lose_and_double_nothing(
    cli_env: dict[str, str], gh: FakeGitHub, backend_url: BackendUrl
) -> None:
    gh.delay = 0.1  # each process takes a while, so the two overlap
    env = {**os.environ, **cli_env}

    def both() -> list[str]:
        command = [sys.executable, "-m", "bot", "sync", "--repo", REPO]
        processes = [
            subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
            for _ in range(2)
        ]
        outputs = [p.communicate(timeout=120) for p in processes]
        assert [p.returncode for p in processes] == [0, 0], outputs
        return sorted(out.strip() for out, _ in outputs)

    first = both()
    assert sum("first sync done" in line for line in first) == 1, first
    assert gh.count("/graphql") == 1  # one first sync; the other process found it busy (or done)
    number = issue_numbers(gh)[7]
    gh.edit_issue(REPO, number, title="Edited while two processes sync")
    gh.add_comment(REPO, make_comment(number, 9_000_000_002, repo=REPO, created_at=datetime.now(UTC)))
    both()
    store = backend_url.store()
    try:
        mirror = Mirror(store.engine)
        assert_mirror_matches(gh, mirror)
        assert mirror.ticket(REPO, number)[0].title == "Edited while two processes sync"
        assert mirror.state(REPO).lease_owner is None
    finally:
        store.close()


def test_a_report_after_a_sync_reads_the_mirror(
    cli_env: dict[str, str], gh: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sync", "--repo", REPO]) == 0
    capsys.readouterr()
    gh.clear_requests()
    now = datetime.now(UTC).isoformat()
    assert main(["report", "2025-03-01..2025-04-15", "--repo", REPO, "--now", now, "--format", "json"]) == 0
    out = capsys.readouterr().out
    assert gh.requests == []  # fresh: not a single GitHub request, and never the search API
    assert '"data_as_of": "' in out and '"history": [' in out


def test_a_report_without_a_database_fetches_live_and_creates_none(
    monkeypatch: pytest.MonkeyPatch, gh: FakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("TICKET_REPORT_REPOS", "TICKET_REPORT_CONFIG", "TICKET_REPORT_LLM_URL"):
        monkeypatch.delenv(name, raising=False)
    database = tmp_path / "none-yet.db"
    monkeypatch.setenv("GITHUB_API_URL", gh.url)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")
    assert main(["report", "week", "--repo", REPO, "--now", "2025-04-15T00:00:00Z"]) == 0
    assert gh.requests
    assert "Data as of" not in capsys.readouterr().out
    assert not database.exists()


def test_db_upgrade_says_what_it_did(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("TICKET_REPORT_CONFIG", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'bot.db'}")
    assert main(["db", "upgrade"]) == 0
    first = capsys.readouterr().out
    assert main(["db", "upgrade"]) == 0
    second = capsys.readouterr().out
    assert "applied" in first and "0002" in first
    assert "up to date" in second
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'missing-dir' / 'bot.db'}")
    assert main(["db", "upgrade"]) == 1
    assert capsys.readouterr().err.startswith("error: cannot upgrade the database at DATABASE_URL: ")
