"""Acting on a ticket from its alert, end to end (see conftest): with `triage_managers` set, an alert
ends with the ticket's action row; a signed click on it goes through the real listener, the action
service writes to the fake GitHub, and the alert's thread says what was done and by whom."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.app_runner import clock_alerts
from bot.render import validate_message
from bot.render.action_blocks import CLOSE_ACTION, REOPEN_ACTION, REPLY_ACTION, row_block_id
from bot.render.action_modals import CONFIRM_CLOSE_CALLBACK
from tests.alerts.conftest import REPO, WAIT, StartAlertApp
from tests.slack.conftest import AppUnderTest
from tests.slack.payloads import block_action, send_interaction
from tests.slack.test_actions import last_view, submit

LEAD = "ULEAD"
HOSTILE_NAME = "Ada <!channel> <@U999> @here *bold*"
WRITES = ("POST", "PATCH", "PUT", "DELETE")
HOUR = timedelta(hours=1)


def row_of(blocks: list[dict], number: int) -> dict:
    [row] = [b for b in blocks if b.get("block_id") == row_block_id(REPO, number)]
    return row


def test_an_alert_without_triage_managers_has_no_action_row(start_alert_app: StartAlertApp) -> None:
    app = start_alert_app()
    app.manual()
    app.say("alerts on new")
    app.open_ticket(1800)
    app.run()
    [post] = app.posts()
    assert not [b for b in post.blocks if b.get("block_id") == row_block_id(REPO, 1800)]


def test_closing_a_ticket_from_its_alert_closes_it_on_github_and_says_so_in_the_alerts_thread(
    start_alert_app: StartAlertApp,
) -> None:
    app = start_alert_app(config={"triage_managers": [LEAD]}, env={"GITHUB_TOKEN": "ghp_write"})
    app.slack.set_display_name(LEAD, HOSTILE_NAME)
    app.manual()
    app.say("alerts on new")
    app.open_ticket(1801, title="Spam spam spam")
    app.run()
    [post] = app.posts()
    validate_message({"text": post.body["text"], "blocks": post.blocks})
    row = row_of(post.blocks, 1801)
    assert {e["action_id"] for e in row["elements"]} >= {REPLY_ACTION, CLOSE_ACTION}

    payload = block_action(
        user=LEAD,
        channel="C1",
        message={"ts": post.body["ts"], "text": post.body["text"], "blocks": post.blocks},
        response_url=app.slack.response_url("act"),
        action={
            "block_id": row["block_id"],
            "action_ts": "1700000001.0",
            "action_id": CLOSE_ACTION,
            "type": "static_select",
            "selected_option": {"value": "not_planned"},
        },
    )
    under_test = AppUnderTest(url=app.url, bot=app.bot, settings=None, slack=app.slack, github=app.github)  # type: ignore[arg-type]
    assert send_interaction(under_test, payload).status_code == 200
    # Closing asks once, naming the reason, and writes nothing before it is confirmed.
    view = last_view(under_test, CONFIRM_CLOSE_CALLBACK)
    assert "as not planned" in json.dumps(view["blocks"])
    assert [r for r in app.github.requests if r.method in WRITES] == []
    assert submit(under_test, view, {}, user=LEAD) == {}

    def replies() -> list:
        return [p for p in app.slack.posts() if p.body.get("thread_ts") == post.body["ts"]]

    assert app.slack.wait_for(lambda s: len(replies()) == 1, WAIT)
    issue = app.github.issue(REPO, 1801)
    assert (issue["state"], issue["state_reason"]) == ("closed", "not_planned")
    assert len([r for r in app.github.requests if r.method in WRITES]) >= 1
    [reply] = replies()
    text = json.dumps(reply.body)
    assert "asked by Ada" in text and "#1801" in text
    assert "<!channel>" not in text and "<@U999>" not in text and "*bold*" not in text
    # The alert is redrawn in place: its row now offers Reopen, its ticket and other controls kept.
    assert app.slack.wait_for(lambda s: len(s.updates()) == 1, WAIT)
    [update] = app.slack.updates()
    assert update["ts"] == post.body["ts"]
    validate_message({"text": update["text"], "blocks": update["blocks"]})
    redrawn = {e["action_id"] for e in row_of(update["blocks"], 1801)["elements"]}
    assert REOPEN_ACTION in redrawn and CLOSE_ACTION not in redrawn and REPLY_ACTION in redrawn
    assert [b for b in update["blocks"] if b.get("block_id") != row["block_id"]] == [
        b for b in post.blocks if b.get("block_id") != row["block_id"]
    ]

    # From the redrawn alert, Reopen is a new decision: it reopens, and the row offers Close again.
    reopen = block_action(
        user=LEAD,
        channel="C1",
        message={"ts": post.body["ts"], "text": update["text"], "blocks": update["blocks"]},
        response_url=app.slack.response_url("act2"),
        action={
            "block_id": row["block_id"],
            "action_ts": "1700000002.0",
            "action_id": REOPEN_ACTION,
            "type": "button",
            "value": next(
                e["value"]
                for e in row_of(update["blocks"], 1801)["elements"]
                if e["action_id"] == REOPEN_ACTION
            ),
        },
    )
    assert send_interaction(under_test, reopen).status_code == 200
    assert app.slack.wait_for(lambda s: len(s.updates()) == 2, WAIT)
    assert app.github.issue(REPO, 1801)["state"] == "open"
    again = {e["action_id"] for e in row_of(app.slack.updates()[1]["blocks"], 1801)["elements"]}
    assert CLOSE_ACTION in again and REOPEN_ACTION not in again
    assert len(replies()) == 2


def test_clock_posts_alerts_with_their_row_and_keeps_it_when_updating_one_serve_posted(
    start_alert_app: StartAlertApp,
) -> None:
    app = start_alert_app(
        config={"triage_managers": [LEAD], "response_target_hours": 4}, env={"GITHUB_TOKEN": "ghp_write"}
    )
    app.manual()
    app.say("alerts on new")
    app.say("alerts on waiting", channel="C2")
    clock = clock_alerts(
        app.settings, store=app.store, mirror=app.mirror, client=app.bot.slack.client, clock=app.clock
    )
    try:
        # A new ticket alerted by the clock process ends with its row, as serve's alerts do.
        app.open_ticket(1802)
        clock.dispatcher.run()
        [post] = app.posts()
        assert {e["action_id"] for e in row_of(post.blocks, 1802)["elements"]} >= {REPLY_ACTION, CLOSE_ACTION}

        # serve posts a waiting alert; the clock process tells the team's reply and keeps the row.
        issue = app.open_ticket(1803)
        app.clock.advance(5 * HOUR)
        app.run()
        [waiting] = [p for p in app.posts("C2") if "#1803" in p.body["text"]]
        row_of(waiting.blocks, 1803)
        app.comment(issue, 6001, user="maintainer", association="MEMBER")
        assert clock.dispatcher.run().updated == 1
        [update] = app.slack.updates()
        assert update["ts"] == waiting.body["ts"]
        assert "maintainer replied" in str(update["blocks"])
        assert {e["action_id"] for e in row_of(update["blocks"], 1803)["elements"]} >= {
            REPLY_ACTION,
            CLOSE_ACTION,
        }
    finally:
        clock.shutdown(wait=True)


def test_when_others_took_all_but_one_ticket_of_a_burst_it_is_posted_alone_with_its_row(
    start_alert_app: StartAlertApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = start_alert_app(
        config={"triage_managers": [LEAD], "alert_burst": 3}, env={"GITHUB_TOKEN": "ghp_write"}
    )
    app.manual()
    app.say("alerts on new")
    numbers = list(range(1810, 1816))
    for number in numbers:
        app.open_ticket(number, title=f"Burst {number}")
    store = app.dispatcher._alerts
    real_slot = store.claim_slot

    # Another process claims all but the last ticket between this one's plan and its claims (the
    # window two real processes race in; a test cannot interleave them there otherwise).
    def slot_then_others_claim(channel_id, what, **kw):
        taken = real_slot(channel_id, what, **kw)
        for number in numbers[:-1]:
            assert store.claim(
                channel_id=channel_id,
                repo=REPO,
                number=number,
                kind="new",
                owner="elsewhere",
                now=app.clock.now,
                lease=timedelta(minutes=5),
                delivery_id=f"other-{number}",
                bundled=True,
            )
        return taken

    monkeypatch.setattr(store, "claim_slot", slot_then_others_claim)
    result = app.run()
    assert result.bundles == 0 and [n for _, _, n, _ in result.posted] == [numbers[-1]]
    [post] = app.posts()
    assert post.body["text"] == f"New ticket #{numbers[-1]}: Burst {numbers[-1]}"
    validate_message({"text": post.body["text"], "blocks": post.blocks})
    assert {e["action_id"] for e in row_of(post.blocks, numbers[-1])["elements"]} >= {
        REPLY_ACTION,
        CLOSE_ACTION,
    }
