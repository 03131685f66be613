"""Numbers, durations and changes read the same in every format."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.render.formatting import (
    compact_change,
    describe_durations,
    exclusion_reason,
    format_count,
    format_datetime,
    format_duration,
    format_points,
    format_score,
    format_time_in,
    is_one_day,
    leading_reasons,
    period_days,
    period_words,
    reason_words,
    ticket_label,
    with_change,
    written_by_sentence,
)
from bot.report.models import DurationStats, IssueGroup, Period, Report, ScoredTicket, ScoreItem

from .fixtures import fixture_report, make_ticket


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


BERLIN = ZoneInfo("Europe/Berlin")


def _period(start: datetime, end: datetime) -> Period:
    return Period(start=start, end=end, label="ignored", spec="x")


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (datetime(2025, 4, 14, tzinfo=BERLIN), datetime(2025, 4, 15, tzinfo=BERLIN), "Mon 14 Apr 2025"),
        (
            datetime(2025, 4, 14, tzinfo=BERLIN),
            datetime(2025, 4, 14, 21, 7, tzinfo=BERLIN),
            "Mon 14 Apr 2025 until 21:07",
        ),
        (
            datetime(2025, 4, 7, tzinfo=BERLIN),
            datetime(2025, 4, 14, tzinfo=BERLIN),
            "Mon 7 – Sun 13 Apr 2025",
        ),
        (
            datetime(2025, 3, 31, tzinfo=BERLIN),
            datetime(2025, 4, 7, tzinfo=BERLIN),
            "Mon 31 Mar – Sun 6 Apr 2025",
        ),
        (
            datetime(2024, 12, 30, tzinfo=BERLIN),
            datetime(2025, 1, 6, tzinfo=BERLIN),
            "Mon 30 Dec 2024 – Sun 5 Jan 2025",
        ),
        (
            datetime(2025, 4, 8, tzinfo=BERLIN),
            datetime(2025, 4, 14, 21, 0, tzinfo=BERLIN),
            "Tue 8 – Mon 14 Apr 2025 until 21:00",
        ),
        # The day daylight-saving time starts is 23 hours long and still one day.
        (datetime(2025, 3, 30, tzinfo=BERLIN), datetime(2025, 3, 31, tzinfo=BERLIN), "Sun 30 Mar 2025"),
        # A period given in UTC and shown in UTC.
        (datetime(2025, 4, 14, tzinfo=UTC), datetime(2025, 4, 15, tzinfo=UTC), "Mon 14 Apr 2025"),
    ],
)
def test_a_period_reads_as_the_days_it_includes(start: datetime, end: datetime, expected: str) -> None:
    assert period_days(_period(start, end)) == expected


def test_a_period_names_its_zone_and_an_empty_one_its_single_day() -> None:
    day = _period(datetime(2025, 4, 14, tzinfo=BERLIN), datetime(2025, 4, 15, tzinfo=BERLIN))
    assert period_words(day) == "Mon 14 Apr 2025, Europe/Berlin"
    assert is_one_day(day)
    utc = _period(datetime(2025, 4, 7, tzinfo=UTC), datetime(2025, 4, 14, tzinfo=UTC))
    assert period_words(utc) == "Mon 7 – Sun 13 Apr 2025, UTC"
    assert not is_one_day(utc)
    start = datetime(2025, 4, 14, tzinfo=BERLIN)
    assert period_days(_period(start, start)) == "Mon 14 Apr 2025 until 00:00"


def test_a_havana_day_starting_at_one_in_the_morning_is_still_a_whole_day() -> None:
    """Midnight does not exist in Havana on 9 March 2025: the day starts at 01:00."""
    havana = ZoneInfo("America/Havana")
    start = datetime(2025, 3, 9, 5, 0, tzinfo=UTC).astimezone(havana)
    assert start.hour == 1
    assert period_days(_period(start, datetime(2025, 3, 10, tzinfo=havana))) == "Sun 9 Mar 2025"


def test_a_moment_is_shown_in_the_periods_zone_with_its_day_when_that_is_not_the_last_one() -> None:
    day = _period(datetime(2025, 4, 14, tzinfo=BERLIN), datetime(2025, 4, 15, tzinfo=BERLIN))
    assert format_time_in(datetime(2025, 4, 14, 19, 7, tzinfo=UTC), day) == "21:07 CEST"
    assert format_time_in(datetime(2025, 4, 15, 7, 0, tzinfo=UTC), day) == "Tue 15 Apr 09:00 CEST"
    assert format_time_in(datetime(2026, 1, 2, 7, 0, tzinfo=UTC), day) == "Fri 2 Jan 2026 08:00 CET"
    kolkata = ZoneInfo("Asia/Kolkata")
    india = _period(datetime(2025, 4, 14, tzinfo=kolkata), datetime(2025, 4, 15, tzinfo=kolkata))
    assert format_time_in(datetime(2025, 4, 14, 12, 0, tzinfo=UTC), india) == "17:30 IST"
    sao_paulo = ZoneInfo("America/Sao_Paulo")  # its abbreviation is only an offset, "-03"
    brazil = _period(datetime(2025, 4, 14, tzinfo=sao_paulo), datetime(2025, 4, 15, tzinfo=sao_paulo))
    assert format_time_in(datetime(2025, 4, 14, 12, 0, tzinfo=UTC), brazil) == "09:00 America/Sao_Paulo"


def test_a_change_is_shown_only_when_there_is_one() -> None:
    assert compact_change(3, 2, "active") == "3 active (+1)"
    assert compact_change(1, 4, "open") == "1 open (-3)"
    assert compact_change(2, 2, "new") == "2 new"


@pytest.mark.parametrize(
    ("reason", "count", "ends_now", "expected"),
    [
        ("comments from the community", 2, True, "2 community comments"),
        ("comments from the community", 1, True, "1 community comment"),
        ("comments from the team", 3, True, "3 team comments"),
        ("people taking part", 1, True, "1 person"),
        ("people taking part", 4, True, "4 people"),
        ("reactions", 16, True, "16 reactions"),
        ("opened in the period", 1, True, "new"),
        ("reopened", 1, True, "reopened"),
        ("recent activity (1h before the period's end)", 0.97, True, "1h ago"),
        ("recent activity (5h before the period's end)", 0.87, False, "last active 5h before the end"),
        ("distinct participants", 3, True, "distinct participants ×3"),
    ],
)
def test_score_terms_read_as_words(reason: str, count: float, ends_now: bool, expected: str) -> None:
    assert reason_words(reason, count, ends_now=ends_now) == expected


def test_the_two_largest_terms_lead_and_recency_follows() -> None:
    items = (
        ScoreItem("comments from the community", 1, 2.0),
        ScoreItem("people taking part", 2, 3.0),
        ScoreItem("reactions", 16, 4.0),
        ScoreItem("recent activity (30m before the period's end)", 0.99, 3.0),
    )
    scored = ScoredTicket(ticket=make_ticket(1, "t"), score=12.0, breakdown=items)
    assert [item.reason for item in leading_reasons(scored)] == [
        "reactions",
        "people taking part",
        "recent activity (30m before the period's end)",
    ]
