"""`/ticket-report alerts on | off | alerts`: a channel's real-time alerts, managed from Slack.

Answered inside the acknowledgement when no Slack call is needed (the words parsed, the repositories
checked against the channel's rules, the managers rule answered from its cache, one small write); when
a user group's members must first be fetched, or the database is slow, the answer follows ephemerally.
Rejected input changes nothing. The same managers rule as digest subscriptions (`subscription_managers`)
decides who may turn alerts on or off; anyone may list them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor, Future
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bot.alerts.store import AlertStore
from bot.errors import BadInput
from bot.slack import alert_text, messages
from bot.slack.access import ChannelRules
from bot.slack.alert_text import AlertsList, AlertsOff, AlertsOn, parse_alerts
from bot.slack.command_text import AlertCommand, CommandError
from bot.slack.commands import Reply, SlashRequest
from bot.slack.managers import SubscriptionManagers
from bot.slack.poster import SlackPoster, SlackPostError
from bot.slack.updates import MessageUpdater, with_state

ACK_DEADLINE = 1.5  # seconds the acknowledgement waits for the store (Slack allows 3)

log = logging.getLogger(__name__)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class AlertCommands:
    """The route for AlertCommand (see the module docstring)."""

    def __init__(
        self,
        *,
        alerts: AlertStore,
        rules: ChannelRules,
        managers: SubscriptionManagers,
        poster: SlackPoster,
        executor: Executor,
        clock: Callable[[], datetime] = _utc_now,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self._alerts = alerts
        self._rules = rules
        self._managers = managers
        self._poster = poster
        self._executor = executor
        self._clock = clock
        self.on_change = on_change

    def accept(self, request: SlashRequest, command: AlertCommand) -> Reply:
        try:
            args = parse_alerts(command.words)
        except CommandError as exc:
            return Reply(exc.user_message)
        try:
            future = self._executor.submit(self._answer, request, args)
        except RuntimeError:  # shutting down
            return Reply(messages.busy())
        try:
            return future.result(timeout=ACK_DEADLINE)
        except FutureTimeout:
            future.add_done_callback(lambda done: self._tell_late(request, done))
            if isinstance(args, AlertsList):
                return Reply(alert_text.alerts_list_pending())
            return Reply(alert_text.alerts_pending())

    def _tell_late(self, request: SlashRequest, done: Future[Reply]) -> None:
        try:
            text = done.result().text
        except Exception:
            log.exception("a late alerts answer for %s failed", request.channel_id)
            text = messages.internal_error()
        self._poster.tell(request.requester, text)

    def _answer(self, request: SlashRequest, args: Any) -> Reply:
        try:
            if isinstance(args, AlertsList):
                return Reply(self._list(request))
            if isinstance(args, AlertsOn):
                # Checked before the managers rule: bad input is answered the same for everyone.
                chosen = self._rules.choose(request.channel_id, args.repos)
                repos = chosen if args.repos else ()
                return self._managed(request, lambda: self._on(request, args, repos))
            assert isinstance(args, AlertsOff)
            return self._managed(request, lambda: self._off(request, args))
        except BadInput as exc:
            return Reply(exc.user_message)
        except SQLAlchemyError:
            log.exception("the store failed while answering %s alerts", messages.COMMAND)
            return Reply(alert_text.alerts_unavailable())

    def _managed(self, request: SlashRequest, change: Callable[[], str]) -> Reply:
        """Run `change` if the requester may; ask Slack for group members on the pool when needed."""
        allowed = self._managers.cached_decision(request.user_id)
        if allowed is True:
            return Reply(change())
        if allowed is False:
            return Reply(self._not_a_manager())

        def later() -> None:
            try:
                text = change() if self._managers.allows(request.user_id) else self._not_a_manager()
            except SQLAlchemyError:
                log.exception("the store failed while changing alerts of %s", request.channel_id)
                text = alert_text.alerts_unavailable()
            except Exception:
                log.exception("changing alerts of %s failed", request.channel_id)
                text = messages.internal_error()
            self._poster.tell(request.requester, text)

        try:
            self._executor.submit(later)
        except RuntimeError:
            return Reply(messages.busy())
        return Reply(alert_text.alerts_pending())

    def _on(self, request: SlashRequest, args: AlertsOn, repos: tuple[str, ...]) -> str:
        now = self._clock()
        changes = []
        for kind in args.kinds:
            how = self._alerts.subscribe(
                channel_id=request.channel_id,
                kind=kind,
                repos=repos,
                labels=args.labels,
                created_by=request.user_id,
                now=now,
            )
            changes.append((kind, how))
        log.info("channel %s: alerts %s on by %s", request.channel_id, "+".join(args.kinds), request.user_id)
        self._changed()
        return alert_text.turned_on(changes, repos=repos, labels=args.labels)

    def _off(self, request: SlashRequest, args: AlertsOff) -> str:
        removed = self._alerts.unsubscribe(request.channel_id, args.kinds)
        log.info("channel %s: alerts %s off by %s", request.channel_id, "+".join(removed), request.user_id)
        return alert_text.turned_off(removed, args.kinds)

    def _list(self, request: SlashRequest) -> str:
        listed = self._alerts.subscriptions(request.channel_id)
        if not listed:
            return alert_text.no_alerts()
        now = self._clock()
        allowed = self._rules.allowed(request.channel_id)
        entries = [
            alert_text.alert_entry(
                s,
                repos=s.repos or allowed,
                now=now,
                troubled=self._alerts.troubled(request.channel_id, s.kind),
            )
            for s in listed
        ]
        return alert_text.alert_list(entries)

    def _not_a_manager(self) -> str:
        return alert_text.not_an_alert_manager(users=self._managers.users, groups=self._managers.groups)

    def _changed(self) -> None:
        callback = self.on_change
        if callback is not None:
            try:
                callback()
            except Exception:
                log.exception("starting an alerts pass after a change failed")


Refresh = Callable[..., None]  # bot.slack.actions.TicketActions.refresh


def alert_action_notes(alerts: AlertStore, poster: SlackPoster, *, otherwise: Refresh | None) -> Refresh:
    """What ticket actions do after acting from a message's row: for an alert, say what was done (and
    by whom: `note`) in the alert's thread and, when the ticket's state is known (`state`, GitHub's
    answer), redraw the alert's row with it (Close becomes Reopen); a `waiting` one is still updated
    when the team replies. Any other message goes to `otherwise` (the drill-down's redraw)."""
    updater = MessageUpdater(poster.client)

    def refresh(
        channel: str,
        ts: str,
        *,
        thread_ts: str | None,
        repo: str,
        number: int,
        note: str,
        state: str | None = None,
    ) -> None:
        if thread_ts is None and alerts.alert_at(channel, ts) is not None:
            block = {"type": "section", "text": {"type": "mrkdwn", "text": note[:2900], "verbatim": True}}
            try:
                poster.post_in_thread(channel, thread_ts=ts, messages=[{"text": note, "blocks": [block]}])
            except SlackPostError as exc:  # done on GitHub all the same; the log keeps what was said
                log.warning("could not tell the alert %s in %s what was done: %s", ts, channel, exc.error)
            if state is not None:
                _redraw(poster, updater, channel, ts, repo=repo, number=number, state=state)
            return
        if otherwise is not None:
            otherwise(channel, ts, thread_ts=thread_ts, repo=repo, number=number, note=note, state=state)

    return refresh


def _redraw(
    poster: SlackPoster, updater: MessageUpdater, channel: str, ts: str, *, repo: str, number: int, state: str
) -> None:
    """The alert as Slack has it, its row showing `state`: so the next click is a new decision."""
    try:
        message = poster.message(channel, ts)
        blocks = with_state((message or {}).get("blocks") or [], repo, number, state=state)
        if message is None or blocks is None:
            log.info("the alert %s in %s has no row for %s#%s to redraw", ts, channel, repo, number)
            return
        updater.update(channel, ts, {"text": str(message.get("text") or ""), "blocks": blocks})
    except SlackPostError as exc:  # the thread says what was done; the row shows it at the next action
        log.warning("could not redraw the alert %s in %s after an action: %s", ts, channel, exc.error)
