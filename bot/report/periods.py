"""Turns what a user types ("today", "last week", "2025-04-01..2025-04-14") into a Period.

Pure: the caller passes `now` and the timezone; nothing here reads the clock or the environment.

Grammar (case-insensitive, surrounding and repeated whitespace ignored, empty text means `today`):

    today                         start of today until now
    yesterday                     the whole previous day
    week | month                  the same as `last 7 days` | `last 30 days`
    Nd | N days | last N days     today and the N-1 days before it, until now (`past N days` too)
    this week | last week         calendar weeks starting Monday 00:00 (this one until now)
    this month | last month       calendar months (this one until now)
    DATE                          that whole day
    DATE..DATE | DATE to DATE     both days inclusive (`from DATE to DATE` too)
    since DATE                    start of that day until now

DATE is `2025-04-14` (or `2025/04/14`), or a day, a month name and an optional year in any order
(`Apr 14 2025`, `14 April 2025`, `April 14, 2025`, `14th of April`, `Mon 14 Apr 2025`). Decisions:

- Day boundaries are local midnights in the timezone, so a day is 23 or 25 hours long across a
  daylight-saving change; when midnight itself is skipped, the day starts at the first real instant.
- Numeric dates must be ISO (year first): `04/05/2025` means 5 April to some people and 4 May to
  others, so it is refused rather than guessed. The year of a named date has four digits.
- A named date without a year is the most recent such day up to today (`Dec 31` typed in January is
  last year's). The end of a range without a year is the first such day on or after its start, so
  `Dec 20..Jan 5` spans the new year.
- A period may not start in the future or before 1970. One that reaches past now ends at now (the
  report covers what has happened); its label names the days actually covered.
- A period covers at most `max_days` local days (the caller's bound, `max_period_days` in the config;
  400 unless said otherwise): `10000 days` is refused with the bound and a period that would work,
  before anything is fetched.
- python-dateutil reads single named dates only, after the text has been checked to hold nothing but
  a day, a month, a year and a weekday: on free text it silently misreads `yesterday` or `a..b`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, available_timezones

from dateutil import parser as date_parser
from dateutil.relativedelta import relativedelta

from bot.report.models import Period

PERIOD_EXAMPLES: tuple[str, ...] = (
    "today",
    "yesterday",
    "week",
    "last week",
    "2025-04-14",
    "2025-04-01..2025-04-14",
    "since 2025-04-01",
)

EARLIEST_DAY = date(1970, 1, 1)
DEFAULT_MAX_PERIOD_DAYS = 400  # a year and a month: "last 365 days" and any calendar month fit
MAX_TEXT_LENGTH = 100  # longer text is no period; refusing it early keeps parsing cheap
_SHOWN_LENGTH = 40  # how much of the user's text an error message repeats

_WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_FULL_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

_DATE_INFO = date_parser.parserinfo()
# Zone files that exist on most machines but describe the machine, not a place.
_MACHINE_ZONES = frozenset({"localtime", "posixrules", "factory"})

_DAYS = re.compile(r"(?:(?:last|past) )?([0-9]+) ?d(?:ays?)?", re.ASCII)
_ISO_DATE = re.compile(r"([0-9]{4})([-/])([0-9]{1,2})\2([0-9]{1,2})", re.ASCII)
_DAY_TOKEN = re.compile(r"([0-9]{1,2})(?:st|nd|rd|th)?", re.ASCII)
_YEAR_TOKEN = re.compile(r"[0-9]{4}", re.ASCII)
_RANGE_DOTS = re.compile(r"(.*?) ?\.\. ?(.*)", re.ASCII)
_RANGE_TO = re.compile(r"(?:from )?(.+?) to (.+)", re.ASCII)
_FILLERS = frozenset({"of", "the"})


class PeriodError(ValueError):
    """Text that is no period or timezone; the message says what was wrong and what would work."""


def parse_timezone(name: str) -> tzinfo:
    """An IANA timezone by name (`Europe/Berlin`, `UTC`); the case of the letters does not matter."""
    key = name.strip()
    unknown = PeriodError(f"Unknown timezone '{_shown(name)}'. Use an IANA name like Europe/Berlin or UTC.")
    if not key or len(key) > 64 or key.lower() in _MACHINE_ZONES:
        raise unknown
    try:
        return ZoneInfo(key)
    except (ValueError, KeyError, OSError):
        pass
    # Only on a miss: listing every zone walks the tz database, too slow for every call.
    matches = [zone for zone in available_timezones() if zone.lower() == key.lower()]
    if len(matches) == 1:
        return ZoneInfo(matches[0])
    raise unknown


def parse_period(
    text: str, *, now: datetime, tz: tzinfo, max_days: int | None = DEFAULT_MAX_PERIOD_DAYS
) -> Period:
    """The Period that `text` names, seen from `now` (aware) in timezone `tz`; PeriodError if none,
    or if it covers more than `max_days` local days (None: no bound)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    words = " ".join(text.split()).lower()
    if len(words) > MAX_TEXT_LENGTH:
        raise PeriodError(f"The period '{_shown(text)}' is too long. {_try()}")
    try:
        local_now = now.astimezone(tz)
        days = _read(words, shown=_shown(text), today=local_now.date(), max_days=max_days)
        return _build(days, shown=_shown(text), now=local_now, tz=tz, max_days=max_days)
    except OverflowError:
        raise PeriodError(f"The period '{_shown(text)}' is out of range. {_try()}") from None


