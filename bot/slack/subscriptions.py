"""`/ticket-report subscribe | subscriptions | unsubscribe`: a channel's digests, managed from Slack.

Answered inside the acknowledgement whenever that needs no Slack call: the words are parsed, the
repositories checked against the channel's rules, the manager check answered from its cache, and the
store read or written (one small indexed query; milliseconds). Only when the requester's timezone
(for a subscription without a ZONE) or a user group's members are not cached yet does the change
move to the worker pool: the acknowledgement says so and the answer follows ephemerally. Rejected
input changes nothing.

After every change `on_change` runs on the pool (the in-process scheduler's `sync`), so the jobs
follow at once; a separate `python -m bot clock` process picks changes up within its sync interval.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import SQLAlchemyError

from bot.delivery.schedule import Schedule, next_fire
from bot.errors import BadInput
from bot.slack import messages
from bot.slack.access import ChannelRules
from bot.slack.command_text import CommandError, SubscriptionCommand
from bot.slack.commands import Reply, SlashRequest
from bot.slack.managers import SubscriptionManagers
from bot.slack.poster import SlackPoster
from bot.slack.subscription_text import (
    SubscribeArgs,
    UnsubscribeArgs,
    config_label,
    parse_subscribe,
    parse_unsubscribe,
)
from bot.slack.user_tz import UserTimezones
from bot.store import Store, Subscription, SubscriptionExists

# How long the acknowledgement waits for the store before answering later instead (Slack allows 3 s).
ACK_DEADLINE = 1.5

log = logging.getLogger(__name__)

MAX_SUBSCRIPTIONS_PER_CHANNEL = 25
MAX_SECTION_CHARS = 3000  # Slack rejects a section whose text is longer
MAX_BLOCKS = 50


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SubscriptionCommands:
    """The route for SubscriptionCommand (see the module docstring)."""

    def __init__(
        self,
        *,
        store: Store,
        rules: ChannelRules,
        timezones: UserTimezones,
        managers: SubscriptionManagers,
        poster: SlackPoster,
        executor: Executor,
        config: Sequence[Subscription] = (),
        clock: Callable[[], datetime] = _utc_now,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self._store = store
        self._rules = rules
        self._timezones = timezones
        self._managers = managers
        self._poster = poster
        self._executor = executor
        self._config = tuple(config)
        self._clock = clock
        self.on_change = on_change

    def accept(self, request: SlashRequest, command: SubscriptionCommand) -> Reply:
        """The acknowledgement: the answer if the store gives it within ACK_DEADLINE, else a note
        now and the answer ephemerally once it is done (a locked or slow database must not make the
        acknowledgement miss Slack's three seconds)."""
        try:
            future = self._executor.submit(self._answer, request, command)
        except RuntimeError:  # shutting down
            return Reply(messages.busy())
        try:
            return future.result(timeout=ACK_DEADLINE)
        except FutureTimeout:
            future.add_done_callback(lambda done: self._tell_late(request, done))
            return Reply(messages.subscription_pending())

    def _tell_late(self, request: SlashRequest, done: Future[Reply]) -> None:
        try:
            text = done.result().text
        except Exception:
            log.exception("a late subscription answer for %s failed", request.channel_id)
            text = messages.internal_error()
        self._poster.tell(request.requester, text)

    def _answer(self, request: SlashRequest, command: SubscriptionCommand) -> Reply:
        try:
            if command.action == "subscribe":
                return self._subscribe(request, parse_subscribe(command.words))
            if command.action == "unsubscribe":
                return self._unsubscribe(request, parse_unsubscribe(command.words))
            return self._list(request, command.words)
        except (CommandError, BadInput) as exc:
            return Reply(exc.user_message)
        except SQLAlchemyError:
            log.exception("the store failed while answering %s %s", messages.COMMAND, command.action)
            return Reply(messages.subscriptions_unavailable())

    # subscribe ---------------------------------------------------------------------------------

    def _subscribe(self, request: SlashRequest, args: SubscribeArgs) -> Reply:
        chosen = self._rules.choose(request.channel_id, args.repos)  # BadInput: nothing is stored
        repos = chosen if args.repos else ()  # none typed: follow the channel's list as it changes
        allowed = self._managers.cached_decision(request.user_id)
        if allowed is False:
            return Reply(self._not_a_manager())
        zone = args.timezone or _zone_name(self._timezones.cached(request.user_id))
        if allowed is None or zone is None:
            pending = messages.subscription_pending()
            return self._later(self._subscribe_later, request, args, repos, pending=pending)
        return Reply(self._store_subscription(request, args=args, repos=repos, zone=zone))

    def _subscribe_later(self, request: SlashRequest, args: SubscribeArgs, repos: tuple[str, ...]) -> str:
        if not self._managers.allows(request.user_id):
            return self._not_a_manager()
        zone = args.timezone or _zone_name(self._timezones.get(request.user_id)) or "UTC"
        return self._store_subscription(request, args=args, repos=repos, zone=zone)

    def _store_subscription(
        self, request: SlashRequest, *, args: SubscribeArgs, repos: tuple[str, ...], zone: str
    ) -> str:
        existing = self._store.list_subscriptions(request.channel_id, config=self._config)
        wanted = Schedule(cadence=args.cadence, at_time=args.at_time, timezone=zone)
        idents = _idents(existing)
        for subscription in existing:
            if subscription.schedule == wanted and _same_repos(subscription.repos, repos):
                return messages.already_subscribed(idents[subscription.key])
        if sum(1 for s in existing if s.source == "command") >= MAX_SUBSCRIPTIONS_PER_CHANNEL:
            return messages.too_many_subscriptions(MAX_SUBSCRIPTIONS_PER_CHANNEL)
        now = self._clock()
        try:
            added = self._store.add_subscription(
                channel_id=request.channel_id,
                cadence=wanted.cadence,
                at_time=wanted.at_time,
                timezone=wanted.timezone,
                repos=repos,
                quiet=args.quiet,
                created_by=request.user_id,
                now=now,
            )
        except SubscriptionExists as exc:  # the same `subscribe` stored a moment ago (another request)
            return messages.already_subscribed(str(exc.existing.id))
        log.info("channel %s subscribed to digest %s by %s", request.channel_id, added.key, request.user_id)
        self._changed()
        return messages.subscribed(
            ident=str(added.id),
            cadence=added.cadence,
            at_time=added.at_time,
            timezone=added.timezone,
            repos=added.repos,
            quiet=added.quiet,
            next_fire=_local(next_fire(added, now), added),
        )

    # subscriptions -----------------------------------------------------------------------------

    def _list(self, request: SlashRequest, words: Sequence[str]) -> Reply:
        if words:
            return Reply(messages.subscriptions_takes_no_words(" ".join(words)))
        listed = self._store.list_subscriptions(request.channel_id, config=self._config)
        if not listed:
            return Reply(messages.no_subscriptions())
        now = self._clock()
        idents = _idents(listed)
        entries = [
            messages.subscription_entry(
                ident=idents[s.key],
                cadence=s.cadence,
                at_time=s.at_time,
                timezone=s.timezone,
                repos=s.repos,
                quiet=s.quiet,
                from_config=s.source == "config",
                next_fire=_local(next_fire(s, now), s),
                last_posted=_local(s.last_posted_at, s) if s.last_posted_at else None,
                error=s.last_error,
                error_at=_local(s.last_error_at, s) if s.last_error_at else None,
                state=s.last_state,
                retry_at=_local(s.next_attempt_at, s) if s.next_attempt_at else None,
            )
            for s in listed
        ]
        head = messages.subscription_list_head(len(listed))
        foot = messages.subscription_list_foot(has_config=any(s.source == "config" for s in listed))
        return Reply(head, blocks=_sections([head, *entries, foot]))

    # unsubscribe -------------------------------------------------------------------------------

    def _unsubscribe(self, request: SlashRequest, args: UnsubscribeArgs) -> Reply:
        allowed = self._managers.cached_decision(request.user_id)
        if allowed is False:
            return Reply(self._not_a_manager())
        if allowed is None:
            return self._later(self._unsubscribe_later, request, args, pending=messages.unsubscribe_pending())
        return Reply(self._remove(request, args))

    def _unsubscribe_later(self, request: SlashRequest, args: UnsubscribeArgs) -> str:
        if not self._managers.allows(request.user_id):
            return self._not_a_manager()
        return self._remove(request, args)

    def _remove(self, request: SlashRequest, args: UnsubscribeArgs) -> str:
        channel = request.channel_id
        listed = self._store.list_subscriptions(channel, config=self._config)
        idents = _idents(listed)
        stored = [s for s in listed if s.source == "command"]
        declared = [s for s in listed if s.source == "config"]
        if args.config_label is not None:
            if args.config_label in (idents[s.key] for s in declared):
                return messages.config_subscription_fixed(args.config_label)
            return messages.no_such_subscription(args.config_label, known=list(idents.values()))
        if args.all or (args.unspecified and len(stored) > 1):
            if not stored:
                return messages.nothing_to_unsubscribe(config_count=len(declared))
            if not args.all:
                return messages.which_subscription([idents[s.key] for s in stored])
            removed = self._store.remove_all(channel)
            log.info("channel %s removed all %d digest subscriptions (%s)", channel, removed, request.user_id)
            self._changed()
            return messages.unsubscribed_all(removed, config_left=len(declared))
        if args.unspecified:
            if not stored:
                return messages.nothing_to_unsubscribe(config_count=len(declared))
            target = stored[0].id
        else:
            target = args.subscription_id
        assert target is not None
        if not self._store.remove_subscription(channel, target):
            return messages.no_such_subscription(str(target), known=list(idents.values()))
        log.info("channel %s removed digest db:%d (%s)", channel, target, request.user_id)
        self._changed()
        return messages.unsubscribed(str(target))

    # -------------------------------------------------------------------------------------------

    def _not_a_manager(self) -> str:
        return messages.not_a_subscription_manager(users=self._managers.users, groups=self._managers.groups)

    def _later(self, work: Callable[..., str], request: SlashRequest, *args: Any, pending: str) -> Reply:
        """Finish `work` on the pool and answer the requester with its text; acknowledge with `pending`."""

        def run() -> None:
            try:
                text = work(request, *args)
            except SQLAlchemyError:
                log.exception("the store failed while changing subscriptions of %s", request.channel_id)
                text = messages.subscriptions_unavailable()
            except Exception:
                log.exception("changing subscriptions of %s failed", request.channel_id)
                text = messages.internal_error()
            self._poster.tell(request.requester, text)

        try:
            self._executor.submit(run)
        except RuntimeError:  # shutting down
            return Reply(messages.busy())
        return Reply(pending)

    def _changed(self) -> None:
        callback = self.on_change
        if callback is None:
            return

        def run() -> None:
            try:
                callback()
            except Exception:
                log.exception("applying a subscription change to the scheduler failed")

        try:
            self._executor.submit(run)
        except RuntimeError:
            log.warning("shutting down: the scheduler will see the subscription change when it next starts")


def _zone_name(zone: tzinfo | None) -> str | None:
    if zone is None:
        return None
    key = getattr(zone, "key", None)
    return key if isinstance(key, str) and key else "UTC"


def _local(moment: datetime, subscription: Subscription) -> datetime:
    return moment.astimezone(ZoneInfo(subscription.timezone))


def _same_repos(first: Sequence[str], second: Sequence[str]) -> bool:
    return {r.lower() for r in first} == {r.lower() for r in second}


def _idents(listed: Sequence[Subscription]) -> dict[str, str]:
    """What each subscription is called in Slack: its row ID, or c1, c2, ... for config ones."""
    idents: dict[str, str] = {}
    declared = 0
    for subscription in listed:
        if subscription.source == "config":
            idents[subscription.key] = config_label(declared)
            declared += 1
        else:
            idents[subscription.key] = str(subscription.id)
    return idents


def _sections(lines: Sequence[str]) -> list[dict[str, Any]]:
    """Lines packed into as few mrkdwn sections as Slack's 3000-character limit allows."""
    texts: list[str] = []
    for line in lines:
        if texts and len(texts[-1]) + 1 + len(line) <= MAX_SECTION_CHARS:
            texts[-1] += "\n" + line
        else:
            texts.append(line[:MAX_SECTION_CHARS])
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text}} for text in texts[:MAX_BLOCKS]]
