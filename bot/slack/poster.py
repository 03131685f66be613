"""The Web API side: posting reports to channels and answering one person, never posting twice.

- A report goes to the channel with chat.postMessage, so everyone sees it and it has a `ts`; a report
  rendered as several messages continues in the first message's thread.
- Answers meant for one person (private reports, errors) go to the command's `response_url`, which
  works even where the bot is not a member; without one, chat.postEphemeral.
- Every message is checked against Slack's limits (the renderer's `validate_message`) before sending,
  so a renderer bug shows up as a clear log line instead of a `invalid_blocks` from Slack.
- Retries: every call is retried on 429 honouring Retry-After (Slack did not take it), at most
  `MAX_RETRIES` times. Reads are also retried on 500/503 and connection errors. A post is not: Slack
  gives no idempotency key, and a 5xx or a timeout may come after it took the message. A post is
  repeated only when the connection was refused, so that nothing can have been sent.
- Each channel message carries its delivery id in its message metadata (`bot.delivery.ids`). When a post's
  outcome is uncertain the poster waits `settle_seconds` and looks for that id with
  conversations.history (or conversations.replies in a thread), the reason for the `channels:history`
  and `groups:history` scopes: found, the post stands with its ts; not found, or the lookup impossible,
  PostUnconfirmed is raised and nothing is sent again.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.error import URLError
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry import HttpRequest, HttpResponse, RetryHandler, RetryState
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.webhook import WebhookClient

from bot.delivery.ids import Delivery, delivery_id_of, part_id
from bot.delivery.ids import metadata as delivery_metadata
from bot.render import validate_message

log = logging.getLogger(__name__)

MAX_RETRIES = 2
TIMEOUT_SECONDS = 15
# Before looking for a post whose answer was lost: Slack's history may lag its write by a moment.
SETTLE_SECONDS = 1.0
# Looked for from this long before the post started: our clock and Slack's may disagree a little.
CLOCK_MARGIN_SECONDS = 120
MAX_HISTORY_PAGES = 5
# Web API methods that post: a repeat after an answer that was lost could post twice.
# Calls that put something in a channel: never repeated blindly (files.completeUploadExternal shares a
# file in a thread; the upload before it only stores bytes and is safe to repeat).
POSTING_METHODS = frozenset({"chat.postMessage", "chat.postEphemeral", "files.completeUploadExternal"})
# Slack's codes for a failure that may have happened after the message was stored.
_MAYBE_STORED = frozenset({"internal_error", "fatal_error", "service_unavailable"})
_NOT_JSON = "Received a response in a non-JSON format"

Message = Mapping[str, Any]  # {"text": fallback, "blocks": [...]} as the renderer makes it


class SlackPostError(Exception):
    """Slack did not take a message; `error` is Slack's code (e.g. `not_in_channel`) or a short reason."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


class NotInChannel(SlackPostError):
    """The bot may not post here: not a member (`not_in_channel`) or cannot see it (`channel_not_found`)."""


class ChannelArchived(SlackPostError):
    """The channel is archived."""


class PartlyPosted(SlackPostError):
    """The first message of a report was posted, a later one in its thread was not."""

    def __init__(self, error: str, *, ts: str) -> None:
        super().__init__(error)
        self.ts = ts


class PostUnconfirmed(SlackPostError):
    """Slack may have taken a message but its answer was lost, and its history did not show it.

    Nothing is sent again. `error` says why in our words ("Slack answered HTTP 500", "no answer within
    15 s"); `ts` is the report's first message when it was a later one that is unconfirmed.
    """

    def __init__(self, error: str, *, ts: str | None = None) -> None:
        super().__init__(error)
        self.ts = ts


_NOT_IN_CHANNEL = frozenset({"not_in_channel", "channel_not_found"})


@dataclass(frozen=True)
class Requester:
    """Where an answer for one person goes."""

    user_id: str
    channel_id: str
    response_url: str | None = None


