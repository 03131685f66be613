"""The controls that act on a ticket from Slack, and the reading of what they send back.

Two kinds of controls, both pure Block Kit built from our own data:

* `action_row(...)`: the row under a drill-down (and, appended by the caller, an alert): *Label*
  (a multi-select of the repository's labels, or a "Label…" button opening a picker when there are
  more than a menu holds), *Assign* (the repository's assignable people), *Reply…* (opens a modal),
  *Close ▾* (a menu: completed, not planned, duplicate of the suggested original, duplicate of another) or
  *Reopen* once the ticket is closed. The row's block_id names the ticket (`ROW_PREFIX` + the ticket's
  JSON), so a menu's choice needs no ticket in its own value; buttons carry the ticket as their value too.
* `recommendation_actions(...)`: under a report's recommendation, one button per ticket it names
  ("Close #688", "Label #691", "Answer #691") and, for several, one "… all N" button; closing asks once.

Reopen and a recommendation's Close carry a Block Kit `confirm` dialog naming what will happen: Slack asks
before it sends anything. The row's Close menu has none (its dialog could not name the option chosen): the
choice opens a confirmation modal, "Close #688 as not planned?", or the duplicate modal asking for the
original.

Every action_id starts with ACTION_PREFIX (`ACTION_PATTERN` matches them all). What comes back is
untrusted: `read_row_ticket`, `read_close_choice` and `read_bulk_value` return None for anything the
renderer would not have written (a control from an older bot, a tampered payload), and the caller says
the button is out of date.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ConfirmObject,
    Option,
    PlainTextObject,
    StaticMultiSelectElement,
    StaticSelectElement,
)

from bot.render.escape import clip_slack, utf16_len
from bot.render.slack_limits import MAX_BUTTON_TEXT, MAX_BUTTON_VALUE, MAX_OPTION_TEXT, MAX_OPTION_VALUE
from bot.render.slack_parts import Block, plain, ticket_value

ACTION_PREFIX = "ticket_act:"
ACTION_PATTERN = r"^ticket_act:"
LABEL_ACTION = ACTION_PREFIX + "label"
LABEL_PICKER_ACTION = ACTION_PREFIX + "label_picker"
ASSIGN_ACTION = ACTION_PREFIX + "assign"
REPLY_ACTION = ACTION_PREFIX + "reply"
CLOSE_ACTION = ACTION_PREFIX + "close"
REOPEN_ACTION = ACTION_PREFIX + "reopen"
RECOMMENDATION_ACTION = ACTION_PREFIX + "rec"  # + "<recommendation>:<ticket>" or ":all"

ROW_PREFIX = "ticket_row|"
MAX_BLOCK_ID = 255  # Slack rejects a longer block_id
MAX_MENU_OPTIONS = 100  # a select menu's limit
# A message's blocks stay under MAX_BLOCKS_JSON (10,000): a menu's options may take this much of it, and
# labels beyond go to the picker modal (assignable people beyond are left out of the menu).
MAX_MENU_JSON = 3500
MAX_TICKET_NUMBER = 999_999_999
MAX_BULK_TICKETS = 20  # tickets one "for all" button acts on
MAX_TICKET_BUTTONS = 5  # buttons for single tickets under a recommendation (the rest: "all")

# What a Close menu option carries back.
CLOSE_COMPLETED = "completed"
CLOSE_NOT_PLANNED = "not_planned"
CLOSE_DUPLICATE_OTHER = "duplicate"  # opens the modal asking for the original
_CLOSE_DUPLICATE_OF = re.compile(r"duplicate:([1-9][0-9]{0,8})")

# Which action a recommendation's buttons take ("do" in their value).
BULK_CLOSE_DUPLICATE = "dup"
BULK_LABEL = "label"
BULK_REPLY = "reply"
_BULK_KINDS = (BULK_CLOSE_DUPLICATE, BULK_LABEL, BULK_REPLY)
_BULK_VERBS = {BULK_CLOSE_DUPLICATE: "Close", BULK_LABEL: "Label", BULK_REPLY: "Answer"}

_REPO = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}")


@dataclass(frozen=True)
class RowChoices:
    """What the row's menus offer: the repository's labels and assignable people (GitHub logins)."""

    labels: tuple[str, ...] = ()
    assignable: tuple[str, ...] = ()


@dataclass(frozen=True)
class BulkTarget:
    """One ticket a recommendation's button acts on; `duplicate_of` for closing as a duplicate."""

    repo: str
    number: int
    duplicate_of: int | None = None


