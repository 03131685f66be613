"""Report -> Slack messages: Block Kit blocks plus fallback text, split across messages when needed.

The report reads top to bottom as the Markdown does: a header, the headline, context (generated,
period, repositories), Summary fields, tickets by label, response times, the most active tickets (one
section each, with a Details button), common issues (the four labelled parts of a summary written from
the tickets, or the model's summary; a Details button per ticket) and recommendations; then, when they
apply, a footer of context lines: the tickets left out and which parts a language model wrote. A
statement that cites tickets (the headline, each part) links each cited ticket once, as `<url|#N>`:
where its text names it, or in brackets after it (`citations.py`). The first message's notification
text is the headline when there is one. Data read from the mirror adds "data as of HH:MM" to the
context of the generated time.
Blocks are built with `slack_sdk.models.blocks` and `to_dict()`, which rejects some over-long parts;
the rest of Slack's limits (`slack_limits.py`) are met by construction: every piece of text has a
budget, lists are cut into several sections, and whole blocks are packed into messages of at most
MAX_BLOCKS blocks and MAX_BLOCKS_JSON characters (`slack_parts.paginate`). Nothing is dropped: a
report too big for one message continues in the next, which starts with a context "continued (2/3)"
(and repeats the heading of a section cut in two). Only a single oversized text (a 5,000-character
summary, a 60,000-character title) is shortened, visibly, with "…".

All GitHub text goes through `escape.escape_slack` / `escape.slack_link`, and every mrkdwn object is
`verbatim` so Slack does not turn bare URLs or channel names in it into links.

Buttons (for the drill-down): a most-active ticket's button reads "Details" and has action_id
`ticket_details:<i>` (i = its 0-based place in `report.most_active`); a common-issue ticket's button
reads "Details #N" with action_id `ticket_details:group<g>:<i>`. Both carry the value
`{"repo":"owner/name","number":N}` (JSON). The action_ids are unique across the whole report, hence
within each message; a handler matches them all with the regex `^ticket_details`
(DETAILS_ACTION_PATTERN).
"""

from __future__ import annotations

from slack_sdk.models.blocks import ActionsBlock, HeaderBlock

from bot.render.citations import has_text, link_mentions, summary_parts
from bot.render.escape import clip_slack, escape_slack, slack_link, utf16_len
from bot.render.formatting import (
    LEFT_OUT,
    NO_ACTIVITY,
    NO_GROUPS,
    NO_LABELS,
    NO_RECOMMENDATIONS,
    REPORT_TITLE,
    TOTAL_WORDS,
    breakdown_line,
    describe_durations,
    exclusion_reason,
    exclusions_shown,
    format_as_of,
    format_datetime,
    format_score,
    home_repo,
    most_active_heading,
    plural,
    ticket_label,
    title_or_placeholder,
    with_change,
    written_by_sentence,
)
from bot.render.slack_limits import (
    MAX_ACTIONS_ELEMENTS,
    MAX_CONTEXT_TEXT,
    MAX_FALLBACK_TEXT,
    MAX_HEADER_TEXT,
    MAX_SECTION_TEXT,
    InvalidSlackMessage,
    SlackMessage,
    message_problems,
    validate_message,
)
from bot.render.slack_parts import (
    Unit,
    context,
    details_button,
    divider,
    fields_section,
    mrkdwn,
    paginate,
    plain,
    section,
    units_from_lines,
    wrap,
    wrap_runs,
)
from bot.report.models import Cited, Exclusion, IssueGroup, Report, ScoredTicket, TicketRef

__all__ = [
    "DETAILS_ACTION_ID",
    "DETAILS_ACTION_PATTERN",
    "InvalidSlackMessage",
    "SlackMessage",
    "message_problems",
    "render_messages",
    "validate_message",
]

DETAILS_ACTION_ID = "ticket_details"
DETAILS_ACTION_PATTERN = r"^ticket_details"

# Budgets of single pieces of text, in UTF-16 units, after escaping.
_LINK_LABEL = 150
_TITLE_LINE = 200
_BREAKDOWN_LINE = 300
_LABEL_NAME = 100
_REPOS_LINE = 1500
_LINK_LIST_LINE = 1500
_PART_TEXT = 1200  # one labelled part of a group summary
_CITED_LINKS = 600  # the links of one statement's cited tickets
_HEADLINE_LINKS = 1000
_FALLBACK_HEADLINE = 1000
_REASON = 100  # an exclusion's reason
_EXCLUSION_LINKS = 400
_BUTTONS_PER_BLOCK = 10  # 25 are allowed; 10 keep an actions block small whatever the repo names
_MORE_ROOM = 40  # room for "… and 12 more"


# --- the report's parts -------------------------------------------------------------------------------


