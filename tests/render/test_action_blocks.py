"""The ticket-action controls and modals: within Slack's limits whatever the repository holds, destructive
choices behind a confirmation, and every value read back only as the renderer wrote it."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from bot.render import render_messages
from bot.render.action_blocks import (
    ASSIGN_ACTION,
    BULK_CLOSE_DUPLICATE,
    BULK_LABEL,
    BULK_REPLY,
    CLOSE_ACTION,
    LABEL_ACTION,
    LABEL_PICKER_ACTION,
    MAX_BULK_TICKETS,
    REOPEN_ACTION,
    REPLY_ACTION,
    BulkTarget,
    BulkValue,
    RowChoices,
    action_row,
    bulk_value,
    read_bulk_value,
    read_close_choice,
    read_row_ticket,
    read_ticket_value,
    recommendation_actions,
)
from bot.render.action_modals import (
    DUPLICATE_BLOCK,
    LABEL_BLOCK,
    LABEL_TEXT_BLOCK,
    REPLY_BLOCK,
    check_duplicate,
    check_labels,
    check_reply,
    close_confirm_modal,
    duplicate_modal,
    label_modal,
    reply_modal,
)
from bot.render.slack_limits import MAX_BUTTON_VALUE, validate_message
from bot.render.view_limits import validate_view
from bot.report.models import SUGGEST_REPLY, Recommendation, SuggestedAction
from tests.render.fixtures import fixture_report

REPO = "acme/support"
LONG_REPO = "o" * 39 + "/" + "n" * 100
HOSTILE = "<!channel> <@U1> *x* &amp; @here"


def elements(blocks: list[dict]) -> dict[str, dict]:
    (row,) = blocks
    return {element["action_id"]: element for element in row["elements"]}


def test_an_open_tickets_row_has_label_assign_reply_and_a_close_menu_offering_the_suggested_original():
    choices = RowChoices(labels=("bug", "question"), assignable=("octocat",))
    blocks = action_row(REPO, 688, state="open", choices=choices, duplicate_of=686)
    validate_message({"text": "t", "blocks": blocks})
    found = elements(blocks)
    assert set(found) == {LABEL_ACTION, ASSIGN_ACTION, REPLY_ACTION, CLOSE_ACTION}
    close = found[CLOSE_ACTION]
    assert "confirm" not in close  # its dialog could not name the choice: the confirmation modal does
    assert [o["value"] for o in close["options"]] == [
        "completed",
        "not_planned",
        "duplicate:686",
        "duplicate",
    ]
    assert read_row_ticket(blocks[0]["block_id"]) == (REPO, 688)


def test_a_closed_tickets_row_offers_a_confirmed_reopen_instead_of_close():
    found = elements(action_row(REPO, 686, state="closed", choices=RowChoices()))
    assert REOPEN_ACTION in found and CLOSE_ACTION not in found
    assert found[REOPEN_ACTION]["confirm"]["confirm"]["text"] == "Reopen"
    assert LABEL_ACTION not in found and ASSIGN_ACTION not in found  # nothing to choose from


def test_many_labels_become_a_picker_button_and_many_people_a_menu_that_fits():
    labels = tuple(f"area: {'x' * 40} {i}" for i in range(300))
    people = tuple(f"user-{'y' * 30}-{i}" for i in range(300))
    blocks = action_row(LONG_REPO, 1, state="open", choices=RowChoices(labels=labels, assignable=people))
    validate_message({"text": "t", "blocks": blocks})
    found = elements(blocks)
    assert LABEL_PICKER_ACTION in found and LABEL_ACTION not in found
    assert 1 <= len(found[ASSIGN_ACTION]["options"]) < 100


def test_hostile_labels_are_plain_text_options_and_the_row_still_validates():
    blocks = action_row(REPO, 5, state="open", choices=RowChoices(labels=(HOSTILE, "x" * 200)))
    validate_message({"text": "t", "blocks": blocks})
    options = elements(blocks)[LABEL_ACTION]["options"]
    assert [o["value"] for o in options] == [HOSTILE]  # a value over Slack's 150 is left out
    assert all(o["text"]["type"] == "plain_text" for o in options)


@pytest.mark.parametrize(
    "block_id",
    [
        None,
        "",
        "b0",
        'ticket_row|{"repo":"acme/support","number":"688"}',
        'ticket_row|{"repo":"acme/support","number":0}',
        'ticket_row|{"repo":"../etc","number":1}',
        'ticket_row|{"repo":"acme/support","number":1,"x":1}',
        'ticket_row|{"repo":"acme/support"',
        "ticket_row|" + "[" * 200,
    ],
)
def test_a_row_block_id_the_renderer_did_not_write_names_no_ticket(block_id):
    assert read_row_ticket(block_id) is None


def test_close_choices_are_read_back_only_as_written():
    assert read_close_choice("completed", number=5) == ("completed", None)
    assert read_close_choice("duplicate:4", number=5) == ("duplicate", 4)
    assert read_close_choice("duplicate", number=5) == ("duplicate", None)
    for bad in ("duplicate:5", "duplicate:0", "duplicate:x", "reopen", None, 3, "duplicate:1234567890"):
        assert read_close_choice(bad, number=5) is None, bad


def test_a_recommendation_offers_each_ticket_and_all_of_them_with_one_confirmation():
    targets = [BulkTarget(REPO, n, 686) for n in (688, 689, 690)]
    block = recommendation_actions(0, BULK_CLOSE_DUPLICATE, targets, labels=["#688", "#689", "#690"])
    validate_message({"text": "t", "blocks": [block]})
    texts = [e["text"]["text"] for e in block["elements"]]
    assert texts == [
        "Close #688 as duplicate of #686",
        "Close #689 as duplicate of #686",
        "Close #690 as duplicate of #686",
        "Close all 3",
    ]
    everyone = block["elements"][-1]
    assert everyone["confirm"]["title"]["text"] == "Close all 3?"
    assert read_bulk_value(everyone["value"]) == BulkValue(BULK_CLOSE_DUPLICATE, tuple(targets))


def test_label_and_answer_buttons_ask_nothing_before_their_modal():
    block = recommendation_actions(1, BULK_REPLY, [BulkTarget(REPO, 691)], labels=["#691"])
    (button,) = block["elements"]
    assert button["text"]["text"] == "Answer #691" and "confirm" not in button
    block = recommendation_actions(
        2, BULK_LABEL, [BulkTarget(REPO, 1), BulkTarget(REPO, 2)], labels=["#1", "#2"]
    )
    assert [e["text"]["text"] for e in block["elements"]] == ["Label #1", "Label #2", "Label all 2"]


def test_a_long_recommendation_shows_five_tickets_and_all_covers_as_many_as_fit():
    targets = [BulkTarget(LONG_REPO, n) for n in range(1, 41)]
    block = recommendation_actions(0, BULK_LABEL, targets, labels=[f"#{t.number}" for t in targets])
    validate_message({"text": "t", "blocks": [block]})
    everyone = block["elements"][-1]
    assert len(block["elements"]) == 6
    assert len(everyone["value"]) <= MAX_BUTTON_VALUE
    covered = read_bulk_value(everyone["value"]).targets
    assert 1 < len(covered) <= MAX_BULK_TICKETS
    assert everyone["text"]["text"] == f"Label all {len(covered)}"


@pytest.mark.parametrize(
    "value",
    [
        None,
        "{}",
        '{"do":"delete","t":[["acme/support",1,0]]}',
        '{"do":"dup","t":[["acme/support",1,0]]}',  # closing as a duplicate needs the original
        '{"do":"dup","t":[["acme/support",1,1]]}',  # of itself
        '{"do":"label","t":[["acme/support",true,0]]}',
        '{"do":"label","t":[]}',
        json.dumps({"do": "label", "t": [["acme/support", n, 0] for n in range(1, 30)]}),
    ],
)
def test_a_recommendation_value_the_renderer_did_not_write_is_refused(value):
    assert read_bulk_value(value) is None


def test_values_round_trip():
    value = BulkValue(BULK_REPLY, (BulkTarget(REPO, 7), BulkTarget("other/repo", 8)))
    assert read_bulk_value(bulk_value(value)) == value
    assert read_ticket_value('{"repo":"acme/support","number":7}') == (REPO, 7)


# --- modals -------------------------------------------------------------------------------------------


def test_the_reply_modal_is_prefilled_and_valid_with_hostile_ticket_names():
    view = reply_modal(names=[HOSTILE], metadata="{}", prefill="Clear the cache (#685, maintainer).")
    validate_view(view)
    assert view["blocks"][1]["element"]["initial_value"] == "Clear the cache (#685, maintainer)."
    assert "<!channel>" not in json.dumps(view["blocks"][0])


def test_the_label_modal_shows_a_hundred_and_a_box_for_the_rest():
    labels = [f"label-{i:03}" for i in range(250)]
    view = label_modal(names=["#1"], labels=labels, metadata="{}")
    validate_view(view)
    assert len(view["blocks"][1]["element"]["options"]) == 100
    assert view["blocks"][2]["block_id"] == LABEL_TEXT_BLOCK
    assert check_labels([], "LABEL-200, label-001", known=labels) == (("label-200", "label-001"), {})
    names, errors = check_labels([], "nope", known=labels)
    assert names == () and "nope" in errors[LABEL_TEXT_BLOCK]
    assert check_labels([], None, known=labels)[1] == {LABEL_BLOCK: "Choose at least one label."}


def test_submissions_are_checked_field_by_field():
    assert check_reply("  hi  ") == ("hi", {})
    assert check_reply("   ")[1].keys() == {REPLY_BLOCK}
    assert check_duplicate("#686", number=688) == (686, {})
    assert check_duplicate(" 686 ", number=688) == (686, {})
    assert "itself" in check_duplicate("688", number=688)[1][DUPLICATE_BLOCK]
    for bad in ("", "six", "#0", "-3", "1e3", None):
        assert check_duplicate(bad, number=688)[1].keys() == {DUPLICATE_BLOCK}, bad
    validate_view(duplicate_modal(name="#688", suggested=686, metadata="{}"))


@pytest.mark.parametrize(
    ("reason", "original", "question"),
    [
        ("not_planned", None, "Close #688 as not planned?"),
        ("completed", None, "Close #688 as completed?"),
        ("duplicate", 686, "Close #688 as a duplicate of #686?"),
    ],
)
def test_the_close_confirmation_names_the_reason_chosen(reason, original, question):
    view = close_confirm_modal(name="#688", state_reason=reason, duplicate_of=original, metadata="{}")
    validate_view(view)
    assert view["title"]["text"] == "Close #688?"
    assert view["submit"]["text"] == "Close" and view["close"]["text"] == "Cancel"
    assert question in view["blocks"][0]["text"]["text"]
    assert ("Duplicate of #686" in json.dumps(view)) == (original is not None)


def test_a_label_picker_for_several_repositories_says_whose_labels_it_offers():
    view = label_modal(
        names=["acme/a#1", "acme/b#2"],
        labels=["bug"],
        metadata="{}",
        note="The labels all of acme/a, acme/b have",
    )
    validate_view(view)
    assert "The labels all of acme/a, acme/b have" in json.dumps(view)


def _recommendation_buttons(messages) -> list[dict]:
    return [
        element
        for message in messages
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if str(element.get("action_id", "")).startswith("ticket_act:rec")
    ]


def test_recommendations_carry_buttons_only_when_someone_may_act():
    report = fixture_report()
    ticket = report.most_active[0].ticket
    rec = Recommendation(
        title="Answer the waiting ticket",
        text="Nobody from the team has answered it yet.",
        tickets=(),
        actions=(SuggestedAction(SUGGEST_REPLY, ticket.repo, ticket.number),),
    )
    report = replace(report, recommendations=(rec,))

    assert _recommendation_buttons(render_messages(report)) == []  # nobody may act: no buttons
    (button,) = _recommendation_buttons(render_messages(report, actions=True))
    assert button["text"]["text"] == f"Answer #{ticket.number}"
