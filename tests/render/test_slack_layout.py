"""The report as a Slack user reads it: what matters first, one line per ticket, figures compact.

Reports here are built by the real core (`build_report`) from tickets and comments, in a real
timezone, so the words tested are the ones a posted report carries.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.render import DETAILS_ACTION_PATTERN, render_messages, validate_message
from bot.report.builder import build_report
from bot.report.models import Report, TicketData
from bot.report.options import ReportOptions
from bot.report.periods import parse_period
from tests.report.factories import comment, ticket

from .fixtures import big_report, fixture_report, make_ticket
from .helpers import mrkdwn_texts

BERLIN = ZoneInfo("Europe/Berlin")
REPO = "octo-org/support"


def report_of(text: str, *, now: str, tickets: list, comments: list, tz: Any = BERLIN) -> Report:
    moment = datetime.fromisoformat(now).replace(tzinfo=UTC)
    period = parse_period(text, now=moment, tz=tz)
    data = TicketData(tickets=tuple(tickets), comments=tuple(comments))
    return build_report(data, period=period, now=moment, repos=[REPO], options=ReportOptions())


def three_tickets(*, now: str = "2025-04-14T19:00:00") -> Report:
    """Today in Berlin until 21:00 local: three active tickets, the first with two community comments
    by two people an hour before the report."""
    first = ticket(1, created="2025-04-10 08:00", title="Sync stops after the update")
    second = ticket(2, created="2025-04-14 09:00", title="Export to PDF loses images")
    third = ticket(3, created="2025-04-14 12:00", title="Dark mode please")
    comments = [
        comment(first, at_="2025-04-14 17:30", author="alice"),
        comment(first, at_="2025-04-14 18:00", author="bob"),
        comment(second, at_="2025-04-14 10:00", author="carol"),
    ]
    return report_of("today", now=now, tickets=[first, second, third], comments=comments)


def blocks_of(report: Report) -> list[dict[str, Any]]:
    messages = render_messages(report)
    assert len(messages) == 1
    validate_message(messages[0])
    return messages[0]["blocks"]


def section_texts(blocks: list[dict[str, Any]]) -> list[str]:
    return [block["text"]["text"] for block in blocks if block["type"] == "section" and "text" in block]


def controls(message: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every drill-down control of a message: (action_id, the ticket its value names), options included."""
    found: list[tuple[str, dict[str, Any]]] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if value.get("type") == "button" and "value" in value:
                found.append((value["action_id"], json.loads(value["value"])))
            if value.get("type") == "overflow":
                found.extend((value["action_id"], json.loads(o["value"])) for o in value["options"])
                return
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(message["blocks"])
    return found


# --- order --------------------------------------------------------------------------------------------


def test_what_to_act_on_comes_first_and_the_figures_last() -> None:
    """Header, headline, recommendations, common issues, most active tickets, then the figures."""
    blocks = render_messages(fixture_report())[0]["blocks"]
    assert blocks[0]["type"] == "header"
    assert blocks[1]["text"]["text"].startswith("5 tickets this period")  # the headline
    texts = [json.dumps(block, ensure_ascii=False) for block in blocks]

    def first(needle: str) -> int:
        return next(index for index, text in enumerate(texts) if needle in text)

    order = [
        first("*Recommendations*"),
        first("*Common issues*"),
        first("*4 Most Active Tickets*"),
        first("5 active (+3)"),
        first("Labels: "),
        first("Left out: "),
    ]
    assert order == sorted(order) and len(set(order)) == len(order)


def test_sections_without_anything_to_say_are_left_out() -> None:
    report = three_tickets()
    assert report.common_issues == ()
    text = "\n".join(section_texts(blocks_of(report)))
    assert "Common issues" not in text and "No common issues" not in text
    assert "No recommendations" not in text


# --- most active tickets ------------------------------------------------------------------------------


def test_each_most_active_ticket_is_one_line_with_its_score_and_two_largest_reasons_in_words() -> None:
    report = three_tickets()
    (most_active,) = [text for text in section_texts(blocks_of(report)) if "Most Active" in text]
    lines = most_active.split("\n")
    assert lines[0] == "*3 Most Active Tickets*"
    assert len(lines) == 4
    top = report.most_active[0]
    assert top.ticket.number == 1
    assert lines[1] == (
        f"*1.* <https://github.com/{REPO}/issues/1|#1 Sync stops after the update> · *{top.score:.1f}*:"
        " 2 community comments, 2 people, 1h ago"
    )
    assert "×" not in most_active and "+" not in most_active  # no score arithmetic