@dataclass(frozen=True)
class _Days:
    """Local days from `first` to `last`, both inclusive, before clamping to now."""

    first: date
    last: date
    spec: str
    weekly: bool = False  # labelled as a calendar week


def _read(words: str, *, shown: str, today: date, max_days: int | None) -> _Days:
    """The days `words` names; raises PeriodError for text that names none."""
    if words in ("", "today"):
        return _Days(today, today, "today")
    if words == "yesterday":
        day = today - timedelta(days=1)
        return _Days(day, day, "yesterday")
    if words in ("week", "month"):
        return _last_days(7 if words == "week" else 30, shown=shown, today=today, max_days=max_days)
    if match := _DAYS.fullmatch(words):
        return _last_days(int(match[1]), shown=shown, today=today, max_days=max_days)
    if words in ("this week", "last week"):
        monday = today - timedelta(days=today.weekday())
        if words == "this week":
            return _Days(monday, today, words, weekly=True)
        return _Days(monday - timedelta(days=7), monday - timedelta(days=1), words, weekly=True)
    if words in ("this month", "last month"):
        first = today.replace(day=1)
        if words == "this month":
            return _Days(first, today, words)
        return _Days(first - relativedelta(months=1), first - timedelta(days=1), words)
    if words.startswith("since "):
        day = _date_or_fail(words.removeprefix("since "), shown=shown, on_or_before=today)
        return _Days(day, max(day, today), f"since {day.isoformat()}")
    if match := _RANGE_DOTS.fullmatch(words) or _RANGE_TO.fullmatch(words):
        return _range(match[1], match[2], shown=shown, today=today)
    day = _date_or_fail(words, shown=shown, on_or_before=today)
    return _Days(day, day, day.isoformat())


def _last_days(count: int, *, shown: str, today: date, max_days: int | None) -> _Days:
    if count < 1:
        raise PeriodError(f"The period '{shown}' has no days. Use at least one, like 1d or 7d.")
    if count - 1 > (today - EARLIEST_DAY).days:
        raise PeriodError(f"The period '{shown}' reaches back before {EARLIEST_DAY}. Use fewer days.")
    if max_days is not None and count > max_days:
        raise _too_long(shown, days=count, max_days=max_days, today=today)
    unit = "day" if count == 1 else "days"
    return _Days(today - timedelta(days=count - 1), today, f"last {count} {unit}")


