"""Statements that cite tickets: which of them a renderer shows, and `#N` in them made a link.

A report's headline and each part of a group summary (`models.Cited`) name their tickets as `#N`.
A renderer escapes the text first (`escape.py`), then `link_mentions` links, in the escaped text,
the first mention of each cited ticket and hands back the cited tickets the text does not mention, for
the renderer to list after it. So every cited ticket is linked once, where the text names it or
after it.

Only numbers of cited tickets become links, and only numbers that name one cited ticket (two
repositories can both have a #7); the link's label is the `#N` the text already held and its URL
is the cited ticket's, through the renderer's own link function. Escaping runs before linking, so
nothing in the text can open markup around or inside a link. A mention must stand alone: `#686` in
`abc#686`, `issues/#686`, `\\#686`, `!#686` or `#686x` is left as text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from bot.render.escape import ELLIPSIS, one_line
from bot.render.formatting import PART_LABELS
from bot.report.models import Cited, IssueGroup, TicketRef

# "!" too: in Markdown, "![#1](url)" would be an image.
_MENTION = re.compile(r"(?<![\w\\/!])#(\d{1,9})(?!\w)")


def link_mentions(
    escaped: str,
    tickets: Sequence[TicketRef],
    *,
    link: Callable[[TicketRef, str], str],
    shown: str | None = None,
) -> tuple[str, tuple[TicketRef, ...]]:
    """The text with the first mention of each cited ticket linked, and the cited tickets not linked.

    `escaped` is the whole escaped text; `link(ticket, "#N")` makes one link. When the text is shown
    clipped, pass the clipped form as `shown` (a prefix of `escaped`, ending in "…" when cut): only
    mentions wholly inside the kept prefix are linked, so a "#68…" cut from "#686" never links #68.
    """
    text = escaped if shown is None else shown
    kept = len(text) if text == escaped else max(0, len(text) - len(ELLIPSIS))
    by_number: dict[int, list[TicketRef]] = {}
    for ticket in tickets:
        by_number.setdefault(ticket.number, []).append(ticket)
    pieces: list[str] = []
    linked: set[TicketRef] = set()
    done = 0
    for match in _MENTION.finditer(escaped):
        if match.end() > kept:
            break
        candidates = by_number.get(int(match.group(1)), [])
        if len(candidates) != 1 or candidates[0] in linked:
            continue
        ticket = candidates[0]
        pieces.extend((text[done : match.start()], link(ticket, match.group(0))))
        linked.add(ticket)
        done = match.end()
    pieces.append(text[done:])
    rest = tuple(dict.fromkeys(ticket for ticket in tickets if ticket not in linked))
    return "".join(pieces), rest


def has_text(text: str | None) -> bool:
    """Whether the text shows anything once reduced to one line (whitespace and controls alone do not)."""
    return bool(one_line(text))


def summary_parts(group: IssueGroup) -> list[tuple[str, Cited]] | None:
    """The labelled statements to show for a group ("Problem", ...), or None to show its `summary`.

    A group summarised from the tickets shows its parts; a model's summary is shown as the model
    wrote it, unless it is empty. Parts without text are left out.
    """
    parts = group.parts
    if parts is None or (group.written_by == "model" and has_text(group.summary)):
        return None
    statements = {
        "problem": parts.problem,
        "affected": parts.affected,
        "status": parts.status,
        "fix_fails": parts.fix_fails,
        "tell_users": parts.tell_users,
    }
    return [
        (words, statement)
        for key, words in PART_LABELS
        if (statement := statements[key]) is not None and has_text(statement.text)
    ]
