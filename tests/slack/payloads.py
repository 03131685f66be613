"""Interaction and event payloads as Slack sends them, signed, for the real Bolt app under test."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import requests

from tests.slack.conftest import AppUnderTest
from tests.slack.signing import signed_headers


def send_interaction(app: AppUnderTest, payload: dict[str, Any]) -> requests.Response:
    """POST a signed interactivity payload (form field `payload`, as Slack does)."""
    body = urlencode({"payload": json.dumps(payload)}).encode()
    return app.post(body, headers=signed_headers(body))


def send_event(app: AppUnderTest, event: dict[str, Any], *, event_id: str = "Ev1") -> requests.Response:
    """POST a signed Events API callback wrapping `event`."""
    envelope = {
        "token": "x",
        "team_id": "T0FAKE",
        "api_app_id": "A0FAKE",
        "type": "event_callback",
        "event_id": event_id,
        "event_time": 1700000000,
        "event": event,
    }
    body = json.dumps(envelope).encode()
    return app.post(body, headers=signed_headers(body, content_type="application/json"))


def home_opened(app: AppUnderTest, *, user: str = "U1", event_id: str = "EvHome1") -> requests.Response:
    event = {"type": "app_home_opened", "user": user, "channel": f"D{user}", "tab": "home", "event_ts": "1.2"}
    return send_event(app, event, event_id=event_id)


def block_action(
    *,
    user: str,
    action: dict[str, Any],
    channel: str | None = None,
    message: dict[str, Any] | None = None,
    response_url: str | None = None,
    view: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A block_actions payload: from a message (`channel`, `message`) or from a view (`view`)."""
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": "T0FAKE"},
        "user": {"id": user},
        "api_app_id": "A0FAKE",
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
        "actions": [{"action_ts": "1700000001.0", "block_id": "b0", **action}],
    }
    if channel is not None:
        msg = message or {}
        payload["channel"] = {"id": channel}
        payload["container"] = {
            "type": "message",
            "message_ts": msg.get("ts", ""),
            "channel_id": channel,
            **({"thread_ts": msg["thread_ts"]} if msg.get("thread_ts") else {}),
        }
        payload["message"] = {"text": "report", **msg}
    if response_url is not None:
        payload["response_url"] = response_url
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view.get("id", "V1")}
        payload["view"] = view
    return payload


def view_submission(
    *, user: str, values: dict[str, Any], callback_id: str = "build_report"
) -> dict[str, Any]:
    return {
        "type": "view_submission",
        "team": {"id": "T0FAKE"},
        "user": {"id": user},
        "api_app_id": "A0FAKE",
        "trigger_id": "1.2.3",
        "view": {
            "id": "V000001",
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": "",
            "state": {"values": values},
        },
    }
