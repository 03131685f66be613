"""Recommendations derived from the period's data, each citing its tickets and the figure behind it.

Only rules whose evidence is in the data fire; there is no generic advice. In order of urgency:
1. tickets waiting longer than the response target for a first team response;
2. a version number shared by several active tickets (a likely regression);
3. tickets reopened (a fix that did not hold);
4. a label whose new tickets rose against the previous period;
5. long-open tickets with new community activity.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import timedelta

from bot.report.activity import comments_in, is_team, not_planned_by, resolved_by
from bot.report.models import (
    Comment,
    LabelStat,
    Period,
    Recommendation,
    ResponseTimes,
    Ticket,
    TicketRef,
    ref,
)
from bot.report.options import ReportOptions
from bot.report.text import find_versions

MAX_CITED = 8  # tickets named in one recommendation's text


def recommend(
    active: Sequence[Ticket],
    comments: Mapping[tuple[str, int], Sequence[Comment]],
    *,
    period: Period,
    labels: Sequence[LabelStat],
    response: ResponseTimes,
    options: ReportOptions,
) -> tuple[Recommendation, ...]:
    by_key = {t.key: t for t in active}
    several_repos = len({t.repo for t in active}) > 1
    found = [
        _awaiting(response, by_key, period=period, options=options, several_repos=several_repos),
        _shared_version(active, period=period, several_repos=several_repos),
        _reopened(active, period=period, several_repos=several_repos),
        _label_rise(labels, active, period=period),
        _long_open(active, comments, period=period, options=options, several_repos=several_repos),
    ]
    return tuple(r for r in found if r is not None)[: options.max_recommendations]


def _name(ticket: Ticket | TicketRef, several_repos: bool) -> str:
    return f"{ticket.repo}#{ticket.number}" if several_repos else f"#{ticket.number}"


def _names(items: Sequence[str]) -> str:
    shown = ", ".join(items[:MAX_CITED])
    return shown + (f" and {len(items) - MAX_CITED} more" if len(items) > MAX_CITED else "")


def human_duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {mins}m" if mins else f"{hours}h"
    return f"{mins}m"


def _awaiting(
    response: ResponseTimes,
    by_key: Mapping[tuple[str, int], Ticket],
    *,
    period: Period,
    options: ReportOptions,
    several_repos: bool,
) -> Recommendation | None:
    late = [
        by_key[(r.repo, r.number)]
        for r in response.awaiting_response
        if (r.repo, r.number) in by_key
        and period.end - by_key[(r.repo, r.number)].created_at > options.response_target
    ]
    if not late:
        return None
    late.sort(key=lambda t: t.created_at)
    waits = [f"{_name(t, several_repos)} ({human_duration(period.end - t.created_at)})" for t in late]
    hours = options.response_target.total_seconds() / 3600
    target = f"{hours:g}-hour" if hours < 72 else human_duration(options.response_target)
    noun = "ticket has" if len(late) == 1 else "tickets have"
    return Recommendation(
        title="Answer the tickets waiting for a first response",
        text=(
            f"{len(late)} open {noun} waited longer than the {target} response target "
            f"without a team reply: {_names(waits)}."
        ),
        tickets=tuple(ref(t) for t in late),
    )


def _shared_version(
    active: Sequence[Ticket], *, period: Period, several_repos: bool
) -> Recommendation | None:
    mentions: dict[str, list[Ticket]] = defaultdict(list)
    for ticket in active:
        for version in dict.fromkeys(find_versions(f"{ticket.title}\n{ticket.body[:20000]}")):
            mentions[version].append(ticket)
    candidates = [(v, ts) for v, ts in mentions.items() if len(ts) >= 2]
    if not candidates:
        return None
    version, tickets = max(candidates, key=lambda item: (len(item[1]), item[0]))
    tickets.sort(key=lambda t: t.number)
    still_open = sum(not (resolved_by(t, period.end) or not_planned_by(t, period.end)) for t in tickets)
    return Recommendation(
        title=f"Check version {version} for a regression",
        text=(
            f"{len(tickets)} tickets active in this period mention version {version} "
            f"({_names([_name(t, several_repos) for t in tickets])}); {still_open} of them are still open."
        ),
        tickets=tuple(ref(t) for t in tickets),
    )


def _reopened(active: Sequence[Ticket], *, period: Period, several_repos: bool) -> Recommendation | None:
    reopened = sorted((t for t in active if t.state_reason == "reopened"), key=lambda t: t.number)
    if not reopened:
        return None
    noun = "ticket was" if len(reopened) == 1 else "tickets were"
    return Recommendation(
        title="Review reopened tickets",
        text=(
            f"{len(reopened)} {noun} reopened after being closed "
            f"({_names([_name(t, several_repos) for t in reopened])}): the fix or answer may not have held."
        ),
        tickets=tuple(ref(t) for t in reopened),
    )


def _label_rise(
    labels: Sequence[LabelStat], active: Sequence[Ticket], *, period: Period
) -> Recommendation | None:
    risen = [
        row
        for row in labels
        if row.received >= 2
        and row.received > row.previous_received
        and (row.previous_received == 0 or row.received >= 1.5 * row.previous_received)
    ]
    if not risen:
        return None
    row = max(risen, key=lambda r: (r.received - r.previous_received, r.label))
    change = (
        f"up from {row.previous_received} in the previous period of equal length"
        if row.previous_received
        else "none in the previous period of equal length"
    )
    return Recommendation(
        title=f"More '{row.label}' tickets than before",
        text=(
            f"Label '{row.label}' received {row.received} new tickets in this period, {change}; "
            f"{row.pending} are pending."
        ),
        tickets=tuple(
            ref(t)
            for t in sorted(active, key=lambda t: t.number)
            if row.label in t.labels and period.contains(t.created_at)
        ),
    )


def _long_open(
    active: Sequence[Ticket],
    comments: Mapping[tuple[str, int], Sequence[Comment]],
    *,
    period: Period,
    options: ReportOptions,
    several_repos: bool,
) -> Recommendation | None:
    found: list[tuple[Ticket, int]] = []
    for ticket in active:
        if resolved_by(ticket, period.end) or not_planned_by(ticket, period.end):
            continue
        if period.end - ticket.created_at <= options.long_open:
            continue
        community = [
            c
            for c in comments_in(period, comments.get(ticket.key, ()))
            if not c.author_is_bot and not is_team(c, ticket, options.team_logins)
        ]
        if community:
            found.append((ticket, len(community)))
    if not found:
        return None
    found.sort(key=lambda item: (-item[1], item[0].number))
    described = [
        f"{_name(t, several_repos)} ({human_duration(period.end - t.created_at).split()[0]} open, "
        f"{n} new comment{'s' if n != 1 else ''})"
        for t, n in found
    ]
    return Recommendation(
        title="Revisit long-open tickets that are active again",
        text=(
            f"{len(found)} ticket{'s' if len(found) != 1 else ''} open longer than "
            f"{human_duration(options.long_open)} got new community comments: {_names(described)}."
        ),
        tickets=tuple(ref(t) for t, _ in found),
    )
