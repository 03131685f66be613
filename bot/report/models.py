"""Plain data the report core works on: tickets in, a report out.

Frozen dataclasses only; no PyGithub objects, no Slack payloads. Every datetime is timezone-aware.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from bot.report.history import RepoHistory

TEAM_ASSOCIATIONS = frozenset({"OWNER", "MEMBER", "COLLABORATOR"})


@dataclass(frozen=True, slots=True)
class Comment:
    """One comment on an issue, as listed by the repository-wide comments endpoint."""

    id: int
    repo: str  # "owner/name"
    issue_number: int
    author: str
    author_association: str  # GitHub's value: OWNER, MEMBER, COLLABORATOR, CONTRIBUTOR, NONE, ...
    author_is_bot: bool
    body: str
    created_at: datetime
    reactions: int = 0
    # derived.clean_comment(body), when a store computed it beforehand; None: computed when needed.
    clean_body: tuple[str, ...] | None = field(default=None, compare=False, repr=False)
    # derived.encode_words(derived.comment_words(body)), when a store computed it beforehand.
    words: str | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Ticket:
    """One GitHub issue (never a pull request)."""

    repo: str
    number: int
    title: str
    body: str
    url: str
    author: str
    author_association: str
    author_is_bot: bool
    state: str  # "open" | "closed"
    state_reason: str | None  # "completed" | "not_planned" | "duplicate" | "reopened" | None
    labels: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    comments_count: int  # GitHub's count of all comments, not only those fetched
    reactions: int = 0
    pinned: bool = False  # pinned to the repository's issue list (an announcement, not a ticket)
    # derived.clean_title(title) and derived.clean_body(body), when a store computed them beforehand.
    clean_title: str | None = field(default=None, compare=False, repr=False)
    clean_body: tuple[str, ...] | None = field(default=None, compare=False, repr=False)
    # (repo, number): set once here, not built on every use (a big report asks a million times).
    key: tuple[str, int] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", (self.repo, self.number))


@dataclass(frozen=True)
class TicketData:
    """What a source hands the core: tickets and the comments fetched for the window."""

    tickets: tuple[Ticket, ...]
    comments: tuple[Comment, ...]
    # Comments were fetched from this instant on; earlier comments are unknown to the core.
    comments_since: datetime | None = None
    # When the data was read from GitHub (a mirror's last sync or webhook); None: just now, live.
    as_of: datetime | None = None


@dataclass(frozen=True)
class Period:
    """A half-open interval [start, end) of aware datetimes, with the words a report uses for it."""

    start: datetime
    end: datetime
    label: str  # e.g. "2025-04-14 to 2025-04-14" or "Mon 14 Apr – Sun 20 Apr 2025"
    spec: str = ""  # what the user typed, normalised ("today", "2025-04-01..2025-04-14")

    @property
    def length(self) -> timedelta:
        # Elapsed time, through UTC: aware datetimes sharing a zone subtract as wall-clock time,
        # which would make a 23-hour daylight-saving day 24 hours long.
        return self.end.astimezone(UTC) - self.start.astimezone(UTC)

    def contains(self, moment: datetime | None) -> bool:
        return moment is not None and self.start <= moment < self.end

    def previous(self) -> Period:
        """The period of equal length just before this one, for the report's 'change' figures.

        A period that starts at local midnight is shifted back by its number of calendar days in
        local wall-clock time, so "today until 21:00" compares with "yesterday until 21:00" and a
        week with the week before, across daylight-saving changes. Other periods shift by their
        elapsed length.
        """
        if self.start.time() == time(0):
            days = (self.end.date() - self.start.date()).days + (self.end.time() != time(0))
            shift = timedelta(days=max(days, 1))
            start, end = _wall(self.start - shift), _wall(self.end - shift)
            end = min(end, self.start)
        else:
            start = (self.start.astimezone(UTC) - self.length).astimezone(self.start.tzinfo)
            end = self.start
        return Period(
            start=start, end=end, label=f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M}", spec="previous"
        )


def _wall(moment: datetime) -> datetime:
    """Normalise wall-clock arithmetic on an aware datetime (a time skipped by DST moves forward)."""
    return moment.astimezone(UTC).astimezone(moment.tzinfo)


@dataclass(frozen=True)
class TicketRef:
    repo: str
    number: int
    title: str
    url: str


@dataclass(frozen=True)
class ScoreItem:
    """One line of a score breakdown: e.g. ('comments from the community', 3, 6.0)."""

    reason: str
    count: float
    points: float


@dataclass(frozen=True)
class ScoredTicket:
    ticket: Ticket
    score: float
    breakdown: tuple[ScoreItem, ...]


@dataclass(frozen=True)
class Totals:
    total: int = 0  # tickets active in the period
    resolved: int = 0  # closed as completed by the period's end
    not_planned: int = 0  # closed as not planned or duplicate by the period's end
    open: int = 0  # still open at the period's end
    new: int = 0  # created in the period


@dataclass(frozen=True)
class LabelStat:
    label: str
    received: int  # active tickets carrying the label
    resolved: int  # of those, closed by the period's end
    pending: int  # of those, still open at the period's end
    previous_received: int = 0


@dataclass(frozen=True)
class DurationStats:
    """Median and 90th percentile of a set of durations, over `count` tickets."""

    count: int
    median: timedelta | None
    p90: timedelta | None


@dataclass(frozen=True)
class ResponseTimes:
    first_response: DurationStats  # tickets created in the period: time to first team response
    close: DurationStats  # tickets closed in the period: time from creation to close
    awaiting_response: tuple[TicketRef, ...] = ()  # open, no team response known


@dataclass(frozen=True)
class Cited:
    """One statement of the report and the tickets it rests on."""

    text: str
    tickets: tuple[TicketRef, ...] = ()


# What the team's latest word on a problem says, most settled first.
STATUS_KINDS = (
    "fix_released",  # a release with the fix is out ("fixed in 11.3.1")
    "fix_coming",  # a fix is announced for a coming release
    "workaround",  # the team gave a workaround
    "needs_info",  # the team asked the reporter for something
    "investigating",  # the team is looking into it
    "answered",  # the team replied, none of the above
    "no_reply",  # no team reply yet
)


@dataclass(frozen=True)
class GroupSummary:
    """A common issue's summary in four parts, each citing its tickets.

    problem: the symptom (an error line or the clearest sentence a reporter wrote);
    affected: product, version, platforms and how many people reported it;
    status: the team's latest word, classified (`status_kind`), plus a later report that the fix fails;
    tell_users: the workaround or fix in the team's own words, with ticket, author and date.
    """

    problem: Cited
    affected: Cited
    status: Cited
    tell_users: Cited
    status_kind: str = "no_reply"  # one of STATUS_KINDS
    fix_fails: Cited | None = None  # a reporter says the fix does not work
    has_workaround: bool = False  # the team gave a workaround (whatever the status)
    fix_version: str | None = None  # the release with the fix (released or coming), when named
    people: int = 0  # people who reported it: ticket authors and others in the comments
    product: str | None = None  # "Acme Notes Desktop"
    version: str | None = None  # the product version the reports share
    error: str | None = None  # the error line, when the problem is one

    def text(self) -> str:
        """The four parts as one paragraph (plain text, for fallbacks and the JSON `summary`)."""
        parts = [
            f"Problem: {self.problem.text}",
            f"Affected: {self.affected.text}",
            f"Status: {self.status.text}",
            f"Tell users: {self.tell_users.text}",
        ]
        if self.fix_fails is not None:
            parts.insert(3, f"Fix reported failing: {self.fix_fails.text}")
        return " ".join(parts)


@dataclass(frozen=True)
class IssueGroup:
    title: str
    summary: str
    tickets: tuple[TicketRef, ...]
    parts: GroupSummary | None = None
    written_by: str = "offline"  # "offline" or "model": who wrote `summary`


@dataclass(frozen=True)
class Recommendation:
    title: str
    text: str
    tickets: tuple[TicketRef, ...]
    kind: str = ""  # which rule made it: "duplicates", "triage", "waiting", "fix_fails", ...
    impact: float = 0.0  # recommendations are ordered by this, largest first
    # What can be done about it from Slack, one per ticket it names (in the tickets' order).
    actions: tuple[SuggestedAction, ...] = ()


# What a recommendation suggests doing to one of its tickets.
SUGGEST_CLOSE_DUPLICATE = "close_duplicate"  # close as a duplicate of `duplicate_of`
SUGGEST_LABEL = "label"  # label it (the label picker)
SUGGEST_REPLY = "reply"  # answer it (the reply modal)


@dataclass(frozen=True)
class SuggestedAction:
    kind: str  # SUGGEST_CLOSE_DUPLICATE, SUGGEST_LABEL or SUGGEST_REPLY
    repo: str
    number: int
    duplicate_of: int | None = None  # for SUGGEST_CLOSE_DUPLICATE: the original, same repository


@dataclass(frozen=True)
class Exclusion:
    """Tickets active in the period that the report leaves out, and why."""

    reason: str  # "pinned", "label announcement", "excluded in config"
    tickets: tuple[TicketRef, ...]


# Which tickets a Trend's backlog counts (bot.report.trend): every open issue, or those the data holds.
SCOPE_REPOSITORY = "repository"
SCOPE_ACTIVE = "active"


@dataclass(frozen=True)
class DayCounts:
    """One local day's figures (definitions in bot.report.trend)."""

    day: date
    opened: int
    resolved: int
    backlog: int  # open at the day's end (at the period's end for a last, partial day)