def _range(left: str, right: str, *, shown: str, today: date) -> _Days:
    if not left or not right:
        raise PeriodError(
            f"The range '{shown}' needs a date on both sides, like 2025-04-01..2025-04-14. "
            "For an open end use since 2025-04-01."
        )
    first = _date_or_fail(left, shown=shown, on_or_before=today)
    last = _date_or_fail(right, shown=shown, on_or_after=first)
    if last < first:
        raise PeriodError(
            f"The range '{shown}' ends before it starts ({first} > {last}). "
            "Put the earlier date first, like 2025-04-01..2025-04-14."
        )
    spec = first.isoformat() if first == last else f"{first}..{last}"
    return _Days(first, last, spec)


def _date_or_fail(
    text: str, *, shown: str, on_or_before: date | None = None, on_or_after: date | None = None
) -> date:
    day = _read_date(text, on_or_before=on_or_before, on_or_after=on_or_after)
    if day is None:
        raise PeriodError(f"I don't understand the period '{shown}'. {_try()}")
    return day


def _read_date(text: str, *, on_or_before: date | None, on_or_after: date | None) -> date | None:
    """One day from ISO or named text; None if the text is no date, PeriodError if it is an impossible one.

    A named date without a year resolves to the latest such day up to `on_or_before`, or else the
    earliest on or after `on_or_after`.
    """
    if match := _ISO_DATE.fullmatch(text):
        try:
            return date(int(match[1]), int(match[3]), int(match[4]))
        except ValueError:
            raise _no_such_date(text) from None
    tokens = text.replace(",", " ").split()
    months, days, years, weekdays, kept = [], [], [], [], []
    for token in tokens:
        word = token.removesuffix(".")
        if word in _FILLERS:
            continue
        if (month := _DATE_INFO.month(word)) is not None:
            months.append(month)
        elif (weekday := _DATE_INFO.weekday(word)) is not None:
            weekdays.append(weekday)
        elif match := _DAY_TOKEN.fullmatch(word):
            days.append(int(match[1]))
            word = match[1]
        elif _YEAR_TOKEN.fullmatch(word):
            years.append(int(word))
        else:
            return None
        kept.append(word)
    if len(months) != 1 or len(years) > 1 or len(weekdays) > 1 or len(days) > 1:
        return None
    if not days:
        raise PeriodError(
            f"'{_shown(text)}' names a month, not a day. Give the day too, like 14 April 2025, "
            "or use this month or last month."
        )
    day = _dateutil_day(" ".join(kept), month=months[0], day=days[0], year=years[0] if years else None)
    if day is None:
        return None
    if not years:
        day = _nearest_year(day, text=text, on_or_before=on_or_before, on_or_after=on_or_after)
    if weekdays and day.weekday() != weekdays[0]:
        raise PeriodError(
            f"{day} is a {_FULL_WEEKDAYS[day.weekday()]}, not a {_FULL_WEEKDAYS[weekdays[0]]}. "
            "Check the date, or leave the weekday out."
        )
    return day


def _dateutil_day(text: str, *, month: int, day: int, year: int | None) -> date | None:
    """The day dateutil reads in `text`, checked against the parts we found; None if it read otherwise.

    Parsed twice against different defaults: a part that differs between the two was not in the
    text. Without a year the leap years 2000 and 2004 stand in, so 29 February stays possible.
    """
    try:
        one = date_parser.parse(text, default=datetime(2000, 1, 1), fuzzy=False)
        two = date_parser.parse(text, default=datetime(2004, 2, 2, 1, 1, 1), fuzzy=False)
    except (ValueError, OverflowError):
        raise _no_such_date(text) from None
    if one.tzinfo is not None or one.time() != time(0) or two.time() != time(1, 1, 1):
        return None
    if (one.month, one.day) != (month, day) or (two.month, two.day) != (month, day):
        return None
    if year is None:
        return one.date() if (one.year, two.year) == (2000, 2004) else None
    return one.date() if one.year == two.year == year else None


