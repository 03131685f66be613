"""The threaded drill-down end to end: signed clicks and mentions, the thread, the duplicate guard, errors."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from bot.render import validate_message
from bot.store import Store
from bot.store.schema import drilldown_posts
from tests.db_fixtures import BackendUrl
from tests.fakes.github_data import make_issue
from tests.slack.conftest import NOW, AppUnderTest, StartApp
from tests.slack.signing import signed_headers


@pytest.fixture
def app(start_app: StartApp, tmp_path) -> AppUnderTest:
    store = Store(f"sqlite:///{tmp_path / 'drill.db'}")
    yield start_app(store=store)
    store.close()


def post_report(app: AppUnderTest) -> str:
    """`/ticket-report today` in C1; returns the report message's ts (the fake records what it answered)."""
    assert app.command("today").status_code == 200

    def top_level(slack):
        return [
            c for c in slack.calls_to("chat.postMessage") if not c.body.get("thread_ts") and "ts" in c.body
        ]

    assert app.slack.wait_for(lambda s: bool(top_level(s)))
    ts = top_level(app.slack)[0].body["ts"]
    # the report's context is stored once the post returns
    assert app.slack.wait_for(
        lambda s: app.bot.store.load_report_context(channel_id="C1", message_ts=ts) is not None
    )
    return ts


def click(
    app: AppUnderTest,
    *,
    report_ts: str,
    repo: str = "acme/support",
    number: int = 685,
    user: str = "U5",
    response: str = "click",
    message_ts: str | None = None,
    action_id: str = "ticket_details:0",
    value: str | None = None,
):
    """A signed Details click; `message_ts` names a continuation message in the report's thread;
    `value` replaces the button's value (the renderer's `{"repo":...,"number":...}`)."""
    message = {"ts": message_ts or report_ts, "text": "report"}
    container = {"type": "message", "message_ts": message_ts or report_ts, "channel_id": "C1"}
    if message_ts:
        message["thread_ts"] = container["thread_ts"] = report_ts
    payload = {
        "type": "block_actions",
        "team": {"id": "T0FAKE"},
        "user": {"id": user},
        "api_app_id": "A0FAKE",
        "channel": {"id": "C1"},
        "container": container,
        "message": message,
        "response_url": app.slack.response_url(response),
        "trigger_id": "1.2.3",
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "b0",
                "value": json.dumps({"repo": repo, "number": number}) if value is None else value,
                "action_ts": "1700000001.0",
            }
        ],
    }
    body = urlencode({"payload": json.dumps(payload)}).encode()
    response = app.post(body, headers=signed_headers(body))
    assert response.status_code == 200
    return response


def mention(app: AppUnderTest, text: str, *, thread_ts: str, event_id: str = "Ev1"):
    event = {
        "token": "x",
        "team_id": "T0FAKE",
        "api_app_id": "A0FAKE",
        "type": "event_callback",
        "event_id": event_id,
        "event_time": 1700000000,
        "event": {
            "type": "app_mention",
            "user": "U5",
            "text": text,
            "ts": "1700000099.000100",
            "thread_ts": thread_ts,
            "channel": "C1",
            "event_ts": "1700000099.000100",
        },
    }
    body = json.dumps(event).encode()
    assert app.post(body, headers=signed_headers(body, content_type="application/json")).status_code == 200


def thread_posts(app: AppUnderTest, ts: str):
    return [c for c in app.slack.calls_to("chat.postMessage") if c.body.get("thread_ts") == ts]


def ephemeral_texts(app: AppUnderTest) -> list[str]:
    calls = app.slack.calls_to("response_url") + app.slack.calls_to("chat.postEphemeral")
    return [str(c.body.get("text", "")) for c in calls]


