"""What a Slack view (the Home tab, a modal) and a select menu must respect, and a check of all of it.

`slack_limits` checks messages; views add their own limits (100 blocks, a title of 24 characters,
input blocks) and the menus used here have limits of their own (100 options, option text of 75
characters, option values of 150). slack_sdk's `to_dict()` checks some of these; this module checks
every one, so a builder bug shows up as a clear log line instead of Slack's `invalid_arguments`.
Lengths are counted in UTF-16 code units, as `slack_limits` does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from bot.render.slack_limits import (
    MAX_ACTION_ID,
    MAX_ACTIONS_ELEMENTS,
    MAX_CONTEXT_ELEMENTS,
    MAX_CONTEXT_TEXT,
    MAX_FIELD_TEXT,
    MAX_FIELDS,
    MAX_HEADER_TEXT,
    MAX_SECTION_TEXT,
    check_button,
    check_sdk_block,
    check_text,
)

# Slack's documented limits for views and menus (as of 2025).
MAX_VIEW_BLOCKS = 100  # Home tabs and modals alike
MAX_VIEW_TITLE = 24  # a modal's title, submit and close texts
MAX_PRIVATE_METADATA = 3000
MAX_CALLBACK_ID = 255
MAX_BLOCK_ID = 255
MAX_OPTIONS = 100  # a static_select's options, or an option group's
MAX_OPTION_GROUPS = 100
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_GROUP_LABEL = 75
MAX_PLACEHOLDER = 150
MAX_INPUT_LABEL = 2000
MAX_INPUT_HINT = 2000
MAX_INPUT_LENGTH = 3000  # a plain_text_input's max_length
MAX_ERROR_TEXT = 2000  # a field's error in a `response_action: errors` answer (undocumented; kept short)

_MENUS = frozenset({"static_select", "multi_static_select", "radio_buttons", "checkboxes", "overflow"})


class InvalidSlackView(ValueError):
    """A view Slack would reject; the message lists every problem found."""


def _options(problems: list[str], where: str, options: Any) -> int:
    if not isinstance(options, list) or not options:
        problems.append(f"{where}: options are missing or empty")
        return 0
    if len(options) > MAX_OPTIONS:
        problems.append(f"{where}: {len(options)} options, limit {MAX_OPTIONS}")
    for number, option in enumerate(options):
        spot = f"{where} option {number}"
        if not isinstance(option, Mapping):
            problems.append(f"{spot}: not an object")
            continue
        check_text(problems, f"{spot} text", option.get("text"), MAX_OPTION_TEXT)
        value = option.get("value")
        if not isinstance(value, str) or not value or len(value) > MAX_OPTION_VALUE:
            problems.append(f"{spot}: value must be 1..{MAX_OPTION_VALUE} characters")
    return len(options)


def element_problems(element: Any, *, where: str = "element") -> list[str]:
    """Every limit an interactive element (button, select, text input) breaks; a select's options too."""
    problems: list[str] = []
    if not isinstance(element, Mapping) or "type" not in element:
        return [f"{where}: not an element object"]
    kind = element["type"]
    action_id = element.get("action_id")
    if action_id is not None and (
        not isinstance(action_id, str) or not action_id or len(action_id) > MAX_ACTION_ID
    ):
        problems.append(f"{where}: action_id must be 1..{MAX_ACTION_ID} characters")
    if "placeholder" in element:
        check_text(problems, f"{where} placeholder", element["placeholder"], MAX_PLACEHOLDER, plain_only=True)
    if kind == "button":
        check_button(problems, where, element)
    elif kind in _MENUS:
        groups = element.get("option_groups")
        if groups is not None:
            if not isinstance(groups, list) or not groups or len(groups) > MAX_OPTION_GROUPS:
                problems.append(f"{where}: needs 1..{MAX_OPTION_GROUPS} option groups")
                groups = groups if isinstance(groups, list) else []
            total = 0
            for number, group in enumerate(groups):
                spot = f"{where} group {number}"
                if not isinstance(group, Mapping):
                    problems.append(f"{spot}: not an object")
                    continue
                check_text(problems, f"{spot} label", group.get("label"), MAX_GROUP_LABEL, plain_only=True)
                total += _options(problems, spot, group.get("options"))
            if total > MAX_OPTIONS:  # kept to the single-list limit: what every client draws
                problems.append(f"{where}: {total} options in all, limit {MAX_OPTIONS}")
        else:
            _options(problems, where, element.get("options"))
        initial = element.get("initial_option")
        if initial is not None:
            _options(problems, f"{where} initial", [initial])
    elif kind == "plain_text_input":
        length = element.get("max_length")
        if length is not None and (not isinstance(length, int) or not 1 <= length <= MAX_INPUT_LENGTH):
            problems.append(f"{where}: max_length must be 1..{MAX_INPUT_LENGTH}")
    return problems


