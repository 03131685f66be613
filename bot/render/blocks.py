"""Report -> Slack messages: Block Kit blocks plus fallback text, split across messages when needed.

What a support lead came for comes first; every figure stays in the Markdown and JSON reports:

1. a header naming the period and its zone ("Support Ticket Report: Mon 14 Apr 2025, Europe/Berlin");
2. the headline, its cited tickets linked;
3. the recommendations, one line each with the tickets they concern, and, when `actions` says someone
   may act from Slack, the buttons that act on them ("Close #688 as duplicate of #686");
4. the common issues: title, the labelled parts of the summary written from the tickets (or the
   model's summary), then a line of ticket links with an overflow menu to drill into them;
5. the most active tickets, one line each: link, score and its two largest reasons in words ("8.4:
   2 community comments, 2 people, 1h ago"), with a Details menu beside each five; the full
   breakdown is in the Details reply;
6. the figures: the totals in one line, a change shown only where there is one ("3 active (+1) · 1
   resolved · 2 open · 1 new"), then one context: the period compared with, labels, response times,
   the tickets awaiting a first team response, the repositories and when the report was made (in the
   period's zone; "data as of" when it was read from the mirror);
7. context lines naming the tickets left out and the parts a language model wrote.
Sections with nothing to say (no recommendations, no common issues) are left out. A period without
ticket activity is one short message instead ("No ticket activity on Mon 14 Apr 2025 (UTC) in
o/support."), with what still waits for a first team response, if anything. A statement that cites
tickets (the headline, a recommendation, each part) links each cited ticket once, as `<url|#N>`:
where its text names it, or in brackets after it (`citations.py`). The first message's notification
text is the period with its zone and the headline.

Drill-down controls: one per ticket in the whole report, so never two for a ticket in one message.
The most active tickets' lines come in sections of up to five, each with an overflow menu
`ticket_details:active<r>` (r = the section's place) of "Details #N" options in rank order. A
common-issue ticket not among them is an option of the menu `ticket_details:group<g>` beside its
group g (more than five such tickets: further menus `ticket_details:group<g>:<n>` in an actions block
under the group). A ticket whose value is too long for an option (a repository name of over 120
characters) gets a button `...:b<i>` in that actions block instead. Every control carries the value
`{"repo":"owner/name","number":N}` (JSON): a button as its `value`, an option as the overflow's
`selected_option.value`. The action_ids are unique across the report; a handler matches them all
with the regex `^ticket_details` (DETAILS_ACTION_PATTERN).

Blocks are built with `slack_sdk.models.blocks` and `to_dict()`, which rejects some over-long parts;
the rest of Slack's limits (`slack_limits.py`) are met by construction: every piece of text has a
budget, lists are cut into several sections, and whole blocks are packed into messages of at most
MAX_BLOCKS blocks and MAX_BLOCKS_JSON characters (`slack_parts.paginate`). Nothing is dropped: a
report too big for one message continues in the next, which starts with a context "continued (2/3)"
(and repeats the heading of a section cut in two). Only a single oversized text (a 5,000-character
summary, a 60,000-character title) is shortened, visibly, with "…".

All GitHub text goes through `escape.escape_slack` / `escape.slack_link`, and every mrkdwn object is
`verbatim` so Slack does not turn bare URLs or channel names in it into links. Plain text (the header,
button and option labels) holds only our own words and ticket numbers.
"""

from __future__ import annotations

from slack_sdk.models.blocks import ActionsBlock, BlockElement, HeaderBlock

