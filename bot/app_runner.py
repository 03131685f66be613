"""Composition and serving of the Slack app: `python -m bot serve` and `python -m bot clock`.

settings -> GitHub source -> ReportService -> WebClient -> Bolt app -> served by waitress on $PORT
(HTTP: POST /slack/events for Slack, GET /healthz for load balancers), or over Socket Mode when
SLACK_APP_TOKEN is set (no public URL, no signing secret; the app token is checked with
apps.connections.open before anything starts). Bolt's `app.start()` is a development server and is
not used. The Slack specifics live in `bot.slack`; this module only wires.

Digests: the store (DATABASE_URL) backs `/ticket-report subscribe` in every `serve`; `serve` also runs
the DigestScheduler in-process unless `--no-scheduler`, and `clock` runs only the scheduler. Each
digest is claimed in the store before it is posted, so any number of these processes may run.

The ticket mirror (unless `mirror: false`): reports and drill-downs read it through a MirrorSource;
the processes that run a scheduler also run a MirrorKeeper that syncs it every `sync_minutes`; with
GITHUB_WEBHOOK_SECRET set, `serve` over HTTP applies GitHub's deliveries at POST /github/webhook.

Alerts (with the mirror): `/ticket-report alerts` is answered by every `serve`; an AlertDispatcher posts
them after each applied webhook delivery and each sync, and the processes that run a scheduler also
run a pass every `alert_check_seconds`. Each alert is claimed in the store first, as digests are.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from types import FrameType
from typing import Any

from bot.actions.service import ActionService, parse_triage_managers
from bot.actions.wiring import actions_enabled, open_action_service, report_renderer
from bot.alerts.dispatch import AlertDispatcher
from bot.alerts.store import AlertStore
from bot.delivery.digests import Digests, config_subscriptions, digest_grace
from bot.delivery.scheduler import DigestScheduler, default_instance_name
from bot.errors import BadInput
from bot.llm import describe_model, model_writer
from bot.mirror.keeper import MirrorKeeper
from bot.mirror.source import MirrorSource
from bot.mirror.sync import MirrorSync
from bot.mirror.webhooks import WebhookReceiver
from bot.render.action_blocks import RowChoices
from bot.service import ReportService, TicketSource
from bot.settings import Settings, SettingsError
from bot.slack import alert_text
from bot.slack.access import ChannelRules
from bot.slack.actions import TicketActions, row_choices
from bot.slack.alerts import AlertCommands, alert_action_notes
from bot.slack.app import SlackBot, SlackStartError, build_app, check_token, open_socket_mode_url
from bot.slack.charts import ChartPoster
from bot.slack.command_text import AlertCommand, SubscriptionCommand
from bot.slack.commands import Reply
from bot.slack.drilldown import DrillDowns, remember_report
from bot.slack.managers import SubscriptionManagers, parse_managers
from bot.slack.poster import SlackPoster, make_web_client
from bot.slack.serving import (
    EVENTS_PATH,
    HEALTH_PATH,
    MAX_REQUEST_BYTES,
    MAX_WEBHOOK_BYTES,
    WEBHOOK_PATH,
    SeenRequests,
    create_http_server,
    make_wsgi_app,
    quiet_bolt_logs,
    serve_socket_mode,
)
from bot.slack.subscriptions import SubscriptionCommands
from bot.slack.updates import MessageUpdater
from bot.store import Store
from bot.store.mirror import Mirror

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
    store: Store | None = None  # set by attach_subscriptions; closed by whoever opened it
    subscriptions: SubscriptionCommands | None = None
    alerts: AlertDispatcher | None = None  # set by attach_alerts
    actions: TicketActions | None = None  # set by attach_actions
    managers: SubscriptionManagers | None = None  # set by attach_subscriptions; alerts share it

    def close(self) -> None:
        if self.alerts is not None:
            self.alerts.shutdown(wait=False)
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.slack.home.close()
        close = getattr(self.source, "close", None)
        if callable(close):
            close()


def build_bot(
    settings: Settings,
    *,
    source: TicketSource | None = None,
    workers: int = REPORT_WORKERS,
    clock: Callable[[], datetime] = _utc_now,
    store: Store | None = None,
) -> RunningBot:
    """Everything `serve` runs, built from settings. Raises SettingsError or SlackStartError.

    With `store`, `/ticket-report subscribe|subscriptions|unsubscribe` use it (see attach_subscriptions).
    """
    settings.require_slack()
    config_subscriptions(settings)  # a bad `subscriptions:` or `subscription_managers:` entry stops
    parse_managers(settings.config.subscription_managers)  # start-up before anything is built
    if source is None:
        from bot.sources.github import GitHubSource

        source = GitHubSource(
            token=settings.github_token,
            base_url=settings.github_api_url,
            search_per_minute=settings.config.github_search_per_minute,
        )
    service = ReportService(
        source=source,
        options=settings.report_options(),
        cache_seconds=settings.config.cache_seconds,
        writer=model_writer(settings, cache=store),
        max_period_days=settings.config.max_period_days,
    )
    client = make_web_client(token=settings.slack_bot_token, base_url=settings.slack_api_url)
    executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="report")
    try:
        slack = build_app(settings=settings, service=service, client=client, executor=executor, clock=clock)
    except BaseException:
        executor.shutdown(wait=False)
        raise
    bot = RunningBot(slack=slack, service=service, executor=executor, source=source)
    slack.runner.post_chart = ChartPoster(client).post
    if store is not None:
        attach_subscriptions(bot, settings, store=store, clock=clock)
        drilldowns = attach_drilldowns(bot, settings, store=store, clock=clock)
        attach_actions(bot, settings, store=store, drilldowns=drilldowns, clock=clock)
    return bot


def attach_drilldowns(
    bot: RunningBot, settings: Settings, *, store: Store, clock: Callable[[], datetime] = _utc_now
) -> DrillDowns:
    """Details buttons, `@ticket-report 686` and `/ticket-report #686`, remembered in `store`."""
    drilldowns = DrillDowns(
        source=bot.source,  # type: ignore[arg-type]  # GitHubSource and SnapshotSource fetch one ticket
        store=store,
        options=settings.report_options(),
        executor=bot.executor,
        clock=clock,
    )
    drilldowns.attach(bot.slack)
    return drilldowns


def attach_actions(
    bot: RunningBot,
    settings: Settings,
    *,
    store: Store,
    drilldowns: DrillDowns,
    clock: Callable[[], datetime] = _utc_now,
) -> TicketActions:
    """Acting on tickets from Slack (close, reopen, label, assign, reply), written to GitHub once and
    recorded in `store`. Drill-downs get an action row only when `triage_managers` names someone; the
    buttons under recommendations then refuse everyone else (and everyone, when it names nobody)."""
    _, groups, _ = parse_triage_managers(settings.config.triage_managers)
    members = SubscriptionManagers(bot.slack.client, groups=groups) if groups else None
    rules = bot.slack.rules

    def repo_refusal(channel_id: str, repo: str) -> str | None:
        try:
            rules.choose(channel_id, (repo,))
        except BadInput as exc:
            return exc.user_message
        return None

    service = open_action_service(
        settings,
        store,
        in_groups=members.allows if members is not None else None,
        in_groups_cached=members.cached_decision if members is not None else None,
        repo_refusal=repo_refusal,
    )
    actions = TicketActions(
        service=service,
        poster=bot.slack.poster,
        client=bot.slack.client,
        rules=rules,
        executor=bot.executor,
        clock=clock,
    )
    actions.attach(bot.slack)
    bot.actions = actions
    if settings.config.triage_managers:
        drilldowns.attach_actions(actions)
    else:
        actions.refresh, actions.workaround = drilldowns.refresh, drilldowns.workaround
    return actions


def attach_model_writer(bot: RunningBot, settings: Settings, *, store: Store) -> None:
    """Have the configured model (if any) rewrite reports' headlines and summaries, cached in `store`."""
    bot.service.writer = model_writer(settings, cache=store)
    log.info(describe_model(settings))