class _Context:
    """What every part needs: the report and how to name its tickets."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.home = home_repo(report.repos)

    def label(self, repo: str, number: int) -> str:
        return ticket_label(repo, number, home_repo=self.home)

    def link(self, repo: str, number: int, url: str, title: str | None) -> str:
        """<url|#685 title>, the title escaped and shortened."""
        text = f"{self.label(repo, number)} {title_or_placeholder(title)}"
        return slack_link(url, text, max_label=_LINK_LABEL)

    def ref_link(self, ticket: TicketRef) -> str:
        return self.link(ticket.repo, ticket.number, ticket.url, ticket.title)

    def short_link(self, ticket: TicketRef) -> str:
        """<url|#685> without the title (for lists of cited tickets)."""
        return slack_link(ticket.url, self.label(ticket.repo, ticket.number), max_label=_LINK_LABEL)

    def short_links(self, tickets: tuple[TicketRef, ...], *, budget: int) -> tuple[list[str], int]:
        """Short links of the first tickets that fit `budget` units (", " counted), and how many did not."""
        links: list[str] = []
        size = 0
        for ticket in tickets:
            link = self.short_link(ticket)
            size += utf16_len(link) + 2
            if size > budget:
                break
            links.append(link)
        return links, len(tickets) - len(links)

    def cited(
        self,
        statement: Cited,
        *,
        lead: str = "",
        limit: int,
        links_budget: int = _CITED_LINKS,
        list_rest: bool = True,
    ) -> str:
        """`lead` and the statement's escaped text, its cited tickets linked, in at most `limit` units.

        The text is clipped (visibly, "…") to leave room for the links, which are never cut: a
        ticket the text names becomes a link in place, the others follow in brackets (unless
        `list_rest` is false: a group's summary is followed by its ticket list anyway), and tickets
        beyond `links_budget` are counted ("and 3 more").
        """
        links, hidden = self.short_links(statement.tickets, budget=links_budget)
        shown = statement.tickets[: len(links)]
        more = f"and {hidden} more" if hidden and list_rest else ""
        # Each shown ticket adds at most its link and ", "; the brackets and "and N more" take the rest.
        room = limit - utf16_len(lead) - sum(utf16_len(link) + 2 for link in links) - utf16_len(more) - 4
        full = escape_slack(statement.text)
        text, rest = link_mentions(
            full,
            shown,
            link=lambda ticket, label: slack_link(ticket.url, label, max_label=_LINK_LABEL),
            shown=clip_slack(full, room),
        )
        trailing = [*(self.short_link(ticket) for ticket in rest), *([more] if more else [])]
        if trailing and list_rest:
            text = f"{text} ({', '.join(trailing)})" if text else f"({', '.join(trailing)})"
        return lead + text


# Slack readers scan; a group of 80 tickets listed in full would flood the channel with messages.
LIST_LIMIT = 8


def _top(ctx: _Context) -> list[Unit]:
    report = ctx.report
    header = HeaderBlock(text=plain(f"{REPORT_TITLE}: {report.period.label}", MAX_HEADER_TEXT)).to_dict()
    top = (header,)
    if has_text(report.headline.text):
        headline = ctx.cited(report.headline, limit=MAX_SECTION_TEXT, links_budget=_HEADLINE_LINKS)
        top = (header, section(headline))
    when = (
        f"Generated {escape_slack(format_datetime(report.generated_at))}"
        f" · Period: {clip_slack(escape_slack(report.period.label), 200)}"
        f" · Compared with: {clip_slack(escape_slack(report.previous_period.label), 200)}"
    )
    repos = [clip_slack(escape_slack(repo), _LABEL_NAME) for repo in report.repos]
    runs = wrap_runs(repos, prefix="Repositories: ", limit=_REPOS_LINE)
    repos_line = "Repositories: " + (", ".join(runs[0]) if runs else "none")
    if len(runs) > 1:
        repos_line += f" and {len(repos) - len(runs[0])} more"
    when_block = context(when)
    as_of = format_as_of(report)
    if as_of:
        # A second element of the same context block (Slack allows ten): no block is added.
        when_block["elements"].append(mrkdwn(f"· data as of {as_of}").to_dict())
    # Two units: a headline near the section limit and the context lines may not fit one message's share.
    return [Unit(blocks=top), Unit(blocks=(when_block, context(repos_line)))]


def _summary(ctx: _Context) -> list[Unit]:
    totals, previous = ctx.report.totals, ctx.report.previous_totals
    fields = [
        f"*{words}*\n{with_change(getattr(totals, key), getattr(previous, key))}"
        for key, words in TOTAL_WORDS
    ]
    return [Unit(blocks=(fields_section("*Summary*", fields),), section="Summary", opens_section=True)]


