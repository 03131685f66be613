"""Acting on a ticket from Slack: who may, once per request, written to GitHub, recorded, mirrored.

`ActionService.run` is the one path. In order:
1. A person who is not a triage manager (`triage_managers` in the config: user IDs `U…`/`W…` and user
   group IDs `S…`; EMPTY MEANS NOBODY), or a repository the channel may not act on, is refused:
   nothing is written, the refusal is recorded.
2. An action that cannot be right (a duplicate of itself, an empty reply, no label picked) fails
   before GitHub is asked; recorded.
3. The request key is claimed in the database (`bot.store.actions`): of a double click, a Slack
   retry or two processes receiving the same interaction exactly one goes on; the others answer
   "repeated" and write nothing. A refusal, an impossible action, or an action that failed with
   nothing written leaves the key free (recorded under a key of its own), so a triage manager's click
   after someone else's refused one, or a second try after GitHub was down, runs.
4. GitHub is written (`bot.sources.github_writes`); the outcome is recorded, and the mirror, when it
   keeps the repository, takes GitHub's answers at once (the issue from the PATCH, the comment from
   the POST) so the next report shows the change.

Nothing is left half done: a close as duplicate comments "Duplicate of #N" first and then closes; when
the close fails the comment is deleted again (status "failed"), and when that fails too the outcome is
"partial" and says exactly what went through. A write whose answer was lost (it may have been made)
is never sent again; its outcome is "partial" with a message saying so.

The request key (chosen by the Slack side, at most 200 characters; `request_key()` builds one) must be
the same for every delivery of one interaction and for the clicks of one double click, and differ for
a new decision. For a modal submission: the view's id. For a button: channel, message ts, action id and
the button's value -- not `action_ts`, which differs between the two clicks of a double click.

`ActionService.refuse` records a refusal the Slack side made itself (before opening a modal, or in a
submission's acknowledgement), so that every refusal is in the audit whichever side made it.

Times come from the caller (`now`), the clock of the process only for the cache of pickers.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
import socket
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from bot.actions import text
from bot.actions.model import ActionOutcome, Actor, TicketAction
from bot.cache import LoadingCache
from bot.errors import MaybeWritten, TicketReportError, UpstreamError
from bot.store.actions import ActionLog, settled_key
from bot.store.mirror import Mirror

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=3)  # longer than the few GitHub calls of one action with their retries
PICKER_CACHE_SECONDS = 120  # labels and assignable users change rarely; a new label shows within this
COMMENT_LOOKBACK = timedelta(minutes=10)  # a lost comment is looked for among those since now - this
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,30}", re.ASCII)
_GROUP_ID = re.compile(r"S[A-Z0-9]{2,30}", re.ASCII)


class Writer(Protocol):
    """What the service needs of GitHub (`bot.sources.github_writes.GitHubWriter`)."""

    def issue(self, repo: str, number: int) -> dict[str, Any]: ...
    def labels(self, repo: str) -> list[str]: ...
    def assignees(self, repo: str) -> list[str]: ...
    def comment(
        self, repo: str, number: int, body: str, *, marker: str, since: datetime
    ) -> dict[str, Any]: ...
    def delete_comment(self, repo: str, comment: dict[str, Any]) -> None: ...
    def set_state(
        self, repo: str, number: int, *, state: str, state_reason: str | None
    ) -> dict[str, Any]: ...
    def add_labels(self, repo: str, number: int, labels: tuple[str, ...]) -> dict[str, Any] | None: ...
    def add_assignees(self, repo: str, number: int, logins: tuple[str, ...]) -> dict[str, Any]: ...


class Gate(Protocol):
    def allows(self, user_id: str) -> bool: ...


def request_key(*parts: object) -> str:
    """A request key from the parts that identify one interaction (see the module docstring): readable
    when short, else a hash of them."""
    joined = ":".join(str(part) for part in parts)
    if len(joined) <= 120:
        return joined
    return "h:" + hashlib.sha256(joined.encode("utf-8")).hexdigest()


def parse_triage_managers(entries: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...], list[str]]:
    """(user IDs, user group IDs, the entries that are neither) of the config's triage_managers."""
    users: list[str] = []
    groups: list[str] = []
    bad: list[str] = []
    for entry in entries:
        value = str(entry).strip()
        if _USER_ID.fullmatch(value):
            users.append(value)
        elif _GROUP_ID.fullmatch(value):
            groups.append(value)
        else:
            bad.append(str(entry))
    return tuple(dict.fromkeys(users)), tuple(dict.fromkeys(groups)), bad