def test_a_past_period_says_how_long_before_its_end_a_ticket_was_last_active() -> None:
    """17:30 UTC is 19:30 in Berlin, 4h30m before the day ends there."""
    first = ticket(1, created="2025-04-10 08:00")
    yesterday = report_of(
        "yesterday",
        now="2025-04-15T08:00:00",
        tickets=[first],
        comments=[comment(first, at_="2025-04-14 17:30", author="alice")],
    )
    text = "\n".join(section_texts(blocks_of(yesterday)))
    assert "1 community comment, 1 person, last active 4h before the end" in text
    assert " ago" not in text


# --- figures ------------------------------------------------------------------------------------------


def test_the_totals_are_one_line_showing_only_changes_that_are_not_zero() -> None:
    blocks = render_messages(fixture_report())[0]["blocks"]
    assert "5 active (+3) · 1 resolved · 1 not planned / duplicate (+1) · 3 open (+2) · 3 new (+2)" in (
        section_texts(blocks)
    )
    every = json.dumps(blocks, ensure_ascii=False)
    assert "no change" not in every and "vs previous period" not in every


def test_a_total_that_is_zero_now_and_before_is_not_shown_unless_it_is_a_main_one() -> None:
    blocks = blocks_of(three_tickets())
    after_divider = blocks[[block["type"] for block in blocks].index("divider") + 1]
    assert after_divider["text"]["text"] == "3 active (+3) · 0 resolved · 3 open (+3) · 2 new (+2)"


def test_labels_and_response_times_share_one_context_block() -> None:
    blocks = render_messages(fixture_report())[0]["blocks"]
    (figures,) = [b for b in blocks if b["type"] == "context" and "Labels: " in b["elements"][0]["text"]]
    lines = figures["elements"][0]["text"].split("\n")
    assert lines[0] == "pieces-app/support · generated 21:07 UTC · changes against Sun 13 Apr 2025"
    assert lines[1] == (
        "Labels: bug 2 received, 1 resolved, 1 pending · copilot 2 received, 2 pending"
        " · auth 1 received, 1 pending · enhancement 1 received, 1 resolved"
    )
    assert lines[2].startswith(
        "First team response: median 3h 20m, 90th percentile 9h 45m (2 tickets) · Time to close: median 2d 4h"
    )
    assert lines[2].endswith(
        "Awaiting a first team response (2): <https://github.com/pieces-app/support/issues/687|#687>,"
        " <https://github.com/pieces-app/support/issues/690|#690>"
    )


# --- one control per ticket ---------------------------------------------------------------------------


def test_no_ticket_has_two_details_controls_and_every_shown_ticket_has_one() -> None:
    """#686 and #685 are both most active and in common issue 1: the issue gets no second control."""
    report = fixture_report()
    message = render_messages(report)[0]
    tickets = [value["number"] for _, value in controls(message)]
    assert sorted(tickets) == sorted({685, 686, 687, 680, 690})
    assert len(tickets) == len(set(tickets))
    for action_id, _ in controls(message):
        assert re.match(DETAILS_ACTION_PATTERN, action_id)


def test_group_tickets_not_among_the_most_active_are_drilled_into_from_a_menu_beside_the_group() -> None:
    message = render_messages(fixture_report())[0]
    (group,) = [b for b in message["blocks"] if "*2. Copilot answers" in b.get("text", {}).get("text", "")]
    menu = group["accessory"]
    assert menu["type"] == "overflow" and menu["action_id"] == "ticket_details:group1"
    assert [(o["text"]["text"], json.loads(o["value"])) for o in menu["options"]] == [
        ("Details #690", {"repo": "pieces-app/support", "number": 690})
    ]


def test_the_most_active_tickets_menu_lists_them_in_rank_order() -> None:
    message = render_messages(fixture_report())[0]
    (active,) = [b for b in message["blocks"] if "Most Active" in b.get("text", {}).get("text", "")]
    assert [o["text"]["text"] for o in active["accessory"]["options"]] == [
        "Details #685",
        "Details #686",
        "Details #687",
        "Details #680",
    ]


def test_a_big_report_has_one_control_per_ticket_across_all_its_messages() -> None:
    report = big_report(active=40, groups=12, per_group=9)
    messages = render_messages(report)
    found = [value["number"] for message in messages for _, value in controls(message)]
    shown = [t.ticket.number for t in report.most_active]
    shown += [t.number for group in report.common_issues for t in group.tickets[:8]]
    assert sorted(found) == sorted(shown)
    # Eight tickets of a group shown: a menu of five beside it, one of three under it.
    menus = {action_id for message in messages for action_id, _ in controls(message)}
    assert {"ticket_details:group0", "ticket_details:group0:1"} <= menus
    for message in messages:
        validate_message(message)
        for block in message["blocks"]:
            menus = [block.get("accessory"), *(block.get("elements") or [])]
            for menu in menus:
                if isinstance(menu, dict) and menu.get("type") == "overflow":
                    assert 1 <= len(menu["options"]) <= 5


