"""The GitHub edge: pages of issues and comments from the REST API -> `TicketData`; snapshot files.

The only module that imports `github` (PyGithub). It fetches by the page, never one request per ticket
for a report, and turns every failure into one of the categories in `bot.errors`.

How a report window [window_start, window_end) is fetched (the caller passes the previous period's start
as window_start, so one fetch covers the period and the one it is compared with):

* Recent windows (ending within a day of now) -- list mode: every issue updated since window_start
  (`/issues?state=all&since=`), and the repository-wide comments since window_start in creation order
  (`/issues/comments?sort=created&direction=asc`), stopping at the first page that reaches window_end.
  At most ceil(issues_listed/100) + ceil(comments_listed/100) + 2 requests.
* Past windows -- search mode: listing "updated since" a date long ago would page through everything
  touched since, so the search API finds the issues created or closed in the window, the comments
  endpoint (creation order, stopping at window_end) finds the comment activity, and only issues that
  were commented on but neither created nor closed in the window are fetched one by one. That stays
  within a small multiple of the tickets in the window. A search over GitHub's 1000-result cap, or
  too many issues to fetch one by one, falls back to list mode.
  (The search index lags by seconds to minutes, which is why recent windows never use it.)
  Searches are spaced to GitHub's search budget by the process's `SearchLimiter`
  (bot/sources/search_limit.py): a burst of past reports waits its turn, up to a little over a
  minute, instead of failing.

With a token, each fetch then sends one request more, a GraphQL query for the repository's pinned issues
(GitHub has no REST endpoint for them, and GraphQL refuses anonymous callers), and marks those tickets
`pinned`. When that request fails the report is built all the same, with nothing pinned.
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests
import urllib3
from github import Auth, Github, GithubException, GithubRetry
from github.GithubException import (
    BadCredentialsException,
    RateLimitExceededExceedsMaxWait,
    RateLimitExceededException,
    UnknownObjectException,
)

from bot.errors import (
    BadCredentials,
    BadInput,
    GitHubUnavailable,
    RateLimited,
    RepoNotFound,
    TicketNotFound,
    UpstreamError,
)
from bot.report.models import Comment, Ticket, TicketData
from bot.sources.payloads import (
    comment_from_payload,
    comments_from_payloads,
    format_datetime,
    graphql_error_text,
    is_pull_request,
    is_pull_request_comment,
    issue_number_from_url,
    mark_pinned,
    parse_datetime,
    pinned_from_snapshot,
    pinned_numbers_from_graphql,
    repo_from_url,
    select_window,
    ticket_from_issue,
    tickets_from_issues,
)
from bot.sources.search_limit import SearchLimiter, shared_limiter

log = logging.getLogger(__name__)

PER_PAGE = 100  # GitHub's maximum; PyGithub's default is 30
RECENT = timedelta(days=1)  # windows ending later than now - RECENT are listed, not searched
MAX_SINGLE_GETS = 50  # past windows: more commented-on-only issues than this -> list instead
USER_AGENT = "ticket-report (PyGithub)"
_REPO_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="([^"]+)"')
# GitHub lets a repository pin three issues; asking for ten leaves room should that limit grow.
PINNED_QUERY = """
query($owner: String!, $name: String!) {
  repository(owner: $owner, name: $name) { pinnedIssues(first: 10) { nodes { issue { number } } } }
}
"""


class _BoundedRetry(GithubRetry):
    """GithubRetry (5xx, secondary limits, primary limits up to max_rate_limit_wait), plus two bounds it
    lacks in PyGithub 2.10: a Retry-After longer than max_rate_limit_wait gives up instead of sleeping it
    (urllib3 would sleep up to six hours), and a 429 that signals an exhausted primary limit
    (X-RateLimit-Remaining: 0, no Retry-After) gives up when the reset is further away than that."""

    def get_retry_after(self, response: Any) -> float | None:
        seconds = super().get_retry_after(response)
        if (
            seconds is not None
            and self.max_rate_limit_wait is not None
            and seconds > self.max_rate_limit_wait
        ):
            raise RateLimitExceededExceedsMaxWait(response.status, None, dict(response.headers), wait=seconds)
        return seconds

    def increment(
        self, method: Any = None, url: Any = None, response: Any = None, *args: Any, **kwargs: Any
    ) -> Any:
        if response is not None and response.status == 429 and "Retry-After" not in response.headers:
            reset = _reset_from_headers(response.headers)
            if response.headers.get("X-RateLimit-Remaining") == "0" and reset is not None:
                wait = (reset - datetime.now(UTC)).total_seconds()
                if self.max_rate_limit_wait is not None and wait > self.max_rate_limit_wait:
                    raise RateLimitExceededExceedsMaxWait(429, None, dict(response.headers), wait=wait)
        return super().increment(method, url, response, *args, **kwargs)


@dataclass(frozen=True)
class _Page:
    items: list[dict[str, Any]]
    next_url: str | None
    total_count: int | None = None  # search only
    incomplete: bool = False  # search only


@dataclass(frozen=True)
class ConditionalPage:
    """One page of a listing asked for with `If-None-Match` (GitHubSource.conditional_page).

    `url` is the request as sent, relative to the API base (path and query, parameters sorted), so the
    same request is spelled the same way every time: the key its ETag is saved under. `next_url` is
    spelled the same way. A 304 (not modified) carries no items and no links.
    """

    url: str
    status: int  # 200, or 304 when the ETag sent still matches
    items: list[dict[str, Any]]
    next_url: str | None
    last_page: int | None  # the page number of Link rel="last" (None on the last page, and on a 304)
    etag: str | None

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def page(self) -> int:
        """This page's number (the `page` parameter; 1 without it)."""
        return _page_number(self.url) or 1


