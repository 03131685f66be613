"""Reads the words after `/ticket-report subscribe` and `unsubscribe`. Pure: no Slack, no store, no clock.

    subscribe [daily|weekdays|weekly] [HH:MM] [ZONE] [repo:OWNER/NAME ...] [quiet]
    unsubscribe [ID|all]          ID as listed by `subscriptions`: 7 or #7, or c1 for a config one

Words may come in any order, each at most once (repositories may repeat). A missing cadence is
daily, a missing time 09:00; a missing zone is left as None for the caller to fill in with the
requesting user's Slack timezone. `command_text` has already split the text into words and undone
Slack's escaping. Errors are CommandErrors whose message names the word to fix and shows the usage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.delivery.schedule import ScheduleError, parse_cadence, parse_time, parse_timezone
from bot.settings import valid_repo
from bot.slack import messages
from bot.slack.command_text import CommandError

_CADENCE_WORDS = frozenset({"daily", "weekdays", "weekday", "weekly"})
_ZONE_WORDS = frozenset({"utc", "gmt"})  # zone names without a "/" that people type
_OPTION = re.compile(r"(-?[A-Za-z]+):(.*)", re.DOTALL)
_SUBSCRIPTION_ID = re.compile(r"#?([0-9]{1,9})", re.ASCII)
_CONFIG_LABEL = re.compile(r"[cC]([0-9]{1,4})", re.ASCII)


@dataclass(frozen=True)
class SubscribeArgs:
    """A valid `subscribe` request; the repositories are not yet checked against the channel."""

    cadence: str = "daily"
    at_time: str = "09:00"
    timezone: str | None = None  # canonical IANA name; None: the requesting user's timezone
    repos: tuple[str, ...] = ()  # as typed; empty: the channel's repositories, whatever they become
    quiet: bool = False


@dataclass(frozen=True)
class UnsubscribeArgs:
    """Which subscriptions `unsubscribe` removes: all, one by ID, or (no word) the channel's only one."""

    all: bool = False
    subscription_id: int | None = None
    config_label: str | None = None  # "c1": a config-declared one, which a command cannot remove

    @property
    def unspecified(self) -> bool:
        return not self.all and self.subscription_id is None and self.config_label is None


def parse_subscribe(words: tuple[str, ...] | list[str]) -> SubscribeArgs:
    """The subscription `words` ask for; CommandError naming the word to fix."""
    cadence: str | None = None
    at_time: str | None = None
    timezone: str | None = None
    repos: list[str] = []
    quiet = False
    for word in words:
        lower = word.lower()
        try:
            if lower in _CADENCE_WORDS:
                cadence = _once("schedule", cadence, parse_cadence(word), word)
            elif lower == "quiet":
                quiet = True
            elif word[:1].isdigit():
                at_time = _once("time", at_time, parse_time(word), word)
            elif option := _OPTION.fullmatch(word):
                repos.extend(_repos(option.group(1).lower(), option.group(2).strip(), word))
            elif "/" in word or lower in _ZONE_WORDS:
                timezone = _once("timezone", timezone, parse_timezone(word), word)
            else:
                raise CommandError(messages.subscription_unknown_word(word))
        except ScheduleError as error:
            raise CommandError(messages.subscription_problem(str(error))) from None
    return SubscribeArgs(
        cadence=cadence or parse_cadence(None),
        at_time=at_time or parse_time(None),
        timezone=timezone,
        repos=tuple(dict.fromkeys(repos)),
        quiet=quiet,
    )


def parse_unsubscribe(words: tuple[str, ...] | list[str]) -> UnsubscribeArgs:
    """`all`, an ID (`7`, `#7`), a config label (`c1`), or nothing; CommandError otherwise."""
    if not words:
        return UnsubscribeArgs()
    if len(words) > 1:
        raise CommandError(messages.unsubscribe_usage_error(" ".join(words)))
    word = words[0]
    if word.lower() == "all":
        return UnsubscribeArgs(all=True)
    if match := _SUBSCRIPTION_ID.fullmatch(word):
        return UnsubscribeArgs(subscription_id=int(match.group(1)))
    if match := _CONFIG_LABEL.fullmatch(word):
        return UnsubscribeArgs(config_label=f"c{int(match.group(1))}")
    raise CommandError(messages.unsubscribe_usage_error(word))


def config_label(index: int) -> str:
    """How the `index`-th (0-based) config subscription of a channel is listed and named: c1, c2, ..."""
    return f"c{index + 1}"


def _once(kind: str, current: str | None, value: str, word: str) -> str:
    if current is not None and current != value:
        raise CommandError(messages.subscription_given_twice(kind, current, word))
    return value


def _repos(key: str, value: str, word: str) -> list[str]:
    if key not in ("repo", "repos"):
        raise CommandError(messages.subscription_unknown_word(word))
    names = [name.strip() for name in value.split(",") if name.strip()]
    if not names:
        raise CommandError(messages.subscription_problem("`repo:` needs a value, like `repo:octo/support`"))
    for name in names:
        if not valid_repo(name):
            raise CommandError(messages.subscription_bad_repo(name))
    return names