def test_a_repository_name_too_long_for_a_menu_option_gets_a_button_instead() -> None:
    long_repo = "o" * 39 + "/" + "n" * 100
    base = fixture_report()
    refs = tuple(make_ticket(number, "t", repo=long_repo) for number in (1, 2))
    group = replace(base.common_issues[1], tickets=refs, parts=None)
    report = replace(base, repos=(base.repos[0], long_repo), common_issues=(group,))
    message = render_messages(report)[0]
    validate_message(message)
    found = dict(
        (value["number"], action_id) for action_id, value in controls(message) if value["repo"] == long_repo
    )
    assert found == {1: "ticket_details:group0:b0", 2: "ticket_details:group0:b1"}


# --- quiet periods ------------------------------------------------------------------------------------


def test_a_quiet_day_is_one_short_line() -> None:
    report = report_of("2025-04-12", now="2025-04-14T19:00:00", tickets=[], comments=[])
    messages = render_messages(report)
    assert len(messages) == 1
    validate_message(messages[0])
    assert messages[0]["blocks"] == [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f"No ticket activity on Sat 12 Apr 2025 (Europe/Berlin) in {REPO}.",
                "verbatim": True,
            },
        }
    ]
    assert messages[0]["text"] == f"No ticket activity on Sat 12 Apr 2025 (Europe/Berlin) in {REPO}."


def test_a_quiet_week_says_what_still_waits_for_a_first_team_response() -> None:
    waiting = ticket(7, created="2025-03-30 09:00", title="Login fails")
    report = report_of("last week", now="2025-04-14T19:00:00", tickets=[waiting], comments=[])
    messages = render_messages(report)
    assert len(messages) == 1
    validate_message(messages[0])
    (block,) = messages[0]["blocks"]
    first, second = block["text"]["text"].split("\n")
    assert first == f"No ticket activity during Mon 7 – Sun 13 Apr 2025 (Europe/Berlin) in {REPO}."
    assert second == (
        f"1 ticket still waits for a first team reply: <https://github.com/{REPO}/issues/7|#7> (14d 13h)."
    )


# --- times --------------------------------------------------------------------------------------------


def test_times_name_their_zone_and_generated_is_in_the_periods_zone() -> None:
    report = three_tickets()  # 19:00 UTC is 21:00 in Berlin (summer time)
    blocks = blocks_of(report)
    assert blocks[0]["text"]["text"] == "Support Ticket Report: Mon 14 Apr 2025 until 21:00, Europe/Berlin"
    about = next(b for b in blocks if b["type"] == "context")["elements"][0]["text"].split("\n")[0]
    assert about == f"{REPO} · generated 21:00 CEST · changes against Sun 13 Apr 2025 until 21:00"
    notification = render_messages(report)[0]["text"]
    assert notification.startswith("Ticket report Mon 14 Apr 2025 until 21:00, Europe/Berlin: ")


def test_a_range_names_both_days_it_includes() -> None:
    first = ticket(1, created="2025-04-09 08:00")
    report = report_of("2025-04-07..2025-04-13", now="2025-04-14T19:00:00", tickets=[first], comments=[])
    header = blocks_of(report)[0]["text"]["text"]
    assert header == "Support Ticket Report: Mon 7 – Sun 13 Apr 2025, Europe/Berlin"


# --- size ---------------------------------------------------------------------------------------------


def test_a_day_of_three_tickets_is_a_few_short_blocks() -> None:
    """What made a three-ticket day tall: score lines, five summary fields, a block per ticket."""
    message = render_messages(three_tickets(), actions=True)[0]  # with triage managers: the buttons
    assert [block["type"] for block in message["blocks"]] == [
        "header",
        "section",  # the headline
        "section",  # the first recommendation: answer the waiting ticket
        "actions",  # its button: Answer #1
        "section",  # the second: triage the unlabelled tickets
        "actions",  # its buttons: Label #N for each, and Label all
        "section",  # the three tickets
        "divider",
        "section",  # the totals
        "context",  # labels, response times, who waits, when
    ]
    lines = sum(len(text.split("\n")) for text in mrkdwn_texts(message))
    assert lines <= 12


def test_a_busy_week_reads_in_one_message() -> None:
    """Five most active tickets, three common issues of four tickets summarised in four parts, five
    recommendations: one message."""
    base = fixture_report()
    report = big_report(active=5, groups=3, per_group=4)
    group = base.common_issues[0]
    groups = tuple(replace(g, parts=group.parts) for g in report.common_issues)
    recommendations = tuple(base.recommendations[index % 2] for index in range(5))
    report = replace(report, common_issues=groups, recommendations=recommendations)
    messages = render_messages(report)
    assert len(messages) == 1
    validate_message(messages[0])
