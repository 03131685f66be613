"""A common issue's summary in four parts: Problem, Affected, Status, Tell users. Each cites tickets.

- *Problem*: the error line the tickets share (exception and message, as written), else the clearest
  sentence a reporter wrote (closest to the group's centroid, preferring symptom words). Never a line
  of a diagnostic block, a template or a log dump: those are gone before any sentence is chosen.
- *Affected*: product and version from issue-form answers ("### Product", "### Version", "### Your
  Lumen Desktop Version") or phrases naming a product with a version ("Lumen Desktop 4.2.0"); never
  a "Key: value" field of a pasted system-information block. Platforms; how many people reported it
  (ticket authors plus others in the comments).
- *Status*: the team's latest word, classified by `team_words` (fix released in X, fix coming, workaround,
  needs information, investigating, replied, no reply yet), and a later reporter's word that the fix
  does not work.
- *Tell users*: the workaround or fix in the team's own words, with ticket, author and date.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from bot.report.activity import is_team
from bot.report.derived import fails_of, said_of
from bot.report.models import Cited, Comment, GroupSummary, Ticket, TicketRef, ref
from bot.report.team_words import KIND_ORDER, Said, still_fails
from bot.report.text import (
    clean_lines,
    error_lines,
    error_type,
    excerpt,
    find_versions,
    form_fields,
    join_lines,
    quote,
)
from bot.report.wording import count, ticket_name

Closeness = Callable[[list[str]], list[float]]
_FIX_KINDS = ("fix_released", "fix_coming")
Threads = Mapping[tuple[str, int], Sequence[Comment]]

_PROBLEM_CHARS = 240
_TEAM_CHARS = 260
_BODY_CHARS = 2000
_REPORTER_COMMENTS = 2  # the reporter's first comments can hold the error line too

_SYMPTOM_WORDS = re.compile(
    r"\b(?:crash\w*|fail\w*|error\w*|freez\w*|stuck|hang\w*|won't|can't|cannot|couldn't|doesn't|does not"
    r"|not working|not work|quits?|closes?|lost|missing|blank|slow\w*|broken|unable|stops?|stopped|timeout"
    r"|times out|spinner|loop\w*|empty|wrong|disappear\w*)\b",
    re.IGNORECASE,
)
_QUESTION = re.compile(r"\?\s*$")
_WISH = re.compile(r"\b(?:should|expected|would like|i want|it would be nice)\b", re.IGNORECASE)
# A template's section label: "### Expected behavior", "**Expected result**", "Expected:".
_SECTION_LABEL = re.compile(
    r"^[ \t]{0,3}(?:#{1,6}[ \t]+(?P<h>[^\n]{1,80})|(?:\*\*|__)(?P<b>[^*_\n]{1,80})(?:\*\*|__):?[ \t]*"
    r"|(?P<c>[A-Za-z][\w ]{0,40}):)$"
)
_EXPECTED = re.compile(r"\bexpect", re.IGNORECASE)
_PRODUCT_FIELD = re.compile(
    r"\b(?:product|software|application|app|component|client|edition|service)\b", re.I
)
_VERSION_FIELD = re.compile(r"\bversion\b", re.IGNORECASE)
# Version questions that are not about the product: diagnostics and other software.
_OTHER_VERSION_FIELD = re.compile(
    r"(?:(?:os|operating system|browser|kernel|build|python|node|java|dart|flutter|driver|firmware|macos"
    r"|windows|linux|android|ios|api|sdk|gpu|cpu)\s?){1,3}",
    re.IGNORECASE,
)
_DIAGNOSTIC_FIELD = re.compile(r"\b(?:min|max|minimum|maximum|supported|required)\b", re.IGNORECASE)
_DIAGNOSTIC_PAIR = re.compile(
    r"\b(?:min|max|minimum|maximum|required|supported)\b[\w ]{0,40}:\s*v?[\d.]{1,20}", re.IGNORECASE
)
_PLATFORM_FIELD = re.compile(r"operating system|platform|\bos\b", re.IGNORECASE)
_PLATFORMS = (
    ("macOS", re.compile(r"\b(?:mac ?os|macbook|os ?x|darwin|mac)\b", re.IGNORECASE)),
    ("Windows", re.compile(r"\b(?:windows|win ?1[01]|win32|win64)\b", re.IGNORECASE)),
    ("Linux", re.compile(r"\b(?:linux|ubuntu|debian|fedora|arch ?linux|linux mint)\b", re.IGNORECASE)),
    ("iOS", re.compile(r"\b(?:ios|iphone|ipad)\b", re.IGNORECASE)),
    ("Android", re.compile(r"\bandroid\b", re.IGNORECASE)),
)
# "Lumen Desktop 4.2.0", "Acme Server v11.3.0", "Desktop app 3.3.3": capitalised words then a version.
_PRODUCT_PHRASE = re.compile(
    r"\b(?P<name>(?:[A-Z][\w+-]{1,30}\s){0,3}(?:[A-Z][\w+-]{1,30}|app|server|client|desktop|extension|plugin))"
    r"\s+(?:v|version\s+)?(?P<version>\d{1,5}\.\d{1,5}\.\d{1,5}(?:-[\w.]{1,20})?)\b"
)
# "Since I updated Orbit Mail to 5.3.0".
_UPDATED_TO = re.compile(
    r"\b(?:updated|upgraded|installed|updating|upgrading|moved)\s+(?:the\s+)?"
    r"(?P<name>(?:[A-Z][\w+-]{1,30}\s){0,2}[A-Z][\w+-]{1,30})\s+to\s+v?(?P<version>\d{1,5}\.\d{1,5}\.\d{1,5})\b"
)
# "- Version: 5.3.0" / "App version = 5.3.0" on a line of its own (never Min/Max/OS/browser versions).
_VERSION_LINE = re.compile(
    r"^[ \t]{0,8}(?:[-*+][ \t]{1,4})?(?:(?:app|application|client|product|software)[ \t])?version[ \t]{0,4}"
    r"[:=][ \t]{0,4}v?(?P<version>\d{1,5}(?:\.\d{1,5}){1,3})\b",
    re.IGNORECASE | re.MULTILINE,
)
_OS_LINE = re.compile(
    r"^[ \t]{0,8}(?:[-*+][ \t]{1,4})?(?:os|operating system|platform)[ \t]{0,4}[:=][ \t]{0,4}"
    r"(?P<os>[^\n]{1,80})",
    re.IGNORECASE | re.MULTILINE,
)
# Operating systems, browsers, runtimes and tools: named with a version, they are not the product.
_OTHER_SOFTWARE_NAMES = """
    windows macos mac os osx sonoma ventura monterey sequoia big sur catalina ios ipados android linux ubuntu
    debian fedora arch mint centos rhel chrome chromium firefox safari edge opera brave node nodejs node.js
    npm yarn python java jdk jre dart flutter xcode gradle kotlin swift electron sdk api docker kubernetes
    postgres postgresql mysql mariadb redis nginx apache git github vscode code intellij pycharm"""
_OTHER_SOFTWARE = frozenset(_OTHER_SOFTWARE_NAMES.split())
_NOT_PRODUCT = frozenset(
    [
        "after",
        "before",
        "since",
        "from",
        "to",
        "on",
        "in",
        "at",
        "with",
        "version",
        "versions",
        "release",
        "build",
        "update",
        "updated",
        "updating",
        "upgrade",
        "upgraded",
        "upgrading",
        "the",
        "a",
        "an",
        "my",
        "our",
        "your",
        "this",
        "that",
        "it",
        "is",
        "was",
        "and",
        "or",
        "but",
        "version:",
        "v",
        "on:",
        "running",
        "installed",
        "install",
        "using",
        "use",
        "tried",
        "trying",
        "i",
        "we",
        "still",
        "also",
        "latest",
        "new",
        "old",
        "current",
    ]
)
_FIELD_NOISE = re.compile(
    r"\b(?:your|the|which|what|of|version|installed|you are using|are you using)\b", re.I
)


@dataclass(frozen=True)
class TeamWord:
    """A classified team comment on one of the group's tickets."""

    said: Said
    ticket: Ticket
    comment: Comment


