"""Markdown keeps the seed's layout and never lets ticket text change its structure."""

from __future__ import annotations

from dataclasses import replace

from bot.render import render_markdown
from bot.render.formatting import NO_ACTIVITY, NO_GROUPS, NO_LABELS, NO_RECOMMENDATIONS

from .fixtures import empty_report, fixture_report, make_ticket, report_with_text, scored
from .helpers import column_count, table_rows


def test_sections_follow_the_seed_order() -> None:
    markdown = render_markdown(fixture_report())
    headings = [line for line in markdown.splitlines() if line.startswith("#")]
    assert headings == [
        "# Support Ticket Report",
        "## Summary",
        "## Tickets by Label",
        "## Response Times",
        "## 4 Most Active Tickets",
        "## Common Issues",
        "### 1. Pieces OS fails to launch after updating to 11.3.0",
        "## Recommendations",
    ]


def test_summary_gives_each_total_with_its_change() -> None:
    markdown = render_markdown(fixture_report())
    assert "- **Total tickets:** 4 (+2 vs previous period)" in markdown
    assert "- **Resolved:** 1 (no change vs previous period)" in markdown
    assert "- **Not planned / duplicate:** 1 (+1 vs previous period)" in markdown


def test_most_active_table_links_tickets_and_shows_one_decimal_scores() -> None:
    markdown = render_markdown(fixture_report())
    assert (
        "| [#685](https://github.com/pieces-app/support/issues/685)"
        " | Stuck at https://authentication.pieces.services/ | 15.9 |"
    ) in markdown
    assert "  - comments from the community ×3: +6.0" in markdown


def test_a_hostile_title_keeps_every_table_row_at_its_column_count() -> None:
    title = "a | b || c \\| d \\\\| e <!channel> [x](https://evil) \n| new row |"
    markdown = render_markdown(report_with_text(title=title, label=title))
    tables = table_rows(markdown)
    assert len(tables) == 2
    for rows in tables:
        assert {column_count(row) for row in rows} == {column_count(rows[0])}
    assert "<" not in markdown


def test_an_empty_period_says_so_in_each_section() -> None:
    markdown = render_markdown(empty_report())
    for words in (NO_ACTIVITY, NO_LABELS, NO_GROUPS, NO_RECOMMENDATIONS):
        assert words in markdown
    assert "- **First team response:** n/a (no tickets to measure)" in markdown


def test_tickets_of_several_repositories_are_named_with_their_repository() -> None:
    report = fixture_report()
    other = scored(make_ticket(7, "Other repo ticket", repo="o/b"), ("recency", 1, 1.0))
    report = replace(report, repos=("pieces-app/support", "o/b"), most_active=(*report.most_active, other))
    markdown = render_markdown(report)
    assert "[o/b#7](https://github.com/o/b/issues/7)" in markdown
    assert "[pieces-app/support#685](https://github.com/pieces-app/support/issues/685)" in markdown


def test_a_ticket_with_an_unsafe_url_is_named_without_a_link() -> None:
    markdown = render_markdown(report_with_text(title="t", url="javascript:alert(1)"))
    assert "javascript" not in markdown
    assert "| #1 | t |" in markdown
