"""The Web API poster against the fake Slack: threads for long reports, limits checked before sending."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.delivery.ids import Delivery, delivery_id_of
from bot.render import InvalidSlackMessage
from bot.slack.poster import (
    NotInChannel,
    PartlyPosted,
    PostUnconfirmed,
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


# An answer lost after Slack took the message -------------------------------------------------


@pytest.fixture
def careful(slack: FakeSlack) -> SlackPoster:
    """A poster that looks for an uncertain post at once, with a client that gives up after a second."""
    return SlackPoster(make_web_client(token=TOKEN, base_url=slack.api_url, timeout=1), settle_seconds=0)


def test_a_post_answered_500_after_slack_took_it_is_found_in_the_channel_not_sent_again(
    slack: FakeSlack, careful: SlackPoster
) -> None:
    slack.lose_answers(1, status=500)
    ts = careful.post_report("C1", [_message("the report")])
    [posted] = slack.messages("C1")
    assert posted["ts"] == ts
    assert len(slack.calls_to("chat.postMessage")) == 1  # never retried
    [lookup] = slack.calls_to("conversations.history")
    assert lookup.body["channel"] == "C1" and lookup.body["include_all_metadata"] in ("true", "1", True)
    assert float(lookup.body["oldest"]) <= float(ts)


def test_a_post_whose_answer_timed_out_is_found_in_the_channel_not_sent_again(
    slack: FakeSlack, careful: SlackPoster
) -> None:
    slack.lose_answers(1, hold=3)
    ts = careful.post_report("C1", [_message("the report")])
    assert [m["ts"] for m in slack.messages("C1")] == [ts]
    assert len(slack.calls_to("chat.postMessage")) == 1


def test_every_channel_message_carries_its_delivery_id(slack: FakeSlack, careful: SlackPoster) -> None:
    careful.post_report("C1", [_message("one"), _message("two")], delivery=Delivery(id="d" * 32))
    first, second = slack.messages("C1")
    assert delivery_id_of(first) == "d" * 32
    assert delivery_id_of(second) == "d" * 32 + "-1"


def test_a_lost_answer_in_the_thread_is_found_among_the_replies(
    slack: FakeSlack, careful: SlackPoster
) -> None:
    ts = careful.post_report("C1", [_message("one")])
    slack.lose_answers(1, status=503)
    [reply] = careful.post_in_thread("C1", thread_ts=ts, messages=[_message("one, continued")])
    assert [(m["text"], m["ts"]) for m in slack.messages("C1")] == [("one", ts), ("one, continued", reply)]
    assert slack.calls_to("conversations.replies")[0].body["ts"] == ts


def test_a_post_that_cannot_be_checked_is_unconfirmed_and_not_sent_again(
    slack: FakeSlack, careful: SlackPoster
) -> None:
    slack.fail_history("missing_scope")
    slack.lose_answers(1, status=500)
    with pytest.raises(PostUnconfirmed) as error:
        careful.post_report("C1", [_message("the report")])
    assert error.value.error == "Slack answered HTTP 500; checking the channel failed (missing_scope)"
    assert len(slack.messages("C1")) == 1
    assert len(slack.calls_to("chat.postMessage")) == 1


def test_a_post_not_found_in_the_channel_is_unconfirmed_and_not_sent_again(
    slack: FakeSlack, careful: SlackPoster
) -> None:
    slack.lose_answers(1, status=500, posted=False)
    with pytest.raises(PostUnconfirmed) as error:
        careful.post_report("C1", [_message("the report")])
    assert "not found in the channel" in error.value.error
    assert "non-JSON" not in error.value.error and "<html>" not in error.value.error
    assert slack.messages("C1") == []
    assert len(slack.calls_to("chat.postMessage")) == 1


def test_a_post_gated_off_sends_nothing(slack: FakeSlack, careful: SlackPoster) -> None:
    assert careful.post_report("C1", [_message("x")], delivery=Delivery(begin=lambda: False)) == ""
    assert slack.calls == []


def test_reads_are_still_retried_on_server_errors(slack: FakeSlack, careful: SlackPoster) -> None:
    """conversations.history repeats harmlessly; only posts are never repeated blindly."""
    careful.post_report("C1", [_message("one")])
    slack.lose_answers(1, status=500)
    careful.post_report("C1", [_message("two")])
    assert len(slack.calls_to("conversations.history")) == 1


def test_an_answer_whose_response_url_failed_with_a_server_error_is_not_sent_again(
    slack: FakeSlack, poster: SlackPoster
) -> None:
    requester = Requester(user_id="U1", channel_id="C1", response_url=slack.response_url("a"))
    slack.fail_response_urls(500)
    poster.tell(requester, "only once")
    assert len(slack.calls_to("response_url")) == 1  # not retried
    assert slack.calls_to("chat.postEphemeral") == []  # nor sent another way
