"""The drill-down message: what it shows, Slack's limits whatever the ticket holds, and no foreign markup."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.render.slack_limits import MAX_BLOCKS_JSON, blocks_json_size, validate_message
from bot.render.ticket_blocks import OPEN_ON_GITHUB_ACTION, render_ticket_detail
from bot.report.drilldown import (
    CommentSummary,
    FirstResponse,
    RelatedTicket,
    TicketDetail,
    build_ticket_detail,
)
from bot.report.models import Comment, Period, ScoreItem, Ticket
from bot.report.options import ReportOptions

from .helpers import SLACK_LINK, buttons, mrkdwn_texts, strings, unlinked
from .test_hostile import HOSTILE, hostile_text, hostile_url

NOW = datetime(2025, 4, 14, 21, 0, tzinfo=UTC)
REPO = "pieces-app/support"
URL = f"https://github.com/{REPO}/issues/686"
PERIOD = Period(
    start=datetime(2025, 4, 14, tzinfo=UTC), end=datetime(2025, 4, 15, tzinfo=UTC), label="2025-04-14"
)


def make_detail(**overrides: object) -> TicketDetail:
    values: dict[str, object] = dict(
        repo=REPO,
        number=686,
        title="Pieces OS doesn't start: LateInitializationError",
        url=URL,
        state="closed",
        state_reason="completed",
        labels=("bug", "os"),
        author="carol",
        author_association="NONE",
        author_is_bot=False,
        created_at=NOW - timedelta(hours=9),
        closed_at=NOW - timedelta(hours=1),
        updated_at=NOW - timedelta(hours=1),
        generated_at=NOW,
        age=timedelta(hours=9),
        open_for=timedelta(hours=8),
        comments_count=4,
        comments_read=4,
        participants=3,
        participants_complete=True,
        reactions=2,
        first_response=FirstResponse(kind="answered", after=timedelta(hours=2, minutes=30), by="maint"),
        score=9.25,
        breakdown=(
            ScoreItem("comments from the community", 2, 4.0),
            ScoreItem("people taking part", 2, 3.0),
        ),
        score_period_label="2025-04-14 to 2025-04-14",
        score_from_report=True,
        rank=2,
        ranked_among=14,
        description="Database corruption after 11.3.0 on Windows.",
        versions=("11.3.0",),
        recent_comments=(
            CommentSummary(
                "dan", "community", NOW - timedelta(hours=5), "Same here", URL + "#issuecomment-1"
            ),
            CommentSummary("carol", "reporter", NOW - timedelta(hours=4), "Any news?"),
            CommentSummary("maint", "team", NOW - timedelta(hours=2), "Fixed in 11.3.1"),
        ),
        related=(
            RelatedTicket(
                REPO, 685, "same_group", "Stuck at authentication", f"https://github.com/{REPO}/issues/685"
            ),
            RelatedTicket(REPO, 12, "duplicate_of", "", f"https://github.com/{REPO}/issues/12"),
            RelatedTicket(
                "other/repo", 3, "similar", "Database will not open", "https://github.com/other/repo/issues/3"
            ),
        ),
        group_title="Pieces OS launch failure",
    )
    values.update(overrides)
    return TicketDetail(**values)  # type: ignore[arg-type]


def _shown(message: dict) -> str:
    return "\n".join(mrkdwn_texts(message))


# --- content --------------------------------------------------------------------------------------------


def test_the_title_is_a_link_with_an_open_on_github_button() -> None:
    message = render_ticket_detail(make_detail())
    validate_message(message)
    first = message["blocks"][0]
    assert first["text"]["text"] == f"*<{URL}|#686 Pieces OS doesn't start: LateInitializationError>*"
    (button,) = buttons(message)
    assert button["url"] == URL and button["action_id"] == OPEN_ON_GITHUB_ACTION
    assert button["text"]["text"] == "Open on GitHub"


def test_the_message_shows_everything_the_issue_asks_for() -> None:
    shown = _shown(render_ticket_detail(make_detail()))
    for expected in (
        "pieces-app/support#686",
        "Closed as completed",
        "Labels: bug, os",
        "carol",
        "2025-04-14 12:00 UTC (9h ago)",  # opened
        "2025-04-14 20:00 UTC (1h ago), after 8h",  # closed
        "4 (3 people taking part)",
        "2 reactions",
        "after 2h 30m (maint)",
        "9.3 (#2 of 14 in the report)",
        "comments from the community ×2: +4.0",
        "people taking part ×2: +3.0",
        "in the report for 2025-04-14 to 2025-04-14",
        "&gt; Database corruption after 11.3.0 on Windows.",
        "*Latest comments* (3 of 4)",
        "*dan* (community)",
        "*carol* (reporter)",
        "*maint* (team)",
        "Fixed in 11.3.1",
        "11.3.0",
        f"Same common issue “Pieces OS launch failure”: <https://github.com/{REPO}/issues/685|#685 Stuck at",
        f"Duplicate of: <https://github.com/{REPO}/issues/12|#12>",
        "Similar title: <https://github.com/other/repo/issues/3|other/repo#3 Database will not open>",
    ):
        assert expected in shown, expected
    # Duplicates come before the group and similar titles.
    assert shown.index("Duplicate of") < shown.index("Same common issue") < shown.index("Similar title")


@pytest.mark.parametrize(
    ("response", "words"),
    [
        (FirstResponse(kind="waiting", after=timedelta(days=2, hours=3)), "none yet: waiting for 2d 3h"),
        (FirstResponse(kind="closed_unanswered"), "none: closed without a team comment"),
        (FirstResponse(kind="unknown"), "not among the comments read"),
        (FirstResponse(kind="answered", after=timedelta(minutes=5), by="m", at_most=True), "within 5m (m)"),
    ],
)
def test_the_first_team_response_is_described_in_every_case(response: FirstResponse, words: str) -> None:
    assert words in _shown(render_ticket_detail(make_detail(first_response=response)))


def test_an_open_ticket_says_how_long_it_has_been_open_and_a_recomputed_score_says_for_when() -> None:
    detail = make_detail(
        state="open",
        state_reason="reopened",
        closed_at=None,
        open_for=timedelta(days=3),
        score_from_report=False,
        rank=None,
        ranked_among=0,
        score_period_label="last 7 days",
        breakdown=(),
        related=(),
        recent_comments=(),
        description="",
        labels=(),
        participants_complete=False,
    )
    message = render_ticket_detail(detail)
    validate_message(message)
    shown = _shown(message)
    for expected in (
        "Open (reopened)",
        "*Open for*\n3d",
        "*Activity score:* *9.3* for last 7 days",
        "No activity in that period.",
        "No comments yet.",
        "No description in words",
        "No labels",
        "at least 3 people",
    ):
        assert expected in shown, expected
    assert "Related tickets" not in shown
    assert "in the report" not in shown


def test_partly_read_comments_are_admitted() -> None:
    shown = _shown(render_ticket_detail(make_detail(comments_count=500, comments_read=200)))
    assert "200 of 500 comments were read" in shown
    assert "*Latest comments* (3 of 500)" in shown


def test_an_unsafe_url_is_neither_a_link_nor_a_button() -> None:
    message = render_ticket_detail(make_detail(url="javascript:alert(1)"))
    validate_message(message)
    assert buttons(message) == []
    assert message["blocks"][0]["text"]["text"].startswith("*#686 ")


def test_the_fallback_text_names_the_ticket_inertly() -> None:
    message = render_ticket_detail(make_detail(title="<!channel> @here fix"))
    assert message["text"].startswith(
        "pieces-app/support#686: &lt;!channel&gt; @\u200bhere fix (closed as completed"
    )


# --- limits and hostile text ----------------------------------------------------------------------------

_OUR_LINK_AT = re.compile(SLACK_LINK.pattern)


def _assert_inert(text: str) -> None:
    assert "<!" not in text and "<@" not in text and "<#" not in text
    for match in re.finditer("<", text):
        assert _OUR_LINK_AT.match(text, match.start()), text[match.start() : match.start() + 80]
    rest = unlinked(text)
    assert ">" not in rest and "`" not in rest and "~" not in rest and "_" not in rest
    for line in rest.split("\n"):
        assert line.count("*") % 2 == 0, line


def _hostile_detail(text: str, url: str | None) -> TicketDetail:
    many = tuple(
        RelatedTicket(f"{text[:50] or 'o'}/r", n, relation, text, url or "")
        for n, relation in enumerate(["same_group", "duplicate_of", "duplicated_by", "similar"] * 6)
    )
    return make_detail(
        title=text,
        url=url or "",
        state=text or "open",
        state_reason=text,
        labels=(text,) * 30,
        author=text,
        author_association=text,
        description=text,
        versions=(text,) * 5,
        breakdown=tuple(ScoreItem(text, 1.5, 2.25) for _ in range(40)),
        score_period_label=text,
        recent_comments=tuple(CommentSummary(text, "bot", NOW, text, url or "") for _ in range(3)),
        related=many,
        group_title=text,
        first_response=FirstResponse(kind="answered", after=timedelta(hours=1), by=text),
    )


def _check(detail: TicketDetail) -> dict:
    message = render_ticket_detail(detail)
    validate_message(message)
    assert blocks_json_size(message["blocks"]) <= MAX_BLOCKS_JSON
    for text in mrkdwn_texts(message):
        _assert_inert(text)
    for text in strings(message["blocks"]):
        assert "<!" not in text and "<@" not in text
    assert "#686" in _shown(message)
    return message


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_each_known_hostile_text_everywhere_stays_one_valid_inert_message(text: str) -> None:
    _check(_hostile_detail(text, URL))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=hostile_text, url=hostile_url)
def test_any_text_and_url_give_one_valid_inert_message(text: str, url: str | None) -> None:
    _check(_hostile_detail(text, url))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=hostile_text, body=hostile_text, said=st.lists(hostile_text, min_size=0, max_size=5))
def test_a_detail_built_from_hostile_github_text_renders_validly(
    title: str, body: str, said: list[str]
) -> None:
    ticket = _ticket(title=title, body=body, comments_count=len(said))
    comments = [_comment(ticket, i, text) for i, text in enumerate(said)]
    detail = build_ticket_detail(
        ticket, comments, now=NOW, period=PERIOD, options=ReportOptions(), context=None
    )
    _check(detail)


def test_a_60000_character_body_and_500_comments_full_of_code_and_mentions_fit_one_message() -> None:
    noise = "<!channel> ```rm -rf /``` <@U123> & <https://evil.example|click> *bold* " * 1000
    ticket = _ticket(title="&" * 60_000, body=noise[:60_000], comments_count=500)
    comments = [_comment(ticket, i, noise[: 60_000 - i]) for i in range(500)]
    detail = build_ticket_detail(
        ticket, comments, now=NOW, period=PERIOD, options=ReportOptions(), context=None
    )
    message = _check(detail)
    assert len(message["blocks"]) <= 10
    assert json.dumps(message)  # plain data, ready for chat.postMessage


def _ticket(*, title: str, body: str, comments_count: int) -> Ticket:
    return Ticket(
        repo=REPO,
        number=686,
        title=title,
        body=body,
        url=URL,
        author="carol",
        author_association="NONE",
        author_is_bot=False,
        state="open",
        state_reason=None,
        labels=("bug",),
        created_at=NOW - timedelta(hours=9),
        updated_at=NOW,
        closed_at=None,
        comments_count=comments_count,
    )


def _comment(ticket: Ticket, index: int, body: str) -> Comment:
    return Comment(
        id=1000 + index,
        repo=ticket.repo,
        issue_number=ticket.number,
        author="maint" if index % 2 else f"user{index}",
        author_association="MEMBER" if index % 2 else "NONE",
        author_is_bot=False,
        body=body,
        created_at=NOW - timedelta(hours=8) + timedelta(minutes=index),
    )


@pytest.mark.parametrize(
    "text", ["&" * 5000, '"' * 5000, "\\" * 5000, "😀" * 3000], ids=["amp", "quote", "bs", "emoji"]
)
def test_text_that_grows_in_json_still_gives_one_valid_message(text: str) -> None:
    """Quotes and backslashes double in JSON: the budgets shrink until the message fits, never dropping it."""
    message = _check(_hostile_detail(text, URL))
    assert blocks_json_size(message["blocks"]) > MAX_BLOCKS_JSON // 3  # big enough that budgets did the work
    assert message["blocks"][0]["text"]["text"].startswith(f"*<{URL}|#686 ")