def _nearest_year(day: date, *, text: str, on_or_before: date | None, on_or_after: date | None) -> date:
    """`day`'s month and day in the year nearest the reference day, on the reference's side."""
    if on_or_after is not None:
        years = range(on_or_after.year, on_or_after.year + 9)
        found = (c for c in _in_years(day, years) if c >= on_or_after)
    elif on_or_before is not None:
        years = range(on_or_before.year, on_or_before.year - 9, -1)
        found = (c for c in _in_years(day, years) if c <= on_or_before)
    else:
        raise TypeError("a reference day is required")
    candidate = next(found, None)
    if candidate is None:
        raise _no_such_date(text)
    return candidate


def _in_years(day: date, years: range) -> Iterator[date]:
    for year in years:
        try:
            yield day.replace(year=year)
        except ValueError:  # 29 February outside a leap year
            continue


def _build(days: _Days, *, shown: str, now: datetime, tz: tzinfo, max_days: int | None) -> Period:
    today = now.date()
    if days.first > today:
        raise PeriodError(
            f"The period '{shown}' starts in the future: today is {today} in {_zone_name(tz, now)}. "
            "Pick a day up to today."
        )
    if days.first < EARLIEST_DAY:
        raise PeriodError(f"The period '{shown}' starts before {EARLIEST_DAY}. Pick a later day.")
    covered = (min(days.last, today) - days.first).days + 1
    if max_days is not None and covered > max_days:
        raise _too_long(shown, days=covered, max_days=max_days, today=today)
    start = _start_of_day(days.first, tz)
    if days.last >= today:
        end, last = now, today
    else:
        end, last = _start_of_day(days.last + timedelta(days=1), tz), days.last
    label = _week_label(days.first, last) if days.weekly else f"{days.first} to {last}"
    return Period(start=start, end=end, label=label, spec=days.spec)


def _start_of_day(day: date, tz: tzinfo) -> datetime:
    """The first instant of local `day` in `tz`, as a real wall time.

    Where a daylight-saving change skips midnight (America/Havana, for one), 00:00 does not exist; the
    round trip through UTC turns it into the first instant that does (01:00).
    """
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC).astimezone(tz)


def _week_label(first: date, last: date) -> str:
    """'Mon 14 Apr – Sun 20 Apr 2025'; both years when the week spans a new year."""
    left = f"{_WEEKDAY_NAMES[first.weekday()]} {first.day} {_MONTH_NAMES[first.month - 1]}"
    right = f"{_WEEKDAY_NAMES[last.weekday()]} {last.day} {_MONTH_NAMES[last.month - 1]} {last.year}"
    if first.year != last.year:
        left = f"{left} {first.year}"
    return f"{left} – {right}"


def _zone_name(tz: tzinfo, now: datetime) -> str:
    return getattr(tz, "key", None) or tz.tzname(now) or "the chosen timezone"


def _too_long(shown: str, *, days: int, max_days: int, today: date) -> PeriodError:
    earliest = today - timedelta(days=max_days - 1)
    return PeriodError(
        f"The period '{shown}' covers {days:,} days; a report covers at most {max_days:,} "
        f"(max_period_days in the bot's config). Try {max_days}d, since {earliest}, or a shorter range."
    )


def _no_such_date(text: str) -> PeriodError:
    return PeriodError(
        f"There is no date '{_shown(text)}'. Write a real day, like 2025-04-14 or 14 April 2025."
    )


def _try() -> str:
    return f"Try: {', '.join(PERIOD_EXAMPLES)}."


def _shown(text: str) -> str:
    """The user's text as an error message repeats it: one line, printable, short."""
    head = text[: _SHOWN_LENGTH * 4]
    line = " ".join("".join(c if c.isprintable() else " " for c in head).split())
    return line if len(line) <= _SHOWN_LENGTH else line[: _SHOWN_LENGTH - 1] + "…"
