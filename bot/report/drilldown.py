"""One ticket's whole story for the threaded drill-down: what a support lead wants to see at a glance.

Two halves, both pure (no network, no clock: `now` is passed in):

- `ReportContext` is what the bot remembers about a report it posted (its period, repositories, common
  issue groups and every ticket with its score), so that a drill-down in the report's thread can show
  the very score and breakdown the report showed, the ticket's group, and the most similar tickets of
  that report. It is stored as JSON (`to_dict` / `from_dict`); `context_from_report` makes one.
- `build_ticket_detail` turns one ticket and its comments (as fetched for the drill-down) into a
  `TicketDetail`: state, people, dates, first team response, score with breakdown, a description
  excerpt without issue-form boilerplate or pasted logs, the last comments and the related tickets.

Related tickets come from four places: the same common-issue group of the report; "duplicate of #N"
in the ticket's body or comments (it names N); "duplicated by #M" there, or another ticket of the
report whose body calls this one its original (they name it); and the report's tickets whose titles
are most alike by TF-IDF (scikit-learn), top three above a threshold.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.metrics.pairwise import linear_kernel

from bot.report.activity import first_team_response, is_team
from bot.report.models import Comment, IssueGroup, Period, Report, ScoreItem, Ticket
from bot.report.options import ReportOptions
from bot.report.relations import ticket_links
from bot.report.scoring import score_ticket
from bot.report.text import clean_text, duplicate_refs, excerpt, find_versions

CONTEXT_VERSION = 1
MAX_CONTEXT_TICKETS = 500  # the best-scored tickets kept per report (group members always kept)
MAX_CONTEXT_TITLE = 300  # characters of each stored title
MAX_CONTEXT_BREAKDOWN = 12  # score lines stored per ticket
MAX_CONTEXT_WORKAROUND = 1000  # characters of each group's stored workaround

DESCRIPTION_CHARS = 600
COMMENT_CHARS = 280
RECENT_COMMENTS = 3
MAX_VERSIONS = 5
MAX_GROUP_RELATED = 5
MAX_DUPLICATES = 5
SIMILAR_COUNT = 3
# Cosine similarity of title TF-IDF vectors above which two titles count as alike. Titles are short:
# "Database corruption on start" and "Pieces OS database corruption after update" share two words
# and their pair, about 0.24 against a small report; a single shared common word stays under 0.2.
SIMILARITY_THRESHOLD = 0.2
_SCAN_COMMENTS = 200  # comments searched for "duplicate of #N" (newest first)

Role = Literal["team", "reporter", "community", "bot"]
ResponseKind = Literal["answered", "waiting", "closed_unanswered", "unknown"]
Relation = Literal["same_group", "duplicate_of", "duplicated_by", "team_link", "similar"]

_TITLE_NOISE = re.compile(
    r"^\s*(?:\[[^\]\n]{0,40}\]\s*:?\s*|(?:bug|feature(?: request)?|question)\s*:\s*)+", re.I
)
_TITLE_TOKEN = re.compile(r"(?u)\b\w[\w.]*\w\b")
_SUFFIXES = ("ations", "ation", "ions", "ion", "ings", "ing", "ed", "es", "ly", "s", "e")
_MIN_STEM = 4
# Words nearly every ticket title uses; they say nothing about which problem it is.
_TITLE_FILLER = "bug issue issues problem problems error help please question feature request not doesn don"
_TITLE_STOP_WORDS = ENGLISH_STOP_WORDS | frozenset(_TITLE_FILLER.split())


# --- what is remembered about a posted report ---------------------------------------------------------


@dataclass(frozen=True)
class ContextTicket:
    """A ticket as the report showed it: its score, the breakdown behind it, and its place."""

    repo: str
    number: int
    title: str
    score: float
    breakdown: tuple[ScoreItem, ...] = ()
    url: str = ""
    duplicate_of: tuple[int, ...] = ()  # numbers its body calls it a duplicate of (same repository)

    @property
    def key(self) -> tuple[str, int]:
        return (self.repo, self.number)


@dataclass(frozen=True)
class ReportContext:
    """What the bot keeps about one posted report (JSON-serialisable: `to_dict` / `from_dict`).

    `tickets` are best first (the report's ranking), at most MAX_CONTEXT_TICKETS of `ticket_count`;
    `groups` are the report's common issues as (repo, number) keys, with their titles.
    """

    period_start: datetime
    period_end: datetime
    period_label: str
    repos: tuple[str, ...]
    groups: tuple[tuple[tuple[str, int], ...], ...] = ()
    group_titles: tuple[str, ...] = ()
    # Per group, the team's known workaround (the summary's "Tell users" when it is one), else "".
    group_workarounds: tuple[str, ...] = ()
    tickets: tuple[ContextTicket, ...] = ()
    ticket_count: int = 0  # tickets in the report, including those not kept
    period_spec: str = ""
    timezone: str = ""  # IANA name of the period's zone, when it had one

    @property
    def period(self) -> Period:
        start, end = self.period_start, self.period_end
        zone = _zone(self.timezone)
        if zone is not None:
            start, end = start.astimezone(zone), end.astimezone(zone)
        return Period(start=start, end=end, label=self.period_label, spec=self.period_spec)

    def find(self, repo: str, number: int) -> tuple[int, ContextTicket] | None:
        """The ticket's 0-based rank and stored entry, or None (repositories compared case-insensitively)."""
        wanted = (repo.lower(), number)
        for rank, item in enumerate(self.tickets):
            if (item.repo.lower(), item.number) == wanted:
                return rank, item
        return None

    def group_of(self, repo: str, number: int) -> int | None:
        wanted = (repo.lower(), number)
        for index, members in enumerate(self.groups):
            if any((r.lower(), n) == wanted for r, n in members):
                return index
        return None

    def workaround_for(self, repo: str, number: int) -> str:
        """The known workaround of the group the ticket is in, or ""."""
        group = self.group_of(repo, number)
        if group is None or group >= len(self.group_workarounds):
            return ""
        return self.group_workarounds[group]

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": CONTEXT_VERSION,
            "period": {
                "start": self.period_start.isoformat(),
                "end": self.period_end.isoformat(),
                "label": self.period_label,
                "spec": self.period_spec,
                "timezone": self.timezone,
            },
            "repos": list(self.repos),
            "groups": [
                {
                    "title": title,
                    "tickets": [[repo, number] for repo, number in members],
                    **({"workaround": workaround} if workaround else {}),
                }
                for members, title, workaround in zip(
                    self.groups, self._titles(), self._workarounds(), strict=True
                )
            ],
            "ticket_count": self.ticket_count,
            "tickets": [
                {
                    "repo": t.repo,
                    "number": t.number,
                    "title": t.title,
                    "url": t.url,
                    "score": t.score,
                    "breakdown": [[i.reason, i.count, i.points] for i in t.breakdown],
                    "duplicate_of": list(t.duplicate_of),
                }
                for t in self.tickets
            ],
        }

    def _workarounds(self) -> tuple[str, ...]:
        kept = self.group_workarounds[: len(self.groups)]
        return kept + ("",) * (len(self.groups) - len(kept))

    def _titles(self) -> tuple[str, ...]:
        titles = self.group_titles[: len(self.groups)]
        return titles + ("",) * (len(self.groups) - len(titles))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReportContext:
        """The context back from `to_dict`'s JSON; ValueError if it is not one."""
        try:
            period = data["period"]
            start = _aware(period["start"])
            end = _aware(period["end"])
            groups = [
                (str(g.get("title") or ""), tuple((str(r), int(n)) for r, n in g["tickets"]))
                for g in data.get("groups") or []
            ]
            workarounds = tuple(
                str(g.get("workaround") or "")[:MAX_CONTEXT_WORKAROUND] for g in data.get("groups") or []
            )
            tickets = tuple(
                ContextTicket(
                    repo=str(t["repo"]),
                    number=int(t["number"]),
                    title=str(t.get("title") or ""),
                    url=str(t.get("url") or ""),
                    score=float(t["score"]),
                    breakdown=tuple(
                        ScoreItem(reason=str(reason), count=float(count), points=float(points))
                        for reason, count, points in t.get("breakdown") or []
                    ),
                    duplicate_of=tuple(int(n) for n in t.get("duplicate_of") or []),
                )
                for t in data.get("tickets") or []
            )
            return cls(
                period_start=start,
                period_end=end,
                period_label=str(period.get("label") or ""),
                period_spec=str(period.get("spec") or ""),
                timezone=str(period.get("timezone") or ""),
                repos=tuple(str(r) for r in data.get("repos") or []),
                groups=tuple(members for _, members in groups),
                group_titles=tuple(title for title, _ in groups),
                group_workarounds=workarounds if any(workarounds) else (),
                tickets=tickets,
                ticket_count=int(data.get("ticket_count") or len(tickets)),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"not a stored report context: {type(exc).__name__}: {exc}") from None


