"""Who did what and when: the facts about a ticket's activity that scoring and statistics share.

A ticket is *active* in a period when it was created, closed or commented on (by a person, not a bot)
inside it. A *team* member is a comment author with association OWNER, MEMBER or COLLABORATOR, or a
login listed in config; the ticket's own author never counts as the team answering themself.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from bot.report.models import TEAM_ASSOCIATIONS, Comment, Period, Ticket

CommentsByTicket = Mapping[tuple[str, int], Sequence[Comment]]


def comments_by_ticket(comments: Iterable[Comment]) -> dict[tuple[str, int], list[Comment]]:
    """Comments grouped per (repo, number), each list oldest first."""
    grouped: dict[tuple[str, int], list[Comment]] = defaultdict(list)
    for comment in comments:
        grouped[(comment.repo, comment.issue_number)].append(comment)
    for items in grouped.values():
        items.sort(key=lambda c: (c.created_at, c.id))
    return dict(grouped)


def is_team(comment: Comment, ticket: Ticket, team_logins: frozenset[str]) -> bool:
    """A response from the support team: not a bot, not the ticket's author, association or listed login."""
    if comment.author_is_bot or comment.author.lower() == ticket.author.lower():
        return False
    return comment.author_association in TEAM_ASSOCIATIONS or comment.author.lower() in team_logins


def people_comments(comments: Iterable[Comment]) -> list[Comment]:
    return [c for c in comments if not c.author_is_bot]


def comments_in(period: Period, comments: Iterable[Comment]) -> list[Comment]:
    return [c for c in comments if period.contains(c.created_at)]


def is_active(ticket: Ticket, period: Period, comments: Sequence[Comment]) -> bool:
    if period.contains(ticket.created_at) or period.contains(ticket.closed_at):
        return True
    return any(period.contains(c.created_at) and not c.author_is_bot for c in comments)


def closed_by(ticket: Ticket, moment: datetime) -> bool:
    return ticket.closed_at is not None and ticket.closed_at < moment and ticket.state == "closed"


def resolved_by(ticket: Ticket, moment: datetime) -> bool:
    """Closed as completed (or closed with no reason given, as older issues are) before `moment`."""
    return closed_by(ticket, moment) and ticket.state_reason not in ("not_planned", "duplicate")


def not_planned_by(ticket: Ticket, moment: datetime) -> bool:
    return closed_by(ticket, moment) and ticket.state_reason in ("not_planned", "duplicate")


def first_team_response(
    ticket: Ticket, comments: Sequence[Comment], team_logins: frozenset[str]
) -> Comment | None:
    for comment in comments:
        if comment.created_at >= ticket.created_at and is_team(comment, ticket, team_logins):
            return comment
    return None


def history_complete(ticket: Ticket, comments: Sequence[Comment], comments_since: datetime | None) -> bool:
    """True when every comment of the ticket is among those fetched, so 'no team response' is a fact."""
    if ticket.comments_count == 0:
        return True
    if comments_since is not None and ticket.created_at >= comments_since:
        return True
    return len(comments) >= ticket.comments_count
