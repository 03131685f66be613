"""Acting on tickets from Slack: the clicks on an action row or a recommendation's buttons, and the
modals they open (reply, labels, close as duplicate, the confirmation of a Close).

Order of every click, after the listener has acknowledged it:
1. read the control's value (`bot.render.action_blocks`); one the renderer would not have written gets
   "this button is out of date";
2. the channel's repository rules (`ChannelRules`), as for reports;
3. `may_act`: anyone but a triage manager is refused, ephemerally, before any modal opens;
   these two checks are here only so that no modal opens: each refusal goes through the service's
   `refuse`, so the audit lists it;
4. a modal opens at once (views.open must follow the click within three seconds; what it needs from
   GitHub is filled in by views.update afterwards), or the action runs on the app's executor. A choice
   in the row's Close menu opens a confirmation naming it ("Close #688 as not planned?"): a select's
   own confirm dialog is the same for every option, so it could not.
A modal's submission is answered in its acknowledgement, which calls neither Slack nor GitHub: per-field
errors keep it open, a non-manager (when known from the caches) is refused on the field and recorded;
what needs Slack or GitHub (a user group's members, labels not listed yet) is checked on the executor
after the ack, and its answer told ephemerally.

Each action runs through the action service with a request key made from the interaction itself (a
click: the message, the control, the value and the user; a submission: the view's id and hash), so a
double click, a Slack retry or a second process write once. What came of it is said where it was asked:
a drill-down is updated in place (its state, its row, and a line saying who did what); a report's
recommendation gets a thread reply; an action partly done (it wrote to GitHub) is shown there too, and
anything that did not simply go through is told to the person alone as well.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from bot.actions.model import ActionOutcome, Actor, TicketAction
from bot.errors import BadInput
from bot.render.action_blocks import (
    ASSIGN_ACTION,
    BULK_CLOSE_DUPLICATE,
    BULK_LABEL,
    BULK_REPLY,
    CLOSE_ACTION,
    CLOSE_DUPLICATE_OTHER,
    LABEL_ACTION,
    LABEL_PICKER_ACTION,
    RECOMMENDATION_ACTION,
    REOPEN_ACTION,
    REPLY_ACTION,
    BulkTarget,
    RowChoices,
    read_bulk_value,
    read_close_choice,
    read_row_ticket,
    read_ticket_value,
)
from bot.render.action_modals import (
    CONFIRM_CLOSE_BLOCK,
    CONFIRM_CLOSE_CALLBACK,
    DUPLICATE_BLOCK,
    DUPLICATE_CALLBACK,
    DUPLICATE_INPUT,
    LABEL_BLOCK,
    LABEL_CALLBACK,
    LABEL_INPUT,
    LABEL_TEXT_BLOCK,
    LABEL_TEXT_INPUT,
    REPLY_BLOCK,
    REPLY_CALLBACK,
    REPLY_INPUT,
    check_duplicate,
    check_labels,
    check_reply,
    close_confirm_modal,
    duplicate_modal,
    label_modal,
    loading_modal,
    notice_modal,
    reply_modal,
)
from bot.render.formatting import home_repo
from bot.render.view_limits import MAX_ERROR_TEXT, MAX_PRIVATE_METADATA
from bot.slack import action_text
from bot.slack.access import ChannelRules
from bot.slack.display_names import DisplayNames
from bot.slack.poster import Requester, SlackPoster, SlackPostError

log = logging.getLogger(__name__)

MODAL_CALLBACK_PATTERN = r"^ticket_act_"
SOURCE_ROW = "row"  # a drill-down's action row: the message is updated in place
SOURCE_RECOMMENDATION = "rec"  # a report's recommendation: the outcome goes into the report's thread


class ActionRunner(Protocol):
    """What `bot.actions.service.ActionService` offers the Slack side."""

    def may_act(self, user_id: str) -> bool: ...

    def run(
        self, action: TicketAction, actor: Actor, *, request_key: str, channel_id: str, now: datetime
    ) -> ActionOutcome: ...

    def cached_may_act(self, user_id: str) -> bool | None: ...

    def refuse(
        self,
        action: TicketAction,
        actor: Actor,
        *,
        request_key: str,
        channel_id: str,
        now: datetime,
        reason: str | None = None,
    ) -> ActionOutcome: ...

    def labels(self, repo: str) -> Sequence[str]: ...

    def cached_labels(self, repo: str) -> Sequence[str] | None: ...

    def assignable(self, repo: str) -> Sequence[str]: ...


class ContextStore(Protocol):
    def load_report_context(self, *, channel_id: str, message_ts: str) -> str | None: ...


# Redraws a drill-down message after an action: (channel, ts, thread_ts, repo, number, note) -> None.
Refresh = Callable[..., None]


@dataclass(frozen=True)
class Origin:
    """Where an action was asked for, carried through a modal as its private_metadata."""

    user_id: str
    channel_id: str
    message_ts: str
    thread_ts: str
    source: str  # SOURCE_ROW or SOURCE_RECOMMENDATION
    response_url: str | None = None

    @property
    def requester(self) -> Requester:
        return Requester(user_id=self.user_id, channel_id=self.channel_id, response_url=self.response_url)

    @property
    def report_ts(self) -> str:
        """The report's (or drill-down's parent) message: the thread replies go to."""
        return self.thread_ts or self.message_ts


def request_key(*parts: object) -> str:
    """The key an action is claimed by: the same interaction always gives the same key."""
    text = "\x1f".join(str(part) for part in parts)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class TicketActions:
    """The listeners' handlers for the ticket actions (see the module docstring)."""

    def __init__(
        self,
        *,
        service: ActionRunner,
        poster: SlackPoster,
        client: Any,
        rules: ChannelRules,
        executor: Executor,
        clock: Callable[[], datetime],
        names: DisplayNames | None = None,
        contexts: ContextStore | None = None,
    ) -> None:
        self._service = service
        self._poster = poster
        self._client = client
        self._rules = rules
        self._executor = executor
        self._clock = clock
        self._names = names or DisplayNames(client)
        self._contexts = contexts
        self.refresh: Refresh | None = None  # set by the drill-down (bot.slack.drilldown.DrillDowns)
        self.workaround: Callable[[str, str, str, int], str] | None = None

    def attach(self, slack: Any) -> None:  # bot.slack.app.SlackBot
        slack.interactions.ticket_action = self.on_action
        slack.interactions.submit_ticket_action = self.on_submit

    def row_choices(self, repo: str) -> RowChoices:
        """The labels and assignable people an action row offers; empty menus when GitHub cannot say."""
        return row_choices(self._service, repo)

    # --- clicks ----------------------------------------------------------------------------------------

    def on_action(self, body: Mapping[str, Any]) -> None:
        """A click on a ticket-action control, already acknowledged; runs on Bolt's listener thread so a
        modal can open in time, and hands everything slow to the executor."""
        origin = _origin(body)
        actions = body.get("actions")
        action = (
            actions[0] if isinstance(actions, list) and actions and isinstance(actions[0], Mapping) else {}
        )
        action_id = str(action.get("action_id") or "")
        if action_id.startswith(RECOMMENDATION_ACTION):
            bulk = read_bulk_value(action.get("value"))
            if bulk is None:
                return self._tell(origin, action_text.out_of_date())
            origin = replace(origin, source=SOURCE_RECOMMENDATION)
            kind, targets = bulk.kind, list(bulk.targets)
        else:
            ticket = read_row_ticket(action.get("block_id")) or read_ticket_value(action.get("value"))
            if ticket is None:
                log.warning(
                    "a ticket action in %s named no ticket the bot could have written", origin.channel_id
                )
                return self._tell(origin, action_text.out_of_date())
            kind, targets = action_id, [BulkTarget(ticket[0], ticket[1])]
        trigger = str(body.get("trigger_id") or "")
        value = _chosen(action)
        # The message as the clicker saw it: the same for both clicks of a double click, different once
        # the message was redrawn after an action (so closing again after a reopen is a new decision).
        seen = _digest(
            (body.get("message") or {}).get("blocks") if isinstance(body.get("message"), Mapping) else None
        )
        key_base = (origin.channel_id, origin.message_ts, seen, action_id, value, origin.user_id)
        # Refused here only so that no modal opens; the service records each refusal for the audit.
        try:
            allowed = [replace(t, repo=self._rules.choose(origin.channel_id, (t.repo,))[0]) for t in targets]
        except BadInput as exc:
            return self._refuse(origin, _asked(kind, targets, value), key_base, reason=exc.user_message)
        targets = allowed
        if not self._service.may_act(origin.user_id):
            return self._refuse(origin, _asked(kind, targets, value), key_base)
        first = targets[0]
        if kind == LABEL_ACTION:
            labels = tuple(v for v in value.split("\x1e") if v)
            if not labels:
                return None  # the menu was closed with nothing chosen
            action_ = TicketAction(kind="label", repo=first.repo, number=first.number, labels=labels)
            self._submit(origin, [(action_, request_key(*key_base))])
        elif kind == ASSIGN_ACTION:
            if not value:
                return None
            action_ = TicketAction(kind="assign", repo=first.repo, number=first.number, assignees=(value,))
            self._submit(origin, [(action_, request_key(*key_base))])
        elif kind == REOPEN_ACTION:
            action_ = TicketAction(kind="reopen", repo=first.repo, number=first.number)
            self._submit(origin, [(action_, request_key(*key_base))])
        elif kind == CLOSE_ACTION:
            choice = read_close_choice(value, number=first.number)
            if choice is None:
                return self._tell(origin, action_text.out_of_date())
            reason, original = choice
            if value == CLOSE_DUPLICATE_OTHER:
                suggested = _suggested_original(body.get("message"), number=first.number)
                view = duplicate_modal(
                    name=self._name(origin.channel_id, first),
                    suggested=suggested,
                    metadata=_metadata(origin, [first]),
                )
                return self._open(trigger, view)
            # A select's confirm dialog cannot name the option chosen: the one confirmation is this modal.
            view = close_confirm_modal(
                name=self._name(origin.channel_id, first),
                state_reason=reason,
                duplicate_of=original,
                metadata=_metadata(origin, [first], choice=value),
            )
            return self._open(trigger, view)
        elif kind in (REPLY_ACTION, BULK_REPLY):
            prefill = self._prefill(origin, targets)
            names = [f"#{t.number}" for t in targets]
            return self._open(
                trigger, reply_modal(names=names, metadata=_metadata(origin, targets), prefill=prefill)
            )
        elif kind in (LABEL_PICKER_ACTION, BULK_LABEL):
            view_id = self._open(trigger, loading_modal("Label on GitHub"))
            if view_id:
                self._executor.submit(self._fill_label_modal, view_id, origin, targets)
        elif kind == BULK_CLOSE_DUPLICATE:
            runs = [
                (
                    TicketAction(
                        kind="close",
                        repo=t.repo,
                        number=t.number,
                        state_reason="duplicate",
                        duplicate_of=t.duplicate_of,
                    ),
                    request_key(*key_base, t.repo.lower(), t.number),
                )
                for t in targets
            ]
            self._submit(origin, runs)
        else:
            self._tell(origin, action_text.out_of_date())
        return None

    def _name(self, channel_id: str, target: BulkTarget) -> str:
        """The ticket as the channel's messages name it: "#688" with one repository, else "acme/web#688"."""
        home = home_repo(self._rules.allowed(channel_id))
        if home is not None and home.lower() == target.repo.lower():
            return f"#{target.number}"
        return f"{target.repo}#{target.number}"

    def _open(self, trigger_id: str, view: dict[str, Any]) -> str | None:
        try:
            answer = self._client.views_open(trigger_id=trigger_id, view=view)
        except Exception:
            log.warning("views.open for a ticket action failed", exc_info=True)
            return None
        return str((answer.get("view") or {}).get("id") or "") or None

    def _fill_label_modal(self, view_id: str, origin: Origin, targets: list[BulkTarget]) -> None:
        """The label picker: the repository's labels, or for tickets of several repositories the labels
        they all have (a label is added to each ticket in its own repository's spelling)."""
        repos = _repos(targets)
        names = [f"#{t.number}" if len(repos) == 1 else f"{t.repo}#{t.number}" for t in targets]
        try:
            labels = _common([list(self._service.labels(repo)) for repo in repos]) or []
            if len(repos) > 1 and not labels:
                view = notice_modal("Label on GitHub", action_text.no_common_labels(repos))
            else:
                note = action_text.common_labels(repos) if len(repos) > 1 else None
                view = label_modal(names=names, labels=labels, metadata=_metadata(origin, targets), note=note)
        except Exception:
            log.warning(
                "could not list the labels of %s for the label picker", ", ".join(repos), exc_info=True
            )
            view = notice_modal(
                "Label on GitHub", action_text.lookup_failed(f"the labels of {', '.join(repos)}")
            )
        try:
            self._client.views_update(view_id=view_id, view=view)
        except Exception:
            log.warning("views.update of the label picker failed", exc_info=True)

    def _prefill(self, origin: Origin, targets: Sequence[BulkTarget]) -> str:
        if self.workaround is None or len(targets) != 1:
            return ""
        try:
            return self.workaround(origin.channel_id, origin.report_ts, targets[0].repo, targets[0].number)
        except Exception:
            log.warning("no workaround for the reply modal", exc_info=True)
            return ""

    # --- submissions -----------------------------------------------------------------------------------

    def on_submit(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """A ticket-action modal's submission; the answer is its acknowledgement, so nothing here calls
        Slack or GitHub: what cannot be checked from the view and the caches is checked after the ack,
        and its outcome told to the person ephemerally."""
        view = body.get("view") if isinstance(body.get("view"), Mapping) else {}
        callback = str(view.get("callback_id") or "")
        user = str((body.get("user") or {}).get("id") or "")
        parsed = _read_metadata(view.get("private_metadata"), user_id=user)
        main_block = {
            REPLY_CALLBACK: REPLY_BLOCK,
            LABEL_CALLBACK: LABEL_BLOCK,
            DUPLICATE_CALLBACK: DUPLICATE_BLOCK,
            CONFIRM_CLOSE_CALLBACK: CONFIRM_CLOSE_BLOCK,
        }
        if callback not in main_block:
            return {}
        block = main_block[callback]
        if parsed is None:
            return _errors({block: action_text.out_of_date()})
        origin, targets = parsed
        values = view.get("state", {}).get("values", {}) if isinstance(view.get("state"), Mapping) else {}
        key_base = ("view", str(view.get("id") or ""), str(view.get("hash") or ""), user)
        asked = self._submitted(callback, view, values, targets, known=None)
        try:
            allowed = [replace(t, repo=self._rules.choose(origin.channel_id, (t.repo,))[0]) for t in targets]
        except BadInput as exc:
            self._refuse(
                origin,
                asked.actions or _placeholders(callback, targets),
                key_base,
                reason=exc.user_message,
                tell=False,
            )
            return _errors({block: exc.user_message})
        targets = allowed
        decision = self._service.cached_may_act(user)
        if decision is False:
            self._refuse(origin, asked.actions or _placeholders(callback, targets), key_base, tell=False)
            return _errors({block: action_text.not_a_manager()})
        known = None
        if callback == LABEL_CALLBACK:
            known = (
                _offered_labels(view) if _input(values, LABEL_TEXT_BLOCK, LABEL_TEXT_INPUT) is None else None
            )
            if known is None:
                known = _common(self._service.cached_labels(repo) for repo in _repos(targets))
        submitted = self._submitted(callback, view, values, targets, known=known)
        if submitted.errors:
            return _errors(submitted.errors)
        if decision is None or submitted.actions is None:  # a group's members or the labels unknown yet
            self._executor.submit(
                self._submit_later, origin, callback, dict(view), dict(values), targets, key_base
            )
            return {}
        self._submit(origin, _keyed(submitted.actions, key_base))
        return {}

    def _submit_later(
        self,
        origin: Origin,
        callback: str,
        view: Mapping[str, Any],
        values: Mapping[str, Any],
        targets: list[BulkTarget],
        key_base: tuple[str, ...],
    ) -> None:
        """A submission whose checks needed Slack or GitHub, after its acknowledgement."""
        try:
            if not self._service.may_act(origin.user_id):
                asked = self._submitted(callback, view, values, targets, known=None)
                self._refuse_now(origin, asked.actions or _placeholders(callback, targets), key_base, None)
                return
            known = None
            if callback == LABEL_CALLBACK:
                try:
                    known = _common(self._service.labels(repo) for repo in _repos(targets))
                except Exception:
                    log.warning("could not list the labels for a label submission", exc_info=True)
                    self._poster.tell(origin.requester, action_text.lookup_failed("the repository's labels"))
                    return
            submitted = self._submitted(callback, view, values, targets, known=known)
            if submitted.errors:
                self._poster.tell(origin.requester, action_text.not_sent(submitted.errors.values()))
                return
            self._run(origin, _keyed(submitted.actions or [], key_base))
        except Exception:
            log.exception("a ticket action's submission from %s failed", origin.channel_id)
            self._poster.tell(origin.requester, action_text.could_not_run(_label(targets)))

    def _submitted(
        self,
        callback: str,
        view: Mapping[str, Any],
        values: Mapping[str, Any],
        targets: Sequence[BulkTarget],
        *,
        known: list[str] | None,
    ) -> _Submitted:
        """What a submission asks for, or its per-field errors; `actions` None when the labels it names
        cannot be checked without `known` (the labels the tickets' repositories have)."""
        first = targets[0]
        if callback == REPLY_CALLBACK:
            text, errors = check_reply(_input(values, REPLY_BLOCK, REPLY_INPUT))
            if errors:
                return _Submitted(errors=errors)
            return _Submitted(
                [TicketAction(kind="reply", repo=t.repo, number=t.number, text=text or "") for t in targets]
            )
        if callback == DUPLICATE_CALLBACK:
            original, errors = check_duplicate(
                _input(values, DUPLICATE_BLOCK, DUPLICATE_INPUT), number=first.number
            )
            if errors:
                return _Submitted(errors=errors)
            return _Submitted([_close(first, "duplicate", original)])
        if callback == CONFIRM_CLOSE_CALLBACK:
            choice = read_close_choice(_confirmed_choice(view), number=first.number)
            if choice is None or (choice[0] == CLOSE_DUPLICATE_OTHER and choice[1] is None):
                return _Submitted(errors={CONFIRM_CLOSE_BLOCK: action_text.out_of_date()})
            return _Submitted([_close(first, choice[0], choice[1])])
        if callback == LABEL_CALLBACK:
            if known is None:
                return _Submitted(None)
            chosen = _selected(values, LABEL_BLOCK, LABEL_INPUT)
            typed = _input(values, LABEL_TEXT_BLOCK, LABEL_TEXT_INPUT)
            labels, errors = check_labels(chosen, typed, known=known)
            if errors:
                return _Submitted(errors=errors)
            return _Submitted(
                [TicketAction(kind="label", repo=t.repo, number=t.number, labels=labels) for t in targets]
            )
        return _Submitted(errors={REPLY_BLOCK: action_text.out_of_date()})

    def _refuse(
        self,
        origin: Origin,
        actions: Sequence[TicketAction],
        key_base: tuple[str, ...],
        *,
        reason: str | None = None,
        tell: bool = True,
    ) -> None:
        """Record the refusal of `actions` (on the executor: the store is not touched before an ack) and,
        when `tell`, tell the person why."""
        self._executor.submit(self._refuse_now, origin, list(actions), key_base, reason, tell)

    def _refuse_now(
        self,
        origin: Origin,
        actions: list[TicketAction],
        key_base: tuple[str, ...],
        reason: str | None,
        tell: bool = True,
    ) -> None:
        outcome = None
        try:
            actor = Actor(user_id=origin.user_id, display_name=self._names.get(origin.user_id))
            for action in actions:
                key = request_key(*key_base, action.repo.lower(), action.number)
                outcome = self._service.refuse(
                    action,
                    actor,
                    request_key=key,
                    channel_id=origin.channel_id,
                    now=self._clock(),
                    reason=reason,
                )
        except Exception:
            log.exception("could not record a refused ticket action from %s", origin.channel_id)
        if tell:
            told = (
                reason
                if reason is not None or outcome is None
                else action_text.outcome_for_requester(outcome)
            )
            self._poster.tell(origin.requester, told or action_text.not_a_manager())

    # --- running and telling ---------------------------------------------------------------------------

    def _submit(self, origin: Origin, runs: list[tuple[TicketAction, str]]) -> None:
        self._executor.submit(self._run_safely, origin, runs)

    def _run_safely(self, origin: Origin, runs: list[tuple[TicketAction, str]]) -> None:
        try:
            self._run(origin, runs)
        except Exception:
            log.exception("a ticket action from %s failed", origin.channel_id)
            label = ", ".join(f"{a.repo}#{a.number}" for a, _ in runs[:3])
            self._poster.tell(origin.requester, action_text.could_not_run(label))

    def _run(self, origin: Origin, runs: list[tuple[TicketAction, str]]) -> None:
        actor = Actor(user_id=origin.user_id, display_name=self._names.get(origin.user_id))
        outcomes = [
            self._service.run(action, actor, request_key=key, channel_id=origin.channel_id, now=self._clock())
            for action, key in runs
        ]
        # A partial outcome wrote to GitHub: it is shown where the action was asked, like one done, and
        # its detail (what did not go through) is told to the person too.
        done = [o for o in outcomes if o.status in ("done", "partial")]
        for outcome in outcomes:
            if not outcome.ok:
                self._poster.tell(origin.requester, action_text.outcome_for_requester(outcome))
        if not done:
            return
        lines = [action_text.outcome_line(o) for o in done]
        if origin.source == SOURCE_ROW and self.refresh is not None and len(done) == 1:
            action = done[0].action
            self.refresh(
                origin.channel_id,
                origin.message_ts,
                thread_ts=origin.thread_ts or None,
                repo=action.repo,
                number=action.number,
                note=lines[0],
                state=_state_after(done[0]),
            )
            return
        text = "\n".join(lines)
        self._tell_thread(origin, text)

    def _tell_thread(self, origin: Origin, text: str) -> None:
        message = {
            "text": text,
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": text[:2900], "verbatim": True}}
            ],
        }
        try:
            self._poster.post_in_thread(origin.channel_id, thread_ts=origin.report_ts, messages=[message])
        except SlackPostError as exc:  # done on GitHub all the same: tell the asker at least
            log.warning(
                "could not tell the thread %s in %s what was done: %s",
                origin.report_ts,
                origin.channel_id,
                exc.error,
            )
            self._poster.tell(origin.requester, text)

    def _tell(self, origin: Origin, text: str) -> None:
        self._executor.submit(self._poster.tell, origin.requester, text)


