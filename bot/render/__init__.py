"""Pure renderers of a Report: Markdown, JSON and Slack Block Kit messages.

No network, no clock, no configuration: each function takes a `bot.report.models.Report` and returns
text or plain data. GitHub text is untrusted and is escaped in one place, `escape.py`.
"""

from bot.render.blocks import (
    DETAILS_ACTION_ID,
    DETAILS_ACTION_PATTERN,
    InvalidSlackMessage,
    SlackMessage,
    message_problems,
    render_messages,
    validate_message,
)
from bot.render.escape import escape_markdown_cell, escape_slack
from bot.render.json_view import render_json, report_to_dict
from bot.render.markdown import render_markdown

__all__ = [
    "DETAILS_ACTION_ID",
    "DETAILS_ACTION_PATTERN",
    "InvalidSlackMessage",
    "SlackMessage",
    "escape_markdown_cell",
    "escape_slack",
    "message_problems",
    "render_json",
    "render_markdown",
    "render_messages",
    "report_to_dict",
    "validate_message",
]
