"""Who did what and when: the facts about a ticket's activity that scoring and statistics share.

A ticket is *active* in a period when it was created, closed or commented on (by a person, not a bot)
inside it. A *team* member is a comment author with association OWNER, MEMBER or COLLABORATOR, or a
login listed in config; the ticket's own author never counts as the team answering themself.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from operator import attrgetter

from bot.report.models import TEAM_ASSOCIATIONS, Comment, Period, Ticket

CommentsByTicket = Mapping[tuple[str, int], Sequence[Comment]]


def comments_by_ticket(comments: Iterable[Comment]) -> dict[tuple[str, int], list[Comment]]:
    """Comments grouped per (repo, number), each list oldest first."""
    grouped: dict[tuple[str, int], list[Comment]] = defaultdict(list)
    for comment in comments:
        grouped[(comment.repo, comment.issue_number)].append(comment)
    by_time = attrgetter("created_at", "id")
    for items in grouped.values():
        items.sort(key=by_time)
    return dict(grouped)


def is_team(comment: Comment, ticket: Ticket, team_logins: frozenset[str]) -> bool:
    """A response from the support team: not a bot, not the ticket's author, association or listed login."""
    if comment.author_is_bot:
        return False
    login = comment.author.lower()  # lowered once: a big report asks this of hundreds of thousands
    if login == ticket.author.lower():
        return False
    return comment.author_association in TEAM_ASSOCIATIONS or login in team_logins


def people_comments(comments: Iterable[Comment]) -> list[Comment]:
    return [c for c in comments if not c.author_is_bot]


def utc_bounds(period: Period) -> tuple[datetime, datetime]:
    """The period's start and end in UTC, for testing many UTC moments against it.

    Two datetimes with the same tzinfo compare field by field; across time zones each comparison works
    out both UTC offsets, which doubles the cost of the comparisons a report makes for every comment.
    Only a moment whose tzinfo is `UTC` may be compared with these: a moment in the period's own time
    zone compares by wall-clock time (as Python compares datetimes sharing a tzinfo) and must be tested
    with `Period.contains`, as `in_period` does.
    """
    global _recent_bounds
    recent = _recent_bounds  # a report asks about its period and the one before, over and over
    for known, start, end in recent:
        if known is period:
            return start, end
    start, end = period.start.astimezone(UTC), period.end.astimezone(UTC)
    _recent_bounds = ((period, start, end), *recent[:1])
    return start, end


_recent_bounds: tuple[tuple[Period, datetime, datetime], ...] = ()


def in_period(moment: datetime | None, period: Period, start: datetime, end: datetime) -> bool:
    """`period.contains(moment)`, faster for UTC moments; `start` and `end` are `utc_bounds(period)`."""
    if moment is None:
        return False
    if moment.tzinfo is UTC:
        return start <= moment < end
    return period.contains(moment)


def comments_in(period: Period, comments: Iterable[Comment]) -> list[Comment]:
    start, end = utc_bounds(period)
    return [c for c in comments if in_period(c.created_at, period, start, end)]


def is_active(ticket: Ticket, period: Period, comments: Sequence[Comment]) -> bool:
    start, end = utc_bounds(period)
    if in_period(ticket.created_at, period, start, end) or in_period(ticket.closed_at, period, start, end):
        return True
    for comment in comments:
        when = comment.created_at
        if comment.author_is_bot or when is None:
            continue
        if when.tzinfo is UTC:  # in_period, written out: this runs for every comment of every ticket
            if start <= when < end:
                return True
        elif period.contains(when):
            return True
    return False


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
    created, author = ticket.created_at, ticket.author.lower()
    for comment in comments:  # is_team, written out: this runs for every comment of every ticket
        if comment.created_at >= created and not comment.author_is_bot:
            login = comment.author.lower()
            if login != author and (comment.author_association in TEAM_ASSOCIATIONS or login in team_logins):
                return comment
    return None


def history_complete(ticket: Ticket, comments: Sequence[Comment], comments_since: datetime | None) -> bool:
    """True when every comment of the ticket is among those fetched, so 'no team response' is a fact."""
    if ticket.comments_count == 0:
        return True
    if comments_since is not None and ticket.created_at >= comments_since:
        return True
    return len(comments) >= ticket.comments_count