def attach_subscriptions(
    bot: RunningBot, settings: Settings, *, store: Store, clock: Callable[[], datetime] = _utc_now
) -> SubscriptionCommands:
    """Answer the subscription commands from `store` (with or without a scheduler in this process)."""
    managers = SubscriptionManagers.from_config(bot.slack.client, settings.config.subscription_managers)
    subscriptions = SubscriptionCommands(
        store=store,
        rules=bot.slack.rules,
        timezones=bot.slack.timezones,
        managers=managers,
        poster=bot.slack.poster,
        executor=bot.executor,
        config=config_subscriptions(settings),
        clock=clock,
    )
    bot.slack.commands.routes[SubscriptionCommand] = subscriptions.accept
    bot.slack.home.digests = partial(store.list_subscriptions, config=config_subscriptions(settings))
    bot.store = store
    bot.subscriptions = subscriptions
    bot.managers = managers
    if managers.groups:
        bot.executor.submit(managers.refresh)  # so commands find the groups' members cached
    return subscriptions


def make_dispatcher(
    settings: Settings,
    *,
    store: Store,
    mirror: Mirror,
    poster: SlackPoster,
    client: Any,
    rules: ChannelRules,
    clock: Callable[[], datetime] = _utc_now,
) -> AlertDispatcher:
    """The alerts dispatcher of one process, posting through `poster` (a WebClient's `client`)."""
    return AlertDispatcher(
        alerts=AlertStore(store.engine),
        mirror=mirror,
        poster=poster,
        updater=MessageUpdater(client),
        rules=rules,
        options=settings.report_options(),
        owner=default_instance_name(),
        clock=clock,
        burst=settings.config.alert_burst,
    )


