"""The daily trend: opened, resolved and the open backlog per local day, this period and the previous."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.report.builder import build_report
from bot.report.history import IssueDates, RepoHistory, weekly_history
from bot.report.models import SCOPE_ACTIVE, SCOPE_REPOSITORY, Period, Report, Ticket, TicketData
from bot.report.options import ReportOptions
from bot.report.periods import parse_period
from bot.report.trend import MAX_TREND_DAYS, daily_trend, day_count, local_days
from tests.report.factories import REPO, ticket

BERLIN = ZoneInfo("Europe/Berlin")
# Monday 14 April 2025, 20:00 in Berlin: "last week" is Mon 7 to Sun 13 April.
NOW = datetime(2025, 4, 14, 18, 0, tzinfo=UTC)


def berlin(text: str) -> str:
    """A Berlin wall time as the factories' UTC text ('2025-04-13 23:30' -> '2025-04-13 21:30')."""
    moment = datetime.fromisoformat(text).replace(tzinfo=BERLIN).astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M")


def period(text: str, *, now: datetime = NOW) -> Period:
    return parse_period(text, now=now, tz=BERLIN, max_days=None)  # the core's own rule, not the config's


def by_day(days) -> dict[date, tuple[int, int, int]]:
    return {d.day: (d.opened, d.resolved, d.backlog) for d in days}


def test_days_are_the_periods_local_days_and_count_by_local_time() -> None:
    """A ticket opened at 23:30 on Sunday in Berlin (21:30 UTC) counts on Sunday, not Monday."""
    week = period("last week")
    tickets = [
        ticket(1, created=berlin("2025-04-13 23:30")),
        ticket(2, created=berlin("2025-04-08 00:30"), closed=berlin("2025-04-09 10:00")),
        ticket(
            3, created=berlin("2025-04-08 09:00"), closed=berlin("2025-04-10 10:00"), reason="not_planned"
        ),
        ticket(4, created=berlin("2025-04-07 00:00")),
    ]
    trend = daily_trend(tickets, period=week, previous=week.previous())
    assert trend is not None
    assert [d.day for d in trend.days] == [date(2025, 4, 7) + timedelta(days=i) for i in range(7)]
    days = by_day(trend.days)
    assert days[date(2025, 4, 7)] == (1, 0, 1)
    assert days[date(2025, 4, 8)] == (2, 0, 3)
    assert days[date(2025, 4, 9)] == (0, 1, 2)  # resolved
    assert days[date(2025, 4, 10)] == (0, 0, 1)  # closed as not planned: out of the backlog, not resolved
    assert days[date(2025, 4, 13)] == (1, 0, 2)
    assert (trend.opened, trend.resolved, trend.backlog_start, trend.backlog_end) == (4, 1, 0, 2)
    assert trend.backlog_scope == SCOPE_ACTIVE


def test_the_previous_period_has_as_many_days_just_before() -> None:
    week = period("last week")
    tickets = [
        ticket(1, created=berlin("2025-03-31 08:00")),
        ticket(2, created=berlin("2025-04-06 22:00"), closed=berlin("2025-04-07 09:00")),
    ]
    trend = daily_trend(tickets, period=week, previous=week.previous())
    assert trend is not None
    assert [d.day for d in trend.previous_days] == [date(2025, 3, 31) + timedelta(days=i) for i in range(7)]
    before = by_day(trend.previous_days)
    assert before[date(2025, 3, 31)] == (1, 0, 1)
    assert before[date(2025, 4, 6)] == (1, 0, 2)
    assert (trend.previous_opened, trend.previous_resolved) == (2, 0)
    assert (trend.previous_backlog_start, trend.previous_backlog_end) == (0, 2)
    assert trend.backlog_start == 2  # the previous period's end is this one's start
    assert by_day(trend.days)[date(2025, 4, 7)] == (0, 1, 1)


