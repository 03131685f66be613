"""A fake GitHub REST API on 127.0.0.1 that serves issues, comments and search from memory, plus the one
GraphQL query the bot sends (a repository's pinned issues).

Real HTTP, so tests and benchmarks drive the real PyGithub client through it. It paginates like GitHub
(`per_page`, `page`, absolute `Link` headers with next/last/first/prev), lists pull requests among issues,
records every request it gets (method, path, query, headers, and a POST's body) and the status it
answered, and can be told to be slow, to fail the next requests with a given status, or to be rate
limited.

`limit_search(per_window, window=...)` applies GitHub's search limit (30 requests a minute per token;
anonymous callers share one budget): a fixed window opens at the first search after the last one
closed, and searches beyond the budget are answered as GitHub answers them -- 403 "API rate limit
exceeded" with `X-RateLimit-Remaining: 0` and `X-RateLimit-Reset`, or with `status=429` a 429 that
also carries `Retry-After`. Accepted searches carry the search resource's rate-limit headers.
`search_rejections` counts the searches refused and `search_peak` the most accepted in one window.

Conditional requests work as on GitHub: every 200 JSON answer of a GET carries a weak `ETag` (a hash of
its body), and a request whose `If-None-Match` names it gets 304 with no body (`not_modified_count`).
Listings sort by `sort=created|updated` and `direction=asc|desc`; `since` filters on `updated_at`.
Issues and comments can be edited (which bumps their `updated_at`), commented on, deleted (an issue then
answers 410 Gone and leaves every listing with its comments) and transferred: GitHub answers a
transferred issue's old URL with 301 to the issue in its new repository (`/repositories/ID/issues/N`);
the fake does that when the new repository is one it serves, and answers 404 otherwise.

Writes work as on GitHub and change what later reads (and a mirror's sync) see: POST
.../issues/N/comments, PATCH .../issues/N (title, body, state, state_reason), POST .../issues/N/labels,
POST .../issues/N/assignees (logins that cannot be assigned are left out, as GitHub does) and DELETE
.../issues/comments/ID; GET .../labels and GET .../assignees list the repository's labels and assignable
users. A write without a token gets 401; a token made read-only with `read_only_token(...)` gets 403
"Resource not accessible by integration", as a token without write access to issues does. `fail_next`
fails writes too (give `method="PATCH"` to fail only those).

GraphQL is answered at POST {base}/graphql -- or /api/graphql when the prefix is /api/v3, as on GitHub
Enterprise -- and recorded with the path "/graphql". Like GitHub it refuses a caller without a token (401),
and reports a missing repository or a query it does not know in an "errors" array with HTTP 200.

    with FakeGitHub() as gh:
        gh.add_repo("acme/support", issues=[...], comments=[...], pinned=[12])
        source = GitHubSource(token=None, base_url=gh.url)
        ...
        assert len(gh.requests) <= 4
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

DOCS = "https://docs.github.com/rest"
SEARCH_LIMIT = 1000  # GitHub's search API returns at most the first 1000 results


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # without the server's prefix, e.g. "/repos/acme/support/issues"
    query: dict[str, str]  # last value of each parameter
    headers: dict[str, str]  # header names lower-cased
    body: Any = None  # a POST's JSON body, parsed (its text when it is not JSON)

    @property
    def url(self) -> str:
        return f"{self.path}?{urlencode(sorted(self.query.items()))}" if self.query else self.path


@dataclass(frozen=True)
class Answer:
    """A request and the status it was answered with."""

    request: RecordedRequest
    status: int


@dataclass
class _Failure:
    status: int
    headers: dict[str, str]
    body: Any
    path_contains: str | None
    delay: float = 0.0
    method: str | None = None


@dataclass
class _Repo:
    name: str
    private: bool = False
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: list[dict[str, Any]] = field(default_factory=list)
    deleted: set[int] = field(default_factory=set)
    pinned: list[int] = field(default_factory=list)
    moved: dict[int, tuple[str, int]] = field(default_factory=dict)  # transferred: (repository, number)
    labels: dict[str, dict[str, Any]] = field(default_factory=dict)  # lower-cased name -> label payload
    assignable: list[str] = field(default_factory=list)  # logins


class FakeGitHub:
    """In-memory GitHub REST API served over HTTP in a background thread (see the module docstring)."""

    def __init__(self, *, prefix: str = "", token: str | None = None) -> None:
        """prefix: a path like "/api/v3" to look like GitHub Enterprise. token: when set, a request with
        any other Authorization gets 401 Bad credentials (no Authorization at all is an anonymous caller)."""
        self.prefix = prefix.rstrip("/")
        self.token = token
        self.delay = 0.0  # seconds to wait before answering each request
        self.rate_limited_until: datetime | None = None  # while set, every request gets a primary rate limit
        self._repos: dict[str, _Repo] = {}
        self._failures: list[_Failure] = []
        self._requests: list[RecordedRequest] = []
        self._answers: list[Answer] = []
        self._lock = threading.Lock()
        self._memo: dict[tuple, tuple[int, Any, dict]] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._search_limit: _SearchLimit | None = None
        self.read_only_tokens: set[str] = set()  # accepted for reads; writes get 403
        self.login = "ticket-report-bot"  # who the token is: the author of the comments it posts
        self._next_comment_id = 9_000_000
        self._lost: list[tuple[str, str, int, float]] = []  # writes made whose answer is lost

    # --- lifecycle ------------------------------------------------------------------------------------

    def start(self) -> FakeGitHub:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-github", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The base URL to hand to the client, e.g. http://127.0.0.1:54321 (plus the prefix, if any)."""
        assert self._server is not None, "start() the fake first"
        return f"http://127.0.0.1:{self._server.server_address[1]}{self.prefix}"

    # --- data -----------------------------------------------------------------------------------------

    def add_repo(
        self,
        name: str,
        *,
        issues: Iterable[Mapping[str, Any]] = (),
        comments: Iterable[Mapping[str, Any]] = (),
        private: bool = False,
        pinned: Iterable[int] | None = None,
        labels: Iterable[str] = (),
        assignable: Iterable[str] = (),
    ) -> None:
        """Add a repository, or more issues and comments to one already added. `pinned` (issue numbers, in
        GitHub's order) replaces the repository's pinned issues; None leaves them as they are. `labels` and
        `assignable` (logins) are added to the repository's labels and assignable users; the labels of
        the issues given are added too."""
        with self._lock:
            repo = self._repos.setdefault(name.lower(), _Repo(name=name, private=private))
            for issue in issues:
                repo.issues[int(issue["number"])] = dict(issue)
                for label in issue.get("labels") or []:
                    repo.labels.setdefault(label["name"].lower(), dict(label))
            repo.comments.extend(dict(c) for c in comments)
            if pinned is not None:
                repo.pinned = [int(n) for n in pinned]
            for label_name in labels:
                repo.labels.setdefault(label_name.lower(), _label(repo.name, label_name, len(repo.labels)))
            repo.assignable += [login for login in assignable if login not in repo.assignable]
            self._memo.clear()

    def read_only_token(self, token: str) -> None:
        """Accept `token` for reads and refuse its writes (403), like a token without Issues: write."""
        with self._lock:
            self.read_only_tokens.add(token)

    def issue(self, repo: str, number: int) -> dict[str, Any]:
        """The issue's payload as the fake holds it now."""
        with self._lock:
            return dict(self._repos[repo.lower()].issues[number])

    def comments_of(self, repo: str, number: int) -> list[dict[str, Any]]:
        """The comments of one issue as the fake holds them now, oldest first."""
        with self._lock:
            r = self._repos[repo.lower()]
            return [dict(c) for c in r.comments if _comment_issue(c) == number]

    def delete_issue(self, repo: str, number: int) -> None:
        """GitHub answers 410 Gone for a deleted issue; its comments leave the listings with it."""
        with self._lock:
            r = self._repos[repo.lower()]
            r.issues.pop(number, None)
            r.deleted.add(number)
            r.comments = [c for c in r.comments if _comment_issue(c) != number]
            self._memo.clear()

    def edit_issue(
        self, repo: str, number: int, *, at: datetime | None = None, **fields: Any
    ) -> dict[str, Any]:
        """Change an issue's fields (title="...", state="closed", ...); its `updated_at` becomes `at`
        (default: now, and always later than before). Returns the new payload."""
        with self._lock:
            r = self._repos[repo.lower()]
            issue = {**r.issues[number], **fields}
            issue["updated_at"] = _later(issue["updated_at"], at)
            r.issues[number] = issue
            self._memo.clear()
            return issue

    def add_comment(self, repo: str, comment: Mapping[str, Any]) -> None:
        """A new comment: like GitHub, its issue's `comments` count grows and its `updated_at` moves to the
        comment's creation."""
        with self._lock:
            r = self._repos[repo.lower()]
            r.comments.append(dict(comment))
            number = _comment_issue(comment)
            if number in r.issues:
                issue = dict(r.issues[number])
                issue["comments"] = int(issue.get("comments") or 0) + 1
                issue["updated_at"] = max(issue["updated_at"], comment["created_at"], key=_dt)
                r.issues[number] = issue
            self._memo.clear()

    def edit_comment(
        self, repo: str, comment_id: int, *, body: str | None = None, at: datetime | None = None
    ) -> dict[str, Any]:
        """Edit a comment: its `updated_at` becomes `at` (default: now, always later than before). Its
        issue is left as it is. Returns the new payload."""
        with self._lock:
            r = self._repos[repo.lower()]
            index = next(i for i, c in enumerate(r.comments) if c["id"] == comment_id)
            comment = dict(r.comments[index])
            if body is not None:
                comment["body"] = body
            comment["updated_at"] = _later(comment["updated_at"], at)
            r.comments[index] = comment
            self._memo.clear()
            return comment

    def delete_comment(self, repo: str, comment_id: int) -> None:
        """Delete a comment: it leaves every listing and its issue's `comments` count drops (the issue's
        `updated_at` is left as it is, so no `since` listing shows the deletion)."""
        with self._lock:
            r = self._repos[repo.lower()]
            gone = [c for c in r.comments if c["id"] == comment_id]
            r.comments = [c for c in r.comments if c["id"] != comment_id]
            for comment in gone:
                number = _comment_issue(comment)
                if number in r.issues:
                    issue = dict(r.issues[number])
                    issue["comments"] = max(int(issue.get("comments") or 0) - 1, 0)
                    r.issues[number] = issue
            self._memo.clear()

    def transfer_issue(self, repo: str, number: int, *, to: str | None = None) -> int | None:
        """Transfer an issue (and its comments) away: it leaves `repo`'s listings. When `to` is a
        repository of the fake the issue joins it under the next free number (returned) and the old URL
        answers 301 there, as GitHub's does; otherwise the old URL answers 404."""
        with self._lock:
            r = self._repos[repo.lower()]
            issue = r.issues.pop(number)
            comments = [c for c in r.comments if _comment_issue(c) == number]
            r.comments = [c for c in r.comments if _comment_issue(c) != number]
            target = self._repos.get(to.lower()) if to else None
            new_number = None
            if target is not None:
                new_number = max([*target.issues, *target.deleted, *target.moved, 0]) + 1
                moved = _moved(issue, r.name, target.name, number, new_number)
                moved["number"] = new_number
                target.issues[new_number] = moved
                target.comments += [_moved(c, r.name, target.name, number, new_number) for c in comments]
                r.moved[number] = (target.name, new_number)
            self._memo.clear()
            return new_number

    # --- failures -------------------------------------------------------------------------------------

    def fail_next(
        self,
        count: int = 1,
        status: int = 500,
        *,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
        path_contains: str | None = None,
        delay: float = 0.0,
        method: str | None = None,
    ) -> None:
        """Answer the next `count` requests (whose path contains `path_contains`, and whose method is
        `method`, if given) with `status`, after `delay` seconds. `body` is sent as JSON, or as it is
        when it is bytes (a malformed answer).
        A GraphQL errors array: `fail_next(1, 200, body={"errors": [...]}, path_contains="/graphql")`."""
        messages = {
            401: "Bad credentials",
            403: "Forbidden",
            404: "Not Found",
            410: "This issue was deleted",
            422: "Validation Failed",
            429: "Too Many Requests",
            500: "Server Error",
            502: "Bad Gateway",
            503: "Service Unavailable",
        }
        body = (
            body
            if body is not None
            else {"message": messages.get(status, "Error"), "documentation_url": DOCS}
        )
        with self._lock:
            self._failures.extend(
                _Failure(status, dict(headers or {}), body, path_contains, delay, method and method.upper())
                for _ in range(count)
            )

    def lose_next_answer(
        self, method: str, path_contains: str, *, status: int = 502, delay: float = 0.0
    ) -> None:
        """Make the next such write and then lose its answer: after `delay` seconds answer `status`
        (with a delay longer than the client's timeout, the client sees no answer at all)."""
        with self._lock:
            self._lost.append((method.upper(), path_contains, status, delay))

    def fail_with_secondary_rate_limit(self, count: int = 1, *, retry_after: int | None = None) -> None:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        body = {
            "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try "
            "again. If you reach out to GitHub Support for help, please include the request ID 1234:5678.",
            "documentation_url": f"{DOCS}/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
        }
        self.fail_next(count, 403, headers=headers, body=body)

    def fail_with_primary_rate_limit(self, *, reset_at: datetime, count: int = 1) -> None:
        self.fail_next(count, 403, headers=_primary_limit_headers(reset_at), body=_primary_limit_body())

    def limit_search(self, per_window: int = 30, *, window: float = 60.0, status: int = 403) -> None:
        """Apply GitHub's search limit from now on: `per_window` searches per token in each `window`
        seconds (see the module docstring); `status` 403 or 429 for the searches beyond it."""
        with self._lock:
            self._search_limit = _SearchLimit(per_window=per_window, window=window, status=status)

    @property
    def search_rejections(self) -> int:
        """Searches refused by the search limit."""
        with self._lock:
            return self._search_limit.rejected if self._search_limit else 0

    @property
    def search_peak(self) -> int:
        """The most searches accepted within one window of the search limit."""
        with self._lock:
            return self._search_limit.peak if self._search_limit else 0

    # --- what was asked -------------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def answers(self) -> list[Answer]:
        """Every request answered, with its status, in the order the answers were sent."""
        with self._lock:
            return list(self._answers)

    @property
    def not_modified_count(self) -> int:
        """Requests answered 304 Not Modified."""
        return sum(1 for a in self.answers if a.status == 304)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()
            self._answers.clear()

    def count(self, path_contains: str = "") -> int:
        return sum(1 for r in self.requests if path_contains in r.path)

    @property
    def graphql_path(self) -> str:
        """Where GraphQL is served: /graphql, or /api/graphql under a GitHub Enterprise prefix /api/v3."""
        prefix = self.prefix[: -len("/v3")] if self.prefix.endswith("/v3") else self.prefix
        return f"{prefix}/graphql"

    # --- internals used by the handler ----------------------------------------------------------------

    def _record(self, request: RecordedRequest) -> _Failure | None:
        with self._lock:
            self._requests.append(request)
            for i, failure in enumerate(self._failures):
                if (failure.path_contains is None or failure.path_contains in request.path) and (
                    failure.method is None or failure.method == request.method
                ):
                    return self._failures.pop(i)
        return None

    def _answered(self, request: RecordedRequest | None, status: int) -> None:
        if request is not None:
            with self._lock:
                self._answers.append(Answer(request, status))

    def _repo(self, owner: str, name: str, authorised: bool) -> _Repo | None:
        repo = self._repos.get(f"{owner}/{name}".lower())
        if repo is None or (repo.private and not authorised):
            return None
        return repo


