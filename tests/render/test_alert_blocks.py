"""Alert messages: escaped ticket text that pings nobody, a Details button the drill-down reads, and
messages within Slack's limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bot.alerts.models import Similar, TicketAlert, WaitingAlert
from bot.render import validate_message
from bot.render.action_blocks import CLOSE_ACTION, REOPEN_ACTION, REPLY_ACTION, RowChoices, row_block_id
from bot.render.alert_blocks import (
    ALERT_DETAILS_ACTION,
    render_bundle,
    render_new_ticket,
    render_paused_count,
    render_paused_notice,
    render_waiting,
    ticket_blocks,
)
from bot.slack.command_text import parse_details_value

NOW = datetime(2025, 4, 14, 21, 7, tzinfo=UTC)
HOSTILE = "<!channel> fix <@U123> & <script> *bold* @here"


def alert(number: int = 686, **fields) -> TicketAlert:
    values = {
        "repo": "acme/support",
        "number": number,
        "title": "Pieces OS doesn't start",
        "url": f"https://github.com/acme/support/issues/{number}",
        "author": "alice",
        "labels": ("bug", "windows"),
        "description": ("Database corruption after 11.3.0.", "Happens on every start."),
        "created_at": NOW,
        "home_repo": "acme/support",
    }
    values.update(fields)
    return TicketAlert(**values)


def text_of(message) -> str:
    return json.dumps(message["blocks"]) + message["text"]


def test_a_new_ticket_alert_links_its_title_and_shows_author_labels_description_and_similar():
    message = render_new_ticket(
        alert(
            similar=(
                Similar("acme/support", 685, "Stuck at login", "https://github.com/acme/support/issues/685"),
            )
        )
    )
    validate_message(message)
    shown = text_of(message)
    assert "<https://github.com/acme/support/issues/686|#686 Pieces OS doesn't start>" in shown
    assert "by alice" in shown and "`bug`" in shown and "`windows`" in shown
    assert "> Database corruption after 11.3.0.\\n> Happens on every start." in shown
    assert "Looks like <https://github.com/acme/support/issues/685|#685>" in shown
    assert message["text"] == "New ticket #686: Pieces OS doesn't start"


def test_the_group_a_ticket_seems_part_of_is_shown_escaped():
    message = render_new_ticket(alert(group_title=f"Crash on start {HOSTILE}", group_size=4))
    validate_message(message)
    shown = text_of(message)
    assert "Seems part of *Crash on start &lt;!channel&gt;" in shown and "(3 other open tickets)" in shown
    assert "<!channel>" not in shown


def test_the_details_button_names_the_ticket_as_report_buttons_do():
    [actions] = [b for b in render_new_ticket(alert())["blocks"] if b["type"] == "actions"]
    [button] = actions["elements"]
    assert button["action_id"] == ALERT_DETAILS_ACTION
    assert button["action_id"].startswith("ticket_details")
    command = parse_details_value(button["value"])
    assert command is not None and (command.repo, command.number) == ("acme/support", 686)


def test_hostile_ticket_text_pings_nobody_and_cannot_format():
    message = render_new_ticket(
        alert(
            title=HOSTILE, author="<!everyone>", labels=("<@U1>",), description=(HOSTILE,), url="javascript:x"
        )
    )
    validate_message(message)
    shown = text_of(message)
    for ping in ("<!channel>", "<@U123>", "<!everyone>", "<@U1>", "<script>", "@here"):
        assert ping not in shown
    assert "<javascript" not in shown  # not a safe URL: the title is shown without a link
    assert "&lt;!channel&gt;" in shown


def test_ticket_blocks_are_a_list_another_block_can_be_appended_to():
    blocks = ticket_blocks(alert(), heading="*New*")
    blocks.append(
        {
            "type": "actions",
            "elements": [{"type": "button", "text": {"type": "plain_text", "text": "x"}, "action_id": "y"}],
        }
    )
    validate_message({"text": "t", "blocks": blocks})


def test_a_waiting_alert_says_how_long_and_its_update_who_replied():
    waiting = WaitingAlert(ticket=alert(), waited=timedelta(hours=26, minutes=5), target=timedelta(hours=24))
    nudge = render_waiting(waiting)
    validate_message(nudge)
    assert "No team reply for 1d 2h (target 1d)" in text_of(nudge)
    answered = WaitingAlert(
        ticket=alert(),
        waited=timedelta(hours=27),
        target=timedelta(hours=24),
        replied_by="maintainer",
        replied_after=timedelta(hours=27),
    )
    update = render_waiting(answered)
    validate_message(update)
    assert "maintainer replied after 1d 3h" in text_of(update)
    assert "Answered" in text_of(update) and "No team reply" not in text_of(update)


def test_a_bundle_lists_its_tickets_in_one_message_and_counts_the_rest():
    many = [alert(n, title=f"Spam {n} {HOSTILE}") for n in range(1, 31)]
    message = render_bundle(many, window=timedelta(minutes=1))
    validate_message(message)
    shown = text_of(message)
    assert "30 new tickets" in shown and "and 10 more tickets" in shown
    assert "#20 Spam 20" in shown and "#21 Spam 21" not in shown
    assert "<!channel>" not in shown


def test_the_paused_line_counts_tickets():
    message = render_paused_count(12, repos=["acme/support"])
    validate_message(message)
    assert message["text"] == "12 tickets arrived while alerts were paused"


def test_with_actions_an_alert_ends_with_the_tickets_action_row_following_its_state():
    choices = RowChoices(labels=("bug", "question"), assignable=("octocat",))
    fresh = render_new_ticket(alert(), actions=choices)
    validate_message(fresh)
    row = fresh["blocks"][-1]
    assert row["block_id"] == row_block_id("acme/support", 686)
    ids = {e["action_id"] for e in row["elements"]}
    assert REPLY_ACTION in ids and CLOSE_ACTION in ids and REOPEN_ACTION not in ids
    closed = render_waiting(
        WaitingAlert(
            ticket=alert(state="closed"), waited=timedelta(hours=30), target=timedelta(hours=24), closed=True
        ),
        actions=choices,
    )
    validate_message(closed)
    assert REOPEN_ACTION in {e["action_id"] for e in closed["blocks"][-1]["elements"]}
    assert not [b for b in render_new_ticket(alert())["blocks"] if b.get("block_id") == row["block_id"]]


def test_the_pause_notice_says_what_to_fix_for_the_error_that_paused_it():
    for reason, fix in (
        ("not_in_channel", "Invite me to the channel"),
        ("is_archived", "Unarchive the channel"),
        ("restricted_action", "Let me post there"),
    ):
        notice = render_paused_notice(channel_id="C1", kind="new", reason=reason, attempts=3)
        validate_message(notice)
        assert fix in text_of(notice)


def close_options(message) -> list[str]:
    [row] = [b for b in message["blocks"] if b.get("block_id") == row_block_id("acme/support", 686)]
    [close] = [e for e in row["elements"] if e["action_id"] == CLOSE_ACTION]
    return [o["value"] for o in close["options"]]


def test_the_close_menu_suggests_the_first_similar_ticket_of_the_same_repository_as_the_original():
    similar = (
        Similar("acme/other", 12, "Elsewhere", "https://github.com/acme/other/issues/12"),
        Similar("Acme/Support", 685, "Stuck at login", "https://github.com/acme/support/issues/685"),
        Similar("acme/support", 640, "Older", "https://github.com/acme/support/issues/640"),
    )
    choices = RowChoices()
    new = render_new_ticket(alert(similar=similar), actions=choices)
    waiting = render_waiting(
        WaitingAlert(ticket=alert(similar=similar), waited=timedelta(hours=5), target=timedelta(hours=4)),
        actions=choices,
    )
    for message in (new, waiting):
        validate_message(message)
        options = close_options(message)
        assert "duplicate:685" in options
        assert "duplicate:12" not in options and "duplicate:640" not in options
    only_elsewhere = render_new_ticket(alert(similar=similar[:1]), actions=choices)
    assert not [o for o in close_options(only_elsewhere) if o.startswith("duplicate:")]
