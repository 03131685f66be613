"""The core's shortcuts for big reports answer exactly what the long way answers."""

from __future__ import annotations

import dataclasses
import gc
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.report.activity import comments_by_ticket, in_period, is_active, utc_bounds
from bot.report.builder import build_report
from bot.report.grouping import find_common_issues
from bot.report.models import Period
from bot.report.options import ReportOptions
from bot.report.periods import parse_period, parse_timezone
from bot.report.scoring import score_ticket
from bot.sources.payloads import comments_from_payloads, select_window, tickets_from_issues
from tests.fakes.github_data import synthetic_repo

NOW = datetime(2025, 4, 15, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")


def week_of_tickets(n: int = 400):
    raw = synthetic_repo(n, n * 5, seed=3, end=NOW, days=7)
    period = parse_period("week", now=NOW, tz=parse_timezone("UTC"))
    data = select_window(
        tickets_from_issues(raw.issues),
        comments_from_payloads(raw.comments),
        window_start=period.previous().start,
        window_end=period.end,
    )
    return data, period


def test_grouping_with_the_comments_grouped_beforehand_finds_the_same_groups():
    data, _period = week_of_tickets()
    tickets = list(data.tickets)
    threads = comments_by_ticket(data.comments)
    plain = find_common_issues(tickets, list(data.comments), team_logins=frozenset())
    assert plain
    assert find_common_issues(tickets, list(data.comments), team_logins=frozenset(), threads=threads) == plain


def test_in_period_is_period_contains_for_moments_in_any_zone():
    # 27 Oct 2024: Paris clocks go back from 03:00 to 02:00, so 02:30 happens twice.
    period = Period(
        start=datetime(2024, 10, 27, 2, 30, tzinfo=PARIS),
        end=datetime(2024, 10, 27, 2, 45, tzinfo=PARIS, fold=1),
        label="",
    )
    start, end = utc_bounds(period)
    moments = [None]
    for minutes in range(-120, 180, 5):
        instant = datetime(2024, 10, 27, 0, 0, tzinfo=UTC) + timedelta(minutes=minutes)
        moments += [instant, instant.astimezone(PARIS), instant.astimezone(ZoneInfo("America/New_York"))]
    moments += [datetime(2024, 10, 27, 2, 40, tzinfo=PARIS, fold=fold) for fold in (0, 1)]
    for moment in moments:
        assert in_period(moment, period, start, end) == period.contains(moment), moment


def test_activity_and_scores_do_not_depend_on_the_zone_the_data_is_in():
    data, period = week_of_tickets(120)
    paris = Period(start=period.start.astimezone(PARIS), end=period.end.astimezone(PARIS), label=period.label)
    threads = comments_by_ticket(data.comments)
    moved = {
        key: [dataclasses.replace(c, created_at=c.created_at.astimezone(PARIS)) for c in thread]
        for key, thread in threads.items()
    }
    options = ReportOptions()
    for ticket in data.tickets:
        for span in (period, paris):
            mine, theirs = threads.get(ticket.key, []), moved.get(ticket.key, [])
            assert is_active(ticket, span, mine) == is_active(ticket, span, theirs)
            scored = [
                score_ticket(ticket, said, period=span, weights=options.weights, team_logins=frozenset())
                for said in (mine, theirs)
            ]
            assert scored[0] == scored[1]


def test_building_a_report_leaves_the_garbage_collector_on():
    data, period = week_of_tickets(50)
    build_report(data, period=period, now=NOW, repos=("acme/support",), options=ReportOptions())
    assert gc.isenabled()
