"""The "Build a report" modal: opened from the Home tab, submitted to the same ReportRunner as
`/ticket-report`.

Opening (`open`) runs in the button's listener right after its acknowledgement, because Slack's
trigger_id expires three seconds after the click: with the viewer's channels already known (the
Home tab looked them up) the form opens at once; otherwise a loading modal opens and is replaced
(views.update) once they are known.

Submitting (`submit`) is answered in the acknowledgement: what can be checked without Slack or
GitHub is checked there, and a problem comes back as `response_action: errors` naming the field,
in words, with the modal still open. Then, on the worker pool, the viewer's channels are looked up
fresh and everything is checked again (the payload is untrusted and the form may be old): the
destination must be a channel the viewer and the bot are both in, the repository one that channel
may report on (the channel rules, as for the command) or, for "only me", one the viewer may report
on somewhere. "Only me" is a direct message from the bot (conversations.open, scope im:write).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.errors import BadInput
from bot.render.modal_blocks import (
    ALL_REPOS,
    DESTINATION_ACTION,
    DESTINATION_BLOCK,
    LABELS_ACTION,
    LABELS_BLOCK,
    ONLY_ME,
    PERIOD_ACTION,
    PERIOD_BLOCK,
    PERIOD_TEXT_ACTION,
    PERIOD_TEXT_BLOCK,
    REPO_ACTION,
    REPO_BLOCK,
    loading_modal,
    notice_modal,
    report_modal,
)
from bot.render.picker_blocks import PERIOD_CHOICES
from bot.render.view_limits import MAX_ERROR_TEXT, validate_view
from bot.report.periods import MAX_TEXT_LENGTH, PeriodError
from bot.service import ReportRequest, ReportService
from bot.slack import messages
from bot.slack.access import ChannelRules
from bot.slack.command_text import ReportCommand
from bot.slack.poster import Requester, SlackPoster
from bot.slack.reports import ReportJob, ReportRunner
from bot.slack.user_tz import UserTimezones
from bot.slack.viewer import SlackLookupError, ViewerAccess, Viewers, tell_in_dm

log = logging.getLogger(__name__)

MAX_LABELS = 20
MAX_LABEL_LENGTH = 100
_PERIODS = frozenset(key for key, _ in PERIOD_CHOICES)
# The zone furthest ahead of UTC: a day that has begun anywhere has begun here (as for the command).
_EARLIEST_ZONE = ZoneInfo("Pacific/Kiritimati")


class FormError(Exception):
    """One field of the submitted form is wrong; `text` says what would work (plain text)."""

    def __init__(self, block_id: str, text: str) -> None:
        super().__init__(text)
        self.block_id = block_id
        self.text = text


@dataclass(frozen=True)
class ReportForm:
    """A submitted modal, read and checked for form (not yet for access)."""

    period_text: str
    repo: str | None  # None: all the destination's repositories
    include_labels: frozenset[str]
    exclude_labels: frozenset[str]
    destination: str  # a channel ID, or ONLY_ME


class ReportModal:
    """Opens the modal and answers its submission (see the module docstring)."""

    def __init__(
        self,
        *,
        client: WebClient,
        viewers: Viewers,
        rules: ChannelRules,
        service: ReportService,
        timezones: UserTimezones,
        runner: ReportRunner,
        poster: SlackPoster,
        executor: Executor,
        clock: Callable[[], datetime],
    ) -> None:
        self._client = client
        self._viewers = viewers
        self._rules = rules
        self._service = service
        self._timezones = timezones
        self._runner = runner
        self._poster = poster
        self._executor = executor
        self._clock = clock

    # --- opening -------------------------------------------------------------------------------------

    def open(self, body: Mapping[str, Any]) -> None:
        """views.open for the clicker, at once (in the listener: the trigger_id lasts three seconds)."""
        user = str((body.get("user") or {}).get("id") or "")
        trigger_id = str(body.get("trigger_id") or "")
        if not user or not trigger_id:
            log.warning("a Build a report click without a user or trigger_id")
            return
        known = self._viewers.last(user)
        view = self._form(known) if known is not None else loading_modal()
        opened = self._views("views.open", trigger_id=trigger_id, view=view)
        if known is None and opened is not None:
            view_id = str((opened.get("view") or {}).get("id") or "")
            if view_id:
                self._executor.submit(self._fill, user, view_id)

    def _fill(self, user: str, view_id: str) -> None:
        try:
            view = self._form(self._viewers.access(user))
        except SlackLookupError as exc:
            view = notice_modal(messages.home_lookup_failed(exc.error))
        self._views("views.update", view_id=view_id, view=view)

    def _form(self, access: ViewerAccess) -> dict[str, Any]:
        if not access.repos:
            return notice_modal(messages.modal_no_repos())
        return report_modal(repos=access.repos, channels=[(c.id, c.name) for c in access.postable])

    def _views(self, method: str, **kwargs: Any) -> dict[str, Any] | None:
        try:
            validate_view(kwargs["view"])
        except ValueError:
            log.exception("the modal breaks Slack's limits; not sent")
            return None
        try:
            response = self._client.api_call(method, json=kwargs)
        except SlackApiError as exc:
            log.warning("%s failed: %s", method, exc.response.get("error"))
            return None
        except (SlackClientError, OSError) as exc:
            log.warning("%s failed: %s", method, type(exc).__name__)
            return None
        return dict(response.data) if isinstance(response.data, dict) else {}

    # --- submitting ----------------------------------------------------------------------------------

    def submit(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """The acknowledgement of a submission: field errors, or {} (the modal closes; work is queued)."""
        user = str((body.get("user") or {}).get("id") or "")
        values = ((body.get("view") or {}).get("state") or {}).get("values") or {}
        try:
            if not user or not isinstance(values, Mapping):
                raise FormError(PERIOD_BLOCK, messages.modal_unreadable())
            form = read_form(values)
            self._check_period(user, form)
            self._check_access(self._viewers.last(user), form)
        except FormError as exc:
            return {"response_action": "errors", "errors": {exc.block_id: exc.text[:MAX_ERROR_TEXT]}}
        try:
            self._executor.submit(self._post, user, form)
        except RuntimeError:  # shutting down
            return {"response_action": "errors", "errors": {DESTINATION_BLOCK: messages.modal_busy()}}
        return {}

    def _check_period(self, user: str, form: ReportForm) -> None:
        """The period must read in the viewer's zone (cached) or, unknown yet, in one zone at least."""
        now = self._clock()
        zone = self._timezones.cached(user)
        zones = [zone] if zone is not None else [self._timezones.default, _EARLIEST_ZONE]
        problem = ""
        for tz in zones:
            try:
                self._service.period(ReportRequest(period_text=form.period_text, repos=(), tz=tz), now=now)
                return
            except PeriodError as exc:
                problem = problem or str(exc)
        block = PERIOD_BLOCK if form.period_text in _PERIODS else PERIOD_TEXT_BLOCK
        raise FormError(block, problem)

    def _check_access(self, access: ViewerAccess | None, form: ReportForm) -> None:
        """What the last known channels say; None (not known yet): checked on the pool instead."""
        if access is None:
            return
        if form.destination == ONLY_ME:
            if form.repo is not None and not access.allows(form.repo):
                raise FormError(REPO_BLOCK, messages.modal_repo_not_yours(form.repo))
            return
        channel = access.channel(form.destination)
        if channel is None or channel not in access.postable:
            raise FormError(DESTINATION_BLOCK, messages.modal_channel_refused())
        allowed = access.by_channel.get(channel.id, ())
        if form.repo is not None and form.repo.lower() not in {r.lower() for r in allowed}:
            raise FormError(REPO_BLOCK, messages.modal_repo_not_in_channel(form.repo, channel.name, allowed))

    def _post(self, user: str, form: ReportForm) -> None:
        """On the pool: check again with the viewer's channels as they are now, then queue the report."""
        try:
            access = self._viewers.access(user)
            if form.destination == ONLY_ME:
                repos = tuple(r for r in access.repos if form.repo is None or r.lower() == form.repo.lower())
                if not repos:
                    raise BadInput(messages.modal_repo_not_yours(form.repo or ""))
                channel = self._viewers.open_dm(user)
            else:
                channel = form.destination
                known = access.channel(channel)
                if known is None or known not in access.postable:
                    raise BadInput(messages.modal_channel_refused())
                repos = self._rules.choose(channel, (form.repo,) if form.repo else ())
        except SlackLookupError as exc:
            self._dm(user, messages.home_lookup_failed(exc.error))
            return
        except BadInput as exc:
            self._dm(user, exc.user_message)
            return
        command = ReportCommand(
            period_text=form.period_text,
            repos=repos,
            include_labels=form.include_labels,
            exclude_labels=form.exclude_labels,
        )
        job = ReportJob(
            command=command,
            repos=repos,
            requester=Requester(user_id=user, channel_id=channel),
            requested_at=self._clock(),
        )
        if not self._runner.submit(job):
            self._dm(user, messages.busy())

    def _dm(self, user: str, text: str) -> None:
        tell_in_dm(self._viewers, self._poster, user, text)


