"""GitHub webhooks into the ticket mirror: each delivery verified, checked, applied once.

`WebhookReceiver.handle(headers, body)` does the whole job and knows nothing of HTTP
(`bot.slack.serving` routes `POST /github/webhook` to it and answers what it returns):

* The raw body must be signed: `X-Hub-Signature-256: sha256=` + hex HMAC-SHA256 of the body with
  GITHUB_WEBHOOK_SECRET, compared in constant time. A missing, malformed or wrong signature is 401 and
  touches nothing; every check below comes after it.
* `issues` and `issue_comment` deliveries of a mirrored repository are applied in one database
  transaction with the record of their `X-GitHub-Delivery`: a redelivery is answered "already applied"
  and changes nothing, and a failure rolls the record back too, so GitHub's redelivery can apply it
  later. `ping` answers "pong"; other events and other repositories are acknowledged (202) and ignored.
* Payloads are untrusted even when signed. What the mirror needs (the issue's number and dates, the
  comment's id, issue and dates) is checked first, and a payload without it gets 400 and one line
  naming what is wrong; strings are made storable (no NUL, no lone surrogate) and numbers are kept
  inside the columns' ranges, so no payload can fail the write and be redelivered in vain.

Deliveries may arrive in any order: the mirror keeps the newest `updated_at` and tombstones deletions.

Answers: 200 "applied" | "already applied" | "pong"; 202 "ignored: ..."; 400 what is wrong with the
request; 401 "invalid signature"; 500 "could not apply; redeliver" (the error is logged, the payload
never).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import re
import threading
import traceback
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from bot.sources.payloads import is_pull_request, parse_datetime
from bot.store.mirror import Mirror, repo_key

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Hub-Signature-256"
EVENT_HEADER = "X-GitHub-Event"
DELIVERY_HEADER = "X-GitHub-Delivery"

# GitHub offers a failed delivery for redelivery for 3 days; a week of records covers it with room.
KEEP_DELIVERIES = timedelta(days=7)
FORGET_EVERY = timedelta(hours=1)
# Dates beyond this are refused: one far-future `updated_at` would freeze the row against every later
# change (the mirror keeps the newest).
FUTURE_SLACK = timedelta(days=1)

_INT32_MAX = 2**31 - 1  # issue numbers and counts are INTEGER columns
_INT64_MAX = 2**63 - 1  # comment ids are BIGINT
_MAX_DEPTH = 12  # GitHub's issue and comment objects nest 3 deep; anything deeper is junk and dropped
_STATE_REASON_CHARS = 32  # mirror_issues.state_reason is VARCHAR(32)

_EVENT = re.compile(r"[a-z][a-z0-9_]{0,63}")
_DELIVERY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}")  # GitHub sends a GUID
_ISSUE_URL_NUMBER = re.compile(r"/issues/([0-9]{1,10})/?$")

_ISSUE_DELETED = ("deleted", "transferred")
_ISSUE_PINNED = {"pinned": True, "unpinned": False}
_COMMENT_ACTIONS = ("created", "edited", "deleted")


@dataclass(frozen=True)
class WebhookAnswer:
    """What to answer GitHub: an HTTP status and one line of text."""

    status: int
    text: str


_COULD_NOT_APPLY = WebhookAnswer(500, "could not apply; redeliver")


def verify_signature(body: bytes, header: str | None, *, secret: str | bytes) -> bool:
    """True when `header` is `sha256=` + hex HMAC-SHA256(secret, body); compared in constant time."""
    if not secret or not isinstance(header, str) or not header.isascii() or not header.startswith("sha256="):
        return False
    key = secret.encode() if isinstance(secret, str) else secret
    expected = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header)


class WebhookReceiver:
    """Applies GitHub's webhook deliveries to the mirror (see the module docstring).

    `repos` are the repositories the bot mirrors (compared case-insensitively), or a function giving
    them, asked at each delivery. Safe to call from many threads and processes at once.
    """

    def __init__(
        self,
        mirror: Mirror,
        *,
        secret: str,
        repos: Callable[[], Collection[str]] | Collection[str],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_applied: Callable[[str, str], None] | None = None,
    ) -> None:
        """on_applied(event, repo): told after each delivery that changed the mirror (not a redelivery);
        it must return at once (the alerts hand their work to a thread of their own)."""
        if not secret:
            raise ValueError("GITHUB_WEBHOOK_SECRET is empty: without one anybody could write the mirror")
        if isinstance(repos, str):
            raise TypeError("repos must be a collection of OWNER/NAME names, not one string")
        self._mirror = mirror
        self._secret = secret.encode()
        self._repos = repos
        self._clock = clock
        self.on_applied = on_applied
        self._forget_lock = threading.Lock()
        self._next_forget: datetime | None = None

    def handle(self, headers: Mapping[str, str], body: bytes) -> WebhookAnswer:
        named = {str(name).lower(): value for name, value in headers.items()}
        if not verify_signature(body, named.get(SIGNATURE_HEADER.lower()), secret=self._secret):
            log.warning("rejected a GitHub webhook delivery: missing or wrong %s", SIGNATURE_HEADER)
            return WebhookAnswer(401, "invalid signature")
        event = named.get(EVENT_HEADER.lower()) or ""
        delivery = named.get(DELIVERY_HEADER.lower()) or ""
        if not _EVENT.fullmatch(event):
            return WebhookAnswer(400, f"missing or malformed {EVENT_HEADER} header")
        if not _DELIVERY.fullmatch(delivery):
            return WebhookAnswer(400, f"missing or malformed {DELIVERY_HEADER} header")
        now = self._clock()
        self._forget_old_deliveries(now)
        try:
            content_type = named.get("content-type") or ""
            return self._answer(event, delivery, content_type=content_type, body=body, now=now)
        except _BadPayload as bad:
            log.info("refused GitHub %s delivery %s: %s", event, delivery, bad)
            return WebhookAnswer(400, str(bad))
        except Exception as error:  # a payload this code did not foresee: answered, never raised
            _log_failure(f"could not read GitHub {event} delivery {delivery}", error)
            return _COULD_NOT_APPLY

    # --- one delivery ---------------------------------------------------------------------------------

    def _answer(
        self, event: str, delivery: str, *, content_type: str, body: bytes, now: datetime
    ) -> WebhookAnswer:
        if event not in ("ping", "issues", "issue_comment"):
            return WebhookAnswer(202, f"ignored: the mirror does not use {event} events")
        payload = _payload(body, content_type=content_type)
        full_name = _full_name(payload)
        if event == "ping":
            # An organization's hook pings without a repository; only a mirrored one is recorded.
            repo = self._mirrored(full_name) if full_name else None
            recorded = repo is None or self._apply(delivery, event=event, repo=repo, change=None, now=now)
            return _COULD_NOT_APPLY if recorded is False else WebhookAnswer(200, "pong")
        if full_name is None:
            raise _BadPayload("missing repository.full_name")
        repo = self._mirrored(full_name)
        if repo is None:
            return WebhookAnswer(202, "ignored: not a mirrored repository")
        change = _issue_change(payload, now=now) if event == "issues" else _comment_change(payload, now=now)
        if change is None:
            return WebhookAnswer(202, f"ignored: the mirror does not use this {event} action")
        applied = self._apply(delivery, event=event, repo=repo, change=change, now=now)
        if applied is None:
            return WebhookAnswer(200, "already applied")
        return WebhookAnswer(200, "applied") if applied else _COULD_NOT_APPLY

    def _apply(
        self, delivery: str, *, event: str, repo: str, change: _Change | None, now: datetime
    ) -> bool | None:
        """Record the delivery and apply `change` in one transaction: True when applied, None when the
        delivery was applied before, False when it failed (logged; nothing of it was kept)."""
        try:
            with self._mirror.transaction() as tx:
                if not tx.record_delivery(delivery, event=event, repo=repo, now=now):
                    log.info("GitHub %s delivery %s was applied before; skipped", event, delivery)
                    return None
                if change is not None:
                    change.apply(tx, repo, now=now)
                    _note_webhook(tx, repo, now=now)
        except Exception as error:  # any failure answers 500; none reaches the server
            _log_failure(f"could not apply GitHub {event} delivery {delivery} to {repo}", error)
            return False
        if change is not None:
            log.info("applied GitHub %s delivery %s to %s: %s", event, delivery, repo, change.describe())
            self._tell_applied(event, repo)
        return True

    def _tell_applied(self, event: str, repo: str) -> None:
        callback = self.on_applied
        if callback is None:
            return
        try:
            callback(event, repo)
        except Exception:  # a listener's failure never fails the delivery, which is applied
            log.exception("the listener of applied GitHub deliveries failed")

    def _mirrored(self, full_name: str) -> str | None:
        """The configured spelling of `full_name` when the bot mirrors it, else None."""
        repos = self._repos() if callable(self._repos) else self._repos
        wanted = repo_key(full_name)
        return next((repo.strip() for repo in repos if repo_key(repo) == wanted), None)

    def _forget_old_deliveries(self, now: datetime) -> None:
        """Drop delivery records past KEEP_DELIVERIES, at most once every FORGET_EVERY per receiver."""
        if not self._forget_lock.acquire(blocking=False):
            return  # another request is doing it
        try:
            if self._next_forget is not None and now < self._next_forget:
                return
            self._next_forget = now + FORGET_EVERY
            dropped = self._mirror.forget_deliveries(before=now - KEEP_DELIVERIES)
            if dropped:
                log.info("forgot %d GitHub webhook deliveries older than %s", dropped, KEEP_DELIVERIES)
        except Exception as error:  # housekeeping never fails a delivery
            log.warning("could not forget old GitHub webhook deliveries: %s", _error_kind(error))
        finally:
            self._forget_lock.release()


# --- what a delivery changes ----------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class _Change:
    """One delivery's change to the mirror, from a checked payload."""

    # upsert_issue | delete_issue | pin_issue | upsert_comment | delete_comment | pr_comment
    kind: str
    issue: dict[str, Any]
    comment: dict[str, Any] | None = None
    pinned: bool = False

    @property
    def number(self) -> int:
        return int(self.issue["number"])

    def describe(self) -> str:
        if self.comment is not None and self.kind != "pr_comment":
            return f"{self.kind} {self.comment['id']} on #{self.number}"
        return f"{self.kind} #{self.number}"

    def apply(self, tx: Mirror, repo: str, *, now: datetime) -> None:
        match self.kind:
            case "delete_issue":
                tx.delete_issue(repo, self.number, at=now, now=now, payload=self.issue)
            case "pin_issue":
                tx.upsert_issues(repo, [self.issue], now=now)
                tx.set_issue_pinned(repo, self.number, pinned=self.pinned)
            case "upsert_comment":
                assert self.comment is not None
                tx.upsert_comments(repo, [self.comment], now=now)
                tx.upsert_issues(repo, [self.issue], now=now)
            case "delete_comment":
                assert self.comment is not None
                tx.delete_comment(repo, int(self.comment["id"]), at=now, now=now, payload=self.comment)
                tx.upsert_issues(repo, [self.issue], now=now)
            case "upsert_issue" | "pr_comment":
                tx.upsert_issues(repo, [self.issue], now=now)
            case _:
                raise ValueError(f"unknown change {self.kind!r}")