def test_details_posts_the_tickets_story_in_the_reports_thread_within_three_requests(app):
    report_ts = post_report(app)
    app.github.clear_requests()
    click(app, report_ts=report_ts, number=685)
    assert app.slack.wait_for(lambda s: len(thread_posts(app, report_ts)) == 1)
    (reply,) = thread_posts(app, report_ts)
    message = {"text": reply.body["text"], "blocks": reply.blocks}
    validate_message(message)
    text = json.dumps(reply.blocks)
    assert "#685" in text and "Stuck at" in text
    assert "in the report for 2025-04-14 to 2025-04-14" in text  # the report's own score and why
    assert "https://github.com/acme/support/issues/685" in text  # Open on GitHub
    assert len(app.github.requests) <= 3


def test_a_second_click_links_to_the_existing_reply_instead_of_posting_again(app):
    report_ts = post_report(app)
    click(app, report_ts=report_ts, number=686)
    assert app.slack.wait_for(lambda s: len(thread_posts(app, report_ts)) == 1)
    # The fake records the reply before the bot hears its ts back; click again once it is stored.
    key = {"channel_id": "C1", "thread_ts": report_ts, "repo": "acme/support", "number": 686}
    assert app.slack.wait_for(lambda s: app.bot.store.find_drilldown(**key) is not None)
    click(app, report_ts=report_ts, number=686, user="U6", response="second")
    assert app.slack.wait_for(lambda s: any("already posted" in t for t in ephemeral_texts(app)))
    assert len(thread_posts(app, report_ts)) == 1
    assert any("https://fake.slack.test/archives/C1/" in t for t in ephemeral_texts(app))


def test_a_mention_with_a_number_answers_in_that_thread(app):
    report_ts = post_report(app)
    mention(app, "<@UBOT> 687", thread_ts=report_ts)
    assert app.slack.wait_for(lambda s: len(thread_posts(app, report_ts)) == 1)
    text = json.dumps(thread_posts(app, report_ts)[0].blocks)
    assert "#687" in text
    assert "<!channel>" not in text and "<@U123>" not in text and "<!everyone>" not in text


@pytest.mark.parametrize(
    ("repo", "number", "needle"),
    [
        ("acme/support", 9999, "9999"),  # unknown number
        ("acme/private", 685, "acme/private"),  # not allowed in this channel
    ],
)
def test_bad_tickets_get_a_clear_ephemeral_answer_and_no_post(app, repo, number, needle):
    report_ts = post_report(app)
    app.github.clear_requests()
    click(app, report_ts=report_ts, repo=repo, number=number)
    assert app.slack.wait_for(lambda s: any(needle in t for t in ephemeral_texts(app)))
    assert thread_posts(app, report_ts) == []
    if repo == "acme/private":
        assert app.github.requests == []  # refused before GitHub is asked


def test_a_pull_request_number_is_refused(app):
    app.github.add_repo(
        "acme/support", issues=[make_issue(700, title="A fix", created_at=NOW, pull_request=True)]
    )
    report_ts = post_report(app)
    click(app, report_ts=report_ts, number=700)
    assert app.slack.wait_for(lambda s: any("pull request" in t for t in ephemeral_texts(app)))
    assert thread_posts(app, report_ts) == []


def test_a_failed_reply_does_not_block_the_next_click(app):
    report_ts = post_report(app)
    app.slack.fail_thread_replies("msg_too_long")
    click(app, report_ts=report_ts, number=685)
    assert app.slack.wait_for(lambda s: len(ephemeral_texts(app)) >= 1)
    assert (
        app.bot.store.find_drilldown(channel_id="C1", thread_ts=report_ts, repo="acme/support", number=685)
        is None
    )


@pytest.mark.parametrize(
    "text", ["issue 686", "#686", "acme/support#686", "https://github.com/acme/support/issues/686"]
)
def test_the_slash_command_posts_a_drilldown_as_a_new_channel_message(app, text):
    response = app.command(text)
    assert response.status_code == 200 and "686" in response.text
    assert app.slack.wait_for(lambda s: len(s.calls_to("chat.postMessage")) == 1)
    (post,) = app.slack.calls_to("chat.postMessage")
    assert not post.body.get("thread_ts")
    assert "#686" in json.dumps(post.blocks)


