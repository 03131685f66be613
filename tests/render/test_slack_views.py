"""The picker, the Home view and the modal stay within every Block Kit limit, however big the input,
and the picker's values are read back only when they are the picker's own."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.render import validate_message
from bot.render.home_blocks import DigestLine, HomeView, WaitingTicket, WeekFigures, loading_home, render_home
from bot.render.modal_blocks import notice_modal, report_modal
from bot.render.picker_blocks import (
    PERIOD_CHOICES,
    PickerChoice,
    decode_choice,
    encode_choice,
    picker_block,
    with_picker,
)
from bot.render.slack_limits import MAX_BLOCKS
from bot.render.view_limits import (
    MAX_OPTION_TEXT,
    MAX_OPTION_VALUE,
    MAX_OPTIONS,
    MAX_VIEW_BLOCKS,
    element_problems,
    view_problems,
)
from bot.report.models import Totals

LONG_REPO = "o" * 39 + "/" + "n" * 100  # GitHub's longest owner and name
HOSTILE = "<!channel> *bold* `code` <@U1> & " + "ä" * 5000


def _all_options(select: dict) -> list[dict]:
    return [o for g in select.get("option_groups") or [] for o in g["options"]] + select.get("options", [])


def test_a_picker_for_a_channel_of_150_long_repositories_keeps_every_menu_limit() -> None:
    repos = [f"{LONG_REPO[:-3]}{i:03d}" for i in range(150)]
    block = picker_block(period_text="x" * 100, channel_repos=repos, selected=repos[5:9], private=True)
    assert block is not None
    select = block["elements"][0]
    assert element_problems(select) == []
    options = _all_options(select)
    assert len(options) == MAX_OPTIONS
    assert all(len(o["text"]["text"]) <= MAX_OPTION_TEXT for o in options)
    assert all(len(o["value"]) <= MAX_OPTION_VALUE for o in options)
    for option in options:  # every value reads back, each naming only the channel's repositories
        choice = decode_choice(option["value"])
        assert choice.private and set(choice.repo_names(repos)) <= set(repos)


def test_the_picker_joins_the_last_message_or_follows_it_when_that_one_is_full() -> None:
    block = picker_block(period_text="today", channel_repos=["a/b"], selected=["a/b"], private=False)
    assert block is not None
    small = {"text": "r", "blocks": [{"type": "divider"}]}
    (joined,) = with_picker([small], block)
    assert joined["blocks"][-1] == block
    full = {"text": "r", "blocks": [{"type": "divider"}] * MAX_BLOCKS}
    first, extra = with_picker([full], block)
    assert first == full and extra["blocks"] == [block]
    for message in (joined, extra):
        validate_message(message)


def test_the_picker_is_left_off_a_report_on_repositories_the_channel_does_not_list() -> None:
    assert picker_block(period_text="today", channel_repos=["a/b"], selected=["c/d"], private=False) is None
    assert (
        picker_block(period_text="today", channel_repos=["a/b"], selected=["a/b", "c/d"], private=False)
        is None
    )


def test_picker_values_round_trip_and_a_whole_channel_is_a_star() -> None:
    for choice in (
        PickerChoice(period="last week", repos=None, private=False),
        PickerChoice(period="2025-04-01..2025-04-14", repos=0b101, private=True),
    ):
        assert decode_choice(encode_choice(choice)) == choice
    block = picker_block(
        period_text="today", channel_repos=["a/b", "c/d"], selected=["c/d", "a/b"], private=False
    )
    assert block is not None
    values = [json.loads(o["value"]) for o in _all_options(block["elements"][0])]
    assert [v["p"] for v in values[: len(PERIOD_CHOICES)]] == [key for key, _ in PERIOD_CHOICES]
    assert all(v["r"] == "*" for v in values[: len(PERIOD_CHOICES)])


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "not json",
        "[]",
        '{"p":"today","r":"*"}',
        '{"p":"today","r":"*","x":true}',
        '{"p":"today","r":"*","x":2}',
        '{"p":"","r":"*","x":0}',
        '{"p":"today","r":"0","x":0}',
        '{"p":"today","r":"-1","x":0}',
        '{"p":"today","r":"zz","x":0}',
        '{"p":"today","r":["a/b"],"x":0}',
        '{"p":"today","r":"*","x":0,"extra":1}',
        json.dumps({"p": "t" * 101, "r": "*", "x": 0}),
        "9" * 151,
    ],
)
def test_anything_but_a_pickers_own_value_is_refused(value) -> None:
    with pytest.raises(ValueError):
        decode_choice(value)


def _home(waiting: int, digests: int) -> HomeView:
    now = datetime(2025, 4, 14, 21, 7, tzinfo=UTC)
    return HomeView(
        repos=tuple(f"{LONG_REPO[:-3]}{i:03d}" for i in range(40)),
        updated=HOSTILE,
        target=timedelta(hours=24),
        waiting=tuple(
            WaitingTicket(
                repo=f"acme/r{i % 3}",
                number=i,
                title=HOSTILE,
                url=f"https://github.com/acme/r{i % 3}/issues/{i}",
                waiting=timedelta(hours=i),
            )
            for i in range(waiting)
        ),
        week=WeekFigures(label=HOSTILE, totals=Totals(9, 3, 1, 5, 4), previous=Totals(9, 1, 0, 8, 2)),
        digests=tuple(
            DigestLine(
                channel_id=f"C{i:08d}",
                cadence="weekdays",
                at_time="09:00",
                timezone="Europe/Berlin",
                repos=(LONG_REPO,) * 3,
                next_run=now + timedelta(hours=i),
            )
            for i in range(digests)
        ),
    )


def test_a_home_of_500_waiting_tickets_and_300_digests_keeps_every_view_limit() -> None:
    view = render_home(_home(500, 300))
    assert view_problems(view) == []
    assert len(view["blocks"]) <= MAX_VIEW_BLOCKS
    text = json.dumps(view, ensure_ascii=False)
    assert "<!channel>" not in text and "<@U1>" not in text
    assert "and 475 more" in text and "and 260 more digests" in text
    assert view_problems(loading_home()) == []


def test_the_home_lists_waiting_tickets_oldest_first_and_marks_those_over_the_target() -> None:
    view = render_home(_home(30, 0))
    details = [b for b in view["blocks"] if b.get("accessory", {}).get("type") == "button"]
    numbers = [json.loads(b["accessory"]["value"])["number"] for b in details]
    assert numbers == sorted(numbers, reverse=True)[: len(numbers)] and numbers[0] == 29
    assert ":warning: waiting 1d 5h, 5h over the 24h target" in details[0]["text"]["text"]
    assert "within the 24h target" in details[-1]["text"]["text"]
    assert len({b["accessory"]["action_id"] for b in details}) == len(details)


def test_the_weeks_figures_show_a_change_only_where_there_is_one() -> None:
    text = json.dumps(render_home(_home(0, 0)), ensure_ascii=False)
    assert "9 active · 3 resolved (+2) · 5 open (-3) · 4 new (+2)" in text


def test_a_modal_for_300_repositories_and_300_long_channel_names_keeps_every_limit() -> None:
    repos = [f"{LONG_REPO[:-3]}{i:03d}" for i in range(300)]
    channels = [(f"C{i:08d}", "c" * 80) for i in range(300)]
    view = report_modal(repos=repos, channels=channels)
    assert view_problems(view) == []
    for block in view["blocks"]:
        element = block["element"]
        assert element_problems(element) == []
        if element["type"] == "static_select":
            assert len(element["options"]) <= MAX_OPTIONS
    assert view_problems(notice_modal("x" * 2000)) == []


def test_view_problems_names_what_slack_would_refuse() -> None:
    view = report_modal(repos=["a/b"], channels=[])
    view["title"]["text"] = "t" * 25
    view["blocks"] = view["blocks"] * 21
    problems = " ".join(view_problems(view))
    assert "title" in problems and "105 blocks" in problems and "block_id used more than once" in problems