def _value(values: Mapping[str, Any], block: str, action: str) -> str:
    """A field's text or chosen option's value, "" when empty; FormError when not what the form sends."""
    field = (values.get(block) or {}).get(action) if isinstance(values.get(block), Mapping) else None
    if field is None:
        return ""
    if not isinstance(field, Mapping):
        raise FormError(block, messages.modal_unreadable())
    if field.get("type") == "static_select":
        option = field.get("selected_option") or {}
        value = option.get("value") if isinstance(option, Mapping) else None
    else:
        value = field.get("value")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise FormError(block, messages.modal_unreadable())
    return value


def read_form(values: Mapping[str, Any]) -> ReportForm:
    """The submitted fields, checked for form; FormError names the first field that is wrong."""
    typed = " ".join(_value(values, PERIOD_TEXT_BLOCK, PERIOD_TEXT_ACTION).split())
    chosen = _value(values, PERIOD_BLOCK, PERIOD_ACTION)
    if typed:
        if len(typed) > MAX_TEXT_LENGTH:
            raise FormError(PERIOD_TEXT_BLOCK, messages.modal_period_too_long(MAX_TEXT_LENGTH))
        period = typed
    elif chosen in _PERIODS:
        period = chosen
    elif not chosen:
        period = "today"
    else:
        raise FormError(PERIOD_BLOCK, messages.modal_unreadable())
    repo = _value(values, REPO_BLOCK, REPO_ACTION)
    if len(repo) > 200 or (repo not in ("", ALL_REPOS) and repo.count("/") != 1):
        raise FormError(REPO_BLOCK, messages.modal_unreadable())
    destination = _value(values, DESTINATION_BLOCK, DESTINATION_ACTION) or ONLY_ME
    if destination != ONLY_ME and not (
        destination[:1] in "CG" and destination.isalnum() and len(destination) <= 32
    ):
        raise FormError(DESTINATION_BLOCK, messages.modal_unreadable())
    include, exclude = read_labels(_value(values, LABELS_BLOCK, LABELS_ACTION))
    return ReportForm(
        period_text=period,
        repo=None if repo in ("", ALL_REPOS) else repo,
        include_labels=include,
        exclude_labels=exclude,
        destination=destination,
    )


def read_labels(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """`bug, -question` -> ({"bug"}, {"question"}); FormError for an empty or over-long label."""
    include: set[str] = set()
    exclude: set[str] = set()
    words = [" ".join(word.split()) for word in text.split(",")]
    words = [word for word in words if word]
    if len(words) > MAX_LABELS:
        raise FormError(LABELS_BLOCK, messages.modal_too_many_labels(MAX_LABELS))
    for word in words:
        leave_out = word.startswith("-")
        name = word[1:].strip() if leave_out else word
        if not name:
            raise FormError(LABELS_BLOCK, messages.modal_empty_label())
        if len(name) > MAX_LABEL_LENGTH:
            raise FormError(LABELS_BLOCK, messages.modal_label_too_long(MAX_LABEL_LENGTH))
        (exclude if leave_out else include).add(name.lower())
    return frozenset(include), frozenset(exclude)
