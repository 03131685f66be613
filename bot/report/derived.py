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
    """What a comment says, read as a team comment and as a reporter's."""
    return Words(said=said_in(body), fails=fails_in(body))


def said_in(body: str | None) -> Said | None:
    """`team_words.classify` of a comment, as the store derives it (the separator of `encode_words`
    read as the space it stands for, so a stored comment and a fetched one say the same)."""
    return classify(_without_sep(body))


def fails_in(body: str | None) -> str | None:
    """`team_words.still_fails` of a comment, as the store derives it."""
    return still_fails(_without_sep(body))


def _without_sep(body: str | None) -> str | None:
    return body.replace(_SEP, " ") if body and _SEP in body else body


_SEP = "\x1f"  # the ASCII unit separator: read as a space in what a comment says (`said_in`)
_KINDS = frozenset(("", *KIND_ORDER))


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


def said_of(body: str | None, stored: str | None) -> Said | None:
    """What a team comment says: the stored words when a store derived them, else read from `body` now."""
    words = decode_words(stored) if stored is not None else None
    return words.said if words is not None else said_in(body)


def fails_of(body: str | None, stored: str | None) -> str | None:
    """A reporter comment's "it still fails" sentence: stored or read now, as `said_of`. Most comments
    say nothing failed, and their stored words (ending in an empty field) are not decoded for it."""
    if stored is not None:
        kind, _, rest = stored.partition(_SEP)
        # what decode_words takes, with an empty last field: a kind with its sentence, or no kind
        if (
            stored.endswith(_SEP)
            and stored.count(_SEP) == 4
            and (not kind or (kind in _KINDS and rest[:1] != _SEP))
        ):
            return None
        words = decode_words(stored)
        if words is not None:
            return words.fails
    return fails_in(body)


def encode_lines(lines: tuple[str, ...]) -> str:
    """Cleaned lines as one text for a store: joined by line breaks, a backslash or a line break inside a
    line (an HTML entity can make one) escaped as \\\\ or \\n."""
    return "\n".join(line.replace("\\", "\\\\").replace("\n", "\\n") for line in lines)


def decode_lines(text: str) -> tuple[str, ...]:
    """What `encode_lines` wrote."""
    if not text:
        return ()
    lines = text.split("\n")
    if "\\" not in text:  # nearly always: nothing escaped
        return tuple(lines)
    return tuple(_ESCAPED.sub(lambda m: "\n" if m.group(0) == "\\n" else "\\", line) for line in lines)


_ESCAPED = re.compile(r"\\[n\\]")
