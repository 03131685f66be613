"""The slow half of `/ticket-report`: build the report and post it, on the app's own worker pool.

The acknowledgement has already been sent when a job runs here. A job never raises: every failure
becomes an ephemeral answer to the requester that says what happened and what to do, and anything
unexpected is also logged in full for us.

Bolt's own listener pool (five threads) runs the acknowledging listeners; the GitHub work runs on a
separate ThreadPoolExecutor so that slow reports can never delay an acknowledgement.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime

from bot.errors import RateLimited, TicketReportError
from bot.render import render_messages
from bot.report.models import Report
from bot.report.periods import PeriodError
from bot.service import ReportRequest, ReportService
from bot.slack import messages
from bot.slack.command_text import ReportCommand
from bot.slack.poster import (
    ChannelArchived,
    Message,
    NotInChannel,
    PartlyPosted,
    PostUnconfirmed,
    Requester,
    SlackPoster,
    SlackPostError,
)
from bot.slack.user_tz import UserTimezones

log = logging.getLogger(__name__)

DEFAULT_MAX_PENDING = 200


@dataclass(frozen=True)
class ReportJob:
    """A report accepted by the acknowledgement, waiting to be built."""

    command: ReportCommand
    repos: tuple[str, ...]  # already checked against the channel's rules
    requester: Requester
    requested_at: datetime  # the report's "now": the moment the command arrived
    thread_ts: str | None = None  # post in this thread of the channel (a re-run from a report's picker)


class ReportRunner:
    """Runs ReportJobs on `executor`; refuses new ones while `max_pending` are queued or running."""

    def __init__(
        self,
        *,
        service: ReportService,
        poster: SlackPoster,
        timezones: UserTimezones,
        executor: Executor,
        render: Callable[[Report], Sequence[Message]] = render_messages,
        max_pending: int = DEFAULT_MAX_PENDING,
    ) -> None:
        self._service = service
        self._poster = poster
        self._timezones = timezones
        self._executor = executor
        self._render = render
        self._max_pending = max_pending
        self._pending = 0
        self._lock = threading.Lock()
        # Called with (channel, ts, report) after a report is posted in a channel (the drill-down
        # remembers the report's context there); its failures are logged, never shown.
        self.on_posted: Callable[[str, str, Report], None] | None = None
        # Given the job, the report and its messages, returns the messages to send (the period picker
        # adds its select); a failure there is logged and the report is sent without it.
        self.decorate: Callable[[ReportJob, Report, list[Message]], list[Message]] | None = None
        # Called the same way afterwards to upload the trend chart into the report's thread
        # (bot.slack.charts.ChartPoster.post: it logs its failures and never raises).
        self.post_chart: Callable[[str, str, Report], object] | None = None

    def submit(self, job: ReportJob) -> bool:
        """Queue the job; False (nothing queued) when too many reports are already waiting."""
        with self._lock:
            if self._pending >= self._max_pending:
                return False
            self._pending += 1
        try:
            self._executor.submit(self._run_counted, job)
        except RuntimeError:  # the executor is shutting down
            self._release()
            return False
        return True

    def _run_counted(self, job: ReportJob) -> None:
        try:
            self.run(job)
        finally:
            self._release()

    def _release(self) -> None:
        with self._lock:
            self._pending -= 1

    def _posted(self, channel: str, ts: str, report: Report) -> None:
        if self.on_posted is None:
            return
        try:
            self.on_posted(channel, ts, report)
        except Exception:
            log.exception("remembering the report posted as %s in %s failed", ts, channel)

    def _decorated(self, job: ReportJob, report: Report, rendered: list[Message]) -> list[Message]:
        if self.decorate is None:
            return rendered
        try:
            return self.decorate(job, report, rendered)
        except Exception:
            log.exception("adding the picker to a report for %s failed", job.requester.channel_id)
            return rendered

    def run(self, job: ReportJob) -> None:
        """Build and post one report; never raises."""
        started = time.monotonic()
        requester = job.requester
        tz = self._timezones.default
        try:
            tz = self._timezones.get(requester.user_id)
            request = ReportRequest(
                period_text=job.command.period_text,
                repos=job.repos,
                tz=tz,
                top=job.command.top,
                include_labels=job.command.include_labels,
                exclude_labels=job.command.exclude_labels,
            )
            period = self._service.period(request, now=job.requested_at)
            report = self._service.build_for(period, request=request, now=job.requested_at)
            rendered = self._decorated(job, report, list(self._render(report)))
            if job.command.private:
                self._poster.answer(requester, rendered)
            elif job.thread_ts:
                self._poster.post_in_thread(requester.channel_id, thread_ts=job.thread_ts, messages=rendered)
                if self.post_chart is not None:  # a week or more chosen in the picker: its chart too
                    self.post_chart(requester.channel_id, job.thread_ts, report)
            else:
                ts = self._poster.post_report(requester.channel_id, rendered)
                self._posted(requester.channel_id, ts, report)
                if self.post_chart is not None:
                    self.post_chart(requester.channel_id, ts, report)
        except PeriodError as exc:  # valid in the fallback zone at the ack, not in the user's own
            self._poster.tell(requester, messages.bad_period(str(exc)))
        except RateLimited as exc:
            log.warning("report for %s: GitHub rate limit until %s", requester.channel_id, exc.reset_at)
            self._poster.tell(requester, messages.rate_limited(exc.reset_at, tz=tz))
        except TicketReportError as exc:
            log.warning("report for %s failed: %s", requester.channel_id, exc.user_message)
            self._poster.tell(requester, messages.upstream_failure(exc.user_message))
        except NotInChannel:
            self._poster.tell(requester, messages.not_in_channel())
        except ChannelArchived:
            self._poster.tell(requester, messages.channel_archived())
        except PostUnconfirmed as exc:  # sent, Slack's answer lost, not found in the channel: not resent
            log.warning("report for %s could not be confirmed: %s", requester.channel_id, exc.error)
            self._poster.tell(requester, messages.report_unconfirmed(partly=exc.ts is not None))
        except PartlyPosted:
            self._poster.tell(requester, messages.partly_posted())
        except SlackPostError as exc:
            self._poster.tell(requester, messages.slack_refused(exc.error))
        except Exception:
            log.exception("report for %s (%s) failed", requester.channel_id, ", ".join(job.repos))
            self._poster.tell(requester, messages.internal_error())
        else:
            log.info(
                "report %r on %s for %s: %d message(s) in %.1fs",
                job.command.period_text,
                ", ".join(job.repos),
                "the requester" if job.command.private else requester.channel_id,
                len(rendered),
                time.monotonic() - started,
            )
