"""Report -> JSON: a stable, documented schema for scripts and dashboards (`--format json`).

Schema (version 1; also in docs/json-schema.md). Datetimes are ISO 8601 strings with their UTC offset;
durations are whole seconds (null when there is nothing to measure); scores and points are rounded
to two decimals, a breakdown count is an integer when whole. Titles, summaries and labels are
GitHub's text as-is (not escaped: the consumer escapes for its own medium), except that lone UTF-16
surrogates become U+FFFD.

    {
      "schema_version": 1,
      "generated_at": "2025-04-14T21:07:02+00:00",
      "period": {"start": ISO, "end": ISO, "label": "2025-04-14 to 2025-04-14", "spec": "today"},
      "previous_period": {"start": ISO, "end": ISO, "label": str, "spec": str},
      "repos": ["owner/name", ...],
      "totals": {"total": int, "resolved": int, "not_planned": int, "open": int, "new": int},
      "previous_totals": {same keys},
      "changes": {same keys: totals minus previous_totals},
      "labels": [{"label": str, "received": int, "resolved": int, "pending": int,
                  "previous_received": int, "change": int}],
      "response_times": {
        "first_response": {"count": int, "median_seconds": int|null, "p90_seconds": int|null},
        "close": {"count": int, "median_seconds": int|null, "p90_seconds": int|null},
        "awaiting_response": [TicketRef]
      },
      "most_active": [{"rank": 1, "repo": str, "number": int, "title": str, "url": str,
                       "state": "open"|"closed", "state_reason": str|null, "labels": [str],
                       "author": str, "created_at": ISO, "closed_at": ISO|null, "comments_count": int,
                       "score": float,
                       "score_breakdown": [{"reason": str, "count": number, "points": float}]}],
      "common_issues": [{"title": str, "summary": str, "tickets": [TicketRef]}],
      "recommendations": [{"title": str, "text": str, "tickets": [TicketRef]}],
      "tickets": [{"repo": str, "number": int, "title": str, "url": str, "state": str,
                   "state_reason": str|null, "labels": [str], "score": float}]
    }

TicketRef is {"repo": str, "number": int, "title": str, "url": str}. `tickets` lists every ticket
active in the period, best score first (empty when the report was built without them).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from bot.render.escape import scrub
from bot.render.formatting import iso
from bot.report.models import (
    DurationStats,
    Period,
    Report,
    ScoredTicket,
    TicketRef,
    Totals,
)

SCHEMA_VERSION = 1
_TOTAL_KEYS = ("total", "resolved", "not_planned", "open", "new")


def _seconds(duration: timedelta | None) -> int | None:
    return None if duration is None else round(duration.total_seconds())


def _round(value: float) -> float:
    return round(float(value), 2)


def _count(value: float) -> int | float:
    """A breakdown count: an integer when whole (3, not 3.0), else two decimals."""
    rounded = _round(value)
    return int(rounded) if rounded.is_integer() else rounded


def _period(period: Period) -> dict[str, Any]:
    return {"start": iso(period.start), "end": iso(period.end), "label": period.label, "spec": period.spec}


def _totals(totals: Totals) -> dict[str, int]:
    return {key: getattr(totals, key) for key in _TOTAL_KEYS}


def _durations(stats: DurationStats) -> dict[str, Any]:
    return {
        "count": stats.count,
        "median_seconds": _seconds(stats.median),
        "p90_seconds": _seconds(stats.p90),
    }


def _ref(ticket: TicketRef) -> dict[str, Any]:
    return {"repo": ticket.repo, "number": ticket.number, "title": ticket.title, "url": ticket.url}


def _most_active(rank: int, scored: ScoredTicket) -> dict[str, Any]:
    ticket = scored.ticket
    return {
        "rank": rank,
        "repo": ticket.repo,
        "number": ticket.number,
        "title": ticket.title,
        "url": ticket.url,
        "state": ticket.state,
        "state_reason": ticket.state_reason,
        "labels": list(ticket.labels),
        "author": ticket.author,
        "created_at": iso(ticket.created_at),
        "closed_at": iso(ticket.closed_at),
        "comments_count": ticket.comments_count,
        "score": _round(scored.score),
        "score_breakdown": [
            {"reason": item.reason, "count": _count(item.count), "points": _round(item.points)}
            for item in scored.breakdown
        ],
    }


def _ticket(scored: ScoredTicket) -> dict[str, Any]:
    ticket = scored.ticket
    return {
        "repo": ticket.repo,
        "number": ticket.number,
        "title": ticket.title,
        "url": ticket.url,
        "state": ticket.state,
        "state_reason": ticket.state_reason,
        "labels": list(ticket.labels),
        "score": _round(scored.score),
    }


def _scrubbed(value: Any) -> Any:
    """Every string in the tree with lone surrogates replaced, so encoding the JSON never fails."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {key: _scrubbed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrubbed(item) for item in value]
    return value


def report_to_dict(report: Report) -> dict[str, Any]:
    """The report as plain JSON-ready data, in the schema of the module docstring."""
    return _scrubbed(_report_dict(report))


def _report_dict(report: Report) -> dict[str, Any]:
    totals = _totals(report.totals)
    previous = _totals(report.previous_totals)
    times = report.response_times
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": iso(report.generated_at),
        "period": _period(report.period),
        "previous_period": _period(report.previous_period),
        "repos": list(report.repos),
        "totals": totals,
        "previous_totals": previous,
        "changes": {key: totals[key] - previous[key] for key in _TOTAL_KEYS},
        "labels": [
            {
                "label": stat.label,
                "received": stat.received,
                "resolved": stat.resolved,
                "pending": stat.pending,
                "previous_received": stat.previous_received,
                "change": stat.received - stat.previous_received,
            }
            for stat in report.labels
        ],
        "response_times": {
            "first_response": _durations(times.first_response),
            "close": _durations(times.close),
            "awaiting_response": [_ref(ticket) for ticket in times.awaiting_response],
        },
        "most_active": [
            _most_active(rank, scored) for rank, scored in enumerate(report.most_active, start=1)
        ],
        "common_issues": [
            {"title": group.title, "summary": group.summary, "tickets": [_ref(t) for t in group.tickets]}
            for group in report.common_issues
        ],
        "recommendations": [
            {"title": rec.title, "text": rec.text, "tickets": [_ref(t) for t in rec.tickets]}
            for rec in report.recommendations
        ],
        "tickets": [_ticket(scored) for scored in report.tickets],
    }


def render_json(report: Report) -> str:
    """The report as indented JSON text (UTF-8 friendly: non-ASCII is kept, not \\u-escaped)."""
    return json.dumps(report_to_dict(report), indent=2, ensure_ascii=False)