def not_sent(error: BaseException | None) -> bool:
    """Whether a failed request certainly never reached anyone: the connection was refused, or the
    host name did not resolve."""
    reason = error.reason if isinstance(error, URLError) else error
    return isinstance(reason, (ConnectionRefusedError, socket.gaierror))


def _posts(request: HttpRequest) -> bool:
    return urlsplit(request.url).path.rsplit("/", 1)[-1] in POSTING_METHODS


class _ServerErrors(ServerErrorRetryHandler):
    """500 and 503 retried, except for a post: Slack may have stored the message before failing."""

    def __init__(self, max_retry_count: int, *, all_post: bool) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self._all_post = all_post

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if self._all_post or _posts(request):
            return False
        return super()._can_retry(state=state, request=request, response=response, error=error)


class _ConnectionErrors(ConnectionErrorRetryHandler):
    """Connection errors retried; for a post only when nothing can have been sent."""

    def __init__(self, max_retry_count: int, *, all_post: bool) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self._all_post = all_post

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if not super()._can_retry(state=state, request=request, response=response, error=error):
            return False
        return not (self._all_post or _posts(request)) or not_sent(error)


def retry_handlers(*, all_post: bool = False) -> list[RetryHandler]:
    """Bounded retries that never repeat a post Slack may have taken (`all_post`: every request of this
    client posts, as a response_url's do)."""
    return [
        _ConnectionErrors(MAX_RETRIES, all_post=all_post),
        RateLimitErrorRetryHandler(max_retry_count=MAX_RETRIES),
        _ServerErrors(MAX_RETRIES, all_post=all_post),
    ]


def make_web_client(*, token: str | None, base_url: str, timeout: float = TIMEOUT_SECONDS) -> WebClient:
    """The bot's WebClient: `base_url` from SLACK_API_URL (tests and proxies point it elsewhere)."""
    return WebClient(
        token=token, base_url=base_url, timeout=int(timeout) or 1, retry_handlers=retry_handlers()
    )


def check(message: Message) -> dict[str, Any]:
    """The message as Slack gets it, after the renderer's check of Slack's limits (raises if broken)."""
    validate_message(message)
    return {"text": message["text"], "blocks": list(message["blocks"])}