from bot.render.action_blocks import (
    BULK_CLOSE_DUPLICATE,
    BULK_LABEL,
    BULK_REPLY,
    BulkTarget,
    recommendation_actions,
)
from bot.render.citations import has_text, link_mentions, summary_parts
from bot.render.escape import clip_slack, escape_slack, slack_link, utf16_len
from bot.render.formatting import (
    COMPACT_TOTALS,
    LEFT_OUT,
    REPORT_TITLE,
    compact_change,
    compact_durations,
    exclusion_reason,
    exclusions_shown,
    format_score,
    format_time_in,
    home_repo,
    leading_reasons,
    most_active_heading,
    no_activity_line,
    period_days,
    period_words,
    plural,
    reason_words,
    ticket_label,
    title_or_placeholder,
    written_by_sentence,
)
from bot.render.slack_limits import (
    MAX_CONTEXT_TEXT,
    MAX_FALLBACK_TEXT,
    MAX_HEADER_TEXT,
    MAX_OVERFLOW_OPTIONS,
    MAX_SECTION_TEXT,
    InvalidSlackMessage,
    SlackMessage,
    message_problems,
    validate_message,
)
from bot.render.slack_parts import (
    Block,
    Unit,
    context,
    details_button,
    details_option,
    divider,
    overflow,
    paginate,
    plain,
    section,
    units_from_lines,
    wrap_runs,
)
from bot.report.models import (
    SUGGEST_CLOSE_DUPLICATE,
    SUGGEST_LABEL,
    SUGGEST_REPLY,
    Cited,
    Exclusion,
    IssueGroup,
    Recommendation,
    Report,
    ScoredTicket,
    TicketRef,
)

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
_ACTIVE_LABEL = 60  # a most-active ticket's number and title: its line should stay one line
_TITLE_LINE = 200
_LABEL_NAME = 100
_PART_TEXT = 1200  # one labelled part of a group summary
_RECOMMENDATION_TEXT = 1000
_CITED_LINKS = 600  # the links of one statement's cited tickets
_HEADLINE_LINKS = 1000
_GROUP_LINKS = 1200  # a group's ticket links, after its title
_FALLBACK_HEADLINE = 1000
_REASON = 100  # an exclusion's reason
_SCORE_REASON = 60  # a score term's reason, when the words for it are not known
_EXCLUSION_LINKS = 400
_MORE_ROOM = 40  # room for "… and 12 more"
# The lines of the figures' context, together within MAX_CONTEXT_TEXT.
_PERIOD_LINE = 300
_LABELS_LINE = 800
_WAITING_LINE = 700  # with the response times (two of under 100)
_ABOUT_LINE = 700
_REPOS = 500

# Slack readers scan; a group of 80 tickets listed in full would flood the channel with messages.
LIST_LIMIT = 8
EVERY_TICKET_ELSEWHERE = "every ticket is in the Markdown and JSON reports"


# --- the report's parts -------------------------------------------------------------------------------


class _Context:
    """What every part needs: the report, how to name its tickets, and which have a Details control."""

    def __init__(self, report: Report, *, actions: bool = False) -> None:
        self.report = report
        self.actions = actions  # whether anyone may act from Slack: recommendations get their buttons
        self.home = home_repo(report.repos)
        # A period that ends when the report is made: "1h before the period's end" is "1h ago".
        self.ends_now = report.period.end >= report.generated_at
        self.drilled: set[tuple[str, int]] = set()  # tickets with a drill-down control in the report

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

    def repos(self, *, budget: int = _REPOS) -> str:
        """The report's repositories, escaped, as many as fit `budget` and "and N more"."""
        names = [clip_slack(escape_slack(repo), _LABEL_NAME) for repo in self.report.repos]
        runs = wrap_runs(names, prefix="", limit=budget)
        if not runs:
            return "no repository"
        shown = ", ".join(runs[0])
        return f"{shown} and {len(names) - len(runs[0])} more" if len(runs) > 1 else shown


def _top(ctx: _Context) -> list[Unit]:
    report = ctx.report
    header = HeaderBlock(
        text=plain(f"{REPORT_TITLE}: {period_words(report.period)}", MAX_HEADER_TEXT)
    ).to_dict()
    if not has_text(report.headline.text):
        return [Unit(blocks=(header,))]
    headline = ctx.cited(report.headline, limit=MAX_SECTION_TEXT, links_budget=_HEADLINE_LINKS)
    return [Unit(blocks=(header, section(headline)))]


