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

# Most settled first; a comment's kind is the first that matches any of its sentences.
_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "fix_released",
        re.compile(
            r"\b(?:fixed|resolved|addressed|patched) (?:it )?in (?:v(?:ersion)?\s*)?\d"
            r"|\b\d{1,5}(?:\.\d{1,5}){1,3}\b[^.!?]{0,40}\b(?:is|was|has been|are) (?:now )?"
            r"(?:out|live|available|released|published|shipped)"
            r"|\b(?:released|shipped|published|rolled out|pushed out)\b[^.!?]{0,40}\b(?:fix(?:es"
            r"|ed)?|patch|hotfix)\b"
            r"|\b(?:fix|patch|hotfix)\b[^.!?]{0,30}\b(?:is|has been"
            r"|was) (?:now )?(?:out|live|released|shipped"
            r"|available)"
            r"|\bplease (?:update|upgrade) to\b|\b(?:update|upgrade) to [^.!?]{0,30}\bwhich (?:fixes"
            r"|resolves)",
            re.IGNORECASE,
        ),
    ),
    (
        "fix_coming",
        re.compile(
            r"\b(?:fix|patch|hotfix)\b[^.!?]{0,80}\b(?:next|upcoming"
            r"|coming|following|future) (?:release|version"
            r"|update|build|patch)"
            r"|\b(?:will|should) be (?:fixed|resolved|addressed|patched) in\b"
            r"|\b(?:fix|patch|hotfix) (?:is |will be )?(?:coming|on (?:its|the) way|landing|planned|scheduled"
            r"|in progress)"
            r"|\b(?:working on|preparing|have|found) a (?:possible |potential )?(?:fix|patch|hotfix)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "workaround",
        re.compile(
            r"\bwork ?-?around\b|\bin the meantime\b|\bas a temporary\b|\btemporary fix\b"
            r"|\b(?:you can|you could|please|try|for now,?"
            r"|for now you can)\s+(?:also\s+)?(?:try\s+)?(?:to\s+)?"
            r"(?:delete|deleting|remove|removing|rename|renaming|reinstall"
            r"|re-install|reinstalling|restart|restarting"
            r"|clear|clearing|downgrade|downgrading|roll back|disable|disabling|enable|set|run|move|turn off"
            r"|switch|log out|sign out|reset|resetting)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "needs_info",
        re.compile(
            r"\b(?:could|can|would) you (?:please )?(?:share|send"
            r"|provide|attach|post|upload|paste|tell|confirm"
            r"|check|let us know|record|run)\b"
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
            r"|(?:can|could|were able to|are able to|managed to) reproduce|reproduced (?:it|this|the)"
            r"|escalated|(?:passed|forwarded|handed) (?:this|it) (?:on )?to)\b",
            re.IGNORECASE,
        ),
    ),
)
KIND_ORDER = (*tuple(kind for kind, _ in _KINDS), "answered")

# A reporter saying the fix did not help.
_STILL_FAILS = re.compile(
    r"\bstill\b[^.!?]{0,60}\b(?:fail|fails|failing|failed|crash|crashes|crashing|broken|happen|happens"
    r"|happening|occurs?|occurring|see|seeing|get|getting|same|not work|doesn't work|does not work|stuck"
    r"|error|errors|an issue|a problem|there|persists)\b"
    r"|\b(?:doesn't|does not|didn't|did not|not|won't) (?:fix|solve|resolve|help|work)\b[^.!?]{0,40}"
    r"|\bnot (?:been )?fixed\b|\bsame (?:error|issue|problem|crash)\b[^.!?]{0,40}\b(?:after|with|on|in)\b"
    r"|\b(?:issue|problem|bug|error|crash) (?:persists|remains|is back|came back)\b",
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


def sentences(markdown: str | None) -> list[str]:
    """Plain sentences of a comment; a line holding only a version joins the line before it."""
    lines: list[str] = []
    for line in clean_lines(markdown, max_chars=_COMMENT_CHARS):
        if lines and _VERSION_ONLY.match(line):
            lines[-1] = lines[-1].rstrip(" .:") + ": " + line.rstrip(".!:")
        else:
            lines.append(line)
    out: list[str] = []
    for line in lines:
        out.extend(part.strip() for part in _SENTENCE_SPLIT.split(line) if part.strip())
    return out


def classify(markdown: str | None) -> Said | None:
    """The most settled thing a team comment says, or None for an empty comment."""
    said = sentences(markdown)
    if not said:
        return None
    versions = find_versions(" ".join(said))
    for kind, pattern in _KINDS:
        for position, sentence in enumerate(said):
            if pattern.search(sentence):
                return Said(
                    kind=kind, sentence=_polish(sentence), version=_version_near(said, position, versions)
                )
    useful = [s for s in said if not _APOLOGY_ONLY.match(s)] or said
    return Said(kind="answered", sentence=_polish(useful[0]), version=None)


def still_fails(markdown: str | None) -> str | None:
    """The sentence in which a reporter says a fix did not help, or None."""
    for sentence in sentences(markdown):
        if _STILL_FAILS.search(sentence):
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
