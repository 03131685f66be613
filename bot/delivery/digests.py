"""One scheduled digest, built and posted: the report of a subscription's period, in its channel.

The scheduler (bot/delivery/scheduler.py) decides when a digest is due and claims it in the store; this module
builds it with the same ReportService and posts it with the same SlackPoster as a typed
`/ticket-report`, so a digest and a command share one path and one fetch cache:

    subscription + fire time -> schedule.digest_period -> repositories (the subscription's, else the
    channel's, always within the channel's rules) -> ReportService.build_for -> render -> chat.postMessage
    to the channel, continued in the thread when the report needs several messages.

A period without ticket activity posts one short line, or nothing for a `quiet` subscription.
Failures are raised as DigestError (a `bot.delivery.ids.NotDelivered`), whose text the scheduler records
and `/ticket-report subscriptions` shows to people: short, readable, never a token or a stack trace
(the log has those). It also says whether a retry is safe (nothing was sent, and the cause may pass:
GitHub down or rate limited, Slack rate limited) and whether the post is unconfirmed (Slack may have
it; never sent again).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.delivery.ids import Delivery, NotDelivered
from bot.delivery.schedule import ScheduleError, digest_period
from bot.errors import BadInput, TicketReportError
from bot.render import render_messages
from bot.render.picker_blocks import picker_block, with_picker
from bot.report.models import Report
from bot.service import ReportRequest, ReportService
from bot.settings import Settings, SettingsError
from bot.slack import messages
from bot.slack.access import ChannelRules
from bot.slack.poster import (
    ChannelArchived,
    Message,
    NotInChannel,
    PartlyPosted,
    PostUnconfirmed,
    SlackPostError,
)
from bot.store import Subscription

log = logging.getLogger(__name__)

# With digest_grace_hours: 0 a digest is still posted when its job runs a little late (a busy process,
# a slow database); anything later is skipped, as asked.
MIN_GRACE = timedelta(minutes=1)


class DigestError(NotDelivered):
    """A digest could not be posted, or may not have been; the message is what `subscriptions` shows."""


class ReportPoster(Protocol):
    """What a digest needs from Slack: post messages to a channel, the rest in the first one's thread,
    and find a post by its delivery id."""

    def post_report(
        self, channel: str, messages: Sequence[Message], *, delivery: Delivery | None = None
    ) -> str: ...

    def find_post(
        self, channel: str, delivery_id: str, *, since: float, thread_ts: str | None = None
    ) -> str | None: ...


# Slack codes after which nothing was posted and a later try may work.
_PASSING_SLACK_ERRORS = frozenset({"ratelimited", "rate_limited", "service_unavailable"})


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Digests:
    """Builds and posts digests; `post_digest` is the scheduler's `PostDigest`."""

    def __init__(
        self,
        *,
        service: ReportService,
        poster: ReportPoster,
        rules: ChannelRules,
        clock: Callable[[], datetime] = _utc_now,
        render: Callable[[Report], Sequence[Message]] = render_messages,
    ) -> None:
        self._service = service
        self._poster = poster
        self._rules = rules
        self._clock = clock
        self._render = render
        # Called with (channel, ts, report) after a digest report is posted, so its Details buttons
        # drill down with the digest's own scores (bot.slack.drilldown.remember_report).
        self.on_posted: Callable[[str, str, Report], None] | None = None
        # Then called with the same to upload the trend chart into the digest's thread
        # (bot.slack.charts.ChartPoster.post: it logs its failures and never raises).
        self.post_chart: Callable[[str, str, Report], object] | None = None

    def post_digest(
        self, subscription: Subscription, fire_time: datetime, delivery: Delivery | None = None
    ) -> str | None:
        """Post the digest that fired at `fire_time`: the first message's ts, None when nothing was posted
        (a quiet period, or `delivery.begin()` said no). DigestError (readable) when it was not posted."""
        channel = subscription.channel_id
        post = delivery or Delivery()
        began = False

        def begin() -> bool:
            nonlocal began
            began = True
            return post.begin()

        try:
            return self._post(subscription, fire_time, Delivery(id=post.id, begin=begin))
        except BadInput as exc:  # the channel's rules no longer allow the subscription's repositories
            raise DigestError(exc.user_message) from None
        except TicketReportError as exc:  # GitHub: rate limit (with its reset time), not found, down
            raise DigestError(messages.digest_github_failed(exc.user_message), retry=True) from None
        except NotInChannel as exc:
            raise DigestError(messages.digest_not_in_channel(exc.error)) from None
        except ChannelArchived:
            raise DigestError(messages.digest_channel_archived()) from None
        except PostUnconfirmed as exc:
            raise DigestError(messages.digest_unconfirmed(exc.error), unconfirmed=True) from None
        except PartlyPosted as exc:
            raise DigestError(messages.digest_partly_posted(exc.error)) from None
        except SlackPostError as exc:
            passing = exc.error in _PASSING_SLACK_ERRORS or exc.error.startswith("connection failed")
            raise DigestError(messages.digest_slack_refused(exc.error), retry=passing) from None
        except Exception:
            log.exception("digest %s for %s failed unexpectedly", subscription.key, channel)
            # Before the post began nothing can have been sent; after it, something may have been.
            raise DigestError(
                messages.digest_internal_error(), retry=not began, unconfirmed=began, expected=False
            ) from None

    def find_digest(self, subscription: Subscription, delivery_id: str, *, since: datetime) -> str | None:
        """The ts of the digest posted with `delivery_id` at or after `since`, else None; SlackPostError
        when the channel cannot be looked at."""
        return self._poster.find_post(subscription.channel_id, delivery_id, since=since.timestamp())

    def _post(self, subscription: Subscription, fire_time: datetime, delivery: Delivery) -> str | None:
        channel = subscription.channel_id
        repos = self._rules.choose(channel, subscription.repos)
        period = digest_period(subscription, fire_time, max_days=self._service.max_period_days)
        # The report's "now": the fire time, or later for a digest caught up after an outage.
        now = max(fire_time, self._clock())
        request = ReportRequest(period_text=period.spec, repos=repos, tz=ZoneInfo(subscription.timezone))
        report = self._service.build_for(period, request=request, now=now)
        if report.totals.total == 0 and subscription.quiet:
            log.info("digest %s for %s: no activity, quiet: nothing posted", subscription.key, period.spec)
            return None
        # A quiet period renders as one short message (and what still waits for a first response).
        rendered = self._with_picker(channel, repos, period.spec, list(self._render(report)))
        ts = self._poster.post_report(channel, rendered, delivery=delivery)
        if not ts:
            return None
        if self.on_posted is not None:
            try:
                self.on_posted(channel, ts, report)
            except Exception:  # the digest is posted; only the drill-down context is missing
                log.exception("remembering digest %s posted as %s failed", subscription.key, ts)
        if self.post_chart is not None:
            self.post_chart(channel, ts, report)
        return ts

    def _with_picker(
        self, channel: str, repos: Sequence[str], period_text: str, rendered: list[Message]
    ) -> list[Message]:
        """The digest with the period picker at its end, as a typed report has it (the choice is
        answered by `bot.slack.picker` in whichever process serves Slack's interactions)."""
        try:
            block = picker_block(
                period_text=period_text,
                channel_repos=self._rules.allowed(channel),
                selected=repos,
                private=False,
            )
            return rendered if block is None else list(with_picker(rendered, block))
        except Exception:  # the digest goes out without its picker rather than not at all
            log.exception("adding the period picker to the digest for %s failed", channel)
            return rendered


def config_subscriptions(settings: Settings) -> list[Subscription]:
    """The digests declared under `subscriptions:` in the config file; SettingsError naming bad ones."""
    declared: list[Subscription] = []
    problems: list[str] = []
    for index, entry in enumerate(settings.config.subscriptions):
        try:
            declared.append(
                Subscription.from_config(
                    channel_id=entry.channel,
                    cadence=entry.cadence,
                    at_time=entry.at,
                    timezone=entry.timezone,
                    repos=entry.repos,
                    quiet=entry.quiet,
                )
            )
        except ScheduleError as exc:
            problems.append(f"config subscriptions.{index}: {exc}")
    if problems:
        raise SettingsError(problems)
    return declared


def digest_grace(settings: Settings) -> timedelta:
    """How late a missed digest may still be posted at start-up (config `digest_grace_hours`)."""
    return max(timedelta(hours=settings.config.digest_grace_hours), MIN_GRACE)