def summarize(
    tickets: Sequence[Ticket],
    threads: Threads,
    *,
    team_logins: frozenset[str],
    closeness: Closeness,
    tz: tzinfo | None,
    several_repos: bool = False,
) -> GroupSummary:
    """The four-part summary of a group of tickets (`threads`: comments per ticket key, oldest first)."""
    naming = Naming(several_repos=several_repos, tz=tz)
    problem, error = _problem(tickets, threads, closeness=closeness, naming=naming)
    product, version, people, affected = _affected(tickets, threads, team_logins=team_logins)
    words = team_words(tickets, threads, team_logins=team_logins)
    latest = _latest(words)
    fails = fix_failure(tickets, threads, words, team_logins=team_logins, naming=naming)
    status = _status(latest, fails, naming=naming, since=_since(words, latest))
    if not status.tickets:
        status = Cited(text=status.text, tickets=_refs(tickets))
    tell = _tell_users(words, latest, fails, naming=naming)
    if not tell.tickets:
        tell = Cited(text=tell.text, tickets=_refs(tickets))
    return GroupSummary(
        problem=problem,
        affected=affected,
        status=status,
        tell_users=tell,
        status_kind=latest.said.kind if latest else "no_reply",
        fix_fails=fails,
        has_workaround=any(w.said.kind == "workaround" or w.said.workaround for w in words),
        fix_version=latest.said.version if latest and latest.said.kind in _FIX_KINDS else None,
        people=people,
        product=product,
        version=version,
        error=error,
    )


