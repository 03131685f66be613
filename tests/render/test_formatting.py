"""Numbers, durations and changes read the same in every format."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.render.formatting import (
    describe_durations,
    exclusion_reason,
    format_count,
    format_datetime,
    format_duration,
    format_points,
    format_score,
    ticket_label,
    with_change,
    written_by_sentence,
)
from bot.report.models import DurationStats, IssueGroup, Report

from .fixtures import fixture_report


@pytest.mark.parametrize(
    ("duration", "expected"),
    [
        (None, "n/a"),
        (timedelta(seconds=45), "45s"),
        (timedelta(minutes=12, seconds=59), "12m"),
        (timedelta(hours=3, minutes=20), "3h 20m"),
        (timedelta(hours=3), "3h"),
        (timedelta(days=2, hours=4, minutes=59), "2d 4h"),
        (timedelta(days=5), "5d"),
        (timedelta(seconds=-30), "0s"),
    ],
)
def test_durations_read_like_a_person_writes_them(duration: timedelta | None, expected: str) -> None:
    assert format_duration(duration) == expected


def test_changes_against_the_previous_period() -> None:
    assert with_change(12, 9) == "12 (+3 vs previous period)"
    assert with_change(2, 5) == "2 (-3 vs previous period)"
    assert with_change(7, 7) == "7 (no change vs previous period)"


def test_scores_have_one_decimal_rounded_half_up() -> None:
    assert format_score(15.94) == "15.9"
    assert format_score(9.25) == "9.3"
    assert format_score(-0.0) == "0.0"
    assert format_score(float("nan")) == "n/a"
    assert format_points(6) == "+6.0"
    assert format_points(-0.5) == "-0.5"
    assert format_points(-0.01) == "+0.0"


def test_counts_drop_needless_decimals() -> None:
    assert format_count(3.0) == "3"
    assert format_count(0.75) == "0.75"
    assert format_count(1 / 3) == "0.33"


def test_datetimes_name_their_zone() -> None:
    assert format_datetime(datetime(2025, 4, 14, 21, 7, 2, tzinfo=UTC)) == "2025-04-14 21:07:02 UTC"
    berlin = datetime(2025, 4, 14, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert format_datetime(berlin) == "2025-04-14 09:00:00 CEST"


def test_duration_statistics_in_words() -> None:
    stats = DurationStats(count=8, median=timedelta(hours=3, minutes=20), p90=timedelta(days=2, hours=4))
    assert describe_durations(stats) == "median 3h 20m, 90th percentile 2d 4h (over 8 tickets)"
    assert describe_durations(DurationStats(count=0, median=None, p90=None)) == "n/a (no tickets to measure)"


def test_tickets_of_other_repositories_are_named_with_their_repository() -> None:
    assert ticket_label("o/a", 5, home_repo="o/a") == "#5"
    assert ticket_label("o/b", 5, home_repo="o/a") == "o/b#5"
    assert ticket_label("o/b", 5, home_repo=None) == "o/b#5"


def _report_written_by(
    *, model: str | None, headline: str = "offline", groups: tuple[str, ...] = ()
) -> Report:
    report = fixture_report()
    issues = tuple(
        IssueGroup(title=f"g{index}", summary="s", tickets=(), written_by=by)
        for index, by in enumerate(groups)
    )
    return replace(report, model=model, headline_written_by=headline, common_issues=issues)


@pytest.mark.parametrize(
    ("model", "headline", "groups", "expected"),
    [
        (None, "offline", ("offline",), None),
        (
            "llama3.1:8b",
            "model",
            ("model", "offline", "model"),
            "Headline and summaries of common issues 1 and 3 written by model llama3.1:8b;"
            " the rest computed from the tickets.",
        ),
        ("m", "model", (), "Headline written by model m; the rest computed from the tickets."),
        (
            "m",
            "offline",
            ("offline", "model"),
            "Summary of common issue 2 written by model m; the rest computed from the tickets.",
        ),
        (
            "m",
            "offline",
            ("model", "model", "model"),
            "Summaries of common issues 1, 2 and 3 written by model m; the rest computed from the tickets.",
        ),
        (
            "m",
            "offline",
            ("offline",),
            "Model m wrote no part of this report; all of it was computed from the tickets.",
        ),
    ],
)
def test_the_written_by_sentence_names_the_models_parts(
    model: str | None, headline: str, groups: tuple[str, ...], expected: str | None
) -> None:
    assert written_by_sentence(_report_written_by(model=model, headline=headline, groups=groups)) == expected


@pytest.mark.parametrize(
    ("reason", "words"),
    [
        ("pinned", "pinned"),
        ("label announcement", "labelled announcement"),
        ("excluded in config", "excluded in config"),
    ],
)
def test_exclusion_reasons_read_after_a_count(reason: str, words: str) -> None:
    assert exclusion_reason(reason) == words
