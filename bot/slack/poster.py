"""The Web API side: posting reports to channels and answering one person, with bounded retries.

- A report goes to the channel with chat.postMessage, so everyone sees it and it has a `ts`; a report
  rendered as several messages continues in the first message's thread.
- Answers meant for one person (private reports, errors) go to the command's `response_url`, which
  works even where the bot is not a member; without one, chat.postEphemeral.
- Every message is checked against Slack's limits (the renderer's `validate_message`) before sending,
  so a renderer bug shows up as a clear log line instead of a `invalid_blocks` from Slack.
- The WebClient retries on 429 honouring Retry-After (slack_sdk's RateLimitErrorRetryHandler is not on
  by default), on 500/503 and on connection errors, each at most `MAX_RETRIES` times.
  A retried chat.postMessage after a 5xx could in rare cases post twice; Slack gives no idempotency key.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.webhook import WebhookClient

from bot.render import validate_message

log = logging.getLogger(__name__)

MAX_RETRIES = 2
TIMEOUT_SECONDS = 15

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


_NOT_IN_CHANNEL = frozenset({"not_in_channel", "channel_not_found"})


@dataclass(frozen=True)
class Requester:
    """Where an answer for one person goes."""

    user_id: str
    channel_id: str
    response_url: str | None = None


def retry_handlers() -> list[RetryHandler]:
    """Bounded retries for every Web API and response_url call."""
    return [
        ConnectionErrorRetryHandler(max_retry_count=MAX_RETRIES),
        RateLimitErrorRetryHandler(max_retry_count=MAX_RETRIES),
        ServerErrorRetryHandler(max_retry_count=MAX_RETRIES),
    ]


def make_web_client(*, token: str | None, base_url: str) -> WebClient:
    """The bot's WebClient: `base_url` from SLACK_API_URL (tests and proxies point it elsewhere)."""
    return WebClient(token=token, base_url=base_url, timeout=TIMEOUT_SECONDS, retry_handlers=retry_handlers())


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
    ) -> None:
        self._client = client
        self._webhook_factory = webhook_factory or _webhook

    def post_report(self, channel: str, messages: Sequence[Message]) -> str:
        """Post to `channel`: the first message top-level, the rest in its thread. Returns the first `ts`."""
        if not messages:
            raise ValueError("a report has at least one message")
        checked = [check(message) for message in messages]
        ts = self._post(channel, checked[0])
        for message in checked[1:]:
            try:
                self._post(channel, message, thread_ts=ts)
            except SlackPostError as exc:
                raise PartlyPosted(exc.error, ts=ts) from exc
        return ts

    def post_in_thread(self, channel: str, *, thread_ts: str, messages: Sequence[Message]) -> list[str]:
        """Post every message as a reply in an existing thread (drill-downs). Returns their `ts`."""
        return [self._post(channel, check(message), thread_ts=thread_ts) for message in messages]

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
                log.warning("response_url failed (%s); trying chat.postEphemeral", type(exc).__name__)
                return False
            if response.status_code != 200:
                # Expired (after 30 minutes) or used up (5 answers): chat.postEphemeral still works.
                log.warning("response_url answered %s; trying chat.postEphemeral", response.status_code)
                return False
        return True

    def _post(self, channel: str, message: dict[str, Any], *, thread_ts: str | None = None) -> str:
        extra: dict[str, Any] = {"thread_ts": thread_ts} if thread_ts else {}
        data = self._call(
            "chat.postMessage", channel=channel, unfurl_links=False, unfurl_media=False, **message, **extra
        )
        return str(data.get("ts", ""))

    def _call(self, method: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self._client.api_call(method, json=kwargs)
        except SlackApiError as exc:
            error = str(exc.response.get("error") or f"HTTP {exc.response.status_code}")
            log.warning("%s to %s failed: %s", method, kwargs.get("channel"), error)
            if error in _NOT_IN_CHANNEL:
                raise NotInChannel(error) from None
            if error == "is_archived":
                raise ChannelArchived(error) from None
            raise SlackPostError(error) from None
        except (SlackClientError, OSError) as exc:
            log.warning("%s to %s failed: %s", method, kwargs.get("channel"), type(exc).__name__)
            raise SlackPostError(f"connection failed ({type(exc).__name__})") from None
        return dict(response.data) if isinstance(response.data, dict) else {}


def _webhook(url: str) -> WebhookClient:
    return WebhookClient(url, timeout=TIMEOUT_SECONDS, retry_handlers=retry_handlers())