def _block(problems: list[str], index: int, block: Any, ids: list[str], block_ids: list[str]) -> None:
    where = f"block {index}"
    if not check_sdk_block(problems, where, block):
        return
    kind = block["type"]
    where = f"{where} ({kind})"
    block_id = block.get("block_id")
    if block_id is not None:
        if not isinstance(block_id, str) or not block_id or len(block_id) > MAX_BLOCK_ID:
            problems.append(f"{where}: block_id must be 1..{MAX_BLOCK_ID} characters")
        else:
            block_ids.append(block_id)
    elements: list[Any] = []
    if kind == "header":
        check_text(problems, where, block.get("text"), MAX_HEADER_TEXT, plain_only=True)
    elif kind == "section":
        fields = block.get("fields") or []
        if "text" in block or not fields:
            check_text(problems, where, block.get("text"), MAX_SECTION_TEXT)
        if len(fields) > MAX_FIELDS:
            problems.append(f"{where}: {len(fields)} fields, limit {MAX_FIELDS}")
        for number, item in enumerate(fields):
            check_text(problems, f"{where} field {number}", item, MAX_FIELD_TEXT)
        if "accessory" in block:
            elements.append(block["accessory"])
    elif kind == "context":
        items = block.get("elements") or []
        if not items or len(items) > MAX_CONTEXT_ELEMENTS:
            problems.append(f"{where}: needs 1..{MAX_CONTEXT_ELEMENTS} elements")
        for number, item in enumerate(items):
            if isinstance(item, Mapping) and item.get("type") in ("mrkdwn", "plain_text"):
                check_text(problems, f"{where} element {number}", item, MAX_CONTEXT_TEXT)
    elif kind == "actions":
        items = block.get("elements") or []
        if not items or len(items) > MAX_ACTIONS_ELEMENTS:
            problems.append(f"{where}: needs 1..{MAX_ACTIONS_ELEMENTS} elements")
        elements.extend(items)
    elif kind == "input":
        check_text(problems, f"{where} label", block.get("label"), MAX_INPUT_LABEL, plain_only=True)
        if "hint" in block:
            check_text(problems, f"{where} hint", block["hint"], MAX_INPUT_HINT, plain_only=True)
        elements.append(block.get("element"))
    for number, element in enumerate(elements):
        problems.extend(element_problems(element, where=f"{where} element {number}"))
        if isinstance(element, Mapping) and isinstance(element.get("action_id"), str):
            ids.append(element["action_id"])


def blocks_problems(blocks: Any, *, max_blocks: int) -> list[str]:
    """Every limit these blocks break, at most `max_blocks` of them (100 in a view, 50 in a message)."""
    if not isinstance(blocks, list) or not blocks:
        return ["blocks are missing or empty"]
    problems: list[str] = []
    if len(blocks) > max_blocks:
        problems.append(f"{len(blocks)} blocks, limit {max_blocks}")
    action_ids: list[str] = []
    block_ids: list[str] = []
    for index, block in enumerate(blocks):
        _block(problems, index, block, action_ids, block_ids)
    # Slack requires unique action_ids within a block; we keep them unique in the whole view.
    duplicates = sorted(a for a, uses in Counter(action_ids).items() if uses > 1)
    if duplicates:
        problems.append(f"action_id used more than once: {', '.join(duplicates)}")
    if len(block_ids) != len(set(block_ids)):
        problems.append("block_id used more than once")
    return problems


def view_problems(view: Any) -> list[str]:
    """Every reason Slack would reject this Home tab or modal view (empty when it is fine)."""
    if not isinstance(view, Mapping):
        return ["view is not an object"]
    problems: list[str] = []
    kind = view.get("type")
    if kind not in ("home", "modal"):
        problems.append(f"view type must be home or modal, not {kind!r}")
    if kind == "modal":
        check_text(problems, "title", view.get("title"), MAX_VIEW_TITLE, plain_only=True)
        for key in ("submit", "close"):
            if key in view:
                check_text(problems, key, view[key], MAX_VIEW_TITLE, plain_only=True)
        has_input = any(isinstance(b, Mapping) and b.get("type") == "input" for b in view.get("blocks") or [])
        if has_input and "submit" not in view:
            problems.append("a modal with inputs needs a submit button")
    for key, limit in (("private_metadata", MAX_PRIVATE_METADATA), ("callback_id", MAX_CALLBACK_ID)):
        value = view.get(key)
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            problems.append(f"{key} longer than {limit}")
    problems.extend(blocks_problems(view.get("blocks"), max_blocks=MAX_VIEW_BLOCKS))
    return problems


def validate_view(view: Any) -> None:
    """Raise InvalidSlackView naming every limit this view breaks; return None if Slack will take it."""
    problems = view_problems(view)
    if problems:
        raise InvalidSlackView("; ".join(problems))
