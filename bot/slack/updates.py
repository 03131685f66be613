"""chat.update of a message the bot posted (an alert saying it has been answered).

An update replaces the message's content, so sending the same one twice shows the same thing: it may be
retried, unlike a post. Failures raise the poster's categories (`NotInChannel`, `ChannelArchived`,
`SlackPostError`) with Slack's code.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.slack.poster import ChannelArchived, Message, NotInChannel, SlackPostError, check

log = logging.getLogger(__name__)


class MessageUpdater:
    """Replaces the content of the bot's own messages."""

    def __init__(self, client: WebClient) -> None:
        self._client = client

    def update(self, channel: str, ts: str, message: Message) -> None:
        checked: dict[str, Any] = check(message)
        try:
            self._client.api_call("chat.update", json={"channel": channel, "ts": ts, **checked})
        except SlackApiError as exc:
            error = str(exc.response.get("error") or f"HTTP {exc.response.status_code}")
            log.warning("chat.update of %s in %s failed: %s", ts, channel, error)
            if error in ("not_in_channel", "channel_not_found"):
                raise NotInChannel(error) from None
            if error == "is_archived":
                raise ChannelArchived(error) from None
            raise SlackPostError(error) from None
        except (SlackClientError, OSError) as exc:
            raise SlackPostError(f"connection failed ({type(exc).__name__})") from None
