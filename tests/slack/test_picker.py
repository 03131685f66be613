"""The period picker end to end: every posted report carries it, and a choice re-runs the report in the
same thread (or privately) through the command's own rules, queue and cache."""

from __future__ import annotations

import json
from datetime import UTC

from bot.render import validate_message
from bot.render.formatting import period_days
from bot.render.picker_blocks import PICKER_ACTION, PICKER_BLOCK
from bot.render.view_limits import element_problems
from bot.report.periods import parse_period
from tests.slack.conftest import NOW, AppUnderTest, StartApp
from tests.slack.payloads import block_action, send_interaction

CONFIG = {
    "repos": ["acme/support"],
    "channels": {"CTWO": {"repos": ["acme/support", "acme/private"]}},
}


def _top_level(app: AppUnderTest) -> list:
    return [c for c in app.slack.posts() if not c.body.get("thread_ts")]


def _picker(blocks: list[dict]) -> dict:
    (block,) = [b for b in blocks if b.get("block_id") == PICKER_BLOCK]
    return block["elements"][0]


def _options(select: dict) -> dict[str, str]:
    """Option text -> value, across option groups."""
    options = [o for g in select.get("option_groups") or [] for o in g["options"]] + select.get("options", [])
    return {o["text"]["text"]: o["value"] for o in options}


def _has_picker(call) -> bool:
    return any(b.get("block_id") == PICKER_BLOCK for b in call.blocks)


def _post_report(app: AppUnderTest, text: str = "today", *, channel: str = "CTWO") -> tuple[str, object]:
    """Post a report; its first message's ts, and the message that carries the picker (its last)."""
    assert app.command(text, channel=channel).status_code == 200
    assert app.slack.wait_for(lambda s: any(_has_picker(c) for c in s.posts()))
    first = _top_level(app)[0]
    (carrier,) = [c for c in app.slack.posts() if _has_picker(c)]
    return first.body["ts"], carrier


def _choose(app: AppUnderTest, value: str, *, ts: str, channel: str = "CTWO", user: str = "U7", **extra):
    action = {"type": "static_select", "action_id": PICKER_ACTION, "selected_option": {"value": value}}
    payload = block_action(user=user, action=action, channel=channel, message={"ts": ts, **extra})
    payload["response_url"] = app.slack.response_url("pick")
    response = send_interaction(app, payload)
    assert response.status_code == 200
    return response


def _repos_fetched(app: AppUnderTest) -> set[str]:
    return {"/".join(r.path.split("/")[2:4]) for r in app.github.requests if r.path.startswith("/repos/")}


def _new(app: AppUnderTest, before: int) -> list:
    """Messages posted since the report's own `before` messages."""
    return app.slack.posts()[before:]


def _told(app: AppUnderTest) -> list[str]:
    calls = app.slack.calls_to("response_url") + app.slack.calls_to("chat.postEphemeral")
    return [str(c.body.get("text", "")) for c in calls]


def test_a_posted_report_carries_one_picker_with_the_periods_and_the_channels_repositories(
    start_app: StartApp,
) -> None:
    app = start_app(config=CONFIG)
    _, post = _post_report(app)
    message = {"text": post.body["text"], "blocks": post.blocks}
    validate_message(message)
    select = _picker(post.blocks)
    assert element_problems(select) == []
    assert list(_options(select)) == [
        "Today",
        "Yesterday",
        "Last 7 days",
        "This week",
        "Last week",
        "This month",
        "acme/support",
        "acme/private",
    ]


def test_a_channel_with_one_repository_gets_periods_only(start_app: StartApp) -> None:
    app = start_app()
    _, post = _post_report(app, channel="C1")
    select = _picker(post.blocks)
    assert "option_groups" not in select
    assert len(select["options"]) == 6


def test_choosing_a_period_posts_that_report_in_the_reports_thread(start_app: StartApp) -> None:
    app = start_app(config=CONFIG)
    ts, post = _post_report(app)
    before = len(app.slack.posts())
    _choose(app, _options(_picker(post.blocks))["Yesterday"], ts=ts)
    assert app.slack.wait_for(lambda s: bool(_new(app, before)))
    assert app.slack.wait_for(lambda s: _has_picker(s.posts()[-1]))  # the whole re-run is in
    replies = _new(app, before)
    assert {c.body.get("thread_ts") for c in replies} == {ts}
    assert {c.body.get("channel") for c in replies} == {"CTWO"}
    reply = replies[0]
    yesterday = parse_period("yesterday", now=NOW, tz=UTC)
    assert period_days(yesterday) in json.dumps(reply.blocks, ensure_ascii=False)
    validate_message({"text": reply.body["text"], "blocks": reply.blocks})
    assert len(_top_level(app)) == 1  # nothing new at the top of the channel


