"""The ticket mirror's sync: GitHub's REST listings -> the mirror (`bot.store.mirror`), at little cost.

`MirrorSync.sync(repo)` runs under the repository's sync lease (a process that cannot take it answers
"busy" without a request) and does one of:

* **First sync (backfill)**: every issue (pull requests included, as GitHub lists them) and every
  repository comment, oldest first, 100 a page: about ceil(issues/100) + ceil(comments/100) requests
  (+1 GraphQL for the pinned issues with a token). The two listings are read in turns; each page is
  written together with the URL of the next one (`mirror_repos.backfill_*_url`), so a sync stopped by a
  crash, Ctrl-C or a rate limit resumes at the page it had not read. When both are done the watermarks
  are set to the moment the backfill began, so whatever changed while it ran is read by the next sync.
* **Incremental**: the issues and the comments updated since the watermark (minus `overlap`, for clock
  differences), oldest change first. The first page is a conditional request with the ETag saved for
  that exact request: an unchanged repository costs two 304 answers, which GitHub does not count against
  an authenticated caller's rate limit. (The first incremental sync after a change asks with a new
  `since` and gets a 200; the one after that gets the 304s.) A change that webhooks should have
  delivered but the mirror did not hold means they missed something: `webhook_since` is cleared, and
  reports stop trusting webhooks until a sync finds no gap again.
* **Reconcile** (deletions and transfers, which no `since` listing shows), when the last one is older
  than `reconcile_every`: the issue listing by creation, page by page, each page asked with the ETag it
  had last time and saved with the numbers it held. A 304 page is unchanged. A 200 page is written; a
  mirror issue created between its first and last issue that it lacks was deleted or transferred; an
  issue whose comment count differs from the comments the mirror holds gets its comments read again,
  and those missing are tombstoned. Mirror issues no page held at all (they sat between two pages) are
  asked for one by one (at most `MAX_CHECKS` a run) before they are tombstoned. The pinned issues are
  read again too.

An upstream failure is recorded on the repository (`last_error`, one line) and raised again as the
`bot.errors` category it is; the lease is released whatever happens.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode

import sqlalchemy as sa

from bot.errors import BadInput, RepoNotFound, TicketNotFound, UpstreamError
from bot.settings import valid_repo
from bot.sources.github import PER_PAGE, ConditionalPage, GitHubSource
from bot.sources.payloads import format_datetime, is_pull_request, is_pull_request_comment, parse_datetime
from bot.store.mirror import Mirror, RepoState, repo_key
from bot.store.schema import mirror_comments, mirror_issues

log = logging.getLogger(__name__)

SyncKind = Literal["backfill", "incremental", "busy"]

OVERLAP = timedelta(seconds=60)  # each `since` reaches back this far: clocks and GitHub's indexing differ
WEBHOOK_GRACE = timedelta(minutes=1)  # a change older than the latest delivery by this much was missed
LEASE_SECONDS = 300.0  # renewed after every page once a third of it has passed
REDERIVE_BATCH = 5000  # issues, and comments, whose stored text a run derives anew after an upgrade
MAX_CHECKS = 50  # issues a reconcile asks for one by one (the rest wait for the next reconcile)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SyncProgress:
    """How far a first sync got, after each page (for a progress line on the terminal)."""

    repo: str
    pages: int  # pages read by this run
    pages_left: int | None  # from the listings' Link rel="last"; None while a listing has not answered
    issues: int  # issues and pull requests held, about
    comments: int  # comments held, about

    def describe(self) -> str:
        left = f", about {self.pages_left:,} left" if self.pages_left else ""
        return (
            f"{self.repo}: first sync, {_count(self.pages, 'page')} read{left}: "
            f"{_count(self.issues, 'issue')} and {_count(self.comments, 'comment')} so far"
        )


@dataclass(frozen=True)
class SyncResult:
    """What one `MirrorSync.sync` did."""

    repo: str
    kind: SyncKind
    requests: int = 0  # sent to GitHub (REST pages, single issues, the GraphQL query)
    not_modified: int = 0  # of them, answered 304
    issues_written: int = 0  # issues and pull requests stored new or newer
    comments_written: int = 0
    deleted: int = 0  # issues and comments tombstoned
    finished: bool = True  # False: a first sync that stopped early (its lease went to another process)
    pages_left: int | None = None  # a first sync that stopped early: about how many pages remain
    reconciled: bool = False  # deletions were checked
    webhook_gap: bool = False  # a change the webhooks had missed was found
    issues: int | None = None  # after a first sync: issues and pull requests held
    comments: int | None = None  # after a first sync: comments held
    rederived: int = 0  # stored rows whose derived text was of an older version, derived anew

    def summary(self) -> str:
        """One line for a person, e.g. "acme/support: 2 requests, both 304 (unchanged)"."""
        if self.kind == "busy":
            return f"{self.repo}: another process is syncing it; skipped"
        if self.kind == "backfill" and not self.finished:
            left = "" if self.pages_left is None else f", about {self.pages_left:,} pages left"
            return (
                f"{self.repo}: first sync paused (stopping, or another process took it over){left}; "
                f"{_count(self.requests, 'request')}"
            )
        if self.kind == "backfill":
            return (
                f"{self.repo}: first sync done, {_count(self.issues or 0, 'issue')}, "
                f"{_count(self.comments or 0, 'comment')}, {_count(self.requests, 'request')}"
            )
        checked = ", deletions checked" if self.reconciled else ""
        if not (self.issues_written or self.comments_written or self.deleted):
            if self.requests and self.not_modified == self.requests:
                every = "both" if self.requests == 2 else "all"
                return (
                    f"{self.repo}: {_count(self.requests, 'request')}, {every} 304 (unchanged){checked}"
                    f"{self._tail()}"
                )
            unchanged = f" ({self.not_modified:,} answered 304)" if self.not_modified else ""
            return (
                f"{self.repo}: nothing new, {_count(self.requests, 'request')}{unchanged}{checked}"
                f"{self._tail()}"
            )
        parts = [
            f"{_count(self.issues_written, 'issue')} and {_count(self.comments_written, 'comment')} updated"
        ]
        if self.deleted:
            parts.append(f"{self.deleted:,} deleted")
        unchanged = f" ({self.not_modified:,} answered 304)" if self.not_modified else ""
        parts.append(f"{_count(self.requests, 'request')}{unchanged}")
        gap = "; webhooks had missed changes" if self.webhook_gap else ""
        return f"{self.repo}: {', '.join(parts)}{checked}{gap}{self._tail()}"

    def _tail(self) -> str:
        """Stopped early, text derived anew: what a line says after the rest."""
        stopped = "" if self.finished else " (stopped early: another process took the repository over)"
        if self.rederived:
            stopped += f"; text of {_count(self.rederived, 'stored row')} derived anew after an upgrade"
        return stopped


class MirrorSync:
    """Syncs one repository at a time into the mirror (see the module docstring). Safe to share between
    threads: each `sync` keeps its own counts."""

    def __init__(
        self,
        source: GitHubSource,
        mirror: Mirror,
        *,
        owner: str,
        clock: Callable[[], datetime] = _utc_now,
        progress: Callable[[SyncProgress], None] | None = None,
        reconcile_every: timedelta = timedelta(hours=24),
        per_page: int = PER_PAGE,
        lease_seconds: float = LEASE_SECONDS,
        overlap: timedelta = OVERLAP,
    ) -> None:
        """owner: who holds the lease (unique per process, e.g. "host:pid"); per_page: page size (GitHub's
        maximum, 100, unless a test wants more pages)."""
        if not 1 <= per_page <= PER_PAGE:
            raise ValueError(f"per_page must be 1..{PER_PAGE}")
        self.source = source
        self.mirror = mirror
        self.owner = owner
        self.clock = clock
        self.progress = progress
        self.reconcile_every = reconcile_every
        self.per_page = per_page
        self.lease_seconds = lease_seconds
        self.overlap = overlap
        self.stopping = threading.Event()

    def stop(self) -> None:
        """Make running and later syncs stop before their next request (the process is shutting down);
        a first sync resumes at the page it had not read."""
        self.stopping.set()

    def sync(self, repo: str, *, reconcile: bool = True) -> SyncResult:
        """Bring `repo`'s mirror up to date: its first sync (or the rest of it), else an incremental sync
        and, when due, a reconcile. "busy" when another process holds the repository's lease."""
        if not isinstance(repo, str) or not valid_repo(repo):
            raise BadInput(f"{repo!r} is not a repository name; use OWNER/NAME like octo-org/support")
        started = self.clock()
        # One owner per run, so two syncs of one repository in one process (the keeper and a report)
        # exclude each other too.
        owner = f"{self.owner}/{uuid.uuid4().hex[:8]}"
        if not self.mirror.acquire_lease(repo, owner=owner, now=started, seconds=self.lease_seconds):
            return SyncResult(repo=repo, kind="busy")
        run = _Run(self, repo, started, owner=owner, reconcile=reconcile)
        try:
            return run.go()
        except _LeaseLost:
            log.warning(
                "%s: the sync lease went to another process; stopped after %d requests", repo, run.requests
            )
            return run.result(finished=False)
        except _Stopped:
            log.info(
                "%s: sync stopped after %d requests; the next one resumes where it stopped",
                repo,
                run.requests,
            )
            return run.result(finished=False)
        except UpstreamError as exc:
            self.mirror.update_state(repo, last_error=" ".join(exc.user_message.split())[:500])
            raise
        finally:
            try:
                self.mirror.release_lease(repo, owner=owner)
            except Exception:  # the database went away: the lease expires by itself
                log.exception("%s: could not release the sync lease", repo)


