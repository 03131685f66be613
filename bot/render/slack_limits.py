"""What a Slack message must respect to be accepted, and a check of all of it (`validate_message`).

slack_sdk's `to_dict()` already rejects some over-long parts; it does not check field lengths, the
number of blocks, unique action_ids, an overflow menu's options or the size of the whole message, so
this module does. Lengths are counted in UTF-16 code units (never fewer than the code points slack_sdk
counts). The renderer builds within these limits; the tests and the Slack poster call
`validate_message` to prove it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from typing import Any, TypedDict

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

from bot.render.escape import utf16_len

# Slack's documented Block Kit limits (as of 2025).
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_CONTEXT_ELEMENTS = 10
MAX_CONTEXT_TEXT = 3000
MAX_ACTIONS_ELEMENTS = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_ACTION_ID = 255
MAX_BUTTON_URL = 3000
MAX_OVERFLOW_OPTIONS = 5
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
# Slack answers msg_blocks_too_long for block JSON of roughly 12,000 characters and more (seen 2025;
# the exact figure is undocumented), so we stay well under it.
MAX_BLOCKS_JSON = 10_000
# The fallback text shows in notifications; Slack truncates very long text, ours is one line.
MAX_FALLBACK_TEXT = 3000


class SlackMessage(TypedDict):
    """One chat.postMessage worth of report: fallback `text` and Block Kit `blocks` (plain dicts)."""

    text: str
    blocks: list[dict[str, Any]]


class InvalidSlackMessage(ValueError):
    """A message Slack would reject; the message lists every problem found."""


def blocks_json_size(blocks: list[dict[str, Any]]) -> int:
    """Size of the blocks as JSON, in UTF-16 units, the figure held against MAX_BLOCKS_JSON."""
    return utf16_len(json.dumps(blocks, ensure_ascii=False))


def _text_of(obj: Any) -> str | None:
    if isinstance(obj, Mapping) and isinstance(obj.get("text"), str):
        return obj["text"]
    return None


def check_text(problems: list[str], where: str, obj: Any, limit: int, *, plain_only: bool = False) -> None:
    text = _text_of(obj)
    if text is None or not text:
        problems.append(f"{where}: text is missing or empty")
        return
    if plain_only and obj.get("type") != "plain_text":
        problems.append(f"{where}: must be plain_text")
    if utf16_len(text) > limit:
        problems.append(f"{where}: text is {utf16_len(text)} long, limit {limit}")


def _check_overflow(problems: list[str], where: str, element: Mapping[str, Any]) -> None:
    options = element.get("options")
    if not isinstance(options, list) or not 1 <= len(options) <= MAX_OVERFLOW_OPTIONS:
        problems.append(f"{where}: an overflow menu needs 1..{MAX_OVERFLOW_OPTIONS} options")
        return
    for number, option in enumerate(options):
        if not isinstance(option, Mapping):
            problems.append(f"{where} option {number}: not an object")
            continue
        text = option.get("text")
        check_text(problems, f"{where} option {number}", text, MAX_OPTION_TEXT, plain_only=True)
        value = option.get("value")
        if not isinstance(value, str) or not value or len(value) > MAX_OPTION_VALUE:
            problems.append(f"{where} option {number}: value must be 1..{MAX_OPTION_VALUE} characters")


def _check_element(problems: list[str], where: str, element: Any, action_ids: list[str]) -> None:
    if not isinstance(element, Mapping):
        problems.append(f"{where}: not an object")
        return
    if element.get("type") == "overflow":
        _check_overflow(problems, where, element)
        action_id = element.get("action_id")
        if not isinstance(action_id, str) or not action_id or len(action_id) > MAX_ACTION_ID:
            problems.append(f"{where}: action_id must be 1..{MAX_ACTION_ID} characters")
        else:
            action_ids.append(action_id)
        return
    if element.get("type") != "button":
        if "action_id" in element:
            action_ids.append(str(element["action_id"]))
        return
    action_id = element.get("action_id")
    if not isinstance(action_id, str) or not action_id or len(action_id) > MAX_ACTION_ID:
        problems.append(f"{where}: action_id must be 1..{MAX_ACTION_ID} characters")
    else:
        action_ids.append(action_id)
    check_button(problems, where, element)


def check_button(problems: list[str], where: str, element: Mapping[str, Any]) -> None:
    """A button's text, value and url against Slack's limits (its action_id is the caller's)."""
    check_text(problems, f"{where} button text", element.get("text"), MAX_BUTTON_TEXT, plain_only=True)
    value = element.get("value")
    if value is not None and (not isinstance(value, str) or len(value) > MAX_BUTTON_VALUE):
        problems.append(f"{where}: value longer than {MAX_BUTTON_VALUE}")
    url = element.get("url")
    if url is not None and (not isinstance(url, str) or len(url) > MAX_BUTTON_URL):
        problems.append(f"{where}: url longer than {MAX_BUTTON_URL}")


def check_sdk_block(problems: list[str], where: str, block: Any) -> bool:
    """Whether `block` is a block object slack_sdk can parse (what it rejects is added to `problems`,
    and the caller goes on to check the rest: every problem is reported). False: not a block at all."""
    if not isinstance(block, Mapping) or "type" not in block:
        problems.append(f"{where}: not a block object")
        return False
    try:
        parsed = Block.parse(dict(block))
        if parsed is None:
            problems.append(f"{where}: unknown block type {block.get('type')!r}")
            return False
        parsed.to_dict()
    except (SlackObjectFormationError, TypeError, KeyError, AttributeError) as error:
        problems.append(f"{where}: slack_sdk rejects it: {error}")
    return True


def _check_block(problems: list[str], index: int, block: Any, action_ids: list[str]) -> None:
    where = f"block {index}"
    if not check_sdk_block(problems, where, block):
        return
    kind = block["type"]
    where = f"{where} ({kind})"
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
            _check_element(problems, f"{where} accessory", block["accessory"], action_ids)
    elif kind == "context":
        elements = block.get("elements") or []
        if not elements or len(elements) > MAX_CONTEXT_ELEMENTS:
            problems.append(f"{where}: needs 1..{MAX_CONTEXT_ELEMENTS} elements")
        for number, item in enumerate(elements):
            if isinstance(item, Mapping) and item.get("type") in ("mrkdwn", "plain_text"):
                check_text(problems, f"{where} element {number}", item, MAX_CONTEXT_TEXT)
    elif kind == "actions":
        elements = block.get("elements") or []
        if not elements or len(elements) > MAX_ACTIONS_ELEMENTS:
            problems.append(f"{where}: needs 1..{MAX_ACTIONS_ELEMENTS} elements")
        for number, item in enumerate(elements):
            _check_element(problems, f"{where} element {number}", item, action_ids)


def message_problems(message: Any) -> list[str]:
    """Every reason Slack would reject this message (empty when it is fine)."""
    if not isinstance(message, Mapping):
        return ["message is not an object"]
    problems: list[str] = []
    text = message.get("text")
    if not isinstance(text, str) or not text.strip():
        problems.append("fallback text is missing or empty")
    elif utf16_len(text) > MAX_FALLBACK_TEXT:
        problems.append(f"fallback text is {utf16_len(text)} long, limit {MAX_FALLBACK_TEXT}")
    blocks = message.get("blocks")
    if not isinstance(blocks, list) or not blocks:
        return [*problems, "blocks are missing or empty"]
    if len(blocks) > MAX_BLOCKS:
        problems.append(f"{len(blocks)} blocks, limit {MAX_BLOCKS}")
    try:
        size = blocks_json_size(blocks)
    except (TypeError, ValueError) as error:
        return [*problems, f"blocks are not JSON: {error}"]
    if size > MAX_BLOCKS_JSON:
        problems.append(f"blocks are {size} characters of JSON, limit {MAX_BLOCKS_JSON}")
    action_ids: list[str] = []
    for index, block in enumerate(blocks):
        _check_block(problems, index, block, action_ids)
    duplicates = sorted(action_id for action_id, uses in Counter(action_ids).items() if uses > 1)
    if duplicates:
        problems.append(f"action_id used more than once: {', '.join(duplicates)}")
    block_ids = [block["block_id"] for block in blocks if isinstance(block, Mapping) and "block_id" in block]
    if len(block_ids) != len(set(block_ids)):
        problems.append("block_id used more than once")
    return problems


def validate_message(message: Any) -> None:
    """Raise InvalidSlackMessage naming every limit this message breaks; return None if Slack will take it."""
    problems = message_problems(message)
    if problems:
        raise InvalidSlackMessage("; ".join(problems))
