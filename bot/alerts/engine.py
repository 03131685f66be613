"""Which tickets a channel is alerted about, and how: pure functions of rows and `now` (no I/O, no clock).

* A ticket is alerted only when it is an issue (never a pull request), not excluded as reports exclude
  it (pinned, an excluded label or number), carries one of the subscription's labels (when it names
  any), and was created at or after the subscription (turning alerts on never posts the backlog).
* `new`: a ticket at most CATCH_UP old is alerted on its own; an older one (it arrived while the bot was
  down, or while the channel's alerts were paused) is only counted, in one line for all of them.
* A burst: more than `burst` new tickets seen at once (none alerted in the window before) are posted
  as one bundled message. When tickets come one by one (a webhook each), the first `burst` of a
  BURST_WINDOW are posted alone and the overflow waits until BURST_WINDOW after its first ticket, then
  goes out as one bundle (a lone one on its own: never a bundle of one); while a bundle posted within
  the window stands, further tickets wait and are bundled once it has passed, so a wave costs one
  message a minute.
* `waiting`: an open ticket not opened by the team or a bot, past the response target with no team
  reply; `answered` tells when a posted one has been answered (or closed) since.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.alerts.models import AlertSubscription, Similar, TicketAlert
from bot.report import derived
from bot.report.activity import first_team_response, history_complete
from bot.report.drilldown import ContextTicket, ReportContext, similar_titles
from bot.report.grouping import find_common_issues
from bot.report.models import TEAM_ASSOCIATIONS, Comment, Ticket
from bot.report.options import ReportOptions

CATCH_UP = timedelta(hours=1)  # a ticket older than this when first seen is counted, not alerted
BURST_WINDOW = timedelta(minutes=1)
DESCRIPTION_LINES = 3
SIMILAR_SHOWN = 3
GROUP_DAYS = 14  # the open tickets active this recently are grouped to find the alerted one's group
MAX_GROUPS = 50
MAX_GROUP_POOL = 400  # the newest open tickets grouped (grouping thousands would delay the alert)


def excluded(ticket: Ticket, options: ReportOptions) -> bool:
    """Whether reports leave the ticket out (pinned, an excluded label, an excluded number)."""
    if options.exclude_pinned and ticket.pinned:
        return True
    if any(label.lower() in options.exclude_labels for label in ticket.labels):
        return True
    refs = options.exclude_issues
    return (None, ticket.number) in refs or (ticket.repo.lower(), ticket.number) in refs


def wanted(ticket: Ticket, subscription: AlertSubscription, options: ReportOptions) -> bool:
    """Whether `subscription` alerts about `ticket` at all (see the module docstring)."""
    if ticket.created_at < subscription.created_at or excluded(ticket, options):
        return False
    if subscription.labels:
        have = {label.lower() for label in ticket.labels}
        return any(label in have for label in subscription.labels)
    return True


@dataclass(frozen=True)
class NewPlan:
    """What to do with a channel's unalerted new tickets now."""

    single: tuple[Ticket, ...] = ()  # each posted on its own
    bundle: tuple[Ticket, ...] = ()  # posted together in one message
    counted: tuple[Ticket, ...] = ()  # too old: one "N tickets arrived while alerts were paused" line
    deferred: tuple[Ticket, ...] = ()  # a burst whose bundle waits for the window to pass


def plan_new(
    tickets: Sequence[Ticket],
    *,
    now: datetime,
    recent: int,
    last_bundle_at: datetime | None,
    burst: int,
) -> NewPlan:
    """`tickets`: wanted and not alerted yet; `recent`: new-ticket alerts claimed from BURST_WINDOW
    before the oldest fresh one of `tickets` arrived (or before `now`, the earlier) until now, so an
    overflow that waited for its window still sees the alerts it overflowed; `last_bundle_at`: when
    the channel's latest bundle was claimed."""
    ordered = sorted(tickets, key=lambda t: (t.created_at, t.repo.lower(), t.number))
    fresh = tuple(t for t in ordered if now - t.created_at <= CATCH_UP)
    counted = tuple(t for t in ordered if now - t.created_at > CATCH_UP)
    if not fresh:
        return NewPlan(counted=counted)
    if last_bundle_at is not None and now - last_bundle_at < BURST_WINDOW:
        return NewPlan(counted=counted, deferred=fresh)  # a bundle stands: the next one collects these
    wave_on = last_bundle_at is not None and now - last_bundle_at < 2 * BURST_WINDOW
    if (len(fresh) > burst and recent == 0) or (wave_on and len(fresh) > 1):
        return NewPlan(counted=counted, bundle=fresh)
    room = max(0, burst - recent)
    single, overflow = fresh[:room], fresh[room:]
    if not overflow:
        return NewPlan(counted=counted, single=single)
    if now - overflow[0].created_at < BURST_WINDOW:  # the burst is still arriving: collect it
        return NewPlan(counted=counted, single=single, deferred=overflow)
    if len(overflow) == 1:  # a bundle of one would only hide the ticket
        return NewPlan(counted=counted, single=single + overflow)
    return NewPlan(counted=counted, single=single, bundle=overflow)


