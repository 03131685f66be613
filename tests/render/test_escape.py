"""The one escaping module: hostile GitHub text comes out inert in Slack mrkdwn and Markdown."""

from __future__ import annotations

import pytest

from bot.render.escape import (
    clip_slack,
    escape_markdown_cell,
    escape_slack,
    markdown_link,
    safe_url,
    slack_link,
    utf16_len,
)

HOSTILE = "<!channel> fix <@U123> & <script>"


def test_slack_mentions_links_and_ampersands_are_defused() -> None:
    assert escape_slack(HOSTILE) == "&lt;!channel&gt; fix &lt;@U123&gt; &amp; &lt;script&gt;"
    assert escape_slack("<http://evil.example|click>") == "&lt;http://evil.example|click&gt;"


def test_slack_formatting_characters_cannot_open_spans() -> None:
    escaped = escape_slack("*bold* _it_ ~strike~ `code`")
    assert not set("*_~`") & set(escaped)
    assert escaped == "∗bold∗ ˍitˍ ∼strike∼ ˋcodeˋ"


def test_slack_text_is_one_line_without_controls() -> None:
    assert escape_slack("first\n> quoted\r\n\tlast\x00\x1b[31m\u202e") == "first &gt; quoted last[31m"


def test_slack_broadcast_words_are_broken_up() -> None:
    assert escape_slack("ping @channel and @Here") == "ping @\u200bchannel and @\u200bHere"


def test_slack_escape_of_nothing_is_empty() -> None:
    assert escape_slack(None) == ""
    assert escape_slack("") == ""
    assert escape_slack(" \n ") == ""


def test_lone_surrogates_become_replacement_characters() -> None:
    assert escape_slack("a\ud800b") == "a\ufffdb"
    assert escape_markdown_cell("a\udfffb") == "a\ufffdb"


def test_utf16_length_counts_emoji_twice() -> None:
    assert utf16_len("a😀") == 3


def test_clip_never_cuts_an_entity() -> None:
    escaped = escape_slack("&&&")  # "&amp;&amp;&amp;"
    clipped = clip_slack(escaped, 8)
    assert clipped == "&amp;…"
    assert utf16_len(clipped) <= 8


def test_clip_counts_emoji_as_two_units() -> None:
    clipped = clip_slack("😀" * 10, 7)
    assert clipped == "😀😀😀…"
    assert utf16_len(clipped) == 7


def test_clip_leaves_short_text_alone() -> None:
    assert clip_slack("short", 5) == "short"
    assert clip_slack("longer", 0) == ""


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/o/r/issues/1",
        "https://ghe.example.com:8443/o/r_x/issues/12",
    ],
)
def test_safe_urls_are_kept(url: str) -> None:
    assert safe_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        None,
        "",
        "http://github.com/o/r/issues/1",
        "javascript:alert(1)",
        "https://github.com/o/r/issues/1|<!channel>",
        "https://github.com/o/r/issues/1>x",
        "https://github.com/o r",
        "https://github.com/o/r/issues/(1)",
        "https://github.com/o/r?a=1&b=2",
        "https://github.com/" + "a" * 600,
    ],
)
def test_unsafe_urls_are_refused(url: str | None) -> None:
    assert safe_url(url) is None


def test_slack_link_escapes_pipe_and_angle_in_its_label() -> None:
    link = slack_link("https://github.com/o/r/issues/1", "#1 a|b > c")
    assert link == "<https://github.com/o/r/issues/1|#1 a∣b &gt; c>"


def test_slack_link_with_an_unsafe_url_is_plain_text() -> None:
    assert slack_link("javascript:alert(1)", "#1 <@U1>") == "#1 &lt;@U1&gt;"


def test_slack_link_label_is_clipped() -> None:
    link = slack_link("https://github.com/o/r/issues/1", "x" * 500, max_label=20)
    assert link == "<https://github.com/o/r/issues/1|" + "x" * 19 + "…>"


def test_markdown_cell_escapes_table_links_html_and_emphasis() -> None:
    cell = escape_markdown_cell("a | [x](https://evil) <b>&amp; *y* _z_ `c` \\ ~s~")
    assert cell == "a \\| \\[x\\](https://evil) &lt;b&gt;&amp;amp; \\*y\\* \\_z\\_ \\`c\\` \\\\ \\~s\\~"


def test_markdown_cell_is_one_line() -> None:
    assert escape_markdown_cell("one\n\ntwo\r\nthree") == "one two three"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("# Heading", "\\# Heading"),
        ("- item", "\\- item"),
        ("+ item", "\\+ item"),
        ("---", "\\---"),
        ("12. item", "12\\. item"),
        ("3) item", "3\\) item"),
        ("#685 stays", "#685 stays"),
        ("2025-04-14 stays", "2025-04-14 stays"),
    ],
)
def test_markdown_text_cannot_start_a_heading_or_list(text: str, expected: str) -> None:
    assert escape_markdown_cell(text) == expected


def test_markdown_link_only_for_safe_urls() -> None:
    assert markdown_link("https://github.com/o/r/issues/1", "#1") == "[#1](https://github.com/o/r/issues/1)"
    assert markdown_link("https://x/a)(b", "#1") == "#1"


def test_removed_invisible_characters_leave_single_spaces() -> None:
    assert escape_slack("a \u202e b\u2066c") == "a bc"