def test_a_click_in_a_continuation_message_replies_in_the_reports_thread(app):
    report_ts = post_report(app)
    click(app, report_ts=report_ts, number=685, message_ts="1700000000.999999")
    assert app.slack.wait_for(lambda s: len(thread_posts(app, report_ts)) == 1)
    assert thread_posts(app, "1700000000.999999") == []


def test_a_deleted_issue_gets_a_clear_ephemeral_answer(app):
    report_ts = post_report(app)
    app.github.delete_issue("acme/support", 686)
    click(app, report_ts=report_ts, number=686)
    assert app.slack.wait_for(lambda s: any("deleted" in t for t in ephemeral_texts(app)))
    assert thread_posts(app, report_ts) == []


def test_the_open_on_github_link_button_is_acknowledged_and_does_nothing_else(app):
    report_ts = post_report(app)
    before = len(app.slack.calls)
    app.github.clear_requests()
    response = click(app, report_ts=report_ts, action_id="ticket_open_github")
    assert response.status_code == 200  # Bolt answers 404 for an action nobody listens to
    assert len(app.slack.calls) == before and app.github.requests == []


def test_a_mention_without_a_ticket_number_says_how_to_ask(app):
    report_ts = post_report(app)
    mention(app, "<@UBOT> what is this?", thread_ts=report_ts)
    assert app.slack.wait_for(lambda s: any("ticket number" in t for t in ephemeral_texts(app)))
    assert thread_posts(app, report_ts) == []


def test_a_mention_and_a_click_for_the_same_ticket_post_it_once(app):
    report_ts = post_report(app)
    mention(app, "<@UBOT> #685", thread_ts=report_ts)
    assert app.slack.wait_for(lambda s: len(thread_posts(app, report_ts)) == 1)
    key = {"channel_id": "C1", "thread_ts": report_ts, "repo": "acme/support", "number": 685}
    assert app.slack.wait_for(lambda s: app.bot.store.find_drilldown(**key) is not None)
    click(app, report_ts=report_ts, number=685)
    assert app.slack.wait_for(lambda s: any("already posted" in t for t in ephemeral_texts(app)))
    assert len(thread_posts(app, report_ts)) == 1


def test_a_number_alone_is_ambiguous_in_a_channel_with_several_repositories(start_app, tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'drill2.db'}")
    try:
        config = {"channels": {"CBOTH": {"repos": ["acme/support", "acme/private"]}}}
        app = start_app(config=config, store=store)
        app.github.clear_requests()
        answer = app.command("#686", channel="CBOTH").json()["text"]
        assert "name the one you mean" in answer and "acme/support#686" in answer
        assert app.github.requests == [] and app.slack.calls_to("chat.postMessage") == []
        named = app.command("acme/private#686", channel="CBOTH").json()["text"]
        assert "Looking up acme/private#686" in named
        assert app.slack.wait_for(lambda s: len(s.calls_to("chat.postMessage")) == 1)
        assert len(app.github.requests) <= 3
    finally:
        store.close()


@pytest.fixture
def backend_app(start_app: StartApp, backend_url: BackendUrl) -> AppUnderTest:
    """The app with its store on SQLite and on PostgreSQL (when TEST_DATABASE_URL is set)."""
    store = backend_url.store()
    yield start_app(store=store)
    store.close()


OUT_OF_DATE_VALUES = {
    "a number of 30 digits": '{"repo":"acme/support","number":123456789012345678901234567890}',
    "a number past a database integer": '{"repo":"acme/support","number":2147483648}',
    "a negative number": '{"repo":"acme/support","number":-685}',
    "zero": '{"repo":"acme/support","number":0}',
    "a fraction": '{"repo":"acme/support","number":685.5}',
    "true": '{"repo":"acme/support","number":true}',
    "a number in words": '{"repo":"acme/support","number":"six"}',
    "a list": '{"repo":"acme/support","number":[685]}',
    "no number": '{"repo":"acme/support"}',
    "no repository": '{"number":685}',
    "a repository that is no name": '{"repo":"../../etc","number":685}',
    "a repository that is an object": '{"repo":{"name":"acme/support"},"number":685}',
    "no JSON": "ticket 685",
    "a JSON list": '["acme/support", 685]',
    "JSON nested deep": "[" * 5000 + "]" * 5000,
    "empty": "",
}


