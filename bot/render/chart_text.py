"""The trend chart's words: its title, axis and legend labels, file name and alt text.

Pure: Report in, text out. The alt text states the figures the chart draws (tickets opened and
resolved, the open backlog from start to end, each against the previous period), so someone who
cannot see the image reads the same numbers. Days read as days ("Mon 7 Apr 2025"), ranges with an
inclusive end, and the zone is named.
"""

from __future__ import annotations

from datetime import date, tzinfo

from bot.render.formatting import format_signed, period_days, plural
from bot.report.models import SCOPE_REPOSITORY, DayCounts, Report, Trend

# files.getUploadURLExternal answers alt_txt_too_large over 1000 characters (Slack's docs, 2025).
MAX_ALT_TEXT = 1000
MAX_TITLE = 200  # a file's title shows on one line above the image
CHART_MIN_DAYS = 7  # Slack posts the chart with reports of a week or more ("week" is 7 local days)
_SHOWN_REPOS = 3


def wants_chart(report: Report) -> bool:
    """Whether Slack gets the chart with this report: it covers at least CHART_MIN_DAYS local days."""
    return report.trend is not None and len(report.trend.days) >= CHART_MIN_DAYS


def zone_name(tz: tzinfo | None) -> str:
    """The IANA name of a zone ("Europe/Berlin"), else what the zone calls itself ("UTC")."""
    key = getattr(tz, "key", None)
    if isinstance(key, str) and key:
        return key
    return (tz.tzname(None) if tz is not None else None) or "UTC"


def day_label(day: date) -> str:
    """A tick label: "Mon 7 Apr"."""
    return f"{day:%a} {day.day} {day:%b}"


def day_range(first: date, last: date) -> str:
    """ "Mon 7 Apr – Sun 13 Apr 2025", both days inclusive; one day reads "Mon 14 Apr 2025"."""
    if first == last:
        return f"{day_label(first)} {first.year}"
    if first.year == last.year:
        return f"{day_label(first)} – {day_label(last)} {last.year}"
    return f"{day_label(first)} {first.year} – {day_label(last)} {last.year}"


def repos_label(repos: tuple[str, ...]) -> str:
    if len(repos) <= _SHOWN_REPOS:
        return ", ".join(repos) or "no repository"
    shown = ", ".join(repos[:_SHOWN_REPOS])
    return f"{shown} and {len(repos) - _SHOWN_REPOS} more"


def period_words(trend: Trend) -> tuple[str, str]:
    """The period's days and the previous period's, as ranges."""
    return _range_of(trend.days), _range_of(trend.previous_days)


def chart_title(report: Report) -> str:
    """ "acme/support: tickets per day, Mon 7 – Sun 13 Apr 2025" (the image's and the file's title); a
    period that ends now says until when, as the report's own header does."""
    _trend(report)
    return _cut(f"{repos_label(report.repos)}: tickets per day, {period_days(report.period)}", MAX_TITLE)


def chart_subtitle(report: Report) -> str:
    """ "against Mon 31 Mar – Sun 6 Apr 2025 (lighter, dashed) · days in Europe/Berlin"."""
    _trend(report)
    previous = period_days(report.previous_period)
    return f"against {previous} (lighter, dashed) · days in {zone_name(report.period.start.tzinfo)}"


def backlog_label(trend: Trend) -> str:
    """The backlog's name on the chart: the repository's, or only that of the tickets the data holds."""
    if trend.backlog_scope == SCOPE_REPOSITORY:
        return "open backlog"
    return "open (of tickets active in these periods)"


def chart_filename(report: Report) -> str:
    """ "ticket-trend-2025-04-07-to-2025-04-13.png"."""
    trend = _trend(report)
    if not trend.days:
        return "ticket-trend.png"
    first, last = trend.days[0].day, trend.days[-1].day
    return f"ticket-trend-{first.isoformat()}-to-{last.isoformat()}.png"


def chart_alt_text(report: Report) -> str:
    """What the chart shows, in words and the same figures (at most MAX_ALT_TEXT characters)."""
    trend = _trend(report)
    current, previous = period_words(trend)
    zone = zone_name(report.period.start.tzinfo)
    if trend.backlog_scope == SCOPE_REPOSITORY:
        backlog = "Open backlog"
    else:
        backlog = "Open tickets, of those active in the two periods,"
    sentences = [
        f"Chart of tickets per day in {repos_label(report.repos)}, {current} ({zone}), "
        f"against the previous period, {previous}.",
        f"Opened: {trend.opened} ({_change(trend.opened, trend.previous_opened)}).",
        f"Resolved: {trend.resolved} ({_change(trend.resolved, trend.previous_resolved)}).",
        f"{backlog} {trend.backlog_start} → {trend.backlog_end} "
        f"(previous period {trend.previous_backlog_start} → {trend.previous_backlog_end}).",
    ]
    busiest = max(trend.days, key=lambda d: d.opened, default=None)
    if busiest is not None and busiest.opened > 0:
        sentences.append(f"Most opened on one day: {busiest.opened} on {day_label(busiest.day)}.")
    return _cut(" ".join(sentences), MAX_ALT_TEXT)


def chart_comment(report: Report) -> str:
    """The line posted with the chart in the report's thread."""
    trend = _trend(report)
    return (
        f"Trend: {plural(trend.opened, 'ticket')} opened, {trend.resolved} resolved, "
        f"{backlog_label(trend)} {trend.backlog_start} → {trend.backlog_end}."
    )


def _trend(report: Report) -> Trend:
    if report.trend is None:
        raise ValueError("the report has no trend (a period of more than a year)")
    return report.trend


def _range_of(days: tuple[DayCounts, ...]) -> str:
    if not days:
        return "no days"
    return day_range(days[0].day, days[-1].day)


def _change(current: int, previous: int) -> str:
    if current == previous:
        return f"previous period {previous}, no change"
    return f"previous period {previous}, {format_signed(current - previous)}"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
