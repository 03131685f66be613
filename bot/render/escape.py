"""The one place where untrusted text (anything that came from GitHub) is made safe to show.

Slack (`escape_slack`, `slack_link`, `clip_slack`): Slack's mrkdwn gives meaning to `&`, `<` and `>`
(`<!channel>`, `<@U123>`, `<http://x|y>` are all written with `<`), so those three become `&amp;`,
`&lt;` and `&gt;`; that alone defuses every mention and link a title could carry. The formatting
characters `* _ ~ \\`` are swapped for look-alikes (∗ ˍ ∼ ˋ) so a title cannot open a bold, italic,
strike or code span that runs into our own markup. (A zero-width space is *not* used: Slack treats it
as a word boundary, which is the well-known trick to make formatting work mid-word, the opposite of
what we want.) `@channel`, `@here` and `@everyone` get a zero-width space after the `@` for the
top-level fallback text, which has no `verbatim` switch. Text is reduced to one line: newlines
would let a title start a block quote (`&gt;` at a line start still quotes) or break a list.

Markdown (`escape_markdown_cell`, `markdown_link`): one line, `\\ | [ ] * _ ~ \\`` backslash-escaped
so a title cannot split a table row, forge a link or start emphasis, `& < >` as HTML entities so
no raw HTML survives, and a leading `#`, `-`, `+`, `=` or `1.` escaped so text cannot start a
heading, list or rule.

URLs: only `https://` URLs made of plain URL characters are linked (`safe_url`); anything else is
shown as text without a link. Lone surrogates (possible in JSON from the API) are replaced by U+FFFD
everywhere so encoding the output never fails.

Lengths for Slack are counted in UTF-16 code units (`utf16_len`), which is at least the number of
code points slack_sdk counts, so a text that fits by our count fits by Slack's whichever it uses.
"""

from __future__ import annotations

import re

ELLIPSIS = "…"
_ZWSP = "\u200b"
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_WHITESPACE = re.compile(r"\s+")
# C0/C1 controls and bidirectional overrides (which can make a title display as something else).
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
_SAFE_URL = re.compile(r"https://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~!$'*+,;=:@%/#?-]*)?")
_MAX_URL = 500  # an issue URL is under 200 characters; longer ones are not ours

_SLACK_TABLE = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        "*": "\u2217",  # ∗ ASTERISK OPERATOR
        "_": "\u02cd",  # ˍ MODIFIER LETTER LOW MACRON
        "~": "\u223c",  # ∼ TILDE OPERATOR
        "`": "\u02cb",  # ˋ MODIFIER LETTER GRAVE ACCENT
    }
)
_MARKDOWN_TABLE = str.maketrans(
    {
        "\\": "\\\\",
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        "|": "\\|",
        "[": "\\[",
        "]": "\\]",
        "*": "\\*",
        "_": "\\_",
        "~": "\\~",
        "`": "\\`",
    }
)
# What makes a line a heading, list item or rule: "# x", "- x", "+ x", "1. x", "2) x", "---", "===".
_MARKDOWN_LEADING_MARK = re.compile(r"^(?:#{1,6}|[+=-]+|\d{1,9}[.)])(?: |$)")


def scrub(text: str | None) -> str:
    """Text with lone surrogates replaced by U+FFFD; None becomes "". Used by every renderer."""
    if not text:
        return ""
    if text.isascii():  # most text, and a constant-time test: no pattern run over it
        return text
    return _LONE_SURROGATE.sub("\ufffd", text)


def one_line(text: str | None) -> str:
    """Scrubbed text on one line: whitespace runs (newlines included) become one space, controls go."""
    cleaned = _INVISIBLE.sub("", _WHITESPACE.sub(" ", scrub(text)))
    return _WHITESPACE.sub(" ", cleaned).strip()


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units (an emoji outside the BMP counts 2)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def escape_slack(text: str | None) -> str:
    """Untrusted text as inert, one-line Slack mrkdwn. See the module docstring for what and why."""
    escaped = one_line(text).translate(_SLACK_TABLE)
    return _BROADCAST.sub(lambda match: "@" + _ZWSP + match.group(1), escaped)


def clip_slack(escaped: str, limit: int) -> str:
    """Escaped Slack text cut to at most `limit` UTF-16 units, ending in "…" when cut.

    Never cuts inside an entity such as `&amp;` (every `&` in escaped text starts one).
    """
    if utf16_len(escaped) <= limit:
        return escaped
    if limit < 1:
        return ""
    budget = limit - 1  # room for the ellipsis
    used = 0
    end = 0
    # A code point is at least one unit, so the cut lies within the first `budget` code points.
    for index, char in enumerate(escaped[:budget]):
        size = 2 if ord(char) > 0xFFFF else 1
        if used + size > budget:
            break
        used += size
        end = index + 1
    cut = escaped[:end]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + ELLIPSIS


def safe_url(url: str | None) -> str | None:
    """The URL if it is a plain https:// URL safe inside `<url|text>` and `[text](url)`, else None."""
    if not url or len(url) > _MAX_URL or not _SAFE_URL.fullmatch(url):
        return None
    return url


def slack_link(url: str | None, label: str | None, *, max_label: int = 200) -> str:
    """`<url|label>` with the label escaped (and `|` swapped for ∣), or just the label if the URL is unsafe.

    `label` is untrusted raw text; it is clipped to `max_label` UTF-16 units after escaping.
    """
    text = clip_slack(escape_slack(label).replace("|", "\u2223"), max_label)
    link = safe_url(url)
    if link is None:
        return text
    return f"<{link}|{text}>" if text else f"<{link}>"


def escape_markdown_cell(text: str | None) -> str:
    """Untrusted text as inert, one-line Markdown, safe in a table cell, heading, list item or paragraph."""
    escaped = one_line(text).translate(_MARKDOWN_TABLE)
    if _MARKDOWN_LEADING_MARK.match(escaped):
        if escaped[0].isdigit():
            digits = len(escaped) - len(escaped.lstrip("0123456789"))
            escaped = escaped[:digits] + "\\" + escaped[digits:]
        else:
            escaped = "\\" + escaped
    return escaped


def markdown_link(url: str | None, label: str) -> str:
    """`[label](url)` for an already escaped label, or the label alone if the URL is unsafe."""
    link = safe_url(url)
    return f"[{label}]({link})" if link else label
