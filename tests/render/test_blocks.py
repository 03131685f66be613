"""Block Kit messages: valid for Slack, split without losing anything, with drill-down controls."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

import pytest

from bot.render import DETAILS_ACTION_PATTERN, render_messages
from bot.render.blocks import InvalidSlackMessage, message_problems, validate_message
from bot.render.slack_limits import MAX_BLOCKS, MAX_BLOCKS_JSON, blocks_json_size
from bot.render.slack_parts import Unit, pack, paginate, section
from bot.report.models import Cited, Exclusion, IssueGroup

from .fixtures import big_report, empty_report, fixture_report, make_ticket, report_with_text, scored
from .helpers import buttons, mrkdwn_texts, overflow_options


def _all_text(messages: list[Any]) -> str:
    return "\n".join(text for message in messages for text in mrkdwn_texts(message))


def test_the_fixture_fits_one_valid_message_whose_notification_text_is_the_headline() -> None:
    messages = render_messages(fixture_report())
    assert len(messages) == 1
    validate_message(messages[0])
    assert messages[0]["text"].startswith(
        "Ticket report Mon 14 Apr 2025, UTC: 5 tickets this period, 3 more than the period before. #686"
    )
    assert messages[0]["blocks"][0]["type"] == "header"


def test_without_a_headline_the_notification_text_gives_the_totals() -> None:
    message = render_messages(replace(fixture_report(), headline=Cited("")))[0]
    assert message["text"] == "Ticket report Mon 14 Apr 2025, UTC: 5 tickets, 1 resolved, 3 open"
    assert [block["type"] for block in message["blocks"][:2]] == ["header", "section"]
    assert message["blocks"][1]["text"]["text"].startswith("*Recommendations*")


def test_each_most_active_ticket_has_a_details_option_naming_it_all_matching_the_handler_pattern() -> None:
    message = render_messages(fixture_report())[0]
    options = overflow_options(message)
    assert [(action_id, json.loads(option["value"])) for action_id, option in options] == [
        ("ticket_details:group1", {"repo": "pieces-app/support", "number": 690}),
        ("ticket_details:active0", {"repo": "pieces-app/support", "number": 685}),
        ("ticket_details:active0", {"repo": "pieces-app/support", "number": 686}),
        ("ticket_details:active0", {"repo": "pieces-app/support", "number": 687}),
        ("ticket_details:active0", {"repo": "pieces-app/support", "number": 680}),
    ]
    assert all(re.match(DETAILS_ACTION_PATTERN, action_id) for action_id, _ in options)
    assert buttons(message) == []


def test_controls_name_the_repository_when_the_report_has_several() -> None:
    report = fixture_report()
    other = make_ticket(7, "Other", repo="o/b")
    group = IssueGroup(title="g", summary="s", tickets=(other,))
    report = replace(report, repos=("pieces-app/support", "o/b"), common_issues=(group,))
    message = render_messages(report)[0]
    assert "Details o/b#7" in [option["text"]["text"] for _, option in overflow_options(message)]
    assert "*1. g* · <https://github.com/o/b/issues/7|o/b#7>" in _all_text([message])


def test_an_empty_period_is_one_short_valid_message() -> None:
    messages = render_messages(empty_report())
    assert len(messages) == 1
    validate_message(messages[0])
    assert [block["type"] for block in messages[0]["blocks"]] == ["section"]
    assert _all_text(messages).startswith(
        "No ticket activity on Mon 14 Apr 2025 (UTC) in pieces-app/support."
    )
    assert buttons(messages[0]) == [] and overflow_options(messages[0]) == []


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
        assert re.search(rf"/issues/{number}\|#{number}[ >]", text), number
    # Every most-active ticket keeps exactly one Details option, in rank order across messages.
    details = [
        json.loads(option["value"])["number"]
        for m in messages
        for action_id, option in overflow_options(m)
        if action_id.startswith("ticket_details:active")
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


def test_an_oversized_summary_headline_or_part_is_shortened_visibly_and_keeps_its_links() -> None:
    summary = "The app crashes on start. " * 200  # 5,200 characters
    messages = render_messages(report_with_text(title="Crash", summary=summary))
    for message in messages:
        validate_message(message)
    lines = _all_text(messages).split("\n")
    title = next(index for index, line in enumerate(lines) if line.startswith("*1. Crash* · "))
    group_text = lines[title + 1]
    assert group_text.startswith("The app crashes on start. The app")
    assert group_text.endswith("…")
    assert len(group_text) < 3000
    link_1, link_2 = (f"<https://github.com/pieces-app/support/issues/{n}|#{n}>" for n in (1, 2))
    headline = messages[0]["blocks"][1]["text"]["text"]
    # The "#1 and #2" after the cut cannot be linked in place, so the cited tickets follow the text.
    assert headline.startswith("The app crashes on start.")
    assert headline.endswith(f"… ({link_1}, {link_2}, <https://github.com/pieces-app/support/issues/3|#3>)")
    assert len(headline) <= 3000
    problem = next(line for line in lines if line.startswith("*Problem:* "))
    assert problem.endswith(f"… ({link_1}, {link_2})")
    assert len(problem) < 2000


def test_a_ticket_with_hundreds_of_score_terms_is_still_one_line_naming_its_two_largest() -> None:
    items = [(f"reason number {index}", 1, 0.5 + index / 1000) for index in range(400)]
    report = replace(fixture_report(), most_active=(scored(make_ticket(1, "t"), *items),))
    message = render_messages(report)[0]
    validate_message(message)
    (line,) = [line for line in _all_text([message]).split("\n") if line.startswith("*1.* ")]
    assert line.endswith(": reason number 399 ×1, reason number 398 ×1")


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


def _overflow(
    action_id: str, *, count: int = 1, text: str = "Details #1", value: str = "{}"
) -> dict[str, Any]:
    option = {"text": {"type": "plain_text", "text": text}, "value": value}
    return {"type": "overflow", "action_id": action_id, "options": [option] * count}


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
        (_message([{**_section("x"), "accessory": _overflow("a", count=6)}]), "needs 1..5 options"),
        (_message([{**_section("x"), "accessory": _overflow("a", count=0)}]), "needs 1..5 options"),
        (_message([{**_section("x"), "accessory": _overflow("a", text="x" * 76)}]), "limit 75"),
        (_message([{**_section("x"), "accessory": _overflow("a", value="x" * 151)}]), "1..150 characters"),
        (_message([{**_section("x"), "accessory": _overflow("")}]), "action_id must be"),
        (
            _message(
                [
                    {**_section("x"), "accessory": _overflow("a")},
                    {"type": "actions", "elements": [_button("a")]},
                ]
            ),
            "more than once: a",
        ),
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


def _link(number: int) -> str:
    return f"<https://github.com/pieces-app/support/issues/{number}|#{number}>"


def test_the_headline_is_a_section_right_after_the_header_with_its_tickets_linked() -> None:
    blocks = render_messages(fixture_report())[0]["blocks"]
    assert [block["type"] for block in blocks[:3]] == ["header", "section", "section"]
    headline = blocks[1]["text"]["text"]
    assert headline.startswith(
        f"5 tickets this period, 3 more than the period before. {_link(686)} and 1 more"
    )
    assert headline.endswith(f"in {_link(687)} and {_link(690)}, with no team reply yet. ({_link(685)})")


def test_headline_markup_is_escaped_and_only_cited_numbers_become_links() -> None:
    text = "<!channel> *bold* <http://x|y> @here #9 #1"
    report = replace(report_with_text(title="t"), headline=Cited(text, tickets=(make_ticket(1, "t"),)))
    message = render_messages(report)[0]
    assert message["blocks"][1]["text"]["text"] == (
        f"&lt;!channel&gt; ∗bold∗ &lt;http://x|y&gt; @\u200bhere #9 {_link(1)}"
    )
    assert message["text"] == (
        "Ticket report Mon 14 Apr 2025, UTC: &lt;!channel&gt; ∗bold∗ &lt;http://x|y&gt; @\u200bhere #9 #1"
    )


def test_parts_are_labelled_lines_each_followed_by_its_ticket_links() -> None:
    text = _all_text(render_messages(fixture_report()))
    assert (
        f"*1. Pieces OS fails to launch after updating to 11.3.0* · {_link(686)}, {_link(685)}\n"
        f"*Problem:* LateInitializationError: Field 'database' has not been initialized. ({_link(686)})\n"
        "*Affected:* Pieces OS 11.3.0 on Windows and macOS; 2 people reported it."
        f" ({_link(686)}, {_link(685)})\n"
        f"*Status:* Fixed in 11.3.1, released on 14 Apr (team on {_link(686)}).\n"
        f"*Fix reported failing:* One reporter says 11.3.1 still hangs at sign-in. ({_link(685)})\n"
        '*Tell users:* "Update to 11.3.1; if it still fails, delete the database folder and restart"'
        f" (team on {_link(686)}, 14 Apr)."
    ) in text


def test_a_model_written_group_shows_its_prose_and_its_ticket_list() -> None:
    text = _all_text(render_messages(fixture_report()))
    assert (
        f"*2. Copilot answers ˋundefinedˋ* · {_link(687)}, {_link(690)}\n"
        "Since updating to 11.3.0, Copilot replies with the word undefined to every question"
        f" ({_link(687)}, {_link(690)}). Nobody from the team has answered yet."
    ) in text


def test_a_group_citing_many_tickets_counts_those_beyond_the_links_budget() -> None:
    many = tuple(make_ticket(number, "t") for number in range(100, 200))
    report = report_with_text(title="t")
    group = replace(
        report.common_issues[1],
        parts=replace(report.common_issues[1].parts, problem=Cited("It crashes.", tickets=many)),
    )
    message = render_messages(replace(report, common_issues=(group,)))[0]
    validate_message(message)
    problem = next(line for line in _all_text([message]).split("\n") if line.startswith("*Problem:*"))
    assert problem.startswith(f"*Problem:* It crashes. ({_link(100)}, {_link(101)}, ")
    assert re.search(r", and \d+ more\)$", problem)


def test_the_last_message_ends_with_what_was_left_out_and_what_a_model_wrote() -> None:
    for report in (fixture_report(), replace(big_report(), excluded=fixture_report().excluded, model="m")):
        blocks = render_messages(report)[-1]["blocks"]
        assert [block["type"] for block in blocks[-3:]] == ["context", "context", "context"]
        left_out, written_by = (block["elements"][0]["text"] for block in blocks[-2:])
        assert (
            left_out
            == f"Left out: 2 tickets — 1 pinned ({_link(12)}), 1 labelled announcement ({_link(40)})."
        )
        assert written_by.endswith("computed from the tickets.")


def test_hundreds_of_left_out_tickets_fit_one_context_line() -> None:
    exclusions = tuple(
        Exclusion(
            reason=f"label topic-{index}",
            tickets=tuple(make_ticket(n, "t") for n in range(index * 50, index * 50 + 50)),
        )
        for index in range(20)
    )
    message = render_messages(replace(fixture_report(), excluded=exclusions))[-1]
    validate_message(message)
    line = message["blocks"][-2]["elements"][0]["text"]
    assert line.startswith("Left out: 1000 tickets — 50 labelled topic-0 (")
    assert re.search(r"and \d+ more reasons\.$", line)


def test_the_first_message_uses_all_of_slacks_room_and_later_ones_keep_room_for_their_top() -> None:
    unit = Unit(blocks=(section("x"),))
    assert [len(page) for page in pack([unit] * MAX_BLOCKS)] == [MAX_BLOCKS]
    assert [len(page) for page in pack([unit] * (2 * MAX_BLOCKS))] == [MAX_BLOCKS, MAX_BLOCKS - 2, 2]
    messages = paginate([unit] * (2 * MAX_BLOCKS), title="t", fallback=lambda page, pages: "f")
    assert [len(message["blocks"]) for message in messages] == [MAX_BLOCKS, MAX_BLOCKS - 1, 3]
    for message in messages:
        validate_message(message)
