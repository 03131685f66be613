"""The period grammar: what each form covers, in which timezone, across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.report.models import Period
from bot.report.periods import PERIOD_EXAMPLES, PeriodError, parse_period, parse_timezone

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
# The seed report was generated at 2025-04-14 21:07:02 Berlin time, a Monday.
NOW = datetime(2025, 4, 14, 19, 7, 2, tzinfo=UTC)
NOW_BERLIN = NOW.astimezone(BERLIN)

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")  # fmt: skip
ZONES = tuple(
    ZoneInfo(name)
    for name in (
        "UTC",
        "Europe/Berlin",
        "America/Los_Angeles",
        "America/New_York",
        "America/Havana",  # daylight saving starts at midnight: some days have no 00:00
        "Asia/Kolkata",
        "Australia/Lord_Howe",  # half-hour daylight saving
        "Pacific/Chatham",  # +12:45
        "Pacific/Kiritimati",  # +14
        "Pacific/Pago_Pago",  # -11
    )
)


def midnight(day: date, tz: ZoneInfo = BERLIN) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


def hours(start: datetime, end: datetime) -> float:
    """Elapsed hours, measured in UTC (subtracting two datetimes of one zone gives wall-clock time)."""
    return (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds() / 3600


def parse(text: str, now: datetime = NOW, tz: ZoneInfo = BERLIN):
    return parse_period(text, now=now, tz=tz)


# --- every form -----------------------------------------------------------------------------------

FORMS = [
    # text, first day, end (None: now), label, spec
    ("today", date(2025, 4, 14), None, "2025-04-14 to 2025-04-14", "today"),
    ("", date(2025, 4, 14), None, "2025-04-14 to 2025-04-14", "today"),
    ("yesterday", date(2025, 4, 13), date(2025, 4, 14), "2025-04-13 to 2025-04-13", "yesterday"),
    ("week", date(2025, 4, 8), None, "2025-04-08 to 2025-04-14", "last 7 days"),
    ("7d", date(2025, 4, 8), None, "2025-04-08 to 2025-04-14", "last 7 days"),
    ("last 7 days", date(2025, 4, 8), None, "2025-04-08 to 2025-04-14", "last 7 days"),
    ("past 7 days", date(2025, 4, 8), None, "2025-04-08 to 2025-04-14", "last 7 days"),
    ("14d", date(2025, 4, 1), None, "2025-04-01 to 2025-04-14", "last 14 days"),
    ("3 days", date(2025, 4, 12), None, "2025-04-12 to 2025-04-14", "last 3 days"),
    ("1d", date(2025, 4, 14), None, "2025-04-14 to 2025-04-14", "last 1 day"),
    ("month", date(2025, 3, 16), None, "2025-03-16 to 2025-04-14", "last 30 days"),
    ("last 30 days", date(2025, 3, 16), None, "2025-03-16 to 2025-04-14", "last 30 days"),
    ("this week", date(2025, 4, 14), None, "Mon 14 Apr – Mon 14 Apr 2025", "this week"),
    ("last week", date(2025, 4, 7), date(2025, 4, 14), "Mon 7 Apr – Sun 13 Apr 2025", "last week"),
    ("this month", date(2025, 4, 1), None, "2025-04-01 to 2025-04-14", "this month"),
    ("last month", date(2025, 3, 1), date(2025, 4, 1), "2025-03-01 to 2025-03-31", "last month"),
    ("2025-04-10", date(2025, 4, 10), date(2025, 4, 11), "2025-04-10 to 2025-04-10", "2025-04-10"),
    ("2025/04/10", date(2025, 4, 10), date(2025, 4, 11), "2025-04-10 to 2025-04-10", "2025-04-10"),
    ("2025-4-1", date(2025, 4, 1), date(2025, 4, 2), "2025-04-01 to 2025-04-01", "2025-04-01"),
    ("Apr 10 2025", date(2025, 4, 10), date(2025, 4, 11), "2025-04-10 to 2025-04-10", "2025-04-10"),
    ("10 April 2025", date(2025, 4, 10), date(2025, 4, 11), "2025-04-10 to 2025-04-10", "2025-04-10"),
    ("April 10, 2025", date(2025, 4, 10), date(2025, 4, 11), "2025-04-10 to 2025-04-10", "2025-04-10"),
    ("Apr. 10th 2025", date(2025, 4, 10), date(2025, 4, 11), "2025-04-10 to 2025-04-10", "2025-04-10"),
    ("10th of April", date(2025, 4, 10), date(2025, 4, 11), "2025-04-10 to 2025-04-10", "2025-04-10"),
    ("Thu 10 Apr 2025", date(2025, 4, 10), date(2025, 4, 11), "2025-04-10 to 2025-04-10", "2025-04-10"),
    ("2025-04-14", date(2025, 4, 14), None, "2025-04-14 to 2025-04-14", "2025-04-14"),
    (
        "2025-04-01..2025-04-10",
        date(2025, 4, 1),
        date(2025, 4, 11),
        "2025-04-01 to 2025-04-10",
        "2025-04-01..2025-04-10",
    ),
    (
        "2025-04-01 .. 2025-04-10",
        date(2025, 4, 1),
        date(2025, 4, 11),
        "2025-04-01 to 2025-04-10",
        "2025-04-01..2025-04-10",
    ),
    (
        "from April 1, 2025 to 10 April 2025",
        date(2025, 4, 1),
        date(2025, 4, 11),
        "2025-04-01 to 2025-04-10",
        "2025-04-01..2025-04-10",
    ),
    (
        "2025-04-10..2025-04-10",
        date(2025, 4, 10),
        date(2025, 4, 11),
        "2025-04-10 to 2025-04-10",
        "2025-04-10",
    ),
    ("since 2025-04-01", date(2025, 4, 1), None, "2025-04-01 to 2025-04-14", "since 2025-04-01"),
    ("since 1 March 2025", date(2025, 3, 1), None, "2025-03-01 to 2025-04-14", "since 2025-03-01"),
    ("since today", None, None, None, None),  # not a form: `since` takes a date
]


@pytest.mark.parametrize(("text", "first", "end", "label", "spec"), [f for f in FORMS if f[1] is not None])
def test_each_form_covers_its_days(text, first, end, label, spec):
    """Each form starts at a local midnight and ends at the next one after its last day, or at now."""
    period = parse(text)
    assert period.start == midnight(first)
    assert period.end == (NOW_BERLIN if end is None else midnight(end))
    assert period.label == label
    assert period.spec == spec
    assert period.start.tzinfo is BERLIN and period.end.tzinfo is BERLIN


def test_since_takes_a_date_not_a_word():
    with pytest.raises(PeriodError, match="Try: today"):
        parse("since today")


@pytest.mark.parametrize("text", ["  TODAY ", "Last   Week", "LAST\t7\nDAYS", "14 APRIL 2025", "This Month"])
def test_case_and_whitespace_do_not_matter(text):
    assert parse(text) == parse(" ".join(text.split()).lower())


def test_the_spec_reads_back_as_the_same_period():
    for text, first, *_ in FORMS:
        if first is not None:
            period = parse(text)
            assert parse(period.spec) == period, text


def test_every_example_shown_to_users_parses():
    for example in PERIOD_EXAMPLES:
        parse(example)


# --- timezones and daylight saving ----------------------------------------------------------------


def test_today_is_the_local_day_of_the_timezone_not_utc():
    """01:30 UTC on 14 April is still the evening of 13 April in Los Angeles."""
    now = datetime(2025, 4, 14, 1, 30, tzinfo=UTC)
    period = parse("today", now=now, tz=LOS_ANGELES)
    assert period.start == datetime(2025, 4, 13, 7, 0, tzinfo=UTC)  # midnight PDT
    assert period.start.tzinfo is LOS_ANGELES
    assert period.end == now and period.end.tzinfo is LOS_ANGELES
    assert period.label == "2025-04-13 to 2025-04-13"
    assert parse("yesterday", now=now, tz=LOS_ANGELES).label == "2025-04-12 to 2025-04-12"
    # The same instant in UTC is already the 14th.
    assert parse("today", now=now, tz=UTC).label == "2025-04-14 to 2025-04-14"


def test_a_date_in_the_future_of_the_timezone_is_refused():
    """At 01:30 UTC on 14 April, the 14th has begun in UTC but not yet in Los Angeles."""
    now = datetime(2025, 4, 14, 1, 30, tzinfo=UTC)
    assert parse("2025-04-14", now=now, tz=UTC).start == datetime(2025, 4, 14, tzinfo=UTC)
    with pytest.raises(PeriodError, match="starts in the future: today is 2025-04-13 in America/Los_Angeles"):
        parse("2025-04-14", now=now, tz=LOS_ANGELES)


def test_now_is_taken_in_the_timezone_whatever_zone_it_comes_in():
    in_tokyo = NOW.astimezone(ZoneInfo("Asia/Tokyo"))
    assert parse("today", now=in_tokyo) == parse("today", now=NOW)


@pytest.mark.parametrize(
    ("tz", "day", "length"),
    [
        (BERLIN, date(2025, 3, 30), 23),
        (BERLIN, date(2025, 10, 26), 25),
        (BERLIN, date(2025, 4, 10), 24),
        (NEW_YORK, date(2025, 3, 9), 23),
        (NEW_YORK, date(2025, 11, 2), 25),
        (ZoneInfo("Australia/Lord_Howe"), date(2025, 4, 6), 24.5),
        (ZoneInfo("UTC"), date(2025, 3, 30), 24),
    ],
)
def test_a_day_lasts_from_midnight_to_midnight_across_daylight_saving(tz, day, length):
    now = datetime(2025, 12, 1, 12, tzinfo=UTC)
    period = parse(day.isoformat(), now=now, tz=tz)
    assert hours(period.start, period.end) == length
    assert period.start == midnight(day, tz) and period.end == midnight(day + timedelta(days=1), tz)


def test_a_week_with_a_daylight_saving_change_is_one_hour_short():
    now = datetime(2025, 4, 2, 12, tzinfo=UTC)
    period = parse("last week", now=now)
    assert period.label == "Mon 24 Mar – Sun 30 Mar 2025"
    assert hours(period.start, period.end) == 7 * 24 - 1


def test_a_day_whose_midnight_is_skipped_starts_at_the_first_real_instant():
    """Havana moved its clocks from 00:00 to 01:00 on 9 March 2025: that day starts at 01:00 (05:00 UTC)."""
    havana = ZoneInfo("America/Havana")
    period = parse("2025-03-09", now=datetime(2025, 4, 1, tzinfo=UTC), tz=havana)
    assert period.start == datetime(2025, 3, 9, 5, tzinfo=UTC)
    assert (period.start.hour, period.start.tzinfo) == (1, havana)
    assert hours(period.start, period.end) == 23
    assert parse("2025-03-08", now=datetime(2025, 4, 1, tzinfo=UTC), tz=havana).end == period.start


def test_a_fixed_offset_timezone_works_too():
    plus_two = timezone(timedelta(hours=2))
    period = parse("yesterday", tz=plus_two)
    assert period.start == datetime(2025, 4, 13, tzinfo=plus_two)
    assert period.start.tzinfo is plus_two


# --- half-open intervals --------------------------------------------------------------------------


def test_periods_are_half_open_and_consecutive_days_meet():
    yesterday, today = parse("yesterday"), parse("today")
    assert yesterday.end == today.start
    assert yesterday.contains(yesterday.start)
    assert not yesterday.contains(yesterday.end)
    assert today.contains(yesterday.end)
    assert yesterday.contains(today.start - timedelta(microseconds=1))
    assert parse("2025-04-09").end == parse("2025-04-10").start
    assert parse("last week").end == parse("this week").start
    assert parse("last month").end == parse("this month").start


def test_a_period_reaching_into_the_future_ends_now():
    period = parse("2025-04-01..2025-04-30")
    assert period.end == NOW_BERLIN
    assert period.label == "2025-04-01 to 2025-04-14"  # the days actually covered
    assert period.spec == "2025-04-01..2025-04-30"  # what was asked
    assert not period.contains(NOW)


def test_today_at_local_midnight_is_empty_not_an_error():
    now = midnight(date(2025, 4, 14))
    period = parse("today", now=now)
    assert period.start == period.end == now


# --- calendar arithmetic --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now_day", "this_week", "last_week"),
    [
        (date(2025, 4, 20), "Mon 14 Apr – Sun 20 Apr 2025", "Mon 7 Apr – Sun 13 Apr 2025"),  # a Sunday
        (date(2026, 1, 1), "Mon 29 Dec 2025 – Thu 1 Jan 2026", "Mon 22 Dec – Sun 28 Dec 2025"),
        (date(2026, 1, 5), "Mon 5 Jan – Mon 5 Jan 2026", "Mon 29 Dec 2025 – Sun 4 Jan 2026"),
    ],
)
def test_weeks_start_on_monday_and_name_both_years_across_new_year(now_day, this_week, last_week):
    now = datetime.combine(now_day, time(23, 59), tzinfo=BERLIN)
    assert parse("this week", now=now).label == this_week
    assert parse("last week", now=now).label == last_week
    assert parse("this week", now=now).start.weekday() == 0
    assert hours(*_bounds(parse("last week", now=now))) == 7 * 24


def _bounds(period):
    return period.start, period.end


@pytest.mark.parametrize(
    ("now_day", "last_month", "first_day"),
    [
        (date(2025, 1, 15), "2024-12-01 to 2024-12-31", date(2024, 12, 1)),
        (date(2025, 3, 31), "2025-02-01 to 2025-02-28", date(2025, 2, 1)),
        (date(2024, 3, 1), "2024-02-01 to 2024-02-29", date(2024, 2, 1)),
    ],
)
def test_last_month_is_the_whole_previous_calendar_month(now_day, last_month, first_day):
    now = datetime.combine(now_day, time(12), tzinfo=BERLIN)
    period = parse("last month", now=now)
    assert period.label == last_month
    assert period.start == midnight(first_day)
    assert period.end == midnight(now_day.replace(day=1))


def test_this_month_on_the_first_is_just_today():
    now = datetime(2025, 5, 1, 9, tzinfo=BERLIN)
    assert parse("this month", now=now) == Period(
        start=midnight(date(2025, 5, 1)), end=now, label="2025-05-01 to 2025-05-01", spec="this month"
    )


def test_a_date_without_a_year_is_the_latest_such_day_up_to_today():
    assert parse("14 April").spec == "2025-04-14"
    assert parse("April 15").spec == "2024-04-15"  # tomorrow's date means last year's
    assert parse("Feb 29").spec == "2024-02-29"
    new_year = datetime(2026, 1, 3, 12, tzinfo=BERLIN)
    assert parse("Dec 31", now=new_year).spec == "2025-12-31"


def test_a_range_end_without_a_year_follows_its_start():
    new_year = datetime(2026, 1, 10, 12, tzinfo=BERLIN)
    period = parse("Dec 20..Jan 5", now=new_year)
    assert period.spec == "2025-12-20..2026-01-05"
    assert period.end == midnight(date(2026, 1, 6))
    assert parse("Apr 10 to Apr 20").spec == "2025-04-10..2025-04-20"


# --- errors ---------------------------------------------------------------------------------------

EXAMPLES_TEXT = (
    "Try: today, yesterday, week, last week, 2025-04-14, 2025-04-01..2025-04-14, since 2025-04-01."
)


@pytest.mark.parametrize(
    "text",
    [
        "tomorow",
        "tomorrow",
        "a..b",
        "last monday",
        "monday",
        "5",
        "2025",
        "last",
        "since",
        "04/05/2025",  # day-first or month-first: refused, not guessed
        "14.04.2025",
        "Apr 14 25",  # two-digit year
        "2025-04-14 10:00",
        "2025-04-14T10:00:00Z",
        "April 14 2025 UTC",
        "next week",
        "last year",
        "-7d",
        "7w",
        "2025-04-01...2025-04-14",
        "14 14 April 2025",
        "April May 2025",
    ],
)
def test_text_that_is_no_period_gets_the_examples(text):
    with pytest.raises(PeriodError) as caught:
        parse(text)
    message = str(caught.value)
    assert message == f"I don't understand the period '{text}'. {EXAMPLES_TEXT}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2025-13-01", "There is no date '2025-13-01'. Write a real day, like 2025-04-14 or 14 April 2025."),
        ("April 31 2025", "There is no date 'april 31 2025'."),
        ("Feb 29 2023", "There is no date 'feb 29 2023'."),
        ("2025-04-01..", "The range '2025-04-01..' needs a date on both sides, like 2025-04-01..2025-04-14."),
        ("..2025-04-01", "needs a date on both sides"),
        ("2025-04-10..2025-04-01", "ends before it starts (2025-04-10 > 2025-04-01). Put the earlier date"),
        ("2025-04-15", "The period '2025-04-15' starts in the future: today is 2025-04-14 in Europe/Berlin."),
        ("2025-05-01..2025-05-02", "starts in the future"),
        ("since 2026-01-01", "starts in the future"),
        ("1969-12-31", "The period '1969-12-31' starts before 1970-01-01. Pick a later day."),
        ("0d", "The period '0d' has no days. Use at least one, like 1d or 7d."),
        ("30000d", "reaches back before 1970-01-01. Use fewer days."),
        ("9" * 90 + "d", "reaches back before 1970-01-01"),
        ("April 2025", "'april 2025' names a month, not a day. Give the day too, like 14 April 2025"),
        ("Tue 14 Apr 2025", "2025-04-14 is a Monday, not a Tuesday."),
        ("x" * 5000, "The period 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…' is too long. Try: today"),
    ],
)
def test_errors_say_what_was_wrong_and_what_works(text, message):
    with pytest.raises(PeriodError) as caught:
        parse(text)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_error_messages_repeat_hostile_text_on_one_short_line():
    with pytest.raises(PeriodError) as caught:
        parse("<!channel>\n\x00" + "y" * 100)
    message = str(caught.value)
    assert "\n" not in message and "\x00" not in message
    assert "'<!channel> " in message and len(message) < 200


def test_a_naive_now_is_a_programming_error_not_a_user_error():
    with pytest.raises(ValueError) as caught:
        parse("today", now=datetime(2025, 4, 14, 12))
    assert not isinstance(caught.value, PeriodError)


def test_period_error_is_a_value_error():
    assert issubclass(PeriodError, ValueError)


# --- timezones by name ----------------------------------------------------------------------------


def test_timezones_are_read_by_iana_name():
    assert parse_timezone("Europe/Berlin") is BERLIN
    assert parse_timezone(" America/New_York ") is NEW_YORK
    assert parse_timezone("UTC").utcoffset(NOW) == timedelta(0)
    assert parse_timezone("europe/berlin") is BERLIN
    assert parse_timezone("utc") is ZoneInfo("UTC")


@pytest.mark.parametrize(
    "name",
    ["Mars/Olympus", "", "Europe", "../etc/passwd", "/etc/localtime", "localtime", "a\x00b", "x" * 300],
)
def test_unknown_timezones_are_refused_with_a_hint(name):
    with pytest.raises(PeriodError) as caught:
        parse_timezone(name)
    message = str(caught.value)
    assert message.startswith("Unknown timezone '")
    assert message.endswith("'. Use an IANA name like Europe/Berlin or UTC.")
    assert "\x00" not in message and len(message) < 150


def test_unknown_timezone_message_is_exact():
    with pytest.raises(PeriodError, match=r"^Unknown timezone 'Mars/Olympus'\. Use an IANA name like"):
        parse_timezone("Mars/Olympus")


# --- properties -----------------------------------------------------------------------------------

nows = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2060, 12, 31), timezones=st.just(UTC))
zones = st.sampled_from(ZONES)


def _named(day: date, style: int) -> str:
    month = MONTHS[day.month - 1]
    return (
        day.isoformat(),
        f"{month[:3]} {day.day} {day.year}",
        f"{day.day} {month} {day.year}",
        f"{month} {day.day}, {day.year}",
    )[style]


@settings(max_examples=300, deadline=None)
@given(
    now=nows,
    tz=zones,
    offsets=st.tuples(st.integers(1, 20000), st.integers(0, 400)),
    styles=st.tuples(st.integers(0, 3), st.integers(0, 3)),
    separator=st.sampled_from(["..", " .. ", " to "]),
)
def test_any_past_date_range_is_a_nonempty_period_in_the_timezone(now, tz, offsets, styles, separator):
    today = now.astimezone(tz).date()
    first = today - timedelta(days=offsets[0])
    last = min(first + timedelta(days=offsets[1]), today - timedelta(days=1))
    if first < date(1970, 1, 1):
        return
    text = f"{_named(first, styles[0])}{separator}{_named(last, styles[1])}"
    period = parse_period(text, now=now, tz=tz, max_days=None)  # the length bound has tests of its own
    assert period.start < period.end
    assert period.start.tzinfo is tz and period.end.tzinfo is tz
    assert period.start.astimezone(tz).date() == first
    assert period.end.astimezone(tz).date() == last + timedelta(days=1)
    assert period.label == f"{first} to {last}"
    assert 22 <= hours(period.start, period.end) / ((last - first).days + 1) <= 26


fragments = st.sampled_from(
    ["today", "yesterday", "last", "this", "week", "month", "since", "from", "to", "..", "...", "d", "days",
     "7", "0", "-1", "2025", "04", "14", "2025-04-14", "2025-02-30", "9999-12-31", "0001-01-01", "april",
     "apr.", "feb", "29", "31st", "of", "mon", "tuesday", ",", " ", "99999999999999999999", "１４", "ı"]
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(
    text=st.one_of(st.text(max_size=60), st.lists(fragments, max_size=6).map(" ".join)),
    now=nows,
    tz=zones,
)
def test_any_text_gives_a_period_or_a_period_error(text, now, tz):
    try:
        period = parse_period(text, now=now, tz=tz)
    except PeriodError as error:
        assert "\n" not in str(error)
        return
    assert period.start <= period.end <= now
    assert period.start.tzinfo is tz
    assert period.start.astimezone(tz).time() <= time(1)  # a local midnight (or the first hour after a gap)
    assert parse_period(period.spec, now=now, tz=tz) == period


@settings(max_examples=200, deadline=None)
@given(now=nows, tz=zones)
def test_today_and_yesterday_tile_the_timeline_up_to_now(now, tz):
    today = parse_period("today", now=now, tz=tz)
    yesterday = parse_period("yesterday", now=now, tz=tz)
    # Instants compared as timestamps: Python's == between zones is always False for a wall time that
    # occurs twice (PEP 495), though `<`, which the report uses, is right.
    assert yesterday.end.timestamp() == today.start.timestamp() <= now.timestamp() == today.end.timestamp()
    assert 22 <= hours(yesterday.start, yesterday.end) <= 26
    for before, current in (("last week", "this week"), ("last month", "this month")):
        end = parse_period(before, now=now, tz=tz).end
        assert end.timestamp() == parse_period(current, now=now, tz=tz).start.timestamp()


# The bound on a period's length -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("10000 days", "10,000"),
        ("401d", "401"),
        ("since 2024-03-10", "401"),
        ("2020-01-01..2025-01-01", "1,828"),
        ("2024-01-01 to 2030-12-31", "470"),  # a range reaching past today counts the days it covers
    ],
)
def test_a_period_longer_than_the_bound_is_refused_with_the_bound_and_what_would_work(text, days):
    with pytest.raises(PeriodError) as raised:
        parse_period(text, now=NOW, tz=UTC)
    message = str(raised.value)
    assert f"covers {days} days" in message and "at most 400" in message and "max_period_days" in message
    assert "Try 400d, since 2024-03-11" in message
    parse_period("400d", now=NOW, tz=UTC)  # what it suggests is accepted
    parse_period("since 2024-03-11", now=NOW, tz=UTC)


def test_the_bound_is_the_callers():
    assert parse_period("last 30 days", now=NOW, tz=BERLIN, max_days=30).spec == "last 30 days"
    with pytest.raises(PeriodError, match=r"at most 29 .*Try 29d, since 2025-03-17"):
        parse_period("month", now=NOW, tz=BERLIN, max_days=29)
    with pytest.raises(PeriodError, match="at most 7"):
        parse_period("2025-04-01..2025-04-08", now=NOW, tz=BERLIN, max_days=7)
    unbounded = parse_period("since 1990-01-01", now=NOW, tz=BERLIN, max_days=None)
    assert unbounded.start == datetime(1990, 1, 1, tzinfo=BERLIN)


@given(days=st.integers(min_value=1, max_value=3000), bound=st.integers(min_value=7, max_value=2000))
def test_a_period_is_accepted_exactly_when_it_fits_the_bound(days, bound):
    text = f"{days}d"
    if days <= bound:
        period = parse_period(text, now=NOW, tz=BERLIN, max_days=bound)
        assert period.start.date() == NOW_BERLIN.date() - timedelta(days=days - 1)
    else:
        with pytest.raises(PeriodError, match=f"at most {bound:,}"):
            parse_period(text, now=NOW, tz=BERLIN, max_days=bound)
