"""Totals, label breakdown and response times follow the documented definitions."""

from datetime import timedelta

from bot.report.activity import comments_by_ticket
from bot.report.stats import duration_stats, label_breakdown, response_times, totals
from tests.report.factories import at, comment, day, ticket

PERIOD = day("2025-04-14")


def test_totals_count_resolved_not_planned_open_and_new():
    active = [
        ticket(1, created="2025-04-14 08:00"),
        ticket(2, created="2025-04-10 08:00", closed="2025-04-14 09:00"),
        ticket(3, created="2025-04-14 08:00", closed="2025-04-14 10:00", reason="not_planned"),
        ticket(4, created="2025-04-14 08:00", closed="2025-04-14 11:00", reason="duplicate"),
        ticket(5, created="2025-04-10 08:00", closed="2025-04-16 09:00"),  # closed after the period
    ]
    result = totals(active, PERIOD)
    assert (result.total, result.resolved, result.not_planned, result.open, result.new) == (5, 1, 2, 2, 3)


def test_label_breakdown_received_resolved_pending_and_previous():
    previous = PERIOD.previous()
    active = [
        ticket(1, created="2025-04-14 08:00", labels=("bug",)),
        ticket(2, created="2025-04-14 08:00", labels=("bug", "auth"), closed="2025-04-14 12:00"),
        ticket(3, created="2025-04-01 08:00", labels=("auth",)),
    ]
    before = [ticket(9, created="2025-04-13 08:00", labels=("bug",))]
    rows = {r.label: r for r in label_breakdown(active, PERIOD, before, previous)}
    assert (rows["bug"].received, rows["bug"].resolved, rows["bug"].pending) == (2, 1, 1)
    assert rows["bug"].previous_received == 1
    assert (rows["auth"].received, rows["auth"].resolved, rows["auth"].pending) == (1, 1, 1)


def test_duration_stats_median_and_nearest_rank_p90():
    hours = [timedelta(hours=h) for h in (1, 2, 3, 4, 5, 6, 7, 8, 9, 100)]
    stats = duration_stats(hours)
    assert stats.count == 10
    assert stats.median == timedelta(hours=5.5)
    assert stats.p90 == timedelta(hours=9)
    assert duration_stats([]).median is None


def test_first_response_ignores_the_author_and_bots_and_counts_the_team():
    t = ticket(1, created="2025-04-14 08:00", author="reporter", comments_count=3)
    cs = [
        comment(t, at_="2025-04-14 08:30", author="reporter", association="OWNER"),  # the author themself
        comment(t, at_="2025-04-14 09:00", author="helper[bot]", association="MEMBER", bot=True),
        comment(t, at_="2025-04-14 10:00", author="staff", association="COLLABORATOR"),
    ]
    result = response_times(
        [t],
        comments_by_ticket(cs),
        period=PERIOD,
        team_logins=frozenset(),
        comments_since=at("2025-04-13 00:00"),
    )
    assert result.first_response.count == 1
    assert result.first_response.median == timedelta(hours=2)
    assert result.awaiting_response == ()


def test_configured_team_login_counts_as_a_response():
    t = ticket(1, created="2025-04-14 08:00", comments_count=1)
    cs = [comment(t, at_="2025-04-14 09:00", author="Contractor", association="NONE")]
    grouped = comments_by_ticket(cs)
    without = response_times([t], grouped, period=PERIOD, team_logins=frozenset(), comments_since=None)
    with_login = response_times(
        [t], grouped, period=PERIOD, team_logins=frozenset({"contractor"}), comments_since=None
    )
    assert without.first_response.count == 0
    assert with_login.first_response.median == timedelta(hours=1)


def test_awaiting_response_only_when_the_whole_history_is_known():
    unanswered = ticket(1, created="2025-04-14 08:00", comments_count=1)
    old_unknown = ticket(2, created="2025-03-01 08:00", comments_count=5)  # earlier comments not fetched
    old_silent = ticket(3, created="2025-03-01 08:00", comments_count=0)
    cs = [
        comment(unanswered, at_="2025-04-14 09:00", author="another-user"),
        comment(old_unknown, at_="2025-04-14 09:00", author="x"),
    ]
    result = response_times(
        [unanswered, old_unknown, old_silent],
        comments_by_ticket(cs),
        period=PERIOD,
        team_logins=frozenset(),
        comments_since=at("2025-04-13 00:00"),
    )
    assert [r.number for r in result.awaiting_response] == [3, 1]


def test_time_to_close_for_tickets_closed_in_the_period():
    t = ticket(1, created="2025-04-12 08:00", closed="2025-04-14 08:00")
    result = response_times([t], {}, period=PERIOD, team_logins=frozenset(), comments_since=None)
    assert result.close.count == 1 and result.close.median == timedelta(days=2)