def _state_after(outcome: ActionOutcome) -> str | None:
    """The ticket's state once a done close or reopen went through (GitHub answered it); None when the
    action did not change it or did not wholly go through."""
    if outcome.status != "done":
        return None
    return {"close": "closed", "reopen": "open"}.get(outcome.action.kind)


# --- reading Slack's payloads --------------------------------------------------------------------------


def _origin(body: Mapping[str, Any]) -> Origin:
    container = body.get("container") if isinstance(body.get("container"), Mapping) else {}
    message = body.get("message") if isinstance(body.get("message"), Mapping) else {}
    channel = body.get("channel") if isinstance(body.get("channel"), Mapping) else {}
    return Origin(
        user_id=str((body.get("user") or {}).get("id") or ""),
        channel_id=str(channel.get("id") or container.get("channel_id") or ""),
        message_ts=str(container.get("message_ts") or message.get("ts") or ""),
        thread_ts=str(container.get("thread_ts") or message.get("thread_ts") or ""),
        source=SOURCE_ROW,
        response_url=str(body.get("response_url") or "") or None,
    )


def _digest(data: object) -> str:
    try:
        text = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    except (TypeError, ValueError, RecursionError):
        text = ""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _chosen(action: Mapping[str, Any]) -> str:
    """What a control sent: a button's value, a select's option, a multi-select's options (joined)."""
    if isinstance(action.get("selected_options"), list):
        values = sorted(
            str(o.get("value") or "") for o in action["selected_options"] if isinstance(o, Mapping)
        )
        return "\x1e".join(values)
    option = action.get("selected_option")
    if isinstance(option, Mapping):
        return str(option.get("value") or "")
    return str(action.get("value") or "")


