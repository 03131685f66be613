"""The GitHub edge for writes: comment on, close, reopen, label and assign an issue; list the labels and
the assignable users a picker offers.

One of the two modules that import `github` (the other, `bot.sources.github`, reads). Every call is one
request, the one PyGithub's method sends (`Issue.edit(state=..., state_reason=...)`: PATCH with
state_reason completed / not_planned / duplicate; `Issue.create_comment`, `Issue.add_to_labels`,
`Issue.add_to_assignees`, `IssueComment.delete`, `Repository.get_labels`, `Repository.get_assignees`),
on lazy objects so that none sends a GET of its own first. Where the method would drop GitHub's answer
the same request goes through the client's requester instead, so every write returns GitHub's JSON,
for the mirror.

A write is never sent twice blindly: the client's retries repeat only idempotent requests (a POST or a
PATCH only when its connection failed before anything was sent). A comment whose answer did not arrive
may have been made, so `comment` looks for it among the issue's newest comments by the `marker` it
carries before it reports `MaybeWritten`. Failures become the categories in `bot.errors`, with a message
that says what to fix (which token permission is missing, that the ticket was deleted or moved, ...).
"""

from __future__ import annotations

import logging
import math
import threading
from datetime import datetime
from typing import Any

import requests
import urllib3
from github import Auth, Github, GithubException
from github.GithubException import RateLimitExceededException
from urllib3.util.retry import Retry

from bot.errors import (
    BadCredentials,
    BadInput,
    GitHubUnavailable,
    MaybeWritten,
    RateLimited,
    RepoNotFound,
    TicketNotFound,
    UpstreamError,
)
from bot.sources.github import (  # the read side's retry policy and answers, shared rather than copied
    PER_PAGE,
    USER_AGENT,
    _BoundedRetry,
    _check_repo,
    _host,
    _message,
    _rate_limit_reset,
    _timed_out,
)
from bot.sources.payloads import format_datetime, is_pull_request, repo_from_url

log = logging.getLogger(__name__)

# What a token needs to write issues, in the words of GitHub's token settings.
WRITE_PERMISSION = (
    'GITHUB_TOKEN may not write issues there: a fine-grained token needs the repository permission "Issues: '
    'Read and write", a classic token the `repo` scope (`public_repo` for a public repository), and a GitHub '
    'App installation "Issues: write"'
)
MAX_LISTED = 1000  # labels or assignable users offered by a picker; more than any repository needs


