"""Shared wording of numbers, durations, changes and ticket labels for every renderer.

Markdown, JSON and Block Kit all say "3h 20m", "15.9" and "12 (+3 vs previous period)" the same way
because they all call these helpers. Nothing here escapes text: that is `escape.py`'s job.

Periods and times read as a person says them and always name their zone: a day is "Mon 14 Apr 2025,
Europe/Berlin", a range names both days it includes ("Mon 7 – Sun 13 Apr 2025, UTC"), a period that
ends now says until when ("Mon 14 Apr 2025 until 21:07, UTC"), and a moment is shown in the period's
zone ("21:07 CEST"). The compact forms ("3 (+1)", "2 community comments, 2 people, 1h ago") are what
a Slack message shows where the other formats give every figure in full.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal

from bot.report.models import DurationStats, Exclusion, Period, Report, ScoredTicket, ScoreItem

NOT_AVAILABLE = "n/a"
UNTITLED = "(untitled)"


def format_duration(duration: timedelta | None) -> str:
    """A human duration: "45s", "12m", "3h 20m", "2d 4h"; "n/a" for None.

    Seconds only show under a minute, minutes only under a day: a median support wait needs no more
    precision than that. Negative durations (clock skew in the data) read as "0s".
    """
    if duration is None:
        return NOT_AVAILABLE
    seconds = max(0, int(duration.total_seconds()))
    if seconds < 60:
        return f"{seconds}s"
    minutes, _ = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    return f"{minutes}m"


def format_signed(delta: int) -> str:
    """+3, -2, 0."""
    return f"{delta:+d}" if delta else "0"


def with_change(current: int, previous: int) -> str:
    """A count with its change: "12 (+3 vs previous period)", "7 (no change vs previous period)"."""
    delta = current - previous
    if delta == 0:
        return f"{current} (no change vs previous period)"
    return f"{current} ({format_signed(delta)} vs previous period)"


def compact_change(current: int, previous: int, words: str) -> str:
    """A count, its words and its change only when there is one: "3 active (+1)", "1 resolved"."""
    delta = current - previous
    return f"{current} {words} ({format_signed(delta)})" if delta else f"{current} {words}"


def _one_decimal(value: float) -> Decimal:
    # Half up on the shortest decimal form, as a person rounds: 9.25 -> 9.3 (not the float's 9.2).
    if abs(value) >= 1e15:  # beyond Decimal's default precision for quantize; no one reads such decimals
        return Decimal(f"{value:.1f}")
    rounded = Decimal(repr(float(value))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return rounded if rounded else Decimal("0.0")  # no "-0.0"


def format_score(score: float) -> str:
    """An activity score with one decimal: 15.94 -> "15.9", 9.25 -> "9.3"."""
    if not math.isfinite(score):
        return NOT_AVAILABLE
    return str(_one_decimal(score))


def format_points(points: float) -> str:
    """Points of one score line, signed with one decimal: "+6.0", "-0.5"."""
    if not math.isfinite(points):
        return NOT_AVAILABLE
    rounded = _one_decimal(points)
    return f"+{rounded}" if rounded >= 0 else str(rounded)


def format_count(count: float) -> str:
    """A breakdown count: whole numbers without decimals ("3"), others with up to two ("0.75")."""
    if not math.isfinite(count):
        return NOT_AVAILABLE
    if float(count).is_integer():
        return str(int(count))
    return f"{count:.2f}".rstrip("0").rstrip(".")


def format_datetime(moment: datetime) -> str:
    """The moment in its own timezone, named (or as an offset): "2025-04-14 21:07:02 UTC"."""
    zone = moment.tzname() or moment.strftime("%z") or "UTC"
    return f"{moment:%Y-%m-%d %H:%M:%S} {zone}"


def format_as_of(report: Report) -> str | None:
    """When the report's data was last known current, in the report's timezone (its period's): "21:05"
    on the day the report was made, else "Mon 14 Apr 21:05" (and the year when that differs too);
    None when the data was fetched live."""
    if report.data_as_of is None:
        return None
    tz = report.period.start.tzinfo
    local, made = report.data_as_of.astimezone(tz), report.generated_at.astimezone(tz)
    if local.date() == made.date():
        return f"{local:%H:%M}"
    year = f" {local.year}" if local.year != made.year else ""
    return f"{local:%a} {local.day} {local:%b}{year} {local:%H:%M}"


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def zone_name(tz: tzinfo | None, moment: datetime) -> str:
    """The zone as its IANA name ("Europe/Berlin"), else as the moment names it ("UTC", "+0530")."""
    return getattr(tz, "key", None) or moment.tzname() or moment.strftime("%z") or "UTC"


def _day(day: date, *, year: bool = True) -> str:
    """The day as "Mon 14 Apr 2025" (or "Mon 14 Apr")."""
    words = f"{_WEEKDAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]}"
    return f"{words} {day.year}" if year else words


def _starts_day(moment: datetime) -> bool:
    """Whether the moment is the first instant of its local day (midnight, or what a DST change left)."""
    first = datetime.combine(moment.date(), time(0), tzinfo=moment.tzinfo)
    return moment.astimezone(UTC) == first.astimezone(UTC)


def _span(period: Period) -> tuple[date, date, str, str]:
    """The first and last local day a period touches, and "from HH:MM" / "until HH:MM" where it does
    not cover that whole day (empty when it does)."""
    tz = period.start.tzinfo
    start, end = period.start, period.end.astimezone(tz)
    since = "" if _starts_day(start) else f" from {start:%H:%M}"
    if _starts_day(end) and end > start:
        last, until = end.date() - timedelta(days=1), ""
    else:
        last, until = end.date(), f" until {end:%H:%M}"
    return start.date(), max(last, start.date()), since, until


def period_days(period: Period) -> str:
    """The days a period covers, both ends included: "Mon 14 Apr 2025", "Mon 7 – Sun 13 Apr 2025",
    "Mon 31 Mar – Sun 6 Apr 2025", "Mon 14 Apr 2025 until 21:07" (it ends now)."""
    first, last, since, until = _span(period)
    if first == last:
        return f"{_day(first)}{since}{until}"
    if first.year != last.year:
        left = _day(first)
    elif first.month != last.month or since:
        left = _day(first, year=False)
    else:
        left = f"{_WEEKDAYS[first.weekday()]} {first.day}"
    return f"{left}{since} – {_day(last)}{until}"


def period_words(period: Period) -> str:
    """The period with its zone: "Mon 14 Apr 2025, Europe/Berlin", "Mon 7 – Sun 13 Apr 2025, UTC"."""
    return f"{period_days(period)}, {zone_name(period.start.tzinfo, period.start)}"


def is_one_day(period: Period) -> bool:
    """Whether the period lies within one local day (a day, or today until now)."""
    first, last, _, _ = _span(period)
    return first == last


def format_time_in(moment: datetime, period: Period) -> str:
    """A moment in the period's zone, named: "21:07 CEST" on the period's last day, else with its
    day ("Tue 15 Apr 09:00 CEST", the year too when it differs)."""
    tz = period.start.tzinfo
    local = moment.astimezone(tz)
    abbreviation = local.tzname() or ""
    zone = abbreviation if abbreviation.isalpha() else zone_name(tz, local)
    _, last, _, _ = _span(period)
    if local.date() == last:
        return f"{local:%H:%M} {zone}"
    return f"{_day(local.date(), year=local.year != last.year)} {local:%H:%M} {zone}"


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 with offset, or None."""
    return None if moment is None else moment.isoformat()


def ticket_label(repo: str, number: int, *, home_repo: str | None) -> str:
    """A ticket's name: "#685" in the report's only repository, "owner/name#685" otherwise."""
    return f"#{number}" if repo == home_repo else f"{repo}#{number}"


def home_repo(repos: tuple[str, ...]) -> str | None:
    """The repository whose tickets may be named by number alone: the only one, if there is one."""
    return repos[0] if len(repos) == 1 else None


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """A count with its noun: "1 ticket", "3 tickets"."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count} {word}"


def title_or_placeholder(title: str | None) -> str:
    """A ticket or group title, or "(untitled)" when it is empty or only whitespace."""
    return title if title and title.strip() else UNTITLED


# Words every format uses for the same thing.
REPORT_TITLE = "Support Ticket Report"
HEADLINE_HEADING = "In short"
LEFT_OUT = "Left out"
# The labelled lines of a group summary written from the tickets (`GroupSummary`), in order.
PART_LABELS = (
    ("problem", "Problem"),
    ("affected", "Affected"),
    ("status", "Status"),
    ("fix_fails", "Fix reported failing"),
    ("tell_users", "Tell users"),
)
NO_ACTIVITY = "No ticket activity in this period."
NO_LABELS = "No labelled tickets in this period."
NO_GROUPS = "No common issues: no two tickets in this period look related."
NO_RECOMMENDATIONS = "No recommendations: nothing in this period's data calls for action."
NO_AWAITING = "Every open ticket has a team response."
# The totals of a Slack message's figures line, in order; those marked False show only when not zero.
COMPACT_TOTALS = (
    ("total", "active", True),
    ("resolved", "resolved", True),
    ("not_planned", "not planned / duplicate", False),
    ("open", "open", True),
    ("new", "new", True),
)
TOTAL_WORDS = (
    ("total", "Total tickets"),
    ("resolved", "Resolved"),
    ("not_planned", "Not planned / duplicate"),
    ("open", "Open"),
    ("new", "New"),
)


def no_activity_line(period: Period, repos: str) -> str:
    """A quiet period in one line: "No ticket activity on Mon 14 Apr 2025 (Europe/Berlin) in o/support."
    Pass the repositories escaped."""
    when = "on" if is_one_day(period) else "during"
    zone = zone_name(period.start.tzinfo, period.start)
    return f"No ticket activity {when} {period_days(period)} ({zone}) in {repos}."


def most_active_heading(count: int) -> str:
    """The section heading: "5 Most Active Tickets", "Most Active Ticket", "Most Active Tickets" (none)."""
    if count == 1:
        return "Most Active Ticket"
    return f"{count} Most Active Tickets" if count else "Most Active Tickets"


def describe_durations(stats: DurationStats) -> str:
    """Durations in words: "median 3h 20m, 90th percentile 2d 4h (over 8 tickets)" or "n/a (...)"."""
    if stats.count == 0 or stats.median is None:
        return f"{NOT_AVAILABLE} (no tickets to measure)"
    return (
        f"median {format_duration(stats.median)}, 90th percentile {format_duration(stats.p90)}"
        f" (over {plural(stats.count, 'ticket')})"
    )


def compact_durations(stats: DurationStats) -> str:
    """Durations in few words: "median 3h 20m, 90th percentile 2d 4h (8 tickets)" or "n/a"."""
    if stats.count == 0 or stats.median is None:
        return NOT_AVAILABLE
    return (
        f"median {format_duration(stats.median)}, 90th percentile {format_duration(stats.p90)}"
        f" ({plural(stats.count, 'ticket')})"
    )


def breakdown_line(reason: str, count: float, points: float) -> str:
    """One score line: "comments from the community ×3: +6.0" (pass the reason already escaped)."""
    return f"{reason} ×{format_count(count)}: {format_points(points)}"


# The activity score's terms (`bot.report.scoring`) in a reader's words: what was counted, 1 and many.
_COUNTED = {
    "comments from the community": ("community comment", "community comments"),
    "comments from the team": ("team comment", "team comments"),
    "people taking part": ("person", "people"),
    "reactions": ("reaction", "reactions"),
}
_FLAGS = {"opened in the period": "new", "reopened": "reopened"}
_RECENCY = re.compile(r"recent activity \((?P<age>[^()]+) before the period's end\)")


def leading_reasons(scored: ScoredTicket, *, count: int = 2) -> list[ScoreItem]:
    """The `count` terms that gave the most points (ties in breakdown order), then the recency term:
    when the ticket was last active says more than its points."""
    recency = [item for item in scored.breakdown if _RECENCY.fullmatch(item.reason)]
    others = [item for item in scored.breakdown if item not in recency]
    largest = sorted(others, key=lambda item: -item.points if math.isfinite(item.points) else 0)
    return [*largest[:count], *recency[:1]]


def reason_words(reason: str, count: float, *, ends_now: bool) -> str:
    """One score term in words: "2 community comments", "1 person", "new", "1h ago" (or "last active 5h
    before the end" for a period that ended before the report was made). Pass the reason escaped; one
    these words do not know reads "reason ×count"."""
    if reason in _COUNTED and math.isfinite(count) and float(count).is_integer():
        singular, many = _COUNTED[reason]
        return plural(int(count), singular, many)
    if reason in _FLAGS:
        return _FLAGS[reason]
    recency = _RECENCY.fullmatch(reason)
    if recency:
        age = recency.group("age")
        return f"{age} ago" if ends_now else f"last active {age} before the end"
    return f"{reason} ×{format_count(count)}"


def join_words(words: list[str]) -> str:
    """Words listed as a person lists them: 1; 1 and 3; 1, 2 and 3."""
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def exclusion_reason(reason: str) -> str:
    """An exclusion's reason as words to follow a count: "label announcement" -> "labelled announcement"."""
    reason = reason.strip()
    if reason.startswith("label "):
        return "labelled " + reason.removeprefix("label ").strip()
    return reason or "excluded"


def exclusions_shown(excluded: tuple[Exclusion, ...]) -> tuple[int, list[Exclusion]]:
    """The exclusions worth a line (those with tickets) and how many distinct tickets they leave out."""
    shown = [exclusion for exclusion in excluded if exclusion.tickets]
    keys = {(ticket.repo, ticket.number) for exclusion in shown for ticket in exclusion.tickets}
    return len(keys), shown


def model_groups(report: Report) -> list[int]:
    """0-based places in `report.common_issues` of the groups whose summary a model wrote."""
    return [index for index, group in enumerate(report.common_issues) if group.written_by == "model"]


def written_by_sentence(report: Report) -> str | None:
    """Which parts of the report a language model wrote, in one sentence; None when no model took part.

    "Headline and summaries of common issues 1 and 3 written by model llama3.1:8b; the rest computed
    from the tickets." The model's name is configuration, not escaped here: the renderer escapes the
    sentence.
    """
    groups = [str(index + 1) for index in model_groups(report)]
    headline = report.headline_written_by == "model"
    if report.model is None and not headline and not groups:
        return None
    name = report.model or "(unnamed)"
    if not headline and not groups:
        return f"Model {name} wrote no part of this report; all of it was computed from the tickets."
    parts = ["headline"] if headline else []
    if len(groups) == 1:
        parts.append(f"summary of common issue {groups[0]}")
    elif groups:
        parts.append(f"summaries of common issues {join_words(groups)}")
    written = " and ".join(parts)
    return f"{written[0].upper()}{written[1:]} written by model {name}; the rest computed from the tickets."