def _suggested_original(message: object, *, number: int) -> int | None:
    """The original a drill-down's Close menu suggests ("duplicate:686"), read from the message."""
    if not isinstance(message, Mapping):
        return None
    for block in message.get("blocks") or []:
        if not isinstance(block, Mapping):
            continue
        for element in block.get("elements") or []:
            if not isinstance(element, Mapping) or element.get("action_id") != CLOSE_ACTION:
                continue
            for option in element.get("options") or []:
                choice = read_close_choice(
                    option.get("value") if isinstance(option, Mapping) else None, number=number
                )
                if choice is not None and choice[1] is not None:
                    return choice[1]
    return None


def _metadata(origin: Origin, targets: Sequence[BulkTarget], *, choice: str | None = None) -> str:
    data: dict[str, Any] = {
        "c": origin.channel_id,
        "m": origin.message_ts,
        "th": origin.thread_ts,
        "s": origin.source,
        "t": [[t.repo, t.number, t.duplicate_of or 0] for t in targets],
    }
    if choice is not None:  # the Close option a confirmation modal confirms
        data["v"] = choice
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    if len(text) > MAX_PRIVATE_METADATA:  # 20 tickets of the longest names stay far below
        raise ValueError("too many tickets for one modal")
    return text


def _read_metadata(raw: object, *, user_id: str) -> tuple[Origin, list[BulkTarget]] | None:
    if not isinstance(raw, str) or len(raw) > MAX_PRIVATE_METADATA:
        return None
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("s") not in (SOURCE_ROW, SOURCE_RECOMMENDATION):
        return None
    fields = [data.get(name) for name in ("c", "m", "th")]
    if not all(isinstance(value, str) for value in fields) or not fields[0]:
        return None
    rows = data.get("t")
    if not isinstance(rows, list) or not rows:
        return None
    targets = []
    for row in rows:
        ticket = (
            read_ticket_value(json.dumps({"repo": row[0], "number": row[1]}))
            if isinstance(row, list) and len(row) == 3
            else None
        )
        if ticket is None or isinstance(row[2], bool) or not isinstance(row[2], int):
            return None
        targets.append(BulkTarget(ticket[0], ticket[1], row[2] or None))
    origin = Origin(
        user_id=user_id, channel_id=fields[0], message_ts=fields[1], thread_ts=fields[2], source=data["s"]
    )
    return origin, targets


