"""Delivery through the running app: a replayed signed request runs once, across app instances on one
database; a report whose answer Slack lost is posted once, and its requester told in words when it could
not be confirmed; two identical `subscribe` at the same instant store one subscription."""

from __future__ import annotations

import threading

import requests

from bot.slack import messages
from tests.db_fixtures import (  # noqa: F401 - fixtures
    BackendUrl,
    backend_url_fixture,
    pg_target_fixture,
    sqlite_url_fixture,
)
from tests.slack.conftest import StartApp
from tests.slack.signing import signed_headers, slash_body

WAIT = 30  # seconds: an upper bound for work done in milliseconds, never a timing assertion


def top_level(app) -> list[dict]:
    return [m for m in app.slack.messages("C1") if "thread_ts" not in m]


def test_a_replayed_signed_command_runs_once_across_app_instances(
    start_app: StartApp, backend_url: BackendUrl
):
    first_store, second_store = backend_url.store(), backend_url.store()
    try:
        first = start_app(store=first_store)
        second = start_app(store=second_store)
        body = slash_body("week", response_url=first.slack.response_url("r1"))
        headers = signed_headers(body)
        assert first.post(body, headers=headers).status_code == 200
        assert first.slack.wait_for(lambda slack: len(slack.posts()) >= 1, WAIT)
        replayed = second.post(body, headers=headers)
        assert (replayed.status_code, replayed.text) == (409, "request already received\n")
        assert first.post(body, headers=headers).status_code == 409
        # A new request (a new signature) is served as ever.
        fresh = slash_body("week", response_url=first.slack.response_url("r2"))
        assert (
            second.post(
                fresh, headers=signed_headers(fresh, timestamp=int(headers["X-Slack-Request-Timestamp"]) + 1)
            ).status_code
            == 200
        )
        assert first.slack.wait_for(
            lambda slack: len([p for p in slack.posts() if "thread_ts" not in p.body]) >= 2, WAIT
        )
        first.bot.executor.shutdown(wait=True)
        second.bot.executor.shutdown(wait=True)
        assert len([p for p in first.slack.posts() if "thread_ts" not in p.body]) == 2
    finally:
        first_store.close()
        second_store.close()


def test_a_report_whose_answer_slack_lost_is_posted_once_without_an_error(start_app: StartApp):
    app = start_app()
    app.slack.lose_answers(1, status=500)
    app.command("today")
    assert app.slack.wait_for(lambda slack: len(slack.calls_to("conversations.history")) >= 1, WAIT)
    app.bot.executor.shutdown(wait=True)
    assert len(top_level(app)) == 1
    assert len([c for c in app.slack.calls_to("chat.postMessage") if "thread_ts" not in c.body]) == 1
    assert app.slack.calls_to("response_url") == []  # nothing to tell: the report is there


def test_a_report_that_could_not_be_confirmed_is_told_in_words_and_not_posted_again(start_app: StartApp):
    app = start_app()
    app.slack.fail_history("missing_scope")
    app.slack.lose_answers(1, hold=3)
    app.bot.slack.poster._client.timeout = 1  # give up on Slack's answer after a second
    app.command("today")
    assert app.slack.wait_for(lambda slack: len(slack.calls_to("response_url")) >= 1, WAIT)
    [told] = app.slack.calls_to("response_url")
    assert told.body["text"] == messages.report_unconfirmed(partly=False)
    assert "refused" not in told.body["text"] and "non-JSON" not in told.body["text"]
    app.bot.executor.shutdown(wait=True)
    assert len(top_level(app)) == 1


def test_two_identical_subscribes_at_the_same_instant_store_one_subscription(
    start_app: StartApp, backend_url: BackendUrl
):
    store = backend_url.store()
    try:
        app = start_app(store=store)
        start = threading.Barrier(4)
        answers: list[str] = []

        def subscribe(n: int) -> None:
            body = slash_body("subscribe daily 09:00 UTC", response_url=app.slack.response_url(f"s{n}"))
            headers = signed_headers(body)
            start.wait()
            response = requests.post(app.url + "/slack/events", data=body, headers=headers, timeout=30)
            answers.append(response.json()["text"])

        threads = [threading.Thread(target=subscribe, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        [stored] = store.list_subscriptions("C1")
        already = messages.already_subscribed(str(stored.id))
        assert len([a for a in answers if a != already]) == 1  # one stored it, three were told it exists
    finally:
        store.close()