@dataclass
class _SearchLimit:
    """GitHub's search limit: a fixed window per caller, opened by the first search after the last."""

    per_window: int
    window: float
    status: int
    windows: dict[str, tuple[float, int]] = field(default_factory=dict)  # caller -> (opened, used)
    rejected: int = 0
    peak: int = 0

    def admit(self, caller: str) -> tuple[bool, dict[str, str]]:
        """(accepted, the rate-limit headers of the answer) for one search by `caller`."""
        now = time.monotonic()
        opened, used = self.windows.get(caller, (now, 0))
        if now >= opened + self.window:
            opened, used = now, 0
        left = opened + self.window - now
        headers = {
            "X-RateLimit-Limit": str(self.per_window),
            "X-RateLimit-Reset": str(math.ceil(time.time() + left)),
            "X-RateLimit-Resource": "search",
        }
        if used >= self.per_window:
            self.windows[caller] = (opened, used)
            self.rejected += 1
            headers.update({"X-RateLimit-Remaining": "0", "X-RateLimit-Used": str(used)})
            if self.status == 429:
                headers["Retry-After"] = str(max(math.ceil(left), 1))
            return False, headers
        used += 1
        self.windows[caller] = (opened, used)
        self.peak = max(self.peak, used)
        headers.update({"X-RateLimit-Remaining": str(self.per_window - used), "X-RateLimit-Used": str(used)})
        return True, headers


