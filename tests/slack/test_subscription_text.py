"""The words after `subscribe` / `unsubscribe`, read without Slack, a store or a clock."""

from __future__ import annotations

import pytest

from bot.slack.command_text import CommandError, SubscriptionCommand, parse_command
from bot.slack.subscription_text import SubscribeArgs, UnsubscribeArgs, parse_subscribe, parse_unsubscribe


def subscribe(text: str) -> SubscribeArgs:
    command = parse_command(text)
    assert isinstance(command, SubscriptionCommand) and command.action == "subscribe"
    return parse_subscribe(command.words)


def test_nothing_given_means_daily_at_0900_in_the_users_zone() -> None:
    assert subscribe("subscribe") == SubscribeArgs(cadence="daily", at_time="09:00", timezone=None)


@pytest.mark.parametrize(
    "text",
    [
        "subscribe weekdays 09:00 Europe/Berlin",
        "subscribe Europe/Berlin 9:00 WEEKDAYS",
        "subscribe 09:00 weekday europe/berlin",
    ],
)
def test_words_come_in_any_order_and_spelling_and_are_normalised(text: str) -> None:
    assert subscribe(text) == SubscribeArgs(cadence="weekdays", at_time="09:00", timezone="Europe/Berlin")


def test_repositories_and_quiet() -> None:
    args = subscribe("subscribe weekly quiet repo:acme/support,acme/private repo:acme/support UTC")
    assert args == SubscribeArgs(
        cadence="weekly", timezone="UTC", repos=("acme/support", "acme/private"), quiet=True
    )


def test_a_word_given_twice_the_same_way_is_fine() -> None:
    assert subscribe("subscribe daily daily 9:00 09:00").at_time == "09:00"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("subscribe 24:00", "24:00 is not a time"),
        ("subscribe 09:60", "09:60 is not a time"),
        ("subscribe 0900", "0900 is not a time"),
        ("subscribe Europe/Atlantis", "Unknown timezone 'Europe/Atlantis'"),
        ("subscribe monthly", "“monthly”"),
        ("subscribe top:5", "“top:5”"),
        ("subscribe repo:", "`repo:` needs a value"),
        ("subscribe repo:a/b/c", "“a/b/c” is not a repository name"),
        ("subscribe weekly weekdays", "two schedules"),
        ("subscribe UTC Europe/Berlin", "two timezones"),
    ],
)
def test_bad_words_are_named_with_the_digest_usage(text: str, fragment: str) -> None:
    with pytest.raises(CommandError) as error:
        subscribe(text)
    assert fragment in error.value.user_message
    assert "*Digests:*" in error.value.user_message


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ((), UnsubscribeArgs()),
        (("all",), UnsubscribeArgs(all=True)),
        (("ALL",), UnsubscribeArgs(all=True)),
        (("7",), UnsubscribeArgs(subscription_id=7)),
        (("#7",), UnsubscribeArgs(subscription_id=7)),
        (("C1",), UnsubscribeArgs(config_label="c1")),
        (("c01",), UnsubscribeArgs(config_label="c1")),
    ],
)
def test_unsubscribe_targets(words: tuple[str, ...], expected: UnsubscribeArgs) -> None:
    assert parse_unsubscribe(words) == expected
    assert expected.unspecified == (words == ())


@pytest.mark.parametrize("words", [("7", "8"), ("seven",), ("#",), ("-1",)])
def test_unsubscribe_refuses_anything_else(words: tuple[str, ...]) -> None:
    with pytest.raises(CommandError) as error:
        parse_unsubscribe(words)
    assert "I can't tell which digest" in error.value.user_message