class _LeaseLost(Exception):
    """Another process took the repository's lease (ours had expired)."""


class _Stopped(Exception):
    """`MirrorSync.stop()` was called: the process is shutting down."""


class _Run:
    """One `sync` call: its counts and the repository's state."""

    def __init__(
        self, sync: MirrorSync, repo: str, started: datetime, *, owner: str, reconcile: bool
    ) -> None:
        self.sync = sync
        self.owner = owner
        self.may_reconcile = reconcile
        self.source = sync.source
        self.mirror = sync.mirror
        self.repo = repo
        self.started = started
        self.renewed = started
        self.kind: SyncKind = "incremental"
        self.requests = 0
        self.not_modified = 0
        self.issues_written = 0
        self.comments_written = 0
        self.deleted = 0
        self.pages = 0
        self.pages_left: int | None = None
        self.reconciled = False
        self.webhook_gap = False
        self.rederived = 0
        self.held: tuple[int, int] | None = None

    def go(self) -> SyncResult:
        state = self.mirror.ensure_repo(self.repo)
        if state.backfilled_at is None:
            self.kind = "backfill"
            self.backfill(state)
            self.held = self.mirror.counts(self.repo)
            return self.result()
        self.incremental(state)
        reconciled_at = state.reconciled_at or state.backfilled_at or EPOCH
        if self.may_reconcile and self.started - reconciled_at >= self.sync.reconcile_every:
            self.reconcile()
        self.mirror.update_state(self.repo, synced_at=self.started, last_error=None)
        if self.may_reconcile:  # the keeper's and the command's syncs, never one a report waits for
            self.rederive()
        return self.result()

    def rederive(self) -> None:
        """Rows stored before an upgrade changed the derived text: a batch per run, until none is left.
        Reports read such rows' text themselves meanwhile, so a failure here costs only time."""
        try:
            self.rederived = self.mirror.rederive(self.repo, limit=REDERIVE_BATCH)
        except Exception:
            log.exception("%s: deriving the stored text anew failed; the next sync tries again", self.repo)

    def result(self, *, finished: bool = True) -> SyncResult:
        return SyncResult(
            repo=self.repo,
            kind=self.kind,
            requests=self.requests,
            not_modified=self.not_modified,
            issues_written=self.issues_written,
            comments_written=self.comments_written,
            deleted=self.deleted,
            finished=finished,
            pages_left=None if finished else self.pages_left,
            reconciled=self.reconciled,
            webhook_gap=self.webhook_gap,
            issues=self.held[0] if self.held else None,
            comments=self.held[1] if self.held else None,
            rederived=self.rederived,
        )

    # --- requests -----------------------------------------------------------------------------------

    def page(self, url: str, *, etag: str | None = None) -> ConditionalPage:
        if self.sync.stopping.is_set():
            raise _Stopped
        self.requests += 1
        page = self.source.conditional_page(self.repo, url, etag=etag)
        if page.not_modified:
            self.not_modified += 1
        self.renew()
        return page

    def renew(self) -> None:
        """Extend the lease once a third of it has passed; stop when another process has taken it."""
        now = self.sync.clock()
        if now - self.renewed < timedelta(seconds=self.sync.lease_seconds / 3):
            return
        if not self.mirror.acquire_lease(
            self.repo, owner=self.owner, now=now, seconds=self.sync.lease_seconds
        ):
            raise _LeaseLost
        self.renewed = now

    def read_pinned(self) -> dict[str, Any]:
        """Read the pinned issues into the mirror; the state to record ({} when they stay unknown)."""
        if not self.source.authenticated:
            return {}
        self.requests += 1
        numbers = self.source.pinned_issues(self.repo)
        if numbers is None:
            return {}
        self.mirror.set_pinned(self.repo, numbers)
        return {"pinned_at": self.sync.clock()}

    # --- first sync ---------------------------------------------------------------------------------

    def backfill(self, state: RepoState) -> None:
        issues_url = _url(f"/repos/{self.repo}/issues", self._created_order(state="all"))
        comments_url = _url(f"/repos/{self.repo}/issues/comments", self._created_order())
        if state.backfill_started_at is None:
            begun = self.started
            self.mirror.update_state(
                self.repo,
                backfill_started_at=begun,
                backfill_issues_url=issues_url,
                backfill_comments_url=comments_url,
            )
            next_urls: dict[str, str | None] = {"issues": issues_url, "comments": comments_url}
        else:  # resume: a listing whose URL is None is done
            begun = state.backfill_started_at
            next_urls = {"issues": state.backfill_issues_url, "comments": state.backfill_comments_url}
        issues, comments = self.mirror.counts(self.repo)
        left: dict[str, int | None] = {name: (0 if url is None else None) for name, url in next_urls.items()}
        while any(next_urls.values()):
            for listing in ("issues", "comments"):
                url = next_urls[listing]
                if url is None:
                    continue
                page = self.page(url)
                following = page.next_url  # GitHub's own Link: next (page numbers or cursors)
                now = self.sync.clock()
                with self.mirror.transaction() as tx:
                    if listing == "issues":
                        issues += self.write_issues(tx, page.items)
                        if page.etag and page.url == _with_page(issues_url, page.page):
                            # A reconcile asks for this page again, by number, with this ETag.
                            tx.save_etag(self.repo, page.url, page.etag, now=now, items=_numbers(page.items))
                        tx.update_state(self.repo, backfill_issues_url=following)
                    else:
                        comments += self.write_comments(tx, page.items)
                        tx.update_state(self.repo, backfill_comments_url=following)
                next_urls[listing] = following
                left[listing] = 0 if following is None else _pages_left(page)
                self.pages += 1
                known = [n for n in left.values() if n is not None]
                self.pages_left = sum(known) if len(known) == len(left) else None
                if self.sync.progress is not None:
                    self.sync.progress(
                        SyncProgress(self.repo, self.pages, self.pages_left, issues=issues, comments=comments)
                    )
        done = {
            "backfilled_at": self.sync.clock(),
            "synced_at": begun,
            "issues_since": begun,
            "comments_since": begun,
            "reconciled_at": begun,  # every issue page was just read, and its ETag saved
            "last_error": None,
        }
        done.update(self.read_pinned())
        self.reconciled = True
        self.mirror.update_state(self.repo, **done)

    def _created_order(self, **extra: str) -> dict[str, Any]:
        return {**extra, "sort": "created", "direction": "asc", "per_page": self.sync.per_page}

    # --- incremental --------------------------------------------------------------------------------

    def incremental(self, state: RepoState) -> None:
        fallback = state.backfill_started_at or EPOCH
        # A change webhooks should have brought in: made after their run began and well before this sync
        # started. (Measured against the sync, not the latest delivery: once deliveries stop, every
        # later change is missed, and is newer than the last of them.)
        webhooks = None
        if state.webhook_since is not None:
            webhooks = (state.webhook_since, self.started - WEBHOOK_GRACE)
        issues_since = self.changes("issues", state.issues_since or fallback, webhooks)
        comments_since = self.changes("comments", state.comments_since or fallback, webhooks)
        values: dict[str, Any] = {"issues_since": issues_since, "comments_since": comments_since}
        if self.webhook_gap and state.webhook_since is not None:
            log.warning("%s: the sync found changes the webhooks had missed", self.repo)
            values["webhook_since"] = None
        self.mirror.update_state(self.repo, **values)

    def changes(self, listing: str, since: datetime, webhooks: tuple[datetime, datetime] | None) -> datetime:
        """Read one listing's changes since `since` into the mirror; the new watermark."""
        if listing == "issues":
            path, params = f"/repos/{self.repo}/issues", {"state": "all"}
        else:
            path, params = f"/repos/{self.repo}/issues/comments", {}
        params.update(sort="updated", direction="asc", per_page=str(self.sync.per_page))
        params["since"] = format_datetime(since - self.sync.overlap)
        url = _url(path, params)
        saved = self.mirror.etag(self.repo, url)
        page = self.page(url, etag=saved[0] if saved else None)
        if page.not_modified:
            return since
        newest, cap = since, None
        first_seen: dict[int, datetime] = {}  # number or id -> the newest change of the page it was on
        pages = 0
        while True:
            pages += 1
            stamps = [s for item in page.items if (s := _updated_at(item)) is not None]
            page_newest = max(stamps, default=since)
            for key in _keys(page.items, listing):
                if key in first_seen:
                    # It changed again while the listing was read and moved to its end: the pages after
                    # its old place shifted, and the item at a page boundary may have been skipped.
                    cap = first_seen[key] if cap is None else min(cap, first_seen[key])
                else:
                    first_seen[key] = page_newest
            if listing == "issues":
                self.write_issues(self.mirror, page.items, webhooks=webhooks)
            else:
                self.write_comments(self.mirror, page.items, webhooks=webhooks)
            newest = max(newest, page_newest)
            if not page.next_url:
                break
            page = self.page(page.next_url)
        watermark = newest if cap is None else max(since, min(newest, cap))
        if pages == 1 and watermark == since and page.etag:
            # The same request will be sent next time: its ETag can answer it.
            self.mirror.save_etag(self.repo, url, page.etag, now=self.sync.clock())
        elif saved:
            self.mirror.forget_etags(self.repo, prefix=url)  # never sent again: `since` moves on
        return watermark

    # --- reconcile ----------------------------------------------------------------------------------

    def reconcile(self) -> None:
        walk_started = self.sync.clock()
        first = _url(f"/repos/{self.repo}/issues", self._created_order(state="all"))
        seen: set[int] = set()
        url: str | None = first
        while url is not None:
            saved = self.mirror.etag(self.repo, url)
            held = _held_numbers(saved)
            page = self.page(url, etag=saved[0] if saved and held is not None else None)
            if page.not_modified and held is not None:
                numbers = held
            else:
                numbers = _numbers(page.items)
                self.write_issues(self.mirror, page.items)
                self.deleted += self.drop_missing_inside(page.items, numbers)
                self.deleted += self.reconcile_comments(page.items)
                if page.etag:
                    self.mirror.save_etag(
                        self.repo, page.url, page.etag, now=self.sync.clock(), items=numbers
                    )
            seen.update(numbers)
            full = len(numbers) >= self.sync.per_page and (page.not_modified or page.next_url is not None)
            url = _with_page(first, page.page + 1) if full else None
        self.deleted += self.check_unseen(seen, before=walk_started)
        values: dict[str, Any] = {"reconciled_at": self.started}
        values.update(self.read_pinned())
        self.mirror.update_state(self.repo, **values)
        self.reconciled = True

    def drop_missing_inside(self, items: Sequence[Mapping[str, Any]], numbers: list[int]) -> int:
        """Tombstone the mirror's issues created strictly between the page's first and last issue that
        the page lacks: the page is a contiguous run of the listing, so they are gone."""
        created = [c for item in items if (c := parse_datetime(item.get("created_at"))) is not None]
        if len(created) < 2:
            return 0
        tick = timedelta(microseconds=1)
        inside = self.mirror.issue_numbers(
            self.repo, created_from=min(created) + tick, created_to=max(created) - tick
        )
        gone = sorted(inside - set(numbers))
        return sum(self.tombstone_issue(number) for number in gone)

    def check_unseen(self, seen: set[int], *, before: datetime) -> int:
        """Mirror issues no page held (created before the walk began): ask GitHub for each; tombstone
        those deleted or transferred, write those still here (a page boundary moved while we read)."""
        unseen = sorted(self.mirror.issue_numbers(self.repo, created_from=EPOCH, created_to=before) - seen)
        if len(unseen) > MAX_CHECKS:
            log.info(
                "%s: %d issues to check one by one; %d now, the rest next time",
                self.repo,
                len(unseen),
                MAX_CHECKS,
            )
        deleted = 0
        for number in unseen[:MAX_CHECKS]:
            self.requests += 1
            issue = self.source.current_issue(self.repo, number)
            self.renew()
            if issue is None:
                deleted += self.tombstone_issue(number)
            else:
                self.write_issues(self.mirror, [issue])
        return deleted

    def tombstone_issue(self, number: int) -> int:
        now = self.sync.clock()
        log.info("%s#%d was deleted or transferred", self.repo, number)
        return int(self.mirror.delete_issue(self.repo, number, at=now, now=now))

    def reconcile_comments(self, items: Sequence[Mapping[str, Any]]) -> int:
        """Issues whose comment count differs from the live comments held: read their comments again,
        write them, and tombstone the held ones GitHub no longer lists."""
        counts = {
            number: issue["comments"]
            for issue in items
            if not is_pull_request(issue)
            and isinstance(number := issue.get("number"), int)
            and isinstance(issue.get("comments"), int)
        }
        held = self.mirror.comment_counts(self.repo, list(counts))
        deleted = 0
        for number, count in counts.items():
            if count == held.get(number, 0):
                continue
            before = self.mirror.comment_ids(self.repo, number)  # read first: a newer comment is not gone
            listed: list[dict[str, Any]] = []
            url: str | None = _url(
                f"/repos/{self.repo}/issues/{number}/comments", {"per_page": self.sync.per_page}
            )
            try:
                while url is not None:
                    page = self.page(url)
                    listed += page.items
                    url = page.next_url
            except (RepoNotFound, TicketNotFound):  # the issue went away since its page was read
                continue
            self.write_comments(self.mirror, listed)
            now = self.sync.clock()
            for comment_id in sorted(before - set(_keys(listed, "comments"))):
                deleted += int(self.mirror.delete_comment(self.repo, comment_id, at=now, now=now))
        return deleted

    # --- writes -------------------------------------------------------------------------------------

    def write_issues(
        self,
        target: Mirror,
        payloads: Sequence[Mapping[str, Any]],
        *,
        webhooks: tuple[datetime, datetime] | None = None,
    ) -> int:
        """Write the payloads newer than what the mirror holds (counted in issues_written); how many."""
        held = _held_versions(target, self.repo, mirror_issues, "number", _keys(payloads, "issues"))
        # GitHub's listing is the truth at least as new as the mirror's row: an equal `updated_at` is
        # written too (a deleted comment or a reaction changes counts without moving it; two webhooks of
        # one second may have arrived in the wrong order). Only strictly newer ones are news.
        current = [p for p in payloads if _is_newer(p, held, or_equal=True)]
        if not current:
            return 0
        target.upsert_issues(self.repo, current, now=self.sync.clock())
        news = [p for p in current if _is_newer(p, held)]
        # Pull requests change (pushes, reviews) without an `issues` delivery: not a sign of a gap.
        self._check_webhooks([p for p in news if not is_pull_request(p)], webhooks)
        self.issues_written += len(news)
        return len(news)

    def write_comments(
        self,
        target: Mirror,
        payloads: Sequence[Mapping[str, Any]],
        *,
        webhooks: tuple[datetime, datetime] | None = None,
    ) -> int:
        held = _held_versions(target, self.repo, mirror_comments, "id", _keys(payloads, "comments"))
        current = [p for p in payloads if _is_newer(p, held, key="id", or_equal=True)]
        if not current:
            return 0
        target.upsert_comments(self.repo, current, now=self.sync.clock())
        # (comments on pull requests are not stored: reports cover issues only)
        news = [p for p in current if _is_newer(p, held, key="id") and not is_pull_request_comment(p)]
        self._check_webhooks(news, webhooks)
        self.comments_written += len(news)
        return len(news)

    def _check_webhooks(
        self, written: Iterable[Mapping[str, Any]], webhooks: tuple[datetime, datetime] | None
    ) -> None:
        """A change made while webhooks were arriving, well before the latest delivery, that the mirror
        did not hold: the webhooks missed it."""
        if webhooks is None:
            return
        since, latest = webhooks
        for payload in written:
            updated = _updated_at(payload)
            if updated is not None and since <= updated < latest:
                self.webhook_gap = True
                return