def by_team_or_bot(ticket: Ticket, options: ReportOptions) -> bool:
    """A ticket opened by the team or a bot waits for nobody."""
    return (
        ticket.author_is_bot
        or ticket.author_association in TEAM_ASSOCIATIONS
        or ticket.author.lower() in options.team_logins
    )


def waiting_for(
    ticket: Ticket, comments: Sequence[Comment], *, now: datetime, options: ReportOptions
) -> timedelta | None:
    """How long the ticket has waited for a first team reply, when past the response target; else None."""
    if ticket.state != "open" or by_team_or_bot(ticket, options):
        return None
    if first_team_response(ticket, comments, options.team_logins) is not None:
        return None
    if not history_complete(ticket, comments, None):
        return None  # the mirror lacks some of its comments: one of them may be the team's reply
    waited = now - ticket.created_at
    return waited if waited >= options.response_target else None


def answered(
    ticket: Ticket | None, comments: Sequence[Comment], *, options: ReportOptions
) -> tuple[Comment | None, bool] | None:
    """For a posted `waiting` alert: (the first team reply, closed) once either happened, else None.
    A ticket gone from the mirror (deleted, transferred) counts as closed."""
    if ticket is None:
        return (None, True)
    reply = first_team_response(ticket, comments, options.team_logins)
    if reply is not None:
        return (reply, ticket.state != "open")
    if ticket.state != "open":
        return (None, True)
    return None


def ticket_alert(
    ticket: Ticket,
    *,
    open_tickets: Sequence[tuple[str, int, str, str]] = (),
    group: tuple[str, int] | None = None,
    home_repo: str | None = None,
) -> TicketAlert:
    """The alert's view of `ticket`; `open_tickets` (repo, number, title, url) are searched for ones
    that look like it; `group` is its common issue's title and size (`group_of`)."""
    lines = ticket.clean_body if ticket.clean_body is not None else derived.clean_body(ticket.body)
    return TicketAlert(
        repo=ticket.repo,
        number=ticket.number,
        title=ticket.title,
        url=ticket.url,
        author=ticket.author,
        labels=ticket.labels,
        description=tuple(line for line in lines if line.strip())[:DESCRIPTION_LINES],
        created_at=ticket.created_at,
        similar=looks_like(ticket, open_tickets),
        group_title=group[0] if group else None,
        group_size=group[1] if group else 0,
        home_repo=home_repo,
        state=ticket.state,
    )


def group_of(
    ticket: Ticket,
    tickets: Sequence[Ticket],
    comments: Sequence[Comment],
    *,
    team_logins: frozenset[str],
) -> tuple[str, int] | None:
    """The common issue (as reports find them) among the open `tickets` and this one that this one
    falls in: its title and number of tickets; None when it falls in none."""
    newest = sorted((t for t in tickets if t.state == "open"), key=lambda t: t.created_at, reverse=True)
    pool = {t.key: t for t in newest[:MAX_GROUP_POOL]}
    pool[ticket.key] = ticket
    if len(pool) < 2:
        return None
    groups = find_common_issues(list(pool.values()), comments, team_logins=team_logins, max_groups=MAX_GROUPS)
    for group in groups:
        if any((ref.repo, ref.number) == ticket.key for ref in group.tickets):
            return group.title, len(group.tickets)
    return None


def groups_of(
    alerted: Sequence[Ticket],
    tickets: Sequence[Ticket],
    comments: Sequence[Comment],
    *,
    team_logins: frozenset[str],
) -> dict[tuple[str, int], tuple[str, int]]:
    """`group_of` for several alerted tickets at once, grouping once: each one's group (title and
    size) by key; one in no group is left out."""
    newest = sorted((t for t in tickets if t.state == "open"), key=lambda t: t.created_at, reverse=True)
    pool = {t.key: t for t in newest[:MAX_GROUP_POOL]}
    pool.update((t.key, t) for t in alerted)
    if len(pool) < 2:
        return {}
    groups = find_common_issues(list(pool.values()), comments, team_logins=team_logins, max_groups=MAX_GROUPS)
    wanted_keys = {t.key for t in alerted}
    found: dict[tuple[str, int], tuple[str, int]] = {}
    for group in groups:
        for ref in group.tickets:
            key = (ref.repo, ref.number)
            if key in wanted_keys and key not in found:
                found[key] = (group.title, len(group.tickets))
    return found


def looks_like(ticket: Ticket, open_tickets: Sequence[tuple[str, int, str, str]]) -> tuple[Similar, ...]:
    """The open tickets whose titles are most like this one's (the drill-down's title similarity)."""
    candidates = tuple(
        ContextTicket(repo=repo, number=number, title=title, score=0.0, url=url)
        for repo, number, title, url in open_tickets
        if not (repo.lower() == ticket.repo.lower() and number == ticket.number)
    )
    if not candidates:
        return ()
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    context = ReportContext(
        period_start=epoch, period_end=epoch, period_label="", repos=(ticket.repo,), tickets=candidates
    )
    found = similar_titles(ticket, context, count=SIMILAR_SHOWN)
    return tuple(Similar(repo=t.repo, number=t.number, title=t.title, url=t.url) for t, _ in found)
