"""Tickets per day: opened, resolved and the open backlog, for a period and the one before it.

Pure: the caller passes the tickets, the periods and (optionally) the mirror's weekly history; nothing
here reads the clock. The trend chart (bot.render.chart) draws what this computes.

Days are the period's local days (midnight to midnight in the period's timezone, so 23 or 25 hours
across a daylight-saving change); the first and last day are cut at the period's start and end, so
the last day of a period ending now covers the day so far. Per day:

- opened: tickets created on the day;
- resolved: tickets closed on the day as completed (any close but not planned or duplicate), counting
  only those still closed (only an issue's last close is known, as in bot.report.history);
- backlog: tickets open at the day's end (created before it and not closed by then).

Which tickets the backlog counts (`Trend.backlog_scope`):

- "repository": every open issue of the repositories (pinned ones left out). The data a report is built
  from holds only the tickets active in the two periods; the issues it lacks were neither created nor
  closed in them, so their number is the same all through, and one known count fixes it: the mirror's
  weekly history gives the open issues at each week's end. This needs a history week ending inside the
  two periods for every repository, and no label filter on the report (the history counts every issue).
- "active": only the tickets the data holds (active in the period or the previous one), when no such
  count is known (a report fetched live from GitHub, or one filtered by label).

Opened and resolved always count the tickets the report covers (its exclusions applied), so that the
opened days add up to the report's `new` figure.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from bot.report.history import OTHER_CLOSE_REASONS, RepoHistory
from bot.report.models import SCOPE_ACTIVE, SCOPE_REPOSITORY, DayCounts, Period, Ticket, Trend

# Longer periods get no series: a chart of years of days says nothing a weekly history does not.
MAX_TREND_DAYS = 366


def local_days(period: Period) -> list[tuple[date, datetime, datetime]]:
    """The period's local days as (day, start, end), each cut to the period; [] for an empty period."""
    tz = period.start.tzinfo
    assert tz is not None  # Period datetimes are aware
    start, end = period.start.astimezone(UTC), period.end.astimezone(UTC)
    if end <= start:
        return []
    days = []
    day = period.start.date()
    while True:
        day_start = max(_midnight(day, tz), start)
        day_end = min(_midnight(day + timedelta(days=1), tz), end)
        if day_start >= end:
            break
        if day_end > day_start:
            days.append((day, day_start, day_end))
        day += timedelta(days=1)
    return days


def day_count(period: Period) -> int:
    """How many local days the period touches (a period ending at 21:00 counts its last day)."""
    last = (period.end - timedelta(microseconds=1)).astimezone(period.start.tzinfo).date()
    return max((last - period.start.date()).days + 1, 0)


def daily_trend(
    tickets: Sequence[Ticket],
    *,
    period: Period,
    previous: Period,
    repos: Sequence[str] = (),
    all_tickets: Sequence[Ticket] | None = None,
    history: Sequence[RepoHistory] = (),
) -> Trend | None:
    """The trend of `period` against `previous`; None when the period is longer than MAX_TREND_DAYS.

    `tickets` are those the report covers; `all_tickets` every ticket of the data, exclusions not applied
    (the backlog anchored on `history` counts them all); `repos` the report's repositories; `history`
    the mirror's weeks of each of them, or () when the backlog cannot be anchored (module docstring).
    """
    if day_count(period) > MAX_TREND_DAYS:
        return None
    counted = _Marks(tickets)
    everything = tickets if all_tickets is None else all_tickets
    base = _repository_base(everything, repos=repos, history=history, period=period, previous=previous)
    backlog = _Marks([t for t in everything if not t.pinned]) if base is not None else counted
    offset = base or 0

    def series(which: Period) -> tuple[DayCounts, ...]:
        return tuple(
            DayCounts(
                day=day,
                opened=counted.opened(start, end),
                resolved=counted.resolved(start, end),
                backlog=offset + backlog.open_at(end),
            )
            for day, start, end in local_days(which)
        )

    return Trend(
        days=series(period),
        previous_days=series(previous),
        backlog_start=offset + backlog.open_at(period.start.astimezone(UTC)),
        previous_backlog_start=offset + backlog.open_at(previous.start.astimezone(UTC)),
        backlog_scope=SCOPE_REPOSITORY if base is not None else SCOPE_ACTIVE,
    )


class _Marks:
    """Sorted instants of creation and close, for counting by bisection (each ticket looked at once)."""

    def __init__(self, tickets: Iterable[Ticket]) -> None:
        created: list[float] = []
        closed: list[float] = []
        resolved: list[float] = []
        for ticket in tickets:
            opened = ticket.created_at.timestamp()
            created.append(opened)
            if ticket.state == "closed" and ticket.closed_at is not None:
                # A close recorded before the creation (clock skew) counts as at the creation.
                shut = max(ticket.closed_at.timestamp(), opened)
                closed.append(shut)
                if ticket.state_reason not in OTHER_CLOSE_REASONS:
                    resolved.append(shut)
        self._created, self._closed, self._resolved = sorted(created), sorted(closed), sorted(resolved)

    def opened(self, start: datetime, end: datetime) -> int:
        return _between(self._created, start.timestamp(), end.timestamp())

    def resolved(self, start: datetime, end: datetime) -> int:
        return _between(self._resolved, start.timestamp(), end.timestamp())

    def open_at(self, moment: datetime) -> int:
        mark = moment.timestamp()
        return bisect_left(self._created, mark) - bisect_left(self._closed, mark)


def _repository_base(
    tickets: Sequence[Ticket],
    *,
    repos: Sequence[str],
    history: Sequence[RepoHistory],
    period: Period,
    previous: Period,
) -> int | None:
    """Open issues the data does not hold (the same number all through both periods), summed over the
    repositories; None unless every repository has a history week ending inside the two periods."""
    if not history:
        return None
    low, high = previous.start.timestamp(), period.end.timestamp()
    by_repo: dict[str, list[Ticket]] = {}
    for ticket in tickets:
        if not ticket.pinned:
            by_repo.setdefault(ticket.repo.lower(), []).append(ticket)
    known = {repo.repo.lower(): repo for repo in history}
    base = 0
    for repo in {name.lower() for name in repos} | set(by_repo):
        weeks = known.get(repo)
        if weeks is None:
            return None
        anchor = next((w for w in reversed(weeks.weeks) if low <= w.end.timestamp() <= high), None)
        if anchor is None:
            return None
        missing = anchor.open_at_end - _Marks(by_repo.get(repo, ())).open_at(anchor.end)
        if missing < 0:  # the mirror changed between the two reads: no count to trust
            return None
        base += missing
    return base


def _between(marks: list[float], low: float, high: float) -> int:
    return bisect_left(marks, high) - bisect_left(marks, low)


def _midnight(day: date, tz: tzinfo) -> datetime:
    # As in periods: a midnight skipped by daylight saving becomes the first instant that exists.
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
