"""Build core model objects for tests with sensible defaults."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from bot.report.models import Comment, Period, Ticket

_ids = itertools.count(1)
REPO = "octo-org/support"


def at(text: str) -> datetime:
    """'2025-04-14 10:00' -> aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def day(text: str) -> Period:
    start = at(f"{text} 00:00")
    end = start.replace(day=start.day + 1)
    return Period(start=start, end=end, label=f"{text} to {text}", spec=text)


def ticket(number: int, *, created: str, title: str = "", body: str = "", repo: str = REPO, **kw) -> Ticket:
    values = dict(
        repo=repo,
        number=number,
        title=title or f"Ticket {number}",
        body=body,
        url=f"https://github.com/{repo}/issues/{number}",
        author=kw.pop("author", f"user{number}"),
        author_association=kw.pop("association", "NONE"),
        author_is_bot=False,
        state="open",
        state_reason=None,
        labels=(),
        created_at=at(created),
        updated_at=at(created),
        closed_at=None,
        comments_count=0,
        reactions=0,
    )
    closed = kw.pop("closed", None)
    if closed:
        values.update(state="closed", closed_at=at(closed), state_reason=kw.pop("reason", "completed"))
    values.update(kw)
    return Ticket(**values)


def comment(t: Ticket, *, at_: str, author: str = "someone", association: str = "NONE", **kw) -> Comment:
    return Comment(
        id=next(_ids),
        repo=t.repo,
        issue_number=t.number,
        author=author,
        author_association=association,
        author_is_bot=kw.pop("bot", False),
        body=kw.pop("body", "a comment"),
        created_at=at(at_),
        reactions=kw.pop("reactions", 0),
    )
