"""What the team said about a problem, classified: fix released, fix coming, workaround, asked, looking.

Pure functions over plain text. A team comment is split into sentences (a line holding only a version
number joins the sentence before it, so "a fix in the next release:\\n4.2.1" keeps its version) and
each sentence is classified; a comment takes the most settled kind any of its sentences has. Reporters'
later comments are read for "it still fails" after a fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.report.text import clean_lines, find_versions

_COMMENT_CHARS = 3000
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?…])\s+(?=[A-Z0-9\"'“(])")
_VERSION_ONLY = re.compile(r"^(?:v|version\s*)?\d{1,5}(?:\.\d{1,5}){1,3}(?:-[\w.]{1,20})?[.!:]?$", re.I)

# Most settled first; a comment's kind is the first that matches any of its sentences. `_S` is a
# stretch of one sentence, which may cross the dots of a version number ("5.3.1 which fixes it").
_S = r"(?:[^.!?\n]|(?<=\d)\.(?=\d))"
_V = r"v?\d{1,5}(?:\.\d{1,5}){1,3}"
_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "fix_released",
        re.compile(
            rf"\b(?:fixed|resolved|addressed|patched) (?:it |this )?in (?:v(?:ersion)?\s?)?\d"
            rf"|\b(?:fixed|resolved) in (?:the )?(?:latest|newest|new|current) (?:release|version|update"
            rf"|build)"
            rf"|\b{_V}\b{_S}{{0,40}}\b(?:is|was|has been|are) (?:now )?(?:out|live|available|released"
            rf"|published|shipped)"
            rf"|\b(?:released|shipped|published|rolled out|pushed out)\b{_S}{{0,50}}\b(?:fix(?:es|ed)?|patch"
            rf"|hotfix)\b"
            rf"|\b(?:fix|patch|hotfix)\b{_S}{{0,30}}\b(?:(?:is|has been|was|got) )?(?:now )?(?:out|live"
            rf"|released|shipped|available)\b"
            rf"|\bplease (?:update|upgrade) to {_V}"
            rf"|\b(?:update|upgrade) to {_S}{{0,30}}\b(?:which|that) (?:fixes|resolves|contains the fix)",
            re.IGNORECASE,
        ),
    ),
    (
        "fix_coming",
        re.compile(
            rf"\b(?:fix|patch|hotfix)\b{_S}{{0,80}}\b(?:next|upcoming|coming|following|future) (?:release"
            rf"|version|update|build|patch)"
            rf"|\b(?:will|should|is going to) be (?:fixed|resolved|addressed|patched) in\b"
            rf"|\b(?:fix|patch|hotfix) (?:is |will be )?(?:coming|on (?:its|the) way|landing|planned"
            rf"|scheduled|in progress)"
            rf"|\b(?:fix|patch)\b{_S}{{0,40}}\b(?:will be|is going to be) (?:part of|in|included in|shipped"
            rf" in|released (?:in|with))"
            rf"|\bwill be (?:released|shipped|available|out) (?:with|in)\b"
            rf"|\b(?:will|should) (?:ship|land|go out|be out) (?:in|with)\b"
            rf"|\b(?:working on|preparing|have|found|pushed|merged|made) a (?:possible |potential )?(?:fix"
            rf"|patch|hotfix)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "workaround",
        re.compile(
            r"\bwork ?-?around\b|\bin the meantime\b|\bas a temporary\b|\btemporary fix\b"
            r"|\b(?:you can|you could|please|try|for now,?|for now you can)\s(?:also\s)?(?:try\s)?(?:to\s)?"
            r"(?:delete|deleting|remove|removing|rename|renaming|reinstall|re-install|reinstalling|restart"
            r"|restarting|clear|clearing|downgrade|downgrading|roll back|disable|disabling|enable|set|run"
            r"|move|turn off|switch|log out|sign out|reset|resetting|use|install)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "needs_info",
        re.compile(
            r"\b(?:could|can|would) you (?:please )?(?:share|send|provide|attach|post|upload|paste|tell"
            r"|confirm|check|let us know|record|run)\b"
            r"|\bplease (?:share|send|provide|attach|post|upload|paste|let us know|confirm)\b"
            r"|\bwhat (?:version|os|platform|operating system)\b[^.!]{0,60}\?"
            r"|\bwe (?:need|would need) (?:more|your|the) (?:info|information|details|logs)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "investigating",
        re.compile(
            r"\b(?:looking into|investigating|look into (?:it|this)|we(?:'re| are) (?:on it|checking|looking)"
            r"|(?:team|we) (?:is|are) on it|we(?:'re| are) aware"
            r"|(?:can|could|were able to|are able to|managed to) reproduce|reproduced (?:it|this|the)"
            r"|escalated|(?:passed|forwarded|handed) (?:this|it) (?:on )?to)\b",
            re.IGNORECASE,
        ),
    ),
)
KIND_ORDER = (*(kind for kind, _ in _KINDS), "answered")
# "There's no workaround yet", "we don't have a fix": a sentence that denies what it names.
_DENIED = re.compile(
    r"(?:\b(?:no|not|without|neither|nor)\b|n't\b)[^.!?]{0,25}\b(?:work ?-?around|fix|patch|solution)",
    re.IGNORECASE,
)
_SETTLED = frozenset({"fix_released", "fix_coming", "workaround"})

# A reporter saying the fix did not help.
_STILL_FAILS = re.compile(
    rf"\bstill\b{_S}{{0,60}}\b(?:fail|fails|failing|failed|crash|crashes|crashing|broken|happen|happens"
    r"|happening|occurs?|occurring|see|seeing|get|getting|same|not work|doesn't work|does not work|stuck"
    r"|error|errors|an issue|a problem|there|persists)\b"
    rf"|\b(?:doesn't|does not|didn't|did not|not|won't) (?:fix|solve|resolve|help|work)\b{_S}{{0,40}}"
    r"|\b(?:doesn't|does not|didn't|did not) change (?:anything|a thing|it|the)\b"
    r"|\bnot (?:been )?fixed\b|\b(?:has|have|had|with) the same (?:error|issue|problem|crash|bug)\b"
    rf"|\bsame (?:error|issue|problem|crash)\b{_S}{{0,40}}\b(?:after|with|on|in)\b"
    r"|\bno luck\b|\b(?:it's|it is|issue is|problem is|bug is) back\b"
    r"|\b(?:issue|problem|bug|error|crash) (?:persists|remains|is back|came back)\b",
    re.IGNORECASE,
)
# "It works now", "fixed for me": a reporter's thanks, even if it mentions what did not work before.
_WORKS_NOW = re.compile(
    r"\b(?:works|working|fixed|solved|resolved)\b[^.!?]{0,20}\b(?:now|for me|again)\b|\bit works\b"
    r"|\ball good\b|\bthat (?:did|fixed) it\b",
    re.IGNORECASE,
)
_COURTESY = re.compile(
    r"^(?:(?:hi|hello|hey)(?: there| all| everyone| @?[\w-]{1,39})?[,.!]\s*)?"
    r"(?:(?:sorry (?:to hear|for|about)|thanks for|thank you for|apologies for)[^,.!]{0,60}[,.!]\s*)?",
    re.IGNORECASE,
)
_APOLOGY_ONLY = re.compile(
    r"^(?:sorry|thanks|thank you|apologies|hi|hello|hey)\b[^.!?]{0,80}[.!?]?$", re.IGNORECASE
)


@dataclass(frozen=True)
class Said:
    """A classified sentence of a comment."""

    kind: str  # one of KIND_ORDER
    sentence: str  # the sentence as written, courtesy stripped
    version: str | None  # the version it names, or the one its comment names next to it
    workaround: str | None = None  # a workaround the same comment gives besides, e.g. with a coming fix


def sentences(markdown: str | None, *, keep_urls: bool = False) -> list[str]:
    """Plain sentences of a comment; a line holding only a version joins the line before it."""
    lines: list[str] = []
    for line in clean_lines(markdown, max_chars=_COMMENT_CHARS, keep_urls=keep_urls):
        if lines and _VERSION_ONLY.match(line):
            lines[-1] = lines[-1].rstrip(" .:") + ": " + line.rstrip(".!:")
        else:
            lines.append(line)
    out: list[str] = []
    for line in lines:
        out.extend(part.strip() for part in _SENTENCE_SPLIT.split(line) if part.strip())
    return out


def classify(markdown: str | None) -> Said | None:
    """The most settled thing a team comment says, or None for an empty comment.

    URLs are kept whole: "download it from <URL>" is an instruction only with its address.
    """
    said = sentences(markdown, keep_urls=True)
    if not said:
        return None
    versions = find_versions(" ".join(said))
    for kind, pattern in _KINDS:
        for position, sentence in enumerate(said):
            if kind in _SETTLED and (sentence.rstrip().endswith("?") or _DENIED.search(sentence)):
                continue  # a question or a denial ("no workaround yet") settles nothing
            if pattern.search(sentence):
                return Said(
                    kind=kind,
                    sentence=_polish(sentence),
                    version=_version_near(said, position, versions),
                    workaround=_workaround(said) if kind in ("fix_released", "fix_coming") else None,
                )
    useful = [s for s in said if not _APOLOGY_ONLY.match(s)] or said
    return Said(kind="answered", sentence=_polish(useful[0]), version=None)


def _workaround(said: list[str]) -> str | None:
    pattern = dict(_KINDS)["workaround"]
    for sentence in said:
        if pattern.search(sentence) and not (sentence.rstrip().endswith("?") or _DENIED.search(sentence)):
            return _polish(sentence)
    return None


def still_fails(markdown: str | None) -> str | None:
    """The sentence in which a reporter says a fix did not help, or None."""
    for sentence in sentences(markdown):
        if sentence.rstrip().endswith("?"):
            continue  # "Not fixed yet?" asks; it does not report
        if _STILL_FAILS.search(sentence) and not _WORKS_NOW.search(sentence):
            return sentence
    return None


def _version_near(said: list[str], position: int, versions: list[str]) -> str | None:
    """The version a sentence names, else the next sentence's, else the comment's first."""
    for sentence in said[position : position + 2]:
        found = find_versions(sentence)
        if found:
            return found[0]
    return versions[0] if versions else None


def _polish(sentence: str) -> str:
    """A sentence without "Sorry to hear this," / "Thanks for the report." in front."""
    trimmed = _COURTESY.sub("", sentence, count=1).strip()
    if not trimmed or len(trimmed) < 12:
        return sentence
    return trimmed[0].upper() + trimmed[1:]
