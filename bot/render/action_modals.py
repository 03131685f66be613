"""The modals behind the ticket actions, as Block Kit views, and the checks of what is submitted.

Pure. Three modals, each carrying the caller's `metadata` (which tickets, where the click came from)
as its private_metadata:

* Reply: one multiline text box, prefilled with the team's known workaround when there is one;
* Label: a multi-select of the repository's labels in groups of 100 (for repositories with more labels
  than a message's menu holds, and for a recommendation's "label all");
* Close as duplicate: the original's number, prefilled with the suggested one and editable.

`check_reply` and `check_duplicate` turn a submission's values into what to do, or into per-field
errors for a `response_action: errors` answer (the modal stays open, the field says what is wrong).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    StaticMultiSelectElement,
)
from slack_sdk.models.views import View

from bot.render.escape import clip_slack, escape_slack
from bot.render.slack_parts import context, plain, section
from bot.render.view_limits import (
    MAX_INPUT_LENGTH,
    MAX_OPTION_TEXT,
    MAX_OPTION_VALUE,
    MAX_OPTIONS,
    MAX_PRIVATE_METADATA,
    MAX_VIEW_TITLE,
)

REPLY_CALLBACK = "ticket_act_reply"
LABEL_CALLBACK = "ticket_act_labels"
DUPLICATE_CALLBACK = "ticket_act_duplicate"
REPLY_BLOCK, REPLY_INPUT = "reply", "reply_text"
LABEL_BLOCK, LABEL_INPUT = "labels", "labels_choice"
LABEL_TEXT_BLOCK, LABEL_TEXT_INPUT = "labels_typed", "labels_text"
MAX_LABEL_TEXT = 1000
DUPLICATE_BLOCK, DUPLICATE_INPUT = "original", "original_number"
CONFIRM_CLOSE_CALLBACK = "ticket_act_close"
CONFIRM_CLOSE_BLOCK = ""  # the confirmation has no field: what is wrong with it replaces the modal
CLOSE_WORDS = {"completed": "as completed", "not_planned": "as not planned"}

MAX_REPLY = MAX_INPUT_LENGTH  # Slack's input limit; GitHub's comment limit (65,536) is far above
_NUMBER = re.compile(r"#?\s*([0-9]{1,9})")

REPLY_EMPTY = "Write the reply first: an empty comment is not sent."
DUPLICATE_NOT_A_NUMBER = "Give the original ticket's number, like 686 or #686."
DUPLICATE_SAME = "A ticket cannot be a duplicate of itself: give the original ticket's number."
LABELS_NONE = "Choose at least one label."


def _view(
    callback_id: str, title: str, blocks: list[Any], *, metadata: str, submit: str | None
) -> dict[str, Any]:
    if len(metadata) > MAX_PRIVATE_METADATA:
        raise ValueError("the modal's metadata is over Slack's limit")
    return View(
        type="modal",
        callback_id=callback_id,
        title=plain(title, MAX_VIEW_TITLE),
        submit=plain(submit, MAX_VIEW_TITLE) if submit else None,
        close=plain("Cancel", MAX_VIEW_TITLE),
        private_metadata=metadata,
        blocks=blocks,
    ).to_dict()


def _about(names: Sequence[str]) -> str:
    """Which tickets the modal acts on, as a context line (escaped)."""
    shown = ", ".join(escape_slack(name) for name in names[:20])
    more = f" and {len(names) - 20} more" if len(names) > 20 else ""
    return clip_slack(f"For {shown}{more}", 2000)


def reply_modal(*, names: Sequence[str], metadata: str, prefill: str = "") -> dict[str, Any]:
    """The reply modal for the tickets `names` ("#691"); `prefill` (plain text) starts the text box."""
    element = PlainTextInputElement(action_id=REPLY_INPUT, multiline=True, max_length=MAX_REPLY)
    if prefill.strip():
        element.initial_value = prefill[:MAX_REPLY]
    blocks = [
        context(_about(names)),
        InputBlock(
            block_id=REPLY_BLOCK,
            label=plain("Reply", 2000),
            hint=plain(
                "Posted as a comment on GitHub, ending with “— sent from Slack by <your name>”.", 2000
            ),
            element=element,
        ),
    ]
    return _view(REPLY_CALLBACK, "Reply on GitHub", blocks, metadata=metadata, submit="Send")


def label_modal(
    *, names: Sequence[str], labels: Sequence[str], metadata: str, note: str | None = None
) -> dict[str, Any]:
    """The label picker for the tickets `names`: a multi-select of the first 100 of `labels` (Slack's
    limit for one menu) and, when there are more, a box to type further label names into; `note` (our
    own mrkdwn) says where the labels come from when the tickets are in several repositories."""
    usable = [label for label in labels if label.strip() and len(label) <= MAX_OPTION_VALUE]
    if not usable:
        return notice_modal("No labels", "This repository has no labels to add.", metadata=metadata)
    options = [
        Option(value=label, text=PlainTextObject(text=clip_slack(label, MAX_OPTION_TEXT)))
        for label in usable[:MAX_OPTIONS]
    ]
    blocks: list[Any] = [context(_about(names))]
    if note:
        blocks.append(context(note))
    blocks += [
        InputBlock(
            block_id=LABEL_BLOCK,
            label=plain("Labels to add", 2000),
            optional=len(usable) > MAX_OPTIONS,
            element=StaticMultiSelectElement(action_id=LABEL_INPUT, options=options),
        ),
    ]
    if len(usable) > MAX_OPTIONS:
        blocks.append(
            InputBlock(
                block_id=LABEL_TEXT_BLOCK,
                label=plain("Or type label names", 2000),
                hint=plain(
                    f"The menu shows {MAX_OPTIONS} of {len(usable)} labels. Separate names with commas.", 2000
                ),
                optional=True,
                element=PlainTextInputElement(action_id=LABEL_TEXT_INPUT, max_length=MAX_LABEL_TEXT),
            )
        )
    return _view(LABEL_CALLBACK, "Label on GitHub", blocks, metadata=metadata, submit="Add labels")


def duplicate_modal(*, name: str, suggested: int | None, metadata: str) -> dict[str, Any]:
    """Close `name` as a duplicate: the original's number, prefilled with `suggested`."""
    element = PlainTextInputElement(action_id=DUPLICATE_INPUT, max_length=12)
    if suggested:
        element.initial_value = f"#{suggested}"
    blocks = [
        section(
            f"{escape_slack(name)} will be closed as a duplicate, with the comment “Duplicate of #N”"
            " (GitHub links the original)."
        ),
        InputBlock(
            block_id=DUPLICATE_BLOCK,
            label=plain("Duplicate of", 2000),
            hint=plain("The original ticket's number, in the same repository.", 2000),
            element=element,
        ),
    ]
    return _view(DUPLICATE_CALLBACK, "Close as duplicate", blocks, metadata=metadata, submit="Close")


