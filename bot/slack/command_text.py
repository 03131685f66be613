"""Reads the text after `/ticket-report` into a typed command. Pure: no Slack, no clock, no I/O.

    (empty) | PERIOD words          ReportCommand (period "today" when none is given)
      repo:OWNER/NAME[,OWNER/NAME]  only these repositories (repeatable; checked against the channel later)
      label:NAME / -label:NAME      only tickets with / without this label (repeatable; `label:"a b"`)
      top:N                         N most active tickets, 1 to 50
      private                       answer only the requester
    help | ? | usage                HelpCommand
    issue 686 | #686 | O/N#686 | https://HOST/O/N/issues/686
                                    TicketCommand (the drill-down of issue 4)
    subscribe ... | subscriptions | unsubscribe ...
                                    SubscriptionCommand, words left for the digests code (issue 5)
    alerts ...                      AlertCommand, words left for `bot.slack.alert_text`

Period words are passed on untouched: `bot.report.periods` owns their grammar. Slack HTML-escapes
`& < >` in command text and may wrap links as `<url>` or `<url|label>`; both are undone first.
Smart quotes (“ ”) count as quotes because Slack clients type them.

Extension point: a new verb is a new dataclass, a branch in `parse_command` and a route in
`bot.slack.commands` (see `SlashCommands.routes`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Literal

from bot.settings import valid_repo
from bot.slack import messages

MAX_TEXT_LENGTH = 500
MAX_TOP = 50
# GitHub numbers issues from 1; nine digits is what a typed reference may give, and fits every
# database's integer column.
MAX_TICKET_NUMBER = 999_999_999
MAX_BUTTON_VALUE_LENGTH = 2000  # Slack's limit for a button's value

SubscriptionAction = Literal["subscribe", "subscriptions", "unsubscribe"]


class CommandError(ValueError):
    """Text that is no command; `user_message` says what was wrong and shows the usage."""

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


@dataclass(frozen=True)
class ReportCommand:
    period_text: str = "today"
    repos: tuple[str, ...] = ()  # as typed (validated OWNER/NAME); empty means the channel's repositories
    include_labels: frozenset[str] = frozenset()  # lower-case
    exclude_labels: frozenset[str] = frozenset()  # lower-case
    top: int | None = None
    private: bool = False


@dataclass(frozen=True)
class HelpCommand:
    pass


@dataclass(frozen=True)
class TicketCommand:
    """One ticket's drill-down: `repo` is None for `#686` (the channel's repository is meant)."""

    number: int
    repo: str | None = None
    private: bool = False


@dataclass(frozen=True)
class SubscriptionCommand:
    """`subscribe` / `subscriptions` / `unsubscribe` and the words after it, for the digests code to parse."""

    action: SubscriptionAction
    words: tuple[str, ...] = ()


@dataclass(frozen=True)
class AlertCommand:
    """`alerts` and the words after it, for `bot.slack.alert_text` to parse."""

    words: tuple[str, ...] = ()


Command = ReportCommand | HelpCommand | TicketCommand | SubscriptionCommand | AlertCommand

_HELP_WORDS = frozenset({"help", "?", "usage", "-h", "--help"})
_SUBSCRIPTION_WORDS: dict[str, SubscriptionAction] = {
    "subscribe": "subscribe",
    "subscriptions": "subscriptions",
    "unsubscribe": "unsubscribe",
}
_TICKET_WORDS = frozenset({"issue", "ticket"})
_OPTION = re.compile(r"(-?[A-Za-z]+):(.*)", re.DOTALL)
_SLACK_LINK = re.compile(r"<([^<>|]*)(?:\|[^<>]*)?>")
_NUMBER = re.compile(r"#?([0-9]{1,9})", re.ASCII)
_REPO_NUMBER = re.compile(r"([^\s#/]+/[^\s#/]+)#([0-9]{1,9})", re.ASCII)
_ISSUE_URL = re.compile(r"https?://[^/\s]+/([^/\s]+/[^/\s]+)/issues/([0-9]{1,9})(?:[/?#]\S*)?", re.ASCII)
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "＂": '"'})


def parse_command(text: str) -> Command:
    """The command `text` asks for; CommandError (with the usage) when it is none."""
    if len(text) > MAX_TEXT_LENGTH:
        raise CommandError(messages.text_too_long(MAX_TEXT_LENGTH))
    words = tokenize(text)
    if not words:
        return ReportCommand()
    first = words[0].lower()
    if first in _HELP_WORDS:
        return HelpCommand()
    if first in _SUBSCRIPTION_WORDS:
        return SubscriptionCommand(action=_SUBSCRIPTION_WORDS[first], words=tuple(words[1:]))
    if first in ("alerts", "alert"):
        return AlertCommand(words=tuple(words[1:]))
    ticket = _ticket(words)
    if ticket is not None:
        return ticket
    return _report(words)


def tokenize(text: str) -> list[str]:
    """Words of the command text, with Slack's escaping undone and quoted parts kept whole."""
    cleaned = _SLACK_LINK.sub(lambda match: match.group(1), text)
    cleaned = cleaned.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").translate(_QUOTES)
    words: list[str] = []
    current: list[str] = []
    quoted = False
    started = False
    for char in cleaned:
        if char == '"':
            quoted = not quoted
            started = True
        elif char.isspace() and not quoted:
            if started:
                words.append("".join(current))
            current, started = [], False
        else:
            current.append(char)
            started = True
    if quoted:
        raise CommandError(messages.unclosed_quote())
    if started:
        words.append("".join(current))
    return words


