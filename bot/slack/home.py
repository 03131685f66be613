"""The App Home tab: built on the worker pool when a user opens it, published with views.publish.

Slack's `app_home_opened` event is acknowledged by Bolt at once; `on_opened` then runs on the
app's executor. A viewer seen for the first time gets a loading view first (views.publish answers
in well under a second), then the real one; a viewer whose view was published less than
`refresh_seconds` ago gets nothing new (the tab still shows it), so each user's Home is rebuilt
at most once a minute however often they open it.

What it shows is limited to the repositories the viewer may report on in a channel they are a
member of (`viewer.Viewers`), and built through the same ReportService as `/ticket-report`
(sharing its fetch cache; without the model's rewriting):
- open tickets waiting for a first team response, oldest first, from the last 30 days, with their
  age against `response_target_hours` and a Details button (the ticket's story, sent as a DM);
- this week's totals with their change against last week;
- the digests of the viewer's channels with their next run (when the bot keeps digests).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import replace
from datetime import datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from cachetools import LRUCache, TTLCache
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.delivery.schedule import next_fire
from bot.errors import TicketReportError
from bot.render.formatting import period_words
from bot.render.home_blocks import DigestLine, HomeView, WaitingTicket, WeekFigures, loading_home, render_home
from bot.render.view_limits import validate_view
from bot.report.models import Report
from bot.report.periods import PeriodError
from bot.service import ReportRequest, ReportService
from bot.slack import messages
from bot.slack.command_text import parse_details_value
from bot.slack.poster import Requester, SlackPoster
from bot.slack.user_tz import UserTimezones
from bot.slack.viewer import SlackLookupError, ViewerAccess, Viewers, tell_in_dm
from bot.store import Subscription

log = logging.getLogger(__name__)

REFRESH_SECONDS = 60.0
WAITING_PERIOD = "last 30 days"  # far enough back for a forgotten ticket; the window a report reads
WEEK_PERIOD = "this week"
MAX_USERS = 10_000

# Posts one ticket's story for `requester` in their DM (the drill-down's, attached when it is built).
TicketShower = Callable[[Requester, str, int], None]


class HomeTab:
    """Publishes each viewer's Home tab (see the module docstring)."""

    def __init__(
        self,
        *,
        client: WebClient,
        viewers: Viewers,
        service: ReportService,
        timezones: UserTimezones,
        poster: SlackPoster,
        response_target: timedelta,
        clock: Callable[[], datetime],
        refresh_seconds: float = REFRESH_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
        quick: Executor | None = None,
        build: Executor | None = None,
    ) -> None:
        self._client = client
        # `quick` publishes the loading view, `build` builds the real one (the app's report pool);
        # without them each step runs in the caller's thread.
        self._quick = quick
        self._build_pool = build
        self._viewers = viewers
        self._service = service
        self._timezones = timezones
        self._poster = poster
        self._target = response_target
        self._clock = clock
        self._published: TTLCache[str, bool] = TTLCache(
            maxsize=MAX_USERS, ttl=refresh_seconds, timer=monotonic
        )
        self._seen: LRUCache[str, bool] = LRUCache(maxsize=MAX_USERS)  # viewers already shown a view
        self._building: set[str] = set()
        self._lock = threading.Lock()
        # Every digest (config ones first), when this bot keeps digests; attached with the store.
        self.digests: Callable[[], Sequence[Subscription]] | None = None
        self.show_ticket: TicketShower | None = None

    # --- entry points (on the worker pool) -----------------------------------------------------------

    def on_opened(self, body: Mapping[str, Any]) -> None:
        """`app_home_opened`: publish the viewer's Home unless it was published within the last minute."""
        event = body.get("event") or {}
        user = str(event.get("user") or "")
        if event.get("tab") != "home" or not user:
            return
        with self._lock:
            if user in self._published or user in self._building:
                return
            self._building.add(user)
            first = user not in self._seen
            self._seen[user] = True
        # The loading view goes out on a pool of its own, so a queue of slow reports on the app's pool
        # never keeps a first-time viewer from seeing their tab within Slack's three seconds.
        try:
            _run(self._quick, self._start, user, first)
        except Exception:  # shutting down
            with self._lock:
                self._building.discard(user)
            raise

    def _start(self, user: str, first: bool) -> None:
        try:
            if first:
                self._publish(user, loading_home())
        except Exception:
            log.exception("publishing the loading Home view for %s failed", user)
        try:
            _run(self._build_pool, self._finish, user)
        except Exception:  # the pool is shutting down: nothing will publish the real view
            with self._lock:
                self._building.discard(user)
            raise

    def _finish(self, user: str) -> None:
        try:
            self._publish(user, self.view_for(user))
            with self._lock:
                self._published[user] = True
        finally:
            with self._lock:
                self._building.discard(user)

    def on_details(self, body: Mapping[str, Any]) -> None:
        """A Details button on the Home tab: the ticket's story in the viewer's DM with the bot."""
        user = str((body.get("user") or {}).get("id") or "")
        if not user:
            return
        actions = body.get("actions")
        action = actions[0] if isinstance(actions, list) and actions else {}
        command = parse_details_value(action.get("value") if isinstance(action, Mapping) else None)
        if command is None or command.repo is None:  # a value the bot could not have written
            log.warning("a Home Details click from %s carried no ticket the bot could have written", user)
            self._dm(user, messages.button_out_of_date())
            return
        repo, number = command.repo, command.number
        try:
            access = self._viewers.access(user)
        except SlackLookupError as exc:
            self._dm(user, messages.home_lookup_failed(exc.error))
            return
        if not access.allows(repo):
            self._dm(user, messages.home_repo_not_yours(repo))
            return
        if self.show_ticket is None:
            self._dm(user, messages.not_available_yet("Ticket details"))
            return
        try:
            channel = self._viewers.open_dm(user)
        except SlackLookupError as exc:
            log.warning("no DM with %s for a Home Details click: %s", user, exc.error)
            return
        repo = next(r for r in access.repos if r.lower() == repo.lower())  # the configured spelling
        self.show_ticket(Requester(user_id=user, channel_id=channel), repo, number)

    def close(self) -> None:
        """Stop the loading-view pool (the build pool is the app's, closed with it)."""
        if self._quick is not None:
            self._quick.shutdown(wait=False, cancel_futures=True)

    # --- the view ------------------------------------------------------------------------------------

    def view_for(self, user: str) -> dict[str, Any]:
        """The Home view for `user`, built now (Slack and GitHub calls); never raises."""
        now = self._clock()
        tz = self._timezones.get(user)
        updated = f"{now.astimezone(tz):%a %d %b %H:%M}, {getattr(tz, 'key', None) or tz}"
        try:
            access = self._viewers.access(user)
        except SlackLookupError as exc:
            problem = messages.home_lookup_failed(exc.error)
            return render_home(
                HomeView(repos=(), updated=updated, target=self._target, problem=problem, can_build=False)
            )
        digests = self._digest_lines(access, now)
        if not access.repos:
            return render_home(HomeView(repos=(), updated=updated, target=self._target, digests=digests))
        view = HomeView(repos=access.repos, updated=updated, target=self._target, digests=digests)
        try:
            week = self._build(WEEK_PERIOD, access.repos, tz=tz, now=now)
            recent = self._build(WAITING_PERIOD, access.repos, tz=tz, now=now)
        except TicketReportError as exc:
            log.warning("Home of %s: %s", user, exc.user_message)
            return render_home(replace(view, problem=messages.home_figures_failed(exc.user_message)))
        except Exception:
            log.exception("building the Home of %s failed", user)
            return render_home(replace(view, problem=messages.internal_error()))
        return render_home(
            replace(
                view,
                waiting=_waiting(recent, now=now),
                week=WeekFigures(
                    label=period_words(week.period), totals=week.totals, previous=week.previous_totals
                ),
            )
        )

    def _build(self, period: str, repos: tuple[str, ...], *, tz: tzinfo, now: datetime) -> Report:
        request = ReportRequest(period_text=period, repos=repos, tz=tz)
        try:
            return self._service.build(request, now=now, rewrite=False)
        except PeriodError:  # our own fixed period words: a bug if they are refused
            raise RuntimeError(f"the Home tab's period {period!r} was refused") from None

    def _digest_lines(self, access: ViewerAccess, now: datetime) -> tuple[DigestLine, ...] | None:
        if self.digests is None:
            return None
        mine = {channel.id for channel in access.channels}
        try:
            listed = [s for s in self.digests() if s.channel_id in mine]
        except Exception:  # the store is down: the rest of the Home still shows
            log.exception("listing digests for the Home tab failed")
            return None
        lines = []
        for subscription in listed:
            try:
                upcoming = next_fire(subscription, now)
            except (ValueError, KeyError):
                continue
            lines.append(
                DigestLine(
                    channel_id=subscription.channel_id,
                    cadence=subscription.cadence,
                    at_time=subscription.at_time,
                    timezone=subscription.timezone,
                    repos=tuple(subscription.repos),
                    next_run=upcoming.astimezone(ZoneInfo(subscription.timezone)),
                )
            )
        return tuple(lines)

    # --- Slack -----------------------------------------------------------------------------------------

    def _publish(self, user: str, view: dict[str, Any]) -> None:
        try:
            validate_view(view)
        except ValueError:
            log.exception("the Home view for %s breaks Slack's limits; not published", user)
            return
        try:
            self._client.views_publish(user_id=user, view=view)
        except SlackApiError as exc:
            log.warning("views.publish for %s failed: %s", user, exc.response.get("error"))
        except (SlackClientError, OSError) as exc:
            log.warning("views.publish for %s failed: %s", user, type(exc).__name__)

    def _dm(self, user: str, text: str) -> None:
        tell_in_dm(self._viewers, self._poster, user, text)


def _run(executor: Executor | None, work: Callable[..., None], *args: Any) -> None:
    """`work(*args)` on `executor` (its failures logged there), or here and now without one."""
    if executor is None:
        work(*args)
        return

    def logged() -> None:
        try:
            work(*args)
        except Exception:
            log.exception("building the Home tab failed")

    executor.submit(logged)


def _waiting(report: Report, *, now: datetime) -> tuple[WaitingTicket, ...]:
    """The report's tickets waiting for a first team response, with how long each has waited."""
    opened = {scored.ticket.key: scored.ticket.created_at for scored in report.tickets}
    found = []
    for ref in report.response_times.awaiting_response:
        created = opened.get((ref.repo, ref.number))
        if created is None:
            continue
        found.append(
            WaitingTicket(
                repo=ref.repo, number=ref.number, title=ref.title, url=ref.url, waiting=now - created
            )
        )
    return tuple(found)