# --- problem -------------------------------------------------------------------------------------------


def ticket_errors(ticket: Ticket, thread: Sequence[Comment]) -> list[str]:
    """Error lines in a ticket's title, body and its reporter's first comments."""
    texts = [ticket.title or "", ticket.body or ""]
    author = ticket.author.lower()
    own = [c for c in thread if c.author.lower() == author and not c.author_is_bot]
    texts += [c.body for c in own[:_REPORTER_COMMENTS]]
    found: dict[str, None] = {}
    for text in texts:
        for line in error_lines(text, limit=3):
            found.setdefault(line, None)
    return list(found)


def _problem(
    tickets: Sequence[Ticket], threads: Threads, *, closeness: Closeness, naming: Naming
) -> tuple[Cited, str | None]:
    by_type: dict[str, list[Ticket]] = {}
    lines: dict[str, Counter[str]] = {}
    for ticket in tickets:
        seen: set[str] = set()
        for line in ticket_errors(ticket, threads.get(ticket.key, ())):
            kind = error_type(line)
            lines.setdefault(kind, Counter())[line] += 1
            if kind not in seen:
                seen.add(kind)
                by_type.setdefault(kind, []).append(ticket)
    if by_type:
        kind = max(by_type, key=lambda k: (len(by_type[k]), -_first_number(by_type[k])))
        holders = by_type[kind]
        if len(holders) * 2 >= len(tickets) or len(tickets) <= 2:
            line = max(lines[kind], key=lambda text: (lines[kind][text], len(text) <= 200, len(text)))
            who = _share(len(holders), len(tickets))
            text = f"{quote(excerpt(line, limit=_PROBLEM_CHARS))} in {who}."
            return Cited(text=text, tickets=_refs(holders)), line

    # No shared error: the reporter's clearest sentence.
    candidates: list[tuple[str, Ticket]] = []
    for ticket in tickets:
        body = join_lines(clean_lines(_without_expected(ticket.body), max_chars=_BODY_CHARS))
        for sentence in sentences_of(body):
            candidates.append((sentence, ticket))
    if not candidates:
        candidates = [(ticket.title, ticket) for ticket in tickets if ticket.title]
    if not candidates:
        return Cited(text="The tickets do not describe the problem in words.", tickets=_refs(tickets)), None
    scores = closeness([sentence for sentence, _ in candidates])

    def rank(i: int) -> tuple[float, int]:
        sentence, _ticket = candidates[i]
        bonus = 0.15 if _SYMPTOM_WORDS.search(sentence) else 0.0
        penalty = 0.2 if _QUESTION.search(sentence) or _WISH.search(sentence) else 0.0
        return (scores[i] + bonus - penalty, -i)

    sentence, source = candidates[max(range(len(candidates)), key=rank)]
    others = [t for t in tickets if t.key != source.key]
    text = f"{quote(excerpt(sentence, limit=_PROBLEM_CHARS))} (the reporter of {naming.ticket(source)})."
    return Cited(text=text, tickets=(ref(source), *_refs(others))), None