def _confirmed_choice(view: Mapping[str, Any]) -> str | None:
    """The Close option a confirmation modal was opened for (kept in its private_metadata)."""
    raw = view.get("private_metadata")
    if not isinstance(raw, str) or len(raw) > MAX_PRIVATE_METADATA:
        return None
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    choice = data.get("v") if isinstance(data, dict) else None
    return choice if isinstance(choice, str) else None


@dataclass(frozen=True)
class _Submitted:
    """What a modal's submission asks for (`actions`), or what is wrong with it (`errors`)."""

    actions: list[TicketAction] | None = None
    errors: Mapping[str, str] = field(default_factory=dict)


def _close(target: BulkTarget, reason: str, original: int | None) -> TicketAction:
    return TicketAction(
        kind="close",
        repo=target.repo,
        number=target.number,
        state_reason=reason,  # type: ignore[arg-type]  # read_close_choice gives only the three
        duplicate_of=original,
    )


_KINDS = {
    LABEL_ACTION: "label",
    LABEL_PICKER_ACTION: "label",
    BULK_LABEL: "label",
    ASSIGN_ACTION: "assign",
    REPLY_ACTION: "reply",
    BULK_REPLY: "reply",
    CLOSE_ACTION: "close",
    BULK_CLOSE_DUPLICATE: "close",
    REOPEN_ACTION: "reopen",
}
_CALLBACK_KINDS = {
    REPLY_CALLBACK: "reply",
    LABEL_CALLBACK: "label",
    DUPLICATE_CALLBACK: "close",
    CONFIRM_CLOSE_CALLBACK: "close",
}


