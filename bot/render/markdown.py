"""Report -> Markdown, in the layout and order of the report this product grew from.

The headline ("In short") follows the title lines; then the seed's sections; then, when the report
carries them, each repository's last weeks as a table; then a footer after a rule: the tickets left
out of the report and which parts a language model wrote, when either applies.
A statement that cites tickets (the headline, each part of a group summary) links each cited ticket
once: where its text names it as `#N`, or in brackets after it (`citations.py`).

Every piece of GitHub or model text goes through `escape_markdown_cell`, so it stays one line of plain
text: it cannot split a table row, forge a link, start a heading or carry raw HTML.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.render.citations import has_text, link_mentions, summary_parts
from bot.render.escape import escape_markdown_cell, markdown_link
from bot.render.formatting import (
    HEADLINE_HEADING,
    LEFT_OUT,
    NO_ACTIVITY,
    NO_AWAITING,
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
    format_duration,
    format_score,
    home_repo,
    most_active_heading,
    plural,
    ticket_label,
    title_or_placeholder,
    with_change,
    written_by_sentence,
)
from bot.report.history import RepoHistory, WeekStats
from bot.report.models import Cited, IssueGroup, Report, TicketRef


def _table(header: tuple[str, ...], rows: Iterable[tuple[str, ...]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("-" * (len(cell) + 2) for cell in header) + "|"]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return lines


def _ref_link(repo: str, number: int, url: str, *, home: str | None) -> str:
    return markdown_link(url, escape_markdown_cell(ticket_label(repo, number, home_repo=home)))


def _ref_item(ticket: TicketRef, *, home: str | None) -> str:
    link = _ref_link(ticket.repo, ticket.number, ticket.url, home=home)
    return f"{link}: {escape_markdown_cell(title_or_placeholder(ticket.title))}"


def _ref_links(tickets: tuple[TicketRef, ...], *, home: str | None) -> str:
    return ", ".join(_ref_link(t.repo, t.number, t.url, home=home) for t in tickets)


def _cited(statement: Cited, *, home: str | None) -> str:
    """The statement's text with its cited tickets linked: where it names them, else "(#12, #40)" after it."""
    text, rest = link_mentions(
        escape_markdown_cell(statement.text),
        statement.tickets,
        link=lambda ticket, label: markdown_link(ticket.url, label),
    )
    if rest:
        text = f"{text} ({_ref_links(rest, home=home)})" if text else f"({_ref_links(rest, home=home)})"
    return text


def _header(report: Report) -> list[str]:
    repos = ", ".join(escape_markdown_cell(repo) for repo in report.repos) or "none"
    as_of = format_as_of(report)
    return [
        f"# {REPORT_TITLE}",
        f"- Generated: {format_datetime(report.generated_at)}",
        *([f"- Data as of {as_of}"] if as_of else []),
        f"- Period: {escape_markdown_cell(report.period.label)}",
        f"- Compared with: {escape_markdown_cell(report.previous_period.label)}",
        f"- Repositories: {repos}",
    ]


def _headline(report: Report, *, home: str | None) -> list[str]:
    if not has_text(report.headline.text):
        return []
    return [f"## {HEADLINE_HEADING}", _cited(report.headline, home=home)]


def _summary(report: Report) -> list[str]:
    lines = ["## Summary"]
    for key, words in TOTAL_WORDS:
        current = getattr(report.totals, key)
        previous = getattr(report.previous_totals, key)
        lines.append(f"- **{words}:** {with_change(current, previous)}")
    return lines


def _labels(report: Report) -> list[str]:
    lines = ["## Tickets by Label"]
    if not report.labels:
        return [*lines, NO_LABELS]
    rows = (
        (escape_markdown_cell(stat.label), str(stat.received), str(stat.resolved), str(stat.pending))
        for stat in report.labels
    )
    return lines + _table(("Label", "Received", "Resolved", "Pending"), rows)


def _response_times(report: Report, *, home: str | None) -> list[str]:
    times = report.response_times
    lines = [
        "## Response Times",
        f"- **First team response:** {describe_durations(times.first_response)}",
        f"- **Time to close:** {describe_durations(times.close)}",
    ]
    waiting = times.awaiting_response
    if not waiting:
        lines.append(f"- **Awaiting a first team response:** none. {NO_AWAITING}")
        return lines
    lines.append(f"- **Awaiting a first team response:** {plural(len(waiting), 'ticket')}")
    lines.extend(f"  - {_ref_item(ticket, home=home)}" for ticket in waiting)
    return lines


