"""Markdown keeps the seed's layout and never lets ticket text change its structure."""

from __future__ import annotations

from dataclasses import replace

from bot.render import render_markdown
from bot.render.formatting import NO_ACTIVITY, NO_GROUPS, NO_LABELS, NO_RECOMMENDATIONS

from .fixtures import empty_report, fixture_report, make_ticket, report_with_text, scored
from .helpers import column_count, table_rows


def test_sections_follow_the_seed_order_after_the_headline() -> None:
    markdown = render_markdown(fixture_report())
    headings = [line for line in markdown.splitlines() if line.startswith("#")]
    assert headings == [
        "# Support Ticket Report",
        "## In short",
        "## Summary",
        "## Tickets by Label",
        "## Response Times",
        "## 4 Most Active Tickets",
        "## Common Issues",
        "### 1. Pieces OS fails to launch after updating to 11.3.0",
        "### 2. Copilot answers \\`undefined\\`",
        "## Recommendations",
    ]


def test_summary_gives_each_total_with_its_change() -> None:
    markdown = render_markdown(fixture_report())
    assert "- **Total tickets:** 5 (+3 vs previous period)" in markdown
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


def test_the_headline_opens_the_report_with_its_tickets_linked() -> None:
    lines = render_markdown(fixture_report()).splitlines()
    assert lines[6] == "## In short"
    headline = lines[7]
    assert headline.startswith(
        "5 tickets this period, 3 more than the period before."
        " [#686](https://github.com/pieces-app/support/issues/686) and 1 more report"
    )
    # #685 is cited but not named in the text: it follows in brackets.
    assert headline.endswith(
        "with no team reply yet. ([#685](https://github.com/pieces-app/support/issues/685))"
    )


def test_a_report_without_a_headline_has_no_in_short_section() -> None:
    assert "## In short" not in render_markdown(empty_report())


def test_a_group_summarised_from_the_tickets_shows_its_parts_as_labelled_lines() -> None:
    markdown = render_markdown(fixture_report())
    link_686 = "[#686](https://github.com/pieces-app/support/issues/686)"
    link_685 = "[#685](https://github.com/pieces-app/support/issues/685)"
    assert (
        f"- **Problem:** LateInitializationError: Field 'database' has not been initialized. ({link_686})\n"
        "- **Affected:** Pieces OS 11.3.0 on Windows and macOS; 2 people reported it."
        f" ({link_686}, {link_685})\n"
        f"- **Status:** Fixed in 11.3.1, released on 14 Apr (team on {link_686}).\n"
        f"- **Fix reported failing:** One reporter says 11.3.1 still hangs at sign-in. ({link_685})\n"
        f'- **Tell users:** "Update to 11.3.1; if it still fails, delete the database folder and restart"'
        f" (team on {link_686}, 14 Apr).\n"
        "\n"
        "**Related Issues:**"
    ) in markdown


def test_a_model_written_group_shows_the_models_prose_with_its_tickets_linked() -> None:
    report = fixture_report()
    launch = replace(report.common_issues[0], summary="The model's words on #686.", written_by="model")
    markdown = render_markdown(replace(report, common_issues=(launch,)))
    assert "### 1. Pieces OS fails to launch after updating to 11.3.0\n" in markdown
    assert "The model's words on [#686](https://github.com/pieces-app/support/issues/686).\n" in markdown
    assert "**Problem:**" not in markdown


def test_the_footer_says_what_was_left_out_and_what_a_model_wrote() -> None:
    markdown = render_markdown(fixture_report())
    assert markdown.endswith(
        "\n\n---\n\n"
        "Left out: 2 tickets — 1 pinned ([#12](https://github.com/pieces-app/support/issues/12)),"
        " 1 labelled announcement ([#40](https://github.com/pieces-app/support/issues/40)).\n\n"
        "Summary of common issue 2 written by model llama3.1:8b; the rest computed from the tickets.\n"
    )


def test_a_report_with_nothing_left_out_and_no_model_has_no_footer() -> None:
    report = replace(fixture_report(), excluded=(), model=None, common_issues=())
    markdown = render_markdown(report)
    assert "\n---\n" not in markdown
    assert markdown.endswith("(https://github.com/pieces-app/support/issues/685)\n")


def test_headline_text_cannot_forge_links_images_or_structure() -> None:
    text = "![#1](https://evil.example) <!channel> *bold* [x](https://evil.example)\n# heading"
    markdown = render_markdown(report_with_text(title="t", summary=text))
    headline = markdown.split("## In short\n", 1)[1].split("\n", 1)[0]
    link_1, link_2, link_3 = (f"[#{n}](https://github.com/pieces-app/support/issues/{n})" for n in (1, 2, 3))
    # The text's own brackets stay escaped; its first "#1" is the cited ticket's link, nothing else is.
    assert headline == (
        f"!\\[{link_1}\\](https://evil.example) &lt;!channel&gt; \\*bold\\* \\[x\\](https://evil.example)"
        f" # heading #1 and {link_2} ({link_3})"
    )