def test_a_choice_from_a_reply_in_the_thread_answers_in_the_same_thread(start_app: StartApp) -> None:
    app = start_app(config=CONFIG)
    ts, post = _post_report(app)
    before = len(app.slack.posts())
    _choose(app, _options(_picker(post.blocks))["Last week"], ts="1700000099.000001", thread_ts=ts)
    assert app.slack.wait_for(lambda s: bool(_new(app, before)))
    assert app.slack.wait_for(lambda s: _has_picker(s.posts()[-1]))  # the whole re-run is in
    assert {c.body.get("thread_ts") for c in _new(app, before)} == {ts}


def test_choosing_a_repository_reports_only_on_it_and_reuses_the_fetch_cache(start_app: StartApp) -> None:
    app = start_app(config=CONFIG)
    ts, post = _post_report(app)
    before = len(app.slack.posts())
    app.github.clear_requests()
    _choose(app, _options(_picker(post.blocks))["acme/private"], ts=ts)
    assert app.slack.wait_for(lambda s: bool(_new(app, before)))
    text = json.dumps(_new(app, before)[0].blocks)
    assert "acme/private" in text
    # The same period of a repository already fetched for the first report: read from the cache.
    assert app.github.requests == []


def test_a_private_reports_picker_answers_privately(start_app: StartApp) -> None:
    app = start_app(config=CONFIG)
    assert app.command("today private", channel="CTWO").status_code == 200
    assert app.slack.wait_for(lambda s: any(_has_picker(c) for c in s.calls_to("response_url")))
    (answer,) = [c for c in app.slack.calls_to("response_url") if _has_picker(c)]
    value = _options(_picker(answer.blocks))["Yesterday"]
    assert json.loads(value)["x"] == 1
    _choose(app, value, ts="")
    assert app.slack.wait_for(lambda s: any(c.path == "/response/pick" for c in s.calls_to("response_url")))
    assert app.slack.posts() == []  # nothing in the channel


def test_a_forged_choice_cannot_reach_a_repository_the_channel_may_not_use(start_app: StartApp) -> None:
    app = start_app(config=CONFIG)
    ts, _ = _post_report(app, channel="CGENERAL")
    before = len(app.slack.posts())
    app.github.clear_requests()
    # Bits for both of CTWO's repositories, sent from a channel that has only the default one.
    _choose(app, json.dumps({"p": "today", "r": "3", "x": 0}), ts=ts, channel="CGENERAL")
    assert app.slack.wait_for(lambda s: bool(_new(app, before)))
    assert "acme/private" not in _repos_fetched(app)
    assert "acme/private" not in json.dumps(_new(app, before)[0].blocks)


def test_a_choice_naming_no_repository_of_the_channel_is_answered_and_posts_nothing(
    start_app: StartApp,
) -> None:
    app = start_app(config=CONFIG)
    ts, _ = _post_report(app, channel="CGENERAL")
    before = len(app.slack.posts())
    _choose(app, json.dumps({"p": "today", "r": "2", "x": 0}), ts=ts, channel="CGENERAL")
    assert app.slack.wait_for(lambda s: any("repositories have changed" in t for t in _told(app)))
    assert _new(app, before) == []


def test_an_unreadable_choice_is_answered_in_words(start_app: StartApp) -> None:
    app = start_app(config=CONFIG)
    ts, _ = _post_report(app)
    before = len(app.slack.posts())
    for value in ('{"p":"today"}', "not json", json.dumps({"p": "x" * 200, "r": "*", "x": 0})):
        _choose(app, value, ts=ts)
    assert app.slack.wait_for(lambda s: sum("could not read that choice" in t for t in _told(app)) == 3)
    assert _new(app, before) == []


def test_a_bad_period_in_a_choice_gets_the_commands_own_answer(start_app: StartApp) -> None:
    app = start_app(config=CONFIG)
    ts, _ = _post_report(app)
    before = len(app.slack.posts())
    _choose(app, json.dumps({"p": "2999-01-01", "r": "*", "x": 0}), ts=ts)
    assert app.slack.wait_for(lambda s: any("Usage" in t for t in _told(app)))
    assert _new(app, before) == []


def test_a_week_chosen_in_the_picker_brings_its_chart_into_the_same_thread(start_app: StartApp) -> None:
    app = start_app(config=CONFIG)
    ts, post = _post_report(app)  # a day: no chart of its own
    assert app.slack.calls_to("files.completeUploadExternal") == []
    _choose(app, _options(_picker(post.blocks))["Last week"], ts=ts)
    assert app.slack.wait_for(lambda s: len(s.calls_to("files.completeUploadExternal")) >= 1)
    (complete,) = app.slack.calls_to("files.completeUploadExternal")
    assert complete.body["thread_ts"] == ts and complete.body["channel_id"] == "CTWO"