def _issue_change(payload: Mapping[str, Any], *, now: datetime) -> _Change:
    action = _action(payload)
    issue = _issue(payload, now=now)
    if action in _ISSUE_DELETED:
        return _Change(kind="delete_issue", issue=issue)
    if action in _ISSUE_PINNED:
        return _Change(kind="pin_issue", issue=issue, pinned=_ISSUE_PINNED[action])
    # opened, edited, closed, reopened, labeled, assigned, milestoned, locked, typed, ...: the payload's
    # issue is the whole issue as it now stands.
    return _Change(kind="upsert_issue", issue=issue)


def _comment_change(payload: Mapping[str, Any], *, now: datetime) -> _Change | None:
    action = _action(payload)
    if action not in _COMMENT_ACTIONS:
        return None
    issue = _issue(payload, now=now)
    if is_pull_request(issue):
        # Reports cover issues only: the pull request is kept (so it is known as one), its comments not.
        return _Change(kind="pr_comment", issue=issue)
    comment = _comment(payload, number=int(issue["number"]), now=now)
    kind = "delete_comment" if action == "deleted" else "upsert_comment"
    return _Change(kind=kind, issue=issue, comment=comment)


def _note_webhook(tx: Mirror, repo: str, *, now: datetime) -> None:
    """Webhooks feed `repo`: the latest delivery, and the start of the run when none was noted (the sync
    confirms later that the run has no gap)."""
    state = tx.ensure_repo(repo)
    values: dict[str, Any] = {"webhook_at": now}
    if state.webhook_since is None:
        values["webhook_since"] = now
    tx.update_state(repo, **values)