# --- helpers --------------------------------------------------------------------------------------------


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun if n == 1 else noun + 's'}"


def _url(path: str, params: Mapping[str, Any]) -> str:
    """A request as GitHubSource.conditional_page spells it: path, then the parameters sorted."""
    query = urlencode(sorted((k, str(v)) for k, v in params.items()))
    return f"{path}?{query}" if query else path


def _with_page(url: str, page: int) -> str:
    path, _, query = url.partition("?")
    params = dict(parse_qsl(query, keep_blank_values=True))
    if page > 1:
        params["page"] = str(page)
    else:
        params.pop("page", None)
    return _url(path, params)


def _pages_left(page: ConditionalPage) -> int | None:
    return None if page.last_page is None else max(page.last_page - page.page, 0)


def _numbers(items: Iterable[Mapping[str, Any]]) -> list[int]:
    return [n for item in items if isinstance(n := item.get("number"), int)]


def _keys(items: Iterable[Mapping[str, Any]], listing: str) -> list[int]:
    field = "number" if listing == "issues" else "id"
    return [k for item in items if isinstance(k := item.get(field), int)]


def _held_numbers(saved: tuple[str, Any] | None) -> list[int] | None:
    if saved is None or not isinstance(saved[1], list):
        return None
    return [n for n in saved[1] if isinstance(n, int)]