def _primary_limit_headers(reset_at: datetime) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": "5000",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Used": "5000",
        "X-RateLimit-Reset": str(int(reset_at.timestamp())),
        "X-RateLimit-Resource": "core",
    }


def _search_limit_body(status: int) -> dict[str, str]:
    if status == 429:
        return {"message": "Too Many Requests", "documentation_url": f"{DOCS}/search/search#rate-limit"}
    return {
        "message": "API rate limit exceeded for user ID 1.",
        "documentation_url": f"{DOCS}/overview/rate-limits-for-the-rest-api",
    }


def _primary_limit_body() -> dict[str, str]:
    return {
        "message": "API rate limit exceeded for 127.0.0.1. (But here's the good news: Authenticated "
        "requests get a higher rate limit. Check out the documentation for more details.)",
        "documentation_url": f"{DOCS}/overview/rate-limits-for-the-rest-api",
    }


class _Handler(BaseHTTPRequestHandler):
    fake: FakeGitHub
    protocol_version = "HTTP/1.1"  # keep-alive, like GitHub; every answer has a Content-Length
    _current: RecordedRequest | None = None  # the request being answered
    _limit_headers: Mapping[str, str] = {}  # the search limit's headers for the request being answered

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        fake = self.fake
        split = urlsplit(self.path)
        path = split.path
        if fake.prefix and path.startswith(fake.prefix):
            path = path[len(fake.prefix) :]
        query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        headers = {k.lower(): v for k, v in self.headers.items()}
        if not self._admit(RecordedRequest("GET", path, query, headers)):
            return
        if (m := _REPOSITORY_ISSUE.match(path)) is not None:  # where a transferred issue's 301 leads
            path = _repository_path(fake, int(m[1]), int(m[2]))
        authorised = headers.get("authorization") is not None
        # Listing pages one by one re-filters the same data: keep each filtered list (benchmarks page
        # through tens of thousands of comments).
        key = (
            path,
            authorised,
            tuple(sorted((k, v) for k, v in query.items() if k not in ("page", "per_page"))),
        )
        with fake._lock:
            cached = fake._memo.get(key)
        if cached is not None:
            status, body, extra = cached
        else:
            try:
                status, body, extra = _route(fake, path, query, authorised=authorised)
            except _HTTPError as error:
                status, body, extra = error.status, {"message": error.message, "documentation_url": DOCS}, {}
                if isinstance(error, _Moved):
                    location = f"{self._base_url(fake.prefix)}{error.location}"
                    body["url"], extra = location, {"Location": location}
            if "paginate" in extra:
                with fake._lock:
                    fake._memo[key] = (status, body, extra)
        extra = dict(extra)
        if isinstance(extra.get("paginate"), list):
            body, link = _paginate(extra.pop("paginate"), query, self._base_url(split.path), body)
            if link:
                extra["Link"] = link
        if status == 200:
            etag = 'W/"' + hashlib.sha256(json.dumps(body).encode()).hexdigest()[:40] + '"'
            extra["ETag"] = etag
            if _matches(headers.get("if-none-match"), etag):
                return self._send_not_modified(etag)
        self._send(status, body, extra)

    def do_POST(self) -> None:
        fake = self.fake
        split = urlsplit(self.path)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))  # read it all: keep-alive
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = raw.decode("utf-8", "replace")
        path = split.path
        if path == fake.graphql_path:
            path = "/graphql"
        elif fake.prefix and path.startswith(fake.prefix):
            path = path[len(fake.prefix) :]
        query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        headers = {k.lower(): v for k, v in self.headers.items()}
        if not self._admit(RecordedRequest("POST", path, query, headers, body)):
            return
        if path != "/graphql":
            return self._write("POST", path, headers, body)
        if headers.get("authorization") is None:
            message = "This endpoint requires you to be authenticated."
            return self._send(401, {"message": message, "documentation_url": f"{DOCS}/graphql"})
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return self._send(400, {"message": "Problems parsing JSON", "documentation_url": DOCS})
        with fake._lock:
            answer = _graphql(fake, body["query"], body.get("variables"))
        self._send(200, answer, {"X-RateLimit-Resource": "graphql"})

    def do_PATCH(self) -> None:
        self._other_write("PATCH")

    def do_DELETE(self) -> None:
        self._other_write("DELETE")

    def _other_write(self, method: str) -> None:
        fake = self.fake
        split = urlsplit(self.path)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        path = split.path
        if fake.prefix and path.startswith(fake.prefix):
            path = path[len(fake.prefix) :]
        query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        headers = {k.lower(): v for k, v in self.headers.items()}
        if not self._admit(RecordedRequest(method, path, query, headers, body)):
            return
        self._write(method, path, headers, body)

    def _write(self, method: str, path: str, headers: Mapping[str, str], body: Any) -> None:
        """A REST write (see the module docstring): permission checks, then the change and its answer."""
        fake = self.fake
        auth = headers.get("authorization")
        if auth is None:
            return self._send(401, {"message": "Requires authentication", "documentation_url": DOCS})
        if auth.split(" ", 1)[-1] in fake.read_only_tokens:
            return self._send(
                403, {"message": "Resource not accessible by integration", "documentation_url": DOCS}
            )
        try:
            status, answer, extra = _route_write(fake, method, path, body)
        except _HTTPError as error:
            status, answer, extra = error.status, {"message": error.message, "documentation_url": DOCS}, {}
            if isinstance(error, _Moved):
                location = f"{self._base_url(fake.prefix)}{error.location}"
                answer["url"], extra = location, {"Location": location}
        with fake._lock:
            lost = next(
                (i for i, (m, part, _, _) in enumerate(fake._lost) if m == method and part in path), None
            )
            lose = fake._lost.pop(lost) if lost is not None and status < 400 else None
        if lose is not None:
            time.sleep(lose[3])
            return self._send(lose[2], {"message": "Bad Gateway", "documentation_url": DOCS})
        if status == 204:
            self.fake._answered(self._current, 204)
            self.send_response(204)
            for name, value in _rate_headers().items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self._send(status, answer, extra)

    def _admit(self, request: RecordedRequest) -> bool:
        """Record the request and answer it if it is to fail, be rate limited or carries a wrong token;
        True when the caller should answer it."""
        fake = self.fake
        self._current = request
        self._limit_headers = {}
        failure = fake._record(request)
        if fake.delay:
            time.sleep(fake.delay)
        if failure is not None:
            if failure.delay:
                time.sleep(failure.delay)
            self._send(failure.status, failure.body, failure.headers)
            return False
        if fake.rate_limited_until is not None:
            self._send(403, _primary_limit_body(), _primary_limit_headers(fake.rate_limited_until))
            return False
        if request.method == "GET" and request.path == "/search/issues":
            with fake._lock:
                limit = fake._search_limit
                verdict = limit.admit(request.headers.get("authorization", "")) if limit else None
            if limit is not None and verdict is not None:
                accepted, headers = verdict
                if not accepted:
                    self._send(limit.status, _search_limit_body(limit.status), headers)
                    return False
                self._limit_headers = headers
        auth = request.headers.get("authorization")
        if (
            auth is not None
            and fake.token is not None
            and auth not in (f"token {fake.token}", f"Bearer {fake.token}")
            and auth.split(" ", 1)[-1] not in fake.read_only_tokens
        ):
            self._send(401, {"message": "Bad credentials", "documentation_url": DOCS})
            return False
        return True

    def _base_url(self, raw_path: str) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{raw_path}"

    def _send_not_modified(self, etag: str) -> None:
        """304: no body (nor Content-Length), the ETag and the rate-limit headers, as GitHub sends it."""
        self.fake._answered(self._current, 304)
        self.send_response(304)
        for name, value in {**_rate_headers(), "ETag": etag}.items():
            self.send_header(name, value)
        try:
            self.end_headers()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _send(self, status: int, body: Any, headers: Mapping[str, Any] | None = None) -> None:
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.fake._answered(self._current, status)
        self.send_response(status)
        defaults = {"Content-Type": "application/json; charset=utf-8", **_rate_headers()}
        defaults.update(self._limit_headers)
        defaults.update({k: str(v) for k, v in (headers or {}).items()})
        for name, value in defaults.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        try:
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test): fine
            self.close_connection = True


