"""`/ticket-report` end to end: acknowledgement, the report posted in the channel, private reports,
the user's timezone, help, and GitHub text that must never ping anyone."""

from __future__ import annotations

import json

from slack_sdk.models.blocks import Block

from bot.render import validate_message
from tests.fakes.slack_server import FakeSlack, SlackCall
from tests.slack.conftest import HOSTILE_TITLE, StartApp


def _outgoing_json(slack: FakeSlack) -> str:
    """Everything the bot sent to Slack that people could read."""
    sent = [
        call.body
        for call in slack.calls
        if call.method in ("chat.postMessage", "chat.postEphemeral", "response_url")
    ]
    return json.dumps(sent, ensure_ascii=False)


def _message(call: SlackCall) -> dict[str, object]:
    return {"text": call.body["text"], "blocks": call.blocks}


def test_the_report_is_posted_to_the_channel_with_valid_blocks(start_app: StartApp) -> None:
    app = start_app()
    ack = app.command("", channel="C1")
    assert ack.status_code == 200
    assert ack.json() == {
        "response_type": "ephemeral",
        "text": "Building the ticket report for *today* on `acme/support` for this channel…",
        "blocks": [
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "Building the ticket report for *today* on `acme/support` for this channel…",
                },
            }
        ],
    }
    assert app.slack.wait_for(lambda slack: len(slack.posts()) >= 1)
    posts = app.slack.posts()
    assert [post.body["channel"] for post in posts] == ["C1"] * len(posts)
    assert "thread_ts" not in posts[0].body
    assert all(post.body.get("thread_ts") == posts[0].body["ts"] for post in posts[1:])
    for post in posts:
        validate_message(_message(post))
        for block in post.blocks:
            parsed = Block.parse(block)
            assert parsed is not None, block
            assert parsed.to_dict()["type"] == block["type"]
    first = json.dumps(posts[0].blocks, ensure_ascii=False)
    assert "Mon 14 Apr 2025" in first
    assert "#685" in first and "#686" in first
    assert app.slack.calls_to("response_url") == []  # nothing went wrong: no ephemeral follow-up


def test_text_from_github_never_becomes_a_mention(start_app: StartApp) -> None:
    app = start_app()
    app.command("today")
    assert app.slack.wait_for(lambda slack: len(slack.posts()) >= 1)
    sent = _outgoing_json(app.slack)
    assert "fix" in sent and "script" in sent  # the hostile ticket is in the report...
    for live in ("<!channel>", "<!here>", "<!everyone>", "<@U123>", "<@U42>", "<@U999>", "<script>"):
        assert live not in sent  # ...but none of its mentions survive
    assert "<!" not in sent and "<@" not in sent
    assert "&lt;!channel&gt;" in sent
    assert "@here" not in sent  # Slack reads a bare @here as a mention in fallback text
    assert HOSTILE_TITLE not in sent


def test_private_reports_go_only_to_the_requester(start_app: StartApp) -> None:
    app = start_app()
    ack = app.command("today private", response_url=app.slack.response_url("private-1"))
    assert "just for you" in ack.json()["text"]
    assert app.slack.wait_for(lambda slack: len(slack.calls_to("response_url")) >= 1)
    answers = app.slack.calls_to("response_url")
    assert all(call.path == "/response/private-1" for call in answers)
    assert all(call.body["response_type"] == "ephemeral" for call in answers)
    for call in answers:
        validate_message(_message(call))
    assert "Mon 14 Apr 2025" in json.dumps(answers[0].blocks)
    assert app.slack.calls_to("chat.postMessage") == []


def test_a_private_report_falls_back_to_post_ephemeral_when_the_response_url_has_expired(
    start_app: StartApp,
) -> None:
    app = start_app()
    app.slack.fail_response_urls(404)
    app.command("today private", user="U7", channel="C1")
    assert app.slack.wait_for(lambda slack: len(slack.calls_to("chat.postEphemeral")) >= 1)
    ephemeral = app.slack.calls_to("chat.postEphemeral")
    assert {(call.body["channel"], call.body["user"]) for call in ephemeral} == {("C1", "U7")}
    assert app.slack.calls_to("chat.postMessage") == []


def test_today_is_the_requesting_users_today(start_app: StartApp) -> None:
    """At 21:07 UTC on 14 April it is already 15 April in Auckland."""
    app = start_app()
    app.slack.set_user_timezone("UNZ", "Pacific/Auckland")
    app.command("today", user="UNZ")
    assert app.slack.wait_for(lambda slack: len(slack.posts()) >= 1)
    assert "Tue 15 Apr 2025" in json.dumps(app.slack.posts()[0].blocks)

    # The zone is cached now: the next acknowledgement names the user's day, and Slack is not asked again.
    ack = app.command("yesterday", user="UNZ")
    assert "*yesterday (2025-04-14 to 2025-04-14)*" in ack.json()["text"]
    assert app.slack.wait_for(lambda slack: len(slack.posts()) >= 2)
    assert len(app.slack.calls_to("users.info")) == 1


def test_a_user_without_a_slack_timezone_gets_the_configured_one(start_app: StartApp) -> None:
    app = start_app(config={"repos": ["acme/support"], "timezone": "America/Los_Angeles"})
    app.slack.set_user_timezone("UNOTZ", None)
    app.command("today", user="UNOTZ")
    assert app.slack.wait_for(lambda slack: len(slack.posts()) >= 1)
    # 21:07 UTC is 14:07 in Los Angeles: still the 14th there.
    assert "Mon 14 Apr 2025" in json.dumps(app.slack.posts()[0].blocks)


def test_top_and_labels_reach_the_report(start_app: StartApp) -> None:
    app = start_app()
    app.command("today top:1 label:bug")
    assert app.slack.wait_for(lambda slack: len(slack.posts()) >= 1)
    posted = [block for post in app.slack.posts() for block in post.blocks]
    menus = [block.get("accessory", {}) for block in posted]
    most_active = [
        option
        for menu in menus
        if menu.get("action_id", "").startswith("ticket_details:active")
        for option in menu["options"]
    ]
    assert len(most_active) == 1
    assert "#687" not in json.dumps(posted, ensure_ascii=False)  # labelled question, not bug


def test_help_answers_at_once_without_asking_github(start_app: StartApp) -> None:
    app = start_app()
    ack = app.command("help")
    text = ack.json()["text"]
    assert ack.json()["response_type"] == "ephemeral"
    assert "*Usage:*" in text and "`acme/support`" in text and "/invite @ticket-report" in text
    assert app.github.requests == []
