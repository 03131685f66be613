"""When a digest subscription fires and which days each digest covers: pure calendar arithmetic.

No clock reads, no I/O: every function takes the instant it reasons about. Fire times are aware UTC
datetimes computed from the subscription's local wall time, so a 09:00 Europe/Berlin digest fires at
07:00 UTC in summer and 08:00 UTC in winter.

Rules (the README's "Digests" section repeats them for users):
- ``daily`` fires every day, ``weekdays`` Monday to Friday, ``weekly`` on Mondays.
- A digest covers the whole local days from the previous scheduled day up to (not including) the
  firing day: daily covers yesterday; weekly covers last Monday to Sunday; weekdays covers the
  previous weekday, except that Monday's covers Friday, Saturday and Sunday, so activity on a weekend
  is never left out of every digest.
- A wall time that does not exist on a spring-forward day (02:30 in Berlin on the last Sunday of
  March) fires at the first instant that does exist (03:00 CEST). A wall time that happens twice on a
  fall-back day fires once, at its first occurrence.
- Catch-up after downtime posts at most the latest missed digest, and only while it is less than the
  grace late; never a backlog.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.report import periods
from bot.report.models import Period

CADENCES: tuple[str, ...] = ("daily", "weekdays", "weekly")
DEFAULT_CADENCE = "daily"
DEFAULT_TIME = "09:00"
DEFAULT_GRACE = timedelta(hours=6)

_TIME_RE = re.compile(r"([0-9]{1,2}):([0-9]{2})", re.ASCII)
_MONDAY = 0
_SATURDAY = 5
# A fire day is at most 7 days after any instant (weekly); look a little further for safety.
_SEARCH_DAYS = 9


class ScheduleError(ValueError):
    """Subscription input that cannot be scheduled; the message tells the user what to type instead."""


class HasSchedule(Protocol):
    """Anything carrying a validated schedule: a `Schedule`, or a stored `Subscription`."""

    @property
    def cadence(self) -> str: ...

    @property
    def at_time(self) -> str: ...

    @property
    def timezone(self) -> str: ...


@dataclass(frozen=True)
class Schedule:
    """A validated cadence, local wall time "HH:MM" and IANA zone name, in canonical spelling."""

    cadence: str
    at_time: str
    timezone: str


def parse_schedule(cadence: str | None, at_time: str | None, timezone: str | None) -> Schedule:
    """Validate and normalise user input; None means the default. Raises ScheduleError naming the fix."""
    return Schedule(
        cadence=parse_cadence(cadence),
        at_time=parse_time(at_time),
        timezone=parse_timezone(timezone),
    )


def parse_cadence(text: str | None) -> str:
    if text is None:
        return DEFAULT_CADENCE
    word = text.strip().lower()
    if word == "weekday":
        word = "weekdays"
    if word not in CADENCES:
        raise ScheduleError(f"'{_shorten(text)}' is not a schedule; use daily, weekdays or weekly")
    return word


def parse_time(text: str | None) -> str:
    """'9:00' -> '09:00'; rejects '25:00', '9', '09:60' and anything else that is not HH:MM."""
    if text is None:
        return DEFAULT_TIME
    match = _TIME_RE.fullmatch(text.strip())
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ScheduleError(f"{_shorten(text)} is not a time; use HH:MM like 09:00")
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def parse_timezone(text: str | None) -> str:
    """An IANA zone name, matched without regard to case ('europe/berlin' -> 'Europe/Berlin')."""
    if text is None or not text.strip():
        return "UTC"
    try:
        zone = periods.parse_timezone(text)
    except periods.PeriodError as error:
        raise ScheduleError(str(error)) from None
    return getattr(zone, "key", None) or "UTC"


def _shorten(text: str, limit: int = 40) -> str:
    """User text as an error message repeats it: one printable line, short."""
    line = " ".join("".join(c if c.isprintable() else " " for c in text[: limit * 4]).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def next_fire(sub: HasSchedule, after: datetime) -> datetime:
    """The first fire instant strictly after `after` (aware), in UTC."""
    _require_aware(after)
    zone = ZoneInfo(sub.timezone)
    start_day = after.astimezone(zone).date() - timedelta(days=1)
    for offset in range(_SEARCH_DAYS + 1):
        day = start_day + timedelta(days=offset)
        if _fires_on(sub.cadence, day):
            moment = local_instant(day, _wall_time(sub.at_time), zone)
            if moment > after:
                return moment
    raise AssertionError("unreachable: every cadence fires at least weekly")


def previous_fire(sub: HasSchedule, at_or_before: datetime) -> datetime:
    """The last fire instant at or before `at_or_before` (aware), in UTC."""
    _require_aware(at_or_before)
    zone = ZoneInfo(sub.timezone)
    start_day = at_or_before.astimezone(zone).date() + timedelta(days=1)
    for offset in range(_SEARCH_DAYS + 1):
        day = start_day - timedelta(days=offset)
        if _fires_on(sub.cadence, day):
            moment = local_instant(day, _wall_time(sub.at_time), zone)
            if moment <= at_or_before:
                return moment
    raise AssertionError("unreachable: every cadence fires at least weekly")


def digest_period(
    sub: HasSchedule, fire_time: datetime, *, max_days: int = periods.DEFAULT_MAX_PERIOD_DAYS
) -> Period:
    """The local days the digest fired at `fire_time` covers, as the report core's half-open Period.

    From midnight of the previous scheduled day to midnight of the firing day, in the subscription's
    zone: a daily digest fired on Tuesday covers Monday, a weekly one fired on Monday covers last
    Monday to Sunday, and Monday's weekdays digest covers Friday to Sunday. The Period comes from the
    core's own grammar ("2025-04-13", "2025-04-11..2025-04-13", "last week"), so its label and bounds
    are the ones a typed `/ticket-report` would give. A digest covers at most seven days, within any
    `max_days` the config allows (at least seven).
    """
    _require_aware(fire_time)
    zone = ZoneInfo(sub.timezone)
    fire_day = fire_time.astimezone(zone).date()
    first_day = fire_day - timedelta(days=1)
    while not _fires_on(sub.cadence, first_day):
        first_day -= timedelta(days=1)
    last_day = fire_day - timedelta(days=1)
    if sub.cadence == "weekly":
        spec = "last week"
    elif first_day == last_day:
        spec = first_day.isoformat()
    else:
        spec = f"{first_day.isoformat()}..{last_day.isoformat()}"
    return periods.parse_period(spec, now=fire_time, tz=zone, max_days=max_days)


def due_fires(
    sub: HasSchedule, *, last_check: datetime, now: datetime, grace: timedelta = DEFAULT_GRACE
) -> list[datetime]:
    """Fires to run now: the latest fire in (last_check, now] if it is at most `grace` late, else none.

    Older missed fires are skipped on purpose: after a long outage a channel gets one digest, not a
    flood of stale ones.
    """
    _require_aware(last_check)
    _require_aware(now)
    if now <= last_check:
        return []
    latest = previous_fire(sub, now)
    if latest <= last_check or now - latest > grace:
        return []
    return [latest]


def local_instant(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The UTC instant at which clocks in `zone` show `wall` on `day`.

    Ambiguous wall times (fall back) resolve to the first occurrence; nonexistent ones (spring forward)
    to the end of the gap, the first instant that exists at or after that wall time.
    """
    naive = datetime.combine(day, wall)
    first = naive.replace(tzinfo=zone, fold=0)
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive:
        return first.astimezone(UTC)
    # In a gap. fold=1 reads the wall time with the offset after the change (an instant before the
    # change), fold=0 with the offset before it (an instant after it). Bisect on whole seconds (zones
    # change on whole seconds) for the first instant whose wall time is not earlier than asked.
    low = int(naive.replace(tzinfo=zone, fold=1).timestamp())
    high = int(first.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).replace(tzinfo=None) >= naive:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def _fires_on(cadence: str, day: date) -> bool:
    if cadence == "daily":
        return True
    if cadence == "weekdays":
        return day.weekday() < _SATURDAY
    if cadence == "weekly":
        return day.weekday() == _MONDAY
    raise ScheduleError(f"'{cadence}' is not a schedule; use daily, weekdays or weekly")


def _wall_time(at_time: str) -> time:
    hours, minutes = parse_time(at_time).split(":")
    return time(int(hours), int(minutes))


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"expected an aware datetime, got naive {moment.isoformat()}")