def context_from_report(report: Report, *, limit: int = MAX_CONTEXT_TICKETS) -> ReportContext:
    """What to remember of `report` once posted: groups, and its best `limit` tickets with their scores.

    Members of a common-issue group and the most active tickets are always kept, whatever `limit`.
    """
    scored = report.tickets or report.most_active
    keep = {(t.repo, t.number) for g in report.common_issues for t in g.tickets}
    keep |= {s.ticket.key for s in report.most_active}
    room = max(limit - len(keep), 0)
    kept = []
    for item in scored:
        if item.ticket.key in keep:
            kept.append(item)
        elif room > 0:
            kept.append(item)
            room -= 1
    tickets = tuple(
        ContextTicket(
            repo=s.ticket.repo,
            number=s.ticket.number,
            title=(s.ticket.title or "")[:MAX_CONTEXT_TITLE],
            url=s.ticket.url,
            score=s.score,
            breakdown=s.breakdown[:MAX_CONTEXT_BREAKDOWN],
            duplicate_of=tuple(duplicate_refs(s.ticket.body, repo=s.ticket.repo)[:MAX_DUPLICATES]),
        )
        for s in kept
    )
    period = report.period
    return ReportContext(
        period_start=period.start,
        period_end=period.end,
        period_label=period.label,
        period_spec=period.spec,
        timezone=getattr(period.start.tzinfo, "key", "") or "",
        repos=report.repos,
        groups=tuple(tuple((t.repo, t.number) for t in g.tickets) for g in report.common_issues),
        group_titles=tuple((g.title or "")[:MAX_CONTEXT_TITLE] for g in report.common_issues),
        group_workarounds=_workarounds(report.common_issues),
        tickets=tickets,
        ticket_count=len(scored),
    )