class GitHubSource:
    """Fetches a repository's tickets and comments for a window, and single tickets for drill-downs.

    Safe to share between threads: each thread gets its own PyGithub clients (one for searches, whose
    rate limits the shared SearchLimiter waits out, one for the rest). (PyGithub 2.10's Requester
    keeps one connection object per client and stores the next request's URL on it between `request()`
    and `getresponse()`, so two threads sharing a client can swap each other's requests.)
    """

    def __init__(
        self,
        *,
        token: str | None,
        base_url: str = "https://api.github.com",
        timeout: float = 15,
        retries: int = 3,
        max_rate_limit_wait: float = 30,
        backoff_factor: float = 0.5,
        search_per_minute: int | None = None,
        search_limiter: SearchLimiter | None = None,
    ) -> None:
        """`search_per_minute`: the search budget of the token (None: GitHub's, 30 with a token and 10
        without); searches share this process's limiter for the API and token, or `search_limiter`."""
        base_url = base_url.rstrip("/")
        if not base_url.startswith(("http://", "https://")):
            raise BadInput(f"GITHUB_API_URL {base_url!r} must start with https:// (e.g. https://HOST/api/v3)")
        self._base_url = base_url
        self._authenticated = bool(token)
        self._search_limiter = search_limiter or shared_limiter(base_url, token, search_per_minute)

        def retry(rate_limit_wait: float, secondary_wait: float) -> _BoundedRetry:
            return _BoundedRetry(
                total=retries,
                backoff_factor=backoff_factor,
                backoff_max=max(max_rate_limit_wait, backoff_factor),
                status_forcelist=[*range(500, 600), 429],  # GithubRetry adds 403 and inspects it
                secondary_rate_wait=secondary_wait,
                max_rate_limit_wait=rate_limit_wait,
                # After the last retry hand the error response to PyGithub (-> a GithubException with
                # its status) rather than raising urllib3's MaxRetryError, so 5xx and 429 map to our
                # categories.
                raise_on_status=False,
            )

        self._client_options: dict[str, Any] = dict(
            auth=Auth.Token(token) if token else None,
            base_url=base_url,
            timeout=max(1, math.ceil(timeout)),  # PyGithub asserts an int
            user_agent=USER_AGENT,
            per_page=PER_PAGE,
            # GitHub asks to wait a minute after a secondary limit without Retry-After; we wait at most
            # max_rate_limit_wait (GithubRetry gives up when secondary_rate_wait exceeds it).
            retry=retry(max_rate_limit_wait, min(60.0, max_rate_limit_wait)),
            # PyGithub sleeps 0.25 s between requests by default. A report is a handful of serial GETs
            # and secondary limits are retried, so the pause would only add seconds to every report.
            seconds_between_requests=None,
        )
        # Searches go through a client whose retries never wait for a rate limit: GithubRetry would
        # sleep and ask again behind the limiter's back. It gives up at once, saying how long to wait
        # (a minute for a secondary limit without Retry-After), and the limiter waits that out.
        self._search_options = {**self._client_options, "retry": retry(0, 60.0)}
        self._local = threading.local()
        self._clients: list[Github] = []
        self._lock = threading.Lock()
        self._count = 0
        self._not_modified = 0

    @property
    def request_count(self) -> int:
        """Requests this source has sent (each page counts; transport-level retries do not)."""
        return self._count

    @property
    def not_modified_count(self) -> int:
        """Of `request_count`, the conditional requests GitHub answered 304 (not modified)."""
        return self._not_modified

    @property
    def search_limiter(self) -> SearchLimiter:
        """The limiter every search of this source waits its turn in (shared by the process's sources
        for the same API and token, unless one was given)."""
        return self._search_limiter

    @property
    def authenticated(self) -> bool:
        """A token is sent (pinned issues can be read: GraphQL refuses anonymous callers)."""
        return self._authenticated

    def close(self) -> None:
        with self._lock:
            clients, self._clients = self._clients, []
        for client in clients:
            client.close()

    def _client(self, *, search: bool = False) -> Github:
        name = "search_client" if search else "client"
        client = getattr(self._local, name, None)
        if client is None:
            client = Github(**(self._search_options if search else self._client_options))
            setattr(self._local, name, client)
            with self._lock:
                self._clients.append(client)
        return client

    def __enter__(self) -> GitHubSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- reports ------------------------------------------------------------------------------------

    def fetch(self, repo: str, *, window_start: datetime, window_end: datetime, now: datetime) -> TicketData:
        """Tickets of `repo` active in [window_start, window_end) and the comments made in it."""
        repo = _check_repo(repo)
        _check_aware(window_start=window_start, window_end=window_end, now=now)
        if window_end > now - RECENT:
            issues, comments = self._list_mode(repo, window_start=window_start, window_end=window_end)
        else:
            issues, comments = self._search_mode(repo, window_start=window_start, window_end=window_end)
        data = select_window(
            tickets_from_issues(issues, repo=repo),
            comments_from_payloads(comments, repo=repo),
            window_start=window_start,
            window_end=window_end,
        )
        # After the REST pages, so a repository that cannot be read costs no GraphQL request.
        return mark_pinned(data, self.pinned_issues(repo) or ())

    def _list_mode(
        self, repo: str, *, window_start: datetime, window_end: datetime
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        issues = self._list_issues(repo, since=window_start)
        comments = self._list_comments(repo, since=window_start, until=window_end)
        return issues, comments

    def _search_mode(
        self, repo: str, *, window_start: datetime, window_end: datetime
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        # Comments first: a missing repository answers 404 here (search answers a vaguer 422).
        comments = self._list_comments(repo, since=window_start, until=window_end)
        # Search ranges are inclusive and to the second: round the end up, select_window trims the excess.
        end = window_end + timedelta(microseconds=-window_end.microsecond % 1_000_000)
        span = f"{format_datetime(window_start)}..{format_datetime(end)}"
        found: dict[int, dict[str, Any]] = {}
        for qualifier in ("created", "closed"):
            items = self._search_all(repo, f"repo:{repo} is:issue {qualifier}:{span}")
            if items is None:  # over the search cap or incomplete: list instead
                log.info("search for %s %s too large; listing issues instead", repo, qualifier)
                return self._list_issues(repo, since=window_start), comments
            found.update((item["number"], item) for item in items if isinstance(item.get("number"), int))
        missing = sorted(
            {
                number
                for c in comments
                if not is_pull_request_comment(c)
                and (number := issue_number_from_url(c.get("issue_url"))) is not None
                and number not in found
                and _inside(parse_datetime(c.get("created_at")), window_start, window_end)
            }
        )
        if len(missing) > MAX_SINGLE_GETS:
            log.info("%d commented issues in %s outside the searches; listing instead", len(missing), repo)
            return self._list_issues(repo, since=window_start), comments
        issues = list(found.values())
        for number in missing:
            issue = self._get_issue_or_none(repo, number)
            if issue is not None:
                issues.append(issue)
        return issues, comments

    # --- pinned issues ------------------------------------------------------------------------------

    def pinned_issues(self, repo: str) -> frozenset[int] | None:
        """Numbers of the issues pinned to `repo`, in one GraphQL request; None when they are unknown.

        Without a token nothing is sent (GraphQL answers anonymous callers 401). Any failure -- an errors
        array, 401/403, 5xx after the retries, a timeout, an unreadable answer -- logs one warning and gives
        None: pinned issues then count as tickets, and the report is built all the same.
        """
        repo = _check_repo(repo)
        if not self._authenticated:
            return None
        owner, name = repo.split("/", 1)
        with self._lock:
            self._count += 1
        requester = self._client().requester
        try:
            # The POST that Requester.graphql_query sends, to the same requester.graphql_url (which maps
            # https://HOST/api/v3 to https://HOST/api/graphql), with the client's auth, timeout and
            # retries. Not graphql_query itself: it tests `"errors" in data`, a TypeError on an empty body.
            _, answer = requester.requestJsonAndCheck(
                "POST",
                requester.graphql_url,
                input={"query": PINNED_QUERY, "variables": {"owner": owner, "name": name}},
            )
        except GithubException as exc:
            problem = f"HTTP {exc.status} {_message(exc)}"
        except requests.exceptions.RequestException as exc:
            problem = "did not answer in time" if _timed_out(exc) else "could not be reached"
        except ValueError:  # PyGithub re-raises json's error for a body that starts like JSON but is not
            problem = "answered malformed JSON"
        else:
            problem = graphql_error_text(answer)
            numbers = pinned_numbers_from_graphql(answer) if problem is None else None
            if numbers is not None:
                return numbers
            problem = problem or "answered without pinnedIssues"
        log.warning(
            "pinned issues of %s unknown (GitHub GraphQL: %s); counting them as tickets",
            repo,
            " ".join(problem.split()),
        )
        return None

    # --- drill-down ---------------------------------------------------------------------------------

    def fetch_ticket(self, repo: str, number: int) -> tuple[Ticket, tuple[Comment, ...]]:
        """One ticket and its comments in at most three requests: the issue, then (if it has more than
        100 comments) the first and the newest page -- or the two newest pages when the newest holds
        fewer than three comments. With <= 100 comments all of them come back."""
        repo = _check_repo(repo)
        if number <= 0:
            raise BadInput(f"#{number} is not an issue number")
        issue = self._get_issue(repo, number)
        if is_pull_request(issue):
            raise TicketNotFound(f"{repo}#{number} is a pull request; ticket reports cover issues only")
        ticket = ticket_from_issue(issue, repo=repo)
        if ticket is None:
            raise TicketNotFound(f"GitHub's answer for {repo}#{number} is not a readable issue")
        path = f"/repos/{repo}/issues/{number}/comments"
        payloads: list[dict[str, Any]] = []
        if ticket.comments_count > 0:
            last = max(math.ceil(ticket.comments_count / PER_PAGE), 1)
            newest = self._page(path, {"per_page": PER_PAGE, "page": last}, repo=repo).items
            if last > 1:
                other = last - 1 if len(newest) < 3 else 1
                payloads += self._page(path, {"per_page": PER_PAGE, "page": other}, repo=repo).items
            payloads += newest
        comments = [c for p in payloads if (c := comment_from_payload(p, repo=repo)) is not None]
        unique = {c.id: c for c in comments}
        return ticket, tuple(sorted(unique.values(), key=lambda c: (c.created_at, c.id)))

    # --- the ticket mirror's sync -------------------------------------------------------------------

    def conditional_page(
        self, repo: str, url: str, params: Mapping[str, Any] | None = None, *, etag: str | None = None
    ) -> ConditionalPage:
        """One page of a listing: `url` is a path under the API base ("/repos/o/n/issues") with `params`,
        or a `next_url` given before. With `etag` the request is conditional (`If-None-Match`): an
        unchanged answer comes back as a 304 without items, which GitHub does not count against the rate
        limit of an authenticated caller. One request (counted, a 304 also in `not_modified_count`);
        failures raise the categories in `bot.errors`, as for every other request."""
        repo = _check_repo(repo)
        target = self._relative(url, params)
        with self._lock:
            self._count += 1
        headers = {"If-None-Match": etag} if etag else None
        try:
            # requestJson, not requestJsonAndCheck: PyGithub 2.10's check hands back a 304 as (headers,
            # None), indistinguishable from an empty 200; requestJson returns the status. Errors are
            # built the way its check builds them (Requester.createException) and translated as usual.
            requester = self._client().requester
            status, answer_headers, body = requester.requestJson("GET", target, headers=headers)
        except GithubException as exc:  # a rate limit the retry gave up on
            raise _translate(exc, repo=repo, search=False) from exc
        except requests.exceptions.RequestException as exc:
            raise self._unavailable(exc) from exc
        if status == 304:
            with self._lock:
                self._not_modified += 1
            return ConditionalPage(
                url=target,
                status=304,
                items=[],
                next_url=None,
                last_page=None,
                etag=_header(answer_headers, "etag") or etag,
            )
        try:
            data = json.loads(body) if body else None
        except ValueError:
            data = None
            if status < 400:
                raise GitHubUnavailable(
                    f"GitHub answered {target.split('?')[0]} with malformed JSON; try again later"
                ) from None
        if status >= 400:
            error = requester.createException(status, answer_headers, data if isinstance(data, dict) else {})
            raise _translate(error, repo=repo, search=False) from error
        links = dict((rel, link) for link, rel in _LINK.findall(_header(answer_headers, "link") or ""))
        items = data if isinstance(data, list) else []
        return ConditionalPage(
            url=target,
            status=status,
            items=[i for i in items if isinstance(i, dict)],
            next_url=self._relative(links["next"], None) if links.get("next") else None,
            last_page=_page_number(links.get("last")),
            etag=_header(answer_headers, "etag"),
        )

    def current_issue(self, repo: str, number: int) -> dict[str, Any] | None:
        """The issue's JSON as GitHub holds it now; None when it is no longer in `repo`: deleted (410),
        not found (404), or transferred (GitHub answers 301 to its new repository, PyGithub follows, and
        the payload names the other repository)."""
        repo = _check_repo(repo)
        try:
            _, data = self._request(f"/repos/{repo}/issues/{number}", None, repo=repo)
        except (TicketNotFound, RepoNotFound):
            return None
        if not isinstance(data, dict):
            return None
        where = repo_from_url(data.get("repository_url") or data.get("url"))
        if where is not None and where.lower() != repo.lower():
            return None
        return data

    def _relative(self, url: str, params: Mapping[str, Any] | None) -> str:
        """`url` (absolute under the API base, or a path) with `params` -> "/path?sorted query"."""
        if url.startswith(self._base_url + "/"):
            url = url[len(self._base_url) :]
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        query.update({k: str(v) for k, v in (params or {}).items()})
        head = url.split("?", 1)[0]
        return f"{head}?{urlencode(sorted(query.items()))}" if query else head

    # --- snapshots ----------------------------------------------------------------------------------

    def download(self, repo: str, *, since: datetime) -> dict[str, list[dict[str, Any]]]:
        """Raw payloads for a snapshot: every issue (pull requests included, as the API lists them)
        updated since `since`, and every comment since then."""
        repo = _check_repo(repo)
        _check_aware(since=since)
        issues = self._list_issues(repo, since=since)
        comments = self._list_comments(repo, since=since, until=None)
        return {"issues": issues, "comments": comments}

    # --- requests -----------------------------------------------------------------------------------

    def _list_issues(self, repo: str, *, since: datetime) -> list[dict[str, Any]]:
        params = {"state": "all", "since": format_datetime(since), "per_page": PER_PAGE}
        return [
            item for page in self._pages(f"/repos/{repo}/issues", params, repo=repo) for item in page.items
        ]

    def _list_comments(self, repo: str, *, since: datetime, until: datetime | None) -> list[dict[str, Any]]:
        # `since` filters on updated_at; sort=created asc lets us stop at the first page reaching `until`.
        params = {
            "since": format_datetime(since),
            "sort": "created",
            "direction": "asc",
            "per_page": PER_PAGE,
        }
        comments: list[dict[str, Any]] = []
        for page in self._pages(f"/repos/{repo}/issues/comments", params, repo=repo):
            comments += page.items
            if until is not None and any(
                (created := parse_datetime(c.get("created_at"))) is not None and created >= until
                for c in page.items
            ):
                break
        return comments

    def _search_all(self, repo: str, query: str) -> list[dict[str, Any]] | None:
        """All items of an issue search; None when GitHub cannot give them all (over 1000, or incomplete)."""
        items: list[dict[str, Any]] = []
        for page in self._pages("/search/issues", {"q": query, "per_page": PER_PAGE}, repo=repo, search=True):
            if page.incomplete or (page.total_count or 0) > 1000:
                return None
            items += page.items
        return items

    def _pages(
        self, path: str, params: dict[str, Any], *, repo: str, search: bool = False
    ) -> Iterator[_Page]:
        page = self._page(path, params, repo=repo, search=search)
        yield page
        while page.next_url:
            page = self._page(page.next_url, None, repo=repo, search=search)
            yield page

    def _page(self, url: str, params: dict[str, Any] | None, *, repo: str, search: bool = False) -> _Page:
        # Raw JSON through PyGithub's public `Github.requester` (documented "to make requests to API
        # endpoints not yet supported"), not Issue/IssueComment objects: those are CompletableGithubObjects
        # whose `raw_data` and any attribute absent from list JSON send a completion GET per object, and
        # PaginatedList.totalCount costs a request. Raw pages give us the JSON as listed -- what the pure
        # payload parser and snapshot files want anyway -- and exactly one request per page.
        headers, data = self._request(url, params, repo=repo, search=search)
        links = dict((rel, target) for target, rel in _LINK.findall(_header(headers, "link") or ""))
        if search:
            data = data if isinstance(data, dict) else {}
            items = data.get("items") or []
            return _Page(
                items=[i for i in items if isinstance(i, dict)],
                next_url=links.get("next"),
                total_count=data.get("total_count") if isinstance(data.get("total_count"), int) else None,
                incomplete=bool(data.get("incomplete_results")),
            )
        items = data if isinstance(data, list) else []
        return _Page(
            items=[i for i in items if isinstance(i, dict)],
            next_url=links.get("next"),
        )

    def _get_issue(self, repo: str, number: int) -> dict[str, Any]:
        try:
            _, data = self._request(f"/repos/{repo}/issues/{number}", None, repo=repo)
        except RepoNotFound as exc:
            # GitHub's 404 does not say whether the issue or the repository is missing.
            raise TicketNotFound(
                f"{repo}#{number} was not found: check the number, and that the repository exists and "
                "GITHUB_TOKEN can read it"
            ) from exc
        except TicketNotFound as exc:
            raise TicketNotFound(f"{repo}#{number} was deleted") from exc
        if not isinstance(data, dict):
            raise TicketNotFound(f"GitHub's answer for {repo}#{number} is not a readable issue")
        return data

    def _get_issue_or_none(self, repo: str, number: int) -> dict[str, Any] | None:
        try:
            return self._get_issue(repo, number)
        except TicketNotFound:  # deleted or transferred since it was commented on
            return None

    def _request(
        self, url: str, params: dict[str, Any] | None, *, repo: str, search: bool = False
    ) -> tuple[dict[str, Any], Any]:
        if search:
            return self._search_request(url, params, repo=repo)
        with self._lock:
            self._count += 1
        try:
            return self._client().requester.requestJsonAndCheck("GET", url, parameters=params)
        except GithubException as exc:
            raise _translate(exc, repo=repo, search=search) from exc
        except requests.exceptions.RequestException as exc:
            raise self._unavailable(exc) from exc

    def _search_request(
        self, url: str, params: dict[str, Any] | None, *, repo: str
    ) -> tuple[dict[str, Any], Any]:
        """One search request in its turn under the search budget. A rate limit GitHub answers anyway is
        waited out and the request sent again, as long as that fits in the limiter's wait; past it (or
        when the limit resets later than that) RateLimited says when to try again."""
        limiter = self._search_limiter
        deadline = limiter.deadline()
        while True:
            limiter.acquire(deadline=deadline)  # RateLimited when the turn cannot come in time
            with self._lock:
                self._count += 1
            try:
                return self._client(search=True).requester.requestJsonAndCheck("GET", url, parameters=params)
            except GithubException as exc:
                error = _translate(exc, repo=repo, search=True)
                if not isinstance(error, RateLimited):
                    raise error from exc
                log.info("GitHub's search limit reached; searches wait until %s UTC", error.reset_at.time())
                limiter.hold_until(error.reset_at)
            except requests.exceptions.RequestException as exc:
                raise self._unavailable(exc) from exc
            finally:
                limiter.release()

    def _unavailable(self, exc: requests.exceptions.RequestException) -> GitHubUnavailable:
        host = _host(self._base_url)
        if _timed_out(exc):
            return GitHubUnavailable(f"GitHub ({host}) did not answer in time; try again later")
        return GitHubUnavailable(f"Could not reach GitHub at {host}; try again later")


# --- snapshot files ---------------------------------------------------------------------------------


def write_snapshot(
    source: GitHubSource,
    *,
    repos: Sequence[str],
    since: datetime,
    now: datetime,
    path: str | Path,
) -> str:
    """Download `repos` since `since` and write one snapshot file; returns a one-line summary.

    The file is {"issues": [...], "comments": [...]} exactly as the REST API returned them (several
    repositories may share one file: each payload names its repository), plus "since" and "generated_at"
    so a reader knows which comments the file can hold, and "pinned": {"owner/name": [numbers]} for the
    repositories whose pinned issues are known (none without a token).
    """
    _check_aware(since=since, now=now)
    issues: list[dict[str, Any]] = []
    comments: list[dict[str, Any]] = []
    pinned: dict[str, list[int]] = {}
    for repo in repos:
        payloads = source.download(repo, since=since)
        issues += payloads["issues"]
        comments += payloads["comments"]
        numbers = source.pinned_issues(repo)
        if numbers is not None:
            pinned[repo] = sorted(numbers)
    snapshot: dict[str, Any] = {
        "since": format_datetime(since),
        "generated_at": format_datetime(now),
        "issues": issues,
        "comments": comments,
    }
    if pinned:
        snapshot["pinned"] = pinned
    Path(path).write_text(json.dumps(snapshot, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return f"{len(issues)} issues and pull requests, {len(comments)} comments from {', '.join(repos)}"


def read_snapshot(path: str | Path) -> dict[str, TicketData]:
    """A snapshot file -> TicketData per repository ("owner/name" as the payloads spell it), unfiltered:
    every issue (pull requests dropped) and every comment in the file, tickets marked `pinned` as the
    file's "pinned" says; comments_since is the file's "since" when it has one."""
    raw = _load_snapshot(path)
    since = parse_datetime(raw.get("since"))
    pinned = pinned_from_snapshot(raw.get("pinned"))
    by_repo: dict[str, tuple[list[Ticket], list[Comment]]] = {}
    for ticket in tickets_from_issues(raw["issues"]):
        by_repo.setdefault(ticket.repo, ([], []))[0].append(ticket)
    for comment in comments_from_payloads(raw["comments"]):
        by_repo.setdefault(comment.repo, ([], []))[1].append(comment)
    return {
        repo: mark_pinned(
            TicketData(
                tickets=tuple(sorted(tickets, key=lambda t: t.number)),
                comments=tuple(sorted(comments, key=lambda c: (c.created_at, c.id))),
                comments_since=since,
            ),
            pinned.get(repo.lower(), ()),
        )
        for repo, (tickets, comments) in by_repo.items()
    }


class SnapshotSource:
    """A snapshot file behind the same interface as GitHubSource (`--source FILE`): offline reports."""

    def __init__(self, path: str | Path) -> None:
        self._path = str(path)
        raw = _load_snapshot(path)
        self._since = parse_datetime(raw.get("since"))
        self._pinned = pinned_from_snapshot(raw.get("pinned"))
        self._issues: dict[str, list[dict[str, Any]]] = {}
        self._comments: dict[str, list[dict[str, Any]]] = {}
        for issue in raw["issues"]:
            if isinstance(issue, dict) and (
                repo := repo_from_url(issue.get("repository_url") or issue.get("url"))
            ):
                self._issues.setdefault(repo.lower(), []).append(issue)
        for comment in raw["comments"]:
            if isinstance(comment, dict) and (repo := repo_from_url(comment.get("issue_url"))):
                self._comments.setdefault(repo.lower(), []).append(comment)
        self.request_count = 0

    @property
    def repos(self) -> tuple[str, ...]:
        return tuple(sorted(set(self._issues) | set(self._comments)))

    def fetch(self, repo: str, *, window_start: datetime, window_end: datetime, now: datetime) -> TicketData:
        repo = _check_repo(repo)
        _check_aware(window_start=window_start, window_end=window_end, now=now)
        key = repo.lower()
        if key not in self._issues and key not in self._comments:
            held = ", ".join(self.repos) or "nothing"
            raise RepoNotFound(f"The snapshot {self._path} has no data for {repo} (it holds {held})")
        data = select_window(
            tickets_from_issues(self._issues.get(key, []), repo=repo),
            comments_from_payloads(self._comments.get(key, []), repo=repo),
            window_start=window_start,
            window_end=window_end,
        )
        data = mark_pinned(data, self._pinned.get(key, ()))
        if self._since is not None and self._since > window_start:
            return TicketData(tickets=data.tickets, comments=data.comments, comments_since=self._since)
        return data

    def fetch_ticket(self, repo: str, number: int) -> tuple[Ticket, tuple[Comment, ...]]:
        repo = _check_repo(repo)
        for issue in self._issues.get(repo.lower(), []):
            if issue.get("number") == number:
                if is_pull_request(issue):
                    raise TicketNotFound(
                        f"{repo}#{number} is a pull request; ticket reports cover issues only"
                    )
                ticket = ticket_from_issue(issue, repo=repo)
                if ticket is None:
                    break
                if number in self._pinned.get(repo.lower(), ()):
                    ticket = replace(ticket, pinned=True)
                comments = [
                    c
                    for c in comments_from_payloads(self._comments.get(repo.lower(), []), repo=repo)
                    if c.issue_number == number
                ]
                return ticket, tuple(sorted(comments, key=lambda c: (c.created_at, c.id)))
        raise TicketNotFound(f"{repo}#{number} is not in the snapshot {self._path}")


def _load_snapshot(path: str | Path) -> dict[str, Any]:
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadInput(f"Snapshot file {path} does not exist") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInput(f"Snapshot file {path} is not readable JSON ({exc.__class__.__name__})") from None
    if (
        not isinstance(raw, dict)
        or not isinstance(raw.get("issues", []), list)
        or not isinstance(raw.get("comments", []), list)
    ):
        raise BadInput(f'Snapshot file {path} must hold {{"issues": [...], "comments": [...]}}')
    return {**raw, "issues": raw.get("issues", []), "comments": raw.get("comments", [])}


# --- helpers ----------------------------------------------------------------------------------------


def _check_repo(repo: str) -> str:
    if not isinstance(repo, str) or not _REPO_NAME.match(repo):
        raise BadInput(f"{repo!r} is not a repository name; use OWNER/NAME like octo-org/support")
    return repo


def _check_aware(**moments: datetime) -> None:
    for name, moment in moments.items():
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"{name} must be timezone-aware")


def _inside(moment: datetime | None, start: datetime, end: datetime) -> bool:
    return moment is not None and start <= moment < end


def _timed_out(exc: requests.exceptions.RequestException) -> bool:
    # Once urllib3 has used up its retries, requests reports a read timeout as a ConnectionError wrapping
    # MaxRetryError(reason=ReadTimeoutError), not as requests.Timeout.
    if isinstance(exc, requests.exceptions.Timeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    if isinstance(reason, urllib3.exceptions.NewConnectionError):  # a refused connection, despite its base
        return False
    return isinstance(reason, urllib3.exceptions.TimeoutError)


def _page_number(url: str | None) -> int | None:
    """The `page` parameter of a listing URL (a Link target)."""
    if not url:
        return None
    page = dict(parse_qsl(urlsplit(url).query)).get("page", "")
    return int(page) if page.isdigit() else None


def _host(url: str) -> str:
    return url.split("://", 1)[-1].split("/", 1)[0]


def _header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    """Header lookup that works on PyGithub's lower-cased dicts and on urllib3's HTTPHeaderDict."""
    if not headers:
        return None
    wanted = name.lower()
    for key, value in headers.items():
        if str(key).lower() == wanted:
            return str(value)
    return None


def _reset_from_headers(headers: Mapping[str, Any] | None) -> datetime | None:
    """When an exhausted primary limit resets (X-RateLimit-Reset, epoch seconds)."""
    reset = (_header(headers, "X-RateLimit-Reset") or "").strip()
    return datetime.fromtimestamp(int(reset), UTC) if reset.isdigit() else None


def _rate_limit_reset(exc: GithubException) -> datetime:
    """When asking again makes sense: an exhausted primary limit's reset, else the wait we refused, else
    Retry-After, else a minute (GitHub's advice for a secondary limit without a hint)."""
    now = datetime.now(UTC)
    reset = _reset_from_headers(exc.headers)
    if reset is not None and _header(exc.headers, "X-RateLimit-Remaining") == "0":
        return reset
    if isinstance(exc, RateLimitExceededExceedsMaxWait) and exc.wait:
        return now + timedelta(seconds=exc.wait)
    retry_after = (_header(exc.headers, "Retry-After") or "").strip()
    if retry_after.isdigit():
        return now + timedelta(seconds=int(retry_after))
    return now + timedelta(minutes=1)


def _translate(exc: GithubException, *, repo: str, search: bool) -> UpstreamError:
    """PyGithub's exception -> our category, with a message a user can act on (never the token)."""
    status = exc.status
    if isinstance(exc, RateLimitExceededException) or status == 429:
        return RateLimited(_rate_limit_reset(exc))
    if isinstance(exc, BadCredentialsException) or status == 401:
        return BadCredentials("GitHub rejected the token (bad credentials): check GITHUB_TOKEN")
    if status == 403:
        return BadCredentials(f"GitHub refused access to {repo}: check that GITHUB_TOKEN may read its issues")
    if isinstance(exc, UnknownObjectException) or status == 404 or (search and status == 422):
        return RepoNotFound(f"Repository {repo} was not found on GitHub, or GITHUB_TOKEN cannot see it")
    if status == 410:
        return TicketNotFound(f"That issue in {repo} was deleted")
    if status is not None and status >= 500:
        return GitHubUnavailable(f"GitHub is having trouble (HTTP {status}); try again in a few minutes")
    log.warning("unexpected GitHub answer for %s: HTTP %s %s", repo, status, _message(exc))
    return UpstreamError(f"GitHub answered HTTP {status} for {repo}; see the log for details")


def _message(exc: GithubException) -> str:
    data = exc.data
    return str(data.get("message", ""))[:200] if isinstance(data, dict) else ""
