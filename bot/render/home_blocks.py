"""The App Home tab as Block Kit: what waits for a first response, this week's figures, the digests
of the viewer's channels, and the button that opens the "Build a report" modal.

Pure: `render_home(HomeView)` and `loading_home()` return a `views.publish` view (a dict). The
caller has already limited everything to the repositories the viewer may report on. Ticket titles
come from GitHub and are escaped (`escape.slack_link`); channel names are shown as Slack's own
`<#C123>` references, drawn by Slack for each viewer.

Slack limits (as of 2025): a Home view holds at most 100 blocks; here at most MAX_WAITING tickets
(one section each, with its Details button) and a few blocks around them, so about 35.
Details buttons have action_id `home_ticket_details:<i>` and the value `{"repo":..,"number":N}`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, ButtonElement, HeaderBlock

from bot.render.escape import clip_slack, escape_slack, slack_link
from bot.render.slack_limits import MAX_HEADER_TEXT, MAX_SECTION_TEXT
from bot.render.slack_parts import chunk_lines, context, details_button, divider, plain, section
from bot.report.models import Totals
from bot.report.wording import count, human_duration

HOME_DETAILS_ACTION = "home_ticket_details"
HOME_DETAILS_PATTERN = r"^home_ticket_details:"
BUILD_REPORT_ACTION = "home_build_report"
MAX_WAITING = 25
MAX_DIGEST_LINES = 40
_TITLE = 120
_LABEL = 200  # a period's label, a zone's name: short by construction, clipped all the same
_REPOS_LINE = 1500
_DIGEST_REPOS = 400

TITLE = "Support tickets"
LOADING = "Loading your tickets…"
BUILD_BUTTON = "Build a report"
WAITING_HEADING = "*Waiting for a first team response*"
NOTHING_WAITING = "Nothing is waiting for a first team response."
WEEK_HEADING = "*This week*"
DIGESTS_HEADING = "*Digests in your channels*"
NO_DIGESTS = "No digests in your channels. `/ticket-report subscribe` in a channel sets one up."
NO_REPOS = (
    "None of your channels may report on a repository yet. Join a channel that has "
    "`/ticket-report`, or ask whoever runs the bot to set one up (`repos:` and `channels:` in its config)."
)


@dataclass(frozen=True)
class WaitingTicket:
    repo: str
    number: int
    title: str
    url: str
    waiting: timedelta  # since it was opened


@dataclass(frozen=True)
class DigestLine:
    channel_id: str  # a Slack channel ID, shown as <#ID>
    cadence: str
    at_time: str
    timezone: str
    repos: tuple[str, ...]  # empty: the channel's repositories
    next_run: datetime  # aware, in the subscription's zone


@dataclass(frozen=True)
class WeekFigures:
    label: str  # the week's days with their zone, "Mon 14 Apr 2025 until 21:07, Europe/Berlin"
    totals: Totals
    previous: Totals


@dataclass(frozen=True)
class HomeView:
    """Everything the Home tab shows one viewer; `problem` replaces what could not be read."""

    repos: tuple[str, ...]
    updated: str  # when the figures were read, as the viewer reads it ("Mon 14 Apr 21:07, Europe/Berlin")
    target: timedelta  # the first-response target
    waiting: tuple[WaitingTicket, ...] = ()
    week: WeekFigures | None = None
    digests: tuple[DigestLine, ...] | None = None  # None: digests are not kept by this bot
    problem: str | None = None  # already mrkdwn-safe: our own words
    can_build: bool = True


def loading_home() -> dict[str, Any]:
    """The view published at once while the real one is built."""
    return {"type": "home", "blocks": [_header(), section(LOADING)]}


def render_home(view: HomeView) -> dict[str, Any]:
    """The Home tab for one viewer (at most about 35 blocks)."""
    blocks: list[dict[str, Any]] = [_header()]
    if not view.repos:
        blocks.append(section(clip_slack(view.problem or NO_REPOS, MAX_SECTION_TEXT)))
    else:
        repos = ", ".join(f"`{escape_slack(repo)}`" for repo in view.repos)
        blocks.append(context(clip_slack(f"{repos} · updated {escape_slack(view.updated)}", _REPOS_LINE)))
        if view.can_build:
            blocks.append(_build_button())
        if view.problem:
            blocks.append(section(clip_slack(view.problem, MAX_SECTION_TEXT)))
        else:
            blocks.append(divider())
            blocks.extend(_waiting(view))
            if view.week is not None:
                blocks.append(divider())
                blocks.append(section(_week(view.week)))
    if view.digests is not None:
        blocks.append(divider())
        blocks.extend(_digests(view.digests))
    return {"type": "home", "blocks": blocks}


def _header() -> dict[str, Any]:
    return HeaderBlock(text=plain(TITLE, MAX_HEADER_TEXT)).to_dict()


def _build_button() -> dict[str, Any]:
    button = ButtonElement(
        text=plain(BUILD_BUTTON, 75), action_id=BUILD_REPORT_ACTION, value="open", style="primary"
    )
    return ActionsBlock(elements=[button]).to_dict()


def _target(target: timedelta) -> str:
    """ "24h", "2d 12h": a target in hours while hours are what people set it in."""
    hours = target.total_seconds() / 3600
    return f"{hours:g}h" if hours < 72 else human_duration(target)


def _waiting(view: HomeView) -> list[dict[str, Any]]:
    target = _target(view.target)
    heading = f"{WAITING_HEADING} (oldest first; target {target})"
    if not view.waiting:
        return [section(f"{heading}\n{NOTHING_WAITING}")]
    several = len({t.repo.lower() for t in view.waiting}) > 1 or len(view.repos) > 1
    blocks = [section(heading)]
    ordered = sorted(view.waiting, key=lambda t: -t.waiting)
    for index, ticket in enumerate(ordered[:MAX_WAITING]):
        name = f"{ticket.repo}#{ticket.number}" if several else f"#{ticket.number}"
        link = slack_link(ticket.url, f"{name} {ticket.title}", max_label=_TITLE)
        age = human_duration(ticket.waiting)
        if ticket.waiting > view.target:
            over = human_duration(ticket.waiting - view.target)
            status = f":warning: waiting {age}, {over} over the {target} target"
        else:
            status = f"waiting {age}, within the {target} target"
        button = details_button(ticket.repo, ticket.number, action_id=f"{HOME_DETAILS_ACTION}:{index}")
        blocks.append(section(f"{link}\n{status}", accessory=button))
    if len(ordered) > MAX_WAITING:
        blocks.append(context(f"… and {len(ordered) - MAX_WAITING} more"))
    return blocks


def _change(current: int, previous: int) -> str:
    delta = current - previous
    return f" ({delta:+d})" if delta else ""


def _week(week: WeekFigures) -> str:
    now, before = week.totals, week.previous
    parts = [
        f"{now.total} active{_change(now.total, before.total)}",
        f"{now.resolved} resolved{_change(now.resolved, before.resolved)}",
        f"{now.open} open{_change(now.open, before.open)}",
        f"{now.new} new{_change(now.new, before.new)}",
    ]
    label = clip_slack(escape_slack(week.label), _LABEL)
    return f"{WEEK_HEADING} ({label}; change against the same part of last week)\n" + " · ".join(parts)


def _digests(digests: Sequence[DigestLine]) -> list[dict[str, Any]]:
    if not digests:
        return [section(f"{DIGESTS_HEADING}\n{NO_DIGESTS}")]
    lines = [DIGESTS_HEADING]
    for digest in sorted(digests, key=lambda d: d.next_run)[:MAX_DIGEST_LINES]:
        repos = (
            ", ".join(f"`{escape_slack(r)}`" for r in digest.repos) if digest.repos else "its repositories"
        )
        when = f"{digest.next_run:%a %d %b %H:%M}, {clip_slack(escape_slack(digest.timezone), _LABEL)}"
        lines.append(
            f"• <#{digest.channel_id}> {escape_slack(digest.cadence)} at {escape_slack(digest.at_time)} "
            f"on {repos} · next: {when}"
        )
    if len(digests) > MAX_DIGEST_LINES:
        lines.append(f"… and {count(len(digests) - MAX_DIGEST_LINES, 'more digest')}")
    return [section(text) for text in chunk_lines(lines)]