@dataclass(frozen=True)
class TriageManagers:
    """Who may act on tickets: the users listed, and the members of the user groups listed.

    `in_groups(user_id)` answers for the groups (the Slack side passes the `allows` of a
    `SubscriptionManagers` built from the same groups, which caches their members); without it only
    the users listed may act. Nobody may when nothing is listed.
    """

    users: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    in_groups: Callable[[str], bool] | None = None
    # True / False when the groups' members are known without asking Slack, None when they must be
    # fetched (`SubscriptionManagers.cached_decision`); without it a group member is never known early.
    in_groups_cached: Callable[[str], bool | None] | None = None

    @classmethod
    def from_config(
        cls,
        entries: Sequence[str],
        *,
        in_groups: Callable[[str], bool] | None = None,
        in_groups_cached: Callable[[str], bool | None] | None = None,
    ) -> TriageManagers:
        users, groups, _ = parse_triage_managers(entries)  # the settings refused bad entries already
        return cls(users=users, groups=groups, in_groups=in_groups, in_groups_cached=in_groups_cached)

    @property
    def anyone(self) -> bool:
        return bool(self.users or self.groups)

    def cached_decision(self, user_id: str) -> bool | None:
        """`allows` when it is known without asking Slack; None when a group's members must be fetched."""
        if user_id in self.users:
            return True
        if not self.groups or self.in_groups is None:
            return False
        return None if self.in_groups_cached is None else self.in_groups_cached(user_id)

    def allows(self, user_id: str) -> bool:
        if user_id in self.users:
            return True
        return bool(self.groups) and self.in_groups is not None and self.in_groups(user_id)


