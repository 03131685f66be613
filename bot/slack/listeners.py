"""Bolt listeners, registered in one place. Each one acks, parses, delegates and responds; nothing slow.

Bolt runs these on its own small listener pool (five threads) and answers Slack's HTTP request as soon
as `ack` is called; anything that talks to GitHub or retries Slack calls is handed to the app's own
executor, so a flood of slow reports can never hold up an acknowledgement.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App

from bot.render import DETAILS_ACTION_PATTERN
from bot.render.ticket_blocks import OPEN_ON_GITHUB_ACTION
from bot.slack import messages
from bot.slack.commands import Reply, SlashCommands, SlashRequest
from bot.slack.poster import Requester, SlackPoster

log = logging.getLogger(__name__)

# The renderer gives every ticket button an action_id matching this.
TICKET_DETAILS_ACTION = re.compile(DETAILS_ACTION_PATTERN)

# Hooks for the drill-down (issue 4): a handler for the Details button and for mentions. Each gets the
# raw Bolt body (listeners are the only place that sees Slack dicts) and runs on the app's executor.
ActionHandler = Callable[[Mapping[str, Any]], None]


@dataclass
class Interactions:
    """Handlers for Details clicks and mentions, attached once the drill-down is built (run off the ack)."""

    ticket_details: ActionHandler | None = None
    mention: ActionHandler | None = None


def register_listeners(
    app: App,
    *,
    commands: SlashCommands,
    poster: SlackPoster,
    executor: Executor,
    interactions: Interactions,
) -> None:
    """Attach every listener of the bot to `app`."""

    @app.command(messages.COMMAND)
    def ticket_report(ack: Ack, command: dict[str, Any]) -> None:
        try:
            reply = commands.accept(SlashRequest.from_payload(command))
        except Exception:  # a bug: still acknowledge, so the user is not left with Slack's timeout error
            log.exception("%s failed before its acknowledgement", messages.COMMAND)
            reply = Reply(messages.internal_error())
        ack(**reply.ack_kwargs())

    @app.action(TICKET_DETAILS_ACTION)
    def ticket_details(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        if interactions.ticket_details is not None:
            executor.submit(_logged(interactions.ticket_details), body)
            return
        # HOOK (issue 4): until the drill-down lands, say so instead of leaving the click unanswered.
        requester = Requester(
            user_id=str((body.get("user") or {}).get("id") or ""),
            channel_id=str((body.get("channel") or {}).get("id") or ""),
            response_url=body.get("response_url") or None,
        )
        executor.submit(poster.tell, requester, messages.not_available_yet("Ticket details"))

    @app.action(OPEN_ON_GITHUB_ACTION)
    def open_on_github(ack: Ack) -> None:
        # Slack sends an interaction for link buttons too; unanswered, the clicker sees a warning.
        ack()

    @app.event("app_mention")
    def app_mention(body: dict[str, Any]) -> None:  # Events are acknowledged by Bolt itself
        if interactions.mention is not None:  # `@ticket-report 686` in a report's thread
            executor.submit(_logged(interactions.mention), body)


def _logged(handler: ActionHandler) -> ActionHandler:
    def run(body: Mapping[str, Any]) -> None:
        try:
            handler(body)
        except Exception:
            log.exception("%s failed", getattr(handler, "__name__", "a listener's handler"))

    return run
