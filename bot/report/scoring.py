"""The activity score: how much a ticket asked of the support team in a period, with its breakdown.

    score =  community_comment × comments in the period by people outside the team
           + team_comment      × comments in the period by the team
           + participant       × distinct people (not bots) who commented in the period
           + reaction          × reactions on the ticket and on its comments made in the period
           + new_ticket        if the ticket was opened in the period
           + reopened          if the ticket was reopened (GitHub's state_reason "reopened")
           + recency           × 0.5 ^ (hours from the last activity to the period's end / half-life)

Weights live in `ScoreWeights` (config `score_weights`). The breakdown lists every non-zero term, so
a reader can see why a ticket ranks where it does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache

from bot.report.activity import in_period, utc_bounds
from bot.report.models import TEAM_ASSOCIATIONS, Comment, Period, ScoredTicket, ScoreItem, Ticket
from bot.report.options import ScoreWeights


def score_ticket(
    ticket: Ticket,
    comments: Sequence[Comment],
    *,
    period: Period,
    weights: ScoreWeights,
    team_logins: frozenset[str],
) -> ScoredTicket:
    """Score one ticket from its comments (any span; only those inside `period` count)."""
    # One pass over the comments: a report scores every active ticket, and big ones have tens of
    # thousands. `is_team` and `in_period`, written out.
    start, end = utc_bounds(period)
    author = ticket.author.lower()
    community = team = reactions = 0
    participants: set[str] = set()
    latest: datetime | None = None
    for comment in comments:
        when = comment.created_at
        if comment.author_is_bot or when is None:
            continue
        if when.tzinfo is UTC:
            if not start <= when < end:
                continue
        elif not period.contains(when):
            continue
        login = comment.author.lower()
        participants.add(login)
        reactions += comment.reactions
        if login != author and (comment.author_association in TEAM_ASSOCIATIONS or login in team_logins):
            team += 1
        else:
            community += 1
        if latest is None or when > latest:
            latest = when
    reactions += ticket.reactions
    opened = in_period(ticket.created_at, period, start, end)
    if opened and (latest is None or ticket.created_at > latest):
        latest = ticket.created_at
    closed = ticket.closed_at
    if closed is not None and in_period(closed, period, start, end) and (latest is None or closed > latest):
        latest = closed

    # The terms written out (not a loop over a table of them): this runs for every active ticket.
    items: list[ScoreItem] = []
    if community and weights.community_comment:
        items.append(_item("comments from the community", community, weights.community_comment))
    if team and weights.team_comment:
        items.append(_item("comments from the team", team, weights.team_comment))
    if participants and weights.participant:
        items.append(_item("people taking part", len(participants), weights.participant))
    if reactions and weights.reaction:
        items.append(_item("reactions", reactions, weights.reaction))
    if opened and weights.new_ticket:
        items.append(_item("opened in the period", 1, weights.new_ticket))
    if ticket.state_reason == "reopened" and weights.reopened:
        items.append(_item("reopened", 1, weights.reopened))
    if latest is not None and weights.recency:
        # The period's end in UTC when `latest` is a UTC moment: the same instant, subtracted directly.
        hours = max(((end if latest.tzinfo is UTC else period.end) - latest).total_seconds() / 3600, 0.0)
        factor = 0.5 ** (hours / weights.recency_half_life_hours) if weights.recency_half_life_hours else 0
        if round(factor * weights.recency, 2):
            items.append(
                _recency_item(
                    f"recent activity ({_hours_ago(hours)} before the period's end)",
                    round(factor, 3),
                    round(factor * weights.recency, 2),
                )
            )
    total = 0
    for item in items:  # sum(), in its order, without a generator
        total += item.points
    return ScoredTicket(ticket, round(total, 2), tuple(items))


# Breakdown lines are immutable and most repeat from ticket to ticket ("comments from the team", 1,
# 0.5): one object for each, so 50,000 scored tickets do not hold 300,000 copies. Typed: a count of 1
# and one of 1.0 are different lines.
@lru_cache(maxsize=4096, typed=True)
def _item(reason: str, count: float, weight: float) -> ScoreItem:
    return ScoreItem(reason=reason, count=count, points=round(count * weight, 2))


@lru_cache(maxsize=4096, typed=True)
def _recency_item(reason: str, count: float, points: float) -> ScoreItem:
    return ScoreItem(reason=reason, count=count, points=points)


def rank(scored: Sequence[ScoredTicket]) -> tuple[ScoredTicket, ...]:
    """Highest score first; ties broken by repository, then newest ticket first, so order is stable."""
    return tuple(sorted(scored, key=lambda s: (-s.score, s.ticket.repo, -s.ticket.number)))


def _hours_ago(hours: float) -> str:
    if hours < 1:
        return f"{round(hours * 60)}m"
    if hours < 48:
        return f"{hours:.0f}h"
    return f"{hours / 24:.0f}d"