class SlackPoster:
    """Posts messages for the bot; raises SlackPostError (or a subclass) when Slack refuses."""

    def __init__(
        self,
        client: WebClient,
        *,
        webhook_factory: Callable[[str], WebhookClient] | None = None,
        settle_seconds: float = SETTLE_SECONDS,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._webhook_factory = webhook_factory or _webhook
        self._settle_seconds = settle_seconds
        self._wall_clock = wall_clock

    def post_report(
        self,
        channel: str,
        messages: Sequence[Message],
        *,
        delivery: Delivery | None = None,
    ) -> str:
        """Post to `channel`: the first message top-level, the rest in its thread. Returns the first `ts`.

        `delivery` names the post (a fresh id when None); its `begin()` is asked right before the first
        message is sent, and False sends nothing and returns "". PostUnconfirmed when Slack may have
        taken a message and the check could not find it (nothing is sent again, nor anything after it).
        """
        if not messages:
            raise ValueError("a report has at least one message")
        checked = [check(message) for message in messages]
        post = delivery or Delivery()
        if not post.begin():
            return ""
        ts = self._post(channel, checked[0], delivery_id=post.id)
        for index, message in enumerate(checked[1:], start=1):
            try:
                self._post(channel, message, thread_ts=ts, delivery_id=part_id(post.id, index))
            except PostUnconfirmed as exc:
                raise PostUnconfirmed(exc.error, ts=ts) from exc
            except SlackPostError as exc:
                raise PartlyPosted(exc.error, ts=ts) from exc
        return ts

    def post_in_thread(self, channel: str, *, thread_ts: str, messages: Sequence[Message]) -> list[str]:
        """Post every message as a reply in an existing thread (drill-downs). Returns their `ts`."""
        post = Delivery()
        return [
            self._post(channel, check(message), thread_ts=thread_ts, delivery_id=part_id(post.id, index))
            for index, message in enumerate(messages)
        ]

    def find_post(
        self, channel: str, delivery_id: str, *, since: float, thread_ts: str | None = None
    ) -> str | None:
        """The ts of the message carrying `delivery_id` posted in `channel` (in the thread `thread_ts`)
        at or after `since` (Unix seconds, less a margin for the clocks), else None. SlackPostError when
        Slack cannot be asked (a missing history scope, the bot not in the channel, Slack down)."""
        oldest = f"{max(since - CLOCK_MARGIN_SECONDS, 0):.6f}"
        cursor: str | None = None
        for _ in range(MAX_HISTORY_PAGES):
            args: dict[str, Any] = {
                "channel": channel,
                "oldest": oldest,
                "inclusive": True,
                "include_all_metadata": True,
                "limit": 200,
            }
            if cursor:
                args["cursor"] = cursor
            if thread_ts:
                data = self._read(self._client.conversations_replies, ts=thread_ts, **args)
            else:
                data = self._read(self._client.conversations_history, **args)
            for message in data.get("messages") or []:
                if delivery_id_of(message) == delivery_id and isinstance(message.get("ts"), str):
                    return message["ts"]
            cursor = (data.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return None
        return None

    @property
    def client(self) -> WebClient:
        return self._client

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """The channel's top-level message `ts` as Slack has it now (its blocks), or None if gone.
        SlackPostError when Slack cannot be asked."""
        data = self._read(
            self._client.conversations_history, channel=channel, oldest=ts, latest=ts, inclusive=True, limit=1
        )
        for found in data.get("messages") or []:
            if isinstance(found, dict) and found.get("ts") == ts:
                return found
        return None

    def answer(self, requester: Requester, messages: Sequence[Message]) -> None:
        """Messages only `requester` sees: through the response_url, else chat.postEphemeral."""
        checked = [check(message) for message in messages]
        if requester.response_url and self._respond(requester.response_url, checked):
            return
        for message in checked:
            self._call("chat.postEphemeral", channel=requester.channel_id, user=requester.user_id, **message)

    def tell(self, requester: Requester, text: str) -> None:
        """One short ephemeral line (an error or a notice); failures are logged, never raised."""
        message = {"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}
        try:
            self.answer(requester, [message])
        except SlackPostError as exc:
            log.warning("could not tell %s in %s: %s", requester.user_id, requester.channel_id, exc.error)
        except ValueError:  # our own text broke a Slack limit: a bug, logged in full
            log.exception("an answer for %s was not a valid Slack message", requester.user_id)

    def _respond(self, response_url: str, messages: list[dict[str, Any]]) -> bool:
        webhook = self._webhook_factory(response_url)
        for message in messages:
            try:
                response = webhook.send(
                    text=message["text"],
                    blocks=message["blocks"],
                    response_type="ephemeral",
                    replace_original=False,
                    unfurl_links=False,
                    unfurl_media=False,
                )
            except (SlackClientError, OSError) as exc:
                if not not_sent(exc):  # it may have arrived: an ephemeral twice is a post twice
                    log.warning("response_url: %s; not sent again", _lost_answer(exc))
                    return True
                log.warning("response_url failed (%s); trying chat.postEphemeral", type(exc).__name__)
                return False
            if response.status_code >= 500:
                status = response.status_code
                log.warning("response_url answered %s; it may have arrived, not sent again", status)
                return True
            if response.status_code != 200:
                # Expired (after 30 minutes) or used up (5 answers): chat.postEphemeral still works.
                log.warning("response_url answered %s; trying chat.postEphemeral", response.status_code)
                return False
        return True

    def _post(
        self, channel: str, message: dict[str, Any], *, delivery_id: str, thread_ts: str | None = None
    ) -> str:
        extra: dict[str, Any] = {"thread_ts": thread_ts} if thread_ts else {}
        started = self._wall_clock()
        try:
            data = self._call(
                "chat.postMessage",
                channel=channel,
                unfurl_links=False,
                unfurl_media=False,
                metadata=delivery_metadata(delivery_id),
                **message,
                **extra,
            )
        except PostUnconfirmed as exc:
            return self._confirm(channel, delivery_id, since=started, thread_ts=thread_ts, reason=exc.error)
        return str(data.get("ts", ""))

    def _confirm(
        self, channel: str, delivery_id: str, *, since: float, thread_ts: str | None, reason: str
    ) -> str:
        """After an uncertain post: its ts if the channel shows it, else PostUnconfirmed (never a repost)."""
        if self._settle_seconds > 0:
            time.sleep(self._settle_seconds)
        try:
            ts = self.find_post(channel, delivery_id, since=since, thread_ts=thread_ts)
        except SlackPostError as exc:
            log.warning(
                "post %s to %s unconfirmed (%s); looking for it failed (%s); not posted again",
                delivery_id, channel, reason, exc.error,
            )  # fmt: skip
            raise PostUnconfirmed(f"{reason}; checking the channel failed ({exc.error})") from None
        if ts is None:
            log.warning(
                "post %s to %s unconfirmed (%s) and not in the channel's history; not posted again",
                delivery_id, channel, reason,
            )  # fmt: skip
            raise PostUnconfirmed(f"{reason}; the message was not found in the channel") from None
        log.warning("post %s to %s: %s, but the channel shows it as %s", delivery_id, channel, reason, ts)
        return ts

    def _call(self, method: str, **kwargs: Any) -> dict[str, Any]:
        posting = method in POSTING_METHODS
        try:
            response = self._client.api_call(method, json=kwargs)
        except SlackApiError as exc:
            status = exc.response.status_code
            error = str(exc.response.get("error") or "")
            if posting and (status >= 500 or error in _MAYBE_STORED or error.startswith(_NOT_JSON)):
                reason = f"Slack answered HTTP {status}" if status != 200 else f"Slack answered {error[:40]}"
                log.warning("%s to %s: %s; it may have been posted", method, kwargs.get("channel"), reason)
                raise PostUnconfirmed(reason) from None
            if not error or error.startswith(_NOT_JSON):
                error = f"HTTP {status}"
            # A channel the bot is not in, or archived, is the caller's to explain in one line of its own.
            expected = error in _NOT_IN_CHANNEL or error == "is_archived"
            log.log(
                logging.DEBUG if expected else logging.WARNING,
                "%s to %s failed: %s",
                method,
                kwargs.get("channel"),
                error,
            )
            if error in _NOT_IN_CHANNEL:
                raise NotInChannel(error) from None
            if error == "is_archived":
                raise ChannelArchived(error) from None
            raise SlackPostError(error) from None
        except (SlackClientError, OSError) as exc:
            if posting and not not_sent(exc):
                reason = _lost_answer(exc)
                log.warning("%s to %s: %s; it may have been posted", method, kwargs.get("channel"), reason)
                raise PostUnconfirmed(reason) from None
            log.warning("%s to %s failed: %s", method, kwargs.get("channel"), type(exc).__name__)
            raise SlackPostError(f"connection failed ({type(exc).__name__})") from None
        return dict(response.data) if isinstance(response.data, dict) else {}

    def _read(self, call: Callable[..., Any], **kwargs: Any) -> dict[str, Any]:
        """A read through one of the WebClient's own methods (form-encoded, as Slack's reads want)."""
        try:
            response = call(**kwargs)
        except SlackApiError as exc:
            error = str(exc.response.get("error") or "")
            if not error or error.startswith(_NOT_JSON):
                error = f"HTTP {exc.response.status_code}"
            raise SlackPostError(error) from None
        except (SlackClientError, OSError) as exc:
            raise SlackPostError(f"connection failed ({type(exc).__name__})") from None
        return dict(response.data) if isinstance(response.data, dict) else {}


def _lost_answer(exc: BaseException) -> str:
    reason = exc.reason if isinstance(exc, URLError) else exc
    if isinstance(reason, TimeoutError):
        return "Slack did not answer in time"
    return f"the connection to Slack broke ({type(reason).__name__})"


def _webhook(url: str) -> WebhookClient:
    return WebhookClient(url, timeout=TIMEOUT_SECONDS, retry_handlers=retry_handlers(all_post=True))