def _without_expected(body: str | None) -> str:
    """The body without its "Expected behavior" section: what should happen is not the problem."""
    if not body or "xpect" not in body[: _BODY_CHARS * 8]:
        return body or ""
    kept: list[str] = []
    skipping = False
    for line in body[: _BODY_CHARS * 8].split("\n"):
        label = _SECTION_LABEL.match(line)
        if label:
            skipping = bool(_EXPECTED.search(label.group("h") or label.group("b") or label.group("c") or ""))
            if skipping:
                continue
        if not skipping:
            kept.append(line)
    return "\n".join(kept)


def sentences_of(text: str, *, limit: int = 12) -> list[str]:
    out = []
    for sentence in re.split(r"(?<=[.!?…])\s+", text):
        words = len(sentence.split())
        if 4 <= words <= 60 and len(sentence) <= 400:
            out.append(sentence)
        if len(out) >= limit:
            break
    return out


# --- affected ------------------------------------------------------------------------------------------


def product_version(ticket: Ticket, *, fields: dict[str, str] | None = None) -> tuple[str | None, str | None]:
    """The product and version a ticket names in its issue form or in a product phrase.

    `fields`: `form_fields(ticket.body)`, when the caller has them already.
    """
    if fields is None:
        fields = form_fields(ticket.body)
    product: str | None = None
    version: str | None = None
    for key, value in fields.items():
        if (
            product is None
            and _PRODUCT_FIELD.search(key)
            and not _VERSION_FIELD.search(key)
            and len(value) <= 40
            and len(value.split()) <= 5
            and not find_versions(value)
        ):
            product = value.strip(" .")
    for key, value in fields.items():
        if not _VERSION_FIELD.search(key):
            continue
        named = " ".join(word for word in _FIELD_NOISE.sub(" ", key).split() if word.isalnum())
        if _DIAGNOSTIC_FIELD.search(key) or (named and _OTHER_VERSION_FIELD.fullmatch(named)):
            continue  # "Min Version Supported", "OS version", "Browser version": not the product's
        value = _DIAGNOSTIC_PAIR.sub(" ", value)  # an answer with a pasted "Max Version Supported: 4.9.9"
        found = find_versions(value) or ([value] if _looks_like_version(value) else [])
        if found:
            version = found[0]
            if product is None and named and named.lower() not in ("app", "product", "software"):
                product = _original_case(named, ticket.body)
            break
    if version is None:
        # GitHub's default bug template: " - Version: 5.3.0" under "Desktop (please complete ...)".
        line = _VERSION_LINE.search(_prefix(ticket.body))
        if line:
            version = line.group("version")
    if version is None or product is None:
        text = " ".join(clean_lines(f"{ticket.title}\n{ticket.body}", max_chars=_BODY_CHARS))
        for match in (*_UPDATED_TO.finditer(text), *_PRODUCT_PHRASE.finditer(text)):
            words = [w for w in match.group("name").split() if w.lower() not in _NOT_PRODUCT]
            if not words or any(w.lower().strip(".,") in _OTHER_SOFTWARE for w in words):
                continue  # "Windows 11", "Firefox 126.0.1", "Node 20.11.1": not the product
            if version is None:
                version = match.group("version")
            if product is None:
                product = " ".join(words)
            break
    return product, version


