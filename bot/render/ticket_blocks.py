"""TicketDetail -> one Slack message: the drill-down posted in a report's thread.

Top to bottom: the title as a link with an "Open on GitHub" link button; a context line (repository
and number, state, labels); fields (state, author, opened, closed or age, comments and people, first
team response, activity score); why the ticket ranks where it does (the score breakdown); a short
description; the latest comments; related tickets.

Every piece of GitHub text goes through `escape.escape_slack` / `escape.slack_link` and has its own
budget, so the message meets Slack's limits (`slack_limits.py`) whatever the ticket holds. If the
pieces together would still be too large (a ticket whose every text is full of `&`, which escaping
quintuples), they are rendered again with smaller budgets until the message fits: a drill-down is
always one message.

The link button has action_id OPEN_ON_GITHUB_ACTION: Slack sends an interaction for link buttons
too, and the app acknowledges it so the clicker sees no warning.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from slack_sdk.models.blocks import ButtonElement

from bot.render.action_blocks import RowChoices, action_row
from bot.render.escape import clip_slack, escape_slack, safe_url, slack_link, utf16_len
from bot.render.formatting import (
    breakdown_line,
    format_duration,
    format_score,
    plural,
    ticket_label,
    title_or_placeholder,
)
from bot.render.slack_limits import (
    MAX_BUTTON_URL,
    MAX_FALLBACK_TEXT,
    MAX_SECTION_TEXT,
    SlackMessage,
    message_problems,
)
from bot.render.slack_parts import Block, context, divider, fields_section, plain, section
from bot.report.drilldown import CommentSummary, FirstResponse, RelatedTicket, TicketDetail

OPEN_ON_GITHUB_ACTION = "ticket_open_github"
OPEN_ON_GITHUB = "Open on GitHub"

_ROLES = {"team": "team", "reporter": "reporter", "community": "community", "bot": "bot"}
_RELATIONS = {
    "duplicate_of": "Duplicate of",
    "duplicated_by": "Duplicated by",
    "same_group": "Same common issue",
    "team_link": "Linked by the team",
    "similar": "Similar title",
}
_RELATION_ORDER = ("duplicate_of", "duplicated_by", "same_group", "team_link", "similar")
_STATE_REASONS = {
    "completed": "Closed as completed",
    "not_planned": "Closed as not planned",
    "duplicate": "Closed as duplicate",
}
_MAX_BREAKDOWN_LINES = 10
_MAX_RELATED = 12


@dataclass(frozen=True)
class _Budget:
    """How much of each piece of text may be shown, in UTF-16 units after escaping."""

    title: int = 200
    context: int = 600
    labels: int = 400
    field: int = 160
    breakdown: int = 200
    description: int = 700
    comment: int = 300
    author: int = 60
    related_label: int = 120
    group_title: int = 120

    def scaled(self, factor: float) -> _Budget:
        return _Budget(**{name: max(int(value * factor), 12) for name, value in vars(self).items()})


def render_ticket_detail(
    detail: TicketDetail, *, actions: RowChoices | None = None, note: str = ""
) -> SlackMessage:
    """The drill-down as one Slack message within Slack's limits (see the module docstring).

    With `actions`, the message ends with the ticket's action row (`action_blocks.action_row`); `note`
    (escaped mrkdwn: what was just done, and by whom) follows it as a context line."""
    budget = _Budget()
    tail = _tail(detail, actions, note)
    message = _message(detail, budget, tail)
    for factor in (0.5, 0.25, 0.1):
        if not message_problems(message):
            break
        message = _message(detail, budget.scaled(factor), tail)
    return message


def suggested_original(detail: TicketDetail) -> int | None:
    """The ticket this one is a duplicate of, in its own repository, when the team or its body says so."""
    for related in detail.related:
        if related.relation == "duplicate_of" and related.repo.lower() == detail.repo.lower():
            return related.number
    return None


def _tail(detail: TicketDetail, actions: RowChoices | None, note: str) -> list[Block]:
    blocks: list[Block] = []
    if actions is not None:
        blocks.extend(
            action_row(
                detail.repo,
                detail.number,
                state="closed" if detail.state == "closed" else "open",
                choices=actions,
                duplicate_of=suggested_original(detail),
                label=_label(detail, detail.repo, detail.number),
            )
        )
    if note:
        blocks.append(context(note))
    return blocks


# --- the message ----------------------------------------------------------------------------------------


def _message(detail: TicketDetail, budget: _Budget, tail: Sequence[Block] = ()) -> SlackMessage:
    blocks: list[Block] = [
        _title(detail, budget),
        context(_context_line(detail, budget)),
        fields_section("*Ticket*", _fields(detail, budget)),
        divider(),
        section(_score_text(detail, budget)),
        section(_description_text(detail, budget)),
        section(_comments_text(detail, budget)),
    ]
    related = _related_text(detail, budget)
    if related:
        blocks.append(section(related))
    blocks.extend(tail)
    return SlackMessage(text=_fallback(detail, budget), blocks=blocks)


def _label(detail: TicketDetail, repo: str, number: int) -> str:
    return ticket_label(repo, number, home_repo=detail.repo)


def _title(detail: TicketDetail, budget: _Budget) -> Block:
    name = f"{_label(detail, detail.repo, detail.number)} {title_or_placeholder(detail.title)}"
    text = f"*{slack_link(detail.url, name, max_label=budget.title)}*"
    url = safe_url(detail.url)
    button = None
    if url is not None and len(url) <= MAX_BUTTON_URL:
        button = ButtonElement(
            text=plain(OPEN_ON_GITHUB, 75), action_id=OPEN_ON_GITHUB_ACTION, url=url, style="primary"
        )
    return section(text, accessory=button)


def _state(detail: TicketDetail) -> str:
    if detail.state == "closed":
        return _STATE_REASONS.get(detail.state_reason or "", "Closed")
    if detail.state_reason == "reopened":
        return "Open (reopened)"
    return "Open" if detail.state == "open" else escape_slack(detail.state).capitalize() or "Unknown"


def _context_line(detail: TicketDetail, budget: _Budget) -> str:
    parts = [escape_slack(f"{detail.repo}#{detail.number}"), _state(detail)]
    if detail.labels:
        names = [escape_slack(label) or "(no name)" for label in detail.labels]
        parts.append("Labels: " + clip_slack(", ".join(names), budget.labels))
    else:
        parts.append("No labels")
    return clip_slack(" · ".join(parts), budget.context)


def _when(moment: datetime, now: datetime) -> str:
    zone = moment.tzname() or moment.strftime("%z") or "UTC"
    ago = now - moment
    relative = f"{format_duration(ago)} ago" if ago.total_seconds() >= 0 else "just now"
    return f"{moment:%Y-%m-%d %H:%M} {escape_slack(zone)} ({relative})"


def _fields(detail: TicketDetail, budget: _Budget) -> list[str]:
    author = clip_slack(escape_slack(detail.author) or "unknown", budget.author)
    if detail.author_is_bot:
        author += " (bot)"
    elif detail.author_association in ("OWNER", "MEMBER", "COLLABORATOR"):
        author += f" ({detail.author_association.lower()})"
    fields = [
        f"*State*\n{_state(detail)}",
        f"*Author*\n{author}",
        f"*Opened*\n{_when(detail.created_at, detail.generated_at)}",
    ]
    if detail.closed_at is not None and detail.state == "closed":
        closed = _when(detail.closed_at, detail.generated_at)
        fields.append(f"*Closed*\n{closed}, after {format_duration(detail.open_for)}")
    else:
        fields.append(f"*Open for*\n{format_duration(detail.open_for)}")
    people = plural(detail.participants, "person", "people")
    if not detail.participants_complete:
        people = "at least " + people
    comments = f"{detail.comments_count} ({people} taking part)"
    if detail.reactions:
        comments += f" · {plural(detail.reactions, 'reaction')}"
    fields.append(f"*Comments*\n{comments}")
    fields.append(f"*First team response*\n{_first_response(detail.first_response, budget)}")
    fields.append(f"*Activity score*\n{_score_summary(detail)}")
    if detail.versions:
        versions = ", ".join(escape_slack(v) for v in detail.versions)
        fields.append(f"*Versions mentioned*\n{clip_slack(versions, budget.field)}")
    return [clip_slack(field, budget.field + 40) for field in fields]


def _first_response(response: FirstResponse, budget: _Budget) -> str:
    if response.kind == "answered":
        who = clip_slack(escape_slack(response.by), budget.author) if response.by else "the team"
        after = format_duration(response.after)
        return f"within {after} ({who})" if response.at_most else f"after {after} ({who})"
    if response.kind == "waiting":
        return f"none yet: waiting for {format_duration(response.after)}"
    if response.kind == "closed_unanswered":
        return "none: closed without a team comment"
    return "not among the comments read"


def _score_summary(detail: TicketDetail) -> str:
    text = format_score(detail.score)
    if detail.score_from_report and detail.rank is not None:
        return f"{text} (#{detail.rank} of {detail.ranked_among} in the report)"
    return text


def _score_text(detail: TicketDetail, budget: _Budget) -> str:
    period = clip_slack(escape_slack(detail.score_period_label), 120)
    score = format_score(detail.score)
    if detail.score_from_report:
        place = f" (#{detail.rank} of {detail.ranked_among})" if detail.rank is not None else ""
        head = f"*Why it ranks here:* activity score *{score}* in the report for {period}{place}"
    else:
        head = f"*Activity score:* *{score}* for {period}"
    lines = [head]
    if not detail.breakdown:
        lines.append("No activity in that period.")
    shown = detail.breakdown[:_MAX_BREAKDOWN_LINES]
    for item in shown:
        reason = clip_slack(escape_slack(item.reason), budget.breakdown - 30)
        lines.append(f"• {breakdown_line(reason, item.count, item.points)}")
    if len(detail.breakdown) > len(shown):
        lines.append(f"… and {len(detail.breakdown) - len(shown)} more")
    return _join(lines)


def _description_text(detail: TicketDetail, budget: _Budget) -> str:
    text = clip_slack(escape_slack(detail.description), budget.description)
    if not text:
        return "*Description*\nNo description in words (empty, or only the issue form, code or logs)."
    return f"*Description*\n&gt; {text}"


def _comments_text(detail: TicketDetail, budget: _Budget) -> str:
    if not detail.recent_comments:
        return "*Latest comments*\nNo comments yet."
    count = len(detail.recent_comments)
    lines = [f"*Latest comments* ({count} of {detail.comments_count})"]
    for comment in detail.recent_comments:
        lines.append(_comment_line(comment, detail.generated_at, budget))
    if detail.comments_read < detail.comments_count:
        lines.append(
            f"({detail.comments_read} of {detail.comments_count} comments were read for this summary.)"
        )
    return _join(lines)


def _comment_line(comment: CommentSummary, now: datetime, budget: _Budget) -> str:
    author = clip_slack(escape_slack(comment.author) or "unknown", budget.author)
    when = _when(comment.created_at, now)
    head = f"• *{author}* ({_ROLES.get(comment.role, 'community')}) · {when}"
    if comment.url:
        head += f" · {slack_link(comment.url, 'link')}"
    text = clip_slack(escape_slack(comment.text), budget.comment) or "(only code, logs or images)"
    return f"{head}\n      {text}"


def _related_text(detail: TicketDetail, budget: _Budget) -> str:
    if not detail.related:
        return ""
    ordered = sorted(detail.related[: _MAX_RELATED * 2], key=lambda r: _RELATION_ORDER.index(r.relation))[
        :_MAX_RELATED
    ]
    lines = ["*Related tickets*"]
    for relation in _RELATION_ORDER:
        items = [r for r in ordered if r.relation == relation]
        if not items:
            continue
        words = _RELATIONS[relation]
        if relation == "same_group" and detail.group_title:
            words += f" “{clip_slack(escape_slack(detail.group_title), budget.group_title)}”"
        links = ", ".join(_related_link(detail, r, budget) for r in items)
        lines.append(f"• {words}: {links}")
    return _join(lines)


def _related_link(detail: TicketDetail, related: RelatedTicket, budget: _Budget) -> str:
    name = _label(detail, related.repo, related.number)
    if related.title:
        name = f"{name} {related.title}"
    return slack_link(related.url, name, max_label=budget.related_label)


def _join(lines: Sequence[str]) -> str:
    """Lines as one section text, cut (visibly) at Slack's section limit."""
    text = "\n".join(lines)
    if utf16_len(text) > MAX_SECTION_TEXT:
        # Cut at a line boundary so no link or entity is broken.
        kept: list[str] = []
        size = 0
        for line in lines:
            if size + utf16_len(line) + 1 > MAX_SECTION_TEXT - 2:
                break
            kept.append(line)
            size += utf16_len(line) + 1
        text = "\n".join([*kept, "…"])
    return text


def _fallback(detail: TicketDetail, budget: _Budget) -> str:
    name = escape_slack(f"{detail.repo}#{detail.number}")
    title = clip_slack(escape_slack(title_or_placeholder(detail.title)), budget.title)
    text = f"{name}: {title} ({_state(detail).lower()}, activity score {format_score(detail.score)})"
    return clip_slack(text, MAX_FALLBACK_TEXT)
