"""Interactivity and events arrive on the same URL as commands, signed, and are acknowledged at once."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from tests.slack.conftest import StartApp
from tests.slack.signing import signed_headers


def test_the_events_url_answers_slacks_url_verification(start_app: StartApp) -> None:
    app = start_app()
    body = json.dumps({"token": "x", "challenge": "c-123", "type": "url_verification"}).encode()
    response = app.post(body, headers=signed_headers(body, content_type="application/json"))
    assert response.status_code == 200
    assert "c-123" in response.text


def test_a_details_click_is_acknowledged_and_answered_only_to_the_clicker(start_app: StartApp) -> None:
    app = start_app()
    payload = {
        "type": "block_actions",
        "team": {"id": "T0FAKE"},
        "user": {"id": "U5"},
        "api_app_id": "A0FAKE",
        "channel": {"id": "C1"},
        "container": {"type": "message", "message_ts": "1700000000.000001", "channel_id": "C1"},
        "message": {"ts": "1700000000.000001", "text": "report"},
        "response_url": app.slack.response_url("click"),
        "trigger_id": "1.2.3",
        "actions": [
            {
                "type": "button",
                "action_id": "ticket_details:0",
                "block_id": "b0",
                "value": json.dumps({"repo": "acme/support", "number": 685}),
                "action_ts": "1700000001.000000",
            }
        ],
    }
    body = urlencode({"payload": json.dumps(payload)}).encode()
    response = app.post(body, headers=signed_headers(body))
    assert response.status_code == 200
    assert app.slack.wait_for(lambda slack: len(slack.calls_to("response_url")) >= 1)
    assert all(call.body["response_type"] == "ephemeral" for call in app.slack.calls_to("response_url"))
    assert app.slack.calls_to("chat.postMessage") == [] or all(
        call.body.get("thread_ts") for call in app.slack.calls_to("chat.postMessage")
    )  # never a new top-level message for a click


def test_a_mention_event_is_acknowledged(start_app: StartApp) -> None:
    app = start_app()
    event = {
        "token": "x",
        "team_id": "T0FAKE",
        "api_app_id": "A0FAKE",
        "type": "event_callback",
        "event_id": "Ev1",
        "event_time": 1700000000,
        "event": {
            "type": "app_mention",
            "user": "U5",
            "text": "<@UBOT> 686",
            "ts": "1700000002.000100",
            "thread_ts": "1700000000.000001",
            "channel": "C1",
            "event_ts": "1700000002.000100",
        },
    }
    body = json.dumps(event).encode()
    response = app.post(body, headers=signed_headers(body, content_type="application/json"))
    assert response.status_code == 200
