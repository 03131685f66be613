"""Every format says when the report's data was last known current; Markdown and JSON carry the history."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.render import render_markdown, render_messages, report_to_dict, validate_message
from bot.report.history import IssueDates, RepoHistory, weekly_history
from bot.report.models import Period, Report

from .fixtures import NOW, REPO, fixture_report
from .helpers import column_count, table_rows

BERLIN = ZoneInfo("Europe/Berlin")


def as_of(moment: datetime | None, *, report: Report | None = None) -> Report:
    return replace(report or fixture_report(), data_as_of=moment)


def in_berlin(report: Report) -> Report:
    """The report made for Berlin: its period starts at local midnight."""
    start = datetime(2025, 4, 14, tzinfo=BERLIN)
    period = Period(start=start, end=NOW.astimezone(BERLIN), label="2025-04-14 to 2025-04-14", spec="today")
    return replace(report, period=period, previous_period=period.previous())


def history() -> RepoHistory:
    rows = [
        IssueDates(1, NOW - timedelta(days=20), NOW - timedelta(days=2), "completed", None),
        IssueDates(2, NOW - timedelta(days=3), None, None, NOW - timedelta(days=3) + timedelta(hours=2)),
        IssueDates(3, NOW - timedelta(hours=5), NOW - timedelta(hours=1), "not_planned", None),
    ]
    return RepoHistory(repo=REPO, weeks=weekly_history(rows, now=NOW, tz=UTC))


def about_line(report: Report) -> str:
    """The line of the Slack figures that says where the report is from and when it was made."""
    blocks = render_messages(report)[0]["blocks"]
    (generated,) = [
        block
        for block in blocks
        if block["type"] == "context" and " · generated " in block["elements"][0]["text"]
    ]
    (element,) = generated["elements"]
    return element["text"].split("\n")[0]


# --- data as of -------------------------------------------------------------------------------------


def test_markdown_header_says_data_as_of_the_time_on_the_day_of_the_report() -> None:
    markdown = render_markdown(as_of(NOW - timedelta(minutes=2)))
    header = markdown.split("\n\n")[0].splitlines()
    assert header[1:3] == ["- Generated: 2025-04-14 21:07:02 UTC", "- Data as of 21:05"]


def test_markdown_names_the_day_when_the_data_is_older_than_the_report_day() -> None:
    markdown = render_markdown(as_of(datetime(2025, 4, 13, 18, 30, tzinfo=UTC)))
    assert "- Data as of Sun 13 Apr 18:30\n" in markdown


def test_data_as_of_is_shown_in_the_reports_timezone() -> None:
    """19:05 UTC is 21:05 in Berlin (summer time), and 22:30 UTC on the 13th is already the 14th there."""
    report = in_berlin(fixture_report())
    assert "- Data as of 21:05\n" in render_markdown(
        as_of(datetime(2025, 4, 14, 19, 5, tzinfo=UTC), report=report)
    )
    assert "- Data as of 00:30\n" in render_markdown(
        as_of(datetime(2025, 4, 13, 22, 30, tzinfo=UTC), report=report)
    )
    assert " · data as of 21:05 CEST · " in about_line(
        as_of(datetime(2025, 4, 14, 19, 5, tzinfo=UTC), report=report)
    )


def test_live_data_says_nothing_about_data_as_of() -> None:
    report = fixture_report()
    assert report.data_as_of is None
    assert "as of" not in render_markdown(report).lower()
    assert report_to_dict(report)["data_as_of"] is None
    assert "as of" not in about_line(report)


def test_json_gives_data_as_of_in_iso_8601() -> None:
    data = report_to_dict(as_of(datetime(2025, 4, 14, 21, 5, tzinfo=UTC)))
    assert data["data_as_of"] == "2025-04-14T21:05:00+00:00"
    assert datetime.fromisoformat(data["data_as_of"]) == datetime(2025, 4, 14, 21, 5, tzinfo=UTC)


def test_blocks_add_data_as_of_to_the_generated_context_without_a_new_block() -> None:
    live = render_messages(fixture_report())
    mirrored = render_messages(as_of(NOW - timedelta(minutes=2)))
    assert [len(message["blocks"]) for message in mirrored] == [len(message["blocks"]) for message in live]
    assert about_line(as_of(NOW - timedelta(minutes=2))).startswith(
        f"{REPO} · generated 21:07 UTC · data as of 21:05 UTC"
    )
    for message in mirrored:
        validate_message(message)


# --- history ----------------------------------------------------------------------------------------


def test_markdown_shows_each_repositorys_weeks_before_the_footer() -> None:
    markdown = render_markdown(replace(fixture_report(), history=(history(),)))
    heading = f"## Last 12 Weeks: {REPO}"
    assert heading in markdown
    assert markdown.index("## Recommendations") < markdown.index(heading) < markdown.index("\n---\n")
    section = markdown[markdown.index(heading) : markdown.index("\n---\n")]
    (table,) = table_rows(section)
    assert table[0] == "| Week of | New | Resolved | Open at End | Median First Response |"
    assert len(table) == 2 + 12
    assert all(column_count(row) == 5 for row in table)
    assert table[2] == "| 2025-01-27 | 0 | 0 | 0 | n/a |"
    assert table[-2] == "| 2025-04-07 | 1 | 1 | 1 | 2h |"
    assert table[-1] == "| 2025-04-14 (so far) | 1 | 0 | 1 | n/a |"


def test_markdown_without_history_has_no_history_section() -> None:
    assert "Last 12 Weeks" not in render_markdown(fixture_report())


def test_json_carries_the_history_in_its_documented_shape() -> None:
    data = report_to_dict(replace(fixture_report(), history=(history(),)))
    (repo,) = data["history"]
    assert list(repo) == ["repo", "weeks"]
    assert repo["repo"] == REPO
    assert len(repo["weeks"]) == 12
    last_full, current = repo["weeks"][-2:]
    assert list(current) == [
        "start",
        "end",
        "new",
        "resolved",
        "closed_other",
        "open_at_end",
        "median_first_response_seconds",
        "waiting",
    ]
    assert current == {
        "start": "2025-04-14T00:00:00+00:00",
        "end": "2025-04-14T21:07:02+00:00",
        "new": 1,
        "resolved": 0,
        "closed_other": 1,
        "open_at_end": 1,
        "median_first_response_seconds": None,
        "waiting": 1,
    }
    assert last_full["median_first_response_seconds"] == 7200
    assert report_to_dict(fixture_report())["history"] == []


def test_slack_messages_leave_the_history_out() -> None:
    report = fixture_report()
    assert render_messages(replace(report, history=(history(),))) == render_messages(report)