@dataclass(frozen=True)
class BulkValue:
    kind: str  # one of BULK_CLOSE_DUPLICATE, BULK_LABEL, BULK_REPLY
    targets: tuple[BulkTarget, ...]


# --- the drill-down's row ------------------------------------------------------------------------------


def row_block_id(repo: str, number: int) -> str | None:
    """The row's block_id naming its ticket; None when it would not fit Slack's limit."""
    block_id = ROW_PREFIX + ticket_value(repo, number)
    return block_id if len(block_id) <= MAX_BLOCK_ID else None


def action_row(
    repo: str,
    number: int,
    *,
    state: str,
    choices: RowChoices,
    duplicate_of: int | None = None,
    label: str | None = None,
) -> list[Block]:
    """The action row for one ticket (see the module docstring); [] when the ticket cannot be named.

    `state` is "open" or "closed"; `duplicate_of` is the suggested original, preselected in Close;
    `label` is how the ticket is named in the confirmations ("#688"; default `#number`)."""
    block_id = row_block_id(repo, number)
    if block_id is None:
        return []
    name = label or f"#{number}"
    value = ticket_value(repo, number)
    elements: list = []
    label_control = _label_control(choices.labels, value=value)
    if label_control is not None:
        elements.append(label_control)
    assign = _assign_menu(choices.assignable)
    if assign is not None:
        elements.append(assign)
    elements.append(ButtonElement(text=plain("Reply…", MAX_BUTTON_TEXT), action_id=REPLY_ACTION, value=value))
    if state == "closed":
        elements.append(
            ButtonElement(
                text=plain("Reopen", MAX_BUTTON_TEXT),
                action_id=REOPEN_ACTION,
                value=value,
                confirm=_confirm(f"Reopen {name}?", f"{name} will be reopened on GitHub.", "Reopen"),
            )
        )
    else:
        elements.append(_close_menu(duplicate_of=duplicate_of, number=number))
    return [ActionsBlock(block_id=block_id, elements=elements).to_dict()]


def _label_control(labels: Sequence[str], *, value: str) -> object | None:
    options = [_option(name, name) for name in labels]
    options = [option for option in options if option is not None]
    if not options:
        return None
    if len(options) > MAX_MENU_OPTIONS or _options_size(options) > MAX_MENU_JSON:
        return ButtonElement(
            text=plain("Label…", MAX_BUTTON_TEXT), action_id=LABEL_PICKER_ACTION, value=value
        )
    return StaticMultiSelectElement(placeholder=plain("Label", 150), action_id=LABEL_ACTION, options=options)


def _assign_menu(logins: Sequence[str]) -> StaticSelectElement | None:
    options = []
    for login in logins[:MAX_MENU_OPTIONS]:
        option = _option(login, login)
        if option is None:
            continue
        if _options_size([*options, option]) > MAX_MENU_JSON:
            break
        options.append(option)
    if not options:
        return None
    return StaticSelectElement(placeholder=plain("Assign", 150), action_id=ASSIGN_ACTION, options=options)


def _options_size(options: Sequence[Option]) -> int:
    return utf16_len(json.dumps([option.to_dict() for option in options], ensure_ascii=False))


