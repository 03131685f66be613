"""The "Build a report" modal end to end: opened from the Home tab's button, submitted as Slack does,
answered with field errors in the acknowledgement, posted through the command's runner."""

from __future__ import annotations

import json

from bot.render.home_blocks import BUILD_REPORT_ACTION
from bot.render.modal_blocks import (
    DESTINATION_ACTION,
    DESTINATION_BLOCK,
    LABELS_ACTION,
    LABELS_BLOCK,
    PERIOD_ACTION,
    PERIOD_BLOCK,
    PERIOD_TEXT_ACTION,
    PERIOD_TEXT_BLOCK,
    REPO_ACTION,
    REPO_BLOCK,
)
from bot.render.view_limits import view_problems
from tests.slack.conftest import AppUnderTest, StartApp
from tests.slack.payloads import block_action, home_opened, send_interaction, view_submission

CONFIG = {
    "repos": ["acme/support"],
    "channels": {"CTWO": {"repos": ["acme/support", "acme/private"]}},
}


def _app(start_app: StartApp) -> AppUnderTest:
    app = start_app(config=CONFIG)
    app.slack.set_member_channels("U1", [("C1", "support"), ("CTWO", "two"), ("CLONE", "alone")])
    app.slack.set_member_channels("UBOT", [("C1", "support"), ("CTWO", "two")])  # not in CLONE
    return app


def _home(app: AppUnderTest, user: str = "U1") -> None:
    assert home_opened(app, user=user).status_code == 200
    assert app.slack.wait_for(lambda s: len(s.calls_to("views.publish")) >= 2)


def _click_build(app: AppUnderTest, user: str = "U1") -> None:
    action = {"type": "button", "action_id": BUILD_REPORT_ACTION, "value": "open"}
    payload = block_action(user=user, action=action, view={"id": "VHOME", "type": "home"})
    assert send_interaction(app, payload).status_code == 200


def _select(value: str) -> dict:
    return {"type": "static_select", "selected_option": {"value": value}}


def _text(value: str | None) -> dict:
    return {"type": "plain_text_input", "value": value}


def _values(
    *,
    period: str = "today",
    typed: str | None = None,
    repo: str = "*",
    labels: str | None = None,
    to: str = "me",
) -> dict:
    return {
        PERIOD_BLOCK: {PERIOD_ACTION: _select(period)},
        PERIOD_TEXT_BLOCK: {PERIOD_TEXT_ACTION: _text(typed)},
        REPO_BLOCK: {REPO_ACTION: _select(repo)},
        LABELS_BLOCK: {LABELS_ACTION: _text(labels)},
        DESTINATION_BLOCK: {DESTINATION_ACTION: _select(to)},
    }


def _submit(app: AppUnderTest, user: str = "U1", **values) -> dict:
    response = send_interaction(app, view_submission(user=user, values=_values(**values)))
    assert response.status_code == 200
    return response.json() if response.text else {}


def _options(view: dict, block_id: str) -> list[str]:
    (block,) = [b for b in view["blocks"] if b.get("block_id") == block_id]
    return [o["value"] for o in block["element"]["options"]]


def test_the_button_opens_the_form_with_the_viewers_repositories_and_channels(start_app: StartApp) -> None:
    app = _app(start_app)
    _home(app)
    _click_build(app)
    assert app.slack.wait_for(lambda s: bool(s.calls_to("views.open")))
    (opened,) = app.slack.calls_to("views.open")
    view = opened.body["view"]
    assert opened.body["trigger_id"]
    assert view_problems(view) == []
    assert _options(view, REPO_BLOCK) == ["*", "acme/support", "acme/private"]
    # Only channels the viewer and the bot are both in; "only me" first.
    assert _options(view, DESTINATION_BLOCK) == ["me", "C1", "CTWO"]
    assert _options(view, PERIOD_BLOCK)[:3] == ["today", "yesterday", "last 7 days"]


def test_without_known_channels_a_loading_modal_opens_and_is_filled_in(start_app: StartApp) -> None:
    app = _app(start_app)
    _click_build(app)
    assert app.slack.wait_for(lambda s: bool(s.calls_to("views.update")))
    (opened,) = app.slack.calls_to("views.open")
    assert "Looking up your channels" in json.dumps(opened.body["view"])
    (update,) = app.slack.calls_to("views.update")
    assert update.body["view_id"].startswith("V")
    assert view_problems(update.body["view"]) == []
    assert _options(update.body["view"], DESTINATION_BLOCK) == ["me", "C1", "CTWO"]


