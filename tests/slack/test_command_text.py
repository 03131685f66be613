"""The slash-command text parser: a pure function from what people type to a typed command."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.render.slack_parts import details_button
from bot.slack.command_text import (
    AlertCommand,
    CommandError,
    HelpCommand,
    ReportCommand,
    SubscriptionCommand,
    TicketCommand,
    parse_command,
    parse_details_value,
    parse_ticket_reference,
    tokenize,
)


def test_empty_text_is_todays_report() -> None:
    assert parse_command("") == ReportCommand(period_text="today")
    assert parse_command("   ") == ReportCommand(period_text="today")


def test_period_words_are_passed_on_whole() -> None:
    assert parse_command("last  week").period_text == "last week"
    assert parse_command("2025-04-01..2025-04-14").period_text == "2025-04-01..2025-04-14"
    assert parse_command("since Apr 1 2025").period_text == "since Apr 1 2025"


def test_options_in_any_order() -> None:
    command = parse_command("top:10 repo:acme/a label:Bug yesterday -label:Question private repo:acme/b,c/d")
    assert command == ReportCommand(
        period_text="yesterday",
        repos=("acme/a", "acme/b", "c/d"),
        include_labels=frozenset({"bug"}),
        exclude_labels=frozenset({"question"}),
        top=10,
        private=True,
    )


def test_a_label_with_spaces_is_quoted_with_straight_or_smart_quotes() -> None:
    assert parse_command('label:"needs triage"').include_labels == frozenset({"needs triage"})
    assert parse_command("-label:“won't fix” week").exclude_labels == frozenset({"won't fix"})


def test_repeated_repositories_are_kept_once_in_order() -> None:
    assert parse_command("repo:acme/b repo:acme/a repo:acme/b").repos == ("acme/b", "acme/a")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("colour:blue", "colour:blue"),
        ("top:0", "top:0"),
        ("top:51", "top:51"),
        ("top:ten", "top:ten"),
        ("top:", "`top:` needs a value"),
        ("label:", "`label:` needs a value"),
        ("repo:not-a-repo", "not-a-repo"),
        ("repo:acme/../etc", "acme/../etc"),
        ('label:"open', "quotation mark"),
    ],
)
def test_bad_options_say_what_is_wrong_and_show_the_usage(text: str, expected: str) -> None:
    with pytest.raises(CommandError) as error:
        parse_command(text)
    assert expected in error.value.user_message
    assert "*Usage:*" in error.value.user_message


def test_very_long_text_is_refused() -> None:
    with pytest.raises(CommandError):
        parse_command("today " * 200)


@pytest.mark.parametrize("text", ["help", "HELP", "?", "usage", "--help"])
def test_help(text: str) -> None:
    assert parse_command(text) == HelpCommand()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("issue 686", TicketCommand(number=686)),
        ("ticket #686", TicketCommand(number=686)),
        ("#686", TicketCommand(number=686)),
        ("#686 private", TicketCommand(number=686, private=True)),
        ("acme/support#686", TicketCommand(number=686, repo="acme/support")),
        ("issue acme/support#686", TicketCommand(number=686, repo="acme/support")),
        ("https://github.com/acme/support/issues/686", TicketCommand(number=686, repo="acme/support")),
        ("<https://github.com/acme/support/issues/686>", TicketCommand(number=686, repo="acme/support")),
        (
            "<https://github.com/acme/support/issues/686#issuecomment-1|acme/support#686>",
            TicketCommand(number=686, repo="acme/support"),
        ),
        ("https://ghe.example.com/acme/support/issues/7/", TicketCommand(number=7, repo="acme/support")),
    ],
)
def test_ticket_references_are_drill_downs(text: str, expected: TicketCommand) -> None:
    assert parse_command(text) == expected


def test_a_bare_number_is_a_ticket_only_where_asked_for() -> None:
    assert parse_ticket_reference("686") == TicketCommand(number=686)
    assert parse_ticket_reference("today") is None
    assert isinstance(parse_command("686"), ReportCommand)  # the period parser will explain


@pytest.mark.parametrize(
    ("text", "action", "words"),
    [
        ("subscribe weekdays 09:00 Europe/Berlin", "subscribe", ("weekdays", "09:00", "Europe/Berlin")),
        ("subscriptions", "subscriptions", ()),
        ("unsubscribe all", "unsubscribe", ("all",)),
    ],
)
def test_subscription_verbs_keep_their_words(text: str, action: str, words: tuple[str, ...]) -> None:
    assert parse_command(text) == SubscriptionCommand(action=action, words=words)  # type: ignore[arg-type]


def test_slack_escaping_is_undone() -> None:
    assert tokenize("label:a&amp;b &lt;x&gt;") == ["label:a&b", "<x>"]


@given(st.text(max_size=600))
def test_any_text_is_a_command_or_a_command_error(text: str) -> None:
    try:
        command = parse_command(text)
    except CommandError as error:
        assert error.user_message
    else:
        assert isinstance(
            command, ReportCommand | HelpCommand | TicketCommand | SubscriptionCommand | AlertCommand
        )


@given(
    repo=st.sampled_from(["acme/support", "Octo-Org/support.site", "a/b_c-d"]),
    number=st.integers(min_value=1, max_value=999_999_999),
)
def test_every_details_button_the_renderer_writes_is_read_back(repo: str, number: int) -> None:
    button = details_button(repo, number, action_id="ticket_details:0")
    assert button is not None
    assert parse_details_value(button.value) == TicketCommand(number=number, repo=repo)


@given(st.text(max_size=80) | st.integers().map(lambda n: f'{{"repo":"acme/support","number":{n}}}'))
def test_a_details_value_is_a_ticket_or_none_never_an_error(value: str) -> None:
    command = parse_details_value(value)
    assert command is None or (command.repo and 1 <= command.number <= 999_999_999)
