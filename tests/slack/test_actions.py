"""Acting on tickets from Slack end to end: signed clicks and modal submissions to the real Bolt app, the
real action service writing to the fake GitHub, the outcome told in the fake Slack."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from bot.app_runner import start_digests
from bot.render import validate_message
from bot.render.action_blocks import (
    ASSIGN_ACTION,
    BULK_LABEL,
    CLOSE_ACTION,
    CLOSE_DUPLICATE_OTHER,
    LABEL_ACTION,
    REOPEN_ACTION,
    REPLY_ACTION,
    BulkTarget,
    BulkValue,
    bulk_value,
    row_block_id,
)
from bot.render.action_modals import (
    CONFIRM_CLOSE_CALLBACK,
    DUPLICATE_BLOCK,
    DUPLICATE_CALLBACK,
    DUPLICATE_INPUT,
    LABEL_BLOCK,
    LABEL_CALLBACK,
    LABEL_INPUT,
    LABEL_TEXT_BLOCK,
    LABEL_TEXT_INPUT,
    REPLY_BLOCK,
    REPLY_CALLBACK,
    REPLY_INPUT,
)
from bot.store import Store
from tests.fakes.github_data import make_comment, make_issue
from tests.slack.conftest import HOUR, NOW, AppUnderTest, StartApp
from tests.slack.payloads import block_action, send_interaction
from tests.slack.test_drilldown import click, post_report, thread_posts
from tests.slack.test_subscriptions import start_digest_app  # noqa: F401  (a fixture)

LEAD = "ULEAD"
HOSTILE_NAME = "Ada <!channel> <@U999> @here *bold*"
WRITES = ("POST", "PATCH", "PUT", "DELETE")


@pytest.fixture
def app(start_app: StartApp, fake_github, fake_slack, tmp_path) -> AppUnderTest:
    fake_github.add_repo(
        "acme/support",
        issues=[
            make_issue(
                689,
                repo="acme/support",
                title="Export fails",
                body="No label yet.",
                labels=[],
                created_at=NOW - timedelta(hours=2),
            )
        ],
        labels=["bug", "question", "ios"],
        assignable=["octocat", "hubot"],
    )
    fake_slack.set_display_name(LEAD, HOSTILE_NAME)
    store = Store(f"sqlite:///{tmp_path / 'actions.db'}")
    # A one-hour response target: #687 and #689 wait for a first team reply (an "Answer" recommendation).
    config = {"triage_managers": [LEAD], "response_target_hours": 1}
    yield start_app(store=store, config=config, env={"GITHUB_TOKEN": "ghp_write"})
    store.close()


def writes(app: AppUnderTest) -> list:
    return [r for r in app.github.requests if r.method in WRITES]


def ephemerals(app: AppUnderTest) -> list[str]:
    calls = app.slack.calls_to("response_url") + app.slack.calls_to("chat.postEphemeral")
    return [str(c.body.get("text", "")) for c in calls]


def drill(app: AppUnderTest, number: int = 685) -> tuple[str, dict]:
    """A report, then the Details of `number` in its thread; returns (report ts, the reply's call body)."""
    report_ts = post_report(app)
    click(app, report_ts=report_ts, number=number)
    assert app.slack.wait_for(lambda s: len(thread_posts(app, report_ts)) == 1)
    (reply,) = thread_posts(app, report_ts)
    return report_ts, reply


def row_of(blocks: list[dict], number: int, repo: str = "acme/support") -> dict:
    block_id = row_block_id(repo, number)
    (row,) = [b for b in blocks if b.get("block_id") == block_id]
    return row


def element(row: dict, action_id: str) -> dict:
    (found,) = [e for e in row["elements"] if e.get("action_id") == action_id]
    return found


def act(
    app: AppUnderTest,
    *,
    report_ts: str,
    reply: dict,
    action: dict,
    number: int = 685,
    user: str = LEAD,
    action_ts: str = "1700000001.0",
    block_id: str | None = None,
    blocks: list | None = None,
):
    """A signed click on the drill-down `reply`'s action row (as `blocks` show it, once redrawn)."""
    message = {
        "ts": reply.body["ts"],
        "thread_ts": report_ts,
        "blocks": reply.blocks if blocks is None else blocks,
    }
    payload = block_action(
        user=user,
        channel="C1",
        message=message,
        response_url=app.slack.response_url("act"),
        action={
            "block_id": block_id or row_block_id("acme/support", number),
            "action_ts": action_ts,
            **action,
        },
    )
    assert send_interaction(app, payload).status_code == 200


def submit(
    app: AppUnderTest,
    view: dict,
    values: dict,
    *,
    user: str = LEAD,
    view_hash: str = "h1",
    trigger: str = "1.2.3",
):
    """A signed view_submission of `view` (as views.open sent it) with `values`; returns the ack's JSON."""
    payload = {
        "type": "view_submission",
        "team": {"id": "T0FAKE"},
        "user": {"id": user},
        "api_app_id": "A0FAKE",
        "trigger_id": trigger,
        "view": {**view, "id": "V900001", "hash": view_hash, "state": {"values": values}},
    }
    response = send_interaction(app, payload)
    assert response.status_code == 200
    return response.json() if response.content else {}


def opened_view(app: AppUnderTest, callback_id: str) -> dict:
    assert app.slack.wait_for(
        lambda s: any(_view(c).get("callback_id") == callback_id for c in s.calls_to("views.open"))
    )
    return next(
        _view(c) for c in app.slack.calls_to("views.open") if _view(c).get("callback_id") == callback_id
    )


def _view(call) -> dict:
    view = call.body.get("view")
    return json.loads(view) if isinstance(view, str) else (view or {})


def last_view(app: AppUnderTest, callback_id: str, count: int = 1) -> dict:
    """The `count`th modal with `callback_id` views.open sent (waiting for it)."""

    def opened() -> list[dict]:
        return [
            _view(c) for c in app.slack.calls_to("views.open") if _view(c).get("callback_id") == callback_id
        ]

    assert app.slack.wait_for(lambda s: len(opened()) >= count)
    return opened()[count - 1]


def close_from_row(
    app: AppUnderTest,
    *,
    report_ts: str,
    reply: dict,
    value: str,
    blocks: list | None = None,
    action_ts: str = "1700000001.0",
    view_hash: str = "h1",
    count: int = 1,
) -> dict:
    """Choose `value` in the row's Close menu, then press Close in the confirmation modal it opens;
    returns that modal."""
    choice = {"action_id": CLOSE_ACTION, "type": "static_select", "selected_option": {"value": value}}
    act(app, report_ts=report_ts, reply=reply, action=choice, blocks=blocks, action_ts=action_ts)
    view = last_view(app, CONFIRM_CLOSE_CALLBACK, count)
    assert submit(app, view, {}, view_hash=view_hash) == {}
    return view


def updates(app: AppUnderTest) -> list:
    return app.slack.calls_to("chat.update")


# --- the row ------------------------------------------------------------------------------------------


def test_the_rows_label_menu_lists_the_repositorys_labels(app):
    _, reply = drill(app, 685)
    row = row_of(reply.blocks, 685)
    assert sorted(o["value"] for o in element(row, LABEL_ACTION)["options"]) == ["bug", "ios", "question"]


def test_a_drill_down_ends_with_the_action_row_and_close_asks_for_confirmation(app):
    report_ts, reply = drill(app, 685)
    validate_message({"text": reply.body["text"], "blocks": reply.blocks})
    row = row_of(reply.blocks, 685)
    assert element(row, REPLY_ACTION)["type"] == "button"
    close = element(row, CLOSE_ACTION)
    assert [o["value"] for o in close["options"]][:2] == ["completed", "not_planned"]
    assert not [e for e in row["elements"] if e["action_id"] == REOPEN_ACTION]
    app.github.clear_requests()
    choice = {"action_id": CLOSE_ACTION, "type": "static_select", "selected_option": {"value": "not_planned"}}
    act(app, report_ts=report_ts, reply=reply, action=choice)
    view = last_view(app, CONFIRM_CLOSE_CALLBACK)
    # the one confirmation names the reason chosen, and nothing is written before it is pressed
    assert view["title"]["text"] == "Close #685?" and view["submit"]["text"] == "Close"
    assert "Close #685 as not planned?" in json.dumps(view["blocks"])
    assert writes(app) == []
    assert app.github.issue("acme/support", 685)["state"] == "open"


def test_the_rows_assign_menu_lists_the_assignable_people(app):
    _, reply = drill(app, 685)
    row = row_of(reply.blocks, 685)
    assert sorted(o["value"] for o in element(row, ASSIGN_ACTION)["options"]) == ["hubot", "octocat"]


def test_a_closed_tickets_row_offers_reopen_behind_a_confirmation(app):
    _, reply = drill(app, 686)
    row = row_of(reply.blocks, 686)
    reopen = element(row, REOPEN_ACTION)
    assert reopen["confirm"]["title"]["text"] == "Reopen #686?"
    assert not [e for e in row["elements"] if e["action_id"] == CLOSE_ACTION]


def test_closing_from_the_row_closes_on_github_and_redraws_the_message_saying_who(app):
    report_ts, reply = drill(app, 685)
    close_from_row(app, report_ts=report_ts, reply=reply, value="not_planned")
    assert app.slack.wait_for(lambda s: len(updates(app)) == 1)
    issue = app.github.issue("acme/support", 685)
    assert (issue["state"], issue["state_reason"]) == ("closed", "not_planned")
    (update,) = updates(app)
    assert update.body["ts"] == reply.body["ts"] and update.body["channel"] == "C1"
    validate_message({"text": update.body["text"], "blocks": update.blocks})
    text = json.dumps(update.blocks)
    assert "asked by Ada" in text
    # the hostile display name pings nobody and formats nothing
    assert "<!channel>" not in text and "<@U999>" not in text and "*bold*" not in text
    row = row_of(update.blocks, 685)
    assert element(row, REOPEN_ACTION)  # the redrawn row follows the ticket's new state


def test_a_double_click_writes_once(app):
    report_ts, reply = drill(app, 685)
    app.github.clear_requests()
    view = close_from_row(app, report_ts=report_ts, reply=reply, value="completed")
    assert submit(app, view, {}, trigger="1.2.4") == {}  # the same confirmation pressed twice
    assert app.slack.wait_for(lambda s: len(updates(app)) == 1)
    assert app.slack.wait_for(lambda s: any("Already" in t for t in ephemerals(app)))
    patches = [r for r in writes(app) if r.method == "PATCH"]
    assert len(patches) == 1
    assert len(updates(app)) == 1


def test_closing_again_after_a_reopen_is_a_new_decision_not_a_repeat(app):
    report_ts, reply = drill(app, 685)
    close_from_row(app, report_ts=report_ts, reply=reply, value="completed")
    assert app.slack.wait_for(lambda s: len(updates(app)) == 1)
    reopen = {
        "action_id": REOPEN_ACTION,
        "type": "button",
        "value": json.dumps({"repo": "acme/support", "number": 685}),
    }
    act(app, report_ts=report_ts, reply=reply, action=reopen, blocks=updates(app)[0].blocks, action_ts="2.0")
    assert app.slack.wait_for(lambda s: len(updates(app)) == 2)
    assert app.github.issue("acme/support", 685)["state"] == "open"
    close_from_row(
        app,
        report_ts=report_ts,
        reply=reply,
        value="completed",
        blocks=updates(app)[1].blocks,
        action_ts="3.0",
        view_hash="h3",  # a new modal: Slack gives it a new id and hash
        count=2,
    )
    assert app.slack.wait_for(lambda s: len(updates(app)) == 3)
    assert app.github.issue("acme/support", 685)["state"] == "closed"
    assert not any("Already" in t for t in ephemerals(app))


def test_labels_and_assignees_from_the_row_are_added_on_github(app):
    report_ts, reply = drill(app, 685)
    act(
        app,
        report_ts=report_ts,
        reply=reply,
        action={
            "action_id": LABEL_ACTION,
            "type": "multi_static_select",
            "selected_options": [{"value": "ios"}, {"value": "question"}],
        },
    )
    assert app.slack.wait_for(lambda s: len(updates(app)) == 1)
    assert {"ios", "question", "bug"} <= {
        label["name"] for label in app.github.issue("acme/support", 685)["labels"]
    }
    act(
        app,
        report_ts=report_ts,
        reply=reply,
        action={"action_id": ASSIGN_ACTION, "type": "static_select", "selected_option": {"value": "hubot"}},
    )
    assert app.slack.wait_for(lambda s: len(updates(app)) == 2)
    assert "hubot" in [a["login"] for a in app.github.issue("acme/support", 685)["assignees"]]


def test_someone_not_a_triage_manager_is_refused_privately_and_nothing_is_written(app):
    report_ts, reply = drill(app, 685)
    app.github.clear_requests()
    act(
        app,
        report_ts=report_ts,
        reply=reply,
        user="U5",
        action={"action_id": CLOSE_ACTION, "type": "overflow", "selected_option": {"value": "completed"}},
    )
    act(
        app,
        report_ts=report_ts,
        reply=reply,
        user="U5",
        action={
            "action_id": REPLY_ACTION,
            "type": "button",
            "value": json.dumps({"repo": "acme/support", "number": 685}),
        },
        action_ts="1700000002.0",
    )
    assert app.slack.wait_for(lambda s: sum("triage managers" in t for t in ephemerals(app)) == 2)
    assert writes(app) == []
    assert app.slack.calls_to("views.open") == []  # refused before any modal opens
    assert updates(app) == []


def test_a_stale_or_tampered_control_is_answered_as_out_of_date_and_nothing_is_written(app):
    report_ts, reply = drill(app, 685)
    app.github.clear_requests()
    act(
        app,
        report_ts=report_ts,
        reply=reply,
        block_id='ticket_row|{"repo":"acme/support","number":"x"}',
        action={"action_id": REOPEN_ACTION, "type": "button", "value": "garbage"},
    )
    act(
        app,
        report_ts=report_ts,
        reply=reply,
        action={"action_id": CLOSE_ACTION, "type": "overflow", "selected_option": {"value": "duplicate:685"}},
        action_ts="1700000003.0",
    )
    assert app.slack.wait_for(lambda s: sum("out of date" in t for t in ephemerals(app)) == 2)
    assert writes(app) == []


def test_a_repository_the_channel_may_not_use_is_refused(app):
    report_ts, reply = drill(app, 685)
    app.github.clear_requests()
    act(
        app,
        report_ts=report_ts,
        reply=reply,
        block_id=row_block_id("acme/private", 685),
        action={"action_id": CLOSE_ACTION, "type": "overflow", "selected_option": {"value": "completed"}},
    )
    assert app.slack.wait_for(lambda s: any("acme/private" in t for t in ephemerals(app)))
    assert writes(app) == []


# --- modals -------------------------------------------------------------------------------------------


def test_reply_opens_a_modal_and_its_text_is_posted_with_the_attribution(app):
    report_ts, reply = drill(app, 685)
    act(
        app,
        report_ts=report_ts,
        reply=reply,
        action={
            "action_id": REPLY_ACTION,
            "type": "button",
            "value": json.dumps({"repo": "acme/support", "number": 685}),
        },
    )
    view = opened_view(app, REPLY_CALLBACK)
    empty = submit(app, view, {REPLY_BLOCK: {REPLY_INPUT: {"type": "plain_text_input", "value": "  "}}})
    assert empty["response_action"] == "errors" and REPLY_BLOCK in empty["errors"]
    before = len(app.github.comments_of("acme/support", 685))
    answer = submit(
        app,
        view,
        {REPLY_BLOCK: {REPLY_INPUT: {"type": "plain_text_input", "value": "Please clear the cache."}}},
        view_hash="h2",
    )
    assert answer == {}
    assert app.slack.wait_for(lambda s: len(updates(app)) == 1)
    comments = app.github.comments_of("acme/support", 685)
    assert len(comments) == before + 1
    body = comments[-1]["body"]
    assert body.startswith("Please clear the cache.")
    assert "sent from Slack by Ada" in body


def test_a_non_manager_submitting_a_forged_modal_is_refused_on_its_field(app):
    report_ts, reply = drill(app, 685)
    act(
        app,
        report_ts=report_ts,
        reply=reply,
        action={
            "action_id": REPLY_ACTION,
            "type": "button",
            "value": json.dumps({"repo": "acme/support", "number": 685}),
        },
    )
    view = opened_view(app, REPLY_CALLBACK)
    app.github.clear_requests()
    answer = submit(
        app, view, {REPLY_BLOCK: {REPLY_INPUT: {"type": "plain_text_input", "value": "hi"}}}, user="U5"
    )
    assert answer["response_action"] == "errors" and "triage managers" in answer["errors"][REPLY_BLOCK]
    assert writes(app) == []


def test_close_as_duplicate_of_another_asks_for_a_number_and_checks_it(app):
    report_ts, reply = drill(app, 685)
    act(
        app,
        report_ts=report_ts,
        reply=reply,
        action={"action_id": CLOSE_ACTION, "type": "overflow", "selected_option": {"value": "duplicate"}},
    )
    view = opened_view(app, DUPLICATE_CALLBACK)

    def typed(value):
        return {DUPLICATE_BLOCK: {DUPLICATE_INPUT: {"type": "plain_text_input", "value": value}}}

    assert "number" in submit(app, view, typed("soon"))["errors"][DUPLICATE_BLOCK]
    assert "itself" in submit(app, view, typed("#685"), view_hash="h2")["errors"][DUPLICATE_BLOCK]
    assert submit(app, view, typed("#686"), view_hash="h3") == {}
    assert app.slack.wait_for(lambda s: len(updates(app)) == 1)
    issue = app.github.issue("acme/support", 685)
    assert (issue["state"], issue["state_reason"]) == ("closed", "duplicate")
    assert app.github.comments_of("acme/support", 685)[-1]["body"].startswith("Duplicate of #686")


# --- recommendations ----------------------------------------------------------------------------------


def test_a_recommendations_label_button_opens_the_picker_and_tells_the_thread(app):
    report_ts = post_report(app)
    (report,) = [c for c in app.slack.calls_to("chat.postMessage") if c.body.get("ts") == report_ts]
    buttons = [
        e
        for b in report.blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e.get("action_id", "").startswith("ticket_act:rec")
    ]
    label = next(b for b in buttons if b["text"]["text"] == "Label #689")
    payload = block_action(
        user=LEAD,
        channel="C1",
        message={"ts": report_ts, "blocks": report.blocks},
        response_url=app.slack.response_url("rec"),
        action={**label, "block_id": "ticket_rec|0"},
    )
    assert send_interaction(app, payload).status_code == 200
    assert app.slack.wait_for(lambda s: len(s.calls_to("views.update")) == 1)
    view = _view(app.slack.calls_to("views.update")[0])
    assert view["callback_id"] == LABEL_CALLBACK
    opened = {**view}
    answer = submit(
        app,
        opened,
        {
            LABEL_BLOCK: {
                LABEL_INPUT: {"type": "multi_static_select", "selected_options": [{"value": "question"}]}
            }
        },
    )
    assert answer == {}
    assert app.slack.wait_for(lambda s: len(thread_posts(app, report_ts)) == 1)
    assert "question" in [x["name"] for x in app.github.issue("acme/support", 689)["labels"]]
    (told,) = thread_posts(app, report_ts)
    assert "asked by Ada" in told.body["text"] and "<!channel>" not in told.body["text"]


def test_answer_all_from_a_recommendation_asks_once_and_replies_on_each_ticket(app):
    report_ts = post_report(app)
    (report,) = [c for c in app.slack.calls_to("chat.postMessage") if c.body.get("ts") == report_ts]
    validate_message({"text": report.body["text"], "blocks": report.blocks})
    buttons = [
        e
        for b in report.blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e.get("action_id", "").startswith("ticket_act:rec")
    ]
    names = [b["text"]["text"] for b in buttons]
    assert "Answer all 2" in names, names
    everyone = next(b for b in buttons if b["text"]["text"] == "Answer all 2")
    payload = block_action(
        user=LEAD,
        channel="C1",
        message={"ts": report_ts, "blocks": report.blocks},
        response_url=app.slack.response_url("rec"),
        action={**everyone, "block_id": "ticket_rec|0"},
    )
    assert send_interaction(app, payload).status_code == 200
    view = opened_view(app, REPLY_CALLBACK)
    assert "#687" in json.dumps(view["blocks"]) and "#689" in json.dumps(view["blocks"])
    text = {REPLY_BLOCK: {REPLY_INPUT: {"type": "plain_text_input", "value": "We are on it <!here>."}}}
    assert submit(app, view, text) == {}
    # the same submission again, as a second process or a resubmitted form would receive it: written once
    assert submit(app, view, text, trigger="1.2.4") == {}

    # Both submissions run at once: each ticket is replied to by whichever claims it first, and each
    # run tells the thread what it did. Two replies in all, each told once.
    def told() -> str:
        return "\n".join(c.body["text"] for c in thread_posts(app, report_ts))

    assert app.slack.wait_for(lambda s: told().count("Replied on") == 2)
    for number in (687, 689):
        bodies = [c["body"] for c in app.github.comments_of("acme/support", number)]
        assert sum(body.startswith("We are on it") for body in bodies) == 1, number
    assert "acme/support#687" in told() and "acme/support#689" in told()
    assert told().count("asked by Ada") == 2
    assert "<!here>" not in told() and "<!channel>" not in told()


# --- the audit of refusals, partial outcomes, the acknowledgement ---------------------------------------


def recorded(app: AppUnderTest) -> list:
    return app.bot.store.actions.since(NOW - timedelta(days=3650))


def test_refusals_made_in_slack_are_recorded_for_the_audit(app):
    report_ts, reply = drill(app, 685)
    app.github.clear_requests()
    act(
        app,
        report_ts=report_ts,
        reply=reply,
        user="U5",
        action={
            "action_id": REPLY_ACTION,
            "type": "button",
            "value": json.dumps({"repo": "acme/support", "number": 685}),
        },
    )
    act(
        app,
        report_ts=report_ts,
        reply=reply,
        block_id=row_block_id("acme/private", 685),
        action={
            "action_id": REOPEN_ACTION,
            "type": "button",
            "value": json.dumps({"repo": "acme/private", "number": 685}),
        },
        action_ts="1700000005.0",
    )
    assert app.slack.wait_for(lambda s: len(recorded(app)) == 2)
    by_actor = {r.actor_id: r for r in recorded(app)}
    assert (by_actor["U5"].status, by_actor["U5"].kind, by_actor["U5"].number) == ("refused", "reply", 685)
    assert "triage managers" in by_actor["U5"].message
    assert (by_actor[LEAD].status, by_actor[LEAD].kind, by_actor[LEAD].repo) == (
        "refused",
        "reopen",
        "acme/private",
    )
    assert "acme/private" in by_actor[LEAD].message
    assert writes(app) == []
    assert app.slack.calls_to("views.open") == []


def test_a_refused_modal_submission_is_recorded_and_the_modal_says_why(app):
    report_ts, reply = drill(app, 685)
    act(
        app,
        report_ts=report_ts,
        reply=reply,
        action={
            "action_id": REPLY_ACTION,
            "type": "button",
            "value": json.dumps({"repo": "acme/support", "number": 685}),
        },
    )
    view = opened_view(app, REPLY_CALLBACK)
    answer = submit(
        app, view, {REPLY_BLOCK: {REPLY_INPUT: {"type": "plain_text_input", "value": "hi"}}}, user="U5"
    )
    assert answer["response_action"] == "errors"
    assert app.slack.wait_for(lambda s: len(recorded(app)) == 1)
    (record,) = recorded(app)
    assert (record.actor_id, record.status, record.kind, record.details) == (
        "U5",
        "refused",
        "reply",
        {"text": "hi"},
    )


def test_a_partial_outcome_redraws_the_drill_down_and_tells_the_asker_the_detail(app):
    report_ts, reply = drill(app, 685)
    act(
        app,
        report_ts=report_ts,
        reply=reply,
        action={
            "action_id": CLOSE_ACTION,
            "type": "static_select",
            "selected_option": {"value": "duplicate"},
        },
    )
    view = opened_view(app, DUPLICATE_CALLBACK)
    app.github.fail_next(1, 404, method="PATCH")  # the close is refused after the comment went up ...
    app.github.fail_next(1, 404, method="DELETE")  # ... and the comment cannot be taken back
    typed = {DUPLICATE_BLOCK: {DUPLICATE_INPUT: {"type": "plain_text_input", "value": "#686"}}}
    assert submit(app, view, typed) == {}
    assert app.slack.wait_for(lambda s: len(updates(app)) == 1)
    assert app.slack.wait_for(lambda s: any("Only part of it went through" in t for t in ephemerals(app)))
    assert app.github.comments_of("acme/support", 685)[-1]["body"].startswith("Duplicate of #686")
    (update,) = updates(app)
    text = json.dumps(update.blocks)
    assert "Partly done: Commented" in text and "could not close it" in text


def test_a_submission_is_acknowledged_without_waiting_for_github(app):
    """A label picker's submission with typed names, checked against the repository's labels, which this
    process has not listed yet: the ack does not wait for GitHub; the check runs after it."""
    labels_view = {
        "type": "modal",
        "callback_id": LABEL_CALLBACK,
        "private_metadata": json.dumps(
            {"c": "C1", "m": "1700000000.000100", "th": "", "s": "row", "t": [["acme/support", 689, 0]]}
        ),
        "blocks": [],
    }
    app.github.fail_next(1, 503, path_contains="/labels", delay=3.0)  # GitHub is slow to list them
    typed = {LABEL_TEXT_BLOCK: {LABEL_TEXT_INPUT: {"type": "plain_text_input", "value": "IOS, urgent"}}}
    started = time.monotonic()
    answer = submit(app, labels_view, typed)
    assert time.monotonic() - started < 2.0  # acknowledged long before GitHub answered
    assert answer == {}
    assert app.slack.wait_for(
        lambda s: any("urgent" in t and "Not sent" in t for t in ephemerals(app)), timeout=15
    )
    assert writes(app) == []


# --- the workaround, end to end -------------------------------------------------------------------------


@pytest.fixture
def grouped_app(start_app: StartApp, fake_github, fake_slack, tmp_path) -> AppUnderTest:
    """Three tickets of one common issue, on one of which the team gave a workaround."""
    titles = {
        701: (
            "App fails to launch after update to 11.3.0, database error",
            "It shows a database error on start.",
        ),
        702: (
            "Database error on launch after updating to 11.3.0",
            "Crashes on launch with a database error.",
        ),
        703: (
            "App won't launch after the 11.3.0 update: database error",
            "Database error every start since 11.3.0.",
        ),
    }
    issues = [
        make_issue(
            number,
            repo="acme/support",
            title=title,
            body=body,
            labels=["bug"],
            created_at=NOW - timedelta(hours=6 - i),
            comments=1 if number == 701 else 0,
        )
        for i, (number, (title, body)) in enumerate(titles.items())
    ]
    workaround = make_comment(
        701,
        9701,
        repo="acme/support",
        user="maintainer",
        association="MEMBER",
        body="As a workaround, delete the database folder and restart the app; 11.3.1 will fix this.",
        created_at=NOW - timedelta(hours=2),
    )
    fake_github.add_repo("acme/support", issues=issues, comments=[workaround], labels=["bug"])
    store = Store(f"sqlite:///{tmp_path / 'actions.db'}")
    yield start_app(store=store, config={"triage_managers": [LEAD]}, env={"GITHUB_TOKEN": "ghp_write"})
    store.close()


def test_reply_from_a_drill_down_is_prefilled_with_the_groups_workaround(grouped_app):
    app = grouped_app
    report_ts = post_report(app)
    context = app.bot.store.load_report_context(channel_id="C1", message_ts=report_ts)
    assert "delete the database folder" in context, "the report should keep the group's workaround"
    click(app, report_ts=report_ts, number=702)
    assert app.slack.wait_for(lambda s: len(thread_posts(app, report_ts)) == 1)
    (reply,) = thread_posts(app, report_ts)
    act(
        app,
        report_ts=report_ts,
        reply=reply,
        number=702,
        action={
            "action_id": REPLY_ACTION,
            "type": "button",
            "value": json.dumps({"repo": "acme/support", "number": 702}),
        },
    )
    view = opened_view(app, REPLY_CALLBACK)
    (field,) = [b for b in view["blocks"] if b.get("block_id") == REPLY_BLOCK]
    assert "delete the database folder and restart the app" in field["element"]["initial_value"]


# --- the recommendations' buttons follow triage_managers on every report path ---------------------------


def rec_buttons(calls) -> list[str]:
    return [
        e["text"]["text"]
        for c in calls
        for b in c.blocks or []
        if b.get("type") == "actions"
        for e in b["elements"]
        if str(e.get("action_id", "")).startswith("ticket_act:rec")
    ]


@pytest.mark.parametrize("managers", [[], [LEAD]], ids=["nobody may act", "a triage manager"])
def test_a_commanded_report_and_a_digest_show_the_buttons_only_when_someone_may_act(
    start_digest_app,  # noqa: F811  (the fixture imported above)
    managers,
):
    app = start_digest_app(config={"triage_managers": managers, "response_target_hours": 1})
    report_ts = post_report(app.app)
    (report,) = [c for c in app.slack.calls_to("chat.postMessage") if c.body.get("ts") == report_ts]
    app.say("subscribe 09:00 UTC")
    scheduler = start_digests(app.settings, app.bot, clock=lambda: NOW)
    try:
        before = len(app.slack.calls_to("chat.postMessage"))
        runs = scheduler.run_due(datetime(2025, 4, 15, 9, 0, 30, tzinfo=UTC))
        assert [r.outcome for r in runs] == ["posted"]
    finally:
        scheduler.shutdown()
    digest = [c for c in app.slack.calls_to("chat.postMessage")[before:] if not c.body.get("thread_ts")]
    assert digest
    if managers:
        assert any(name.startswith("Answer") for name in rec_buttons([report]))
        assert any(name.startswith("Answer") for name in rec_buttons(digest))
    else:
        assert rec_buttons([report]) == [] and rec_buttons(digest) == []


# --- labelling tickets of several repositories at once -------------------------------------------------


@pytest.fixture
def two_repo_app(start_app: StartApp, fake_github, fake_slack, tmp_path) -> AppUnderTest:
    fake_github.add_repo(
        "acme/support",
        issues=[make_issue(689, repo="acme/support", title="Export fails", labels=[], created_at=NOW - HOUR)],
        labels=["bug", "question", "ios"],
    )
    fake_github.add_repo(
        "acme/web",
        issues=[make_issue(5, repo="acme/web", title="Page blank", labels=[], created_at=NOW - HOUR)],
        labels=["Bug", "browser"],
    )
    store = Store(f"sqlite:///{tmp_path / 'actions.db'}")
    env = {"GITHUB_TOKEN": "ghp_write", "TICKET_REPORT_REPOS": "acme/support,acme/web"}
    yield start_app(store=store, config={"triage_managers": [LEAD]}, env=env)
    store.close()


@pytest.mark.parametrize("value", ["not_planned", CLOSE_DUPLICATE_OTHER])
def test_in_a_channel_of_several_repositories_the_close_modal_names_the_tickets_repository(
    two_repo_app, value
):
    app = two_repo_app
    payload = block_action(
        user=LEAD,
        channel="C1",
        message={"ts": "1700000000.000100", "blocks": []},
        response_url=app.slack.response_url("row"),
        action={
            "block_id": row_block_id("acme/web", 5),
            "action_id": CLOSE_ACTION,
            "type": "static_select",
            "selected_option": {"value": value},
        },
    )
    assert send_interaction(app, payload).status_code == 200
    view = last_view(app, CONFIRM_CLOSE_CALLBACK if value == "not_planned" else DUPLICATE_CALLBACK)
    shown = json.dumps(view)
    assert "acme/web#5" in shown
    assert '"#5' not in shown and " #5" not in shown
    if value == "not_planned":
        assert "Close acme/web#5 as not planned?" in shown


def test_label_all_across_repositories_offers_the_labels_they_share_and_says_so(two_repo_app):
    app = two_repo_app
    value = bulk_value(BulkValue(BULK_LABEL, (BulkTarget("acme/support", 689), BulkTarget("acme/web", 5))))
    button = {
        "action_id": "ticket_act:rec0:all",
        "type": "button",
        "value": value,
        "text": {"text": "Label all 2"},
    }
    payload = block_action(
        user=LEAD,
        channel="C1",
        message={"ts": "1700000000.000100", "blocks": []},
        response_url=app.slack.response_url("rec"),
        action={**button, "block_id": "ticket_rec|0"},
    )
    assert send_interaction(app, payload).status_code == 200
    assert app.slack.wait_for(lambda s: len(s.calls_to("views.update")) == 1)
    view = _view(app.slack.calls_to("views.update")[0])
    (field,) = [b for b in view["blocks"] if b.get("block_id") == LABEL_BLOCK]
    assert [o["value"] for o in field["element"]["options"]] == ["bug"]  # the one label both have
    assert "The labels all of acme/support, acme/web have" in json.dumps(view)
    chosen = {
        LABEL_BLOCK: {LABEL_INPUT: {"type": "multi_static_select", "selected_options": [{"value": "bug"}]}}
    }
    assert submit(app, view, chosen) == {}
    assert app.slack.wait_for(
        lambda s: (
            [x["name"] for x in app.github.issue("acme/web", 5)["labels"]] == ["Bug"]
            and [x["name"] for x in app.github.issue("acme/support", 689)["labels"]] == ["bug"]
        )
    )