def test_a_bad_typed_period_is_answered_on_its_field_and_nothing_is_posted(start_app: StartApp) -> None:
    app = _app(start_app)
    answer = _submit(app, typed="the day after tomorrow")
    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == [PERIOD_TEXT_BLOCK]
    assert "the day after tomorrow" in answer["errors"][PERIOD_TEXT_BLOCK]
    assert app.slack.posts() == [] and app.github.requests == []


def test_bad_labels_are_answered_on_their_field(start_app: StartApp) -> None:
    app = _app(start_app)
    answer = _submit(app, labels="bug, -")
    assert list(answer["errors"]) == [LABELS_BLOCK]
    answer = _submit(app, labels="x" * 101)
    assert "at most 100 characters" in answer["errors"][LABELS_BLOCK]


def test_a_repository_the_chosen_channel_may_not_use_is_answered_on_its_field(start_app: StartApp) -> None:
    app = _app(start_app)
    _home(app)
    answer = _submit(app, repo="acme/private", to="C1")
    assert list(answer["errors"]) == [REPO_BLOCK]
    assert "#support may not report on acme/private" in answer["errors"][REPO_BLOCK]
    answer = _submit(app, to="CLONE")  # the bot is not in it
    assert list(answer["errors"]) == [DESTINATION_BLOCK]
    assert app.slack.posts() == []


def test_a_submission_posts_the_report_in_the_chosen_channel(start_app: StartApp) -> None:
    app = _app(start_app)
    _home(app)
    app.github.clear_requests()
    assert _submit(app, period="yesterday", repo="acme/private", to="CTWO", labels="bug") == {}
    assert app.slack.wait_for(lambda s: any(c.body["channel"] == "CTWO" for c in s.posts()))
    first = next(c for c in app.slack.posts() if c.body["channel"] == "CTWO")
    assert not first.body.get("thread_ts")
    assert "acme/private" in json.dumps(first.blocks)
    fetched = {"/".join(r.path.split("/")[2:4]) for r in app.github.requests if r.path.startswith("/repos/")}
    assert fetched <= {"acme/private"}


def test_only_me_sends_the_report_as_a_direct_message(start_app: StartApp) -> None:
    app = _app(start_app)
    _home(app)
    assert _submit(app, typed="2025-04-14", to="me") == {}
    assert app.slack.wait_for(lambda s: any(c.body["channel"] == "DU1" for c in s.posts()))
    assert app.slack.calls_to("conversations.open")[0].body["users"] == "U1"
    assert not any(c.body["channel"] in ("C1", "CTWO") for c in app.slack.posts())


def test_a_forged_submission_is_checked_again_with_fresh_membership(start_app: StartApp) -> None:
    app = _app(start_app)  # no Home opened: nothing known at the acknowledgement
    assert _submit(app, repo="acme/private", to="C1") == {}
    assert app.slack.wait_for(lambda s: any(c.body["channel"] == "DU1" for c in s.posts()))
    (told,) = [c for c in app.slack.posts() if c.body["channel"] == "DU1"]
    assert "acme/private" in told.body["text"] and "may not be reported" in told.body["text"]
    assert not any(c.body["channel"] == "C1" for c in app.slack.posts())
    app.slack.set_member_channels("U3", [("C1", "support")])
    assert _submit(app, user="U3", to="CTWO") == {}  # a channel U3 is not in
    assert app.slack.wait_for(lambda s: any(c.body["channel"] == "DU3" for c in s.posts()))
    (told,) = [c for c in app.slack.posts() if c.body["channel"] == "DU3"]
    assert "only in a channel you and I are both in" in told.body["text"]
    assert not any(c.body["channel"] == "CTWO" for c in app.slack.posts())


def test_an_unreadable_submission_is_answered_not_crashed(start_app: StartApp) -> None:
    app = _app(start_app)
    body = view_submission(user="U1", values={PERIOD_BLOCK: {PERIOD_ACTION: _select("next century")}})
    response = send_interaction(app, body)
    assert response.status_code == 200
    assert list(response.json()["errors"]) == [PERIOD_BLOCK]
    answer = _submit(app, to="<!channel>")
    assert list(answer["errors"]) == [DESTINATION_BLOCK]