def give_alert_rows(
    dispatcher: AlertDispatcher, settings: Settings, row_choices: Callable[[str], RowChoices] | None
) -> bool:
    """Have alerts end with the action row drill-downs have, when `triage_managers` is set (whether
    True). `serve` and `clock` both wire alerts through here: either may re-render an alert the other
    posted, and the row must not come and go with the process that touched it last."""
    if not actions_enabled(settings) or row_choices is None:
        return False
    dispatcher.row_choices = row_choices
    return True


@dataclass
class ClockAlerts:
    """The alerts dispatcher `clock` runs, and the action service its rows read (None without
    `triage_managers`); `shutdown` stops both."""

    dispatcher: AlertDispatcher
    service: ActionService | None = None

    def shutdown(self, *, wait: bool = True) -> None:
        self.dispatcher.shutdown(wait=wait)
        if self.service is not None:
            self.service.close()


def clock_alerts(
    settings: Settings,
    *,
    store: Store,
    mirror: MirrorParts,
    client: Any,
    clock: Callable[[], datetime] = _utc_now,
) -> ClockAlerts:
    """The alerts of `python -m bot clock`, wired as `serve` wires its own (see give_alert_rows)."""
    dispatcher = make_dispatcher(
        settings,
        store=store,
        mirror=mirror.mirror,
        poster=SlackPoster(client),
        client=client,
        rules=ChannelRules.from_settings(settings),
        clock=clock,
    )
    if not actions_enabled(settings):
        return ClockAlerts(dispatcher)
    # Only the row's menus are read here: who may act is judged by `serve`, where the clicks arrive.
    service = open_action_service(settings, store)
    give_alert_rows(dispatcher, settings, partial(row_choices, service))
    return ClockAlerts(dispatcher, service)


def attach_alerts(
    bot: RunningBot,
    settings: Settings,
    *,
    store: Store,
    mirror: MirrorParts | None,
    clock: Callable[[], datetime] = _utc_now,
) -> AlertDispatcher | None:
    """Answer `/ticket-report alerts` from `store`, and make the dispatcher that posts them (None
    without the mirror: alerts are read from it)."""
    if mirror is None:
        bot.slack.commands.routes[AlertCommand] = lambda request, command: Reply(alert_text.needs_mirror())
        return None
    dispatcher = make_dispatcher(
        settings,
        store=store,
        mirror=mirror.mirror,
        poster=bot.slack.poster,
        client=bot.slack.client,
        rules=bot.slack.rules,
        clock=clock,
    )
    managers = bot.managers  # the subscriptions' own: one cache of group members, refreshed once
    if managers is None:
        managers = SubscriptionManagers.from_config(bot.slack.client, settings.config.subscription_managers)
    alerts = AlertStore(store.engine)
    if give_alert_rows(dispatcher, settings, bot.actions.row_choices if bot.actions is not None else None):
        # An action taken from an alert's row is told in the alert's thread.
        assert bot.actions is not None
        bot.actions.refresh = alert_action_notes(alerts, bot.slack.poster, otherwise=bot.actions.refresh)
    commands = AlertCommands(
        alerts=alerts,
        rules=bot.slack.rules,
        managers=managers,
        poster=bot.slack.poster,
        executor=bot.executor,
        clock=clock,
        on_change=dispatcher.trigger,
    )
    bot.slack.commands.routes[AlertCommand] = commands.accept
    bot.alerts = dispatcher
    return dispatcher


