"""What the text pipeline derives from one ticket or one comment on its own, so it can be stored.

Grouping reads a ticket as its cleaned title, the cleaned lines of its body and of its first comments;
a group's summary reads each team comment as what it says (a fix released, a workaround, ...) and each
reporter comment for "it still fails". Each of these depends only on that ticket's or that comment's
own text, so the ticket mirror computes them when a ticket or comment changes and stores them (with
`TEXT_VERSION`); a report built from the mirror hands them in on `Ticket.clean_title`,
`Ticket.clean_body`, `Comment.clean_body` and `Comment.words`, and the core does not read that text
again. Anything without them (a live fetch, a snapshot) is read here on the way, with the same
functions, so both paths give the same report.

Bump `TEXT_VERSION` whenever a change to `text.clean_lines`, to `team_words` or to the budgets below
changes what these functions return: stored text of an older version is ignored (computed again during
the report) until the mirror derives it again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.report.team_words import KIND_ORDER, Said, classify, still_fails
from bot.report.text import clean_lines

TEXT_VERSION = 2

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


@dataclass(frozen=True)
class Words:
    """What a comment says, read as a team comment and as a reporter's comment."""

    said: Said | None  # team_words.classify(body): None for an empty comment
    fails: str | None  # team_words.still_fails(body): the sentence saying a fix did not help


def comment_words(body: str | None) -> Words:
    return Words(said=classify(body), fails=still_fails(body))


_SEP = "\x1f"  # the ASCII unit separator: never in cleaned text (it is replaced where it was)


def encode_words(words: Words) -> str:
    """`words` as one short text for a store: kind, sentence, version, workaround and the still-fails
    sentence, separated by `_SEP`, an empty field for None (a report decodes tens of thousands)."""
    said = words.said
    parts = ("", "", "", "") if said is None else (said.kind, said.sentence, said.version, said.workaround)
    return _SEP.join((part or "").replace(_SEP, " ") for part in (*parts, words.fails))


def decode_words(text: str) -> Words | None:
    """What `encode_words` wrote; None for anything else (the comment is then read again)."""
    parts = text.split(_SEP)
    if len(parts) != 5:
        return None
    kind, sentence, version, workaround, fails = parts
    if not kind:
        return Words(said=None, fails=fails or None)
    if kind not in KIND_ORDER or not sentence:
        return None
    return Words(
        said=Said(kind=kind, sentence=sentence, version=version or None, workaround=workaround or None),
        fails=fails or None,
    )


def words_of(body: str | None, stored: str | None) -> Words:
    """A comment's words: the stored ones when a store derived them, else read from `body` now."""
    if stored is not None:
        words = decode_words(stored)
        if words is not None:
            return words
    return comment_words(body)


def fails_of(body: str | None, stored: str | None) -> str | None:
    """`words_of(body, stored).fails`, without decoding the rest: most comments say nothing failed."""
    if stored is not None and stored.endswith(_SEP) and stored.count(_SEP) == 4:
        return None
    return words_of(body, stored).fails


def encode_lines(lines: tuple[str, ...]) -> str:
    """Cleaned lines as one text for a store (a cleaned line never holds a line break)."""
    return "\n".join(line.replace("\n", " ") for line in lines)


def decode_lines(text: str) -> tuple[str, ...]:
    """What `encode_lines` wrote."""
    return tuple(text.split("\n")) if text else ()
