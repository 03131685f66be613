"""Digest fire times and covered periods: local wall time across DST, cadences, catch-up, validation."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.delivery.schedule import (
    Schedule,
    ScheduleError,
    digest_period,
    due_fires,
    local_instant,
    next_fire,
    parse_schedule,
    previous_fire,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def fires(schedule: Schedule, *, start: datetime, count: int) -> list[datetime]:
    found, moment = [], start
    for _ in range(count):
        moment = next_fire(schedule, moment)
        found.append(moment)
    return found


# DST -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "start", "utc_hours"),
    [
        # Europe/Berlin springs forward on Sun 30 Mar 2025 and falls back on Sun 26 Oct 2025.
        ("Europe/Berlin", utc(2025, 3, 28), [8, 8, 7, 7]),
        ("Europe/Berlin", utc(2025, 10, 24), [7, 7, 8, 8]),
        # America/New_York springs forward on Sun 9 Mar 2025 and falls back on Sun 2 Nov 2025.
        ("America/New_York", utc(2025, 3, 7), [14, 14, 13, 13]),
        ("America/New_York", utc(2025, 10, 31), [13, 13, 14, 14]),
    ],
)
def test_a_0900_digest_fires_at_0900_local_on_both_sides_of_a_dst_change(zone, start, utc_hours):
    schedule = parse_schedule("daily", "09:00", zone)
    found = fires(schedule, start=start, count=4)
    assert [f.hour for f in found] == utc_hours
    assert all(f.astimezone(ZoneInfo(zone)).time() == time(9, 0) for f in found)
    assert [
        f.astimezone(ZoneInfo(zone)).date() - found[0].astimezone(ZoneInfo(zone)).date() for f in found
    ] == [timedelta(days=n) for n in range(4)]


def test_berlin_0900_is_0700_utc_in_summer_and_0800_utc_in_winter():
    schedule = parse_schedule("daily", "09:00", "Europe/Berlin")
    assert next_fire(schedule, utc(2025, 7, 1)) == utc(2025, 7, 1, 7)
    assert next_fire(schedule, utc(2025, 1, 15)) == utc(2025, 1, 15, 8)


@pytest.mark.parametrize(
    ("zone", "day", "expected"),
    [
        ("Europe/Berlin", date(2025, 3, 30), utc(2025, 3, 30, 1, 0)),  # 02:00 -> 03:00 CEST
        ("America/New_York", date(2025, 3, 9), utc(2025, 3, 9, 7, 0)),  # 02:00 -> 03:00 EDT
    ],
)
def test_a_time_skipped_by_spring_forward_fires_at_the_first_instant_after_the_gap(zone, day, expected):
    schedule = parse_schedule("daily", "02:30", zone)
    day_before = local_instant(day - timedelta(days=1), time(12), ZoneInfo(zone))
    found = fires(schedule, start=day_before, count=2)
    assert found[0] == expected
    assert found[0].astimezone(ZoneInfo(zone)).time() == time(3, 0)
    assert found[1].astimezone(ZoneInfo(zone)).time() == time(2, 30)  # the next day is normal again


@pytest.mark.parametrize(
    ("zone", "at", "day", "first_occurrence"),
    [
        ("Europe/Berlin", "02:30", date(2025, 10, 26), utc(2025, 10, 26, 0, 30)),  # CEST, not CET
        ("America/New_York", "01:30", date(2025, 11, 2), utc(2025, 11, 2, 5, 30)),  # EDT, not EST
    ],
)
def test_a_time_repeated_by_fall_back_fires_once_at_its_first_occurrence(zone, at, day, first_occurrence):
    schedule = parse_schedule("daily", at, zone)
    day_before = local_instant(day - timedelta(days=1), time(0), ZoneInfo(zone))
    found = fires(schedule, start=day_before, count=4)
    on_the_day = [f for f in found if f.astimezone(ZoneInfo(zone)).date() == day]
    assert on_the_day == [first_occurrence]
    assert [f.astimezone(ZoneInfo(zone)).date() for f in found] == [
        day - timedelta(days=1),
        day,
        day + timedelta(days=1),
        day + timedelta(days=2),
    ]


# Cadences ------------------------------------------------------------------------------------


def test_weekdays_skip_saturday_and_sunday():
    schedule = parse_schedule("weekdays", "09:00", "Europe/Berlin")
    found = fires(schedule, start=utc(2025, 4, 10, 12), count=4)  # Thursday noon
    assert [f.astimezone(BERLIN).strftime("%a %d") for f in found] == ["Fri 11", "Mon 14", "Tue 15", "Wed 16"]


def test_weekly_fires_on_mondays():
    schedule = parse_schedule("weekly", "09:00", "America/New_York")
    found = fires(schedule, start=utc(2025, 4, 9), count=3)
    assert [f.astimezone(NEW_YORK).strftime("%a %Y-%m-%d %H:%M") for f in found] == [
        "Mon 2025-04-14 09:00",
        "Mon 2025-04-21 09:00",
        "Mon 2025-04-28 09:00",
    ]


def test_next_fire_is_strictly_after_and_previous_fire_is_at_or_before():
    schedule = parse_schedule("daily", "09:00", "UTC")
    assert next_fire(schedule, utc(2025, 4, 14, 9)) == utc(2025, 4, 15, 9)
    assert previous_fire(schedule, utc(2025, 4, 14, 9)) == utc(2025, 4, 14, 9)
    assert previous_fire(schedule, utc(2025, 4, 14, 8, 59)) == utc(2025, 4, 13, 9)


def test_naive_datetimes_are_refused():
    schedule = parse_schedule("daily", "09:00", "UTC")
    with pytest.raises(ValueError, match="aware"):
        next_fire(schedule, datetime(2025, 4, 14))


# Periods -------------------------------------------------------------------------------------


def test_a_daily_digest_covers_the_previous_local_day():
    schedule = parse_schedule("daily", "09:00", "Europe/Berlin")
    period = digest_period(schedule, utc(2025, 4, 15, 7))
    assert (period.start, period.end) == (
        datetime(2025, 4, 14, tzinfo=BERLIN),
        datetime(2025, 4, 15, tzinfo=BERLIN),
    )
    assert period.spec == "2025-04-14"
    assert period.label == "2025-04-14 to 2025-04-14"


def test_the_day_of_the_spring_change_is_23_hours_long():
    schedule = parse_schedule("daily", "09:00", "Europe/Berlin")
    period = digest_period(schedule, utc(2025, 3, 31, 7))
    assert period.end.astimezone(UTC) - period.start.astimezone(UTC) == timedelta(hours=23)


def test_mondays_weekdays_digest_covers_friday_to_sunday_and_tuesdays_covers_monday():
    schedule = parse_schedule("weekdays", "09:00", "America/New_York")
    monday = digest_period(schedule, utc(2025, 4, 14, 13))
    assert (monday.start, monday.end) == (
        datetime(2025, 4, 11, tzinfo=NEW_YORK),
        datetime(2025, 4, 14, tzinfo=NEW_YORK),
    )
    assert monday.spec == "2025-04-11..2025-04-13"
    tuesday = digest_period(schedule, utc(2025, 4, 15, 13))
    assert tuesday.spec == "2025-04-14"


def test_a_weekly_digest_covers_last_monday_to_sunday():
    schedule = parse_schedule("weekly", "09:00", "Europe/Berlin")
    period = digest_period(schedule, utc(2025, 4, 21, 7))
    assert (period.start, period.end) == (
        datetime(2025, 4, 14, tzinfo=BERLIN),
        datetime(2025, 4, 21, tzinfo=BERLIN),
    )
    assert period.label == "Mon 14 Apr – Sun 20 Apr 2025"


def test_consecutive_digests_cover_consecutive_periods_without_gaps():
    for cadence in ("daily", "weekdays", "weekly"):
        schedule = parse_schedule(cadence, "07:15", "America/New_York")
        found = fires(schedule, start=utc(2025, 2, 20), count=30)
        periods = [digest_period(schedule, f) for f in found]
        for before, after in itertools.pairwise(periods):
            assert before.end == after.start, cadence


# Catch-up ------------------------------------------------------------------------------------

DAILY_UTC = Schedule(cadence="daily", at_time="09:00", timezone="UTC")


def test_a_fire_missed_by_less_than_the_grace_is_due_once():
    fire = utc(2025, 4, 14, 9)
    assert due_fires(DAILY_UTC, last_check=utc(2025, 4, 14, 8), now=fire + timedelta(hours=2)) == [fire]
    assert due_fires(DAILY_UTC, last_check=fire + timedelta(hours=2), now=fire + timedelta(hours=3)) == []


def test_a_fire_missed_by_more_than_the_grace_is_skipped():
    fire = utc(2025, 4, 14, 9)
    assert due_fires(DAILY_UTC, last_check=utc(2025, 4, 1), now=fire + timedelta(hours=6, seconds=1)) == []
    late = fire + timedelta(hours=7)
    assert due_fires(DAILY_UTC, last_check=utc(2025, 4, 1), now=late, grace=timedelta(hours=8)) == [fire]


def test_many_missed_fires_give_only_the_latest_never_a_backlog():
    now = utc(2025, 4, 14, 10)
    assert due_fires(DAILY_UTC, last_check=utc(2025, 3, 1), now=now) == [utc(2025, 4, 14, 9)]


def test_a_fire_exactly_at_now_is_due_and_exactly_at_last_check_is_not():
    fire = utc(2025, 4, 14, 9)
    assert due_fires(DAILY_UTC, last_check=fire - timedelta(seconds=1), now=fire) == [fire]
    assert due_fires(DAILY_UTC, last_check=fire, now=fire + timedelta(minutes=1)) == []


# Validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cadence", "at", "zone", "message"),
    [
        ("daily", "25:00", "UTC", "25:00 is not a time; use HH:MM like 09:00"),
        ("daily", "24:00", "UTC", "24:00 is not a time"),
        ("daily", "09:60", "UTC", "09:60 is not a time"),
        ("daily", "9", "UTC", "9 is not a time"),
        ("daily", "９:００", "UTC", "is not a time"),  # full-width digits are not HH:MM
        ("daily", "09:00", "Mars/Base", "Unknown timezone 'Mars/Base'"),
        ("daily", "09:00", "../../etc/passwd", "Unknown timezone"),
        ("daily", "09:00", "localtime", "Unknown timezone"),
        ("monthly", "09:00", "UTC", "'monthly' is not a schedule; use daily, weekdays or weekly"),
    ],
)
def test_bad_schedules_are_rejected_with_what_to_type(cadence, at, zone, message):
    with pytest.raises(ScheduleError) as caught:
        parse_schedule(cadence, at, zone)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_schedules_are_normalised_and_defaulted():
    assert parse_schedule("Weekdays", "9:05", "europe/berlin") == Schedule(
        "weekdays", "09:05", "Europe/Berlin"
    )
    assert parse_schedule(None, None, None) == Schedule("daily", "09:00", "UTC")


def test_an_error_message_repeats_hostile_input_short_and_on_one_line():
    with pytest.raises(ScheduleError) as caught:
        parse_schedule("<!channel>\n" + "x" * 10_000, None, None)
    assert len(str(caught.value)) < 120
    assert "\n" not in str(caught.value)


# Properties ----------------------------------------------------------------------------------

ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",  # 30-minute DST shift
    "America/Havana",  # changes at midnight
    "Asia/Kolkata",
    "Pacific/Chatham",  # +12:45 / +13:45
]


@settings(max_examples=300, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    cadence=st.sampled_from(["daily", "weekdays", "weekly"]),
    hour=st.integers(0, 23),
    minute=st.sampled_from([0, 15, 30, 45, 59]),
    moment=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
    ),
)
def test_fires_keep_the_local_wall_time_and_next_and_previous_agree(zone, cadence, hour, minute, moment):
    schedule = parse_schedule(cadence, f"{hour:02d}:{minute:02d}", zone)
    tz = ZoneInfo(zone)
    upcoming = next_fire(schedule, moment)
    assert upcoming > moment
    assert upcoming - moment <= timedelta(days=8)
    assert previous_fire(schedule, upcoming) == upcoming
    assert previous_fire(schedule, upcoming - timedelta(microseconds=1)) <= moment
    local = upcoming.astimezone(tz)
    wall = time(hour, minute)
    wall_exists = local_instant(local.date(), wall, tz).astimezone(tz).time() == wall
    if wall_exists:
        assert local.time() == wall
    else:  # skipped by a spring-forward change: the first instant after the gap
        assert local.time() > wall
        assert (upcoming - timedelta(seconds=1)).astimezone(tz).time() < wall
    if cadence == "weekdays":
        assert local.weekday() < 5
    if cadence == "weekly":
        assert local.weekday() == 0
    period = digest_period(schedule, upcoming)
    assert period.start < period.end <= upcoming
    assert period.end.astimezone(tz).date() == local.date()


def test_every_digest_fits_the_smallest_period_bound_the_config_allows():
    for cadence, fire in (("daily", utc(2025, 4, 15, 7)), ("weekdays", utc(2025, 4, 14, 7)),
                          ("weekly", utc(2025, 4, 21, 7))):  # fmt: skip
        period = digest_period(parse_schedule(cadence, "09:00", "Europe/Berlin"), fire, max_days=7)
        assert period.length <= timedelta(days=7, hours=1)