def test_a_day_across_daylight_saving_is_23_hours_and_counts_whole() -> None:
    """30 March 2025 in Berlin has 23 hours; a ticket at 23:30 local that day still counts on it."""
    days = local_days(period("2025-03-30", now=NOW))
    assert len(days) == 1
    _, start, end = days[0]
    assert end - start == timedelta(hours=23)
    spring = period("2025-03-24..2025-03-30")
    trend = daily_trend(
        [ticket(1, created=berlin("2025-03-30 23:30"))], period=spring, previous=spring.previous()
    )
    assert trend is not None
    assert by_day(trend.days)[date(2025, 3, 30)] == (1, 0, 1)


def test_a_period_ending_now_ends_on_a_partial_last_day() -> None:
    """`last 7 days` at 20:00 covers today so far: a ticket opened at 21:00 yesterday counts, later ones are
    not in the period at all."""
    seven = period("last 7 days")
    assert day_count(seven) == 7
    trend = daily_trend(
        [ticket(1, created=berlin("2025-04-14 19:00")), ticket(2, created=berlin("2025-04-13 21:00"))],
        period=seven,
        previous=seven.previous(),
    )
    assert trend is not None
    assert trend.days[-1].day == date(2025, 4, 14)
    assert by_day(trend.days)[date(2025, 4, 14)] == (1, 0, 2)
    assert len(trend.previous_days) == 7
    assert trend.previous_days[-1].day == date(2025, 4, 7)


def test_a_reopened_ticket_is_open_and_not_resolved_and_a_close_before_creation_counts_at_creation() -> None:
    week = period("last week")
    reopened = replace(
        ticket(1, created=berlin("2025-04-08 09:00"), closed=berlin("2025-04-09 09:00")),
        state="open",
        state_reason="reopened",
    )
    skewed = ticket(2, created=berlin("2025-04-10 09:00"), closed=berlin("2025-04-10 08:00"))
    trend = daily_trend([reopened, skewed], period=week, previous=week.previous())
    assert trend is not None
    days = by_day(trend.days)
    assert days[date(2025, 4, 9)] == (0, 0, 1)
    assert days[date(2025, 4, 10)] == (1, 1, 1)


def test_a_period_of_more_than_a_year_has_no_trend() -> None:
    long = period("since 2020-01-01")
    assert day_count(long) > MAX_TREND_DAYS
    assert daily_trend([], period=long, previous=long.previous()) is None
    year = period("2024-04-15..2025-04-14")
    assert day_count(year) == 365
    assert daily_trend([], period=year, previous=year.previous()) is not None


# --- the backlog of the whole repository, from the mirror's weekly history -----------------------------


def _issues() -> list[Ticket]:
    """A repository: old open tickets nobody touched lately, plus activity in the two weeks."""
    old = [ticket(100 + i, created=berlin(f"2025-0{1 + i % 2}-1{i} 10:00")) for i in range(9)]
    old_closed = [ticket(200, created=berlin("2025-01-02 10:00"), closed=berlin("2025-02-01 10:00"))]
    recent = [
        ticket(1, created=berlin("2025-04-01 10:00"), closed=berlin("2025-04-09 10:00")),
        ticket(2, created=berlin("2025-04-08 10:00")),
        ticket(3, created=berlin("2025-04-10 10:00"), closed=berlin("2025-04-11 10:00"), reason="duplicate"),
        ticket(
            4, created=berlin("2025-03-02 10:00"), closed=berlin("2025-04-03 10:00")
        ),  # old, closed recently
        ticket(5, created=berlin("2025-04-12 10:00"), pinned=True),  # pinned: no ticket, in no backlog
    ]
    return [*old, *old_closed, *recent]


def _mirror_history(issues: list[Ticket], *, now: datetime) -> RepoHistory:
    rows = [
        IssueDates(
            number=t.number,
            created_at=t.created_at,
            closed_at=t.closed_at if t.state == "closed" else None,
            state_reason=t.state_reason,
            first_team_reply_at=None,
        )
        for t in issues
        if not t.pinned
    ]
    return RepoHistory(repo=REPO, weeks=weekly_history(rows, now=now, tz=BERLIN))


