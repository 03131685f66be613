"""Counts and durations of a period: totals, the per-label breakdown and response times.

Definitions (also in the README):
- total: tickets active in the period; new: created in it;
- resolved / not planned: closed (as completed / as not planned or duplicate) before the period's end;
- open: the rest of the active tickets, still open at the period's end;
- label "received": tickets with the label created in the period; "resolved": of the label's active
  tickets, resolved by the period's end; "pending": of those, still open at its end;
- first response: for tickets created in the period, from creation to the first team comment;
- close: for tickets closed in the period, from creation to close.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from bot.report.activity import (
    closed_by,
    first_team_response,
    history_complete,
    not_planned_by,
    resolved_by,
)
from bot.report.models import (
    TEAM_ASSOCIATIONS,
    Comment,
    DurationStats,
    LabelStat,
    Period,
    ResponseTimes,
    Ticket,
    Totals,
    ref,
)

CommentMap = Mapping[tuple[str, int], Sequence[Comment]]


def totals(active: Sequence[Ticket], period: Period) -> Totals:
    resolved = not_planned = new = 0
    for ticket in active:
        if resolved_by(ticket, period.end):
            resolved += 1
        elif not_planned_by(ticket, period.end):
            not_planned += 1
        if period.contains(ticket.created_at):
            new += 1
    return Totals(
        total=len(active),
        resolved=resolved,
        not_planned=not_planned,
        open=len(active) - resolved - not_planned,
        new=new,
    )


def label_breakdown(
    active: Sequence[Ticket], period: Period, previous_active: Sequence[Ticket], previous: Period
) -> tuple[LabelStat, ...]:
    """One row per label seen on an active ticket, busiest first."""
    received: Counter[str] = Counter()
    resolved: Counter[str] = Counter()
    pending: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    for ticket in active:
        if not ticket.labels:
            continue
        is_new = period.contains(ticket.created_at)
        is_resolved = resolved_by(ticket, period.end)
        is_pending = not closed_by(ticket, period.end)  # neither resolved nor not planned
        for label in ticket.labels:
            seen[label] += 1
            received[label] += is_new
            resolved[label] += is_resolved
            pending[label] += is_pending
    before: Counter[str] = Counter()
    for ticket in previous_active:
        for label in ticket.labels:
            before[label] += previous.contains(ticket.created_at)
    rows = [
        LabelStat(
            label=label,
            received=received[label],
            resolved=resolved[label],
            pending=pending[label],
            previous_received=before[label],
        )
        for label in seen
    ]
    rows.sort(key=lambda r: (-(r.received + r.pending + r.resolved), r.label.lower()))
    return tuple(rows)


def duration_stats(durations: Sequence[timedelta]) -> DurationStats:
    if not durations:
        return DurationStats(count=0, median=None, p90=None)
    ordered = sorted(durations)
    seconds = [d.total_seconds() for d in ordered]
    p90 = ordered[max(math.ceil(0.9 * len(ordered)) - 1, 0)]  # nearest-rank percentile
    return DurationStats(count=len(ordered), median=timedelta(seconds=statistics.median(seconds)), p90=p90)


def response_times(
    active: Sequence[Ticket],
    comments: CommentMap,
    *,
    period: Period,
    team_logins: frozenset[str],
    comments_since: datetime | None,
) -> ResponseTimes:
    first: list[timedelta] = []
    to_close: list[timedelta] = []
    awaiting: list[Ticket] = []
    for ticket in active:
        known = comments.get(ticket.key, ())
        reply = first_team_response(ticket, known, team_logins)
        if period.contains(ticket.created_at) and reply is not None:
            first.append(reply.created_at - ticket.created_at)
        if period.contains(ticket.closed_at) and ticket.closed_at is not None:
            to_close.append(ticket.closed_at - ticket.created_at)
        still_open = not closed_by(ticket, period.end)  # neither resolved nor not planned
        answered_in_time = reply is not None and reply.created_at < period.end
        if (
            still_open
            and not answered_in_time
            and not ticket.author_is_bot
            and ticket.author_association not in TEAM_ASSOCIATIONS
            and ticket.author.lower() not in team_logins
            and history_complete(ticket, known, comments_since)
        ):
            awaiting.append(ticket)
    awaiting.sort(key=lambda t: (t.created_at, t.repo, t.number))
    return ResponseTimes(
        first_response=duration_stats(first),
        close=duration_stats(to_close),
        awaiting_response=tuple(ref(t) for t in awaiting),
    )