def _prefix(text: str | None) -> str:
    return (text or "")[: _BODY_CHARS * 8]


def _original_case(name: str, body: str | None) -> str:
    """`name` as the body spells it ("acme notes" -> "Acme Notes"), else title-cased."""
    if body:
        at = body[: _BODY_CHARS * 8].lower().find(name.lower())
        if at >= 0:
            return body[at : at + len(name)]
    return name.title()


def _looks_like_version(value: str) -> bool:
    return len(value) <= 20 and any(ch.isdigit() for ch in value) and " " not in value and "." in value


def platforms(ticket: Ticket, *, fields: dict[str, str] | None = None) -> set[str]:
    if fields is None:
        fields = form_fields(ticket.body)
    named = [v for k, v in fields.items() if _PLATFORM_FIELD.search(k) and not _VERSION_FIELD.search(k)]
    named += [m.group("os") for m in _OS_LINE.finditer(_prefix(ticket.body))]
    text = (
        " ".join(named) if named else " ".join(clean_lines(f"{ticket.title}\n{ticket.body}", max_chars=2000))
    )
    return {name for name, pattern in _PLATFORMS if pattern.search(text[:_BODY_CHARS])}


def _affected(
    tickets: Sequence[Ticket], threads: Threads, *, team_logins: frozenset[str]
) -> tuple[str | None, str | None, int, Cited]:
    products: Counter[str] = Counter()
    versions: Counter[str] = Counter()
    holders: dict[str, list[Ticket]] = {}
    places: Counter[str] = Counter()
    for ticket in tickets:
        fields = form_fields(ticket.body)  # read once for both
        product, version = product_version(ticket, fields=fields)
        if product:
            products[product] += 1
        if version:
            versions[version] += 1
            holders.setdefault(version, []).append(ticket)
        places.update(platforms(ticket, fields=fields))
    product = max(products, key=lambda p: (products[p], -len(p))) if products else None
    version = None
    if versions:
        best = max(versions, key=lambda v: (versions[v], v))
        if versions[best] >= 2 or len(tickets) == 1 or len(versions) == 1:
            version = best

    reporters = {t.author.lower() for t in tickets if not t.author_is_bot}
    others: set[str] = set()
    for ticket in tickets:
        for comment in threads.get(ticket.key, ()):
            if comment.author_is_bot or is_team(comment, ticket, team_logins):
                continue
            if comment.author.lower() not in reporters:
                others.add(comment.author.lower())

    parts: list[str] = []
    cited: list[Ticket] = []
    if version is not None:
        name = f"{product} {version}" if product else f"version {version}"
        parts.append(f"{name} ({_share(versions[version], len(tickets))})")
        cited = holders[version]
        rest = sorted(v for v in versions if v != version)
        if rest:
            parts[-1] += f", also {', '.join(rest[:3])}"
    elif versions:
        listed = ", ".join(sorted(versions)[:4])
        parts.append(f"{product + ' ' if product else ''}versions {listed} (no version shared)")
        cited = [t for v in sorted(versions)[:4] for t in holders[v]]
    elif product:
        parts.append(f"{product} (version not given)")
    else:
        parts.append("product and version not given")
    if places:
        listed = sorted(places.items(), key=lambda item: (-item[1], item[0]))
        parts.append("on " + ", ".join(f"{name} ({count})" for name, count in listed))
    people = len(reporters) + len(others)
    who = f"reported by {count(people, 'person', 'people')}"
    if others:
        who += f" ({count(len(tickets), 'ticket')}, {len(others)} more in comments)"
    parts.append(who)
    text = "; ".join(parts) + "."
    text = text[0].upper() + text[1:]
    return product, version, people, Cited(text=text, tickets=_refs(cited or tickets))


# --- status and what to tell users ----------------------------------------------------------------------