def _close_menu(*, duplicate_of: int | None, number: int) -> StaticSelectElement:
    options = [
        Option(text=PlainTextObject(text="Close as completed"), value=CLOSE_COMPLETED),
        Option(text=PlainTextObject(text="Close as not planned"), value=CLOSE_NOT_PLANNED),
    ]
    if duplicate_of is not None and duplicate_of != number and 1 <= duplicate_of <= MAX_TICKET_NUMBER:
        options.append(
            Option(
                text=PlainTextObject(text=f"Close as duplicate of #{duplicate_of}"),
                value=f"duplicate:{duplicate_of}",
            )
        )
    options.append(Option(text=PlainTextObject(text="Close as duplicate of…"), value=CLOSE_DUPLICATE_OTHER))
    # No `confirm` here: Slack's dialog is the same for every option, so it could not name the reason
    # chosen; the choice opens a confirmation modal that does (`bot.render.action_modals`).
    return StaticSelectElement(placeholder=plain("Close", 150), action_id=CLOSE_ACTION, options=options)


def _option(text: str, value: str) -> Option | None:
    """A menu option showing `text` (plain text: shown as typed, never a mention); None if `value` is
    too long or empty for Slack."""
    if not value or len(value) > MAX_OPTION_VALUE or not text.strip():
        return None
    return Option(text=PlainTextObject(text=clip_slack(text, MAX_OPTION_TEXT)), value=value)


def _confirm(title: str, text: str, confirm: str) -> ConfirmObject:
    return ConfirmObject(
        title=PlainTextObject(text=clip_slack(title, 100)),
        text=PlainTextObject(text=clip_slack(text, 300)),
        confirm=PlainTextObject(text=confirm),
        deny=PlainTextObject(text="Cancel"),
        style="danger",
    )


# --- a recommendation's buttons ------------------------------------------------------------------------


def recommendation_actions(
    index: int, kind: str, targets: Sequence[BulkTarget], *, labels: Sequence[str]
) -> Block | None:
    """The buttons under recommendation `index`: one per ticket (up to MAX_BULK_TICKETS), then one for
    all of them when there are several; `labels` name the tickets on the buttons ("#688"). None when
    there is nothing to offer."""
    if kind not in _BULK_KINDS or not targets:
        return None
    verb = _BULK_VERBS[kind]
    elements: list = []
    shown = list(zip(targets, labels, strict=True))[:MAX_BULK_TICKETS]
    for position, (target, name) in enumerate(shown[:MAX_TICKET_BUTTONS]):
        value = bulk_value(BulkValue(kind, (target,)))
        if value is None:
            continue
        words = f"{verb} {name}"
        if kind == BULK_CLOSE_DUPLICATE and target.duplicate_of is not None:
            words += f" as duplicate of #{target.duplicate_of}"
        confirm = None
        if kind == BULK_CLOSE_DUPLICATE:
            confirm = _confirm(
                f"Close {name}?",
                f"{name} will be closed on GitHub as a duplicate of #{target.duplicate_of}, with the "
                f"comment “Duplicate of #{target.duplicate_of}”.",
                "Close",
            )
        elements.append(
            ButtonElement(
                text=plain(words, MAX_BUTTON_TEXT),
                action_id=f"{RECOMMENDATION_ACTION}{index}:{position}",
                value=value,
                confirm=confirm,
            )
        )
    if len(shown) > 1:
        all_targets = tuple(target for target, _ in shown)
        value = _fitting_bulk_value(kind, all_targets)
        if value is not None:
            count = len(json.loads(value)["t"])
            confirm = None
            if kind == BULK_CLOSE_DUPLICATE:
                confirm = _confirm(
                    f"Close all {count}?",
                    f"{count} tickets will be closed on GitHub as duplicates, each with the comment "
                    "“Duplicate of #N” naming its original.",
                    f"Close all {count}",
                )
            elements.append(
                ButtonElement(
                    text=plain(f"{verb} all {count}", MAX_BUTTON_TEXT),
                    action_id=f"{RECOMMENDATION_ACTION}{index}:all",
                    value=value,
                    confirm=confirm,
                    style="primary" if kind != BULK_CLOSE_DUPLICATE else "danger",
                )
            )
    if not elements:
        return None
    # An actions block holds at most 25 elements: 20 tickets and the "all" button stay within it.
    return ActionsBlock(block_id=f"ticket_rec|{index}", elements=elements).to_dict()