def _workarounds(groups: Sequence[IssueGroup]) -> tuple[str, ...]:
    """Each group's known workaround ("" for none), or () when no group has one."""
    found = tuple(_workaround(group) for group in groups)
    return found if any(found) else ()


def _workaround(group: IssueGroup) -> str:
    parts = group.parts
    if parts is None or not parts.has_workaround or parts.status_kind == "fix_released":
        return ""
    return (parts.tell_users.text or "")[:MAX_CONTEXT_WORKAROUND]


# --- one ticket's detail --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FirstResponse:
    """The first team response, or how long the ticket has waited for one.

    answered: `after` is the time from opening to the response by `by`. waiting: the ticket is open
    and `after` is how long it has waited so far. closed_unanswered: closed with no team comment.
    unknown: not every comment could be read and none of those read is from the team.
    `at_most`: some comments were not read, so an earlier response may exist (answered only).
    """

    kind: ResponseKind
    after: timedelta | None = None
    by: str | None = None
    at_most: bool = False


@dataclass(frozen=True)
class CommentSummary:
    author: str
    role: Role
    created_at: datetime
    text: str  # plain text excerpt (unescaped), "" when the comment is only code, logs or images
    url: str = ""


@dataclass(frozen=True)
class RelatedTicket:
    repo: str
    number: int
    relation: Relation
    title: str = ""  # "" when unknown (a duplicate named in text that the report did not hold)
    url: str = ""
    similarity: float | None = None  # for "similar"


