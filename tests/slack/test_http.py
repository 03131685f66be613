"""The HTTP surface: health check, routing, and Slack's request signatures (nothing runs without one)."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import pytest

from tests.slack.conftest import AppUnderTest, StartApp
from tests.slack.signing import SECRET, signature, signed_headers, slash_body


def _run_one_good_command(app: AppUnderTest) -> None:
    """With one worker, jobs run in the order they were queued: once this one has been posted,
    anything a rejected request had queued before it would have run too."""
    response = app.command("today")
    assert response.status_code == 200
    assert app.slack.wait_for(lambda slack: len(slack.posts()) >= 1)


def _assert_only_the_good_command_ran(app: AppUnderTest) -> None:
    assert len(app.slack.posts()) == 1
    assert len(app.slack.calls_to("response_url")) == 0
    assert all("acme/support" in request.path for request in app.github.requests)


def test_health_check_answers_ok(start_app: StartApp) -> None:
    app = start_app()
    import requests

    response = requests.get(app.url + "/healthz", timeout=10)
    assert response.status_code == 200
    assert response.text.strip() == "ok"


def test_unknown_paths_and_methods_are_refused(start_app: StartApp) -> None:
    import requests

    app = start_app()
    assert requests.get(app.url + "/", timeout=10).status_code == 404
    assert requests.post(app.url + "/slack/other", data=b"x", timeout=10).status_code == 404
    assert requests.get(app.url + "/slack/events", timeout=10).status_code == 405


def test_a_correctly_signed_command_is_acknowledged(start_app: StartApp) -> None:
    app = start_app()
    response = app.command("today")
    assert response.status_code == 200
    assert response.json()["response_type"] == "ephemeral"
    assert "Building the ticket report for *today*" in response.json()["text"]


def test_a_forged_signature_is_rejected_and_nothing_runs(start_app: StartApp) -> None:
    app = start_app(workers=1)
    body = slash_body("today", response_url=app.slack.response_url())
    forged = signed_headers(body, secret="not-the-secret")
    assert app.post(body, headers=forged).status_code == 401
    # A valid signature over a different body does not carry over to this one.
    other = signed_headers(slash_body("yesterday"))
    assert app.post(body, headers=other).status_code == 401
    _run_one_good_command(app)
    _assert_only_the_good_command_ran(app)


def test_a_stale_timestamp_is_rejected_even_when_correctly_signed(start_app: StartApp) -> None:
    app = start_app(workers=1)
    body = slash_body("today", response_url=app.slack.response_url())
    six_minutes_ago = int(time.time()) - 6 * 60
    assert app.post(body, headers=signed_headers(body, timestamp=six_minutes_ago)).status_code == 401
    in_the_future = int(time.time()) + 6 * 60
    assert app.post(body, headers=signed_headers(body, timestamp=in_the_future)).status_code == 401
    _run_one_good_command(app)
    _assert_only_the_good_command_ran(app)


def test_missing_or_malformed_signature_headers_are_rejected(start_app: StartApp) -> None:
    app = start_app(workers=1)
    body = slash_body("today", response_url=app.slack.response_url())
    now = int(time.time())
    good = signature(body, timestamp=now, secret=SECRET)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    cases = [
        form,  # no signature headers at all
        {**form, "X-Slack-Request-Timestamp": str(now)},  # no signature
        {**form, "X-Slack-Signature": good},  # no timestamp
        {**form, "X-Slack-Request-Timestamp": "yesterday", "X-Slack-Signature": good},
        {**form, "X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": "v1=" + good[3:]},
        {**form, "X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": good.upper()},
        {**form, "X-Slack-Request-Timestamp": f"+{now}", "X-Slack-Signature": good},
    ]
    for headers in cases:
        assert app.post(body, headers=headers).status_code == 401, headers
    _run_one_good_command(app)
    _assert_only_the_good_command_ran(app)


def test_a_malformed_body_without_a_valid_signature_is_rejected_before_parsing(start_app: StartApp) -> None:
    app = start_app(workers=1)
    junk = b"payload=%7Bnot-json"
    assert app.post(junk, headers={"Content-Type": "application/x-www-form-urlencoded"}).status_code == 401
    binary = b"\xff\xfe\x00garbage"
    assert app.post(binary, headers=signed_headers(binary, secret="wrong")).status_code == 401
    _run_one_good_command(app)
    _assert_only_the_good_command_ran(app)


def test_a_signed_request_that_is_no_slash_command_runs_nothing(start_app: StartApp) -> None:
    app = start_app(workers=1)
    other_command = slash_body("today", command="/something-else", response_url=app.slack.response_url())
    assert app.post(other_command, headers=signed_headers(other_command)).status_code == 404
    not_utf8 = b"text=\xff\xfe"
    assert app.post(not_utf8, headers=signed_headers(not_utf8)).status_code == 400
    _run_one_good_command(app)
    _assert_only_the_good_command_ran(app)


def _form_payload(payload: object | str) -> bytes:
    text = payload if isinstance(payload, str) else json.dumps(payload)
    return urlencode({"payload": text}).encode()


def _click(**fields: object) -> dict[str, object]:
    """A Details click as Slack sends it, with `fields` replaced."""
    payload: dict[str, object] = {
        "type": "block_actions",
        "team": {"id": "T0FAKE"},
        "user": {"id": "U5"},
        "channel": {"id": "C1"},
        "message": {"ts": "1700000000.000001"},
        "response_url": "",
        "actions": [
            {
                "type": "button",
                "action_id": "ticket_details:0",
                "value": '{"repo": "acme/support", "number": 685}',
            }
        ],
    }
    payload.update(fields)
    return payload


MALFORMED_SIGNED_BODIES: dict[str, tuple[bytes, str]] = {
    "invalid JSON in payload": (_form_payload("{not json"), "form"),
    "a JSON array in payload": (_form_payload([{"type": "block_actions"}]), "form"),
    "a number in payload": (_form_payload("5"), "form"),
    "actions null": (_form_payload(_click(actions=None)), "form"),
    "actions a string": (_form_payload(_click(actions="ticket_details:0")), "form"),
    "an action that is null": (_form_payload(_click(actions=[None])), "form"),
    "an action without an action_id": (_form_payload(_click(actions=[{"value": "x"}])), "form"),
    "an action_id that is a number": (_form_payload(_click(actions=[{"action_id": 7}])), "form"),
    "user a number": (_form_payload(_click(user=5)), "form"),
    "team a list": (_form_payload(_click(team=["T0FAKE"])), "form"),
    "authorizations a string": (_form_payload(_click(authorizations="x")), "form"),
    "nesting 5,000 deep in payload": (_form_payload("[" * 5000 + "]" * 5000), "form"),
    "objects nested 5,000 deep": (_form_payload('{"a":' * 5000 + "1" + "}" * 5000), "form"),
    "nesting 100 deep inside a click": (
        _form_payload(_click(state=json.loads("[" * 100 + "]" * 100))),
        "form",
    ),
    "invalid JSON body": (b"{not json", "json"),
    "a JSON array body": (b"[1, 2]", "json"),
    "a JSON string body": (b'"event"', "json"),
    "nesting 5,000 deep in a JSON body": (b"[" * 5000 + b"]" * 5000, "json"),
    "an event that is null": (json.dumps({"type": "event_callback", "event": None}).encode(), "json"),
    "an event that is a string": (
        json.dumps({"type": "event_callback", "event": "app_mention"}).encode(),
        "json",
    ),
    "an event type that is a list": (
        json.dumps({"type": "event_callback", "event": {"type": ["app_mention"]}}).encode(),
        "json",
    ),
    "an event user that is a number": (
        json.dumps({"type": "event_callback", "event": {"type": "app_mention", "user": 5}}).encode(),
        "json",
    ),
}


def test_signed_but_malformed_bodies_get_400_saying_what_is_wrong_and_run_nothing(
    start_app: StartApp, caplog: pytest.LogCaptureFixture
) -> None:
    app = start_app(workers=1)
    for name, (body, kind) in MALFORMED_SIGNED_BODIES.items():
        content_type = "application/json" if kind == "json" else "application/x-www-form-urlencoded"
        response = app.post(body, headers=signed_headers(body, content_type=content_type))
        assert response.status_code == 400, name
        assert response.text.startswith("malformed Slack request: "), name
        assert len(response.text) < 200, name  # one line, never the body echoed back
    assert not [record for record in caplog.records if record.exc_info], "no traceback is logged"
    _run_one_good_command(app)
    assert len(app.slack.posts()) == 1
    assert app.slack.calls_to("response_url") == [] and app.slack.calls_to("chat.postEphemeral") == []


def test_no_field_bolt_reads_can_make_a_signed_body_fail_with_500(start_app: StartApp) -> None:
    """Every envelope field Bolt or a listener reads, at the top and nested, given every wrong type."""
    app = start_app(workers=1)
    wrong_values: list[object] = [None, 5, True, "x", [], ["x"], [None], {}, {"id": 5}]
    fields = [
        "type", "team", "user", "channel", "enterprise", "authorizations", "event", "actions", "view",
        "message", "previous_message", "container", "item", "response_url", "response_urls",
        "callback_id", "is_enterprise_install", "function_data", "team_id", "user_id", "channel_id",
    ]
    event_fields = ["type", "user", "channel", "team", "text", "thread_ts", "item", "message", "subtype"]
    bodies: list[tuple[str, bytes, str]] = []
    for field in fields:
        for value in wrong_values:
            bodies.append((f"{field}={value!r}", _form_payload(_click(**{field: value})), "form"))
    for field in event_fields:
        for value in wrong_values:
            event = {"type": "app_mention", "user": "U5", "channel": "C1", "text": "<@UBOT> 686"}
            event[field] = value
            body = json.dumps({"type": "event_callback", "event_id": "Ev1", "event": event}).encode()
            bodies.append((f"event.{field}={value!r}", body, "json"))
    for name, body, kind in bodies:
        content_type = "application/json" if kind == "json" else "application/x-www-form-urlencoded"
        response = app.post(body, headers=signed_headers(body, content_type=content_type))
        assert response.status_code != 500, name


def test_slack_shaped_bodies_still_reach_bolt(start_app: StartApp) -> None:
    app = start_app(workers=1)
    challenge = json.dumps({"token": "x", "challenge": "c-9", "type": "url_verification"}).encode()
    response = app.post(challenge, headers=signed_headers(challenge, content_type="application/json"))
    assert response.status_code == 200 and "c-9" in response.text
    # A message whose rich-text blocks nest as deeply as Slack's do is no malformed body.
    blocks = [{"type": "rich_text", "elements": [{"type": "rich_text_list", "elements": [
        {"type": "rich_text_section", "elements": [{"type": "text", "text": "x", "style": {"bold": True}}]}
    ]}]}]
    click = _form_payload(_click(message={"ts": "1700000000.000001", "blocks": blocks}))
    assert app.post(click, headers=signed_headers(click)).status_code == 200
