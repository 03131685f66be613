"""The chat client against a fake OpenAI-compatible server: one request, one answer or one error."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from bot.llm.client import ChatClient, ModelError
from tests.fakes.llm_server import FakeLLM, Reply

MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "<data>\n{}\n</data>"}]


@pytest.fixture
def llm() -> Iterator[FakeLLM]:
    with FakeLLM() as fake:
        yield fake


def test_posts_model_messages_and_temperature_zero_to_chat_completions(llm):
    llm.respond = lambda request: Reply.text("  Plain answer.  ")
    client = ChatClient(base_url=llm.url + "/", model="llama3.1:8b")
    assert client.complete(MESSAGES, timeout=5) == "  Plain answer.  "
    (request,) = llm.requests
    assert request.path == "/v1/chat/completions"
    assert request.body == {"model": "llama3.1:8b", "messages": MESSAGES, "temperature": 0}
    assert request.headers["content-type"] == "application/json"
    assert "authorization" not in request.headers


def test_sends_the_key_as_a_bearer_token_only_when_one_is_set():
    with FakeLLM(key="sk-test-key") as llm:
        assert ChatClient(base_url=llm.url, model="m", key="sk-test-key").complete(MESSAGES, timeout=5)
        assert llm.requests[0].headers["authorization"] == "Bearer sk-test-key"
        with pytest.raises(ModelError) as failure:
            ChatClient(base_url=llm.url, model="m", key="sk-wrong").complete(MESSAGES, timeout=5)
    assert str(failure.value).startswith("HTTP 401")
    assert "sk-wrong" not in str(failure.value)


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (Reply.error(500), 'HTTP 500: \'{"error": {"message": "internal error"}}\''),
        (Reply.error(429), "HTTP 429"),
        (Reply.malformed(), "answer is not JSON"),
        (Reply.no_choices(), "answer has no choices[0].message.content"),
        (
            Reply(body=b'{"choices": [{"message": {"content": null}}]}'),
            "answer's message content is not text",
        ),
        (
            Reply(body=b'{"choices": [{"text": "completion style"}]}'),
            "answer has no choices[0].message.content",
        ),
        (Reply(body=b"[1, 2]"), "answer has no choices[0].message.content"),
    ],
)
def test_each_bad_reply_is_one_model_error_with_a_short_reason(llm, reply, reason):
    llm.respond = lambda request: reply
    with pytest.raises(ModelError) as failure:
        ChatClient(base_url=llm.url, model="m").complete(MESSAGES, timeout=5)
    assert str(failure.value).startswith(reason)


def test_a_slow_model_times_out_within_the_timeout(llm):
    llm.respond = lambda request: Reply.slow(20)
    started = time.monotonic()
    with pytest.raises(ModelError, match=r"no answer within 0\.5 s"):
        ChatClient(base_url=llm.url, model="m").complete(MESSAGES, timeout=0.5)
    assert time.monotonic() - started < 2


def test_a_dead_server_is_a_model_error():
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with pytest.raises(ModelError, match="cannot connect"):
        ChatClient(base_url=f"http://127.0.0.1:{port}/v1", model="m").complete(MESSAGES, timeout=2)


def test_a_flood_of_an_answer_is_refused(llm):
    llm.respond = lambda request: Reply(body=b'{"choices": "' + b"x" * 2_000_000 + b'"}')
    with pytest.raises(ModelError, match="answer larger than"):
        ChatClient(base_url=llm.url, model="m").complete(MESSAGES, timeout=5)
