"""The report's opening: two or three sentences on what matters in the period, citing tickets.

1. The main problem (the largest common issue) and whom it hits, else the period's figures and its
   busiest ticket;
2. whether its fix works: released, coming, a workaround, or a reporter saying it still fails;
3. who has waited longest for a first team reply.
An empty period says so in one line and names what is still waiting.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from bot.report.models import Cited, IssueGroup, Period, ScoredTicket, Ticket, TicketRef, Totals, ref
from bot.report.text import excerpt, quote
from bot.report.wording import count, human_duration, ticket_name, verb

_SUBJECT_CHARS = 140
_WAITING_NAMED = 3


def build_headline(
    *,
    period: Period,
    totals: Totals,
    groups: Sequence[IssueGroup],
    most_active: Sequence[ScoredTicket],
    waiting: Sequence[Ticket],
    several_repos: bool,
) -> Cited:
    """`waiting`: open tickets without a first team reply at the period's end, oldest first."""

    def name(ticket: Ticket | TicketRef) -> str:
        return ticket_name(ticket, several_repos=several_repos)

    cited: list[TicketRef] = []
    if totals.total == 0:
        text = f"No ticket activity in {period.label}"
        if waiting:
            shown = [f"{name(t)} ({_age(t, period.end)})" for t in waiting[:_WAITING_NAMED]]
            more = f" and {len(waiting) - _WAITING_NAMED} more" if len(waiting) > _WAITING_NAMED else ""
            text += (
                f"; {count(len(waiting), 'ticket')} still {verb(len(waiting), 'waits', 'wait')} for a first "
                f"team reply: {', '.join(shown)}{more}."
            )
            cited.extend(ref(t) for t in waiting[:_WAITING_NAMED])
        else:
            text += ", and no ticket is waiting for a first team reply."
        return Cited(text=text, tickets=tuple(cited))

    sentences: list[str] = []
    if groups:
        main = groups[0]
        sentences.append(_main_problem(main, name=name))
        cited.extend(main.tickets)
        fix = _fix_sentence(main, name=name)
        if fix:
            sentences.append(fix)
            if main.parts is not None and main.parts.fix_fails is not None:
                cited.extend(main.parts.fix_fails.tickets)
    else:
        figures = (
            f"{count(totals.total, 'ticket')} {verb(totals.total, 'was', 'were')} active: "
            f"{totals.new} new, {totals.resolved} resolved, {totals.open} still open"
        )
        if most_active:
            top = most_active[0].ticket
            figures += f"; the busiest is {name(top)} {quote(excerpt(top.title, limit=_SUBJECT_CHARS))}"
            cited.append(ref(top))
        sentences.append(figures + ".")
    if waiting:
        first = waiting[0]
        line = f"{name(first)} has waited longest for a first team reply ({_age(first, period.end)})"
        if len(waiting) > 1:
            line += f"; {len(waiting)} tickets are waiting in all"
        sentences.append(line + ".")
        cited.append(ref(first))
    else:
        sentences.append("Every open ticket has had a team reply.")
    return Cited(text=" ".join(sentences), tickets=tuple(dict.fromkeys(cited)))


def _main_problem(group: IssueGroup, *, name) -> str:
    parts = group.parts
    subject = quote(excerpt(parts.error, limit=_SUBJECT_CHARS)) if parts and parts.error else None
    subject = subject or quote(excerpt(group.title, limit=_SUBJECT_CHARS))
    where = ""
    if parts is not None and parts.product and parts.version:
        where = f" on {parts.product} {parts.version}"
    elif parts is not None and parts.product:
        where = f" in {parts.product}"
    who = f"{count(len(group.tickets), 'ticket')}"
    if parts is not None and parts.people:
        who += f" from {count(parts.people, 'person', 'people')}"
    listed = ", ".join(name(t) for t in group.tickets[:4])
    if len(group.tickets) > 4:
        listed += f" and {len(group.tickets) - 4} more"
    return f"The main problem is {subject}{where}: {who} ({listed})."


def _fix_sentence(group: IssueGroup, *, name: Callable[[TicketRef], str]) -> str | None:
    parts = group.parts
    if parts is None:
        return None
    kind = parts.status_kind
    if kind in ("fix_released", "fix_coming"):
        fix = parts.fix_version
        if parts.fix_fails is not None:
            fails = parts.fix_fails.tickets[0] if parts.fix_fails.tickets else None
            where = f" ({name(fails)})" if fails is not None else ""
            target = f"the fix in {fix}" if fix else "the fix"
            return f"A reporter says {target} does not work{where}."
        if kind == "fix_released":
            return f"A fix is out in {fix}." if fix else "A fix is out."
        meanwhile = "; a workaround is given" if parts.has_workaround else "; no workaround yet"
        return f"A fix is coming in {fix}{meanwhile}." if fix else f"A fix is coming{meanwhile}."
    said_on = parts.status.tickets[0] if parts.status.tickets else None
    if kind == "workaround" and said_on is not None:
        return f"The team gave a workaround ({name(said_on)})."
    return {
        "workaround": "The team gave a workaround.",
        "needs_info": "The team asked reporters for more information.",
        "investigating": "The team is investigating.",
        "answered": "The team replied, without a fix or workaround yet.",
        "no_reply": "No team reply yet.",
    }.get(kind)


def _age(ticket: Ticket, end: datetime) -> str:
    return human_duration(end - ticket.created_at)