@dataclass(frozen=True)
class TicketDetail:
    """Everything the drill-down shows about one ticket. Text fields are plain and unescaped."""

    repo: str
    number: int
    title: str
    url: str
    state: str
    state_reason: str | None
    labels: tuple[str, ...]
    author: str
    author_association: str
    author_is_bot: bool
    created_at: datetime
    closed_at: datetime | None
    updated_at: datetime
    generated_at: datetime
    age: timedelta  # from opening to now
    open_for: timedelta  # from opening to closing, or to now while open
    comments_count: int  # GitHub's count
    comments_read: int  # comments the drill-down could read (at most the count; fewer past 100)
    participants: int  # distinct people (not bots): the author and everyone who commented
    participants_complete: bool  # False: only some comments were read, so there may be more
    reactions: int
    first_response: FirstResponse
    score: float
    breakdown: tuple[ScoreItem, ...]
    score_period_label: str
    score_from_report: bool  # True: the score the report showed; False: computed now for the period
    rank: int | None  # 1-based place among the report's tickets, when the report held it
    ranked_among: int  # tickets in that report
    description: str
    versions: tuple[str, ...]
    recent_comments: tuple[CommentSummary, ...]  # oldest first
    related: tuple[RelatedTicket, ...]
    group_title: str = ""  # the report's common issue this ticket belongs to
    context_repos: tuple[str, ...] = field(default=())

    @property
    def key(self) -> tuple[str, int]:
        return (self.repo, self.number)


def build_ticket_detail(
    ticket: Ticket,
    comments: Sequence[Comment],
    *,
    now: datetime,
    period: Period,
    options: ReportOptions,
    context: ReportContext | None,
) -> TicketDetail:
    """The drill-down of `ticket` from its comments (those fetched; any order), as of `now`.

    With a `context` holding the ticket, its score and breakdown are the report's; otherwise they are
    computed over `period` from these comments. Datetimes are shown in the period's timezone.
    """
    zone = period.start.tzinfo
    own = sorted(
        (c for c in comments if c.repo.lower() == ticket.repo.lower() and c.issue_number == ticket.number),
        key=lambda c: (c.created_at, c.id),
    )
    complete = len(own) >= ticket.comments_count
    people = {c.author.lower() for c in own if not c.author_is_bot and c.author}
    if not ticket.author_is_bot and ticket.author:
        people.add(ticket.author.lower())

    found = context.find(ticket.repo, ticket.number) if context is not None else None
    if found is not None:
        rank, stored = found
        score, breakdown, from_report = stored.score, stored.breakdown, True
    else:
        scored = score_ticket(
            ticket, own, period=period, weights=options.weights, team_logins=options.team_logins
        )
        rank, score, breakdown, from_report = None, scored.score, scored.breakdown, False
    group_title = ""
    if context is not None:
        group = context.group_of(ticket.repo, ticket.number)
        if group is not None and group < len(context.group_titles):
            group_title = context.group_titles[group]

    end = ticket.closed_at if ticket.state == "closed" and ticket.closed_at is not None else now
    return TicketDetail(
        repo=ticket.repo,
        number=ticket.number,
        title=ticket.title or "",
        url=ticket.url,
        state=ticket.state,
        state_reason=ticket.state_reason,
        labels=tuple(ticket.labels),
        author=ticket.author,
        author_association=ticket.author_association,
        author_is_bot=ticket.author_is_bot,
        created_at=_local(ticket.created_at, zone),
        closed_at=_local(ticket.closed_at, zone) if ticket.closed_at is not None else None,
        updated_at=_local(ticket.updated_at, zone),
        generated_at=_local(now, zone),
        age=_nonnegative(now - ticket.created_at),
        open_for=_nonnegative(end - ticket.created_at),
        comments_count=max(ticket.comments_count, len(own)),
        comments_read=len(own),
        participants=len(people),
        participants_complete=complete,
        reactions=ticket.reactions + sum(c.reactions for c in own),
        first_response=_first_response(ticket, own, now=now, complete=complete, options=options),
        score=score,
        breakdown=tuple(breakdown),
        score_period_label=context.period_label if from_report and context is not None else period.label,
        score_from_report=from_report,
        rank=None if rank is None else rank + 1,
        ranked_among=context.ticket_count if context is not None and from_report else 0,
        description=clean_text(ticket.body, max_chars=DESCRIPTION_CHARS),
        versions=_versions(ticket),
        recent_comments=tuple(
            _summary(c, ticket, zone=zone, options=options) for c in own[-RECENT_COMMENTS:]
        ),
        related=related_tickets(ticket, own, context=context, team_logins=options.team_logins),
        group_title=group_title,
        context_repos=context.repos if context is not None else (),
    )


