"""The trend chart: a PNG drawn from the report's trend, and words stating the same figures."""

from __future__ import annotations

import struct
import threading
import zlib
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.render.chart import chart_png
from bot.render.chart_text import (
    MAX_ALT_TEXT,
    MAX_TITLE,
    chart_alt_text,
    chart_comment,
    chart_filename,
    chart_title,
    wants_chart,
)
from bot.report.models import SCOPE_ACTIVE, SCOPE_REPOSITORY, DayCounts, Period, Report, Trend
from bot.report.periods import parse_period

from .fixtures import fixture_report

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2025, 4, 14, 18, 0, tzinfo=UTC)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def week_trend(*, scope: str = SCOPE_REPOSITORY, days: int = 7) -> Trend:
    first, before = date(2025, 4, 7), date(2025, 3, 31)
    opened = [3, 6, 1, 4, 0, 6, 9][:days] + [1] * max(days - 7, 0)
    resolved = [1, 3, 2, 1, 0, 1, 0][:days] + [0] * max(days - 7, 0)
    backlog, current = [], 40
    for o, r in zip(opened, resolved, strict=True):
        current += o - r
        backlog.append(current)
    return Trend(
        days=tuple(
            DayCounts(day=first + timedelta(days=i), opened=o, resolved=r, backlog=b)
            for i, (o, r, b) in enumerate(zip(opened, resolved, backlog, strict=True))
        ),
        previous_days=tuple(
            DayCounts(day=before + timedelta(days=i), opened=2, resolved=1, backlog=33 + i)
            for i in range(days)
        ),
        backlog_start=40,
        previous_backlog_start=32,
        backlog_scope=scope,
    )


def week_report(**changes) -> Report:
    week = parse_period("last week", now=NOW, tz=BERLIN)
    values = {"period": week, "previous_period": week.previous(), "repos": ("acme/support",)}
    values["trend"] = week_trend()
    values.update(changes)
    return replace(fixture_report(), **values)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_MAGIC
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_chart_is_a_png_of_readable_size_and_the_same_report_draws_the_same_bytes() -> None:
    data = chart_png(week_report())
    assert png_size(data) == (1000, 600)
    # every chunk is whole and the image data decompresses: Slack would show it
    offset, kinds = 8, []
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset : offset + 8])
        chunk = data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        assert zlib.crc32(kind + chunk) == crc
        kinds.append(kind)
        offset += 12 + length
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND" and b"IDAT" in kinds
    assert chart_png(week_report()) == data


def test_different_figures_draw_a_different_chart() -> None:
    other = week_trend()
    other = replace(other, days=tuple(replace(d, opened=d.opened + 5) for d in other.days))
    assert chart_png(week_report(trend=other)) != chart_png(week_report())


def test_charts_drawn_on_several_threads_at_once_are_each_whole() -> None:
    """Reports build on a thread pool: charts drawn at the same time are the same as one drawn alone."""
    alone = chart_png(week_report())
    results: list[bytes] = []
    errors: list[BaseException] = []

    def draw() -> None:
        try:
            results.append(chart_png(week_report()))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=draw) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert results == [alone] * 4


def test_a_long_period_and_a_single_day_still_draw() -> None:
    long = week_report(trend=week_trend(days=90))
    assert png_size(chart_png(long)) == (1000, 600)
    one = week_trend(days=1)
    assert png_size(chart_png(week_report(trend=one))) == (1000, 600)


def test_a_report_without_a_trend_has_no_chart() -> None:
    report = week_report(trend=None)
    assert not wants_chart(report)
    with pytest.raises(ValueError, match="no trend"):
        chart_png(report)
    with pytest.raises(ValueError, match="no trend"):
        chart_alt_text(report)


def test_only_reports_of_seven_days_or_more_want_the_chart() -> None:
    assert wants_chart(week_report())
    assert not wants_chart(week_report(trend=week_trend(days=6)))
    assert wants_chart(week_report(trend=week_trend(days=30)))


def test_the_alt_text_states_the_charts_figures_against_the_previous_period() -> None:
    text = chart_alt_text(week_report())
    assert "acme/support" in text
    assert "Mon 7 Apr – Sun 13 Apr 2025 (Europe/Berlin)" in text
    assert "previous period, Mon 31 Mar – Sun 6 Apr 2025" in text
    assert "Opened: 29 (previous period 14, +15)." in text
    assert "Resolved: 8 (previous period 7, +1)." in text
    assert "Open backlog 40 → 61 (previous period 32 → 39)." in text
    assert "Most opened on one day: 9 on Sun 13 Apr." in text


def test_without_the_repositorys_backlog_the_words_say_whose_backlog_it_is() -> None:
    report = week_report(trend=week_trend(scope=SCOPE_ACTIVE))
    assert "Open tickets, of those active in the two periods, 40 → 61" in chart_alt_text(report)
    assert "open backlog" not in chart_alt_text(report).lower()
    assert "of tickets active in these periods" in chart_comment(report)


def test_the_words_stay_within_slacks_limits_for_many_repositories() -> None:
    repos = tuple(f"some-organisation-{i}/a-rather-long-support-repository-name-{i}" for i in range(40))
    report = week_report(repos=repos)
    assert len(chart_alt_text(report)) <= MAX_ALT_TEXT
    assert len(chart_title(report)) <= MAX_TITLE
    assert "and 37 more" in chart_title(report)
    assert chart_filename(report) == "ticket-trend-2025-04-07-to-2025-04-13.png"


def test_a_day_range_crossing_the_year_names_both_years() -> None:
    period = Period(
        start=datetime(2024, 12, 28, tzinfo=UTC), end=datetime(2025, 1, 4, tzinfo=UTC), label="x", spec="x"
    )
    trend = replace(
        week_trend(),
        days=tuple(
            DayCounts(day=date(2024, 12, 28) + timedelta(days=i), opened=0, resolved=0, backlog=1)
            for i in range(7)
        ),
    )
    text = chart_alt_text(week_report(period=period, trend=trend))
    assert "Sat 28 Dec 2024 – Fri 3 Jan 2025 (UTC)" in text
    assert "Most opened" not in text  # no day had any


def test_the_title_of_a_period_that_ends_now_says_until_when() -> None:
    ending_now = parse_period("last 7 days", now=NOW, tz=BERLIN)  # Tue 8 Apr until 20:00 today
    title = chart_title(week_report(period=ending_now, previous_period=ending_now.previous()))
    assert title.endswith("until 20:00") and "Mon 14 Apr 2025" in title
    assert chart_title(week_report()).endswith("Mon 7 – Sun 13 Apr 2025")  # a whole past week
