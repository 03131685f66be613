"""GitHub REST JSON (issues, comments) -> our `Ticket` and `Comment` models, the window filter, and the
pinned-issue marks (from a GraphQL answer or a snapshot file).

Pure: no network, no clock, no PyGithub. The live source and the snapshot reader both go through here, so
a report built from a snapshot sees exactly what one built from the API would. Payloads are untrusted:
any field may be missing, null or of the wrong type, and none of that may crash a report.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from bot.report.models import Comment, Ticket, TicketData

GHOST = "ghost"  # GitHub shows deleted accounts as "ghost"; the API gives `user: null`
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_datetime(value: object) -> datetime | None:
    """GitHub's '2025-04-14T21:07:02Z' (or any ISO 8601 string) -> aware UTC datetime; junk -> None."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def format_datetime(moment: datetime) -> str:
    """Aware datetime -> the UTC form GitHub uses and expects ('2025-04-14T21:07:02Z')."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: GitHub needs an instant, pass an aware datetime")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def repo_from_url(url: object) -> str | None:
    """'https://api.github.com/repos/o/r[/issues/5]' (or GHE's '.../api/v3/repos/o/r') -> 'o/r'."""
    if not isinstance(url, str):
        return None
    parts = url.split("/")
    for i in range(len(parts) - 2):
        if parts[i] == "repos" and parts[i + 1] and parts[i + 2]:
            return f"{parts[i + 1]}/{parts[i + 2]}"
    return None


def issue_number_from_url(url: object) -> int | None:
    """'.../repos/o/r/issues/5' -> 5."""
    if not isinstance(url, str):
        return None
    head, _, tail = url.rstrip("/").rpartition("/")
    if not head.endswith("/issues") or not tail.isdigit():
        return None
    return int(tail)


def is_pull_request(issue: Mapping[str, Any]) -> bool:
    """The issues endpoints list pull requests too; they carry a "pull_request" key."""
    return "pull_request" in issue


def is_pull_request_comment(comment: Mapping[str, Any]) -> bool:
    """The repository-wide comments endpoint includes pull request conversation comments; their
    html_url points at /pull/N (their issue_url still says /issues/N)."""
    html_url = comment.get("html_url")
    return isinstance(html_url, str) and "/pull/" in html_url


def ticket_from_issue(issue: Mapping[str, Any], *, repo: str | None = None) -> Ticket | None:
    """One issue payload -> Ticket; None for a pull request or a payload without a number or repository."""
    if not isinstance(issue, Mapping) or is_pull_request(issue):
        return None
    number = _int(issue.get("number"))
    repo = repo or repo_from_url(issue.get("repository_url")) or repo_from_url(issue.get("url"))
    if number is None or number <= 0 or repo is None:
        return None
    created_at = parse_datetime(issue.get("created_at")) or parse_datetime(issue.get("updated_at")) or EPOCH
    closed_at = parse_datetime(issue.get("closed_at"))
    state = issue.get("state")
    if state not in ("open", "closed"):
        state = "closed" if closed_at else "open"
    state_reason = issue.get("state_reason")
    author, is_bot = _author(issue.get("user"))
    return Ticket(
        repo=repo,
        number=number,
        title=_text(issue.get("title")),
        body=_text(issue.get("body")),
        url=_text(issue.get("html_url")) or f"https://github.com/{repo}/issues/{number}",
        author=author,
        author_association=_text(issue.get("author_association")) or "NONE",
        author_is_bot=is_bot,
        state=state,
        state_reason=state_reason if isinstance(state_reason, str) and state_reason else None,
        labels=_labels(issue.get("labels")),
        created_at=created_at,
        updated_at=parse_datetime(issue.get("updated_at")) or created_at,
        closed_at=closed_at,
        comments_count=max(_int(issue.get("comments")) or 0, 0),
        reactions=_reactions(issue.get("reactions")),
    )


def comment_from_payload(comment: Mapping[str, Any], *, repo: str | None = None) -> Comment | None:
    """One comment payload -> Comment; None for a pull request comment or one we cannot place."""
    if not isinstance(comment, Mapping) or is_pull_request_comment(comment):
        return None
    issue_url = comment.get("issue_url")
    number = issue_number_from_url(issue_url)
    comment_id = _int(comment.get("id"))
    created_at = parse_datetime(comment.get("created_at"))
    repo = repo or repo_from_url(issue_url)
    if number is None or comment_id is None or created_at is None or repo is None:
        return None
    author, is_bot = _author(comment.get("user"))
    return Comment(
        id=comment_id,
        repo=repo,
        issue_number=number,
        author=author,
        author_association=_text(comment.get("author_association")) or "NONE",
        author_is_bot=is_bot,
        body=_text(comment.get("body")),
        created_at=created_at,
        reactions=_reactions(comment.get("reactions")),
    )


def tickets_from_issues(issues: Iterable[Mapping[str, Any]], *, repo: str | None = None) -> list[Ticket]:
    """Every usable issue (pull requests dropped), in payload order; a repeated number keeps the latest."""
    by_key: dict[tuple[str, int], Ticket] = {}
    for issue in issues:
        ticket = ticket_from_issue(issue, repo=repo)
        if ticket is not None:
            known = by_key.get(ticket.key)
            if known is None or ticket.updated_at >= known.updated_at:
                by_key[ticket.key] = ticket
    return list(by_key.values())


def comments_from_payloads(
    comments: Iterable[Mapping[str, Any]], *, repo: str | None = None
) -> list[Comment]:
    """Every usable comment (pull request comments dropped), deduplicated by id."""
    by_id: dict[int, Comment] = {}
    for payload in comments:
        comment = comment_from_payload(payload, repo=repo)
        if comment is not None:
            by_id[comment.id] = comment
    return list(by_id.values())


def select_window(
    tickets: Iterable[Ticket],
    comments: Iterable[Comment],
    *,
    window_start: datetime,
    window_end: datetime,
) -> TicketData:
    """Tickets active in [window_start, window_end) -- created, closed or commented on in it -- and the
    comments made in it on those tickets. `comments_since` is window_start: earlier comments are unknown."""

    def inside(moment: datetime | None) -> bool:
        return moment is not None and window_start <= moment < window_end

    kept_comments = [c for c in comments if inside(c.created_at)]
    commented = {(c.repo, c.issue_number) for c in kept_comments}
    kept = {t.key: t for t in tickets if inside(t.created_at) or inside(t.closed_at) or t.key in commented}
    return TicketData(
        tickets=tuple(sorted(kept.values(), key=lambda t: t.key)),
        comments=tuple(
            sorted(
                (c for c in kept_comments if (c.repo, c.issue_number) in kept),
                key=lambda c: (c.created_at, c.id),
            )
        ),
        comments_since=window_start,
    )


def graphql_error_text(answer: object) -> str | None:
    """The messages of a GraphQL answer's "errors" array (GitHub answers HTTP 200 with one for a missing
    repository or a bad query); None when it has none."""
    errors = answer.get("errors") if isinstance(answer, Mapping) else None
    if not errors:
        return None
    if not isinstance(errors, list):
        return "unreadable errors"
    messages = [_text(e.get("message")) if isinstance(e, Mapping) else _text(e) for e in errors]
    return "; ".join(m for m in messages if m)[:200] or "errors without a message"


def pinned_numbers_from_graphql(answer: object) -> frozenset[int] | None:
    """`{"data": {"repository": {"pinnedIssues": {"nodes": [{"issue": {"number": 12}}]}}}}` -> {12};
    None when the answer does not have that shape (a node without a readable number is skipped)."""
    nodes = _path(answer, "data", "repository", "pinnedIssues", "nodes")
    if not isinstance(nodes, list):
        return None
    numbers = (_int(_path(node, "issue", "number")) for node in nodes)
    return frozenset(n for n in numbers if n is not None and n > 0)


def pinned_from_snapshot(value: object) -> dict[str, frozenset[int]]:
    """A snapshot's `"pinned": {"owner/name": [numbers]}` -> numbers by lower-cased repository name.
    Older snapshots have no such key; anything unreadable in it is skipped."""
    if not isinstance(value, Mapping):
        return {}
    pinned: dict[str, frozenset[int]] = {}
    for repo, numbers in value.items():
        if isinstance(repo, str) and isinstance(numbers, list):
            found = {n for n in map(_int, numbers) if n is not None and n > 0}
            pinned[repo.lower()] = pinned.get(repo.lower(), frozenset()) | found
    return pinned


def mark_pinned(data: TicketData, numbers: Collection[int]) -> TicketData:
    """`data` with `pinned=True` on the tickets whose number is in `numbers` (all of one repository)."""
    if not numbers:
        return data
    tickets = tuple(replace(t, pinned=True) if t.number in numbers else t for t in data.tickets)
    return replace(data, tickets=tickets)


def _path(value: object, *keys: str) -> object:
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _author(user: object) -> tuple[str, bool]:
    if not isinstance(user, Mapping):
        return GHOST, False
    login = _text(user.get("login")) or GHOST
    return login, user.get("type") == "Bot" or login.endswith("[bot]")


def _labels(labels: object) -> tuple[str, ...]:
    if not isinstance(labels, list):
        return ()
    names = []
    for label in labels:
        name = label.get("name") if isinstance(label, Mapping) else label
        if isinstance(name, str) and name:
            names.append(name)
    return tuple(dict.fromkeys(names))


def _reactions(reactions: object) -> int:
    if isinstance(reactions, Mapping):
        return max(_int(reactions.get("total_count")) or 0, 0)
    return 0


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():  # "²".isdigit() is True too
        return int(value)
    return None


def _text(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)
