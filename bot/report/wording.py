"""Small words the report's sentences share: counts with their nouns, verbs that agree, durations,
ticket names. Pure helpers, so every part of the report says "1 ticket is" and "2 tickets are" alike."""

from __future__ import annotations

from datetime import timedelta

from bot.report.models import Ticket, TicketRef


def count(n: int, singular: str, plural: str | None = None) -> str:
    """ "1 ticket", "2 tickets"."""
    return f"{n} {singular if n == 1 else (plural or singular + 's')}"


def verb(n: int, singular: str, plural: str) -> str:
    """ "is" for 1, "are" for the rest."""
    return singular if n == 1 else plural


def human_duration(delta: timedelta) -> str:
    """ "2d 4h", "3h 10m", "45m" (never negative)."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {mins}m" if mins else f"{hours}h"
    return f"{mins}m"


def ticket_name(ticket: Ticket | TicketRef, *, several_repos: bool) -> str:
    """ "#12", or "owner/name#12" when the report covers several repositories."""
    return number_name(ticket.repo, ticket.number, several_repos=several_repos)


def number_name(repo: str, number: int, *, several_repos: bool) -> str:
    return f"{repo}#{number}" if several_repos else f"#{number}"
