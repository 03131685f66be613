"""The "Build a report" modal as Block Kit, and the names its submission is read back by.

Pure: `report_modal(...)` returns a `views.open` view for the repositories and channels the caller
has already limited to the viewer's. Inputs: a period (one of the picker's choices, or typed in the
command's own grammar), a repository (or all), labels, and where to post (a channel, or only me:
a direct message from the bot).

Slack limits (as of 2025): 100 blocks (5 here); a static_select of at most 100 options with option
text of 75 characters and values of 150 (a repository name is at most 140: GitHub's 39-character
owner, "/", a 100-character name; channel IDs are short), a title of 24 characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    InputBlock,
    Option,
    PlainTextInputElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.render.picker_blocks import PERIOD_CHOICES
from bot.render.slack_parts import plain, section
from bot.render.view_limits import MAX_OPTION_TEXT, MAX_OPTION_VALUE, MAX_OPTIONS, MAX_VIEW_TITLE

MODAL_CALLBACK = "build_report"
PERIOD_BLOCK, PERIOD_ACTION = "period", "period_choice"
PERIOD_TEXT_BLOCK, PERIOD_TEXT_ACTION = "period_text", "period_text"
REPO_BLOCK, REPO_ACTION = "repo", "repo_choice"
LABELS_BLOCK, LABELS_ACTION = "labels", "labels_text"
DESTINATION_BLOCK, DESTINATION_ACTION = "destination", "destination_choice"
ALL_REPOS = "*"
ONLY_ME = "me"
MAX_LABELS_TEXT = 500

TITLE = "Build a report"
SUBMIT = "Post"
CLOSE = "Cancel"
LOADING = "Looking up your channels…"
PERIOD_LABEL = "Period"
PERIOD_TEXT_LABEL = "Or type a period"
PERIOD_TEXT_HINT = "Like 2025-04-14, 2025-04-01..2025-04-14, since 2025-04-01 or 14d. Typed text wins."
REPO_LABEL = "Repository"
ALL_REPOS_TEXT = "All repositories"
LABELS_LABEL = "Labels"
LABELS_PLACEHOLDER = "bug, -question"
LABELS_HINT = "Only tickets with one of these labels; a leading - leaves a label out. Separate with commas."
DESTINATION_LABEL = "Where to post"
ONLY_ME_TEXT = "Only me (a direct message)"
DESTINATION_HINT = "Channels you and the bot are both in, which may report on a repository."


def _options(pairs: Sequence[tuple[str, str]]) -> list[Option]:
    """(value, text) pairs as options, at most Slack's 100; values too long for Slack are left out."""
    kept = [(value, text) for value, text in pairs if 0 < len(value) <= MAX_OPTION_VALUE]
    return [Option(value=value, text=plain(text, MAX_OPTION_TEXT)) for value, text in kept[:MAX_OPTIONS]]


def _select(action_id: str, pairs: Sequence[tuple[str, str]]) -> StaticSelectElement:
    options = _options(pairs)
    return StaticSelectElement(action_id=action_id, options=options, initial_option=options[0])


def loading_modal() -> dict[str, Any]:
    """The modal opened at once while the viewer's channels are looked up."""
    return notice_modal(LOADING)


def notice_modal(text: str) -> dict[str, Any]:
    """A modal that only says something (`text` is our own mrkdwn), for a viewer who cannot build one."""
    return View(
        type="modal",
        callback_id=MODAL_CALLBACK,
        title=plain(TITLE, MAX_VIEW_TITLE),
        close=plain(CLOSE, MAX_VIEW_TITLE),
        blocks=[section(text)],
    ).to_dict()


def report_modal(*, repos: Sequence[str], channels: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """The modal for a viewer who may report on `repos` and post in `channels` ((id, name) pairs)."""
    periods = [(key, text) for key, text in PERIOD_CHOICES]
    repo_pairs = (
        [(ALL_REPOS, ALL_REPOS_TEXT)] + [(repo, repo) for repo in repos]
        if len(repos) > 1
        else [(repo, repo) for repo in repos]
    )
    destinations = [(ONLY_ME, ONLY_ME_TEXT)] + [(cid, f"#{name}") for cid, name in channels]
    blocks = [
        InputBlock(
            block_id=PERIOD_BLOCK, label=plain(PERIOD_LABEL, 2000), element=_select(PERIOD_ACTION, periods)
        ),
        InputBlock(
            block_id=PERIOD_TEXT_BLOCK,
            label=plain(PERIOD_TEXT_LABEL, 2000),
            hint=plain(PERIOD_TEXT_HINT, 2000),
            optional=True,
            element=PlainTextInputElement(action_id=PERIOD_TEXT_ACTION, max_length=100),
        ),
        InputBlock(
            block_id=REPO_BLOCK, label=plain(REPO_LABEL, 2000), element=_select(REPO_ACTION, repo_pairs)
        ),
        InputBlock(
            block_id=LABELS_BLOCK,
            label=plain(LABELS_LABEL, 2000),
            hint=plain(LABELS_HINT, 2000),
            optional=True,
            element=PlainTextInputElement(
                action_id=LABELS_ACTION,
                placeholder=plain(LABELS_PLACEHOLDER, 150),
                max_length=MAX_LABELS_TEXT,
            ),
        ),
        InputBlock(
            block_id=DESTINATION_BLOCK,
            label=plain(DESTINATION_LABEL, 2000),
            hint=plain(DESTINATION_HINT, 2000),
            element=_select(DESTINATION_ACTION, destinations),
        ),
    ]
    return View(
        type="modal",
        callback_id=MODAL_CALLBACK,
        title=plain(TITLE, MAX_VIEW_TITLE),
        submit=plain(SUBMIT, MAX_VIEW_TITLE),
        close=plain(CLOSE, MAX_VIEW_TITLE),
        blocks=blocks,
    ).to_dict()
