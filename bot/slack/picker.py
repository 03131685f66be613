"""The period picker on posted reports: adds the select when a report is posted, and answers a choice.

A choice runs through the same ReportRunner as `/ticket-report` (the same fetch cache, queue limit
and error answers): the clicking user's zone decides "today", the channel's rules decide the
repositories again (the option's value is untrusted), and the report is posted in the thread of
the message that carried the picker, or, for a private report, only to the clicker (through the
click's response_url).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from bot.errors import BadInput
from bot.render.picker_blocks import PickerChoice, decode_choice, picker_block, with_picker
from bot.report.models import Report
from bot.slack import messages
from bot.slack.access import ChannelRules
from bot.slack.command_text import ReportCommand
from bot.slack.poster import Message, Requester, SlackPoster
from bot.slack.reports import ReportJob, ReportRunner

log = logging.getLogger(__name__)


class ReportPicker:
    """Adds the picker to reports the runner posts (`decorate`) and answers a choice (`on_pick`)."""

    def __init__(
        self,
        *,
        rules: ChannelRules,
        runner: ReportRunner,
        poster: SlackPoster,
        clock: Callable[[], datetime],
    ) -> None:
        self._rules = rules
        self._runner = runner
        self._poster = poster
        self._clock = clock

    def decorate(self, job: ReportJob, report: Report, rendered: list[Message]) -> list[Message]:
        """The report's messages with the picker added (unchanged when the channel has no repositories)."""
        block = picker_block(
            period_text=job.command.period_text,
            channel_repos=self._rules.allowed(job.requester.channel_id),
            selected=job.repos,
            private=job.command.private,
        )
        if block is None:
            return rendered
        return list(with_picker([{"text": m["text"], "blocks": list(m["blocks"])} for m in rendered], block))

    def on_pick(self, body: Mapping[str, Any]) -> None:
        """A choice in a report's picker (on the worker pool, after the acknowledgement)."""
        user = str((body.get("user") or {}).get("id") or "")
        container = body.get("container") or {}
        channel = str((body.get("channel") or {}).get("id") or container.get("channel_id") or "")
        requester = Requester(user_id=user, channel_id=channel, response_url=body.get("response_url") or None)
        try:
            action = (body.get("actions") or [{}])[0]
            choice = decode_choice((action.get("selected_option") or {}).get("value"))
        except (ValueError, TypeError, AttributeError, IndexError):
            log.warning("a picker choice without a readable value in %s", channel)
            self._poster.tell(requester, messages.picker_unreadable())
            return
        if not user or not channel:
            log.warning("a picker choice without a user or channel")
            return
        try:
            repos = self._repos(channel, choice)
        except BadInput as exc:
            self._poster.tell(requester, exc.user_message)
            return
        message = body.get("message") or {}
        thread_ts = None
        if not choice.private:  # a private report is ephemeral: it has no thread to answer in
            thread_ts = (
                str(
                    message.get("thread_ts")
                    or container.get("thread_ts")
                    or message.get("ts")
                    or container.get("message_ts")
                    or ""
                )
                or None
            )
        job = ReportJob(
            command=ReportCommand(period_text=choice.period, repos=repos, private=choice.private),
            repos=repos,
            requester=requester,
            requested_at=self._clock(),
            thread_ts=thread_ts,
        )
        if not self._runner.submit(job):
            self._poster.tell(requester, messages.busy())

    def _repos(self, channel: str, choice: PickerChoice) -> tuple[str, ...]:
        """The chosen repositories, checked against the channel's rules as they are now."""
        allowed = self._rules.allowed(channel)
        names = choice.repo_names(allowed)
        if choice.repos is not None and not names:
            raise BadInput(messages.picker_stale())
        return self._rules.choose(channel, names)