@dataclass(frozen=True)
class Trend:
    """The period's days and the previous period's, each oldest first, with the backlog at each start."""

    days: tuple[DayCounts, ...]
    previous_days: tuple[DayCounts, ...]
    backlog_start: int  # open at the period's start
    previous_backlog_start: int  # open at the previous period's start
    backlog_scope: str = SCOPE_ACTIVE  # SCOPE_REPOSITORY or SCOPE_ACTIVE (see bot.report.trend)

    @property
    def opened(self) -> int:
        return sum(day.opened for day in self.days)

    @property
    def resolved(self) -> int:
        return sum(day.resolved for day in self.days)

    @property
    def previous_opened(self) -> int:
        return sum(day.opened for day in self.previous_days)

    @property
    def previous_resolved(self) -> int:
        return sum(day.resolved for day in self.previous_days)

    @property
    def backlog_end(self) -> int:
        return self.days[-1].backlog if self.days else self.backlog_start

    @property
    def previous_backlog_end(self) -> int:
        return self.previous_days[-1].backlog if self.previous_days else self.previous_backlog_start


@dataclass(frozen=True)
class Report:
    generated_at: datetime
    period: Period
    previous_period: Period
    repos: tuple[str, ...]
    totals: Totals
    previous_totals: Totals
    labels: tuple[LabelStat, ...]
    response_times: ResponseTimes
    most_active: tuple[ScoredTicket, ...]
    common_issues: tuple[IssueGroup, ...]
    recommendations: tuple[Recommendation, ...]
    # Every ticket active in the period, scored, best first (drill-downs and digests use it).
    tickets: tuple[ScoredTicket, ...] = field(default=())
    # Two or three sentences on what matters in the period, citing tickets.
    headline: Cited = field(default_factory=lambda: Cited(""))
    headline_written_by: str = "offline"  # "offline" or "model"
    excluded: tuple[Exclusion, ...] = ()
    model: str | None = None  # the language model that wrote parts of the report, if any
    # When the data was last known current (a mirror's sync); None: fetched live at `generated_at`.
    data_as_of: datetime | None = None
    # Per repository, the last weeks' figures (bot.report.history); empty when not computed.
    history: tuple[RepoHistory, ...] = ()
    # Per local day, opened, resolved and the open backlog, this period and the previous (bot.report.trend).
    trend: Trend | None = None


def ref(ticket: Ticket) -> TicketRef:
    return TicketRef(repo=ticket.repo, number=ticket.number, title=ticket.title, url=ticket.url)