def close_confirm_modal(
    *, name: str, state_reason: str, duplicate_of: int | None, metadata: str
) -> dict[str, Any]:
    """The one confirmation of a Close chosen from a drill-down's menu, naming the choice: "Close #688
    as not planned?" / "as a duplicate of #686?"."""
    if state_reason == "duplicate" and duplicate_of is not None:
        how = f"as a duplicate of #{duplicate_of}"
        after = f" GitHub gets the comment “Duplicate of #{duplicate_of}” first."
    else:
        how = CLOSE_WORDS.get(state_reason, "as completed")
        after = ""
    question = f"Close {escape_slack(name)} {how}?"
    blocks = [section(f"*{question}*\nIt is closed on GitHub at once.{after}")]
    return _view(CONFIRM_CLOSE_CALLBACK, f"Close {name}?", blocks, metadata=metadata, submit="Close")


def notice_modal(title: str, text: str, *, metadata: str = "") -> dict[str, Any]:
    """A modal that only says something (`text` is our own mrkdwn): a refusal, a failed lookup."""
    return _view(LABEL_CALLBACK, title, [section(text)], metadata=metadata, submit=None)


def loading_modal(title: str) -> dict[str, Any]:
    """Opened at once while what the modal needs is fetched (views.open must follow a click in 3 s)."""
    return notice_modal(title, "Looking it up on GitHub…")


# --- submissions ---------------------------------------------------------------------------------------


def check_reply(text: object) -> tuple[str | None, dict[str, str]]:
    """(the reply, {}) or (None, {block: error})."""
    if not isinstance(text, str) or not text.strip():
        return None, {REPLY_BLOCK: REPLY_EMPTY}
    return text.strip(), {}


def check_duplicate(text: object, *, number: int) -> tuple[int | None, dict[str, str]]:
    """(the original's number, {}) or (None, {block: error}); `number` is the ticket being closed."""
    match = _NUMBER.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None or int(match.group(1)) == 0:
        return None, {DUPLICATE_BLOCK: DUPLICATE_NOT_A_NUMBER}
    original = int(match.group(1))
    if original == number:
        return None, {DUPLICATE_BLOCK: DUPLICATE_SAME}
    return original, {}


def check_labels(
    chosen: object, typed: object = None, *, known: Sequence[str]
) -> tuple[tuple[str, ...], dict[str, str]]:
    """(labels, {}) or ((), {block: error}) from the menu's values and the typed names; a typed name
    is matched to the repository's label case-insensitively, and one it does not have is an error."""
    picked = [str(v) for v in chosen] if isinstance(chosen, list | tuple) else []
    by_name = {label.lower(): label for label in known}
    unknown: list[str] = []
    if isinstance(typed, str):
        for word in (part.strip() for part in typed.split(",")):
            if not word:
                continue
            if word.lower() in by_name:
                picked.append(by_name[word.lower()])
            else:
                unknown.append(word)
    if unknown:
        shown = ", ".join(f"“{word[:50]}”" for word in unknown[:5])
        return (), {LABEL_TEXT_BLOCK: clip_slack(f"The repository has no label {shown}.", 300)}
    names = tuple(dict.fromkeys(label for label in picked if label in set(known)))
    if not names:
        return (), {LABEL_BLOCK: LABELS_NONE}
    return names, {}