def _updated_at(payload: Mapping[str, Any]) -> datetime | None:
    updated, created = parse_datetime(payload.get("updated_at")), parse_datetime(payload.get("created_at"))
    if updated is None or created is None:
        return updated or created
    return max(updated, created)


def _is_newer(
    payload: Mapping[str, Any],
    held: Mapping[int, tuple[datetime, bool]],
    *,
    key: str = "number",
    or_equal: bool = False,
) -> bool:
    version = held.get(payload.get(key))  # type: ignore[arg-type]
    updated = _updated_at(payload)
    if version is None or updated is None:
        return True
    return updated >= version[0] if or_equal else updated > version[0]


def _held_versions(
    target: Mirror, repo: str, table: sa.Table, column: str, keys: Sequence[int]
) -> dict[int, tuple[datetime, bool]]:
    """key -> (updated_at, pinned) of the rows the mirror holds (tombstones too).

    Mirror's upserts report a payload equal to the row as written, and write `pinned` as False; the
    sync needs to know which payloads are news (for its counts and the webhook check) and which issues
    were pinned. Read on the mirror's own connection (inside its transaction, when it is in one)."""
    if not keys:
        return {}
    pinned = table.c.pinned if "pinned" in table.c else sa.false()
    query = sa.select(table.c[column], table.c.updated_at, pinned).where(
        table.c.repo == repo_key(repo), table.c[column].in_(sorted(set(keys)))
    )
    with target._read() as conn:
        return {row[0]: (row[1], bool(row[2])) for row in conn.execute(query)}
