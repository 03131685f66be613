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

    items: list[ScoreItem] = []
    for reason, number, weight in (
        ("comments from the community", community, weights.community_comment),
        ("comments from the team", team, weights.team_comment),
        ("people taking part", len(participants), weights.participant),
        ("reactions", reactions, weights.reaction),
        ("opened in the period", 1 if opened else 0, weights.new_ticket),
        ("reopened", 1 if ticket.state_reason == "reopened" else 0, weights.reopened),
    ):
        if number and weight:
            items.append(_item(reason, number, weight))
    if latest is not None and weights.recency:
        hours = max((period.end - latest).total_seconds() / 3600, 0.0)
        factor = 0.5 ** (hours / weights.recency_half_life_hours) if weights.recency_half_life_hours else 0
        if round(factor * weights.recency, 2):
            items.append(
                _recency_item(
                    f"recent activity ({_hours_ago(hours)} before the period's end)",
                    round(factor, 3),
                    round(factor * weights.recency, 2),
                )
            )
    score = round(sum(item.points for item in items), 2)
    return ScoredTicket(ticket=ticket, score=score, breakdown=tuple(items))


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