def _recommendations(ctx: _Context) -> list[Unit]:
    """One section of recommendation lines; a recommendation that can be acted on from Slack ends its
    section with its buttons (`action_blocks.recommendation_actions`), and the next line starts anew."""
    heading = "Recommendations"
    if not ctx.report.recommendations:
        return []
    units: list[Unit] = []
    lines = [f"*{heading}*"]
    for index, rec in enumerate(ctx.report.recommendations):
        title = clip_slack(escape_slack(title_or_placeholder(rec.title)), _TITLE_LINE)
        lead = f"• *{title}*: " if has_text(rec.text) else f"• *{title}* "
        statement = Cited(rec.text, rec.tickets)
        lines.append(ctx.cited(statement, lead=lead, limit=_RECOMMENDATION_TEXT + _CITED_LINKS).rstrip())
        buttons = _recommendation_buttons(ctx, index, rec)
        if buttons is not None:
            units += units_from_lines(lines, section_name=heading, opens=not units, tail=(buttons,))
            lines = []
    if lines:
        units += units_from_lines(lines, section_name=heading, opens=not units)
    return units


_BULK_KINDS = {
    SUGGEST_CLOSE_DUPLICATE: BULK_CLOSE_DUPLICATE,
    SUGGEST_LABEL: BULK_LABEL,
    SUGGEST_REPLY: BULK_REPLY,
}


def _recommendation_buttons(ctx: _Context, index: int, rec: Recommendation) -> Block | None:
    if not ctx.actions:  # nobody may act (no triage_managers): a button would only refuse
        return None
    kinds = {action.kind for action in rec.actions}
    if len(kinds) != 1 or next(iter(kinds)) not in _BULK_KINDS:
        return None
    targets = [BulkTarget(a.repo, a.number, a.duplicate_of) for a in rec.actions]
    labels = [ctx.label(a.repo, a.number) for a in rec.actions]
    return recommendation_actions(index, _BULK_KINDS[next(iter(kinds))], targets, labels=labels)


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


def _controls(
    ctx: _Context, tickets: list[tuple[str, int]], *, action_id: str, owned: bool = False
) -> tuple[BlockElement | None, tuple[Block, ...]]:
    """Details controls for `tickets` (repo, number): an overflow menu to sit beside them (up to five),
    and an actions block with further menus and a button for each ticket whose value is too long for
    a menu. Tickets with a control elsewhere in the report are skipped, unless the caller `owned` them.
    """
    options, buttons = [], []
    for repo, number in tickets:
        if not owned and (repo, number) in ctx.drilled:
            continue
        ctx.drilled.add((repo, number))
        words = f"Details {ctx.label(repo, number)}"
        option = details_option(repo, number, text=words)
        if option is not None:
            options.append(option)
            continue
        button = details_button(repo, number, action_id=f"{action_id}:b{len(buttons)}", text=words)
        if button is not None:
            buttons.append(button)
    size = MAX_OVERFLOW_OPTIONS
    runs = [options[start : start + size] for start in range(0, len(options), size)]
    menus = [
        overflow(run, action_id=f"{action_id}:{number}" if number else action_id)
        for number, run in enumerate(runs)
    ]
    rest = [*menus[1:], *buttons]
    return (menus[0] if menus else None), ((ActionsBlock(elements=rest).to_dict(),) if rest else ())


def _common_issues(ctx: _Context) -> list[Unit]:
    heading = "Common issues"
    units: list[Unit] = []
    for index, group in enumerate(ctx.report.common_issues):
        lines = [f"*{heading}*"] if index == 0 else []
        title = clip_slack(escape_slack(title_or_placeholder(group.title)), _TITLE_LINE)
        shown = group.tickets[:LIST_LIMIT]
        links, hidden = ctx.short_links(shown, budget=_GROUP_LINKS)
        hidden += len(group.tickets) - len(shown)
        more = f" and {hidden} more ({EVERY_TICKET_ELSEWHERE})" if hidden else ""
        lines.append(f"*{index + 1}. {title}* · {', '.join(links)}{more}")
        lines.extend(_group_summary(ctx, group, room=MAX_SECTION_TEXT - utf16_len("\n".join(lines)) - 1))
        keys = [(ticket.repo, ticket.number) for ticket in shown]
        accessory, tail = _controls(ctx, keys, action_id=f"{DETAILS_ACTION_ID}:group{index}")
        units.extend(
            units_from_lines(lines, section_name=heading, opens=index == 0, accessory=accessory, tail=tail)
        )
    return units


