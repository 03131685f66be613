"""Small Block Kit builders and the paging of blocks into messages, shared by every Slack renderer.

The report (`blocks.py`) uses them now; a ticket drill-down or a digest can build its own `Unit`s and
call `paginate` to get messages within Slack's limits, continued instead of cut.

Every mrkdwn text object is `verbatim`, so Slack does not turn bare URLs, channel names or mentions
in it into links; text passed in must already be escaped (`escape.escape_slack`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    BlockElement,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    MarkdownTextObject,
    Option,
    OverflowMenuElement,
    PlainTextObject,
    SectionBlock,
)

from bot.render.escape import clip_slack, utf16_len
from bot.render.slack_limits import (
    MAX_BLOCKS,
    MAX_BLOCKS_JSON,
    MAX_BUTTON_TEXT,
    MAX_BUTTON_VALUE,
    MAX_CONTEXT_TEXT,
    MAX_FIELD_TEXT,
    MAX_OPTION_TEXT,
    MAX_OPTION_VALUE,
    MAX_OVERFLOW_OPTIONS,
    MAX_SECTION_TEXT,
    SlackMessage,
    blocks_json_size,
)

Block = dict[str, Any]

# Room kept free in every message after the first for the "continued (2/3)" context and a repeated
# section heading.
_RESERVED_BLOCKS = 2
_RESERVED_JSON = 600


@dataclass(frozen=True)
class Unit:
    """Blocks that stay together in one message, and the section of the message they belong to.

    Every unit must be far smaller than a message (each text within its own budget), so any unit
    fits an empty message.
    """

    blocks: tuple[Block, ...]
    section: str = ""  # heading repeated when a message starts in the middle of this section
    opens_section: bool = False


def mrkdwn(text: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=text, verbatim=True)


def plain(text: str, limit: int) -> PlainTextObject:
    """plain_text is shown as typed: only our own words go here, clipped to `limit` (not escaped)."""
    return PlainTextObject(text=clip_slack(text, limit), emoji=True)


def section(text: str, *, accessory: BlockElement | None = None) -> Block:
    return SectionBlock(text=mrkdwn(text), accessory=accessory).to_dict()


def fields_section(title: str, fields: Iterable[str]) -> Block:
    """A section with a title and up to ten short fields shown side by side."""
    return SectionBlock(
        text=mrkdwn(title), fields=[mrkdwn(clip_slack(field, MAX_FIELD_TEXT)) for field in fields]
    ).to_dict()


def context(text: str) -> Block:
    return ContextBlock(elements=[mrkdwn(clip_slack(text, MAX_CONTEXT_TEXT))]).to_dict()


def divider() -> Block:
    return DividerBlock().to_dict()


def ticket_value(repo: str, number: int) -> str:
    """What a drill-down control carries to name its ticket: `{"repo":"owner/name","number":N}`."""
    return json.dumps({"repo": repo, "number": number}, separators=(",", ":"), ensure_ascii=False)


def details_button(repo: str, number: int, *, action_id: str, text: str = "Details") -> ButtonElement | None:
    """A drill-down button whose value names the ticket (`ticket_value`).

    None if the value would not fit Slack's limit (a repository name of 2,000 characters).
    """
    value = ticket_value(repo, number)
    if len(value) > MAX_BUTTON_VALUE:
        return None
    return ButtonElement(text=plain(text, MAX_BUTTON_TEXT), action_id=action_id, value=value)


def details_option(repo: str, number: int, *, text: str) -> Option | None:
    """One entry of a drill-down overflow menu, its value naming the ticket as a button's does.

    None if the value would not fit an option's much smaller limit (150: a repository name of
    over 120 characters); such a ticket needs a button.
    """
    value = ticket_value(repo, number)
    if len(value) > MAX_OPTION_VALUE:
        return None
    # No "emoji" flag: a report has dozens of options, and the message's size is limited.
    return Option(text=PlainTextObject(text=clip_slack(text, MAX_OPTION_TEXT)), value=value)


def overflow(options: Sequence[Option], *, action_id: str) -> OverflowMenuElement:
    """An overflow menu ("…") of 1 to MAX_OVERFLOW_OPTIONS options."""
    if not 1 <= len(options) <= MAX_OVERFLOW_OPTIONS:
        raise ValueError(f"an overflow menu takes 1 to {MAX_OVERFLOW_OPTIONS} options, not {len(options)}")
    return OverflowMenuElement(action_id=action_id, options=list(options))


def chunk_lines(lines: Iterable[str], *, limit: int = MAX_SECTION_TEXT) -> list[str]:
    """Lines joined into as few texts of at most `limit` units as possible, breaking only between lines.

    Every line should be built within its own budget, far below `limit`; a line that is not is
    clipped rather than allowed to break the message.
    """
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for raw_line in lines:
        line = clip_slack(raw_line, limit)
        extra = utf16_len(line) + (1 if current else 0)
        if current and size + extra > limit:
            chunks.append("\n".join(current))
            current, size = [], 0
            extra = utf16_len(line)
        current.append(line)
        size += extra
    if current:
        chunks.append("\n".join(current))
    return chunks


def wrap_runs(items: Sequence[str], *, prefix: str, limit: int) -> list[list[str]]:
    """Items split into runs that each fit one line `prefix + ", ".join(run)` of at most `limit` units."""
    runs: list[list[str]] = []
    run: list[str] = []
    size = utf16_len(prefix)
    for item in items:
        extra = utf16_len(item) + (2 if run else 0)
        if run and size + extra > limit:
            runs.append(run)
            run, size = [], utf16_len(prefix)
            extra = utf16_len(item)
        run.append(item)
        size += extra
    if run:
        runs.append(run)
    return runs


def wrap(items: Sequence[str], *, prefix: str, limit: int) -> list[str]:
    """Items joined by ", " into lines of at most `limit` units, each starting with `prefix`."""
    return [prefix + ", ".join(run) for run in wrap_runs(items, prefix=prefix, limit=limit)]


def units_from_lines(
    lines: Sequence[str],
    *,
    section_name: str,
    lead: tuple[Block, ...] = (),
    opens: bool = True,
    accessory: BlockElement | None = None,
    tail: tuple[Block, ...] = (),
) -> list[Unit]:
    """One unit per section text the lines need; `lead` blocks (a divider) and the `accessory` go with
    the first section, `tail` blocks (more controls) with the last."""
    units = []
    chunks = chunk_lines(lines)
    for index, text in enumerate(chunks):
        first, last = index == 0, index == len(chunks) - 1
        blocks = (*lead, section(text, accessory=accessory)) if first else (section(text),)
        if last:
            blocks = (*blocks, *tail)
        units.append(Unit(blocks=blocks, section=section_name, opens_section=first and opens))
    return units


def pack(units: Sequence[Unit]) -> list[list[Unit]]:
    """Units in order into as few pages as fit Slack's block count and size.

    Pages after the first keep room for what `paginate` puts at their top; the first has none to keep.
    """
    pages: list[list[Unit]] = []
    page: list[Unit] = []
    blocks = size = 0
    for unit in units:
        count, unit_size = len(unit.blocks), blocks_json_size(list(unit.blocks)) + 1
        block_room = MAX_BLOCKS - (_RESERVED_BLOCKS if pages else 0)
        size_room = MAX_BLOCKS_JSON - (_RESERVED_JSON if pages else 0)
        if page and (blocks + count > block_room or size + unit_size > size_room):
            pages.append(page)
            page, blocks, size = [], 0, 0
        page.append(unit)
        blocks += count
        size += unit_size
    if page:
        pages.append(page)
    return pages


def paginate(units: Sequence[Unit], *, title: str, fallback: Callable[[int, int], str]) -> list[SlackMessage]:
    """Units as messages in posting order; nothing is dropped.

    Every message after the first starts with a context "continued (2/3) · <title>" (title already
    escaped) and, when it opens in the middle of a section, that section's heading "(continued)".
    `fallback(page, pages)` gives each message's notification text.
    """
    pages = pack(units)
    messages: list[SlackMessage] = []
    for number, page in enumerate(pages, start=1):
        blocks: list[Block] = []
        if number > 1:
            blocks.append(context(f"continued ({number}/{len(pages)}) · {title}"))
            first = page[0]
            if first.section and not first.opens_section:
                blocks.append(section(f"*{first.section} (continued)*"))
        for unit in page:
            blocks.extend(unit.blocks)
        messages.append(SlackMessage(text=fallback(number, len(pages)), blocks=blocks))
    return messages
