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

from bot.report.activity import comments_in, is_team
from bot.report.models import Comment, Period, ScoredTicket, ScoreItem, Ticket
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
    in_period = [c for c in comments_in(period, comments) if not c.author_is_bot]
    team = [c for c in in_period if is_team(c, ticket, team_logins)]
    community = len(in_period) - len(team)
    participants = {c.author.lower() for c in in_period}
    reactions = ticket.reactions + sum(c.reactions for c in in_period)

    moments = [c.created_at for c in in_period]
    moments += [m for m in (ticket.created_at, ticket.closed_at) if period.contains(m)]
    items: list[ScoreItem] = []

    def add(reason: str, count: float, weight: float) -> None:
        if count and weight:
            items.append(ScoreItem(reason=reason, count=count, points=round(count * weight, 2)))

    add("comments from the community", community, weights.community_comment)
    add("comments from the team", len(team), weights.team_comment)
    add("people taking part", len(participants), weights.participant)
    add("reactions", reactions, weights.reaction)
    add("opened in the period", 1 if period.contains(ticket.created_at) else 0, weights.new_ticket)
    add("reopened", 1 if ticket.state_reason == "reopened" else 0, weights.reopened)
    if moments and weights.recency:
        hours = max((period.end - max(moments)).total_seconds() / 3600, 0.0)
        factor = 0.5 ** (hours / weights.recency_half_life_hours) if weights.recency_half_life_hours else 0
        if round(factor * weights.recency, 2):
            items.append(
                ScoreItem(
                    reason=f"recent activity ({_hours_ago(hours)} before the period's end)",
                    count=round(factor, 3),
                    points=round(factor * weights.recency, 2),
                )
            )
    score = round(sum(item.points for item in items), 2)
    return ScoredTicket(ticket=ticket, score=score, breakdown=tuple(items))


def rank(scored: Sequence[ScoredTicket]) -> tuple[ScoredTicket, ...]:
    """Highest score first; ties broken by repository, then newest ticket first, so order is stable."""
    return tuple(sorted(scored, key=lambda s: (-s.score, s.ticket.repo, -s.ticket.number)))


def _hours_ago(hours: float) -> str:
    if hours < 1:
        return f"{round(hours * 60)}m"
    if hours < 48:
        return f"{hours:.0f}h"
    return f"{hours / 24:.0f}d"
