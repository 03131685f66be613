"""Alert messages: a new ticket, a ticket waiting for a first reply (and its update once answered), a
burst bundled into one message, and the "arrived while alerts were paused" line. Pure: data in,
`{"text", "blocks"}` out.

Every piece of ticket text is escaped (`escape.py`), so a title or body cannot ping anyone or break the
message. `ticket_blocks` returns the blocks of one ticket as a list, so a row of actions can be appended
to an alert by whoever builds it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from slack_sdk.models.blocks import ActionsBlock

from bot.alerts.models import TicketAlert, WaitingAlert
from bot.render.action_blocks import RowChoices, action_row
from bot.render.blocks import DETAILS_ACTION_ID
from bot.render.escape import clip_slack, escape_slack, slack_link
from bot.render.formatting import format_duration, plural, ticket_label, title_or_placeholder
from bot.render.slack_limits import MAX_CONTEXT_TEXT, MAX_SECTION_TEXT, SlackMessage
from bot.render.slack_parts import Block, context, details_button, section

ALERT_DETAILS_ACTION = f"{DETAILS_ACTION_ID}:alert"
MAX_TITLE = 200
MAX_LINE = 300
BUNDLE_SHOWN = 20  # tickets listed in a bundle; the rest are counted
MAX_LABELS = 8


def _label(alert: TicketAlert) -> str:
    return ticket_label(alert.repo, alert.number, home_repo=alert.home_repo)


def _title_link(alert: TicketAlert) -> str:
    title = f"{_label(alert)} {title_or_placeholder(alert.title)}"
    return slack_link(alert.url, title, max_label=MAX_TITLE)


def _byline(alert: TicketAlert) -> str:
    parts = [f"by {escape_slack(alert.author) or 'someone'}"]
    if alert.labels:
        shown = ", ".join(f"`{escape_slack(label)}`" for label in alert.labels[:MAX_LABELS])
        more = len(alert.labels) - MAX_LABELS
        parts.append(shown + (f" +{more}" if more > 0 else ""))
    return clip_slack(" · ".join(parts), MAX_CONTEXT_TEXT)


def _looks_like(alert: TicketAlert) -> str | None:
    if not alert.similar:
        return None
    links = [
        slack_link(s.url, ticket_label(s.repo, s.number, home_repo=alert.home_repo), max_label=MAX_TITLE)
        for s in alert.similar
    ]
    return clip_slack("Looks like " + ", ".join(links), MAX_CONTEXT_TEXT)


def _group(alert: TicketAlert) -> str | None:
    if not alert.group_title or alert.group_size < 2:
        return None
    others = plural(alert.group_size - 1, "other open ticket")
    return f"Seems part of *{clip_slack(escape_slack(alert.group_title), MAX_TITLE)}* ({others})"


def ticket_blocks(alert: TicketAlert, *, heading: str) -> list[Block]:
    """One ticket: heading and title link, author and labels, the first lines of its description, the
    tickets it looks like, and a Details button (the drill-down answers in the alert's thread)."""
    blocks = [section(clip_slack(f"{heading} {_title_link(alert)}", MAX_SECTION_TEXT))]
    blocks.append(context(_byline(alert)))
    if alert.description:
        quoted = "\n".join(f"> {clip_slack(escape_slack(line), MAX_LINE)}" for line in alert.description)
        blocks.append(section(clip_slack(quoted, MAX_SECTION_TEXT)))
    related = [line for line in (_group(alert), _looks_like(alert)) if line]
    if related:
        blocks.append(context(clip_slack(" · ".join(related), MAX_CONTEXT_TEXT)))
    button = details_button(alert.repo, alert.number, action_id=ALERT_DETAILS_ACTION)
    if button is not None:
        blocks.append(ActionsBlock(elements=[button]).to_dict())
    return blocks


def _plain(text: str) -> str:
    """Fallback text: escaped like the blocks (the notification shows it)."""
    return clip_slack(escape_slack(text), 300)


def _original(alert: TicketAlert) -> int | None:
    """The ticket the Close menu suggests this one duplicates: the first it looks like in its own
    repository (a ticket elsewhere cannot be its original on GitHub)."""
    repo = alert.repo.lower()
    for similar in alert.similar:
        if similar.repo.lower() == repo and similar.number != alert.number:
            return similar.number
    return None


def _with_row(blocks: list[Block], alert: TicketAlert, actions: RowChoices | None) -> list[Block]:
    """The ticket's action row after its blocks, when ticket actions are on (`actions` given)."""
    if actions is None:
        return blocks
    row = action_row(
        alert.repo,
        alert.number,
        state=alert.state,
        choices=actions,
        duplicate_of=_original(alert),
        label=_label(alert),
    )
    return blocks + row


def render_new_ticket(alert: TicketAlert, *, actions: RowChoices | None = None) -> SlackMessage:
    """A new ticket; with `actions` (the repository's labels and people), its action row too."""
    text = _plain(f"New ticket {_label(alert)}: {alert.title}")
    blocks = ticket_blocks(alert, heading=":new: *New ticket*")
    return {"text": text, "blocks": _with_row(blocks, alert, actions)}


def render_waiting(alert: WaitingAlert, *, actions: RowChoices | None = None) -> SlackMessage:
    """The nudge, or (once answered) the same message saying who replied and when."""
    ticket = alert.ticket
    waited = format_duration(alert.waited)
    target = format_duration(alert.target)
    if alert.replied_by is not None:
        after = format_duration(alert.replied_after)
        heading = ":white_check_mark: *Answered*"
        note = f"{escape_slack(alert.replied_by)} replied after {after} (target {target})."
        text = _plain(f"{_label(ticket)} answered by {alert.replied_by} after {after}")
    elif alert.closed:
        heading = ":white_check_mark: *Closed*"
        note = f"Closed without a team reply (waited over {waited}; target {target})."
        text = _plain(f"{_label(ticket)} closed without a team reply")
    else:
        heading = ":hourglass: *Waiting for a first reply*"
        note = f"No team reply for {waited} (target {target})."
        text = _plain(f"{_label(ticket)} has waited {waited} for a first reply: {ticket.title}")
    blocks = ticket_blocks(ticket, heading=heading)
    blocks.insert(1, context(note))
    return {"text": text, "blocks": _with_row(blocks, ticket, actions)}


def render_bundle(alerts: Sequence[TicketAlert], *, window: timedelta) -> SlackMessage:
    """A burst of new tickets in one message: a line per ticket (the first BUNDLE_SHOWN)."""
    count = len(alerts)
    head = f":rotating_light: *{plural(count, 'new ticket')}* within {format_duration(window)}"
    lines = [
        clip_slack(f"• {_title_link(a)} by {escape_slack(a.author) or 'someone'}", MAX_LINE + MAX_TITLE)
        for a in alerts[:BUNDLE_SHOWN]
    ]
    blocks = [section(head)]
    body = ""
    for line in lines:
        if body and len(body) + 1 + len(line) > MAX_SECTION_TEXT:
            blocks.append(section(body))
            body = ""
        body = f"{body}\n{line}" if body else line
    if body:
        blocks.append(section(body))
    if count > BUNDLE_SHOWN:
        blocks.append(context(f"and {plural(count - BUNDLE_SHOWN, 'more ticket')}"))
    blocks.append(context("Bundled into one message: more new tickets arrived than alerts would post."))
    return {"text": f"{plural(count, 'new ticket')} arrived", "blocks": blocks}


def render_paused_count(count: int, *, repos: Sequence[str]) -> SlackMessage:
    """The one line for tickets that arrived while alerts were paused (or the bot was down)."""
    where = ", ".join(escape_slack(repo) for repo in repos)
    text = f"{plural(count, 'ticket')} arrived while alerts were paused"
    line = f":pause_button: {text} ({where}). A report lists them: `/ticket-report today`."
    return {"text": text, "blocks": [section(clip_slack(line, MAX_SECTION_TEXT))]}


def render_paused_notice(*, channel_id: str, kind: str, reason: str, attempts: int) -> SlackMessage:
    """Told to whoever turned the alerts on (a DM): they paused, why, and how to resume them."""
    what = "new tickets" if kind == "new" else "tickets waiting for a first reply"
    channel = escape_slack(channel_id)
    text = f"Alerts for {what} in <#{channel}> are paused after {attempts} failed posts"
    line = (
        f":warning: {text} (Slack answered `{clip_slack(escape_slack(reason), 120)}`). "
        f"{_fix_for(reason)}, then `/ticket-report alerts on {kind}` there resumes them."
    )
    return {"text": text, "blocks": [section(clip_slack(line, MAX_SECTION_TEXT))]}


def _fix_for(reason: str) -> str:
    """What to do about a channel error that paused alerts (only those pause them)."""
    if reason in ("is_archived", "channel_archived"):
        return "Unarchive the channel"
    if reason.startswith("restricted_action"):
        return "Let me post there (the channel's posting permissions restrict who may)"
    return "Invite me to the channel (`/invite @ticket-report`)"
