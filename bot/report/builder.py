"""Tickets in, report out: the one function that assembles a `Report` from fetched data."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from bot.report.activity import (
    closed_by,
    comments_by_ticket,
    first_team_response,
    history_complete,
    is_active,
    utc_bounds,
)
from bot.report.grouping import find_common_issues
from bot.report.headline import build_headline
from bot.report.history import RepoHistory
from bot.report.models import TEAM_ASSOCIATIONS, Comment, Exclusion, Period, Report, Ticket, TicketData, ref
from bot.report.options import ReportOptions
from bot.report.recommendations import recommend
from bot.report.relations import TicketLink, ticket_links
from bot.report.scoring import rank, score_ticket
from bot.report.stats import label_breakdown, response_times, totals
from bot.report.trend import daily_trend


def build_report(
    data: TicketData,
    *,
    period: Period,
    now: datetime,
    repos: Sequence[str],
    options: ReportOptions,
    backlog_history: Sequence[RepoHistory] = (),
) -> Report:
    """Build the report of `period` from `data`, which must cover the previous period too.

    `backlog_history`: the mirror's weeks of each repository, when they count the same issues as `data`
    (no label filter): the trend's backlog is then every open issue, not only those the data holds.
    """
    previous = period.previous()
    comments = comments_by_ticket(data.comments)
    reasons = {t.key: _excluded(t, options) for t in data.tickets}
    tickets = [t for t in data.tickets if reasons[t.key] is None]
    excluded = _exclusions(
        [
            t
            for t in data.tickets
            if reasons[t.key] is not None and is_active(t, period, comments.get(t.key, ()))
        ],
        reasons,
    )
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
    links = _links(active, comments, options=options)
    groups = find_common_issues(
        active,
        active_comments,
        team_logins=options.team_logins,
        max_groups=options.max_groups,
        links=links,
        tz=period.start.tzinfo,
        threads=comments,
    )
    recommendations = recommend(
        active,
        comments,
        period=period,
        labels=labels,
        response=response,
        options=options,
        groups=groups,
        links=links,
    )
    current = totals(active, period)
    several_repos = len({t.repo for t in tickets}) > 1
    headline = build_headline(
        period=period,
        totals=current,
        groups=groups,
        most_active=scored,
        # With activity, the tickets the report covers (as its response times do); without, all of them.
        waiting=_waiting(
            active or tickets, comments, period=period, options=options, comments_since=data.comments_since
        ),
        several_repos=several_repos,
    )
    return Report(
        generated_at=now,
        period=period,
        previous_period=previous,
        repos=tuple(repos),
        totals=current,
        previous_totals=totals(previous_active, previous),
        labels=labels,
        response_times=response,
        most_active=scored[: options.top_n],
        common_issues=groups,
        recommendations=recommendations,
        tickets=scored,
        headline=headline,
        excluded=excluded,
        trend=daily_trend(
            tickets,
            period=period,
            previous=previous,
            repos=repos,
            all_tickets=data.tickets,
            history=backlog_history,
        ),
    )


def _excluded(ticket: Ticket, options: ReportOptions) -> str | None:
    """Why a ticket is left out of the report, or None when it is a ticket like any other."""
    if options.exclude_pinned and ticket.pinned:
        return "pinned"
    for label in ticket.labels:
        if label.lower() in options.exclude_labels:
            return f"labelled {label}"
    if (None, ticket.number) in options.exclude_issues or (
        ticket.repo.lower(),
        ticket.number,
    ) in options.exclude_issues:
        return "excluded in the config"
    return None


def _exclusions(left_out: list[Ticket], reasons: dict[tuple[str, int], str | None]) -> tuple[Exclusion, ...]:
    by_reason: dict[str, list[Ticket]] = {}
    for ticket in sorted(left_out, key=lambda t: t.key):
        by_reason.setdefault(reasons[ticket.key] or "", []).append(ticket)
    return tuple(
        Exclusion(reason=reason, tickets=tuple(ref(t) for t in items))
        for reason, items in sorted(by_reason.items(), key=lambda item: (-len(item[1]), item[0]))
    )


def _links(
    tickets: list[Ticket], comments: dict[tuple[str, int], list[Comment]], *, options: ReportOptions
) -> dict[tuple[str, int], list[TicketLink]]:
    """Each ticket's links to others; tickets without any are left out (most tickets link nothing)."""
    links: dict[tuple[str, int], list[TicketLink]] = {}
    for ticket in tickets:
        found = ticket_links(ticket, comments.get(ticket.key, ()), team_logins=options.team_logins)
        if found:
            links[ticket.key] = found
        else:
            links.pop(ticket.key, None)  # the last of two copies of a ticket counts
    return links


def _before(moment: datetime, end: datetime, utc_end: datetime) -> bool:
    """`moment < end`, comparing a UTC moment with `utc_end` (`end` in UTC), as `activity.in_period` does."""
    return moment < utc_end if moment.tzinfo is UTC else moment < end


def _by_team(ticket: Ticket, options: ReportOptions) -> bool:
    return ticket.author_association in TEAM_ASSOCIATIONS or ticket.author.lower() in options.team_logins


def _waiting(
    tickets: list[Ticket],
    comments: dict[tuple[str, int], list[Comment]],
    *,
    period: Period,
    options: ReportOptions,
    comments_since: datetime | None,
) -> list[Ticket]:
    """Open tickets at the period's end, created before it, known to have no team reply: oldest first."""
    _, end = utc_bounds(period)
    waiting = []
    for ticket in tickets:
        if ticket.created_at >= period.end or ticket.author_is_bot or _by_team(ticket, options):
            continue  # a bot's or the team's own issue waits for nobody
        if closed_by(ticket, period.end):  # resolved or not planned
            continue
        known = comments.get(ticket.key, ())
        if not history_complete(ticket, known, comments_since):
            continue
        said = [c for c in known if _before(c.created_at, period.end, end)]
        if first_team_response(ticket, said, options.team_logins) is None:
            waiting.append(ticket)
    return sorted(waiting, key=lambda t: (t.created_at, t.key))
