"""Ways to look inside rendered output that several renderer tests share."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

# A Slack link we build: <https://...|label>, the label free of <, > and |.
SLACK_LINK = re.compile(r"<https://[^\s<>|]+\|[^<>|]*>")
# An unescaped "|" in a Markdown table row (a backslash escapes it).
_CELL_SEPARATOR = re.compile(r"(?<!\\)(?:\\\\)*\|")


def table_rows(markdown: str) -> list[list[str]]:
    """Each Markdown table, as the column count of every row, in order."""
    tables: list[list[str]] = []
    current: list[str] = []
    for line in markdown.splitlines():
        if line.startswith("|"):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    if current:
        tables.append(current)
    return tables


def column_count(row: str) -> int:
    """Cells in a table row: unescaped pipes minus one (rows start and end with a pipe)."""
    return len(_CELL_SEPARATOR.findall(row)) - 1


def strings(value: Any) -> Iterator[str]:
    """Every string anywhere inside a JSON-like value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def mrkdwn_texts(message: dict[str, Any]) -> Iterator[str]:
    """The fallback text and every mrkdwn text object of a message."""
    yield message["text"]
    yield from _mrkdwn(message["blocks"])


def _mrkdwn(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        if value.get("type") == "mrkdwn" and isinstance(value.get("text"), str):
            yield value["text"]
        for item in value.values():
            yield from _mrkdwn(item)
    elif isinstance(value, list):
        for item in value:
            yield from _mrkdwn(item)


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    """Every button in a message, in order."""
    found: list[dict[str, Any]] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if value.get("type") == "button":
                found.append(value)
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(message["blocks"])
    return found


def overflow_options(message: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every option of every overflow menu in a message, in order, with its menu's action_id."""
    found: list[tuple[str, dict[str, Any]]] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if value.get("type") == "overflow":
                found.extend((value["action_id"], option) for option in value.get("options", []))
                return
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(message["blocks"])
    return found


def unlinked(text: str) -> str:
    """The text with our own links removed: what is left must hold no Slack markup at all."""
    return SLACK_LINK.sub("", text)