def team_words(tickets: Sequence[Ticket], threads: Threads, *, team_logins: frozenset[str]) -> list[TeamWord]:
    """Every classified team comment on the tickets, oldest first."""
    words: list[TeamWord] = []
    for ticket in tickets:
        for comment in threads.get(ticket.key, ()):
            if not is_team(comment, ticket, team_logins):
                continue
            said = said_of(comment.body, comment.words)
            if said is not None:
                words.append(TeamWord(said=said, ticket=ticket, comment=comment))
    words.sort(key=lambda w: (w.comment.created_at, w.comment.id))
    return words


def _latest(words: Sequence[TeamWord]) -> TeamWord | None:
    """The team's word that settles the most, the latest of its kind: a fix released stays the status
    when the team later asks for logs; "answered" only when nothing else was said."""
    if not words:
        return None
    rank = {kind: position for position, kind in enumerate(KIND_ORDER)}
    best = min(rank.get(w.said.kind, len(rank)) for w in words)
    return [w for w in words if rank.get(w.said.kind, len(rank)) == best][-1]


def _since(words: Sequence[TeamWord], latest: TeamWord | None) -> TeamWord | None:
    """A later team word of another kind than the status (a question after a fix), if any."""
    if latest is None:
        return None
    later = [
        w
        for w in words
        if w.comment.created_at > latest.comment.created_at
        and w.said.kind not in (latest.said.kind, "answered")
    ]
    return later[-1] if later else None


def fix_failure(
    tickets: Sequence[Ticket],
    threads: Threads,
    words: Sequence[TeamWord],
    *,
    team_logins: frozenset[str],
    naming: Naming,
) -> Cited | None:
    """A reporter's word, after the team's first fix (released or coming), that it still fails."""
    fixes = [w for w in words if w.said.kind in ("fix_released", "fix_coming")]
    if not fixes:
        return None
    released = [w for w in fixes if w.said.kind == "fix_released"]
    versions = {w.said.version for w in fixes if w.said.version}
    since = (released or fixes)[0].comment.created_at

    def fails(sentence: str | None) -> str | None:
        if sentence is None:
            return None
        # Before a release, only a word about the announced version itself says the fix fails.
        if released or any(version in sentence for version in versions):
            return sentence
        return None

    found: list[tuple[datetime, str, str, Ticket]] = []
    for ticket in tickets:
        if ticket.created_at > since:
            sentence = fails(still_fails(ticket.body))
            if sentence:
                found.append((ticket.created_at, sentence, ticket.author, ticket))
        for comment in threads.get(ticket.key, ()):
            if comment.created_at <= since or comment.author_is_bot:
                continue
            if is_team(comment, ticket, team_logins):
                continue
            sentence = fails(fails_of(comment.body, comment.words))
            if sentence:
                found.append((comment.created_at, sentence, comment.author, ticket))
    if not found:
        return None
    found.sort(key=lambda item: item[0])
    when, sentence, author, ticket = found[-1]
    more = len({item[3].key for item in found}) - 1
    text = (
        f"{author} says {quote(excerpt(sentence, limit=_TEAM_CHARS))} "
        f"({naming.ticket(ticket)}, {naming.date(when)})"
    )
    if more > 0:
        text += f", and {count(more, 'other ticket')} {'says' if more == 1 else 'say'} so too"
    cited = [ticket, *(item[3] for item in found if item[3].key != ticket.key)]
    return Cited(text=text + ".", tickets=_refs(_unique(cited)))


def _status(
    latest: TeamWord | None, fails: Cited | None, *, naming: Naming, since: TeamWord | None = None
) -> Cited:
    if latest is None:
        return Cited(text="No team reply yet.")
    said = latest.said
    version = said.version
    lead = {
        "fix_released": f"Fix released in {version}" if version else "A fix was released",
        "fix_coming": f"A fix is coming in {version}" if version else "A fix is coming in a later release",
        "workaround": "The team gave a workaround",
        "needs_info": "The team asked for more information",
        "investigating": "The team is investigating",
        "answered": "The team replied",
    }[said.kind]
    text = f"{lead} ({naming.by(latest)})"
    tickets: list[TicketRef] = [ref(latest.ticket)]
    if fails is not None and said.kind in ("fix_released", "fix_coming"):
        where = ", ".join(naming.ticket(t) for t in fails.tickets[:3])
        text += f", but a reporter says it still fails ({where})"
        tickets.extend(fails.tickets)
    if since is not None:
        text += f"; since then {_LATER[since.said.kind]} ({naming.by(since)})"
        tickets.append(ref(since.ticket))
    return Cited(text=text + ".", tickets=tuple(dict.fromkeys(tickets)))