class ActionService:
    """See the module docstring. Safe to share between threads; any number of processes may run one."""

    def __init__(
        self,
        *,
        writer: Writer,
        log: ActionLog,
        managers: Gate,
        mirror: Mirror | None = None,
        repo_refusal: Callable[[str, str], str | None] | None = None,
        owner: str | None = None,
        lease: timedelta = LEASE,
        cache_seconds: float = PICKER_CACHE_SECONDS,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        """`repo_refusal(channel_id, repo)`: why the channel may not act on the repository (the channel's
        repository rules, as for reports), or None when it may."""
        self._writer = writer
        self._log = log
        self._managers = managers
        self._mirror = mirror
        self._repo_refusal = repo_refusal
        self._owner = owner or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self._lease = lease
        self._labels: LoadingCache[str, list[str]] = LoadingCache(ttl=cache_seconds, timer=timer)
        self._assignable: LoadingCache[str, list[str]] = LoadingCache(ttl=cache_seconds, timer=timer)

    def close(self) -> None:
        """Close the writer's connections (at shutdown)."""
        close = getattr(self._writer, "close", None)
        if close is not None:
            close()

    # --- for the pickers ----------------------------------------------------------------------------

    def may_act(self, user_id: str) -> bool:
        """Whether `user_id` is a triage manager (may call Slack once for a group's members)."""
        return bool(user_id) and self._managers.allows(user_id)

    def cached_may_act(self, user_id: str) -> bool | None:
        """`may_act` when it is known without calling Slack (for work before Slack's 3 seconds); None
        when a user group's members must be fetched first."""
        if not user_id:
            return False
        cached = getattr(self._managers, "cached_decision", None)
        if cached is None:
            return None
        return cached(user_id)

    def labels(self, repo: str) -> list[str]:
        """The repository's labels (cached briefly); UpstreamError when GitHub cannot say."""
        return list(self._labels.get_or_load(repo.lower(), lambda: self._writer.labels(repo)))

    def assignable(self, repo: str) -> list[str]:
        """The logins that can be assigned in the repository (cached briefly); UpstreamError likewise."""
        return list(self._assignable.get_or_load(repo.lower(), lambda: self._writer.assignees(repo)))

    def cached_labels(self, repo: str) -> list[str] | None:
        """The labels when cached, else None; never asks GitHub (for work before Slack's 3 seconds)."""
        labels = self._labels.peek(repo.lower())
        return None if labels is None else list(labels)

    def cached_assignable(self, repo: str) -> list[str] | None:
        """The assignable logins when cached, else None; never asks GitHub."""
        logins = self._assignable.peek(repo.lower())
        return None if logins is None else list(logins)

    # --- the action ---------------------------------------------------------------------------------

    def run(
        self, action: TicketAction, actor: Actor, *, request_key: str, channel_id: str, now: datetime
    ) -> ActionOutcome:
        """Do `action` once for `request_key` (see the module docstring); never raises for GitHub."""
        record = self._record_fields(action, actor, channel_id=channel_id, now=now)
        refusal = self._refusal(action, actor, channel_id)
        if refusal is not None:
            return self._refused(action, actor, refusal, request_key=request_key, now=now, record=record)
        problem = text.bad_request(action)
        if problem is not None:
            self._log.record(settled_key(request_key, "invalid"), status="failed", message=problem, **record)
            return ActionOutcome(status="failed", message=problem, action=action, actor=actor)

        claim = self._log.claim(request_key, lease=self._lease, **record)
        if claim is None:
            return self._repeated(action, actor, request_key, now=now)
        try:
            outcome = self._perform(action, actor, request_key=request_key, now=now)
        except MaybeWritten as exc:
            outcome = ActionOutcome(status="partial", message=exc.user_message, action=action, actor=actor)
        except TicketReportError as exc:
            outcome = ActionOutcome(status="failed", message=exc.user_message, action=action, actor=actor)
        except Exception:
            log.exception("action %s on %s#%d failed", action.kind, action.repo, action.number)
            outcome = ActionOutcome(status="failed", message=text.unexpected(), action=action, actor=actor)
        self._log.finish(
            request_key,
            owner=self._owner,
            now=now,
            status=outcome.status,
            message=outcome.message,
            comment_url=outcome.comment_url,
            release=outcome.status == "failed",  # nothing was written: the same request may try again
        )
        return outcome

    def refuse(
        self,
        action: TicketAction,
        actor: Actor,
        *,
        request_key: str,
        channel_id: str,
        now: datetime,
        reason: str | None = None,
    ) -> ActionOutcome:
        """Record a refusal the Slack side made before anything could run (a click refused before its
        modal opens, a channel's repository rules): `reason` in its words, or the service's own gate's.
        Nothing is written to GitHub; `python -m bot audit` lists it like any refusal."""
        message = reason or self._refusal(action, actor, channel_id) or text.not_a_manager()
        record = self._record_fields(action, actor, channel_id=channel_id, now=now)
        return self._refused(action, actor, message, request_key=request_key, now=now, record=record)

    def _refused(
        self,
        action: TicketAction,
        actor: Actor,
        message: str,
        *,
        request_key: str,
        now: datetime,
        record: dict[str, Any],
    ) -> ActionOutcome:
        # One record per person, request and minute: a double click is recorded once, while the same
        # click on the same unchanged message later (tomorrow) is a new attempt the audit must show.
        minute = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")
        key = settled_key(f"{request_key}~{actor.user_id}~{minute}", "refused", unique=False)
        self._log.record(key, status="refused", message=message, **record)
        return ActionOutcome(status="refused", message=message, action=action, actor=actor)

    def _record_fields(
        self, action: TicketAction, actor: Actor, *, channel_id: str, now: datetime
    ) -> dict[str, Any]:
        return dict(
            owner=self._owner,
            now=now,
            actor_id=actor.user_id,
            actor_name=actor.display_name,
            channel_id=channel_id,
            kind=action.kind,
            repo=action.repo,
            number=action.number,
            details=_details(action),
        )

    def _refusal(self, action: TicketAction, actor: Actor, channel_id: str) -> str | None:
        if not self.may_act(actor.user_id):
            anyone = getattr(self._managers, "anyone", True)
            return text.not_a_manager() if anyone else text.no_managers()
        if self._repo_refusal is not None:
            return self._repo_refusal(channel_id, action.repo)
        return None

    def _repeated(self, action: TicketAction, actor: Actor, key: str, *, now: datetime) -> ActionOutcome:
        existing = self._log.get(key)
        message = text.repeated(
            action,
            done=existing.message if existing is not None and existing.state == "finished" else None,
            running_by=existing.actor_name if existing is not None else None,
            cut_off=existing is not None and existing.cut_off(now=now),
            status=existing.status if existing is not None else None,
        )
        url = existing.comment_url if existing is not None else None
        return ActionOutcome(status="repeated", message=message, action=action, actor=actor, comment_url=url)

    def _perform(
        self, action: TicketAction, actor: Actor, *, request_key: str, now: datetime
    ) -> ActionOutcome:
        repo, number, by = action.repo, action.number, actor.display_name
        issue = self._writer.issue(repo, number)  # gone, moved or a pull request: nothing is written
        tag = text.marker(request_key)
        since = now - COMMENT_LOOKBACK

        def outcome(status: Any, message: str, comment: dict[str, Any] | None = None) -> ActionOutcome:
            url = comment.get("html_url") if comment else None
            return ActionOutcome(status=status, message=message, action=action, actor=actor, comment_url=url)

        match action.kind:
            case "reply":
                body = text.reply_body(action.text, display_name=by, tag=tag)
                if len(body) > text.MAX_COMMENT_LENGTH:
                    return outcome("failed", text.comment_too_long(len(body)))
                comment = self._writer.comment(repo, number, body, marker=tag, since=since)
                self._mirror_write(repo, comments=[comment], now=now)
                return outcome("done", text.done(action, by=by), comment)
            case "reopen":
                if issue.get("state") == "open":
                    return outcome("done", text.done(action, by=by, already=True))
                issue = self._writer.set_state(repo, number, state="open", state_reason=None)
                self._mirror_write(repo, issues=[issue], now=now)
                return outcome("done", text.done(action, by=by))
            case "close" if action.state_reason == "duplicate":
                return self._close_duplicate(action, actor, issue, tag=tag, since=since, now=now)
            case "close":
                reason = action.state_reason or "completed"
                if issue.get("state") == "closed" and issue.get("state_reason") == reason:
                    return outcome("done", text.done(action, by=by, already=True))
                issue = self._writer.set_state(repo, number, state="closed", state_reason=reason)
                self._mirror_write(repo, issues=[issue], now=now)
                return outcome("done", text.done(action, by=by))
            case "label":
                known = self.labels(repo)
                spelled = {name.lower(): name for name in known}
                wanted = [label.strip() for label in action.labels if label.strip()]
                unknown = [label for label in wanted if label.lower() not in spelled]
                if unknown:
                    return outcome("failed", text.unknown_labels(repo, unknown, known))
                labels = tuple(dict.fromkeys(spelled[label.lower()] for label in wanted))
                labelled = self._writer.add_labels(repo, number, labels)
                if labelled is not None:  # None: added, but not read back; the next sync brings it
                    self._mirror_write(repo, issues=[labelled], now=now)
                return outcome("done", text.done(replace(action, labels=labels), by=by))
            case "assign":
                spelled = {login.lower(): login for login in self.assignable(repo)}
                wanted = [login.strip().lstrip("@") for login in action.assignees if login.strip()]
                unknown = [login for login in wanted if login.lower() not in spelled]
                if unknown:
                    return outcome("failed", text.not_assignable(repo, unknown))
                logins = tuple(dict.fromkeys(spelled[login.lower()] for login in wanted))
                issue = self._writer.add_assignees(repo, number, logins)
                self._mirror_write(repo, issues=[issue], now=now)
                held = {str((a or {}).get("login", "")).lower() for a in issue.get("assignees") or []}
                assigned = [login for login in logins if login.lower() in held]
                left = [login for login in logins if login.lower() not in held]
                if not assigned:
                    return outcome("failed", text.not_assignable(repo, left))
                if left:
                    return outcome("partial", text.partly_assigned(action, assigned, left, by=by))
                return outcome("done", text.done(replace(action, assignees=logins), by=by))
        return outcome("failed", text.bad_request(action) or text.unexpected())

    def _close_duplicate(
        self,
        action: TicketAction,
        actor: Actor,
        issue: dict[str, Any],
        *,
        tag: str,
        since: datetime,
        now: datetime,
    ) -> ActionOutcome:
        """Comment "Duplicate of #N", then close as duplicate; undo the comment when the close fails."""
        repo, number, by = action.repo, action.number, actor.display_name
        assert action.duplicate_of is not None  # bad_request checked it
        if issue.get("state") == "closed" and issue.get("state_reason") == "duplicate":
            # closed as a duplicate already (another manager was first): a second comment would be noise
            return ActionOutcome(
                status="done", message=text.done(action, by=by, already=True), action=action, actor=actor
            )
        self._writer.issue(repo, action.duplicate_of)  # the original must exist before anything is written
        body = text.duplicate_body(action.duplicate_of, display_name=by, tag=tag)
        try:
            comment = self._writer.comment(repo, number, body, marker=tag, since=since)
        except MaybeWritten as exc:  # the comment may be there; the close was not tried
            message = text.duplicate_comment_unconfirmed(action, _sentence(exc.user_message))
            return ActionOutcome(status="partial", message=message, action=action, actor=actor)
        url = comment.get("html_url")
        try:
            closed = self._writer.set_state(repo, number, state="closed", state_reason="duplicate")
        except MaybeWritten as exc:  # the close may have gone through: keep the comment it belongs to
            self._mirror_write(repo, comments=[comment], now=now)
            message = text.duplicate_half_done(action, _sentence(exc.user_message), removal=None)
            return ActionOutcome(
                status="partial", message=message, action=action, actor=actor, comment_url=url
            )
        except UpstreamError as exc:
            problem = _sentence(exc.user_message)
            try:
                self._writer.delete_comment(repo, comment)
            except UpstreamError as removal:
                self._mirror_write(repo, comments=[comment], now=now)
                message = text.duplicate_half_done(action, problem, removal=_sentence(removal.user_message))
                return ActionOutcome(
                    status="partial", message=message, action=action, actor=actor, comment_url=url
                )
            return ActionOutcome(
                status="failed", message=text.duplicate_undone(action, problem), action=action, actor=actor
            )
        self._mirror_write(repo, issues=[closed], comments=[comment], now=now)
        return ActionOutcome(
            status="done", message=text.done(action, by=by), action=action, actor=actor, comment_url=url
        )

    def _mirror_write(
        self,
        repo: str,
        *,
        issues: Sequence[dict[str, Any]] = (),
        comments: Sequence[dict[str, Any]] = (),
        now: datetime,
    ) -> None:
        """GitHub's answers into the mirror, when it keeps `repo`; a failure here leaves the next sync to
        bring the change (the action itself went through)."""
        if self._mirror is None:
            return
        try:
            if self._mirror.state(repo) is None:
                return
            with self._mirror.transaction() as tx:
                if issues:
                    tx.upsert_issues(repo, issues, now=now)
                if comments:
                    tx.upsert_comments(repo, comments, now=now)
        except Exception:
            log.warning(
                "the mirror of %s missed an action's change; the next sync brings it", repo, exc_info=True
            )


def _details(action: TicketAction) -> dict[str, Any]:
    details: dict[str, Any] = {}
    if action.state_reason is not None:
        details["state_reason"] = action.state_reason
    if action.duplicate_of is not None:
        details["duplicate_of"] = action.duplicate_of
    if action.labels:
        details["labels"] = list(action.labels)
    if action.assignees:
        details["assignees"] = list(action.assignees)
    if action.text:
        details["text"] = action.text[:2000]
    return details


def _sentence(message: str) -> str:
    return message.rstrip(". ")
