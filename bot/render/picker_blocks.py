"""The period picker a posted report carries: one select to post the same report for another period
or another of the channel's repositories.

Pure: the caller passes the report's period text, the channel's repositories and which of them the
report covers. Each option's value says everything a re-run needs, as compact JSON:

    {"p": "last week", "r": "*", "x": 0}

`p` is period text in the command's own grammar; `r` is "*" for all of the channel's repositories
(as they are when the option is chosen), else a hexadecimal bitmask over the channel's list as it
was when the report was posted (bit i: the i-th repository), which stays within Slack's 150
characters for an option value however long the names are; `x` is 1 for a private report. The
value comes back in an untrusted payload: `decode_choice` refuses anything else, and the handler
resolves the mask against the channel's rules again, so a forged or stale value can only name a
repository the channel may already report on.

Slack limits (as of 2025): at most 100 options in a select (6 periods, then "All repositories" and
as many repositories as fit), option text of 75 characters (a long repository name is shortened
with "…"), option value of 150 characters.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, Option, OptionGroup, StaticSelectElement

from bot.render.escape import one_line
from bot.render.slack_limits import MAX_BLOCKS, MAX_BLOCKS_JSON, SlackMessage, blocks_json_size
from bot.render.slack_parts import plain
from bot.render.view_limits import MAX_GROUP_LABEL, MAX_OPTION_TEXT, MAX_OPTION_VALUE, MAX_OPTIONS

PICKER_ACTION = "report_picker"
PICKER_BLOCK = "report_picker"

# What the picker offers, as a command would type it, and how the menu shows it.
PERIOD_CHOICES: tuple[tuple[str, str], ...] = (
    ("today", "Today"),
    ("yesterday", "Yesterday"),
    ("last 7 days", "Last 7 days"),
    ("this week", "This week"),
    ("last week", "Last week"),
    ("this month", "This month"),
)
ALL_REPOS = "*"
MAX_PERIOD_TEXT = 100  # the period grammar's own limit

PLACEHOLDER = "Another period"
PLACEHOLDER_WITH_REPOS = "Another period or repository"
PERIOD_GROUP = "Period"
REPO_GROUP = "Repository"
ALL_REPOS_TEXT = "All repositories"
EXTRA_MESSAGE_TEXT = "Post this report for another period"


@dataclass(frozen=True)
class PickerChoice:
    """What one picker option asks for: a period, which repositories, and whether privately."""

    period: str
    repos: int | None  # bitmask over the channel's repositories; None: all of them
    private: bool = False

    def repo_names(self, channel_repos: Sequence[str]) -> tuple[str, ...]:
        """The repositories meant, from the channel's list; empty when the mask names none of them."""
        if self.repos is None:
            return tuple(channel_repos)
        return tuple(repo for index, repo in enumerate(channel_repos) if self.repos >> index & 1)


def encode_choice(choice: PickerChoice) -> str:
    repos = ALL_REPOS if choice.repos is None else format(choice.repos, "x")
    data = {"p": choice.period, "r": repos, "x": int(choice.private)}
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def decode_choice(value: Any) -> PickerChoice:
    """The choice an option's value encodes; ValueError for anything our picker does not make."""
    if not isinstance(value, str) or not value or len(value) > MAX_OPTION_VALUE:
        raise ValueError("not a picker value")
    data = json.loads(value)
    if not isinstance(data, Mapping) or set(data) != {"p", "r", "x"}:
        raise ValueError("not a picker value")
    period, repos, private = data["p"], data["r"], data["x"]
    if not isinstance(period, str) or not period.strip() or len(period) > MAX_PERIOD_TEXT:
        raise ValueError("the picker's period is not period text")
    if private not in (0, 1) or isinstance(private, bool):
        raise ValueError("the picker's private flag is not 0 or 1")
    if repos == ALL_REPOS:
        return PickerChoice(period=period, repos=None, private=bool(private))
    if not isinstance(repos, str) or not repos or any(c not in "0123456789abcdef" for c in repos):
        raise ValueError("the picker's repositories are not a mask")
    mask = int(repos, 16)
    if mask == 0:
        raise ValueError("the picker's repositories name none")
    return PickerChoice(period=period, repos=mask, private=bool(private))


def _mask(channel_repos: Sequence[str], selected: Sequence[str]) -> int | None:
    """The bitmask of `selected` in the channel's list; None when it is the whole list."""
    wanted = {repo.lower() for repo in selected}
    mask = sum(1 << index for index, repo in enumerate(channel_repos) if repo.lower() in wanted)
    if mask == (1 << len(channel_repos)) - 1:
        return None
    return mask


def _option(text: str, choice: PickerChoice) -> Option | None:
    value = encode_choice(choice)
    if len(value) > MAX_OPTION_VALUE:
        return None
    return Option(text=plain(one_line(text), MAX_OPTION_TEXT), value=value)


def picker_block(
    *,
    period_text: str,
    channel_repos: Sequence[str],
    selected: Sequence[str],
    private: bool,
) -> dict[str, Any] | None:
    """The actions block with the picker; None unless every repository of the report is the channel's
    (a report sent where the channel rules do not apply, such as a DM built from the Home tab)."""
    listed = {repo.lower() for repo in channel_repos}
    if not selected or any(repo.lower() not in listed for repo in selected):
        return None
    mask = _mask(channel_repos, selected)
    periods = [
        option
        for key, text in PERIOD_CHOICES
        if (option := _option(text, PickerChoice(period=key, repos=mask, private=private))) is not None
    ]
    current = " ".join(period_text.split())[:MAX_PERIOD_TEXT] or "today"
    repo_options: list[Option] = []
    if len(channel_repos) > 1:
        room = MAX_OPTIONS - len(periods)
        if mask is not None:
            everything = _option(ALL_REPOS_TEXT, PickerChoice(period=current, repos=None, private=private))
            if everything is not None:
                repo_options.append(everything)
        for index, repo in enumerate(channel_repos):
            if len(repo_options) >= room:
                break
            if mask == 1 << index:
                continue  # the report already covers exactly this one
            option = _option(repo, PickerChoice(period=current, repos=1 << index, private=private))
            if option is not None:
                repo_options.append(option)
    if repo_options:
        select = StaticSelectElement(
            action_id=PICKER_ACTION,
            placeholder=plain(PLACEHOLDER_WITH_REPOS, MAX_OPTION_TEXT),
            option_groups=[
                OptionGroup(label=plain(PERIOD_GROUP, MAX_GROUP_LABEL), options=periods),
                OptionGroup(label=plain(REPO_GROUP, MAX_GROUP_LABEL), options=repo_options),
            ],
        )
    else:
        select = StaticSelectElement(
            action_id=PICKER_ACTION, placeholder=plain(PLACEHOLDER, MAX_OPTION_TEXT), options=periods
        )
    return ActionsBlock(block_id=PICKER_BLOCK, elements=[select]).to_dict()


def with_picker(messages: Sequence[SlackMessage], block: dict[str, Any]) -> list[SlackMessage]:
    """The messages with the picker at the end of the last one, or in one more message if it is full."""
    result = [SlackMessage(text=m["text"], blocks=list(m["blocks"])) for m in messages]
    if not result:
        return result
    last = result[-1]["blocks"]
    if len(last) < MAX_BLOCKS and blocks_json_size([*last, block]) <= MAX_BLOCKS_JSON:
        last.append(block)
    else:
        result.append(SlackMessage(text=EXTRA_MESSAGE_TEXT, blocks=[block]))
    return result
