"""The weekly history: calendar weeks in the report's timezone, and what each week counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from bot.report.history import HISTORY_WEEKS, IssueDates, WeekStats, week_starts, weekly_history

BERLIN = ZoneInfo("Europe/Berlin")
# Wednesday 2 April 2025, 14:00 in Berlin (summer time since Sunday 30 March).
NOW = datetime(2025, 4, 2, 12, 0, tzinfo=UTC)


def local(text: str) -> datetime:
    """'2025-03-30 23:30' -> that wall time in Berlin, as an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN)


def issue(
    number: int,
    *,
    created: str,
    closed: str | None = None,
    reason: str | None = None,
    reply: str | None = None,
) -> IssueDates:
    return IssueDates(
        number=number,
        created_at=local(created),
        closed_at=local(closed) if closed else None,
        state_reason=reason if reason else ("completed" if closed else None),
        first_team_reply_at=local(reply) if reply else None,
    )


def week(weeks: tuple[WeekStats, ...], monday: str) -> WeekStats:
    """The week starting on local `monday` ('2025-03-24')."""
    (found,) = [w for w in weeks if w.start.date().isoformat() == monday]
    return found


def hours(week_stats: WeekStats) -> float:
    # Through UTC: aware datetimes sharing a zone subtract as wall-clock time.
    return (week_stats.end.astimezone(UTC) - week_stats.start.astimezone(UTC)).total_seconds() / 3600


def test_weeks_are_local_calendar_weeks_across_the_spring_change() -> None:
    """Weeks run Monday 00:00 to Monday 00:00 in Berlin; the week of the change is 167 hours long."""
    weeks = weekly_history([], now=NOW, tz=BERLIN)
    assert len(weeks) == HISTORY_WEEKS
    for stats in weeks:
        start = stats.start.astimezone(BERLIN)
        assert (start.weekday(), start.hour, start.minute) == (0, 0, 0)
    for earlier, later in pairwise(weeks):
        assert earlier.end == later.start
    assert weeks[0].start == local("2025-01-13 00:00")
    assert hours(week(weeks, "2025-03-24")) == 167
    assert hours(week(weeks, "2025-03-17")) == 168


def test_the_autumn_change_gives_a_169_hour_week() -> None:
    weeks = weekly_history([], now=datetime(2025, 11, 5, tzinfo=UTC), tz=BERLIN, weeks=3)
    assert weeks[0].start == local("2025-10-20 00:00")
    assert [hours(w) for w in weeks[:2]] == [169, 168]


def test_an_issue_counts_in_the_local_week_it_was_created_in() -> None:
    """Sunday 23:30 in Berlin is still the old week; Monday 00:30 local (Sunday in UTC) is the new one."""
    rows = [issue(1, created="2025-03-30 23:30"), issue(2, created="2025-03-31 00:30")]
    weeks = weekly_history(rows, now=NOW, tz=BERLIN)
    assert week(weeks, "2025-03-24").new == 1
    assert week(weeks, "2025-03-31").new == 1


def test_not_planned_and_duplicate_closes_are_not_resolved() -> None:
    rows = [
        issue(1, created="2025-03-10 09:00", closed="2025-03-11 09:00"),
        issue(2, created="2025-03-10 09:00", closed="2025-03-12 09:00", reason="not_planned"),
        issue(3, created="2025-03-10 09:00", closed="2025-03-12 10:00", reason="duplicate"),
    ]
    stats = week(weekly_history(rows, now=NOW, tz=BERLIN), "2025-03-10")
    assert (stats.new, stats.resolved, stats.closed_other, stats.open_at_end) == (3, 1, 2, 0)


