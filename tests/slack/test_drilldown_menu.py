"""Details from a report's overflow menu, end to end: the posted report's own menu, a signed choice."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.render import DETAILS_ACTION_PATTERN, validate_message
from bot.store import Store
from tests.slack.conftest import AppUnderTest, StartApp
from tests.slack.signing import signed_headers
from tests.slack.test_drilldown import post_report, thread_posts


@pytest.fixture
def app(start_app: StartApp, tmp_path) -> AppUnderTest:
    store = Store(f"sqlite:///{tmp_path / 'menu.db'}")
    yield start_app(store=store)
    store.close()


def posted_menus(app: AppUnderTest, report_ts: str) -> list[dict[str, Any]]:
    """The overflow menus of the report posted as `report_ts` (its first message)."""
    (report,) = [c for c in app.slack.calls_to("chat.postMessage") if c.body.get("ts") == report_ts]
    return [
        block["accessory"] for block in report.blocks if block.get("accessory", {}).get("type") == "overflow"
    ]


def choose(app: AppUnderTest, *, report_ts: str, menu: dict[str, Any], option: dict[str, Any]) -> None:
    """A signed block_actions payload as Slack sends it when an overflow option is chosen."""
    payload = {
        "type": "block_actions",
        "team": {"id": "T0FAKE"},
        "user": {"id": "U5"},
        "api_app_id": "A0FAKE",
        "channel": {"id": "C1"},
        "container": {"type": "message", "message_ts": report_ts, "channel_id": "C1"},
        "message": {"ts": report_ts, "text": "report"},
        "response_url": app.slack.response_url("menu"),
        "trigger_id": "1.2.3",
        "actions": [
            {
                "type": "overflow",
                "action_id": menu["action_id"],
                "block_id": "b0",
                "selected_option": option,
                "action_ts": "1700000001.0",
            }
        ],
    }
    body = urlencode({"payload": json.dumps(payload)}).encode()
    assert app.post(body, headers=signed_headers(body)).status_code == 200


def test_choosing_details_from_the_reports_menu_posts_that_tickets_story_in_the_thread(app):
    report_ts = post_report(app)
    menus = posted_menus(app, report_ts)
    assert menus and all(re.match(DETAILS_ACTION_PATTERN, menu["action_id"]) for menu in menus)
    menu = menus[-1]  # the most active tickets'
    option = menu["options"][0]
    number = json.loads(option["value"])["number"]
    assert option["text"]["text"] == f"Details #{number}"
    choose(app, report_ts=report_ts, menu=menu, option=option)
    assert app.slack.wait_for(lambda s: len(thread_posts(app, report_ts)) == 1)
    (reply,) = thread_posts(app, report_ts)
    validate_message({"text": reply.body["text"], "blocks": reply.blocks})
    assert f"https://github.com/acme/support/issues/{number}" in json.dumps(reply.blocks)


def test_every_ticket_of_the_posted_report_has_one_details_option(app):
    report_ts = post_report(app)
    (report,) = [c for c in app.slack.calls_to("chat.postMessage") if c.body.get("ts") == report_ts]
    numbers = [
        json.loads(o["value"])["number"] for menu in posted_menus(app, report_ts) for o in menu["options"]
    ]
    linked = {int(n) for n in re.findall(r"/acme/support/issues/(\d+)\|", json.dumps(report.blocks))}
    assert numbers and len(numbers) == len(set(numbers))
    # The tickets listed for drill-down are the report's most active and common-issue tickets.
    assert set(numbers) <= linked