def _fitting_bulk_value(kind: str, targets: tuple[BulkTarget, ...]) -> str | None:
    """The value for as many of `targets` as fit a button's limit (long repository names take room)."""
    for count in range(len(targets), 1, -1):
        value = bulk_value(BulkValue(kind, targets[:count]))
        if value is not None:
            return value
    return None


def bulk_value(value: BulkValue) -> str | None:
    """A recommendation button's value: `{"do":kind,"t":[[repo,number,original or 0],...]}`; None if
    over Slack's limit."""
    data = {"do": value.kind, "t": [[t.repo, t.number, t.duplicate_of or 0] for t in value.targets]}
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return text if utf16_len(text) <= MAX_BUTTON_VALUE else None


# --- reading what comes back ---------------------------------------------------------------------------


def _ticket(repo: object, number: object) -> tuple[str, int] | None:
    if not isinstance(repo, str) or not _REPO.fullmatch(repo):
        return None
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= MAX_TICKET_NUMBER:
        return None
    return repo, number


def _json(text: object, limit: int) -> object:
    if not isinstance(text, str) or len(text) > limit:
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def read_ticket_value(value: object) -> tuple[str, int] | None:
    """(repo, number) from a ticket's JSON as `ticket_value` writes it; None for anything else."""
    data = _json(value, MAX_BUTTON_VALUE)
    if not isinstance(data, dict) or set(data) != {"repo", "number"}:
        return None
    return _ticket(data.get("repo"), data.get("number"))


def read_row_ticket(block_id: object) -> tuple[str, int] | None:
    """(repo, number) from an action row's block_id; None for any other block_id."""
    if not isinstance(block_id, str) or not block_id.startswith(ROW_PREFIX) or len(block_id) > MAX_BLOCK_ID:
        return None
    return read_ticket_value(block_id[len(ROW_PREFIX) :])


def read_close_choice(value: object, *, number: int) -> tuple[str, int | None] | None:
    """(state_reason, duplicate_of) from a Close option: ("completed", None), ("duplicate", 686), or
    ("duplicate", None) for "duplicate of…" (ask for the number). None for anything else."""
    if value in (CLOSE_COMPLETED, CLOSE_NOT_PLANNED, CLOSE_DUPLICATE_OTHER):
        return str(value), None
    match = _CLOSE_DUPLICATE_OF.fullmatch(value) if isinstance(value, str) else None
    if match is None or int(match.group(1)) == number:
        return None
    return "duplicate", int(match.group(1))


def read_bulk_value(value: object) -> BulkValue | None:
    """A recommendation button's value as `bulk_value` writes it; None for anything else."""
    data = _json(value, MAX_BUTTON_VALUE)
    if not isinstance(data, dict) or data.get("do") not in _BULK_KINDS:
        return None
    rows = data.get("t")
    if not isinstance(rows, list) or not 1 <= len(rows) <= MAX_BULK_TICKETS:
        return None
    targets = []
    for row in rows:
        if not isinstance(row, list) or len(row) != 3:
            return None
        ticket = _ticket(row[0], row[1])
        original = row[2]
        if ticket is None or isinstance(original, bool) or not isinstance(original, int):
            return None
        if not 0 <= original <= MAX_TICKET_NUMBER or original == ticket[1]:
            return None
        if data["do"] == BULK_CLOSE_DUPLICATE and original == 0:
            return None
        targets.append(BulkTarget(ticket[0], ticket[1], original or None))
    return BulkValue(kind=data["do"], targets=tuple(dict.fromkeys(targets)))