def test_the_backlog_counts_issues_open_at_each_weeks_end() -> None:
    """An old open issue is in every week's backlog; a closed one until the week it was closed in."""
    rows = [
        issue(1, created="2024-06-01 12:00"),  # open all along
        issue(2, created="2024-12-01 12:00", closed="2025-02-05 12:00"),  # closed in the week of 3 Feb
        issue(3, created="2025-03-05 12:00", closed="2025-03-19 12:00", reason="not_planned"),
        issue(4, created="2025-03-26 12:00"),
        issue(5, created="2024-01-01 12:00", closed="2024-02-01 12:00"),  # closed before the history
    ]
    weeks = weekly_history(rows, now=NOW, tz=BERLIN)
    backlog = {w.start.date().isoformat(): w.open_at_end for w in weeks}
    assert backlog == {
        "2025-01-13": 2,
        "2025-01-20": 2,
        "2025-01-27": 2,
        "2025-02-03": 1,
        "2025-02-10": 1,
        "2025-02-17": 1,
        "2025-02-24": 1,
        "2025-03-03": 2,
        "2025-03-10": 2,
        "2025-03-17": 1,
        "2025-03-24": 2,
        "2025-03-31": 2,
    }
    # Each week's backlog is the last one's plus what came in, minus what was closed.
    for earlier, later in pairwise(weeks):
        assert later.open_at_end == earlier.open_at_end + later.new - later.resolved - later.closed_other


def test_an_issue_closed_at_a_weeks_end_is_open_at_that_end() -> None:
    """Weeks are half-open: a close at Monday 00:00 belongs to the new week."""
    rows = [issue(1, created="2025-03-20 12:00", closed="2025-03-24 00:00")]
    weeks = weekly_history(rows, now=NOW, tz=BERLIN)
    assert week(weeks, "2025-03-17").open_at_end == 1
    assert (week(weeks, "2025-03-24").resolved, week(weeks, "2025-03-24").open_at_end) == (1, 0)


def test_median_first_response_of_the_issues_created_in_the_week() -> None:
    rows = [
        issue(1, created="2025-03-10 09:00", reply="2025-03-10 10:00"),  # 1h
        issue(2, created="2025-03-11 09:00", reply="2025-03-11 11:00"),  # 2h
        issue(3, created="2025-03-16 22:00", reply="2025-03-17 04:00"),  # 6h, the reply in the next week
        issue(4, created="2025-03-12 09:00"),  # no team reply yet
        issue(5, created="2025-03-17 09:00", reply="2025-03-17 09:30"),  # the next week
    ]
    weeks = weekly_history(rows, now=NOW, tz=BERLIN)
    stats = week(weeks, "2025-03-10")
    assert stats.median_first_response == timedelta(hours=2)
    assert (stats.new, stats.waiting) == (4, 1)
    assert week(weeks, "2025-03-17").median_first_response == timedelta(minutes=30)
    assert week(weeks, "2025-03-03").median_first_response is None


def test_an_even_count_takes_the_middle_two() -> None:
    rows = [
        issue(1, created="2025-03-10 09:00", reply="2025-03-10 10:00"),
        issue(2, created="2025-03-10 09:00", reply="2025-03-10 12:00"),
    ]
    stats = week(weekly_history(rows, now=NOW, tz=BERLIN), "2025-03-10")
    assert stats.median_first_response == timedelta(hours=2)


def test_the_current_week_is_partial_and_ends_now() -> None:
    rows = [
        issue(1, created="2025-03-31 08:00", closed="2025-04-01 08:00"),
        issue(2, created="2025-04-02 13:00"),
        issue(3, created="2025-04-02 15:00"),  # after now (clock skew): not counted
    ]
    weeks = weekly_history(rows, now=NOW, tz=BERLIN)
    current = weeks[-1]
    assert current.start == local("2025-03-31 00:00")
    assert current.end == NOW
    assert current.end.tzinfo is not None
    assert (current.new, current.resolved, current.open_at_end, current.waiting) == (2, 1, 1, 2)


def test_no_issues_give_twelve_weeks_of_zeros() -> None:
    weeks = weekly_history([], now=NOW, tz=BERLIN)
    assert len(weeks) == 12
    for stats in weeks:
        assert (stats.new, stats.resolved, stats.closed_other, stats.open_at_end, stats.waiting) == (0,) * 5
        assert stats.median_first_response is None


def test_week_starts_give_the_first_instant_a_store_must_cover() -> None:
    starts = week_starts(now=NOW, tz=BERLIN, weeks=2)
    assert starts == [local("2025-03-24 00:00"), local("2025-03-31 00:00")]
    with pytest.raises(ValueError, match="at least 1"):
        week_starts(now=NOW, tz=BERLIN, weeks=0)


def test_the_mirror_returns_the_historys_rows() -> None:
    """The mirror's row type is the history's input (its old name still works)."""
    from bot.store.mirror import IssueTimes

    assert IssueTimes is IssueDates