def _rate_headers() -> dict[str, str]:
    reset = int((datetime.now(UTC) + timedelta(hours=1)).timestamp())
    return {
        "X-RateLimit-Limit": "5000",
        "X-RateLimit-Remaining": "4999",
        "X-RateLimit-Used": "1",
        "X-RateLimit-Reset": str(reset),
        "X-RateLimit-Resource": "core",
        "X-GitHub-Request-Id": "FAKE:0001",
    }


def _matches(if_none_match: str | None, etag: str) -> bool:
    """If-None-Match names this ETag (weak comparison, as GitHub's: W/ prefixes are ignored)."""
    if not if_none_match:
        return False
    wanted = etag.removeprefix("W/")
    return any(
        tag.strip() in ("*", wanted) or tag.strip().removeprefix("W/") == wanted
        for tag in if_none_match.split(",")
    )


class _HTTPError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _Moved(_HTTPError):
    """301 to `location` (a path under the API base)."""

    def __init__(self, location: str) -> None:
        super().__init__(301, "Moved Permanently")
        self.location = location


_ISSUES = re.compile(r"^/repos/([^/]+)/([^/]+)/issues$")
_ISSUE = re.compile(r"^/repos/([^/]+)/([^/]+)/issues/(\d+)$")
_ISSUE_COMMENTS = re.compile(r"^/repos/([^/]+)/([^/]+)/issues/(\d+)/comments$")
_REPO_COMMENTS = re.compile(r"^/repos/([^/]+)/([^/]+)/issues/comments$")
_REPO = re.compile(r"^/repos/([^/]+)/([^/]+)$")
_REPO_LABELS = re.compile(r"^/repos/([^/]+)/([^/]+)/labels$")
_REPO_ASSIGNEES = re.compile(r"^/repos/([^/]+)/([^/]+)/assignees$")
_ISSUE_LABELS = re.compile(r"^/repos/([^/]+)/([^/]+)/issues/(\d+)/labels$")
_ISSUE_ASSIGNEES = re.compile(r"^/repos/([^/]+)/([^/]+)/issues/(\d+)/assignees$")
_COMMENT = re.compile(r"^/repos/([^/]+)/([^/]+)/issues/comments/(\d+)$")
STATE_REASONS = {"closed": ("completed", "not_planned", "duplicate"), "open": ("reopened",)}


