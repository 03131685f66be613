"""What `/ticket-report` answers at once: parse, check, hand the slow work off, and say so.

`SlashCommands.accept` runs inside Slack's three seconds, so it never touches the network: the
period is checked in the user's cached timezone (or the configured one), the repositories against
the channel's rules, and the report itself is queued on the ReportRunner's pool. Bad input is
answered in the acknowledgement itself; everything later is answered ephemerally by the runner.

Extension point: `routes` maps a command type from `command_text` to the function answering it.
The drill-down (issue 4) and digests (issue 5) add theirs in `bot.slack.app.build_app`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from bot.errors import BadInput
from bot.report.models import Period
from bot.report.periods import PeriodError
from bot.service import ReportRequest, ReportService
from bot.slack import messages
from bot.slack.access import ChannelRules
from bot.slack.command_text import (
    AlertCommand,
    Command,
    CommandError,
    HelpCommand,
    ReportCommand,
    SubscriptionCommand,
    TicketCommand,
    parse_command,
)
from bot.slack.poster import Requester
from bot.slack.reports import ReportJob, ReportRunner
from bot.slack.user_tz import UserTimezones

# The zone furthest ahead of UTC: a day that has begun anywhere has begun here.
_EARLIEST_ZONE = ZoneInfo("Pacific/Kiritimati")


@dataclass(frozen=True)
class SlashRequest:
    """The parts of a slash-command payload the bot uses (no Slack dicts past the listener)."""

    text: str
    user_id: str
    channel_id: str
    response_url: str | None = None
    team_id: str | None = None

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> SlashRequest:
        return cls(
            text=str(payload.get("text") or ""),
            user_id=str(payload.get("user_id") or ""),
            channel_id=str(payload.get("channel_id") or ""),
            response_url=payload.get("response_url") or None,
            team_id=payload.get("team_id") or None,
        )

    @property
    def requester(self) -> Requester:
        return Requester(user_id=self.user_id, channel_id=self.channel_id, response_url=self.response_url)


@dataclass(frozen=True)
class Reply:
    """An ephemeral answer sent as the acknowledgement."""

    text: str
    blocks: list[dict[str, Any]] | None = field(default=None)

    def ack_kwargs(self) -> dict[str, Any]:
        blocks = self.blocks or [{"type": "section", "text": {"type": "mrkdwn", "text": self.text}}]
        return {"text": self.text, "blocks": blocks, "response_type": "ephemeral"}


Route = Callable[[SlashRequest, Any], Reply]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _not_yet(feature: str) -> Route:
    return lambda request, command: Reply(messages.not_available_yet(feature))


class SlashCommands:
    """Answers `/ticket-report` within the acknowledgement (see the module docstring)."""

    def __init__(
        self,
        *,
        rules: ChannelRules,
        service: ReportService,
        timezones: UserTimezones,
        runner: ReportRunner,
        clock: Callable[[], datetime] = _utc_now,
        routes: Mapping[type, Route] | None = None,
    ) -> None:
        self._rules = rules
        self._service = service
        self._timezones = timezones
        self._runner = runner
        self._clock = clock
        self.routes: dict[type, Route] = {
            ReportCommand: self._report,
            HelpCommand: self._help,
            # HOOKS (issues 4 and 5): replaced through `routes` once the drill-down and digests land.
            TicketCommand: _not_yet("Ticket drill-down"),
            SubscriptionCommand: _not_yet("Digest subscriptions"),
            AlertCommand: _not_yet("Alerts"),  # bot.slack.alerts, attached with the store
        }
        self.routes.update(routes or {})

    def accept(self, request: SlashRequest) -> Reply:
        """The acknowledgement for one command; slow work is queued, never done here."""
        try:
            command: Command = parse_command(request.text)
        except CommandError as exc:
            return Reply(exc.user_message)
        return self.routes[type(command)](request, command)

    def _help(self, request: SlashRequest, command: HelpCommand) -> Reply:
        zone = self._timezones.default
        return Reply(
            messages.help_text(
                repos=self._rules.allowed(request.channel_id),
                timezone_name=getattr(zone, "key", None) or str(zone),
            )
        )

    def _report(self, request: SlashRequest, command: ReportCommand) -> Reply:
        try:
            repos = self._rules.choose(request.channel_id, command.repos)
        except BadInput as exc:
            return Reply(exc.user_message)
        now = self._clock()
        user_zone = self._timezones.cached(request.user_id)
        try:
            period = self._period(command, repos=repos, now=now, tz=user_zone)
        except PeriodError as exc:
            return Reply(messages.bad_period(str(exc)))
        job = ReportJob(command=command, repos=repos, requester=request.requester, requested_at=now)
        if not self._runner.submit(job):
            return Reply(messages.busy())
        shown = period.spec or command.period_text
        if user_zone is not None and period.label not in shown:
            shown = f"{shown} ({period.label})"
        return Reply(messages.building(period=shown, repos=repos, private=command.private))

    def _period(
        self, command: ReportCommand, *, repos: tuple[str, ...], now: datetime, tz: tzinfo | None
    ) -> Period:
        """The period in the user's zone if cached; else checked in the configured zone.

        Without the user's zone, a date that is already today for the user but still tomorrow in the
        configured zone must not be refused here: it is accepted if valid in the zone furthest ahead,
        and the runner decides with the real zone (answering ephemerally if it is wrong there).
        """

        def parse(zone: tzinfo) -> Period:
            request = ReportRequest(period_text=command.period_text, repos=repos, tz=zone)
            return self._service.period(request, now=now)

        if tz is not None:
            return parse(tz)
        try:
            return parse(self._timezones.default)
        except PeriodError as in_default_zone:
            try:
                return parse(_EARLIEST_ZONE)
            except PeriodError:
                raise in_default_zone from None
