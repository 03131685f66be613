"""The threaded drill-down: a Details click, `@ticket-report 686` in a thread, or `/ticket-report #686`.

Everything here runs after the acknowledgement, on the app's own worker pool. One ticket costs at
most three GitHub requests (GitHubSource.fetch_ticket). A Details click posts in the report's thread
once: the store records the reply, and a second click gets an ephemeral link to it instead.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from datetime import datetime
from typing import Any, Protocol

from bot.errors import BadInput, TicketReportError
from bot.render.action_blocks import RowChoices
from bot.render.ticket_blocks import render_ticket_detail
from bot.report.drilldown import ReportContext, build_ticket_detail, context_from_report
from bot.report.models import Comment, Report, Ticket
from bot.report.options import ReportOptions
from bot.report.periods import parse_period
from bot.slack import messages
from bot.slack.command_text import TicketCommand, parse_details_value, parse_ticket_reference
from bot.slack.commands import Reply, SlashRequest
from bot.slack.poster import ChannelArchived, NotInChannel, PostUnconfirmed, Requester, SlackPostError
from bot.store import Store

log = logging.getLogger(__name__)
# The recorded reply of a drill-down whose post Slack did not confirm (never a real ts).
UNCONFIRMED = "unconfirmed"
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
# Without a report behind it, a ticket's score covers the last seven days.
DEFAULT_PERIOD = "week"


def remember_report(store: Store, channel: str, ts: str, report: Report) -> None:
    """Store what a posted report knew, for Details clicks in its thread."""
    context = context_from_report(report)
    store.save_report_context(
        channel_id=channel, message_ts=ts, context=json.dumps(context.to_dict(), ensure_ascii=False)
    )


class TicketFetcher(Protocol):
    def fetch_ticket(self, repo: str, number: int) -> tuple[Ticket, tuple[Comment, ...]]: ...


class DrillDowns:
    """Answers Details clicks, mentions and `/ticket-report #N` with one ticket's whole story."""

    def __init__(
        self,
        *,
        source: TicketFetcher,
        store: Store,
        options: ReportOptions,
        executor: Executor,
        clock: Callable[[], datetime],
    ) -> None:
        self._source = source
        self._store = store
        self._options = options
        self._executor = executor
        self._clock = clock
        # With ticket actions on (bot.slack.actions), each reply ends with the ticket's action row.
        self.row_choices: Callable[[str], RowChoices] | None = None

    def attach_actions(self, actions: Any) -> None:  # bot.slack.actions.TicketActions
        """Give every reply an action row, and let actions redraw the reply they were taken from."""
        self.row_choices = actions.row_choices
        actions.refresh = self.refresh
        actions.workaround = self.workaround

    def attach(self, slack: Any) -> None:  # bot.slack.app.SlackBot (not imported: it imports us indirectly)
        """Wire into a built Slack app: Details buttons, mentions, `/ticket-report #N`, posted reports."""
        self._poster = slack.poster
        self._rules = slack.rules
        self._timezones = slack.timezones
        self._client = slack.client
        slack.interactions.ticket_details = self.on_details
        slack.interactions.mention = self.on_mention
        slack.commands.routes[TicketCommand] = self.route
        slack.runner.on_posted = self.remember_report
        slack.home.show_ticket = self.post_ticket

    # --- entry points ------------------------------------------------------------------------------

    def remember_report(self, channel: str, ts: str, report: Report) -> None:
        remember_report(self._store, channel, ts, report)

    def route(self, request: SlashRequest, command: TicketCommand) -> Reply:
        """`/ticket-report #686`: checked within the ack, posted as a new channel message afterwards."""
        try:
            repo = self._repo_for(request.channel_id, command)
        except BadInput as exc:
            return Reply(exc.user_message)
        requester = request.requester
        self._executor.submit(
            self._safely, requester, repo, command.number, thread_ts=None, private=command.private
        )
        return Reply(messages.looking_up(f"{repo}#{command.number}"))

    def post_ticket(self, requester: Requester, repo: str, number: int) -> None:
        """One ticket's story as a new message in `requester.channel_id` (the Home tab's DM); the
        caller has checked that the requester may see `repo`."""
        self._safely(requester, repo, number, thread_ts=None, private=False)

    def on_details(self, body: Mapping[str, Any]) -> None:
        """A Details button in a report: reply in the report's thread."""
        user = str((body.get("user") or {}).get("id") or "")
        channel = str((body.get("channel") or {}).get("id") or "")
        requester = Requester(user_id=user, channel_id=channel, response_url=body.get("response_url") or None)
        message = body.get("message") or {}
        container = body.get("container") or {}
        thread_ts = str(
            message.get("thread_ts")
            or message.get("ts")
            or container.get("thread_ts")
            or container.get("message_ts")
            or ""
        )
        actions = body.get("actions")
        action = actions[0] if isinstance(actions, list) and actions else {}
        # A button carries the ticket as its value; an overflow menu as its chosen option's value.
        chosen = action.get("selected_option") if isinstance(action, Mapping) else None
        raw = action.get("value") if isinstance(action, Mapping) else None
        if raw is None and isinstance(chosen, Mapping):
            raw = chosen.get("value")
        command = parse_details_value(raw)
        if command is None or command.repo is None:
            log.warning("a Details click in %s carried no ticket the bot could have written", channel)
            self._poster.tell(requester, messages.button_out_of_date())
            return
        repo, number = command.repo, command.number
        try:
            repo = self._repo_for(channel, TicketCommand(number=number, repo=repo))
        except BadInput as exc:
            self._poster.tell(requester, exc.user_message)
            return
        self._safely(requester, repo, number, thread_ts=thread_ts or None, private=False)

    def on_mention(self, body: Mapping[str, Any]) -> None:
        """`@ticket-report 686` in a thread (or a channel): reply in that thread."""
        event = body.get("event") or {}
        channel = str(event.get("channel") or "")
        user = str(event.get("user") or "")
        requester = Requester(user_id=user, channel_id=channel, response_url=None)
        text = _MENTION.sub(" ", str(event.get("text") or "")).strip()
        try:
            command = parse_ticket_reference(text)
        except BadInput as exc:
            self._poster.tell(requester, exc.user_message)
            return
        if command is None:
            self._poster.tell(requester, messages.mention_usage())
            return
        thread_ts = str(event.get("thread_ts") or event.get("ts") or "")
        context = self._context(channel, thread_ts)
        try:
            repo = self._repo_for(channel, command, context=context)
        except BadInput as exc:
            self._poster.tell(requester, exc.user_message)
            return
        self._safely(requester, repo, command.number, thread_ts=thread_ts or None, private=False)

    # --- the work ----------------------------------------------------------------------------------

    def _repo_for(self, channel: str, command: TicketCommand, *, context: ReportContext | None = None) -> str:
        """The allowed repository the ticket belongs to; BadInput says what to type otherwise."""
        if command.repo:
            return self._rules.choose(channel, (command.repo,))[0]
        allowed = self._rules.choose(channel)
        if len(allowed) == 1:
            return allowed[0]
        if context is not None:  # in a report's thread: the report's ticket with that number
            owners = [t.repo for t in context.tickets if t.number == command.number]
            if len(owners) == 1 and owners[0].lower() in {r.lower() for r in allowed}:
                return owners[0]
        raise BadInput(messages.which_repo_for_ticket(command.number, allowed=allowed))

    def _context(self, channel: str, ts: str) -> ReportContext | None:
        if not ts:
            return None
        raw = self._store.load_report_context(channel_id=channel, message_ts=ts)
        if raw is None:
            return None
        try:
            return ReportContext.from_dict(json.loads(raw))
        except (ValueError, KeyError, TypeError):
            log.warning("the stored context of report %s in %s is unreadable", ts, channel)
            return None

    def _safely(
        self, requester: Requester, repo: str, number: int, *, thread_ts: str | None, private: bool
    ) -> None:
        try:
            self._drill(requester, repo, number, thread_ts=thread_ts, private=private)
        except Exception:
            log.exception("drill-down of %s#%s failed", repo, number)
            self._poster.tell(requester, messages.drilldown_internal_error(f"{repo}#{number}"))

    def _drill(
        self, requester: Requester, repo: str, number: int, *, thread_ts: str | None, private: bool
    ) -> None:
        channel = requester.channel_id
        label = f"{repo}#{number}"
        key = {"channel_id": channel, "thread_ts": thread_ts or "", "repo": repo.lower(), "number": number}
        if thread_ts and not self._store.record_drilldown(**key):
            existing = self._store.find_drilldown(**key)
            if existing == UNCONFIRMED:
                self._poster.tell(requester, messages.drilldown_unconfirmed(label))
            elif existing is None:
                self._poster.tell(requester, messages.drilldown_in_progress(label))
            else:
                self._poster.tell(
                    requester, messages.drilldown_exists(label, link=self._permalink(channel, existing))
                )
            return
        try:
            ticket, comments = self._source.fetch_ticket(repo, number)
            context = self._context(channel, thread_ts or "")
            now = self._clock()
            period = (
                context.period
                if context is not None
                else parse_period(DEFAULT_PERIOD, now=now, tz=self._timezones.get(requester.user_id))
            )
            message = self._render(ticket, comments, context=context, period=period, now=now)
            if thread_ts:
                ts = self._poster.post_in_thread(channel, thread_ts=thread_ts, messages=[message])[0]
                self._store.complete_drilldown(**key, message_ts=ts)
            elif private:
                self._poster.answer(requester, [message])
            else:
                self._poster.post_report(channel, [message])
        except PostUnconfirmed:
            # Slack may hold the reply: remembered as such, never posted again in this thread.
            if thread_ts:
                self._store.complete_drilldown(**key, message_ts=UNCONFIRMED)
            self._poster.tell(requester, messages.drilldown_unconfirmed(label))
        except BaseException as exc:
            if thread_ts:
                self._store.forget_drilldown(**key)  # a failed reply must not block the next click
            self._explain(requester, label, exc)

    def _render(
        self,
        ticket: Ticket,
        comments: tuple[Comment, ...],
        *,
        context: ReportContext | None,
        period: Any,
        now: datetime,
        note: str = "",
    ) -> dict[str, Any]:
        detail = build_ticket_detail(
            ticket, comments, now=now, period=period, options=self._options, context=context
        )
        actions = self.row_choices(ticket.repo) if self.row_choices is not None else None
        return dict(render_ticket_detail(detail, actions=actions, note=note))

    def refresh(
        self,
        channel: str,
        ts: str,
        *,
        thread_ts: str | None,
        repo: str,
        number: int,
        note: str,
        state: str | None = None,
    ) -> None:
        """Redraw the drill-down `ts` after an action: the ticket as GitHub has it now (fetched again, so
        `state` is not needed), its row, and `note` (what was done, by whom). If it cannot be redrawn,
        `note` goes into the thread instead."""
        try:
            ticket, comments = self._source.fetch_ticket(repo, number)
            context = self._context(channel, thread_ts or "")
            now = self._clock()
            period = (
                context.period
                if context is not None
                else parse_period(DEFAULT_PERIOD, now=now, tz=self._timezones.default)
            )
            message = self._render(ticket, comments, context=context, period=period, now=now, note=note)
            self._client.chat_update(channel=channel, ts=ts, text=message["text"], blocks=message["blocks"])
            return
        except Exception:
            log.warning(
                "could not redraw the drill-down %s in %s after an action", ts, channel, exc_info=True
            )
        text = note
        block = {"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": True}}
        try:
            self._poster.post_in_thread(
                channel, thread_ts=thread_ts or ts, messages=[{"text": text, "blocks": [block]}]
            )
        except SlackPostError as exc:  # done on GitHub all the same; the log keeps what was said
            log.warning(
                "could not tell the thread %s in %s what was done: %s", thread_ts or ts, channel, exc.error
            )

    def workaround(self, channel: str, report_ts: str, repo: str, number: int) -> str:
        """The team's known workaround for the ticket's common issue in the report `report_ts`, or ""."""
        context = self._context(channel, report_ts)
        return context.workaround_for(repo, number) if context is not None else ""

    def _explain(self, requester: Requester, label: str, exc: BaseException) -> None:
        if isinstance(exc, TicketReportError):
            self._poster.tell(requester, messages.drilldown_failed(label, exc.user_message))
        elif isinstance(exc, NotInChannel):
            self._poster.tell(requester, messages.drilldown_not_in_channel(label))
        elif isinstance(exc, ChannelArchived):
            self._poster.tell(requester, messages.drilldown_channel_archived(label))
        elif isinstance(exc, SlackPostError):
            self._poster.tell(requester, messages.drilldown_slack_refused(label, exc.error))
        else:
            raise exc

    def _permalink(self, channel: str, ts: str) -> str | None:
        try:
            answer = self._client.chat_getPermalink(channel=channel, message_ts=ts)
        except Exception:  # the link is a courtesy; the answer stands without it
            log.info("no permalink for %s in %s", ts, channel)
            return None
        link = str(answer.get("permalink") or "")
        return link if link.startswith("https://") and not set("<>|") & set(link) else None