def _route_write(fake: FakeGitHub, method: str, path: str, body: Any) -> tuple[int, Any, dict]:
    """Apply one write to the fake's data; (status, answer, headers) as GitHub gives them."""
    body = body if body is not None else {}
    with fake._lock:
        if method == "POST" and (m := _ISSUE_COMMENTS.match(path)):
            repo = _need_repo(fake, m[1], m[2], True)
            number = int(m[3])
            issue = _need_issue(repo, number)
            text = body.get("body") if isinstance(body, dict) else None
            if not isinstance(text, str) or not text.strip():
                raise _HTTPError(422, "Validation Failed: body cannot be blank")
            fake._next_comment_id += 1
            now = _now_iso()
            api = issue["url"].rsplit("/repos/", 1)[0]
            comment = {
                "url": f"{api}/repos/{repo.name}/issues/comments/{fake._next_comment_id}",
                "html_url": f"{issue['html_url']}#issuecomment-{fake._next_comment_id}",
                "issue_url": issue["url"],
                "id": fake._next_comment_id,
                "node_id": f"IC_{fake._next_comment_id}",
                "user": _user(fake.login, user_type="Bot"),
                "created_at": now,
                "updated_at": now,
                "author_association": "NONE",
                "body": text,
                "reactions": {"url": "", "total_count": 0},
                "performed_via_github_app": None,
            }
            repo.comments.append(comment)
            repo.issues[number] = {
                **issue,
                "comments": int(issue.get("comments") or 0) + 1,
                "updated_at": _later(issue["updated_at"], None),
            }
            fake._memo.clear()
            return 201, comment, {}
        if method == "PATCH" and (m := _ISSUE.match(path)):
            repo = _need_repo(fake, m[1], m[2], True)
            number = int(m[3])
            issue = dict(_need_issue(repo, number))
            if not isinstance(body, dict):
                raise _HTTPError(400, "Problems parsing JSON")
            for key in ("title", "body"):
                if key in body:
                    issue[key] = body[key]
            state = body.get("state", issue["state"])
            if state not in STATE_REASONS:
                raise _HTTPError(422, f"Validation Failed: state {state!r} is not open or closed")
            reason = body.get("state_reason")
            if reason is not None and reason not in STATE_REASONS[state]:
                raise _HTTPError(422, f"Validation Failed: state_reason {reason!r} does not fit {state}")
            if state != issue["state"]:
                issue["state"] = state
                if state == "closed":
                    issue["closed_at"] = _now_iso()
                    issue["state_reason"] = reason or "completed"
                    issue["closed_by"] = _user(fake.login, user_type="Bot")
                else:
                    issue["closed_at"] = None
                    issue["state_reason"] = "reopened"
            elif reason is not None and state == "closed":
                issue["state_reason"] = reason
            issue["updated_at"] = _later(issue["updated_at"], None)
            repo.issues[number] = issue
            fake._memo.clear()
            return 200, issue, {}
        if method == "POST" and (m := _ISSUE_LABELS.match(path)):
            repo = _need_repo(fake, m[1], m[2], True)
            number = int(m[3])
            issue = dict(_need_issue(repo, number))
            names = body.get("labels") if isinstance(body, dict) else body
            if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
                raise _HTTPError(422, "Validation Failed: labels must be a list of names")
            current = list(issue.get("labels") or [])
            for label_name in names:
                label = repo.labels.setdefault(
                    label_name.lower(), _label(repo.name, label_name, len(repo.labels))
                )
                if all(existing["name"].lower() != label_name.lower() for existing in current):
                    current.append(label)
            issue["labels"] = current
            issue["updated_at"] = _later(issue["updated_at"], None)
            repo.issues[number] = issue
            fake._memo.clear()
            return 200, current, {}
        if method == "POST" and (m := _ISSUE_ASSIGNEES.match(path)):
            repo = _need_repo(fake, m[1], m[2], True)
            number = int(m[3])
            issue = dict(_need_issue(repo, number))
            logins = body.get("assignees") if isinstance(body, dict) else None
            if not isinstance(logins, list):
                raise _HTTPError(422, "Validation Failed: assignees must be a list of logins")
            assignees = list(issue.get("assignees") or [])
            held = {a["login"].lower() for a in assignees}
            allowed = {login.lower(): login for login in repo.assignable}
            for login in logins:
                if isinstance(login, str) and login.lower() in allowed and login.lower() not in held:
                    assignees.append(_user(allowed[login.lower()]))
                    held.add(login.lower())
            issue["assignees"] = assignees
            issue["assignee"] = assignees[0] if assignees else None
            issue["updated_at"] = _later(issue["updated_at"], None)
            repo.issues[number] = issue
            fake._memo.clear()
            return 201, issue, {}
        if method == "DELETE" and (m := _COMMENT.match(path)):
            repo = _need_repo(fake, m[1], m[2], True)
            comment_id = int(m[3])
            if not any(c["id"] == comment_id for c in repo.comments):
                raise _HTTPError(404, "Not Found")
    if method == "DELETE" and m is not None:
        fake.delete_comment(f"{m[1]}/{m[2]}", comment_id)
        return 204, None, {}
    raise _HTTPError(404, "Not Found")


