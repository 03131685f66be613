"""Composition and serving of the Slack app: `python -m bot serve` and `python -m bot clock`.

settings -> GitHub source -> ReportService -> WebClient -> Bolt app -> served by waitress on $PORT
(HTTP: POST /slack/events for Slack, GET /healthz for load balancers), or over Socket Mode when
SLACK_APP_TOKEN is set (local development without a public URL). Bolt's `app.start()` is a
development server and is not used. The Slack specifics live in `bot.slack`; this module only wires.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.service import ReportService, TicketSource
from bot.settings import Settings
from bot.slack.app import SlackBot, SlackStartError, build_app
from bot.slack.poster import make_web_client
from bot.slack.serving import (
    EVENTS_PATH,
    HEALTH_PATH,
    create_http_server,
    make_wsgi_app,
    quiet_bolt_logs,
    serve_socket_mode,
)

log = logging.getLogger(__name__)

REPORT_WORKERS = 8  # reports built at once; more wait in the queue (GitHub is the bottleneck, not CPU)
HTTP_HOST = "0.0.0.0"  # behind a load balancer or a PaaS router that forwards to $PORT


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class RunningBot:
    """A composed bot: the Slack app, its parts, and what must be closed when it stops."""

    slack: SlackBot
    service: ReportService
    executor: ThreadPoolExecutor
    source: TicketSource

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
        close = getattr(self.source, "close", None)
        if callable(close):
            close()


def build_bot(
    settings: Settings,
    *,
    source: TicketSource | None = None,
    workers: int = REPORT_WORKERS,
    clock: Callable[[], datetime] = _utc_now,
) -> RunningBot:
    """Everything `serve` runs, built from settings. Raises SettingsError or SlackStartError."""
    settings.require_slack()
    if source is None:
        from bot.github_source import GitHubSource

        source = GitHubSource(token=settings.github_token, base_url=settings.github_api_url)
    service = ReportService(
        source=source, options=settings.report_options(), cache_seconds=settings.config.cache_seconds
    )
    client = make_web_client(token=settings.slack_bot_token, base_url=settings.slack_api_url)
    executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="report")
    try:
        slack = build_app(settings=settings, service=service, client=client, executor=executor, clock=clock)
    except BaseException:
        executor.shutdown(wait=False)
        raise
    return RunningBot(slack=slack, service=service, executor=executor, source=source)


def run_serve(settings: Settings, *, scheduler: bool) -> int:
    """`python -m bot serve`: the Slack app over HTTP on settings.port, or Socket Mode. Blocks."""
    quiet_bolt_logs()
    try:
        bot = build_bot(settings)
    except SlackStartError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    stop_digests = _start_digests(settings, bot) if scheduler else None
    try:
        if settings.slack_app_token:
            log.info("serving over Socket Mode")
            serve_socket_mode(bot.slack.app, app_token=settings.slack_app_token)
        else:
            assert settings.slack_signing_secret  # require_slack() checked it
            wsgi = make_wsgi_app(bot.slack.app, signing_secret=settings.slack_signing_secret)
            server = create_http_server(wsgi, host=HTTP_HOST, port=settings.port)
            log.info("serving HTTP on port %s: POST %s, GET %s", settings.port, EVENTS_PATH, HEALTH_PATH)
            server.run()
    except KeyboardInterrupt:
        log.info("stopping")
    finally:
        if stop_digests is not None:
            stop_digests()
        bot.close()
    return 0


def run_clock(settings: Settings) -> int:
    """`python -m bot clock`: only the digest scheduler, for deployments running `serve --no-scheduler`."""
    # HOOK (issue 5): build the store, a WebClient/poster and the DigestScheduler, start it and block
    # until interrupted. Until then the clock process says plainly that it has nothing to run.
    print("error: digests are not available yet; `python -m bot clock` has nothing to run", file=sys.stderr)
    return 1


def _start_digests(settings: Settings, bot: RunningBot) -> Callable[[], None] | None:
    """HOOK (issue 5): start bot/scheduler.py's DigestScheduler in this process; return its stop function.

    It should post through `bot.slack.poster`, use `bot.slack.timezones` and build with `bot.service`,
    so a digest and a command share one path and one cache.
    """
    log.info("digest scheduler: not wired yet (issue 5)")
    return None