_LATER = {
    "fix_released": "a fix was released",
    "fix_coming": "a fix is coming",
    "workaround": "the team gave a workaround",
    "needs_info": "the team asked for more information",
    "investigating": "the team is investigating",
}


def _tell_users(
    words: Sequence[TeamWord], latest: TeamWord | None, fails: Cited | None, *, naming: Naming
) -> Cited:
    released = [w for w in words if w.said.kind == "fix_released"]
    coming = [w for w in words if w.said.kind == "fix_coming"]
    workarounds = [w for w in words if w.said.kind == "workaround" or w.said.workaround]
    if released and fails is None and (latest is None or latest.said.kind != "workaround"):
        word = released[-1]
        return _quoted(word, naming=naming)
    if workarounds:
        word = workarounds[-1]
        cited = _quoted_workaround(word, naming=naming)
        if released and fails is not None:
            return Cited(
                text=f"{cited.text} The fix in {released[-1].said.version or 'the release'} "
                "does not work for everyone yet.",
                tickets=cited.tickets,
            )
        return cited
    if released:
        word = released[-1]
        cited = _quoted(word, naming=naming)
        return Cited(
            text=f"{cited.text} Some still see the problem after updating; no workaround yet.",
            tickets=cited.tickets,
        )
    if coming:
        word = coming[-1]
        version = word.said.version
        target = f"in {version}" if version else "in a coming release"
        return Cited(
            text=f"A fix is coming {target} ({naming.by(word)}); no workaround yet.",
            tickets=(ref(word.ticket),),
        )
    return Cited(text="Nothing yet: the team has not given a workaround or a fix.")


def _quoted_workaround(word: TeamWord, *, naming: Naming) -> Cited:
    sentence = excerpt(word.said.workaround or word.said.sentence, limit=_TEAM_CHARS)
    return Cited(text=f"{quote(sentence)} ({naming.by(word)}).", tickets=(ref(word.ticket),))


def _quoted(word: TeamWord, *, naming: Naming) -> Cited:
    sentence = excerpt(word.said.sentence, limit=_TEAM_CHARS)
    return Cited(text=f"{quote(sentence)} ({naming.by(word)}).", tickets=(ref(word.ticket),))


# --- words ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Naming:
    several_repos: bool
    tz: tzinfo | None

    def ticket(self, ticket: Ticket | TicketRef) -> str:
        return ticket_name(ticket, several_repos=self.several_repos)

    def date(self, moment: datetime) -> str:
        local = moment.astimezone(self.tz) if self.tz is not None else moment
        return f"{local.day} {local:%b %Y}"

    def by(self, word: TeamWord) -> str:
        return f"{word.comment.author} on {self.ticket(word.ticket)}, {self.date(word.comment.created_at)}"


def _share(count: int, total: int) -> str:
    if total == 1:
        return "the ticket"
    if count == total:
        return "both tickets" if total == 2 else f"all {total} tickets"
    return f"{count} of {total} tickets"


def _refs(tickets: Sequence[Ticket]) -> tuple[TicketRef, ...]:
    return tuple(ref(t) for t in _unique(sorted(tickets, key=lambda t: t.key)))


def _unique(tickets: Sequence[Ticket]) -> list[Ticket]:
    return list({t.key: t for t in tickets}.values())


def _first_number(tickets: Sequence[Ticket]) -> int:
    return min(t.number for t in tickets)


__all__ = ["KIND_ORDER", "TeamWord", "fix_failure", "product_version", "summarize", "team_words"]