class GitHubWriter:
    """Writes to issues of one GitHub (see the module docstring). Safe to share between threads: each
    thread gets its own PyGithub client (see `GitHubSource`)."""

    def __init__(
        self,
        *,
        token: str | None,
        base_url: str = "https://api.github.com",
        timeout: float = 15,
        retries: int = 3,
        max_rate_limit_wait: float = 30,
        backoff_factor: float = 0.5,
    ) -> None:
        base_url = base_url.rstrip("/")
        if not base_url.startswith(("http://", "https://")):
            raise BadInput(f"GITHUB_API_URL {base_url!r} must start with https:// (e.g. https://HOST/api/v3)")
        self._base_url = base_url
        self._options: dict[str, Any] = dict(
            auth=Auth.Token(token) if token else None,
            base_url=base_url,
            timeout=max(1, math.ceil(timeout)),
            user_agent=USER_AGENT,
            per_page=PER_PAGE,
            # Only idempotent requests are repeated after they were sent: GithubRetry (PyGithub 2.10) adds
            # POST to urllib3's allowed_methods, which would post a comment again after a 502; urllib3's
            # own default leaves POST and PATCH out (they are retried only when no connection was made).
            retry=_BoundedRetry(
                allowed_methods=Retry.DEFAULT_ALLOWED_METHODS,
                total=retries,
                backoff_factor=backoff_factor,
                backoff_max=max(max_rate_limit_wait, backoff_factor),
                status_forcelist=[*range(500, 600), 429],
                secondary_rate_wait=min(60.0, max_rate_limit_wait),
                max_rate_limit_wait=max_rate_limit_wait,
                raise_on_status=False,
            ),
            seconds_between_requests=None,
            lazy=True,  # objects send no GET of their own: only the request each method names
        )
        self._local = threading.local()
        self._clients: list[Github] = []
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            clients, self._clients = self._clients, []
        for client in clients:
            client.close()

    def _client(self) -> Github:
        client = getattr(self._local, "client", None)
        if client is None:
            client = Github(**self._options)
            self._local.client = client
            with self._lock:
                self._clients.append(client)
        return client

    def _issue(self, repo: str, number: int) -> Any:
        return self._client().get_repo(_check_repo(repo)).get_issue(number)

    # --- reads a write needs --------------------------------------------------------------------------

    def issue(self, repo: str, number: int) -> dict[str, Any]:
        """The issue's JSON as GitHub holds it now; TicketNotFound when it is gone, moved or a pull
        request."""
        where = f"{repo}#{number}"
        try:
            data = self._issue(repo, number).raw_data
        except GithubException as exc:
            raise self._error(exc, repo=repo, number=number, what=f"read {where}", write=False) from exc
        except requests.exceptions.RequestException as exc:
            raise self._unavailable(exc, sent=False) from exc
        moved_to = repo_from_url(data.get("repository_url") or data.get("url"))
        if moved_to is not None and moved_to.lower() != repo.lower():
            raise TicketNotFound(f"{where} was transferred to {moved_to}; act on it there")
        if is_pull_request(data):
            raise TicketNotFound(f"{where} is a pull request; the bot acts on issues only")
        return data

    def labels(self, repo: str) -> list[str]:
        """The names of the repository's labels, as GitHub sorts them."""
        return self._names(repo, lambda r: r.get_labels(), "name", what=f"list the labels of {repo}")

    def assignees(self, repo: str) -> list[str]:
        """The logins of the users who can be assigned to the repository's issues."""
        return self._names(
            repo, lambda r: r.get_assignees(), "login", what=f"list who can be assigned in {repo}"
        )

    def _names(self, repo: str, listing: Any, key: str, *, what: str) -> list[str]:
        try:
            items = listing(self._client().get_repo(_check_repo(repo)))
            names: list[str] = []
            for item in items:  # one request per page of 100
                value = getattr(item, key)  # in the listing's JSON: no request of its own
                if isinstance(value, str):
                    names.append(value)
                if len(names) >= MAX_LISTED:
                    break
            return names
        except GithubException as exc:
            raise self._error(exc, repo=repo, number=None, what=what, write=False) from exc
        except requests.exceptions.RequestException as exc:
            raise self._unavailable(exc, sent=False) from exc

    # --- writes ---------------------------------------------------------------------------------------

    def comment(self, repo: str, number: int, body: str, *, marker: str, since: datetime) -> dict[str, Any]:
        """Post `body` (which contains `marker`) as a comment; its JSON. When the answer is lost, the
        issue's comments since `since` are searched for `marker`: found, it was made; not found or not
        searchable, MaybeWritten."""
        try:
            comment = self._issue(repo, number).create_comment(body)
            return dict(comment.raw_data)
        except GithubException as exc:
            if exc.status is not None and exc.status >= 500:  # GitHub may have made it all the same
                return self._find_comment(repo, number, marker=marker, since=since, cause=exc)
            raise self._error(exc, repo=repo, number=number, what=f"comment on {repo}#{number}") from exc
        except requests.exceptions.RequestException as exc:
            if not _maybe_sent(exc):
                raise self._unavailable(exc, sent=False) from exc
            return self._find_comment(repo, number, marker=marker, since=since, cause=exc)

    def _find_comment(
        self, repo: str, number: int, *, marker: str, since: datetime, cause: Exception
    ) -> dict[str, Any]:
        found = self.find_comment(repo, number, marker=marker, since=since)
        if found is not None:
            log.info("the comment on %s#%d was made although its answer was lost", repo, number)
            return found
        raise MaybeWritten(
            f"GitHub did not confirm the comment on {repo}#{number}, and it could not be found there; "
            "it may have been posted: check the ticket before trying again"
        ) from cause

    def find_comment(self, repo: str, number: int, *, marker: str, since: datetime) -> dict[str, Any] | None:
        """The issue's comment since `since` whose body contains `marker`; None when there is none or
        GitHub cannot be asked."""
        path = f"/repos/{_check_repo(repo)}/issues/{number}/comments"
        params = {"since": format_datetime(since), "per_page": PER_PAGE}
        try:
            # Issue.get_comments(since=...)'s request, read as JSON: its objects would each GET themselves
            # for `raw_data`. The comments since a few minutes ago fit in one page.
            _, data = self._client().requester.requestJsonAndCheck("GET", path, parameters=params)
            for comment in data if isinstance(data, list) else []:
                if isinstance(comment, dict) and marker in str(comment.get("body") or ""):
                    return dict(comment)
        except (GithubException, requests.exceptions.RequestException) as exc:
            log.warning("cannot look for the comment on %s#%d: %s", repo, number, type(exc).__name__)
        return None

    def delete_comment(self, repo: str, comment: dict[str, Any]) -> None:
        """Delete a comment this writer made (`comment` is its JSON)."""
        number = _issue_number(comment)
        try:
            # IssueComment.delete's request, without the GET that Repository.get_comment sends first
            self._client().requester.requestJsonAndCheck(
                "DELETE", f"/repos/{_check_repo(repo)}/issues/comments/{int(comment['id'])}"
            )
        except GithubException as exc:
            raise self._error(exc, repo=repo, number=number, what="delete the comment") from exc
        except requests.exceptions.RequestException as exc:
            raise self._unavailable(exc, sent=True) from exc

    def set_state(self, repo: str, number: int, *, state: str, state_reason: str | None) -> dict[str, Any]:
        """Close (state "closed", reason completed / not_planned / duplicate) or reopen ("open", reason
        None: GitHub records "reopened"); the issue's JSON after the change."""
        verb = "close" if state == "closed" else "reopen"
        values = {"state": state} if state_reason is None else {"state": state, "state_reason": state_reason}
        try:
            return self._send("PATCH", f"/repos/{_check_repo(repo)}/issues/{number}", values)
        except GithubException as exc:
            raise self._error(exc, repo=repo, number=number, what=f"{verb} {repo}#{number}") from exc
        except requests.exceptions.RequestException as exc:
            raise self._unavailable(exc, sent=True) from exc

    def add_labels(self, repo: str, number: int, labels: tuple[str, ...]) -> dict[str, Any] | None:
        """Add labels (existing ones stay); the issue's JSON afterwards. GitHub answers the POST with the
        issue's labels only, so the issue is read once more; when that read fails the labels were added
        all the same (the POST said so) and the answer is None: there is no issue for the mirror."""
        try:
            # Issue.add_to_labels's request; its answer (the labels alone) is not the issue the mirror needs
            path = f"/repos/{_check_repo(repo)}/issues/{number}/labels"
            self._client().requester.requestJsonAndCheck("POST", path, input=list(labels))
        except GithubException as exc:
            raise self._error(exc, repo=repo, number=number, what=f"label {repo}#{number}") from exc
        except requests.exceptions.RequestException as exc:
            raise self._unavailable(exc, sent=True) from exc
        try:
            return self.issue(repo, number)
        except UpstreamError:
            log.warning("labelled %s#%d but could not read it back; the next sync brings it", repo, number)
            return None

    def add_assignees(self, repo: str, number: int, logins: tuple[str, ...]) -> dict[str, Any]:
        """Add assignees; the issue's JSON afterwards. GitHub leaves out, silently, a login that cannot be
        assigned: the caller compares."""
        try:
            path = f"/repos/{_check_repo(repo)}/issues/{number}/assignees"
            return self._send("POST", path, {"assignees": list(logins)})
        except GithubException as exc:
            raise self._error(exc, repo=repo, number=number, what=f"assign {repo}#{number}") from exc
        except requests.exceptions.RequestException as exc:
            raise self._unavailable(exc, sent=True) from exc

    def _send(self, verb: str, path: str, values: dict[str, Any]) -> dict[str, Any]:
        # The request Issue.edit / Issue.add_to_assignees send, through the same requester, keeping
        # GitHub's answer: those methods load it into the object's attributes but keep the JSON they
        # started from as `raw_data`, and the mirror wants the issue as GitHub answered.
        _, data = self._client().requester.requestJsonAndCheck(verb, path, input=values)
        if not isinstance(data, dict):
            raise MaybeWritten(f"GitHub's answer to {verb} {path} was unreadable; check the ticket on GitHub")
        return data

    # --- failures -------------------------------------------------------------------------------------

    def _error(
        self, exc: GithubException, *, repo: str, number: int | None, what: str, write: bool = True
    ) -> UpstreamError:
        """GitHub's refusal -> our category, saying what to do (never the token)."""
        status = exc.status
        where = f"{repo}#{number}" if number is not None else repo
        if isinstance(exc, RateLimitExceededException) or status == 429 or _rate_limited(exc):
            return RateLimited(_rate_limit_reset(exc))
        if status == 401:
            return BadCredentials("GitHub rejected the token (bad credentials): check GITHUB_TOKEN")
        if status == 403 and not write:
            return BadCredentials(f"GitHub refused to {what}: check that GITHUB_TOKEN may read {repo}")
        if status == 403:
            return BadCredentials(f"GitHub refused to {what}: {WRITE_PERMISSION}")
        if status == 404:
            if number is None:
                return RepoNotFound(
                    f"Repository {repo} was not found on GitHub, or GITHUB_TOKEN cannot see it"
                )
            return TicketNotFound(
                f"{where} was not found: it may have been deleted or moved, or GITHUB_TOKEN cannot see {repo}"
            )
        if status == 410:
            return TicketNotFound(f"{where} was deleted on GitHub")
        if status == 422:
            detail = _validation_detail(exc)
            return BadInput(f"GitHub would not {what}: {detail}" if detail else f"GitHub would not {what}")
        if status is not None and status >= 500:
            return GitHubUnavailable(
                f"GitHub is having trouble (HTTP {status}); nothing was changed, try again"
            )
        log.warning("unexpected GitHub answer to %s: HTTP %s %s", what, status, _message(exc))
        return UpstreamError(f"GitHub answered HTTP {status} when asked to {what}; see the log for details")

    def _unavailable(self, exc: requests.exceptions.RequestException, *, sent: bool) -> UpstreamError:
        host = _host(self._base_url)
        if sent and _maybe_sent(exc):
            return MaybeWritten(
                f"GitHub ({host}) did not answer; the change may have been made: check the ticket before "
                "trying again"
            )
        if _timed_out(exc):
            return GitHubUnavailable(
                f"GitHub ({host}) did not answer in time; nothing was changed, try again"
            )
        return GitHubUnavailable(f"Could not reach GitHub at {host}; nothing was changed, try again later")


def _maybe_sent(exc: requests.exceptions.RequestException) -> bool:
    """Whether the request may have reached GitHub: anything but a connection that never opened."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return False
    first = exc.args[0] if exc.args else None
    reason = getattr(first, "reason", first)
    return not isinstance(
        reason, urllib3.exceptions.NewConnectionError | urllib3.exceptions.ConnectTimeoutError
    )


def _rate_limited(exc: GithubException) -> bool:
    """A 403 that is a rate limit rather than a missing permission."""
    if exc.status != 403:
        return False
    message = _message(exc).lower()
    return "rate limit" in message


def _validation_detail(exc: GithubException) -> str:
    """GitHub's 422 says what failed in `errors` (field, code, message); the first one, briefly."""
    data = exc.data if isinstance(exc.data, dict) else {}
    for error in data.get("errors") or []:
        if isinstance(error, dict):
            text = error.get("message") or " ".join(
                str(error[k]) for k in ("field", "code", "value") if error.get(k) is not None
            )
            if text:
                return str(text)[:200]
        elif isinstance(error, str):
            return error[:200]
    return _message(exc)


def _issue_number(comment: dict[str, Any]) -> int | None:
    tail = str(comment.get("issue_url") or "").rstrip("/").rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else None