def alert_interval(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.config.alert_check_seconds)


def start_digests(
    settings: Settings, bot: RunningBot, *, clock: Callable[[], datetime] = _utc_now
) -> DigestScheduler:
    """Run the DigestScheduler in this process, posting through the bot's own service and poster.

    A digest and a typed command share one path and one fetch cache; a subscription change made
    here is applied to the jobs at once (the scheduler's periodic sync sees changes made elsewhere).
    """
    if bot.store is None or bot.subscriptions is None:
        raise ValueError("attach_subscriptions(bot, ...) first: the scheduler needs the bot's store")
    digests = Digests(
        service=bot.service,
        poster=bot.slack.poster,
        rules=bot.slack.rules,
        clock=clock,
        render=report_renderer(settings),
    )
    digests.on_posted = partial(remember_report, bot.store)
    digests.post_chart = ChartPoster(bot.slack.client).post
    scheduler = DigestScheduler(
        bot.store,
        digests.post_digest,
        now=clock,
        config_subscriptions=config_subscriptions(settings),
        grace=digest_grace(settings),
        find_digest=digests.find_digest,
    )
    scheduler.start()
    bot.subscriptions.on_change = scheduler.sync
    return scheduler


def run_serve(settings: Settings, *, scheduler: bool) -> int:
    """`python -m bot serve`: the Slack app over HTTP on settings.port, or Socket Mode. Blocks.

    Without `scheduler`, another process (`python -m bot clock`) must post the digests from the same
    database: SettingsError when there cannot be one (the default SQLite file)."""
    if not scheduler:
        settings.require_shared_database("python -m bot serve --no-scheduler")
    quiet_bolt_logs()
    try:
        store = open_store(settings)
    except StoreUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    mirror = open_mirror(settings, store)
    try:
        bot = build_bot(settings, source=mirror.source if mirror else None)
    except SlackStartError as exc:
        store.close()
        print(f"error: {exc}", file=sys.stderr)
        return 1
    socket_url = None
    if settings.slack_app_token:  # a refused app token stops start-up here, before any scheduler runs
        try:
            socket_url = open_socket_mode_url(bot.slack.client, settings.slack_app_token)
        except SlackStartError as exc:
            bot.close()
            store.close()
            print(f"error: {exc}", file=sys.stderr)
            return 1
    attach_subscriptions(bot, settings, store=store)
    drilldowns = attach_drilldowns(bot, settings, store=store)
    attach_actions(bot, settings, store=store, drilldowns=drilldowns)
    attach_model_writer(bot, settings, store=store)
    alerts = attach_alerts(bot, settings, store=store, mirror=mirror)
    if alerts is not None and scheduler:
        alerts.start(alert_interval(settings))
    digests = start_digests(settings, bot) if scheduler else None
    if digests is None:
        log.info("digest scheduler not started here (--no-scheduler): `python -m bot clock` posts digests")
    after_sync = alerts.trigger if alerts is not None else None
    keeper = mirror.start_keeper(settings, after_sync=after_sync) if mirror and scheduler else None
    try:
        with _on_stop_signals(_interrupt):
            webhook = mirror.webhook_receiver(settings, after_apply=after_sync) if mirror else None
            _serve(settings, bot, webhook=webhook, socket_url=socket_url)
    except KeyboardInterrupt:
        log.info("stopping")
    finally:
        if keeper is not None:
            keeper.shutdown(wait=True)
        if alerts is not None:
            alerts.shutdown(wait=True)  # a pass in progress finishes before the store closes
        if digests is not None:
            digests.shutdown(wait=True)
        bot.close()
        store.close()
    log.info("stopped")
    return 0


