"""Slash-command bodies signed the way Slack signs them, written out here rather than borrowed from slack_sdk.

Slack's scheme: `X-Slack-Signature: v0=` + hex HMAC-SHA256(signing secret, "v0:{timestamp}:{body}"),
with `X-Slack-Request-Timestamp` in Unix seconds; a receiver refuses timestamps over five minutes old.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import urlencode

SECRET = "test-signing-secret-0123456789"
TOKEN = "xoxb-test-0000-token"


def signature(body: bytes, *, timestamp: int, secret: str = SECRET) -> str:
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(
    body: bytes,
    *,
    secret: str = SECRET,
    timestamp: int | None = None,
    content_type: str = "application/x-www-form-urlencoded",
) -> dict[str, str]:
    stamp = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(stamp),
        "X-Slack-Signature": signature(body, timestamp=stamp, secret=secret),
    }


def slash_body(
    text: str,
    *,
    user: str = "U1",
    channel: str = "C1",
    response_url: str = "",
    command: str = "/ticket-report",
) -> bytes:
    """The form body Slack POSTs for a slash command (the fields Bolt and the bot use)."""
    fields = {
        "token": "deprecated-verification-token",
        "team_id": "T0FAKE",
        "team_domain": "fake",
        "channel_id": channel,
        "channel_name": "support",
        "user_id": user,
        "user_name": user.lower(),
        "command": command,
        "text": text,
        "api_app_id": "A0FAKE",
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": "1.2.3",
    }
    return urlencode(fields).encode()
