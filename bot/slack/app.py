"""Builds the Bolt app: its parts (poster, timezones, channel rules, report runner) and every listener.

The caller (bot.app_runner) owns the GitHub source, the ReportService, the WebClient and the worker
executor, and decides how the app is served (HTTP or Socket Mode). The parts are returned with the
app so the drill-down and the digests can reuse them rather than build their own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from slack_bolt import App
from slack_bolt.error import BoltError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.actions.wiring import report_renderer
from bot.report.periods import parse_timezone
from bot.service import ReportService
from bot.settings import Settings
from bot.slack.access import ChannelRules
from bot.slack.commands import Route, SlashCommands
from bot.slack.home import HomeTab
from bot.slack.listeners import Interactions, register_listeners
from bot.slack.picker import ReportPicker
from bot.slack.poster import SlackPoster
from bot.slack.report_modal import ReportModal
from bot.slack.reports import ReportRunner
from bot.slack.user_tz import UserTimezones
from bot.slack.viewer import Viewers


class SlackStartError(Exception):
    """The app cannot start: Slack refused the token or could not be reached. Never contains a secret."""


@dataclass(frozen=True)
class SlackBot:
    """The Bolt app and the parts behind it."""

    app: App
    client: WebClient
    poster: SlackPoster
    timezones: UserTimezones
    rules: ChannelRules
    runner: ReportRunner
    commands: SlashCommands
    interactions: Interactions
    viewers: Viewers
    home: HomeTab


# Threads that publish the Home tab's loading view, apart from the report pool (see bot.slack.home).
HOME_QUICK_WORKERS = 2


def _utc_now() -> datetime:
    return datetime.now(UTC)


def build_app(
    *,
    settings: Settings,
    service: ReportService,
    client: WebClient,
    executor: Executor,
    clock: Callable[[], datetime] = _utc_now,
    routes: Mapping[type, Route] | None = None,
) -> SlackBot:
    """The Slack app for `settings`. Calls auth.test once (Bolt checks the token at start-up)."""
    rules = ChannelRules.from_settings(settings)
    timezones = UserTimezones(client, default=parse_timezone(settings.config.timezone))
    poster = SlackPoster(client)
    runner = ReportRunner(
        service=service,
        poster=poster,
        timezones=timezones,
        executor=executor,
        render=report_renderer(settings),  # the recommendations' buttons only when someone may act
    )
    commands = SlashCommands(
        rules=rules, service=service, timezones=timezones, runner=runner, clock=clock, routes=routes
    )
    try:
        app = App(
            name="ticket-report",
            client=client,
            # Over Socket Mode (no secret needed, see settings.slack_problems) nothing is signed: the
            # requests arrive on the app's own WebSocket, and Bolt must not look for a secret elsewhere.
            signing_secret=settings.slack_signing_secret or "",
            # Acknowledge first, work afterwards: the listener acks and queues; Slack gets its answer at once.
            process_before_response=False,
            request_verification_enabled=bool(settings.slack_signing_secret),
        )
    except BoltError as exc:  # Bolt's text embeds the whole auth.test response; keep only the code
        raise SlackStartError(f"Slack did not accept SLACK_BOT_TOKEN ({_auth_error(exc)})") from None
    except (SlackClientError, OSError) as exc:
        raise SlackStartError(f"cannot reach Slack at {client.base_url} ({type(exc).__name__})") from None
    viewers = Viewers(client, rules)
    home = HomeTab(
        client=client,
        viewers=viewers,
        service=service,
        timezones=timezones,
        poster=poster,
        response_target=settings.report_options().response_target,
        clock=clock,
        quick=ThreadPoolExecutor(max_workers=HOME_QUICK_WORKERS, thread_name_prefix="home"),
        build=executor,
    )
    modal = ReportModal(
        client=client,
        viewers=viewers,
        rules=rules,
        service=service,
        timezones=timezones,
        runner=runner,
        poster=poster,
        executor=executor,
        clock=clock,
    )
    picker = ReportPicker(rules=rules, runner=runner, poster=poster, clock=clock)
    runner.decorate = picker.decorate
    interactions = Interactions(
        report_picker=picker.on_pick,
        home_opened=home.on_opened,
        home_details=home.on_details,
        open_report_modal=modal.open,
        submit_report_modal=modal.submit,
    )
    register_listeners(
        app,
        commands=commands,
        poster=poster,
        executor=executor,
        interactions=interactions,
    )
    return SlackBot(
        app=app,
        client=client,
        poster=poster,
        timezones=timezones,
        rules=rules,
        runner=runner,
        commands=commands,
        interactions=interactions,
        viewers=viewers,
        home=home,
    )


def check_token(client: WebClient) -> None:
    """auth.test, as Bolt does at start-up, for processes without a Bolt app (`python -m bot clock`)."""
    try:
        client.auth_test()
    except SlackApiError as exc:
        code = str(exc.response.get("error") or "auth.test failed")
        raise SlackStartError(f"Slack did not accept SLACK_BOT_TOKEN ({code})") from None
    except (SlackClientError, OSError) as exc:
        raise SlackStartError(f"cannot reach Slack at {client.base_url} ({type(exc).__name__})") from None


def open_socket_mode_url(client: WebClient, app_token: str) -> str:
    """apps.connections.open with the app-level token: the WebSocket URL Socket Mode connects to.

    Called before connecting, so that a token Slack refuses stops start-up with one line (the SDK's own
    connect logs the whole response and raises)."""
    try:
        return str(client.apps_connections_open(app_token=app_token)["url"])
    except SlackApiError as exc:
        code = str(exc.response.get("error") or "apps.connections.open failed")
        hint = _APP_TOKEN_HINTS.get(code, "")
        raise SlackStartError(f"Slack did not accept SLACK_APP_TOKEN ({code}){hint}") from None
    except (SlackClientError, OSError) as exc:
        raise SlackStartError(f"cannot reach Slack at {client.base_url} ({type(exc).__name__})") from None
    except (KeyError, TypeError):
        raise SlackStartError("Slack's apps.connections.open gave no WebSocket URL; try again") from None


_NEW_APP_TOKEN = (
    ": create an app-level token with the connections:write scope under Basic Information → App-Level"
    " Tokens, and set SLACK_APP_TOKEN to it"
)
_APP_TOKEN_HINTS = {
    "invalid_auth": _NEW_APP_TOKEN,
    "not_authed": _NEW_APP_TOKEN,
    "token_revoked": _NEW_APP_TOKEN,
    "token_expired": _NEW_APP_TOKEN,
    "missing_scope": ": the app-level token needs the connections:write scope (Basic Information →"
    " App-Level Tokens)",
    "not_allowed_token_type": ": SLACK_APP_TOKEN must be an app-level token (xapp-...), not a bot or"
    " user token",
}


def _auth_error(exc: BoltError) -> str:
    text = str(exc)
    for code in ("invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"):
        if code in text:
            return code
    return "auth.test failed"
