"""chat.update of a message the bot posted (an alert saying it has been answered, or showing its
ticket's new state after an action).

An update replaces the message's content, so sending the same one twice shows the same thing: it may be
retried, unlike a post. Failures raise the poster's categories (`NotInChannel`, `ChannelArchived`,
`SlackPostError`) with Slack's code.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.render.action_blocks import CLOSE_ACTION, REOPEN_ACTION, RowChoices, action_row, row_block_id
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


def with_state(blocks: Sequence[Any], repo: str, number: int, *, state: str) -> list[dict[str, Any]] | None:
    """`blocks` with the ticket's action row showing `state` ("open": Close; "closed": Reopen), the
    row's other controls kept; None when the blocks have no row for the ticket."""
    block_id = row_block_id(repo, number)
    fresh = action_row(repo, number, state=state, choices=RowChoices(labels=(), assignable=()))
    if block_id is None or not fresh:
        return None
    control = fresh[0]["elements"][-1]  # the Close menu or the Reopen button
    out: list[dict[str, Any]] = []
    found = False
    for block in blocks:
        if isinstance(block, Mapping) and block.get("block_id") == block_id:
            kept = [
                e
                for e in block.get("elements") or []
                if not (isinstance(e, Mapping) and e.get("action_id") in (CLOSE_ACTION, REOPEN_ACTION))
            ]
            out.append({**block, "elements": [*kept, control]})
            found = True
        elif isinstance(block, Mapping):
            out.append(dict(block))
    return out if found else None
