"""What one post to Slack carries and how it can end, shared by the scheduler, the digests and the poster.

Slack gives chat.postMessage no idempotency key, and an answer lost after Slack took a message (a 5xx
from a proxy, a timeout) looks like a refusal. So nothing that may have reached Slack is sent again:
every post carries a delivery id in its message metadata, chosen before it is sent, and an uncertain
outcome is settled by looking for that id in the channel's history. What cannot be settled is
"unconfirmed": recorded, logged and shown, never posted again automatically.

Pure: no Slack, no store, no clock.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

# The message metadata type of every post (Slack: letters, digits and underscores).
METADATA_EVENT_TYPE = "ticket_report_post"


def new_delivery_id() -> str:
    """A fresh, unguessable id for one post (32 hex digits)."""
    return uuid.uuid4().hex


def part_id(delivery_id: str, index: int) -> str:
    """The delivery id of the `index`-th message (0-based) of a post in several messages."""
    return delivery_id if index == 0 else f"{delivery_id}-{index}"


def metadata(delivery_id: str) -> dict[str, object]:
    """chat.postMessage's `metadata` argument carrying the delivery id."""
    return {"event_type": METADATA_EVENT_TYPE, "event_payload": {"delivery_id": delivery_id}}


def delivery_id_of(message: object) -> str | None:
    """The delivery id in a message as conversations.history returns it (with metadata), else None."""
    if not isinstance(message, dict):
        return None
    meta = message.get("metadata")
    if not isinstance(meta, dict) or meta.get("event_type") != METADATA_EVENT_TYPE:
        return None
    payload = meta.get("event_payload")
    found = payload.get("delivery_id") if isinstance(payload, dict) else None
    return found if isinstance(found, str) else None


def _always() -> bool:
    return True


@dataclass(frozen=True)
class Delivery:
    """One post about to be made: its id, and the gate passed right before the first message is sent.

    `begin()` answers False when the post must not be sent after all (the digest's claim was taken over
    while it was being built); it is called at most once per post.
    """

    id: str = field(default_factory=new_delivery_id)
    begin: Callable[[], bool] = _always


class NotDelivered(Exception):
    """A post did not reach Slack, or may have; the message is what people are shown.

    `retry`: nothing was sent and the cause may pass (GitHub down, rate limits), so trying again is safe.
    `unconfirmed`: something may have been posted and the history check could not find it.
    `expected`: a known condition (not in the channel, archived, GitHub down) worth one log line, not a
    traceback.
    """

    def __init__(
        self, message: str, *, retry: bool = False, unconfirmed: bool = False, expected: bool = True
    ) -> None:
        super().__init__(message)
        self.retry = retry and not unconfirmed
        self.unconfirmed = unconfirmed
        self.expected = expected