def _label(repo: str, name: str, index: int) -> dict[str, Any]:
    return {
        "id": 700 + index,
        "node_id": f"LA_new_{index}",
        "url": f"https://api.github.com/repos/{repo}/labels/{name}",
        "name": name,
        "color": "ededed",
        "default": False,
        "description": None,
    }


def _user(login: str, *, user_type: str = "User") -> dict[str, Any]:
    return {
        "login": login,
        "id": abs(hash(login)) % 1_000_000,
        "url": f"https://api.github.com/users/{login}",
        "html_url": f"https://github.com/{login}",
        "type": user_type,
        "site_admin": False,
    }


def _now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_REPOSITORY_ISSUE = re.compile(r"^/repositories/(\d+)/issues/(\d+)$")


def _route(fake: FakeGitHub, path: str, query: dict[str, str], *, authorised: bool) -> tuple[int, Any, dict]:
    if path == "/rate_limit":
        reset = int((datetime.now(UTC) + timedelta(hours=1)).timestamp())
        core = {"limit": 5000, "remaining": 4999, "reset": reset, "used": 1, "resource": "core"}
        search = {"limit": 30, "remaining": 30, "reset": reset, "used": 0, "resource": "search"}
        return 200, {"resources": {"core": core, "search": search}, "rate": core}, {}
    if path == "/search/issues":
        return _search(fake, query, authorised=authorised)
    with fake._lock:
        if m := _REPO_COMMENTS.match(path):
            repo = _need_repo(fake, m[1], m[2], authorised)
            since = _parse_since(query.get("since"))
            items = [c for c in repo.comments if since is None or _dt(c["updated_at"]) >= since]
            key = "updated_at" if query.get("sort") == "updated" else "created_at"
            items.sort(key=lambda c: (_dt(c[key]), c["id"]), reverse=query.get("direction", "asc") == "desc")
            return 200, None, {"paginate": items}
        if m := _ISSUE_COMMENTS.match(path):
            repo = _need_repo(fake, m[1], m[2], authorised)
            number = int(m[3])
            _need_issue(repo, number)
            prefix = f"/repos/{repo.name}/issues/{number}".lower()
            since = _parse_since(query.get("since"))
            items = [
                c
                for c in repo.comments
                if urlsplit(c["issue_url"]).path.lower().endswith(prefix)
                and (since is None or _dt(c["updated_at"]) >= since)
            ]
            items.sort(key=lambda c: (_dt(c["created_at"]), c["id"]))
            return 200, None, {"paginate": items}
        if m := _ISSUE.match(path):
            repo = _need_repo(fake, m[1], m[2], authorised)
            return 200, _need_issue(repo, int(m[3])), {}
        if m := _REPO_LABELS.match(path):
            repo = _need_repo(fake, m[1], m[2], authorised)
            labels = sorted(repo.labels.values(), key=lambda label: label["name"].lower())
            return 200, None, {"paginate": labels}
        if m := _REPO_ASSIGNEES.match(path):
            repo = _need_repo(fake, m[1], m[2], authorised)
            return 200, None, {"paginate": [_user(login) for login in repo.assignable]}
        if m := _ISSUES.match(path):
            repo = _need_repo(fake, m[1], m[2], authorised)
            return 200, None, {"paginate": _list_issues(repo, query)}
        if m := _REPO.match(path):
            repo = _need_repo(fake, m[1], m[2], authorised)
            return 200, _repo_payload(repo), {}
    raise _HTTPError(404, "Not Found")