def _asked(kind: str, targets: Sequence[BulkTarget], value: str) -> list[TicketAction]:
    """What a refused click asked for, as far as the click says (for the record of the refusal)."""
    if kind not in _KINDS:
        return []
    actions = []
    for t in targets:
        action = TicketAction(kind=_KINDS[kind], repo=t.repo, number=t.number)  # type: ignore[arg-type]
        if kind == LABEL_ACTION:
            action = replace(action, labels=tuple(v for v in value.split("\x1e") if v))
        elif kind == ASSIGN_ACTION and value:
            action = replace(action, assignees=(value,))
        elif kind == CLOSE_ACTION:
            choice = read_close_choice(value, number=t.number)
            if choice is not None:
                action = _close(t, choice[0], choice[1])
        elif kind == BULK_CLOSE_DUPLICATE:
            action = _close(t, "duplicate", t.duplicate_of)
        actions.append(action)
    return actions


def _placeholders(callback: str, targets: Sequence[BulkTarget]) -> list[TicketAction]:
    """The actions a refused submission was for, when its values say no more."""
    kind = _CALLBACK_KINDS.get(callback, "reply")
    return [TicketAction(kind=kind, repo=t.repo, number=t.number) for t in targets]  # type: ignore[arg-type]


def _keyed(actions: Sequence[TicketAction], key_base: tuple[str, ...]) -> list[tuple[TicketAction, str]]:
    return [(a, request_key(*key_base, a.repo.lower(), a.number)) for a in actions]