def _ticket_line(ctx: _Context, rank: int, scored: ScoredTicket) -> str:
    """One most-active ticket: "*1.* <url|#685 title> · *15.9*: 3 community comments, 3 people, 2h ago"."""
    ticket = scored.ticket
    label = f"{ctx.label(ticket.repo, ticket.number)} {title_or_placeholder(ticket.title)}"
    link = slack_link(ticket.url, label, max_label=_ACTIVE_LABEL)
    reasons = [
        reason_words(clip_slack(escape_slack(item.reason), _SCORE_REASON), item.count, ends_now=ctx.ends_now)
        for item in leading_reasons(scored)
    ]
    line = f"*{rank}.* {link} · *{format_score(scored.score)}*"
    return f"{line}: {', '.join(reasons)}" if reasons else line


def _most_active(ctx: _Context) -> list[Unit]:
    """One line per ticket, in sections of up to five lines, each section with their Details menu."""
    ranked = ctx.report.most_active
    heading = most_active_heading(len(ranked))
    units = []
    for run, start in enumerate(range(0, len(ranked), MAX_OVERFLOW_OPTIONS)):
        tickets = ranked[start : start + MAX_OVERFLOW_OPTIONS]
        lines = [_ticket_line(ctx, start + offset + 1, scored) for offset, scored in enumerate(tickets)]
        if run == 0:
            lines.insert(0, f"*{heading}*")
        keys = [(scored.ticket.repo, scored.ticket.number) for scored in tickets]
        accessory, tail = _controls(ctx, keys, action_id=f"{DETAILS_ACTION_ID}:active{run}", owned=True)
        units.extend(
            units_from_lines(lines, section_name=heading, opens=run == 0, accessory=accessory, tail=tail)
        )
    return units


def _labels_line(ctx: _Context) -> str | None:
    """The labels' figures, as many as fit, then "and N more": "Labels: bug 2 received, 1 pending · …"."""
    items = []
    for stat in ctx.report.labels:
        name = clip_slack(escape_slack(stat.label), _LABEL_NAME) or "(no name)"
        figures = ((stat.received, "received"), (stat.resolved, "resolved"), (stat.pending, "pending"))
        counts = [f"{number} {words}" for number, words in figures if number]
        items.append(f"{name} {', '.join(counts) or '0 received'}")
    if not items:
        return None
    head = "Labels: "
    shown: list[str] = []
    size = utf16_len(head)
    for item in items:
        if size + utf16_len(item) + 3 > _LABELS_LINE - _MORE_ROOM:
            break
        shown.append(item)
        size += utf16_len(item) + 3
    more = f" and {len(items) - len(shown)} more" if len(shown) < len(items) else ""
    return head + " · ".join(shown) + more


def _figures(ctx: _Context) -> list[Unit]:
    """The totals in one line; the comparison, labels, response times, who waits and when, in a context."""
    report = ctx.report
    totals, previous = report.totals, report.previous_totals
    counts = [
        compact_change(getattr(totals, key), getattr(previous, key), words)
        for key, words, always in COMPACT_TOTALS
        if always or getattr(totals, key) or getattr(previous, key)
    ]
    about = f"{ctx.repos()} · generated {format_time_in(report.generated_at, report.period)}"
    if report.data_as_of is not None:
        about += f" · data as of {format_time_in(report.data_as_of, report.period)}"
    if totals != previous:
        about += f" · changes against {clip_slack(period_days(report.previous_period), _PERIOD_LINE)}"
    lines = [clip_slack(about, _ABOUT_LINE)]
    labels = _labels_line(ctx)
    if labels:
        lines.append(labels)
    times = report.response_times
    durations = (
        f"First team response: {compact_durations(times.first_response)}"
        f" · Time to close: {compact_durations(times.close)}"
    )
    waiting = times.awaiting_response
    if waiting:
        head = f" · Awaiting a first team response ({len(waiting)}): "
        links, hidden = ctx.short_links(waiting, budget=_WAITING_LINE - utf16_len(head) - _MORE_ROOM)
        durations += head + ", ".join(links) + (f" and {hidden} more" if hidden else "")
    lines.append(durations)
    blocks = (divider(), section(" · ".join(counts)), context("\n".join(lines)))
    return [Unit(blocks=blocks)]