_PINNED_QUERY = re.compile(r"\bpinnedIssues\s*\(\s*first\s*:\s*(\d+)\s*\)\s*\{\s*nodes\s*\{\s*issue\s*\{")
_REPOSITORY_LITERAL = re.compile(r'\brepository\s*\(\s*owner\s*:\s*"([^"]+)"\s*,\s*name\s*:\s*"([^"]+)"')


def _graphql(fake: FakeGitHub, query: str, variables: Any) -> dict[str, Any]:
    """Answer a pinnedIssues query (owner and name as variables or literals) the way GitHub does."""
    pinned_query = _PINNED_QUERY.search(query)
    if pinned_query is None or "repository" not in query:
        return {"errors": [{"message": "The fake GitHub answers only repository { pinnedIssues } queries"}]}
    variables = variables if isinstance(variables, dict) else {}
    owner, name = variables.get("owner"), variables.get("name")
    if (literal := _REPOSITORY_LITERAL.search(query)) is not None:
        owner, name = literal[1], literal[2]
    repo = fake._repos.get(f"{owner}/{name}".lower())
    if repo is None:
        return {
            "data": {"repository": None},
            "errors": [
                {
                    "type": "NOT_FOUND",
                    "path": ["repository"],
                    "locations": [{"line": 2, "column": 3}],
                    "message": f"Could not resolve to a Repository with the name '{owner}/{name}'.",
                }
            ],
        }
    nodes = [{"issue": {"number": n}} for n in repo.pinned[: int(pinned_query[1])]]
    return {"data": {"repository": {"pinnedIssues": {"nodes": nodes}}}}


def _need_repo(fake: FakeGitHub, owner: str, name: str, authorised: bool) -> _Repo:
    repo = fake._repo(owner, name, authorised)
    if repo is None:
        raise _HTTPError(404, "Not Found")
    return repo


def _need_issue(repo: _Repo, number: int) -> dict[str, Any]:
    if number in repo.deleted:
        raise _HTTPError(410, "This issue was deleted")
    if number in repo.moved:
        name, new_number = repo.moved[number]
        raise _Moved(f"/repositories/{_repo_id(name)}/issues/{new_number}")
    issue = repo.issues.get(number)
    if issue is None:
        raise _HTTPError(404, "Not Found")
    return issue


def _repo_payload(repo: _Repo) -> dict[str, Any]:
    owner, name = repo.name.split("/")
    return {
        "id": _repo_id(repo.name),
        "name": name,
        "full_name": repo.name,
        "owner": {"login": owner, "type": "Organization"},
        "private": repo.private,
        "html_url": f"https://github.com/{repo.name}",
        "url": f"https://api.github.com/repos/{repo.name}",
        "has_issues": True,
        "open_issues_count": sum(1 for i in repo.issues.values() if i.get("state") == "open"),
    }


def _repo_id(name: str) -> int:
    return abs(hash(name)) % 10_000_000


def _repository_path(fake: FakeGitHub, repo_id: int, number: int) -> str:
    """/repositories/ID/issues/N -> /repos/OWNER/NAME/issues/N (unknown ids stay as they are: 404)."""
    with fake._lock:
        names = [r.name for r in fake._repos.values() if _repo_id(r.name) == repo_id]
    return f"/repos/{names[0]}/issues/{number}" if names else f"/repositories/{repo_id}/issues/{number}"


def _comment_issue(comment: Mapping[str, Any]) -> int | None:
    tail = urlsplit(str(comment.get("issue_url") or "")).path.rstrip("/").rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else None


def _moved(payload: Mapping[str, Any], old: str, new: str, number: int, new_number: int) -> dict[str, Any]:
    """An issue's or comment's payload with its URLs pointing at the issue's new place."""

    def move(value: Any) -> Any:
        if isinstance(value, str):
            value = re.sub(
                rf"/{re.escape(old)}/(issues|pull)/{number}(?!\d)", rf"/{new}/\1/{new_number}", value
            )
            return re.sub(rf"/repos/{re.escape(old)}(?=/|$)", f"/repos/{new}", value)
        if isinstance(value, dict):
            return {k: move(v) for k, v in value.items()}
        if isinstance(value, list):
            return [move(v) for v in value]
        return value

    return move(dict(payload))