@pytest.mark.parametrize("value", OUT_OF_DATE_VALUES.values(), ids=OUT_OF_DATE_VALUES.keys())
def test_a_malformed_or_out_of_range_button_value_is_out_of_date_on_every_backend(
    backend_app: AppUnderTest, value: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = backend_app
    report_ts = post_report(app)
    app.github.clear_requests()
    click(app, report_ts=report_ts, value=value)
    assert app.slack.wait_for(lambda s: len(ephemeral_texts(app)) >= 1)
    (text,) = ephemeral_texts(app)
    assert "This button is out of date" in text
    assert "went wrong" not in text
    assert thread_posts(app, report_ts) == [] and app.github.requests == []
    assert not [record for record in caplog.records if record.exc_info]
    drilldowns = app.bot.store.engine.connect()
    try:
        assert drilldowns.execute(sa.select(sa.func.count()).select_from(drilldown_posts)).scalar() == 0
    finally:
        drilldowns.close()


def test_drilldown_failures_speak_of_the_drilldown(app: AppUnderTest) -> None:
    report_ts = post_report(app)
    app.github.fail_next(20, 503)
    click(app, report_ts=report_ts, number=685)
    assert app.slack.wait_for(lambda s: len(ephemeral_texts(app)) >= 1)
    (github_down,) = ephemeral_texts(app)
    assert github_down.startswith("I couldn't show the details of acme/support#685:")
    assert "report" not in github_down


def test_a_refused_drilldown_post_speaks_of_the_drilldown(app: AppUnderTest) -> None:
    report_ts = post_report(app)
    app.slack.fail_thread_replies("restricted_action")
    click(app, report_ts=report_ts, number=686)
    assert app.slack.wait_for(lambda s: len(ephemeral_texts(app)) >= 1)
    (refused,) = ephemeral_texts(app)
    assert "the details of acme/support#686" in refused and "restricted_action" in refused
    assert "report" not in refused


def test_an_html_page_from_slack_is_told_as_a_drilldown_failure_in_words(app: AppUnderTest) -> None:
    report_ts = post_report(app)
    app.slack.answer_with_page("chat.postMessage", status=502)
    click(app, report_ts=report_ts, number=685)
    assert app.slack.wait_for(lambda s: len(ephemeral_texts(app)) >= 1)
    (text,) = ephemeral_texts(app)
    assert "the details of acme/support#685" in text
    for raw in ("non-JSON", "Received a response", "html", "Bad Gateway"):
        assert raw not in text


def test_a_drilldown_whose_answer_slack_lost_is_told_unconfirmed_and_never_posted_twice(
    app: AppUnderTest,
) -> None:
    report_ts = post_report(app)
    app.slack.lose_answers(1, status=500)  # Slack stores the reply, then answers 500
    app.slack.fail_history("missing_scope")  # and the bot cannot look for it
    click(app, report_ts=report_ts, number=685)
    assert app.slack.wait_for(lambda s: len(ephemeral_texts(app)) >= 1)
    (text,) = ephemeral_texts(app)
    assert "did not confirm" in text and "acme/support#685" in text and "refused" not in text
    click(app, report_ts=report_ts, number=685)  # asked again: told again, not posted again
    assert app.slack.wait_for(lambda s: len(ephemeral_texts(app)) >= 2)
    assert "did not confirm" in ephemeral_texts(app)[-1]
    assert len(thread_posts(app, report_ts)) == 1
