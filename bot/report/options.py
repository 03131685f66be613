"""Knobs of the report core, passed in explicitly (settings build them; the core never reads config)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta


@dataclass(frozen=True)
class ScoreWeights:
    """Weights of the activity score; see README "Activity score" for the formula."""

    community_comment: float = 2.0  # per comment in the period by someone outside the team
    team_comment: float = 0.5  # per comment in the period by the team
    participant: float = 1.5  # per distinct non-bot person commenting in the period
    reaction: float = 0.25  # per reaction on the ticket or its comments in the period
    new_ticket: float = 2.0  # the ticket was opened in the period
    reopened: float = 2.0  # the ticket was reopened
    recency: float = 3.0  # full bonus when the last activity is at the period's end
    recency_half_life_hours: float = 24.0  # the recency bonus halves every this many hours


@dataclass(frozen=True)
class ReportOptions:
    top_n: int = 5
    weights: ScoreWeights = field(default_factory=ScoreWeights)
    team_logins: frozenset[str] = (
        frozenset()
    )  # lower-case logins counted as team besides OWNER/MEMBER/COLLABORATOR
    # Lower-case label names whose tickets are left out: announcements and pinned notices by default.
    exclude_labels: frozenset[str] = frozenset({"announcement", "pinned"})
    # Issues left out by number: (lower-case "owner/name" or None for every repository, number).
    exclude_issues: frozenset[tuple[str | None, int]] = frozenset()
    exclude_pinned: bool = True  # pinned issues are announcements, not tickets
    # Labels that track the team's workflow, not the problem (fnmatch globs, lower-case): a rise in
    # them is no news.
    workflow_labels: tuple[str, ...] = (
        "status:*",
        "status/*",
        "triage*",
        "needs-*",
        "needs *",
        "needs:*",
        "waiting*",
        "awaiting*",
        "stale",
        "duplicate",
        "wontfix",
        "invalid",
    )
    label_rise_min: int = 3  # a label "rises" with at least this many new tickets...
    label_rise_factor: float = 2.0  # ... and at least this many times the previous period's
    response_target: timedelta = timedelta(hours=24)  # first team response expected within this
    long_open: timedelta = timedelta(days=30)  # an open ticket older than this is "long open"
    max_groups: int = 5
    max_recommendations: int = 5