def _later(current: str, at: datetime | None) -> str:
    """A new updated_at: `at`, or now; never earlier than a second after `current`."""
    moment = max((at or datetime.now(UTC)).astimezone(UTC), _dt(current) + timedelta(seconds=1))
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _list_issues(repo: _Repo, query: dict[str, str]) -> list[dict[str, Any]]:
    state = query.get("state", "open")
    since = _parse_since(query.get("since"))
    labels = {name.strip().lower() for name in query.get("labels", "").split(",") if name.strip()}
    items = []
    for issue in repo.issues.values():
        if state != "all" and issue.get("state") != state:
            continue
        if since is not None and _dt(issue["updated_at"]) < since:
            continue
        if labels and not labels <= {label["name"].lower() for label in issue.get("labels") or []}:
            continue
        items.append(issue)
    sort = query.get("sort", "created")
    key = {"updated": lambda i: _dt(i["updated_at"]), "comments": lambda i: i.get("comments", 0)}.get(
        sort, lambda i: _dt(i["created_at"])
    )
    items.sort(key=lambda i: (key(i), i["number"]), reverse=query.get("direction", "desc") == "desc")
    return items


def _search(fake: FakeGitHub, query: dict[str, str], *, authorised: bool) -> tuple[int, Any, dict]:
    terms = query.get("q", "").split()
    repos: list[_Repo] = []
    kinds: set[str] = set()
    ranges: list[tuple[str, datetime | None, datetime | None]] = []
    state: str | None = None
    words: list[str] = []
    with fake._lock:
        for term in terms:
            qualifier, _, value = term.partition(":")
            qualifier = qualifier.lower()
            if not value:
                words.append(term.lower())
            elif qualifier == "repo":
                owner, _, name = value.partition("/")
                repo = fake._repo(owner, name, authorised)
                if repo is None:
                    raise _HTTPError(
                        422,
                        "The listed users and repositories cannot be searched either because the resources "
                        "do not exist or you do not have permission to view them.",
                    )
                repos.append(repo)
            elif qualifier in ("is", "type") and value in ("issue", "pr", "pull-request"):
                kinds.add("pr" if value in ("pr", "pull-request") else "issue")
            elif qualifier in ("is", "state") and value in ("open", "closed"):
                state = value
            elif qualifier in ("created", "closed", "updated"):
                low, high = _parse_range(value)
                ranges.append((f"{qualifier}_at", low, high))
            else:
                raise _HTTPError(422, f"Validation Failed: unsupported qualifier {term!r} in the fake")
        pool = repos or list(fake._repos.values())
        items = []
        for repo in pool:
            for issue in repo.issues.values():
                if kinds and ("pr" if "pull_request" in issue else "issue") not in kinds:
                    continue
                if state and issue.get("state") != state:
                    continue
                if not all(_in_range(issue.get(key), low, high) for key, low, high in ranges):
                    continue
                text = f"{issue.get('title') or ''} {issue.get('body') or ''}".lower()
                if not all(word in text for word in words):
                    continue
                items.append({**issue, "score": 1.0})
    sort = query.get("sort")
    key = "updated_at" if sort == "updated" else "created_at"
    items.sort(key=lambda i: (_dt(i[key]), i["number"]), reverse=query.get("order", "desc") == "desc")
    per_page, page = _page_params(query)
    if page * per_page > SEARCH_LIMIT and (page - 1) * per_page >= SEARCH_LIMIT:
        raise _HTTPError(422, "Only the first 1000 search results are available")
    visible = items[:SEARCH_LIMIT]
    body = {"total_count": len(items), "incomplete_results": False, "items": None}
    return 200, body, {"paginate": visible}


def _page_params(query: Mapping[str, str]) -> tuple[int, int]:
    try:
        per_page = int(query.get("per_page", "30"))
    except ValueError:
        per_page = 30
    per_page = min(max(per_page, 1), 100)
    try:
        page = max(int(query.get("page", "1")), 1)
    except ValueError:
        page = 1
    return per_page, page


def _paginate(items: Sequence[Any], query: dict[str, str], base: str, body: Any) -> tuple[Any, str]:
    """One page of `items`, and GitHub's Link header (absolute URLs with the same query, page replaced)."""
    per_page, page = _page_params(query)
    chunk = list(items[(page - 1) * per_page : page * per_page])
    last = max(math.ceil(len(items) / per_page), 1)

    def link(target: int, rel: str) -> str:
        params = {**query, "page": str(target)}
        return f'<{base}?{urlencode(params)}>; rel="{rel}"'

    rels = []
    if page < last:
        rels += [link(page + 1, "next"), link(last, "last")]
    if page > 1:
        rels += [link(page - 1, "prev"), link(1, "first")]
    if isinstance(body, dict):  # search: the page goes into "items"
        return {**body, "items": chunk}, ", ".join(rels)
    return chunk, ", ".join(rels)


def _dt(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)


def _parse_since(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise _HTTPError(422, f"Invalid request: since {value!r} is not ISO 8601") from exc
    # GitHub reads a timestamp without an offset as UTC, which is why callers must convert first.
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _parse_bound(text: str, *, upper: bool) -> datetime | None:
    """A search bound: '*', a date (a whole day), or an ISO datetime (inclusive)."""
    if text == "*":
        return None
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            day = datetime.fromisoformat(text).replace(tzinfo=UTC)
            return day + timedelta(days=1) - timedelta(microseconds=1) if upper else day
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise _HTTPError(422, f"Validation Failed: bad date {text!r}") from exc
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _parse_range(value: str) -> tuple[datetime | None, datetime | None]:
    if ".." in value:
        low, _, high = value.partition("..")
        return _parse_bound(low, upper=False), _parse_bound(high, upper=True)
    for op in (">=", "<=", ">", "<"):
        if value.startswith(op):
            bound = _parse_bound(value[len(op) :], upper=op.startswith("<"))
            step = timedelta(microseconds=1)
            if op == ">=":
                return bound, None
            if op == ">":
                return (bound + step if bound else None), None
            if op == "<=":
                return None, bound
            return None, (bound - step if bound else None)
    return _parse_bound(value, upper=False), _parse_bound(value, upper=True)


def _in_range(value: Any, low: datetime | None, high: datetime | None) -> bool:
    if not value:
        return False
    moment = _dt(value)
    return (low is None or moment >= low) and (high is None or moment <= high)
