"""Weekly history of a repository's tickets: new, resolved, backlog and first response, week by week.

Pure: the caller passes the issues' dates, `now` and the timezone; nothing here reads the clock.

Weeks are calendar weeks in the timezone: Monday 00:00 local to the next Monday 00:00, so a week
across a daylight-saving change is 167 or 169 hours long (where midnight itself is skipped, the week
starts at the first real instant). The last week is the current one and ends at `now`.

Per week [start, end):
- new: created in the week;
- resolved: closed in the week as completed (any reason but not planned or duplicate);
- closed_other: closed in the week as not planned or duplicate;
- open_at_end: created before the week's end and not closed by then. Only an issue's last close is
  known, so an issue closed now counts as closed since its `closed_at` and an open one as open since
  its creation (a reopened issue counts as open all along);
- median_first_response: of the issues created in the week that have a first team reply, the median
  of reply minus creation (None when none has one); waiting: created in the week without one.
"""

from __future__ import annotations

import statistics
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

HISTORY_WEEKS = 12
OTHER_CLOSE_REASONS = frozenset({"not_planned", "duplicate"})


@dataclass(frozen=True)
class IssueDates:
    """One issue's dates, as the history needs them (aware datetimes)."""

    number: int
    created_at: datetime
    closed_at: datetime | None  # its last close; None while open
    state_reason: str | None  # GitHub's: "completed", "not_planned", "duplicate", "reopened", None
    first_team_reply_at: datetime | None


@dataclass(frozen=True)
class WeekStats:
    """One week's figures (definitions in the module docstring)."""

    start: datetime  # Monday 00:00 local, inclusive
    end: datetime  # the next Monday 00:00 local, exclusive; `now` for the current week
    new: int = 0
    resolved: int = 0
    closed_other: int = 0
    open_at_end: int = 0
    median_first_response: timedelta | None = None
    waiting: int = 0


@dataclass(frozen=True)
class RepoHistory:
    """A repository's weeks, oldest first; the last is the current, partial week."""

    repo: str
    weeks: tuple[WeekStats, ...]


def week_starts(*, now: datetime, tz: tzinfo, weeks: int = HISTORY_WEEKS) -> list[datetime]:
    """The local Monday starts of the last `weeks` calendar weeks, oldest first, the current one last.

    The first is the earliest instant the history looks at: rows read from a store must cover every
    issue open at it or created or closed after it.
    """
    if weeks < 1:
        raise ValueError(f"weeks must be at least 1, not {weeks}")
    today = now.astimezone(tz).date()
    monday = today - timedelta(days=today.weekday())
    return [_start_of_day(monday - timedelta(weeks=weeks - 1 - index), tz) for index in range(weeks)]


def weekly_history(
    rows: Iterable[IssueDates], *, now: datetime, tz: tzinfo, weeks: int = HISTORY_WEEKS
) -> tuple[WeekStats, ...]:
    """The last `weeks` calendar weeks of `rows`, oldest first; the last one ends at `now`.

    Sorted instants and bisection: each row is looked at once, whatever the number of weeks.
    """
    starts = week_starts(now=now, tz=tz, weeks=weeks)
    ends = [*starts[1:], max(now.astimezone(tz), starts[-1])]
    # Timestamps compare faster than aware datetimes and are equal exactly when the instants are.
    start_marks = [moment.timestamp() for moment in starts]
    end_marks = [moment.timestamp() for moment in ends]

    created: list[float] = []
    closed: list[float] = []
    resolved: list[float] = []
    closed_other: list[float] = []
    replies: list[list[float]] = [[] for _ in starts]
    for row in rows:
        opened = row.created_at.timestamp()
        created.append(opened)
        if row.closed_at is not None:
            # A close recorded before the creation (clock skew) counts as at the creation.
            shut = max(row.closed_at.timestamp(), opened)
            closed.append(shut)
            (closed_other if row.state_reason in OTHER_CLOSE_REASONS else resolved).append(shut)
        if row.first_team_reply_at is not None:
            week = _week_of(opened, start_marks, end_marks)
            if week is not None:
                replies[week].append(max(row.first_team_reply_at.timestamp() - opened, 0.0))
    for marks in (created, closed, resolved, closed_other):
        marks.sort()

    return tuple(
        WeekStats(
            start=start,
            end=end,
            new=(new := _between(created, low, high)),
            resolved=_between(resolved, low, high),
            closed_other=_between(closed_other, low, high),
            open_at_end=bisect_left(created, high) - bisect_left(closed, high),
            median_first_response=(timedelta(seconds=statistics.median(replied)) if replied else None),
            waiting=new - len(replied),
        )
        for start, end, low, high, replied in zip(starts, ends, start_marks, end_marks, replies, strict=True)
    )


def _between(marks: list[float], low: float, high: float) -> int:
    """How many of the sorted `marks` lie in [low, high)."""
    return bisect_left(marks, high) - bisect_left(marks, low)


def _week_of(mark: float, start_marks: list[float], end_marks: list[float]) -> int | None:
    """The index of the week holding `mark`, or None when it lies outside every week."""
    index = bisect_right(start_marks, mark) - 1
    if index < 0 or mark >= end_marks[index]:
        return None
    return index


def _start_of_day(day: date, tz: tzinfo) -> datetime:
    # As in periods: a midnight skipped by daylight saving becomes the first instant that exists.
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC).astimezone(tz)
