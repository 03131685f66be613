"""Property tests: whatever text GitHub holds, every renderer's output stays valid and inert.

Hostile titles, summaries, label names, score reasons and URLs go everywhere a report carries them:
the summary text also fills the headline, every part of a four-part group summary and a model's
summary; the label names the reason tickets are left out; the reason doubles as the model's name.
Slack messages must pass `validate_message` and hold no markup but our own links; Markdown tables
keep their column count, no line is added and every link is one of ours; JSON gives the text back
unchanged (but for lone surrogates, which become U+FFFD).
"""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.render import render_json, render_markdown, render_messages, report_to_dict
from bot.render.blocks import validate_message
from bot.render.escape import one_line, scrub

from .fixtures import report_with_text
from .helpers import SLACK_LINK, column_count, mrkdwn_texts, strings, table_rows, unlinked

HOSTILE = [
    "",
    " ",
    "\n\n",
    "<!channel> fix <@U123> & <script>",
    "<!here|here> <!everyone> <#C123|general> <@W123|boss> <!subteam^S123>",
    "<http://evil.example|click me> <mailto:a@b.c>",
    "@channel @here @everyone",
    "*_~`" * 20,
    "*bold* _italic_ ~strike~ `code` ```block``` > quote",
    "| a | b |\n| --- | --- |",
    "[link](https://evil.example) ![img](x) <b>html</b> &amp; &lt;",
    "# heading\n- item\n1. item\n---\n===",
    "😀🎉👍🏽👨‍👩‍👧" * 75,  # well over 300 characters of emoji
    "x" * 60_000,
    "&" * 5_000,
    "\\" * 10 + "|" * 10,
    "\u202etxt.exe\u202c \x00\x07\x1b[31m",
    "line one\r\nline two\u2028line three",
    "lone \ud800 surrogates \udfff and a pair \ud83d\ude00 split",
    "#1 #2 #3 #9 #12345 !#1 [#2](https://evil.example) <#3> <http://x|#1> \\#2 " * 250,
    "<!channel> *bold* <http://x|y> " * 350,  # over 10,000 characters of markup
    "y" * 10_000,
]
TOKENS = [
    "<",
    ">",
    "&",
    "|",
    "*",
    "_",
    "~",
    "`",
    "@",
    "!",
    "#",
    "[",
    "]",
    "(",
    ")",
    "\\",
    "\n",
    " ",
    "-",
    "<!channel>",
    "<@U123>",
    "<http://x|y>",
    "&amp;",
    "😀",
    "\u200b",
    "a",
    "1.",
]
hostile_text = st.one_of(
    st.sampled_from(HOSTILE),
    st.lists(st.sampled_from(TOKENS), max_size=80).map("".join),
    st.text(max_size=300),
)
hostile_url = st.one_of(
    st.just(None),
    st.sampled_from(
        [
            "https://github.com/o/r/issues/1|<!channel>",
            "https://github.com/o/r/issues/1>",
            "javascript:alert(1)",
            "http://github.com/o/r/issues/1",
            "https://github.com/o/r/issues/1",
            "",
        ]
    ),
    st.text(max_size=60).map(lambda tail: "https://github.com/" + tail),
)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Our own markup: links we build, bold markers in pairs; nothing else of Slack's syntax survives.
_OUR_LINK_AT = re.compile(SLACK_LINK.pattern)


def _assert_inert(text: str) -> None:
    assert "<!" not in text and "<@" not in text and "<#" not in text
    for match in re.finditer("<", text):
        assert _OUR_LINK_AT.match(text, match.start()), text[match.start() : match.start() + 80]
    rest = unlinked(text)
    assert ">" not in rest and "`" not in rest and "~" not in rest and "_" not in rest
    for line in rest.split("\n"):
        assert line.count("*") % 2 == 0, line