# --- reading an untrusted payload -----------------------------------------------------------------


class _BadPayload(Exception):
    """A delivery the mirror cannot use; the message is the answer's text."""


def _payload(body: bytes, *, content_type: str) -> dict[str, Any]:
    raw: str | bytes = body
    if content_type.split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
        # A hook set to the form content type sends the JSON as the `payload` field.
        try:
            fields = parse_qs(body.decode("utf-8"), max_num_fields=100)
        except ValueError:  # not UTF-8, or too many fields
            raise _BadPayload("body is not a form with a payload field") from None
        if len(fields.get("payload", ())) != 1:
            raise _BadPayload("body is not a form with a payload field")
        raw = fields["payload"][0]
    try:
        payload = json.loads(raw)
    except (ValueError, RecursionError):  # ValueError covers bad JSON, bad UTF-8 and 4300+ digit numbers
        raise _BadPayload("body is not JSON") from None
    if not isinstance(payload, dict):
        raise _BadPayload("body is not a JSON object")
    return payload


def _full_name(payload: Mapping[str, Any]) -> str | None:
    repository = payload.get("repository")
    name = repository.get("full_name") if isinstance(repository, Mapping) else None
    return name if isinstance(name, str) and name.strip() else None


def _action(payload: Mapping[str, Any]) -> str:
    action = payload.get("action")
    if not isinstance(action, str) or not action:
        raise _BadPayload("missing action")
    return action


