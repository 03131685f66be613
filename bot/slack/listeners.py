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
from bot.render.action_blocks import ACTION_PATTERN
from bot.render.home_blocks import BUILD_REPORT_ACTION, HOME_DETAILS_PATTERN
from bot.render.modal_blocks import MODAL_CALLBACK
from bot.render.picker_blocks import PICKER_ACTION
from bot.render.ticket_blocks import OPEN_ON_GITHUB_ACTION
from bot.slack import messages
from bot.slack.commands import Reply, SlashCommands, SlashRequest
from bot.slack.poster import Requester, SlackPoster

log = logging.getLogger(__name__)

# The renderer gives every ticket button an action_id matching this.
TICKET_DETAILS_ACTION = re.compile(DETAILS_ACTION_PATTERN)
HOME_DETAILS_ACTION = re.compile(HOME_DETAILS_PATTERN)
TICKET_ACTION = re.compile(ACTION_PATTERN)
TICKET_ACTION_MODAL = re.compile(r"^ticket_act_")

# Hooks for the drill-down (issue 4): a handler for the Details button and for mentions. Each gets the
# raw Bolt body (listeners are the only place that sees Slack dicts) and runs on the app's executor.
ActionHandler = Callable[[Mapping[str, Any]], None]
# A modal's submission, answered in its acknowledgement: {} closes it, `response_action: errors` does not.
SubmissionHandler = Callable[[Mapping[str, Any]], dict[str, Any]]


@dataclass
class Interactions:
    """Handlers for clicks, mentions and the Home tab. All run off the ack on the executor except
    `open_report_modal` (views.open must follow the click within three seconds, so it runs right after
    the ack) and `submit_report_modal` (its answer is the acknowledgement)."""

    ticket_details: ActionHandler | None = None
    mention: ActionHandler | None = None
    report_picker: ActionHandler | None = None
    home_opened: ActionHandler | None = None
    home_details: ActionHandler | None = None
    open_report_modal: ActionHandler | None = None
    submit_report_modal: SubmissionHandler | None = None
    # Acting on a ticket (bot.slack.actions): run right after the ack, since some clicks open a modal;
    # the handler hands GitHub work to the executor itself.
    ticket_action: ActionHandler | None = None
    submit_ticket_action: SubmissionHandler | None = None


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

    @app.action(PICKER_ACTION)
    def report_picker(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        if interactions.report_picker is not None:
            executor.submit(_logged(interactions.report_picker), body)

    @app.event("app_home_opened")
    def app_home_opened(body: dict[str, Any]) -> None:  # acknowledged by Bolt; the Home tab queues its work
        if interactions.home_opened is not None:
            _logged(interactions.home_opened)(body)

    @app.action(HOME_DETAILS_ACTION)
    def home_ticket_details(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        if interactions.home_details is not None:
            executor.submit(_logged(interactions.home_details), body)

    @app.action(BUILD_REPORT_ACTION)
    def build_report(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        if interactions.open_report_modal is not None:
            _logged(interactions.open_report_modal)(body)

    @app.view(MODAL_CALLBACK)
    def report_modal_submitted(ack: Ack, body: dict[str, Any]) -> None:
        answer: dict[str, Any] = {}
        if interactions.submit_report_modal is not None:
            try:
                answer = interactions.submit_report_modal(body)
            except Exception:  # a bug: close the form rather than leave Slack waiting
                log.exception("the report modal's submission failed before its acknowledgement")
        ack(**answer)

    @app.action(TICKET_ACTION)
    def ticket_action(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        if interactions.ticket_action is not None:
            _logged(interactions.ticket_action)(body)
            return
        requester = Requester(
            user_id=str((body.get("user") or {}).get("id") or ""),
            channel_id=str((body.get("channel") or {}).get("id") or ""),
            response_url=body.get("response_url") or None,
        )
        executor.submit(poster.tell, requester, messages.actions_not_set_up())

    @app.view(TICKET_ACTION_MODAL)
    def ticket_action_submitted(ack: Ack, body: dict[str, Any]) -> None:
        answer: dict[str, Any] = {}
        if interactions.submit_ticket_action is not None:
            try:
                answer = interactions.submit_ticket_action(body)
            except Exception:  # a bug: close the form rather than leave Slack waiting
                log.exception("a ticket action's submission failed before its acknowledgement")
        ack(**answer)

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