def _most_active(report: Report, *, home: str | None) -> list[str]:
    lines = [f"## {most_active_heading(len(report.most_active))}"]
    if not report.most_active:
        return [*lines, NO_ACTIVITY]
    rows = []
    why = ["", "**Why they rank:**"]
    for scored in report.most_active:
        ticket = scored.ticket
        link = _ref_link(ticket.repo, ticket.number, ticket.url, home=home)
        score = format_score(scored.score)
        rows.append((link, escape_markdown_cell(title_or_placeholder(ticket.title)), score))
        why.append(f"- {link} ({score})")
        why.extend(
            f"  - {breakdown_line(escape_markdown_cell(item.reason), item.count, item.points)}"
            for item in scored.breakdown
        )
    return lines + _table(("Issue #", "Title", "Activity Score"), rows) + why


def _common_issues(report: Report, *, home: str | None) -> list[str]:
    lines = ["## Common Issues"]
    if not report.common_issues:
        return [*lines, NO_GROUPS]
    for index, group in enumerate(report.common_issues, start=1):
        lines.append(f"### {index}. {escape_markdown_cell(title_or_placeholder(group.title))}")
        lines.extend(_group_summary(group, home=home))
        lines.append("**Related Issues:**")
        lines.extend(f"- {_ref_item(ticket, home=home)}" for ticket in group.tickets)
        lines.append("")
    return lines[:-1]


def _group_summary(group: IssueGroup, *, home: str | None) -> list[str]:
    """The labelled parts written from the tickets, else the summary as one paragraph."""
    parts = summary_parts(group)
    if parts is not None:
        lines = [f"- **{words}:** {_cited(statement, home=home)}" for words, statement in parts]
        return [*lines, ""] if lines else []
    # The ticket list follows, so tickets the summary does not name need no brackets.
    summary, _ = link_mentions(
        escape_markdown_cell(group.summary),
        group.tickets,
        link=lambda ticket, label: markdown_link(ticket.url, label),
    )
    return [summary, ""] if summary else []


def _recommendations(report: Report, *, home: str | None) -> list[str]:
    lines = ["## Recommendations"]
    if not report.recommendations:
        return [*lines, NO_RECOMMENDATIONS]
    for rec in report.recommendations:
        title = escape_markdown_cell(title_or_placeholder(rec.title))
        lines.append(f"- **{title}:** {escape_markdown_cell(rec.text)}")
        if rec.tickets:
            lines.append(f"  - Tickets: {_ref_links(rec.tickets, home=home)}")
    return lines


def _history(report: Report) -> list[str]:
    """Per repository, a table of its last weeks, oldest first; empty when the report has no history."""
    lines: list[str] = []
    for repo in report.history:
        if repo.weeks:
            lines.extend(("", *_repo_history(repo)))
    return lines[1:]


def _repo_history(repo: RepoHistory) -> list[str]:
    count = len(repo.weeks)
    heading = f"## Last {count} Weeks" if count > 1 else "## Last Week"
    rows = (
        (
            _week_label(week),
            str(week.new),
            str(week.resolved),
            str(week.open_at_end),
            format_duration(week.median_first_response),
        )
        for week in repo.weeks
    )
    header = ("Week of", "New", "Resolved", "Open at End", "Median First Response")
    return [f"{heading}: {escape_markdown_cell(repo.repo)}", *_table(header, rows)]


def _week_label(week: WeekStats) -> str:
    """The week's local Monday, "2025-04-14", and "(so far)" for a week that has not ended."""
    end = week.end.astimezone(week.start.tzinfo)
    partial = (end.date() - week.start.date()).days < 7
    return f"{week.start:%Y-%m-%d}" + (" (so far)" if partial else "")


def _footer(report: Report, *, home: str | None) -> list[str]:
    """What the report leaves out and who wrote it, as paragraphs after a rule; empty when neither applies."""
    paragraphs = []
    count, excluded = exclusions_shown(report.excluded)
    if excluded:
        reasons = ", ".join(
            f"{len(exclusion.tickets)} {escape_markdown_cell(exclusion_reason(exclusion.reason))}"
            f" ({_ref_links(exclusion.tickets, home=home)})"
            for exclusion in excluded
        )
        paragraphs.append(f"{LEFT_OUT}: {plural(count, 'ticket')} — {reasons}.")
    written_by = written_by_sentence(report)
    if written_by:
        paragraphs.append(escape_markdown_cell(written_by))
    lines = ["---"] if paragraphs else []
    for paragraph in paragraphs:
        lines.extend(("", paragraph))
    return lines


def render_markdown(report: Report) -> str:
    """The whole report as one Markdown document, ending in a newline."""
    home = home_repo(report.repos)
    sections = [
        _header(report),
        _headline(report, home=home),
        _summary(report),
        _labels(report),
        _response_times(report, home=home),
        _most_active(report, home=home),
        _common_issues(report, home=home),
        _recommendations(report, home=home),
        _history(report),
        _footer(report, home=home),
    ]
    return "\n\n".join("\n".join(section) for section in sections if section) + "\n"