def _labels(ctx: _Context) -> list[Unit]:
    heading = "Tickets by label"
    lines = [f"*{heading}*"]
    if not ctx.report.labels:
        lines.append(NO_LABELS)
    for stat in ctx.report.labels:
        name = clip_slack(escape_slack(stat.label), _LABEL_NAME) or "(no name)"
        counts = f"received {stat.received} · resolved {stat.resolved} · pending {stat.pending}"
        lines.append(f"• {name}: {counts}")
    return units_from_lines(lines, section_name=heading, lead=(divider(),))


def _response_times(ctx: _Context) -> list[Unit]:
    heading = "Response times"
    times = ctx.report.response_times
    waiting = times.awaiting_response
    fields = [
        f"*First team response*\n{describe_durations(times.first_response)}",
        f"*Time to close*\n{describe_durations(times.close)}",
        f"*Awaiting a first team response*\n{plural(len(waiting), 'ticket') if waiting else 'none'}",
    ]
    units = [
        Unit(blocks=(divider(), fields_section(f"*{heading}*", fields)), section=heading, opens_section=True)
    ]
    if waiting:
        lines = [f"*Awaiting a first team response ({len(waiting)})*"]
        lines.extend(f"• {ctx.ref_link(ticket)}" for ticket in waiting[:LIST_LIMIT])
        lines.extend(_more(len(waiting)))
        units.extend(units_from_lines(lines, section_name=heading, opens=False))
    return units


def _more(count: int) -> list[str]:
    """Long ticket lists are shortened in Slack, saying so; Markdown and JSON carry every ticket."""
    if count <= LIST_LIMIT:
        return []
    return [f"… and {count - LIST_LIMIT} more (every ticket is in the Markdown and JSON reports)"]


def _ticket_text(ctx: _Context, rank: int, scored: ScoredTicket) -> str:
    ticket = scored.ticket
    link = ctx.link(ticket.repo, ticket.number, ticket.url, ticket.title)
    lines = [f"*{rank}.* {link} · score *{format_score(scored.score)}*"]
    size = utf16_len(lines[0])
    for shown, item in enumerate(scored.breakdown):
        reason = clip_slack(escape_slack(item.reason), _BREAKDOWN_LINE - 20)
        line = f"• {breakdown_line(reason, item.count, item.points)}"
        if size + 1 + utf16_len(line) > MAX_SECTION_TEXT - _MORE_ROOM:
            lines.append(f"… and {len(scored.breakdown) - shown} more")
            break
        lines.append(line)
        size += 1 + utf16_len(line)
    return "\n".join(lines)


def _most_active(ctx: _Context) -> list[Unit]:
    heading = most_active_heading(len(ctx.report.most_active))
    if not ctx.report.most_active:
        return units_from_lines([f"*{heading}*", NO_ACTIVITY], section_name=heading, lead=(divider(),))
    units = []
    for index, scored in enumerate(ctx.report.most_active):
        ticket = scored.ticket
        button = details_button(ticket.repo, ticket.number, action_id=f"{DETAILS_ACTION_ID}:{index}")
        block = section(_ticket_text(ctx, index + 1, scored), accessory=button)
        if index == 0:
            lead = (divider(), section(f"*{heading}*"))
            units.append(Unit(blocks=(*lead, block), section=heading, opens_section=True))
        else:
            units.append(Unit(blocks=(block,), section=heading))
    return units


def _group_buttons(ctx: _Context, group_index: int, tickets: tuple[TicketRef, ...]) -> list[Unit]:
    buttons = []
    for index, ticket in enumerate(tickets):
        button = details_button(
            ticket.repo,
            ticket.number,
            action_id=f"{DETAILS_ACTION_ID}:group{group_index}:{index}",
            text=f"Details {ctx.label(ticket.repo, ticket.number)}",
        )
        if button is not None:
            buttons.append(button)
    units = []
    per_block = min(_BUTTONS_PER_BLOCK, MAX_ACTIONS_ELEMENTS)
    for start in range(0, len(buttons), per_block):
        block = ActionsBlock(elements=buttons[start : start + per_block]).to_dict()
        units.append(Unit(blocks=(block,), section="Common issues"))
    return units


def _group_summary(ctx: _Context, group: IssueGroup, *, room: int) -> list[str]:
    """The labelled parts written from the tickets, else the summary clipped to `room`."""
    parts = summary_parts(group)
    if parts is not None:
        return [
            ctx.cited(statement, lead=f"*{words}:* ", limit=_PART_TEXT + _CITED_LINKS)
            for words, statement in parts
        ]
    if not has_text(group.summary):
        return []
    return [ctx.cited(Cited(group.summary, group.tickets), limit=room, list_rest=False)]