def _open_at(issues: list[Ticket], moment: datetime) -> int:
    return sum(
        1
        for t in issues
        if not t.pinned and t.created_at < moment and not (t.state == "closed" and t.closed_at < moment)
    )


def _build(data: list[Ticket], which: Period, *, history: tuple[RepoHistory, ...]) -> Report:
    return build_report(
        TicketData(tickets=tuple(data), comments=()),
        period=which,
        now=NOW,
        repos=(REPO,),
        options=ReportOptions(),
        backlog_history=history,
    )


def test_with_the_mirrors_history_the_backlog_counts_every_open_issue_each_day() -> None:
    """The data holds only the tickets active in the two periods; the weekly history fixes how many open
    issues it lacks, so each day's backlog is the repository's (counted here ticket by ticket)."""
    which = period("last 7 days")
    issues = _issues()
    window = which.previous().start
    active = [t for t in issues if t.created_at >= window or (t.closed_at and t.closed_at >= window)]
    assert len(active) < len(issues)
    report = _build(active, which, history=(_mirror_history(issues, now=NOW),))
    trend = report.trend
    assert trend is not None and trend.backlog_scope == SCOPE_REPOSITORY
    for days, which_days in ((trend.days, which), (trend.previous_days, which.previous())):
        for day, (local, _, end) in zip(days, local_days(which_days), strict=True):
            assert day.day == local
            assert day.backlog == _open_at(issues, end), day.day
    assert trend.backlog_start == _open_at(issues, which.start)
    assert trend.backlog_end == _open_at(issues, which.end)
    # without the history the same data knows only the active tickets' backlog
    alone = _build(active, which, history=()).trend
    assert alone is not None and alone.backlog_scope == SCOPE_ACTIVE
    assert alone.backlog_end == _open_at(active, which.end) < trend.backlog_end
    # opened and resolved are the same either way, and the opened days add up to the report's `new`
    assert [(d.opened, d.resolved) for d in alone.days] == [(d.opened, d.resolved) for d in trend.days]
    assert trend.opened == report.totals.new


def test_a_repository_without_history_leaves_the_backlog_to_the_active_tickets() -> None:
    """With two repositories and history for one only, no whole-repository figure is claimed."""
    which = period("last 7 days")
    issues = _issues()
    other = ticket(7, created=berlin("2025-04-09 10:00"), repo="octo-org/other")
    report = build_report(
        TicketData(tickets=(*issues, other), comments=()),
        period=which,
        now=NOW,
        repos=(REPO, "octo-org/other"),
        options=ReportOptions(),
        backlog_history=(_mirror_history(issues, now=NOW),),
    )
    assert report.trend is not None and report.trend.backlog_scope == SCOPE_ACTIVE


def test_a_history_that_ends_outside_the_two_periods_is_not_used() -> None:
    """A past period, older than the history's weeks, cannot be anchored on them."""
    issues = _issues()
    old = period("2024-10-01..2024-10-07")
    trend = _build(issues, old, history=(_mirror_history(issues, now=NOW),)).trend
    assert trend is not None and trend.backlog_scope == SCOPE_ACTIVE


def test_excluded_tickets_leave_opened_but_not_the_repositorys_backlog() -> None:
    """A ticket the config leaves out (a label) is not in the opened bars, but it is an open issue."""
    which = period("last 7 days")
    announcement = ticket(8, created=berlin("2025-04-09 10:00"), labels=("announcement",))
    issues = [*_issues(), announcement]
    options = ReportOptions(exclude_labels=frozenset({"announcement"}))
    report = build_report(
        TicketData(tickets=tuple(issues), comments=()),
        period=which,
        now=NOW,
        repos=(REPO,),
        options=options,
        backlog_history=(_mirror_history(issues, now=NOW),),
    )
    trend = report.trend
    assert trend is not None and trend.backlog_scope == SCOPE_REPOSITORY
    assert by_day(trend.days)[date(2025, 4, 9)][0] == 0
    assert trend.backlog_end == _open_at(issues, which.end)
    assert trend.opened == report.totals.new
