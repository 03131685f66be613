"""Claiming and posting alerts: `AlertDispatcher.run()` does one pass over every channel's alerts.

A pass, for each alert subscription that is not paused, on the repositories the channel may see:
* `new`: the mirror's issues created since the subscription that the channel has no record of are
  planned by `bot.alerts.engine.plan_new` (alone, bundled, counted or deferred), each claimed in the
  store before it is posted, so whichever process inserts the record posts it and no other does;
* `waiting`: open issues past the response target with no team reply, claimed and posted the same way;
* then every posted `waiting` alert whose ticket has been answered (or closed) since (found in SQL) is
  updated in place (chat.update), never posted again; the update is sent before the record is marked;
* and records left by a process that died are settled: a claim never posted is dropped (and claimed
  afresh), a post in progress is looked for in Slack by its delivery id (found: posted; not: unconfirmed).

A failed post is settled by what Slack said (`failure_kind`): a channel error (not in the channel,
archived, posting restricted) marks its record failed, to be tried by the next pass, and is counted on
the subscription; after `pause_after` of them in a row the channel's alerts of that kind pause (shown by
`/ticket-report alerts`, and told to whoever last turned them on) until `alerts on` again. Slack's or
the network's trouble (rate limits, connection failures, a token problem) marks it failed with a retry
time that grows with each try, and never pauses the channel. A message Slack rejects (too long, bad
blocks) is marked rejected and never sent again. Both are shown by `alerts`, as are unconfirmed posts.

A burst is bundled under a per-channel, per-window slot (`AlertStore.claim_slot`) claimed before its
tickets, so two processes planning the same burst post one message; the "while paused" line likewise.

`trigger()` runs a pass on the dispatcher's own thread, never the caller's (a webhook's answer stays
fast); triggers that arrive while one is waiting to run share it. `start(interval)` runs a pass every
`interval` as well: for `waiting`, for deployments without webhooks, and as a safety net.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.alerts.engine import (
    BURST_WINDOW,
    CATCH_UP,
    GROUP_DAYS,
    answered,
    by_team_or_bot,
    groups_of,
    plan_new,
    ticket_alert,
    waiting_for,
    wanted,
)
from bot.alerts.models import AlertKind, AlertSubscription, WaitingAlert
from bot.alerts.store import AlertRecord, AlertStore
from bot.delivery.ids import Delivery, new_delivery_id
from bot.delivery.scheduler import PERIODIC_EXECUTOR, periodic_executor
from bot.render.action_blocks import RowChoices
from bot.render.alert_blocks import (
    render_bundle,
    render_new_ticket,
    render_paused_count,
    render_paused_notice,
    render_waiting,
)
from bot.render.formatting import home_repo
from bot.render.slack_limits import SlackMessage
from bot.report.models import Comment, Ticket, TicketData
from bot.report.options import ReportOptions
from bot.slack.access import ChannelRules
from bot.slack.poster import ChannelArchived, NotInChannel, PostUnconfirmed, SlackPostError
from bot.store.mirror import Mirror

log = logging.getLogger(__name__)

DEFAULT_BURST = 5
PAUSE_AFTER = 3  # failed posts in a row before a channel's alerts pause
LEASE = timedelta(minutes=5)  # a claim's owner must have finished (or be dead) by then
DEFAULT_INTERVAL = timedelta(seconds=30)
_JOB_ID = "ticket-report:alerts"
RETRY_MIN = timedelta(minutes=1)  # a post failing for Slack's or the network's reasons waits this long
RETRY_MAX = timedelta(minutes=30)
INVALID_MESSAGE = "the alert was not a valid Slack message"
# The bot may not post in the channel: only these pause a channel's alerts.
CHANNEL_ERRORS = frozenset(
    {
        "not_in_channel",
        "channel_not_found",
        "is_archived",
        "channel_archived",
        "restricted_action",
        "restricted_action_read_only_channel",
        "restricted_action_thread_only_channel",
        "restricted_action_non_threadable_channel",
    }
)
# This message will never be taken, however often it is sent.
# chat.update of a message deleted, or one the bot may no longer edit: no update will ever be taken.
GONE_MESSAGE_ERRORS = frozenset({"message_not_found", "cant_update_message", "edit_window_closed"})

CONTENT_ERRORS = frozenset(
    {
        "invalid_blocks",
        "invalid_blocks_format",
        "msg_too_long",
        "no_text",
        "too_many_attachments",
        "invalid_attachments",
        "invalid_metadata_format",
        "invalid_metadata_schema",
        "metadata_too_large",
        INVALID_MESSAGE,
    }
)


class Poster(Protocol):
    def post_report(
        self, channel: str, messages: Sequence[SlackMessage], *, delivery: Delivery | None = None
    ) -> str: ...

    def find_post(
        self, channel: str, delivery_id: str, *, since: float, thread_ts: str | None = None
    ) -> str | None: ...


class Updater(Protocol):
    def update(self, channel: str, ts: str, message: SlackMessage) -> None: ...


@dataclass
class PassResult:
    """What one pass did (for logs and tests)."""

    posted: list[tuple[str, str, int, str]] = field(default_factory=list)  # channel, repo, number, kind
    bundles: int = 0
    counted: int = 0
    deferred: int = 0
    updated: int = 0
    failed: int = 0
    paused: list[tuple[str, str]] = field(default_factory=list)  # channel, kind

    def changed(self) -> bool:
        return bool(self.posted or self.bundles or self.counted or self.updated or self.failed)


class _PassCache:
    """What one pass reads once however many tickets it alerts: each repository's recent tickets,
    grouped once for all the tickets alerted alone, and its open titles."""

    def __init__(self, mirror: Mirror, alerts: AlertStore, options: ReportOptions) -> None:
        self._mirror = mirror
        self._alerts = alerts
        self._options = options
        self._windows: dict[str, TicketData] = {}
        self._groups: dict[tuple[str, int], tuple[str, int] | None] = {}
        self._titles: dict[str, list[tuple[str, int, str, str]]] = {}

    def group(self, ticket: Ticket, *, among: Sequence[Ticket], now: datetime) -> tuple[str, int] | None:
        """The group of `ticket`, grouping it with the rest of `among` (this pass's singles) at once."""
        if ticket.key not in self._groups:
            key = ticket.repo.lower()
            if key not in self._windows:
                start = now - timedelta(days=GROUP_DAYS)
                self._windows[key] = self._mirror.window(ticket.repo, window_start=start, window_end=now)
            recent = self._windows[key]
            batch = [t for t in among if t.repo.lower() == key and t.key not in self._groups]
            found = groups_of(
                batch or [ticket], recent.tickets, recent.comments, team_logins=self._options.team_logins
            )
            for t in batch or [ticket]:
                self._groups[t.key] = found.get(t.key)
        return self._groups[ticket.key]

    def open_titles(self, repo: str) -> list[tuple[str, int, str, str]]:
        key = repo.lower()
        if key not in self._titles:
            self._titles[key] = self._alerts.open_titles(repo)
        return self._titles[key]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class AlertDispatcher:
    """One pass over every channel's alerts, on demand and every interval (see the module docstring)."""

    def __init__(
        self,
        *,
        alerts: AlertStore,
        mirror: Mirror,
        poster: Poster,
        updater: Updater,
        rules: ChannelRules,
        options: ReportOptions,
        owner: str,
        clock: Callable[[], datetime] = _utc_now,
        burst: int = DEFAULT_BURST,
        pause_after: int = PAUSE_AFTER,
        lease: timedelta = LEASE,
    ) -> None:
        self._alerts = alerts
        self._mirror = mirror
        self._poster = poster
        self._updater = updater
        self._rules = rules
        self._options = options
        self._owner = owner
        self._clock = clock
        self._burst = burst
        self._pause_after = pause_after
        self._lease = lease
        self._lock = threading.Lock()  # one pass at a time in this process
        self._pending = threading.Lock()  # held while a triggered pass waits to start
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="alerts")
        self._scheduler: BackgroundScheduler | None = None
        self._pass = _PassCache(mirror, alerts, options)
        # With ticket actions on (bot.slack.actions), each alert ends with the ticket's action row.
        self.row_choices: Callable[[str], RowChoices] | None = None

    # --- when --------------------------------------------------------------------------------------

    def trigger(self) -> None:
        """Run a pass soon, on the dispatcher's thread; a pass already waiting to start covers this one."""
        if not self._pending.acquire(blocking=False):
            return
        try:
            self._executor.submit(self._triggered)
        except RuntimeError:  # shutting down
            self._pending.release()

    def _triggered(self) -> None:
        self._pending.release()
        self.run_safely()

    def run_safely(self) -> PassResult | None:
        try:
            return self.run()
        except Exception:  # the database or a bug: logged, and the next pass tries again
            log.exception("an alerts pass failed")
            return None

    def start(self, interval: timedelta = DEFAULT_INTERVAL) -> None:
        if self._scheduler is not None:
            raise RuntimeError("the alerts clock is already running")
        scheduler = BackgroundScheduler(
            jobstores={"default": MemoryJobStore()},
            executors={PERIODIC_EXECUTOR: periodic_executor()},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=UTC,
        )
        scheduler.add_job(
            self.run_safely,
            trigger=IntervalTrigger(seconds=interval.total_seconds(), timezone=UTC),
            id=_JOB_ID,
            name="post alerts",
            executor=PERIODIC_EXECUTOR,
            next_run_time=datetime.now(UTC),  # at start: what arrived while the bot was down
        )
        scheduler.start()
        self._scheduler = scheduler
        log.info("alerts: checking every %gs (and on each webhook delivery)", interval.total_seconds())

    def shutdown(self, *, wait: bool = True) -> None:
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None:
            scheduler.shutdown(wait=wait)
        self._executor.shutdown(wait=wait, cancel_futures=True)

    # --- one pass ----------------------------------------------------------------------------------

    def run(self) -> PassResult:
        with self._lock:
            now = self._clock()
            result = PassResult()
            self._pass = _PassCache(self._mirror, self._alerts, self._options)
            self._settle_lapsed(now, result)
            for subscription in self._alerts.subscriptions():
                if subscription.paused:
                    continue
                repos = self._repos(subscription)
                if not repos:
                    continue
                try:
                    if subscription.kind == "new":
                        self._new(subscription, repos, now=now, result=result)
                    elif subscription.kind == "waiting":
                        self._waiting(subscription, repos, now=now, result=result)
                except Exception:  # one channel's trouble (a bug, a ticket it cannot read) spares the others
                    log.exception("alerts (%s) of %s failed", subscription.kind, subscription.channel_id)
            self._update_answered(now, result)
            if result.changed():
                log.info(
                    "alerts: %d posted, %d bundles, %d counted, %d updated, %d failed",
                    len(result.posted),
                    result.bundles,
                    result.counted,
                    result.updated,
                    result.failed,
                )
            return result

    def _repos(self, subscription: AlertSubscription) -> tuple[str, ...]:
        """The subscription's repositories the channel may still see (its rules may have changed)."""
        allowed = self._rules.allowed(subscription.channel_id)
        if not subscription.repos:
            return allowed
        by_name = {repo.lower(): repo for repo in allowed}
        return tuple(by_name[r.lower()] for r in subscription.repos if r.lower() in by_name)

    def _candidates(
        self, subscription: AlertSubscription, repo: str, *, until: datetime | None = None
    ) -> list[tuple[Ticket, tuple[Comment, ...]]]:
        numbers = self._alerts.candidates(
            repo,
            channel_id=subscription.channel_id,
            kind=subscription.kind,
            since=subscription.created_at,
            until=until,
            team_logins=self._options.team_logins if until is not None else None,
            labels=subscription.labels,
            now=self._clock(),
        )
        now = self._clock()
        found = []
        for number in numbers:
            held = self._mirror.ticket(repo, number)
            if held is None:
                continue
            ticket = held[0]
            if ticket.state != "open":
                self._skip(subscription, ticket, now=now)  # closed before it was seen: spam, a mistake
            elif wanted(ticket, subscription, self._options) and not (
                subscription.kind == "waiting" and by_team_or_bot(ticket, self._options)
            ):
                found.append(held)
            elif subscription.kind == "waiting" or now - ticket.created_at > CATCH_UP:
                # Not for this channel, and no longer likely to be labelled so: never read again. A new
                # ticket is looked at again for its first hour, as labels are often added after opening.
                self._skip(subscription, ticket, now=now)
        return found

    def _skip(self, subscription: AlertSubscription, ticket: Ticket, *, now: datetime) -> None:
        self._alerts.claim(
            channel_id=subscription.channel_id,
            repo=ticket.repo,
            number=ticket.number,
            kind=subscription.kind,
            owner=self._owner,
            now=now,
            lease=self._lease,
            delivery_id=None,
            state="skipped",
        )

    def _new(
        self, subscription: AlertSubscription, repos: tuple[str, ...], *, now: datetime, result: PassResult
    ) -> None:
        tickets = [ticket for repo in repos for ticket, _ in self._candidates(subscription, repo)]
        if not tickets:
            return
        arrived = [t.created_at for t in tickets if now - t.created_at <= CATCH_UP]
        since = min([now, *arrived]) - BURST_WINDOW  # see `plan_new`
        recent, last_bundle = self._alerts.recent(subscription.channel_id, "new", since=since)
        plan = plan_new(tickets, now=now, recent=recent, last_bundle_at=last_bundle, burst=self._burst)
        result.deferred += len(plan.deferred)
        if plan.counted and not self._count(subscription, plan.counted, repos, now=now, result=result):
            return  # the channel paused: nothing more is posted to it in this pass
        if plan.bundle:
            self._post_bundle(subscription, plan.bundle, repos, now=now, result=result)
        home = home_repo(repos)
        for ticket in plan.single:
            group = self._pass.group(ticket, among=plan.single, now=now)
            titles = self._pass.open_titles(ticket.repo)
            alert = ticket_alert(ticket, open_tickets=titles, group=group, home_repo=home)
            if not self._post_one(
                subscription,
                ticket,
                render_new_ticket(alert, actions=self._row(ticket.repo)),
                now=now,
                result=result,
            ):
                return

    def _waiting(
        self, subscription: AlertSubscription, repos: tuple[str, ...], *, now: datetime, result: PassResult
    ) -> None:
        target = self._options.response_target
        home = home_repo(repos)
        for repo in repos:
            for ticket, comments in self._candidates(subscription, repo, until=now - target):
                waited = waiting_for(ticket, comments, now=now, options=self._options)
                if waited is None:
                    continue
                titles = self._pass.open_titles(ticket.repo)
                alert = WaitingAlert(
                    ticket=ticket_alert(ticket, open_tickets=titles, home_repo=home),
                    waited=waited,
                    target=target,
                )
                if not self._post_one(
                    subscription,
                    ticket,
                    render_waiting(alert, actions=self._row(ticket.repo)),
                    now=now,
                    result=result,
                ):
                    return

    # --- posting -----------------------------------------------------------------------------------

    def _row(self, repo: str) -> RowChoices | None:
        """What the alert's action row offers; None without ticket actions (or when Slack's side of
        them cannot say: the alert goes out without its row rather than not at all)."""
        choices = self.row_choices
        if choices is None:
            return None
        try:
            return choices(repo)
        except Exception:
            log.warning("no action row for an alert of %s", repo, exc_info=True)
            return None

    def _record(self, subscription: AlertSubscription, ticket: Ticket, delivery: str) -> AlertRecord:
        return AlertRecord(
            channel_id=subscription.channel_id,
            repo=ticket.repo,
            number=ticket.number,
            kind=subscription.kind,
            state="claimed",
            owner=self._owner,
            claimed_at=self._clock(),
            delivery_id=delivery,
        )

    def _post_one(
        self,
        subscription: AlertSubscription,
        ticket: Ticket,
        message: SlackMessage,
        *,
        now: datetime,
        result: PassResult,
    ) -> bool:
        """Claim and post one alert; False when the subscription paused (post nothing more to it)."""
        delivery = new_delivery_id()
        claimed = self._alerts.claim(
            channel_id=subscription.channel_id,
            repo=ticket.repo,
            number=ticket.number,
            kind=subscription.kind,
            owner=self._owner,
            now=now,
            lease=self._lease,
            delivery_id=delivery,
        )
        if not claimed:
            return True  # another process has it
        record = self._record(subscription, ticket, delivery)
        return self._send(subscription, [record], message, delivery=delivery, now=now, result=result)

    def _post_bundle(
        self,
        subscription: AlertSubscription,
        tickets: Sequence[Ticket],
        repos: tuple[str, ...],
        *,
        now: datetime,
        result: PassResult,
    ) -> None:
        delivery = new_delivery_id()
        if not self._alerts.claim_slot(
            subscription.channel_id, "bundle", owner=self._owner, now=now, window=BURST_WINDOW
        ):
            return  # another process bundles this window's burst; the rest waits for the next one
        mine = self._claim_new(subscription, tickets, now=now, delivery_id=delivery, bundled=True)
        if not mine:
            return
        home = home_repo(repos)
        records = [self._record(subscription, ticket, delivery) for ticket in mine]
        if len(mine) == 1:
            # The others were claimed elsewhere: one ticket is posted as its alert, with its row, never
            # as "1 new tickets arrived".
            [ticket] = mine
            group = self._pass.group(ticket, among=tickets, now=now)
            titles = self._pass.open_titles(ticket.repo)
            alert = ticket_alert(ticket, open_tickets=titles, group=group, home_repo=home)
            single = render_new_ticket(alert, actions=self._row(ticket.repo))
            self._send(subscription, records, single, delivery=delivery, now=now, result=result)
            return
        message = render_bundle([ticket_alert(t, home_repo=home) for t in mine], window=BURST_WINDOW)
        if self._send(subscription, records, message, delivery=delivery, now=now, result=result):
            result.bundles += 1

    def _send(
        self,
        subscription: AlertSubscription,
        records: list[AlertRecord],
        message: SlackMessage,
        *,
        delivery: str,
        now: datetime,
        result: PassResult,
    ) -> bool:
        """Post the message of these claimed records; False when the subscription paused."""
        channel, kind = subscription.channel_id, subscription.kind
        records = [
            r
            for r in records
            if self._alerts.move(r, ("claimed",), state="posting", lease_until=now + self._lease)
        ]
        if not records:
            return True
        try:
            ts = self._poster.post_report(channel, [message], delivery=Delivery(id=delivery))
        except PostUnconfirmed as exc:
            # It may be in the channel: never sent again, and shown by `alerts` as possibly missing.
            for record in records:
                self._alerts.move(
                    record, ("posting",), state="unconfirmed", error=exc.error, lease_until=None
                )
            self._alerts.note_error(channel, kind, error=f"unconfirmed: {exc.error}", now=now)
            result.failed += 1
            return True
        except (SlackPostError, ValueError) as exc:
            return self._failed(subscription, records, exc, now=now, result=result)
        for record in records:
            self._alerts.move(
                record,
                ("posting", "unconfirmed"),
                state="posted",
                message_ts=ts,
                posted_at=now,
                lease_until=None,
                error=None,
            )
            result.posted.append((channel, record.repo, record.number, kind))
        self._alerts.posted_ok(channel, kind, now=now)
        return True

    def _failed(
        self,
        subscription: AlertSubscription,
        records: list[AlertRecord],
        exc: Exception,
        *,
        now: datetime,
        result: PassResult,
    ) -> bool:
        """Settle the records of a post Slack refused (see `failure_kind`); False: post nothing more
        to this subscription in this pass (it paused, or Slack is not taking posts just now)."""
        channel, kind = subscription.channel_id, subscription.kind
        result.failed += 1
        if isinstance(exc, SlackPostError):
            error, what = exc.error, failure_kind(exc.error)
        else:
            log.exception("an alert for %s was not a valid Slack message", channel)
            error, what = INVALID_MESSAGE, "content"
        if what == "content":  # the same message would be refused again: never retried
            log.warning("Slack rejected an alert to %s: %s; not tried again", channel, error)
            for record in records:
                self._alerts.move(record, ("posting",), state="rejected", error=error, lease_until=None)
            self._alerts.note_error(channel, kind, error=error, now=now)
            return True
        if what == "transient":  # Slack or the network: tried again later, the channel is not at fault
            first = self._alerts.get(channel, records[0].repo, records[0].number, kind)  # its first try
            retry = now + retry_delay(now - (first.claimed_at if first is not None else now))
            log.warning("an alert to %s failed: %s; tried again from %s", channel, error, retry)
            for record in records:
                self._alerts.move(record, ("posting",), state="failed", error=error, lease_until=retry)
            self._alerts.note_error(channel, kind, error=error, now=now)
            return False
        for record in records:
            self._alerts.move(record, ("posting",), state="failed", error=error, lease_until=None)
        if self._alerts.post_failed(channel, kind, error=error, now=now, pause_after=self._pause_after):
            log.warning(
                "alerts (%s) to %s paused after %d failed posts: %s", kind, channel, self._pause_after, error
            )
            result.paused.append((channel, kind))
            self._tell_paused(subscription, error)
            return False
        return True

    def _tell_paused(self, subscription: AlertSubscription, error: str) -> None:
        """A DM to whoever turned the alerts on: the channel itself may be what fails."""
        notice = render_paused_notice(
            channel_id=subscription.channel_id,
            kind=subscription.kind,
            reason=error,
            attempts=self._pause_after,
        )
        try:
            self._poster.post_report(subscription.created_by, [notice])
        except SlackPostError as exc:
            log.warning("could not tell %s that alerts paused: %s", subscription.created_by, exc.error)

    def _claim_new(
        self,
        subscription: AlertSubscription,
        tickets: Sequence[Ticket],
        *,
        now: datetime,
        delivery_id: str | None,
        **how: Any,
    ) -> list[Ticket]:
        """The tickets of `tickets` whose `new` alert this process now owns (`how`: the claim's state or
        bundled flag); the others are (or were) another's."""
        return [
            ticket
            for ticket in tickets
            if self._alerts.claim(
                channel_id=subscription.channel_id,
                repo=ticket.repo,
                number=ticket.number,
                kind="new",
                owner=self._owner,
                now=now,
                lease=self._lease,
                delivery_id=delivery_id,
                **how,
            )
        ]

    def _count(
        self,
        subscription: AlertSubscription,
        tickets: Sequence[Ticket],
        repos: tuple[str, ...],
        *,
        now: datetime,
        result: PassResult,
    ) -> bool:
        """One line for the tickets that arrived while alerts were paused (or the bot was down); False
        when its failure paused the channel's alerts."""
        if not self._alerts.claim_slot(
            subscription.channel_id, "count", owner=self._owner, now=now, window=BURST_WINDOW
        ):
            return True  # another process counts them in its line (what it missed, the next window's)
        mine = self._claim_new(subscription, tickets, now=now, delivery_id=None, state="counted")
        if not mine:
            return True
        result.counted += len(mine)
        where = sorted({t.repo for t in mine}, key=str.lower)
        try:
            self._poster.post_report(subscription.channel_id, [render_paused_count(len(mine), repos=where)])
        except SlackPostError as exc:  # the tickets stay counted: the line is not worth a second post
            log.warning("the paused-alerts line to %s failed: %s", subscription.channel_id, exc.error)
            if failure_kind(exc.error) == "channel":
                if self._alerts.post_failed(
                    subscription.channel_id, "new", error=exc.error, now=now, pause_after=self._pause_after
                ):
                    log.warning(
                        "alerts (new) to %s paused after %d failed posts: %s",
                        subscription.channel_id,
                        self._pause_after,
                        exc.error,
                    )
                    result.paused.append((subscription.channel_id, "new"))
                    self._tell_paused(subscription, exc.error)
                    return False
            else:
                self._alerts.note_error(subscription.channel_id, "new", error=exc.error, now=now)
        return True

    # --- after posting -----------------------------------------------------------------------------

    def _update_answered(self, now: datetime, result: PassResult) -> None:
        """Say on each posted `waiting` alert that the team replied (or the ticket closed), once.

        The update goes first, then the record is marked: a process stopping in between leaves the
        record unresolved and the next pass sends the same update again, which changes nothing."""
        target = self._options.response_target
        subscriptions = {s.channel_id: s for s in self._alerts.subscriptions() if s.kind == "waiting"}
        for record in self._alerts.unresolved_waiting(team_logins=self._options.team_logins):
            held = self._mirror.ticket(record.repo, record.number)
            ticket, comments = held if held is not None else (None, ())
            outcome = answered(ticket, comments, options=self._options)
            if outcome is None or (ticket is None and outcome[1] is False):
                continue
            if ticket is None:  # deleted or transferred: nothing to show, the message stays as it was
                self._alerts.resolve(record, now=now)
                continue
            reply, closed = outcome
            subscription = subscriptions.get(record.channel_id)
            repos = self._repos(subscription) if subscription else self._rules.allowed(record.channel_id)
            alert = WaitingAlert(
                ticket=ticket_alert(ticket, home_repo=home_repo(repos)),  # as `_waiting` named it
                waited=(reply.created_at if reply else now) - ticket.created_at,
                target=target,
                replied_by=reply.author if reply else None,
                replied_after=reply.created_at - ticket.created_at if reply else None,
                closed=closed and reply is None,
            )
            try:
                assert record.message_ts is not None
                message = render_waiting(alert, actions=self._row(ticket.repo))
                self._updater.update(record.channel_id, record.message_ts, message)
            except (NotInChannel, ChannelArchived) as exc:
                log.info(
                    "could not update the alert in %s (%s); left as it was", record.channel_id, exc.error
                )
                self._alerts.resolve(record, now=now)
                continue
            except ValueError as exc:  # the renderer's check of Slack's limits: never sent, never will be
                log.warning(
                    "the update of the alert of %s#%d in %s breaks Slack's limits (%s); left as it was",
                    record.repo,
                    record.number,
                    record.channel_id,
                    exc,
                )
                self._alerts.resolve(record, now=now)
                continue
            except SlackPostError as exc:
                if exc.error in GONE_MESSAGE_ERRORS or failure_kind(exc.error) == "content":
                    # The message is gone or will never take this update: trying again changes nothing
                    # and would only keep the record in every pass.
                    log.info(
                        "could not update the alert in %s (%s); left as it was", record.channel_id, exc.error
                    )
                    self._alerts.resolve(record, now=now)
                    continue
                log.warning(
                    "updating the alert in %s failed (%s); tried again later", record.channel_id, exc.error
                )
                continue
            if self._alerts.resolve(record, now=now):
                result.updated += 1

    def _settle_lapsed(self, now: datetime, result: PassResult) -> None:
        """Records whose process died (see the module docstring)."""
        found: dict[str, str | None] = {}
        for record in self._alerts.lapsed(now=now):
            if record.state == "claimed":
                self._alerts.drop_lapsed_claim(record, now=now)
                continue
            if record.delivery_id is None:
                continue
            if not self._alerts.take_over_posting(record, owner=self._owner, now=now, lease=self._lease):
                continue
            mine = replace(record, owner=self._owner)
            if record.delivery_id not in found:
                try:
                    found[record.delivery_id] = self._poster.find_post(
                        record.channel_id, record.delivery_id, since=record.claimed_at.timestamp()
                    )
                except SlackPostError as exc:
                    log.warning(
                        "could not look for alert %s in %s: %s",
                        record.delivery_id,
                        record.channel_id,
                        exc.error,
                    )
                    found[record.delivery_id] = None
            ts = found[record.delivery_id]
            if ts:
                self._alerts.move(
                    mine, ("posting",), state="posted", message_ts=ts, posted_at=now, lease_until=None
                )
                result.posted.append((record.channel_id, record.repo, record.number, record.kind))
            else:
                error = "its process stopped while posting and the channel does not show it"
                self._alerts.move(mine, ("posting",), state="unconfirmed", error=error, lease_until=None)


def failure_kind(error: str) -> str:
    """What a refused post says: "channel" (the bot may not post there: counts toward the pause),
    "content" (this message will never be taken: rejected for good) or "transient" (rate limits,
    connection trouble, Slack's own errors, a token problem: tried again later, never pausing)."""
    if error in CHANNEL_ERRORS:
        return "channel"
    if error in CONTENT_ERRORS:
        return "content"
    return "transient"


def retry_delay(since_first_try: timedelta) -> timedelta:
    """The wait before a transient failure is tried again: as long as it has failed so far (so it
    doubles with each try), between RETRY_MIN and RETRY_MAX."""
    return max(RETRY_MIN, min(RETRY_MAX, since_first_try))


def kinds_of(subscriptions: Sequence[AlertSubscription]) -> tuple[AlertKind, ...]:
    return tuple(s.kind for s in subscriptions)
