"""Report -> PNG: the trend chart of tickets opened and resolved per day, with the open backlog.

Pure: the picture is drawn from `Report.trend` alone (bot.report.trend computed it); the words come
from bot.render.chart_text. Two panels share the period's days: above, bars of tickets opened and
resolved per day; below, the open backlog at each day's end. The previous period is drawn on the
same days, lighter and dashed, so a week reads against the week before.

matplotlib is used through its object API with the Agg canvas (no display, no pyplot and its global
figure registry). It is imported on first use: most reports never draw a chart.
"""

from __future__ import annotations

import io
import threading
from typing import Any

from bot.render.chart_text import backlog_label, chart_subtitle, chart_title, day_label
from bot.report.models import DayCounts, Report

# matplotlib documents itself as not thread-safe (its font cache and text layout are shared), and
# reports are built on a thread pool: one chart is drawn at a time.
_DRAWING = threading.Lock()

OPENED = "#1f6feb"
RESOLVED = "#2da44e"
BACKLOG = "#8250df"
LIGHTER = 0.45  # the previous period's opacity
_PREVIOUS: dict[str, Any] = {"alpha": LIGHTER, "linestyle": "--", "marker": ".", "markersize": 5}
_WIDTH, _HEIGHT, _DPI = 10.0, 6.0, 100
_MAX_LABELLED_DAYS = 16  # beyond this only every n-th day is labelled, so the labels never overlap


def chart_png(report: Report) -> bytes:
    """The trend chart as PNG bytes; ValueError when the report has no trend."""
    if report.trend is None:
        raise ValueError("the report has no trend (a period of more than a year)")
    with _DRAWING:
        return _draw(report)


def _draw(report: Report) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    trend = report.trend
    assert trend is not None
    days, before = trend.days, trend.previous_days
    count = len(days)
    xs = list(range(count))
    shown_before = before[:count]  # equal-length periods have as many days; never draw past the period

    figure = Figure(figsize=(_WIDTH, _HEIGHT), dpi=_DPI, layout="constrained")
    FigureCanvasAgg(figure)
    per_day, backlog = figure.subplots(2, 1, sharex=True, height_ratios=[3, 2])
    figure.suptitle(chart_title(report), fontsize=13, fontweight="bold", parse_math=False)
    per_day.set_title(chart_subtitle(report), fontsize=9, color="#57606a", parse_math=False)

    width = 0.4
    left, right = [x - width / 2 for x in xs], [x + width / 2 for x in xs]
    n_before = len(shown_before)
    opened = per_day.bar(left, [d.opened for d in days], width=width, color=OPENED, label="opened")
    resolved = per_day.bar(right, [d.resolved for d in days], width=width, color=RESOLVED, label="resolved")
    # Each of the previous period's lines runs over the bars of the same figure.
    (opened_before,) = per_day.plot(
        left[:n_before],
        [d.opened for d in shown_before],
        label="opened, previous period",
        color=OPENED,
        **_PREVIOUS,
    )
    (resolved_before,) = per_day.plot(
        right[:n_before],
        [d.resolved for d in shown_before],
        label="resolved, previous period",
        color=RESOLVED,
        **_PREVIOUS,
    )
    per_day.set_ylabel("tickets per day")
    per_day.yaxis.set_major_locator(MaxNLocator(integer=True))
    per_day.set_ylim(bottom=0, top=max(_peak(days), _peak(shown_before), 1) * 1.15)
    per_day.grid(axis="y", alpha=0.3)
    per_day.legend(
        handles=[opened, resolved, opened_before, resolved_before],
        loc="upper left",
        fontsize=8,
        ncols=4,
        frameon=False,
    )

    label = backlog_label(trend)
    backlog.plot(
        xs, [d.backlog for d in days], color=BACKLOG, linewidth=2, marker=".", markersize=6, label=label
    )
    backlog.plot(
        xs[:n_before],
        [d.backlog for d in shown_before],
        label=f"{label}, previous period",
        color=BACKLOG,
        **_PREVIOUS,
    )
    backlog.set_ylabel("open tickets")
    backlog.yaxis.set_major_locator(MaxNLocator(integer=True))
    backlog.grid(axis="y", alpha=0.3)
    backlog.legend(loc="upper left", fontsize=8, ncols=2, frameon=False)
    levels = [d.backlog for d in (*days, *shown_before)]
    if levels:  # room above the lines for the legend
        spread = max(levels) - min(levels)
        backlog.set_ylim(
            bottom=max(min(levels) - max(spread * 0.3, 1), 0), top=max(levels) + max(spread * 0.5, 1)
        )

    step = max(1, -(-count // _MAX_LABELLED_DAYS))
    backlog.set_xticks(xs[::step], [day_label(d.day).replace(" ", "\n", 1) for d in days[::step]], fontsize=8)
    backlog.set_xlim(-0.6, max(count - 0.4, 0.6))
    backlog.set_xlabel("this period's days (the previous period's drawn on the same places)")

    out = io.BytesIO()
    # No "Software" stamp: the same report draws the same bytes.
    figure.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()


def _peak(days: tuple[DayCounts, ...]) -> int:
    return max((max(d.opened, d.resolved) for d in days), default=0)