def _versions(ticket: Ticket) -> tuple[str, ...]:
    found = dict.fromkeys(find_versions(ticket.title) + find_versions(ticket.body))
    return tuple(found)[:MAX_VERSIONS]


def _first_response(
    ticket: Ticket, comments: Sequence[Comment], *, now: datetime, complete: bool, options: ReportOptions
) -> FirstResponse:
    first = first_team_response(ticket, comments, options.team_logins)
    if first is not None:
        return FirstResponse(
            kind="answered",
            after=_nonnegative(first.created_at - ticket.created_at),
            by=first.author,
            at_most=not complete,
        )
    if not complete:
        return FirstResponse(kind="unknown")
    if ticket.state == "closed":
        return FirstResponse(kind="closed_unanswered")
    return FirstResponse(kind="waiting", after=_nonnegative(now - ticket.created_at))


def _summary(
    comment: Comment, ticket: Ticket, *, zone: tzinfo | None, options: ReportOptions
) -> CommentSummary:
    if comment.author_is_bot:
        role: Role = "bot"
    elif is_team(comment, ticket, options.team_logins):
        role = "team"
    elif comment.author.lower() == ticket.author.lower():
        role = "reporter"
    else:
        role = "community"
    return CommentSummary(
        author=comment.author,
        role=role,
        created_at=_local(comment.created_at, zone),
        text=excerpt(clean_text(comment.body, max_chars=COMMENT_CHARS * 2), limit=COMMENT_CHARS),
        url=f"{ticket.url}#issuecomment-{comment.id}" if ticket.url else "",
    )


# --- related tickets ------------------------------------------------------------------------------------


def related_tickets(
    ticket: Ticket,
    comments: Sequence[Comment],
    *,
    context: ReportContext | None,
    team_logins: frozenset[str] = frozenset(),
) -> tuple[RelatedTicket, ...]:
    """Duplicates named either way, the same group, tickets the team pointed at ("same as #N",
    "similar issue to <URL>"), then the most similar titles; each ticket once."""
    seen = {(ticket.repo.lower(), ticket.number)}
    related: list[RelatedTicket] = []

    def add(repo: str, number: int, relation: Relation, *, similarity: float | None = None) -> None:
        key = (repo.lower(), number)
        if key in seen:
            return
        seen.add(key)
        stored = context.find(repo, number) if context is not None else None
        title = stored[1].title if stored is not None else ""
        url = (stored[1].url if stored is not None else "") or _sibling_url(ticket, repo, number)
        related.append(
            RelatedTicket(
                repo=repo, number=number, relation=relation, title=title, url=url, similarity=similarity
            )
        )

    links = ticket_links(ticket, list(comments)[-_SCAN_COMMENTS:], team_logins=team_logins)
    named = [link.target for link in links if link.kind == "duplicate" and not link.reverse]
    naming = [link.target for link in links if link.kind == "duplicate" and link.reverse]
    if context is not None:
        naming += [
            t.number
            for t in context.tickets
            if t.repo.lower() == ticket.repo.lower() and ticket.number in t.duplicate_of
        ]
    for number in named[:MAX_DUPLICATES]:
        add(ticket.repo, number, "duplicate_of")
    for number in list(dict.fromkeys(naming))[:MAX_DUPLICATES]:
        add(ticket.repo, number, "duplicated_by")
    if context is not None:
        group = context.group_of(ticket.repo, ticket.number)
        if group is not None:
            for repo, number in context.groups[group][: MAX_GROUP_RELATED + 1]:
                add(repo, number, "same_group")
    linked = [link.target for link in links if link.kind == "team_link"]
    for number in linked[:MAX_DUPLICATES]:
        add(ticket.repo, number, "team_link")
    if context is not None:
        for stored, similarity in similar_titles(ticket, context, exclude=seen):
            add(stored.repo, stored.number, "similar", similarity=round(similarity, 3))
    return tuple(related)