def parse_ticket_reference(text: str) -> TicketCommand | None:
    """`686`, `#686`, `issue 686`, `O/N#686` or an issue URL as a TicketCommand; None otherwise.

    Accepts a bare number too, for mentions (`@ticket-report 686`); the slash command does not,
    because there a bare number is more likely a mistyped period.
    """
    words = tokenize(text)
    if len(words) == 1 and (match := re.fullmatch(r"[0-9]{1,9}", words[0])):
        return TicketCommand(number=int(match.group(0)))
    return _ticket(words) if words else None


def parse_details_value(value: object) -> TicketCommand | None:
    """A Details button's value, `{"repo":"owner/name","number":N}` as the renderer writes it, as a
    TicketCommand; None for any other value (a button from an older bot or a tampered payload)."""
    if not isinstance(value, str) or len(value) > MAX_BUTTON_VALUE_LENGTH:
        return None
    try:
        data = json.loads(value)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    repo, number = data.get("repo"), data.get("number")
    if not isinstance(repo, str) or not valid_repo(repo):
        return None
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= MAX_TICKET_NUMBER:
        return None
    return TicketCommand(number=number, repo=repo)


def _ticket(words: list[str]) -> TicketCommand | None:
    private = any(word.lower() == "private" for word in words)
    rest = [word for word in words if word.lower() != "private"]
    if len(rest) == 2 and rest[0].lower() in _TICKET_WORDS:
        rest = rest[1:]
        if match := _NUMBER.fullmatch(rest[0]):
            return TicketCommand(number=int(match.group(1)), private=private)
        if match := _REPO_NUMBER.fullmatch(rest[0]):
            return _ticket_in_repo(match.group(1), match.group(2), private=private)
        return None
    if len(rest) != 1:
        return None
    word = rest[0]
    if word.startswith("#") and (match := _NUMBER.fullmatch(word)):
        return TicketCommand(number=int(match.group(1)), private=private)
    if match := _REPO_NUMBER.fullmatch(word):
        return _ticket_in_repo(match.group(1), match.group(2), private=private)
    if match := _ISSUE_URL.fullmatch(word):
        return _ticket_in_repo(match.group(1), match.group(2), private=private)
    return None


def _ticket_in_repo(repo: str, number: str, *, private: bool) -> TicketCommand:
    if not valid_repo(repo):
        raise CommandError(messages.bad_repo_name(repo))
    return TicketCommand(number=int(number), repo=repo, private=private)


def _report(words: list[str]) -> ReportCommand:
    period: list[str] = []
    repos: list[str] = []
    include: set[str] = set()
    exclude: set[str] = set()
    top: int | None = None
    private = False
    for word in words:
        if word.lower() == "private":
            private = True
            continue
        option = _OPTION.fullmatch(word)
        if option is None:
            period.append(word)
            continue
        key, value = option.group(1).lower(), option.group(2).strip()
        if key not in ("repo", "repos", "label", "-label", "top"):
            raise CommandError(messages.unknown_option(word))
        if not value:
            raise CommandError(messages.empty_option(key.rstrip("s")))
        if key in ("repo", "repos"):
            repos.extend(_repo_names(value))
        elif key == "label":
            include.add(value.lower())
        elif key == "-label":
            exclude.add(value.lower())
        else:
            top = _top(value)
    return ReportCommand(
        period_text=" ".join(period) or "today",
        repos=tuple(dict.fromkeys(repos)),
        include_labels=frozenset(include),
        exclude_labels=frozenset(exclude),
        top=top,
        private=private,
    )


def _repo_names(value: str) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    for name in names:
        if not valid_repo(name):
            raise CommandError(messages.bad_repo_name(name))
    return names


def _top(value: str) -> int:
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= MAX_TOP:
        raise CommandError(messages.bad_top(value))
    return int(value)
