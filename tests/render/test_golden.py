"""Golden files pin the exact Markdown, JSON and Block Kit of the fixed fixture report.

Regenerate them after an intended change with `UPDATE_GOLDEN=1 python3 -m pytest -q tests/render`,
then read the diff before keeping it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.render import render_json, render_markdown, render_messages
from bot.render.blocks import validate_message

from .fixtures import empty_report, fixture_report

GOLDEN = Path(__file__).parent / "golden"


def _blocks_text() -> str:
    messages = render_messages(fixture_report())
    return json.dumps(messages, indent=2, ensure_ascii=False) + "\n"


CASES: dict[str, Callable[[], str]] = {
    "report.md": lambda: render_markdown(fixture_report()),
    "report.json": lambda: render_json(fixture_report()) + "\n",
    "report.blocks.json": _blocks_text,
    "empty.md": lambda: render_markdown(empty_report()),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_output_matches_golden_file(name: str) -> None:
    """The renderers' output for the fixture is exactly the reviewed golden file."""
    actual = CASES[name]()
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"{path} is missing: run with UPDATE_GOLDEN=1 to write it, then review it"
    assert actual == path.read_text(encoding="utf-8")


def test_golden_blocks_are_a_valid_slack_message() -> None:
    """The reviewed Block Kit golden file is itself a message Slack accepts."""
    for message in json.loads((GOLDEN / "report.blocks.json").read_text(encoding="utf-8")):
        validate_message(message)