def _check_slack(*, title: str, summary: str, label: str, reason: str, url: str | None) -> None:
    report = report_with_text(title=title, summary=summary, label=label, reason=reason, url=url, model=reason)
    messages = render_messages(report)
    for message in messages:
        validate_message(message)
        for text in mrkdwn_texts(message):
            _assert_inert(text)
        for text in strings(message["blocks"]):
            assert "<!" not in text and "<@" not in text
    shown = "\n".join(text for message in messages for text in mrkdwn_texts(message))
    for number in (1, 2, 3, 4, 5):
        assert f"#{number}" in shown
    assert messages[0]["blocks"][1]["type"] == "section"  # the headline, right after the header
    assert "Left out: 2 tickets — 2 " in shown
    assert "Headline and summary of common issue 3 written by model " in shown


def _check_markdown(*, title: str, summary: str, label: str, reason: str, url: str | None) -> None:
    markdown = render_markdown(
        report_with_text(title=title, summary=summary, label=label, reason=reason, url=url, model=reason)
    )
    baseline = render_markdown(
        report_with_text(
            title="t", summary="s" if one_line(summary) else "", label="l", reason="r", url=url, model="r"
        )
    )
    assert len(markdown.splitlines()) == len(baseline.splitlines())
    for rows in table_rows(markdown):
        assert {column_count(row) for row in rows} == {column_count(rows[0])}
    assert "<" not in markdown
    # Every unescaped "[" opens one of our ticket links.
    for match in re.finditer(r"(?<!\\)(?:\\\\)*\[", markdown):
        opened = markdown[match.end() - 1 :]
        assert re.match(r"\[#\d\]\(https://", opened), opened[:40]


def _check_json(*, title: str, summary: str, label: str, reason: str) -> None:
    report = report_with_text(title=title, summary=summary, label=label, reason=reason, model=reason)
    data = json.loads(render_json(report))
    assert data == report_to_dict(report)
    title, summary, label, reason = (scrub(text) for text in (title, summary, label, reason))
    assert data["most_active"][0]["title"] == title
    assert data["common_issues"][0]["summary"] == summary
    assert data["labels"][0]["label"] == label
    assert data["most_active"][0]["score_breakdown"][0]["reason"] == reason
    assert data["headline"]["text"] == f"{summary} #1 and #2"
    parts = data["common_issues"][1]["parts"]
    assert [parts[key]["text"] for key in ("problem", "affected", "status", "tell_users")] == [summary] * 4
    assert data["common_issues"][2]["summary"] == summary
    assert data["excluded"][0]["reason"] == f"label {label}"
    assert data["excluded"][0]["tickets"][0]["title"] == title
    assert data["written_by"] == {"model": reason, "headline": "model", "common_issues": [2]}


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_each_known_hostile_text_in_every_place_and_every_format(text: str) -> None:
    """Each listed attack, everywhere at once, in all three formats (not left to chance)."""
    _check_slack(title=text, summary=text, label=text, reason=text, url=None)
    _check_markdown(title=text, summary=text, label=text, reason=text, url=None)
    _check_json(title=text, summary=text, label=text, reason=text)


@SETTINGS
@given(title=hostile_text, summary=hostile_text, label=hostile_text, reason=hostile_text, url=hostile_url)
def test_slack_messages_stay_valid_and_hold_no_foreign_markup(
    title: str, summary: str, label: str, reason: str, url: str | None
) -> None:
    _check_slack(title=title, summary=summary, label=label, reason=reason, url=url)


@SETTINGS
@given(title=hostile_text, summary=hostile_text, label=hostile_text, reason=hostile_text, url=hostile_url)
def test_markdown_structure_does_not_depend_on_ticket_text(
    title: str, summary: str, label: str, reason: str, url: str | None
) -> None:
    _check_markdown(title=title, summary=summary, label=label, reason=reason, url=url)


@SETTINGS
@given(title=hostile_text, summary=hostile_text, label=hostile_text, reason=hostile_text)
def test_json_gives_the_text_back_unchanged(title: str, summary: str, label: str, reason: str) -> None:
    _check_json(title=title, summary=summary, label=label, reason=reason)
