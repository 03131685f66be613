"""Tickets in, report out: the one function that assembles a `Report` from fetched data."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.report.activity import comments_by_ticket, is_active
from bot.report.grouping import find_common_issues
from bot.report.models import Period, Report, Ticket, TicketData
from bot.report.options import ReportOptions
from bot.report.recommendations import recommend
from bot.report.scoring import rank, score_ticket
from bot.report.stats import label_breakdown, response_times, totals


def build_report(
    data: TicketData,
    *,
    period: Period,
    now: datetime,
    repos: Sequence[str],
    options: ReportOptions,
) -> Report:
    """Build the report of `period` from `data`, which must cover the previous period too."""
    previous = period.previous()
    tickets = [t for t in data.tickets if not _excluded(t, options.exclude_labels)]
    comments = comments_by_ticket(data.comments)
    active = [t for t in tickets if is_active(t, period, comments.get(t.key, ()))]
    previous_active = [t for t in tickets if is_active(t, previous, comments.get(t.key, ()))]

    scored = rank(
        [
            score_ticket(
                t,
                comments.get(t.key, ()),
                period=period,
                weights=options.weights,
                team_logins=options.team_logins,
            )
            for t in active
        ]
    )
    labels = label_breakdown(active, period, previous_active, previous)
    response = response_times(
        active,
        comments,
        period=period,
        team_logins=options.team_logins,
        comments_since=data.comments_since,
    )
    active_comments = [c for t in active for c in comments.get(t.key, ())]
    groups = find_common_issues(
        active, active_comments, team_logins=options.team_logins, max_groups=options.max_groups
    )
    recommendations = recommend(
        active, comments, period=period, labels=labels, response=response, options=options
    )
    return Report(
        generated_at=now,
        period=period,
        previous_period=previous,
        repos=tuple(repos),
        totals=totals(active, period),
        previous_totals=totals(previous_active, previous),
        labels=labels,
        response_times=response,
        most_active=scored[: options.top_n],
        common_issues=groups,
        recommendations=recommendations,
        tickets=scored,
    )


def _excluded(ticket: Ticket, exclude_labels: frozenset[str]) -> bool:
    return any(label.lower() in exclude_labels for label in ticket.labels)