def _issue(payload: Mapping[str, Any], *, now: datetime) -> dict[str, Any]:
    """The payload's issue, checked and made storable."""
    found = payload.get("issue")
    if not isinstance(found, Mapping):
        raise _BadPayload("missing issue")
    issue = _storable(found)
    number = _whole(issue.get("number"))
    if number is None or not 0 < number <= _INT32_MAX:
        raise _BadPayload("issue.number is missing or not an issue number")
    issue["number"] = number
    _check_dates(issue, "issue", required=("created_at", "updated_at"), optional=("closed_at",), now=now)
    _clamp_count(issue, "comments")
    _clamp_count(issue.get("reactions"), "total_count")
    reason = issue.get("state_reason")
    if not (reason is None or (isinstance(reason, str) and len(reason) <= _STATE_REASON_CHARS)):
        issue["state_reason"] = None
    return issue


def _comment(payload: Mapping[str, Any], *, number: int, now: datetime) -> dict[str, Any]:
    """The payload's comment, checked against its issue and made storable."""
    found = payload.get("comment")
    if not isinstance(found, Mapping):
        raise _BadPayload("missing comment")
    comment = _storable(found)
    comment_id = _whole(comment.get("id"))
    if comment_id is None or not 0 < comment_id <= _INT64_MAX:
        raise _BadPayload("comment.id is missing or not a comment id")
    comment["id"] = comment_id
    issue_url = comment.get("issue_url")
    match = _ISSUE_URL_NUMBER.search(issue_url) if isinstance(issue_url, str) else None
    if match is None or int(match.group(1)) != number:
        raise _BadPayload(f"comment.issue_url is missing or does not name issue {number}")
    _check_dates(comment, "comment", required=("created_at",), optional=("updated_at",), now=now)
    _clamp_count(comment.get("reactions"), "total_count")
    return comment


def _check_dates(
    item: dict[str, Any], name: str, *, required: tuple[str, ...], optional: tuple[str, ...], now: datetime
) -> None:
    latest = now + FUTURE_SLACK
    for field in (*required, *optional):
        value = item.get(field)
        if value is None and field in optional:
            continue
        moment = _moment(value)
        if moment is None:
            raise _BadPayload(f"{name}.{field} is missing or not a date")
        if moment > latest:
            raise _BadPayload(f"{name}.{field} is in the future")


def _moment(value: object) -> datetime | None:
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        return parse_datetime(value)
    except (ValueError, OverflowError):  # year 9999 at -14:00 is past datetime's range in UTC
        return None


def _whole(value: object) -> int | None:
    """An int, or a string of ASCII digits (as the mirror reads them); None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and 0 < len(value) <= 19 and value.isascii() and value.isdigit():
        return int(value)
    return None


def _clamp_count(item: object, field: str) -> None:
    """Keep a count the mirror stores in an INTEGER column inside its range (unreadable: dropped)."""
    if not isinstance(item, dict) or field not in item:
        return
    count = _whole(item[field])
    item[field] = None if count is None else min(max(count, 0), _INT32_MAX)


def _storable(value: Mapping[str, Any]) -> dict[str, Any]:
    """A copy every database can store: NUL characters removed (PostgreSQL text refuses them), lone
    surrogates replaced (they are not UTF-8), numbers past 64 bits, NaN and infinities and anything
    nested past _MAX_DEPTH dropped."""
    copied = _copy(value, depth=0)
    assert isinstance(copied, dict)
    return copied


def _copy(value: object, *, depth: int) -> object:
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value if -_INT64_MAX <= value <= _INT64_MAX else None
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if depth >= _MAX_DEPTH:
        return None
    if isinstance(value, Mapping):
        return {_text(str(key)): _copy(item, depth=depth + 1) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item, depth=depth + 1) for item in value]
    return None


def _text(value: str) -> str:
    if "\x00" in value:
        value = value.replace("\x00", "")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "replace").decode("utf-8")
    return value


def _log_failure(what: str, error: BaseException) -> None:
    """Log the error's type and where it happened, never its message: that may quote the payload (SQL
    parameters, a value that did not convert), and payloads stay out of the logs."""
    where = "".join(traceback.format_tb(error.__traceback__, limit=-4)).rstrip()
    log.error("%s: %s\n%s", what, _error_kind(error), where)


def _error_kind(error: BaseException) -> str:
    """The error's type, and the database driver's under SQLAlchemy's wrapper; never its message."""
    kind = type(error).__name__
    original = getattr(error, "orig", None)
    return f"{kind} ({type(original).__name__})" if original is not None else kind
