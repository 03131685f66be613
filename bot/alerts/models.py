"""The plain data of alerts: what a channel asked for, and what one alert shows. No I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

AlertKind = Literal["new", "waiting"]
KINDS: tuple[AlertKind, ...] = ("new", "waiting")


@dataclass(frozen=True)
class AlertSubscription:
    """One channel's alerts of one kind (a row of `alert_subscriptions`)."""

    channel_id: str
    kind: AlertKind
    repos: tuple[str, ...]  # empty: the channel's repositories, whatever they become
    labels: tuple[str, ...]  # lower-case; empty: any ticket
    created_by: str
    created_at: datetime  # no ticket created before this is ever alerted
    paused_at: datetime | None = None
    failures: int = 0
    last_error: str | None = None
    last_error_at: datetime | None = None
    last_posted_at: datetime | None = None

    @property
    def paused(self) -> bool:
        return self.paused_at is not None


@dataclass(frozen=True)
class Similar:
    """An open ticket that looks like the alerted one."""

    repo: str
    number: int
    title: str
    url: str


@dataclass(frozen=True)
class TicketAlert:
    """What an alert message shows about one ticket."""

    repo: str
    number: int
    title: str
    url: str
    author: str
    labels: tuple[str, ...]
    description: tuple[str, ...]  # the first cleaned lines of the body
    created_at: datetime
    similar: tuple[Similar, ...] = ()
    group_title: str | None = None  # the common issue of recent open tickets it seems to belong to
    group_size: int = 0  # tickets in that group, this one included
    home_repo: str | None = None  # the channel's only repository: its tickets are named "#N"
    state: str = "open"  # the ticket's, when the alert was drawn (its action row follows it)


@dataclass(frozen=True)
class WaitingAlert:
    """A ticket past the response target with no team reply; `replied_by` once the team replied."""

    ticket: TicketAlert
    waited: timedelta
    target: timedelta
    replied_by: str | None = None
    replied_after: timedelta | None = None
    closed: bool = False  # closed without a team reply