def _footer(ctx: _Context) -> list[Unit]:
    """Context lines: the tickets left out, and which parts a model wrote."""
    lines = []
    count, excluded = exclusions_shown(ctx.report.excluded)
    if excluded:
        lines.append(_left_out(ctx, count, excluded))
    written_by = written_by_sentence(ctx.report)
    if written_by:
        lines.append(clip_slack(escape_slack(written_by), MAX_CONTEXT_TEXT))
    return [Unit(blocks=(context(line),)) for line in lines]


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


def _still_waiting(report: Report) -> Cited | None:
    """What the headline of a quiet period says still waits for a first team reply, as its own sentence;
    None when nothing waits."""
    headline = report.headline
    if not headline.tickets or not has_text(headline.text):
        return None
    text = headline.text.strip()
    opening = f"No ticket activity in {report.period.label}"
    if text.startswith(opening):  # the quiet line already says this, in the message's own words
        text = text.removeprefix(opening).lstrip(";, ")
        text = text[:1].upper() + text[1:]
    return Cited(text, headline.tickets)


def _quiet_message(ctx: _Context) -> SlackMessage:
    """A period without ticket activity: one line, and who still waits for a first team reply."""
    line = no_activity_line(ctx.report.period, ctx.repos())
    waiting = _still_waiting(ctx.report)
    text = line
    if waiting is not None:
        room = MAX_SECTION_TEXT - utf16_len(line) - 1
        text += "\n" + ctx.cited(waiting, limit=room, links_budget=_CITED_LINKS)
    return SlackMessage(text=clip_slack(line, MAX_FALLBACK_TEXT), blocks=[section(text)])


def _fallback(report: Report, *, page: int, pages: int) -> str:
    days = period_words(report.period)  # the notification names the zone too
    if page == 1 and has_text(report.headline.text):
        text = f"Ticket report {days}: {clip_slack(escape_slack(report.headline.text), _FALLBACK_HEADLINE)}"
    elif page == 1:
        totals = report.totals
        text = (
            f"Ticket report {days}: {plural(totals.total, 'ticket')},"
            f" {totals.resolved} resolved, {totals.open} open"
        )
    else:
        text = f"Ticket report {days} (continued {page}/{pages})"
    return clip_slack(text, MAX_FALLBACK_TEXT)


def render_messages(report: Report, *, actions: bool = False) -> list[SlackMessage]:
    """The report as one or more Slack messages, in posting order, each within Slack's limits; with
    `actions` (someone may act on tickets from Slack) its recommendations carry their buttons."""
    ctx = _Context(report, actions=actions)
    if report.totals.total == 0 and not report.most_active:
        return [_quiet_message(ctx)]
    # The most active tickets' controls are the drill-down for those tickets wherever else they appear.
    ctx.drilled.update((scored.ticket.repo, scored.ticket.number) for scored in report.most_active)
    units = [
        *_top(ctx),
        *_recommendations(ctx),
        *_common_issues(ctx),
        *_most_active(ctx),
        *_figures(ctx),
        *_footer(ctx),
    ]
    return paginate(
        units,
        title=f"{REPORT_TITLE}: {period_days(report.period)}",
        fallback=lambda page, pages: _fallback(report, page=page, pages=pages),
    )
