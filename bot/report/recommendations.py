"""Recommendations derived from the period's data: each actionable, citing its tickets and its figure.

Only rules whose evidence is in the data fire; there is no generic advice. Each rule has a weight; a
recommendation's impact is its weight times the tickets (or people) it concerns, and at most
`max_recommendations` (5) are kept, largest impact first:

| kind        | what                                                                   | weight |
|-------------|------------------------------------------------------------------------|--------|
| fix_fails   | a reporter says it still fails after the team's "fixed in X"           | 4      |
| waiting     | open tickets past the response target without a team reply             | 3      |
| regression  | a product version shared by tickets that also share a symptom (a group) | 2.5    |
| reopened    | tickets reopened after being closed                                     | 2      |
| triage      | new open tickets without any label                                      | 1.5    |
| label_rise  | a label (not a workflow label) whose new tickets rose: at least         | 1.5    |
|             | `label_rise_min` and `label_rise_factor` times the previous period's    |        |
| duplicates  | open tickets the team marked as duplicates: close them                  | 1      |
| long_open   | tickets open longer than `long_open` with new community comments        | 1      |
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fnmatch import fnmatchcase

from bot.report.activity import closed_by, comments_in, is_team
from bot.report.models import (
    SUGGEST_CLOSE_DUPLICATE,
    SUGGEST_LABEL,
    SUGGEST_REPLY,
    Comment,
    IssueGroup,
    LabelStat,
    Period,
    Recommendation,
    ResponseTimes,
    SuggestedAction,
    Ticket,
    TicketRef,
    ref,
)
from bot.report.options import ReportOptions
from bot.report.relations import TicketLink, marked_duplicates
from bot.report.wording import count, human_duration, number_name, ticket_name, verb

MAX_CITED = 8  # tickets named in one recommendation's text

WEIGHTS = {
    "fix_fails": 4.0,
    "waiting": 3.0,
    "regression": 2.5,
    "reopened": 2.0,
    "triage": 1.5,
    "label_rise": 1.5,
    "duplicates": 1.0,
    "long_open": 1.0,
}


def recommend(
    active: Sequence[Ticket],
    comments: Mapping[tuple[str, int], Sequence[Comment]],
    *,
    period: Period,
    labels: Sequence[LabelStat],
    response: ResponseTimes,
    options: ReportOptions,
    groups: Sequence[IssueGroup] = (),
    links: Mapping[tuple[str, int], Sequence[TicketLink]] | None = None,
) -> tuple[Recommendation, ...]:
    by_key = {t.key: t for t in active}
    names = _Names(several_repos=len({t.repo for t in active}) > 1)
    found = [
        *_fix_fails(groups, names=names),
        _awaiting(response, by_key, period=period, options=options, names=names),
        *_regressions(groups, by_key, period=period, names=names),
        _reopened(active, names=names),
        _triage(active, period=period, names=names),
        _label_rise(labels, active, period=period, options=options),
        _duplicates(active, links or {}, period=period, names=names),
        _long_open(active, comments, period=period, options=options, names=names),
    ]
    kept = [r for r in found if r is not None]
    kept.sort(key=lambda r: (-r.impact, list(WEIGHTS).index(r.kind)))
    return tuple(kept[: options.max_recommendations])


class _Names:
    def __init__(self, *, several_repos: bool) -> None:
        self.several_repos = several_repos

    def one(self, ticket: Ticket | TicketRef) -> str:
        return ticket_name(ticket, several_repos=self.several_repos)

    def number(self, repo: str, number: int) -> str:
        return number_name(repo, number, several_repos=self.several_repos)

    def many(self, items: Sequence[str]) -> str:
        shown = ", ".join(items[:MAX_CITED])
        return shown + (f" and {len(items) - MAX_CITED} more" if len(items) > MAX_CITED else "")


def _open_at(ticket: Ticket, period: Period) -> bool:
    return not closed_by(ticket, period.end)  # neither resolved nor not planned by its end


def _make(
    kind: str,
    *,
    title: str,
    text: str,
    tickets: Sequence[TicketRef],
    size: int,
    actions: Sequence[SuggestedAction] = (),
) -> Recommendation:
    return Recommendation(
        title=title,
        text=text,
        tickets=tuple(tickets),
        kind=kind,
        impact=round(WEIGHTS[kind] * size, 2),
        actions=tuple(actions),
    )


def _fix_fails(groups: Sequence[IssueGroup], *, names: _Names) -> list[Recommendation]:
    out = []
    for group in groups:
        parts = group.parts
        if (
            parts is None
            or parts.fix_fails is None
            or parts.status_kind not in ("fix_released", "fix_coming")
        ):
            continue
        fix = parts.fix_version or "the fix"
        failing = parts.fix_fails.tickets
        members = names.many([names.one(t) for t in group.tickets])
        out.append(
            _make(
                "fix_fails",
                title=f"Check the fix: {fix} does not work for everyone",
                text=(
                    f"{parts.fix_fails.text.rstrip('.')}, after the team's fix for {_quoted_title(group)} "
                    f"({count(len(group.tickets), 'ticket')}: {members})."
                ),
                tickets=_unique_refs([*failing, *group.tickets]),
                size=len(group.tickets),
            )
        )
    return out


def _quoted_title(group: IssueGroup) -> str:
    return f"“{group.title}”"


def _awaiting(
    response: ResponseTimes,
    by_key: Mapping[tuple[str, int], Ticket],
    *,
    period: Period,
    options: ReportOptions,
    names: _Names,
) -> Recommendation | None:
    late = [
        by_key[(r.repo, r.number)]
        for r in response.awaiting_response
        if (r.repo, r.number) in by_key
        and period.end - by_key[(r.repo, r.number)].created_at > options.response_target
    ]
    if not late:
        return None
    late.sort(key=lambda t: t.created_at)
    waits = [f"{names.one(t)} ({human_duration(period.end - t.created_at)})" for t in late]
    hours = options.response_target.total_seconds() / 3600
    target = f"{hours:g}-hour" if hours < 72 else human_duration(options.response_target)
    noun = "ticket has" if len(late) == 1 else "tickets have"
    return _make(
        "waiting",
        title="Answer the tickets waiting for a first response",
        text=(
            f"{len(late)} open {noun} waited longer than the {target} response target "
            f"without a team reply, the longest first: {names.many(waits)}."
        ),
        tickets=[ref(t) for t in late],
        size=len(late),
        actions=[SuggestedAction(SUGGEST_REPLY, t.repo, t.number) for t in late],
    )


def _regressions(
    groups: Sequence[IssueGroup],
    by_key: Mapping[tuple[str, int], Ticket],
    *,
    period: Period,
    names: _Names,
) -> list[Recommendation]:
    """A product version shared by at least two tickets of one group: same symptom, same version."""
    out = []
    for group in groups:
        parts = group.parts
        if parts is None or parts.version is None or parts.product is None:
            continue
        holders = [by_key[(t.repo, t.number)] for t in parts.affected.tickets if (t.repo, t.number) in by_key]
        if len(holders) < 2:
            continue
        if parts.status_kind in ("fix_released", "fix_coming"):
            continue  # the team has a fix: a failing one is its own recommendation
        still_open = sum(_open_at(t, period) for t in holders)
        tail = f"; {still_open} {verb(still_open, 'is', 'are')} still open" if still_open else ""
        symptom = parts.error or group.title
        out.append(
            _make(
                "regression",
                title=f"Check {parts.product} {parts.version} for a regression",
                text=(
                    f"{len(holders)} tickets on {parts.product} {parts.version} report the same problem, "
                    f"“{symptom}” ({names.many([names.one(t) for t in holders])}){tail}."
                ),
                tickets=[ref(t) for t in holders],
                size=len(holders),
            )
        )
    return out


def _reopened(active: Sequence[Ticket], *, names: _Names) -> Recommendation | None:
    reopened = sorted((t for t in active if t.state_reason == "reopened"), key=lambda t: t.number)
    if not reopened:
        return None
    noun = "ticket was" if len(reopened) == 1 else "tickets were"
    return _make(
        "reopened",
        title="Review reopened tickets",
        text=(
            f"{len(reopened)} {noun} reopened after being closed "
            f"({names.many([names.one(t) for t in reopened])}): the fix or answer may not have held."
        ),
        tickets=[ref(t) for t in reopened],
        size=len(reopened),
    )


def _triage(active: Sequence[Ticket], *, period: Period, names: _Names) -> Recommendation | None:
    unlabelled = sorted(
        (t for t in active if period.contains(t.created_at) and not t.labels and _open_at(t, period)),
        key=lambda t: t.number,
    )
    if not unlabelled:
        return None
    n = len(unlabelled)
    return _make(
        "triage",
        title="Triage new tickets without a label",
        text=(
            f"{count(n, 'new ticket')} {verb(n, 'has', 'have')} no label yet "
            f"({names.many([names.one(t) for t in unlabelled])}); label {verb(n, 'it', 'them')} so "
            f"{verb(n, 'it reaches', 'they reach')} the right people."
        ),
        tickets=[ref(t) for t in unlabelled],
        size=n,
        actions=[SuggestedAction(SUGGEST_LABEL, t.repo, t.number) for t in unlabelled],
    )


def is_workflow_label(label: str, patterns: Sequence[str]) -> bool:
    lowered = label.lower()
    return any(fnmatchcase(lowered, pattern) for pattern in patterns)


def _label_rise(
    labels: Sequence[LabelStat], active: Sequence[Ticket], *, period: Period, options: ReportOptions
) -> Recommendation | None:
    risen = [
        row
        for row in labels
        if not is_workflow_label(row.label, options.workflow_labels)
        and row.received >= options.label_rise_min
        and row.received >= options.label_rise_factor * row.previous_received
    ]
    if not risen:
        return None
    row = max(risen, key=lambda r: (r.received - r.previous_received, r.label))
    change = (
        f"up from {row.previous_received} in the previous period of equal length"
        if row.previous_received
        else "none in the previous period of equal length"
    )
    pending = f"; {row.pending} {verb(row.pending, 'is', 'are')} still open" if row.pending else ""
    return _make(
        "label_rise",
        title=f"More '{row.label}' tickets than before",
        text=f"{count(row.received, 'new ticket')} labelled '{row.label}' in this period, {change}{pending}.",
        tickets=[
            ref(t)
            for t in sorted(active, key=lambda t: t.number)
            if row.label in t.labels and period.contains(t.created_at)
        ],
        size=row.received,
    )


def _duplicates(
    active: Sequence[Ticket],
    links: Mapping[tuple[str, int], Sequence[TicketLink]],
    *,
    period: Period,
    names: _Names,
) -> Recommendation | None:
    still_open = [t for t in active if _open_at(t, period)]
    marked = sorted(
        marked_duplicates(still_open, {k: list(v) for k, v in links.items()}), key=lambda i: i[0].number
    )
    if not marked:
        return None
    described = [
        f"{names.one(t)} (of {names.number(t.repo, original)})" if original else names.one(t)
        for t, original in marked
    ]
    n = len(marked)
    return _make(
        "duplicates",
        title="Close tickets marked as duplicates",
        text=(
            f"{count(n, 'open ticket')} {verb(n, 'was', 'were')} marked as a duplicate by the team but "
            f"{verb(n, 'is', 'are')} still open: {names.many(described)}."
        ),
        tickets=[ref(t) for t, _ in marked],
        size=n,
        # Only a duplicate whose original is known can be closed from a button (the drill-down's
        # Close menu asks for the number otherwise).
        actions=[
            SuggestedAction(SUGGEST_CLOSE_DUPLICATE, t.repo, t.number, duplicate_of=original)
            for t, original in marked
            if original and original != t.number
        ],
    )


def _long_open(
    active: Sequence[Ticket],
    comments: Mapping[tuple[str, int], Sequence[Comment]],
    *,
    period: Period,
    options: ReportOptions,
    names: _Names,
) -> Recommendation | None:
    found: list[tuple[Ticket, int]] = []
    for ticket in active:
        if not _open_at(ticket, period) or period.end - ticket.created_at <= options.long_open:
            continue
        community = [
            c
            for c in comments_in(period, comments.get(ticket.key, ()))
            if not c.author_is_bot and not is_team(c, ticket, options.team_logins)
        ]
        if community:
            found.append((ticket, len(community)))
    if not found:
        return None
    found.sort(key=lambda item: (-item[1], item[0].number))
    described = [
        f"{names.one(t)} ({human_duration(period.end - t.created_at).split()[0]} open, "
        f"{count(n, 'new comment')})"
        for t, n in found
    ]
    return _make(
        "long_open",
        title="Revisit long-open tickets that are active again",
        text=(
            f"{count(len(found), 'ticket')} open longer than {human_duration(options.long_open)} "
            f"got new community comments: {names.many(described)}."
        ),
        tickets=[ref(t) for t, _ in found],
        size=len(found),
    )


def _unique_refs(refs: Sequence[TicketRef]) -> list[TicketRef]:
    return list(dict.fromkeys(refs))
