"""The safety net under a language model's answer: accept it as plain report text, or say why not.

A model's answer goes into a Slack message that a whole support team reads, and the model read ticket
text written by anyone. Whatever a ticket talked it into, the answer is used only if it
- is not empty and fits its place (a headline or a group summary),
- pings nobody (`<!channel>`, `<@U…>`, `<#C…>`, `@here`, `@someone`) and links nowhere,
- carries no markup Slack or Markdown would render (`*`, `_x_`, backticks, `~`, quotes, headings, tags),
- names only tickets it was given and only version numbers found in the texts it was given,
- as a group summary, carries the four labelled parts the prompt asks for (`SUMMARY_LABELS`), in order.

"Links nowhere" includes what Slack links by itself: any e-mail address, and any bare domain such as
"orbit-help.com/reset" whose last label is one of the common top-level domains in `_TLDS`. Such a
domain is rejected even when the tickets wrote it (ticket text is anyone's, so a host it names is
no safer), which means a file name ending in one of those ("install.sh", "Notes.app") is rejected
too and the offline text is used; other file names ("notes.db", "config.json", "README.md") and
abbreviations ("e.g.", "i.e.") pass.

A version is any dotted number ("2.1", "v5.3.1.4", "11.4.1-beta.2") and any "v2" or "version 6";
each must be one the texts name, or a shorter form of one ("11.3" when "11.3.1" was shown), so a
dotted figure the tickets do not have ("2.5 GB") is rejected as well.

Pure: the answer and what the model was given in, a verdict out.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

HEADLINE_MAX_CHARS = 600
SUMMARY_MAX_CHARS = 900
SUMMARY_LABELS = ("Problem:", "Affected:", "Status:", "Tell users:")  # a group summary's parts, in order
_SHOWN = 40  # characters of an offending piece quoted in the reason

_SLACK_SPECIAL = re.compile(r"<[!@#][^>\s]{0,200}>?")  # <!channel>, <!here>, <@U123>, <#C123|x>
_MENTION = re.compile(r"(?<![\w.+-])@[A-Za-z0-9][\w.-]{0,80}")  # @channel, @here, @everyone, @login
_URL = re.compile(r"\b(?:[a-z][a-z0-9+.-]{1,20}://|www\.|mailto:)\S{0,200}", re.IGNORECASE)
_ANGLE_LINK = re.compile(r"<[^<>\n]{0,500}\|[^<>\n]{0,500}>|<[a-z][a-z0-9+.-]{1,20}:[^<>\s]{0,500}>", re.I)
_MARKDOWN_LINK = re.compile(r"\]\(")
_EMAIL = re.compile(r"[\w.%+-]{1,200}@[\w-]{1,63}(?:\.[\w-]{1,63})+")
# Top-level domains Slack (and people) take for a web address; "notes.db" or "config.json" are files.
_TLDS = (
    "com|org|net|io|dev|app|co|ai|me|info|biz|us|uk|de|fr|eu|gg|xyz|tech|cloud|site|online|store|page"
    "|link|ly|sh|to|tv|cc"
)
_DOMAIN = re.compile(
    rf"(?<![\w.@/-])(?:[\w-]{{1,63}}\.){{1,10}}(?:{_TLDS})(?![\w-])(?:[/:]\S{{0,200}})?",
    re.IGNORECASE,
)
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>\n]{0,500}>|<!--")
_EMPHASIS = re.compile(r"(?<![\w\\])_(?=[^\s_])[^\n_]{0,500}(?<=[^\s_])_(?!\w)")
_MARKUP_CHAR = re.compile(r"[*`~]")
_QUOTE = re.compile(r"^[ \t]*(?:>|&gt;)", re.MULTILINE)
_HEADING = re.compile(r"^[ \t]*#{1,6}(?:[ \t]|$)", re.MULTILINE)
_BULLET = re.compile(r"^[ \t]*(?:-|\d{1,2}[.)])[ \t]+", re.MULTILINE)
_SPACES = re.compile(r"\s+")
# "2.1", "v5.3.1.4", "11.4.1-beta.2"; a single number only as "v2" or "version 6".
_VERSION = re.compile(
    r"(?<![\w.])(?P<prefix>version\s{0,3}|ver\.?\s{0,3}|v)?(?P<number>\d{1,12}(?:\.\d{1,12})*)"
    r"(?P<suffix>-(?:[a-z]{0,12}\d[0-9a-z]{0,12}|alpha|beta|rc|pre|preview|dev|canary|nightly)"
    r"(?:\.[0-9a-z]{1,12}){0,3})?(?!\.?\d)",
    re.IGNORECASE,
)

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
    labels: Sequence[str] = (),
) -> Verdict:
    """Accept `answer` as plain report text, or reject it with the first reason found.

    tickets: the (repo, number) pairs the model was shown (repo compared case-insensitively); an
    answer may cite them as `#N`, `issue N` or `owner/name#N`.
    texts: every text the model was shown; a version number in the answer must appear in one of them
    (or be a shorter form of one: "11.3" when "11.3.1" was shown).
    labels: the parts the answer must carry, each once and in this order, compared case-insensitively
    (`SUMMARY_LABELS` for a group summary; none for the headline).
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
        (_EMAIL, "an e-mail address"),
        (_DOMAIN, "a link"),
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
    if labels and not _has_parts(text, labels):
        return _reject("missing the four parts" if labels == SUMMARY_LABELS else "missing its labelled parts")
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
    named = _versions(text)
    if not named:
        return None
    known = {version.lower() for source in texts for version in _versions(source)}
    for version in named:
        wanted = version.lower()
        if wanted not in known and not any(k.startswith(wanted + ".") for k in known):
            return version
    return None


def _versions(text: str) -> list[str]:
    """Version-like numbers in `text`, without a leading "v" or "version"."""
    found: dict[str, None] = {}
    for match in _VERSION.finditer(text):
        number = match.group("number")
        if "." in number or match.group("prefix"):
            found.setdefault(number + (match.group("suffix") or ""), None)
    return list(found)


def _has_parts(text: str, labels: Sequence[str]) -> bool:
    """Whether each label starts a part of `text` exactly once, in the order given."""
    last = -1
    for label in labels:
        words = r"\s+".join(re.escape(word) for word in label.rstrip(":").split())
        found = [m.start() for m in re.finditer(rf"(?<!\w){words}\s?:", text, re.IGNORECASE)]
        if len(found) != 1 or found[0] <= last:
            return False
        last = found[0]
    return True