def similar_titles(
    ticket: Ticket,
    context: ReportContext,
    *,
    exclude: Iterable[tuple[str, int]] = (),
    count: int = SIMILAR_COUNT,
    threshold: float = SIMILARITY_THRESHOLD,
) -> list[tuple[ContextTicket, float]]:
    """The `count` tickets of the report whose titles are most like this one's (cosine > `threshold`).

    TF-IDF over the titles of the report's tickets and this ticket's (words and word pairs, English
    stop words and support filler removed); ties go to the better-ranked ticket.
    """
    skip = {(repo.lower(), number) for repo, number in exclude} | {(ticket.repo.lower(), ticket.number)}
    candidates = [t for t in context.tickets if (t.repo.lower(), t.number) not in skip]
    if not candidates:
        return []
    documents = [_title_text(ticket.title)] + [_title_text(t.title) for t in candidates]
    if not documents[0].strip():
        return []
    vectorizer = TfidfVectorizer(analyzer=_title_terms, sublinear_tf=True, dtype=np.float64)
    try:
        matrix = vectorizer.fit_transform(documents)
    except ValueError:  # no term left at all (titles of stop words or punctuation only)
        return []
    similarities = linear_kernel(matrix[0], matrix[1:]).ravel()
    order = sorted(range(len(candidates)), key=lambda i: (-similarities[i], i))
    return [
        (candidates[i], float(similarities[i]))
        for i in order[:count]
        if math.isfinite(similarities[i]) and similarities[i] > threshold
    ]


def _title_text(title: str | None) -> str:
    return _TITLE_NOISE.sub("", (title or "")[:MAX_CONTEXT_TITLE]).lower()


def _title_terms(text: str) -> list[str]:
    """Stemmed words of a title without stop words, and each pair of neighbouring words."""
    words = [_stem(word) for word in _TITLE_TOKEN.findall(text) if word not in _TITLE_STOP_WORDS]
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]


def _stem(word: str) -> str:
    """A crude English stem, so "corrupted", "corruption" and "corrupts" count as one term."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM:
            return word[: -len(suffix)]
    return word


# --- helpers --------------------------------------------------------------------------------------------


def _sibling_url(ticket: Ticket, repo: str, number: int) -> str:
    """The URL of another issue on the same GitHub as `ticket` (its URL with the path swapped), or ""."""
    suffix = f"/{ticket.repo}/issues/{ticket.number}"
    if not ticket.url or not ticket.url.lower().endswith(suffix.lower()):
        return ""
    return f"{ticket.url[: -len(suffix)]}/{repo}/issues/{number}"


def _local(moment: datetime, zone: tzinfo | None) -> datetime:
    return moment.astimezone(zone) if zone is not None else moment


def _nonnegative(delta: timedelta) -> timedelta:
    return max(delta, timedelta(0))


def _aware(text: Any) -> datetime:
    moment = datetime.fromisoformat(str(text))
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{text!r} has no timezone")
    return moment


def _zone(name: str) -> tzinfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
