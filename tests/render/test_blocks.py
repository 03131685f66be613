"""Block Kit messages: valid for Slack, split without losing anything, with drill-down buttons."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

import pytest

from bot.render import DETAILS_ACTION_PATTERN, render_messages
from bot.render.blocks import InvalidSlackMessage, message_problems, validate_message
from bot.render.formatting import NO_ACTIVITY
from bot.render.slack_limits import MAX_BLOCKS, MAX_BLOCKS_JSON, blocks_json_size
from bot.report.models import IssueGroup

from .fixtures import big_report, empty_report, fixture_report, make_ticket, report_with_text, scored
from .helpers import buttons, mrkdwn_texts


def _all_text(messages: list[Any]) -> str:
    return "\n".join(text for message in messages for text in mrkdwn_texts(message))


def test_the_fixture_fits_one_valid_message_with_a_plain_fallback() -> None:
    messages = render_messages(fixture_report())
    assert len(messages) == 1
    validate_message(messages[0])
    assert messages[0]["text"] == "Ticket report 2025-04-14 to 2025-04-14: 4 tickets, 1 resolved, 2 open"
    assert messages[0]["blocks"][0]["type"] == "header"


def test_each_most_active_ticket_has_a_details_button_naming_it() -> None:
    message = render_messages(fixture_report())[0]
    details = [button for button in buttons(message) if button["text"]["text"] == "Details"]
    assert [button["action_id"] for button in details] == [
        "ticket_details:0",
        "ticket_details:1",
        "ticket_details:2",
        "ticket_details:3",
    ]
    assert [json.loads(button["value"]) for button in details] == [
        {"repo": "pieces-app/support", "number": 685},
        {"repo": "pieces-app/support", "number": 686},
        {"repo": "pieces-app/support", "number": 687},
        {"repo": "pieces-app/support", "number": 680},
    ]


def test_common_issue_tickets_get_their_own_buttons_all_matching_the_handler_pattern() -> None:
    message = render_messages(fixture_report())[0]
    group_buttons = [button for button in buttons(message) if button["text"]["text"].startswith("Details #")]
    assert [(b["action_id"], b["text"]["text"]) for b in group_buttons] == [
        ("ticket_details:group0:0", "Details #686"),
        ("ticket_details:group0:1", "Details #685"),
    ]
    action_ids = [button["action_id"] for button in buttons(message)]
    assert all(re.match(DETAILS_ACTION_PATTERN, action_id) for action_id in action_ids)
    assert len(action_ids) == len(set(action_ids))


def test_buttons_name_the_repository_when_the_report_has_several() -> None:
    report = fixture_report()
    other = make_ticket(7, "Other", repo="o/b")
    group = IssueGroup(title="g", summary="s", tickets=(other,))
    report = replace(report, repos=("pieces-app/support", "o/b"), common_issues=(group,))
    message = render_messages(report)[0]
    assert "Details o/b#7" in [button["text"]["text"] for button in buttons(message)]
    assert "<https://github.com/o/b/issues/7|o/b#7 Other>" in _all_text([message])


def test_an_empty_period_is_one_short_valid_message() -> None:
    messages = render_messages(empty_report())
    assert len(messages) == 1
    validate_message(messages[0])
    assert NO_ACTIVITY in _all_text(messages)
    assert buttons(messages[0]) == []


def test_a_big_report_continues_in_further_messages_without_dropping_anything() -> None:
    report = big_report(active=200, groups=50)
    messages = render_messages(report)
    assert len(messages) > 2
    for number, message in enumerate(messages, start=1):
        validate_message(message)
        assert len(message["blocks"]) <= MAX_BLOCKS
        assert blocks_json_size(message["blocks"]) <= MAX_BLOCKS_JSON
        if number > 1:
            first = message["blocks"][0]
            assert first["type"] == "context"
            assert first["elements"][0]["text"].startswith(f"continued ({number}/{len(messages)})")
            assert message["text"].endswith(f"(continued {number}/{len(messages)})")
    text = _all_text(messages)
    expected = [t.ticket.number for t in report.most_active]
    expected += [t.number for group in report.common_issues for t in group.tickets]
    for number in expected:
        assert f"/issues/{number}|#{number} " in text, number
    # Every most-active ticket keeps exactly one Details button, in rank order across messages.
    details = [
        json.loads(b["value"])["number"]
        for m in messages
        for b in buttons(m)
        if b["text"]["text"] == "Details"
    ]
    assert details == list(range(1, 201))
    # Ranks stay in order across messages.
    ranks = [int(rank) for rank in re.findall(r"^\*(\d+)\.\* <", text, flags=re.MULTILINE)]
    assert ranks == list(range(1, 201))
    groups = [int(g) for g in re.findall(r"^\*(\d+)\. Group \d+", text, flags=re.MULTILINE)]
    assert groups == list(range(1, 51))


def test_a_message_starting_inside_a_section_repeats_its_heading() -> None:
    messages = render_messages(big_report(active=200, groups=0))
    second = messages[1]["blocks"]
    assert second[1]["text"]["text"] == "*200 Most Active Tickets (continued)*"


def test_an_oversized_summary_is_shortened_visibly_and_the_message_stays_valid() -> None:
    summary = "The app crashes on start. " * 200  # 5,200 characters
    messages = render_messages(report_with_text(title="Crash", summary=summary))
    for message in messages:
        validate_message(message)
    text = _all_text(messages)
    assert "The app crashes on start. The app" in text
    group_text = next(t for t in text.split("\n") if t.startswith("The app crashes"))
    assert group_text.endswith("…")
    assert len(group_text) < 3000


def test_a_ticket_with_hundreds_of_score_lines_says_how_many_are_not_shown() -> None:
    items = [(f"reason number {index}", 1, 0.5) for index in range(400)]
    report = replace(fixture_report(), most_active=(scored(make_ticket(1, "t"), *items),))
    message = render_messages(report)[0]
    validate_message(message)
    assert re.search(r"… and \d+ more", _all_text([message]))


def _message(blocks: list[dict[str, Any]], text: str = "fallback") -> dict[str, Any]:
    return {"text": text, "blocks": blocks}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _button(action_id: str, text: str = "Details", value: str = "{}") -> dict[str, Any]:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
        "value": value,
    }


@pytest.mark.parametrize(
    ("message", "problem"),
    [
        (_message([_section("x")] * 51), "51 blocks"),
        (_message([_section("x" * 3001)]), "limit 3000"),
        (_message([_section("😀" * 1501)]), "limit 3000"),
        (_message([{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}]), "limit 150"),
        (_message([{"type": "header", "text": {"type": "mrkdwn", "text": "x"}}]), "plain_text"),
        (
            _message([{"type": "section", "fields": [{"type": "mrkdwn", "text": "x"}] * 11}]),
            "11 fields",
        ),
        (
            _message([{"type": "section", "fields": [{"type": "mrkdwn", "text": "x" * 2001}]}]),
            "limit 2000",
        ),
        (_message([{"type": "actions", "elements": [_button("a", text="x" * 76)]}]), "limit 75"),
        (_message([{"type": "actions", "elements": [_button("a", value="x" * 2001)]}]), "value longer"),
        (_message([{"type": "actions", "elements": [_button("a"), _button("a")]}]), "more than once: a"),
        (
            _message(
                [{**_section("x"), "accessory": _button("a")}, {**_section("y"), "accessory": _button("a")}]
            ),
            "more than once: a",
        ),
        (_message([_section("x" * 2900)] * 4), "characters of JSON"),
        (_message([_section("x")], text=""), "fallback text"),
        (_message([]), "blocks are missing"),
        (_message([{"type": "no_such_block"}]), "unknown block type"),
        (_message([_section("")]), "missing or empty"),
    ],
)
def test_validate_message_names_what_slack_would_reject(message: dict[str, Any], problem: str) -> None:
    with pytest.raises(InvalidSlackMessage, match=re.escape(problem)):
        validate_message(message)
    assert message_problems(message)


def test_validate_message_accepts_a_plain_valid_message() -> None:
    assert message_problems(_message([_section("hello"), {"type": "divider"}])) == []
