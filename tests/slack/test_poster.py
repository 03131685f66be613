"""The Web API poster against the fake Slack: threads for long reports, limits checked before sending."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.render import InvalidSlackMessage
from bot.slack.poster import (
    NotInChannel,
    PartlyPosted,
    Requester,
    SlackPoster,
    SlackPostError,
    make_web_client,
)
from tests.fakes.slack_server import FakeSlack
from tests.slack.signing import TOKEN


def _message(text: str) -> dict[str, Any]:
    return {"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack(token=TOKEN) as fake:
        yield fake


@pytest.fixture
def poster(slack: FakeSlack) -> SlackPoster:
    return SlackPoster(make_web_client(token=TOKEN, base_url=slack.api_url))


def test_a_report_in_several_messages_continues_in_the_first_ones_thread(
    slack: FakeSlack, poster: SlackPoster
) -> None:
    ts = poster.post_report("C1", [_message("part 1"), _message("part 2"), _message("part 3")])
    posts = slack.posts()
    assert [post.body["text"] for post in posts] == ["part 1", "part 2", "part 3"]
    assert "thread_ts" not in posts[0].body and posts[0].body["ts"] == ts
    assert [post.body["thread_ts"] for post in posts[1:]] == [ts, ts]
    assert all(post.body["unfurl_links"] is False for post in posts)
    assert all(post.headers["authorization"] == f"Bearer {TOKEN}" for post in posts)


def test_an_invalid_message_is_never_sent(slack: FakeSlack, poster: SlackPoster) -> None:
    too_many_blocks = {"text": "x", "blocks": [_message("b")["blocks"][0]] * 51}
    with pytest.raises(InvalidSlackMessage):
        poster.post_report("C1", [_message("fine"), too_many_blocks])
    assert slack.calls == []  # checked before the first message went out


def test_not_in_channel_is_its_own_error(slack: FakeSlack, poster: SlackPoster) -> None:
    slack.fail_channel("C1", "not_in_channel")
    with pytest.raises(NotInChannel):
        poster.post_report("C1", [_message("x")])


def test_retries_on_429_are_bounded(slack: FakeSlack, poster: SlackPoster) -> None:
    slack.rate_limit_next(5, method="chat.postMessage")
    with pytest.raises(SlackPostError) as error:
        poster.post_report("C1", [_message("one")])
    assert error.value.error == "ratelimited"
    assert [call.status for call in slack.calls_to("chat.postMessage")] == [429, 429, 429]  # 1 + 2 retries


def test_a_failure_inside_the_thread_names_the_message_that_was_posted(
    slack: FakeSlack, poster: SlackPoster
) -> None:
    slack.fail_thread_replies("msg_too_long")
    with pytest.raises(PartlyPosted) as error:
        poster.post_report("C1", [_message("one"), _message("two")])
    (posted,) = slack.posts()
    assert error.value.ts == posted.body["ts"]
    assert error.value.error == "msg_too_long"


def test_answers_go_to_the_response_url_and_fall_back_to_post_ephemeral(
    slack: FakeSlack, poster: SlackPoster
) -> None:
    requester = Requester(user_id="U1", channel_id="C1", response_url=slack.response_url("a"))
    poster.tell(requester, "hello")
    (answer,) = slack.calls_to("response_url")
    assert answer.body == {
        "text": "hello",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hello"}}],
        "response_type": "ephemeral",
        "replace_original": False,
        "unfurl_links": False,
        "unfurl_media": False,
    }
    slack.fail_response_urls(404)
    poster.tell(requester, "again")
    (ephemeral,) = slack.calls_to("chat.postEphemeral")
    assert (ephemeral.body["channel"], ephemeral.body["user"]) == ("C1", "U1")
    assert ephemeral.body["text"] == "again"


def test_telling_never_raises(slack: FakeSlack, poster: SlackPoster) -> None:
    slack.fail_channel("C1", "channel_not_found")
    poster.tell(Requester(user_id="U1", channel_id="C1"), "nobody hears this")
    poster.tell(Requester(user_id="U1", channel_id="C1"), "x" * 4000)  # over Slack's limits: logged
    assert len(slack.calls_to("chat.postEphemeral")) == 1