def _repos(targets: Sequence[BulkTarget]) -> list[str]:
    return list(dict.fromkeys(t.repo for t in targets))


def _common(lists: Iterable[Sequence[str] | None]) -> list[str] | None:
    """The labels every repository has (matched case-insensitively, in the first one's spelling and
    order); None when a list is unknown."""
    common: list[str] | None = None
    for names in lists:
        if names is None:
            return None
        if common is None:
            common = list(names)
        else:
            have = {name.lower() for name in names}
            common = [name for name in common if name.lower() in have]
    return common


def _label(targets: Sequence[BulkTarget]) -> str:
    return ", ".join(f"{t.repo}#{t.number}" for t in targets[:3])


def _input(values: Mapping[str, Any], block: str, action: str) -> str | None:
    entry = (values.get(block) or {}).get(action) if isinstance(values.get(block), Mapping) else None
    value = entry.get("value") if isinstance(entry, Mapping) else None
    return value if isinstance(value, str) else None


def _selected(values: Mapping[str, Any], block: str, action: str) -> list[str]:
    entry = (values.get(block) or {}).get(action) if isinstance(values.get(block), Mapping) else None
    options = entry.get("selected_options") if isinstance(entry, Mapping) else None
    if not isinstance(options, list):
        return []
    return [
        str(o.get("value")) for o in options if isinstance(o, Mapping) and isinstance(o.get("value"), str)
    ]