def _common_issues(ctx: _Context) -> list[Unit]:
    heading = "Common issues"
    groups = ctx.report.common_issues
    if not groups:
        return units_from_lines([f"*{heading}*", NO_GROUPS], section_name=heading, lead=(divider(),))
    units: list[Unit] = []
    for index, group in enumerate(groups):
        first = index == 0
        lines = [f"*{heading}*"] if first else []
        title = clip_slack(escape_slack(title_or_placeholder(group.title)), _TITLE_LINE)
        lines.append(f"*{index + 1}. {title}*")
        lines.extend(_group_summary(ctx, group, room=MAX_SECTION_TEXT - utf16_len("\n".join(lines)) - 1))
        lines.extend(f"• {ctx.ref_link(ticket)}" for ticket in group.tickets[:LIST_LIMIT])
        lines.extend(_more(len(group.tickets)))
        lead = (divider(),) if first else ()
        units.extend(units_from_lines(lines, section_name=heading, lead=lead, opens=first))
        units.extend(_group_buttons(ctx, index, group.tickets[:LIST_LIMIT]))
    return units


def _recommendations(ctx: _Context) -> list[Unit]:
    heading = "Recommendations"
    lines = [f"*{heading}*"]
    if not ctx.report.recommendations:
        lines.append(NO_RECOMMENDATIONS)
    for rec in ctx.report.recommendations:
        title = clip_slack(escape_slack(title_or_placeholder(rec.title)), _TITLE_LINE)
        head = f"• *{title}*: "
        text = clip_slack(escape_slack(rec.text), MAX_SECTION_TEXT - 100 - utf16_len(head))
        lines.append(head + text if text else head.rstrip(": "))
        cited = [ctx.short_link(ticket) for ticket in rec.tickets[: LIST_LIMIT * 2]]
        if len(rec.tickets) > LIST_LIMIT * 2:
            cited.append(f"and {len(rec.tickets) - LIST_LIMIT * 2} more")
        lines.extend(wrap(cited, prefix="      Tickets: ", limit=_LINK_LIST_LINE))
    return units_from_lines(lines, section_name=heading, lead=(divider(),))


def _footer(ctx: _Context) -> list[Unit]:
    """Context lines after a divider: the tickets left out, and which parts a model wrote."""
    lines = []
    count, excluded = exclusions_shown(ctx.report.excluded)
    if excluded:
        lines.append(_left_out(ctx, count, excluded))
    written_by = written_by_sentence(ctx.report)
    if written_by:
        lines.append(clip_slack(escape_slack(written_by), MAX_CONTEXT_TEXT))
    units = [Unit(blocks=(context(line),)) for line in lines]
    if units:
        units[0] = Unit(blocks=(divider(), *units[0].blocks))
    return units


def _left_out(ctx: _Context, count: int, excluded: list[Exclusion]) -> str:
    """The line "Left out: 3 tickets — 2 pinned (#12, #14), 1 labelled announcement (#40)." for a context."""
    head = f"{LEFT_OUT}: {plural(count, 'ticket')} — "
    items: list[str] = []
    size = utf16_len(head)
    for shown, exclusion in enumerate(excluded):
        reason = clip_slack(escape_slack(exclusion_reason(exclusion.reason)), _REASON)
        links, hidden = ctx.short_links(exclusion.tickets, budget=_EXCLUSION_LINKS)
        if hidden:
            links.append(f"and {hidden} more")
        item = f"{len(exclusion.tickets)} {reason} ({', '.join(links)})"
        if size + utf16_len(item) + 2 > MAX_CONTEXT_TEXT - _MORE_ROOM:
            items.append(f"and {len(excluded) - shown} more reasons")
            break
        items.append(item)
        size += utf16_len(item) + 2
    return head + ", ".join(items) + "."


# --- messages ----------------------------------------------------------------------------------------


def _fallback(report: Report, *, page: int, pages: int) -> str:
    label = clip_slack(escape_slack(report.period.label), 200)
    if page == 1 and has_text(report.headline.text):
        text = f"Ticket report {label}: {clip_slack(escape_slack(report.headline.text), _FALLBACK_HEADLINE)}"
    elif page == 1:
        totals = report.totals
        text = (
            f"Ticket report {label}: {plural(totals.total, 'ticket')},"
            f" {totals.resolved} resolved, {totals.open} open"
        )
    else:
        text = f"Ticket report {label} (continued {page}/{pages})"
    return clip_slack(text, MAX_FALLBACK_TEXT)


def render_messages(report: Report) -> list[SlackMessage]:
    """The report as one or more Slack messages, in posting order, each within Slack's limits."""
    ctx = _Context(report)
    units = [
        *_top(ctx),
        *_summary(ctx),
        *_labels(ctx),
        *_response_times(ctx),
        *_most_active(ctx),
        *_common_issues(ctx),
        *_recommendations(ctx),
        *_footer(ctx),
    ]
    label = clip_slack(escape_slack(report.period.label), 200)
    return paginate(
        units,
        title=f"{REPORT_TITLE}: {label}",
        fallback=lambda page, pages: _fallback(report, page=page, pages=pages),
    )