def _serve(
    settings: Settings,
    bot: RunningBot,
    *,
    webhook: WebhookReceiver | None = None,
    socket_url: str | None = None,
) -> None:
    if settings.slack_app_token:
        if webhook is not None:
            log.warning("GITHUB_WEBHOOK_SECRET is set, but Socket Mode serves no HTTP: no webhooks arrive")
        log.info("serving over Socket Mode")
        serve_socket_mode(bot.slack.app, app_token=settings.slack_app_token, url=socket_url)
    else:
        assert settings.slack_signing_secret  # require_slack() checked it
        wsgi = make_wsgi_app(
            bot.slack.app,
            signing_secret=settings.slack_signing_secret,
            github_webhook=webhook,
            seen=seen_requests(bot.store) if bot.store is not None else None,
        )
        limit = MAX_WEBHOOK_BYTES if webhook is not None else MAX_REQUEST_BYTES
        server = create_http_server(wsgi, host=HTTP_HOST, port=settings.port, max_request_bytes=limit)
        routes = f"POST {EVENTS_PATH}, GET {HEALTH_PATH}" + (f", POST {WEBHOOK_PATH}" if webhook else "")
        log.info("serving HTTP on port %s: %s", settings.port, routes)
        server.run()


def run_clock(settings: Settings) -> int:
    """`python -m bot clock`: only the digest scheduler, for deployments running `serve --no-scheduler`.

    Needs SLACK_BOT_TOKEN (to post) but not the signing secret (it serves no requests), and a database
    shared with the `serve` processes (SettingsError on the default SQLite file). Blocks until SIGTERM
    or SIGINT, then waits for digests being posted and stops.
    """
    token = settings.slack_bot_token
    if not token or not token.startswith("xoxb-"):
        raise SettingsError(["SLACK_BOT_TOKEN must be set to the app's Bot User OAuth Token (xoxb-...)"])
    settings.require_shared_database("python -m bot clock")
    declared = config_subscriptions(settings)
    client = make_web_client(token=token, base_url=settings.slack_api_url)
    try:
        check_token(client)
        store = open_store(settings)
    except (SlackStartError, StoreUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    mirror = open_mirror(settings, store)
    if mirror is not None:
        source: TicketSource = mirror.source
    else:
        from bot.sources.github import GitHubSource

        source = GitHubSource(
            token=settings.github_token,
            base_url=settings.github_api_url,
            search_per_minute=settings.config.github_search_per_minute,
        )
    service = ReportService(
        source=source,
        options=settings.report_options(),
        cache_seconds=settings.config.cache_seconds,
        writer=model_writer(settings, cache=store),
        max_period_days=settings.config.max_period_days,
    )
    log.info(describe_model(settings))
    digests = Digests(
        service=service,
        poster=SlackPoster(client),
        rules=ChannelRules.from_settings(settings),
        render=report_renderer(settings),
    )
    digests.on_posted = partial(remember_report, store)
    digests.post_chart = ChartPoster(client).post
    scheduler = DigestScheduler(
        store,
        digests.post_digest,
        config_subscriptions=declared,
        grace=digest_grace(settings),
        find_digest=digests.find_digest,
    )
    alerts = None
    if mirror is not None:
        alerts = clock_alerts(settings, store=store, mirror=mirror, client=client)
        alerts.dispatcher.start(alert_interval(settings))
    after_sync = alerts.dispatcher.trigger if alerts else None
    keeper = mirror.start_keeper(settings, after_sync=after_sync) if mirror else None
    stop = threading.Event()
    try:
        with _on_stop_signals(lambda signum, frame: stop.set()):
            scheduler.start()
            log.info("digest scheduler running (%d from the config file); stop with SIGTERM", len(declared))
            while not stop.wait(1.0):
                pass
        log.info("stopping: waiting for digests being posted")
    finally:
        if keeper is not None:
            keeper.shutdown(wait=True)
        if alerts is not None:
            alerts.shutdown(wait=True)
        scheduler.shutdown(wait=True)
        store.close()
        close = getattr(source, "close", None)
        if callable(close):
            close()
    log.info("stopped")
    return 0


@dataclass
class MirrorParts:
    """The ticket mirror of a running bot: what reports read, and what keeps it current."""

    mirror: Mirror
    source: MirrorSource
    sync: MirrorSync

    def start_keeper(
        self, settings: Settings, *, after_sync: Callable[[], None] | None = None
    ) -> MirrorKeeper | None:
        """Sync every mirrored repository every `sync_minutes` in this process (None when 0);
        `after_sync` is called after each repository's sync (the alerts' trigger)."""
        if settings.config.sync_minutes <= 0:
            log.info("ticket mirror: sync_minutes is 0, so only reports sync it (when it is older)")
            return None

        def sync(repo: str) -> Any:
            try:
                return self.sync.sync(repo)
            finally:
                if after_sync is not None:
                    after_sync()

        keeper = MirrorKeeper(
            sync,
            repos=settings.mirrored_repos,
            interval=timedelta(minutes=settings.config.sync_minutes),
            stop=self.sync.stop,
        )
        keeper.start()
        return keeper

    def webhook_receiver(
        self, settings: Settings, *, after_apply: Callable[[], None] | None = None
    ) -> WebhookReceiver | None:
        """The receiver of GitHub's deliveries (None without a secret); `after_apply` is called after
        each delivery that changed the mirror (the alerts' trigger, which returns at once)."""
        if not settings.github_webhook_secret:
            return None
        return WebhookReceiver(
            self.mirror,
            secret=settings.github_webhook_secret,
            repos=lambda: settings.mirrored_repos,
            on_applied=(lambda event, repo: after_apply()) if after_apply is not None else None,
        )


def open_mirror(
    settings: Settings,
    store: Store,
    *,
    live: TicketSource | None = None,
    clock: Callable[[], datetime] = _utc_now,
) -> MirrorParts | None:
    """The mirror on `store`, its sync and the source reports read (None with `mirror: false`)."""
    if not settings.config.mirror:
        return None
    from bot.sources.github import GitHubSource

    github = live or GitHubSource(
        token=settings.github_token,
        base_url=settings.github_api_url,
        search_per_minute=settings.config.github_search_per_minute,
    )
    mirror = Mirror(store.engine)
    sync = MirrorSync(
        github,  # type: ignore[arg-type]  # a GitHubSource
        mirror,
        owner=default_instance_name(),
        clock=clock,
        reconcile_every=timedelta(hours=settings.config.reconcile_hours),
    )
    source = MirrorSource(
        mirror=mirror,
        live=github,  # type: ignore[arg-type]
        syncer=sync,
        sync_minutes=settings.config.sync_minutes,
        team_logins=settings.config.team_logins,
        clock=clock,
    )
    return MirrorParts(mirror=mirror, source=source, sync=sync)


def seen_requests(store: Store) -> SeenRequests:
    """The record of signed Slack requests already run, in `store` (so every process sees it)."""
    return lambda signature, timestamp: store.first_sight(signature, timestamp=timestamp)


class StoreUnavailable(Exception):
    """The database at DATABASE_URL cannot be opened; the message names the variable, not its secret."""


def open_store(settings: Settings) -> Store:
    """The store at DATABASE_URL, its tables created; StoreUnavailable (one readable line) if it fails."""
    try:
        return Store(settings.database_url, timeout=settings.config.database_timeout_seconds)
    except Exception as exc:  # SQLAlchemy's or the driver's: the first line names the cause, not the URL
        first = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
        raise StoreUnavailable(f"cannot open the database at DATABASE_URL: {first}") from None


Handler = Callable[[int, FrameType | None], None]


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # SIGTERM stops `serve` like Ctrl-C: the scheduler is shut down cleanly


@contextmanager
def _on_stop_signals(handler: Handler) -> Iterator[None]:
    """Call `handler` on SIGTERM (what platforms send to stop a process) and SIGINT, inside the block."""
    if threading.current_thread() is not threading.main_thread():  # only the main thread may
        yield
        return
    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
