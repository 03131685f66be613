"""The safety net under a language model's answer: accept it as plain report text, or say why not.

A model's answer goes into a Slack message that a whole support team reads, and the model read ticket
text written by anyone. Whatever a ticket talked it into, the answer is used only if it
- is not empty and fits its place (a headline or a group summary),
- pings nobody (`<!channel>`, `<@U…>`, `<#C…>`, `@here`, `@someone`) and links nowhere,
- carries no markup Slack or Markdown would render (`*`, `_x_`, backticks, `~`, quotes, headings, tags),
- names only tickets it was given and only version numbers found in the texts it was given.

Pure: the answer and what the model was given in, a verdict out.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from bot.report.text import find_versions

HEADLINE_MAX_CHARS = 600
SUMMARY_MAX_CHARS = 900
_SHOWN = 40  # characters of an offending piece quoted in the reason

_SLACK_SPECIAL = re.compile(r"<[!@#][^>\s]{0,200}>?")  # <!channel>, <!here>, <@U123>, <#C123|x>
_MENTION = re.compile(r"(?<![\w.+-])@[A-Za-z0-9][\w.-]{0,80}")  # @channel, @here, @everyone, @login
_URL = re.compile(r"\b(?:[a-z][a-z0-9+.-]{1,20}://|www\.|mailto:)\S{0,200}", re.IGNORECASE)
_ANGLE_LINK = re.compile(r"<[^<>\n]{0,500}\|[^<>\n]{0,500}>|<[a-z][a-z0-9+.-]{1,20}:[^<>\s]{0,500}>", re.I)
_MARKDOWN_LINK = re.compile(r"\]\(")
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>\n]{0,500}>|<!--")
_EMPHASIS = re.compile(r"(?<![\w\\])_(?=[^\s_])[^\n_]{0,500}(?<=[^\s_])_(?!\w)")
_MARKUP_CHAR = re.compile(r"[*`~]")
_QUOTE = re.compile(r"^[ \t]*(?:>|&gt;)", re.MULTILINE)
_HEADING = re.compile(r"^[ \t]*#{1,6}(?:[ \t]|$)", re.MULTILINE)
_BULLET = re.compile(r"^[ \t]*(?:-|\d{1,2}[.)])[ \t]+", re.MULTILINE)
_SPACES = re.compile(r"\s+")

_REPO_TICKET = re.compile(r"(?<![\w/.-])([A-Za-z0-9][\w.-]{0,99}/[\w.-]{1,100})#(\d{1,9})\b")
_HASH_TICKET = re.compile(r"(?<![\w/&])#(\d{1,9})\b")
_WORD_TICKET = re.compile(
    r"\b(?:issues?|tickets?|pull requests?|PRs?)\s+(?:no\.?\s*|number\s+)?#?(\d{1,9})\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Verdict:
    """An answer accepted (`text` is what to show) or rejected (`reason` says why, `text` is "")."""

    text: str = ""
    reason: str = ""

    @property
    def accepted(self) -> bool:
        return not self.reason


def check_answer(
    answer: str | None,
    *,
    tickets: Collection[tuple[str, int]],
    texts: Iterable[str],
    max_chars: int,
) -> Verdict:
    """Accept `answer` as plain report text, or reject it with the first reason found.

    tickets: the (repo, number) pairs the model was shown (repo compared case-insensitively); an
    answer may cite them as `#N`, `issue N` or `owner/name#N`.
    texts: every text the model was shown; a version number in the answer must appear in one of them
    (or be a shorter form of one: "11.3" when "11.3.1" was shown).
    """
    raw = (answer or "").strip()
    if not raw:
        return _reject("empty answer")
    if len(raw) > 2 * max_chars:  # checked first, so the patterns below only ever see a short text
        return _reject(f"too long ({len(raw)} characters, at most {max_chars})")
    for pattern, what in (
        (_SLACK_SPECIAL, "a Slack mention"),
        (_MENTION, "an @-mention"),
        (_URL, "a link"),
        (_ANGLE_LINK, "a link"),
        (_MARKDOWN_LINK, "a link"),
        (_HTML_TAG, "an HTML tag"),
        (_QUOTE, "a quote"),
        (_HEADING, "a heading"),
        (_EMPHASIS, "markup"),
        (_MARKUP_CHAR, "markup"),
    ):
        found = pattern.search(raw)
        if found:
            return _reject(f"{what} {_shown(found.group(0))}")
    text = _SPACES.sub(" ", _BULLET.sub("", raw)).strip()
    if not text:
        return _reject("empty answer")
    if len(text) > max_chars:
        return _reject(f"too long ({len(text)} characters, at most {max_chars})")
    unknown = _unknown_ticket(text, tickets)
    if unknown:
        return _reject(f"names {unknown}, which it was not given")
    unknown = _unknown_version(text, texts)
    if unknown:
        return _reject(f"names version {unknown}, which is not in the tickets")
    return Verdict(text=text)


def _reject(reason: str) -> Verdict:
    return Verdict(text="", reason=reason)


def _shown(piece: str) -> str:
    return repr(piece if len(piece) <= _SHOWN else piece[: _SHOWN - 1] + "…")


def _unknown_ticket(text: str, tickets: Collection[tuple[str, int]]) -> str | None:
    keys = {(repo.lower(), number) for repo, number in tickets}
    numbers = {number for _, number in keys}
    for match in _REPO_TICKET.finditer(text):
        if (match.group(1).lower(), int(match.group(2))) not in keys:
            return match.group(0)
    without_repo_refs = _REPO_TICKET.sub(" ", text)
    for pattern in (_HASH_TICKET, _WORD_TICKET):
        for match in pattern.finditer(without_repo_refs):
            if int(match.group(1)) not in numbers:
                return f"#{match.group(1)}"
    return None


def _unknown_version(text: str, texts: Iterable[str]) -> str | None:
    named = find_versions(text)
    if not named:
        return None
    known = {version.lower() for source in texts for version in find_versions(source)}
    for version in named:
        wanted = version.lower()
        if wanted not in known and not any(k.startswith(wanted + ".") for k in known):
            return version
    return None
