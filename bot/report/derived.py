"""What the text pipeline derives from one ticket or one comment on its own, so it can be stored.

Grouping reads a ticket as its cleaned title, the cleaned lines of its body and of its first comments.
Each of these depends only on that ticket's or that comment's own text, so the ticket mirror computes
them when a ticket or comment changes and stores them (with `TEXT_VERSION`); a report built from the
mirror hands them in on `Ticket.clean_title`, `Ticket.clean_body` and `Comment.clean_body` and the core
does not clean that text again. Anything without them (a live fetch, a snapshot) is cleaned here on
the way, with the same functions, so both paths give the same report.

Bump `TEXT_VERSION` whenever a change to `text.clean_lines` or to the budgets below changes what these
functions return: stored text of an older version is ignored and recomputed.
"""

from __future__ import annotations

import re

from bot.report.text import clean_lines

TEXT_VERSION = 1

TITLE_CHARS = 300  # of a title, before cleaning
BODY_CHARS = 1500  # of a body's cleaned lines
COMMENT_CHARS = 800  # of a comment's cleaned lines (grouping reads at most this much of all comments)

_TITLE_PREFIX = re.compile(
    r"^\s*(?:\[[^\]\n]{0,40}\]\s*:?\s*|(?:bug|feature(?: request)?|question|issue|help)\s*:\s*)+",
    re.IGNORECASE,
)


def clean_title(title: str | None) -> str:
    """A title without "[Bug]:"-style prefixes or markup."""
    plain = " ".join(clean_lines((title or "")[:TITLE_CHARS], max_chars=TITLE_CHARS))
    return _TITLE_PREFIX.sub("", plain).strip()


def clean_body(body: str | None) -> tuple[str, ...]:
    """A ticket body's human lines: issue-form boilerplate, code, logs and diagnostic blocks dropped."""
    return tuple(clean_lines(body, max_chars=BODY_CHARS))


def clean_comment(body: str | None) -> tuple[str, ...]:
    """A comment's human lines, at most COMMENT_CHARS of them."""
    return tuple(clean_lines(body, max_chars=COMMENT_CHARS))