def _offered_labels(view: Mapping[str, Any]) -> list[str] | None:
    """The labels the submitted picker offered (Slack sends the view back whole)."""
    for block in view.get("blocks") or []:
        if isinstance(block, Mapping) and block.get("block_id") == LABEL_BLOCK:
            element = block.get("element") if isinstance(block.get("element"), Mapping) else {}
            return [str(o.get("value")) for o in element.get("options") or [] if isinstance(o, Mapping)]
    return None


def _errors(errors: Mapping[str, str]) -> dict[str, Any]:
    if CONFIRM_CLOSE_BLOCK in errors:  # a modal without a field: the answer replaces it
        return {
            "response_action": "update",
            "view": notice_modal("Not closed", _plain_error(errors[CONFIRM_CLOSE_BLOCK])),
        }
    return {
        "response_action": "errors",
        "errors": {block: text[:MAX_ERROR_TEXT] for block, text in errors.items()},
    }


def _plain_error(text: str) -> str:
    return text[:MAX_ERROR_TEXT]


def row_choices(service: ActionRunner, repo: str) -> RowChoices:
    """The labels and assignable people an action row offers, read through `service`; empty menus when
    GitHub cannot say."""
    try:
        labels = tuple(service.labels(repo))
    except Exception:
        log.warning("could not list the labels of %s for an action row", repo, exc_info=True)
        labels = ()
    try:
        people = tuple(service.assignable(repo))
    except Exception:
        log.warning("could not list the assignable people of %s for an action row", repo, exc_info=True)
        people = ()
    return RowChoices(labels=labels, assignable=people)
