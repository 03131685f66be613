"""Report -> JSON: a stable, documented schema for scripts and dashboards (`--format json`).

Schema (version 2; also in docs/json-schema.md). Version 2 only adds keys to version 1 (`headline`,
`excluded`, `written_by`; `parts` and `written_by` on common issues; `kind` and `impact` on
recommendations): a reader of version 1 reads version 2 unchanged. Datetimes are ISO 8601 strings
with their UTC offset; durations are whole seconds (null when there is nothing to measure); scores,
points and impacts are rounded to two decimals, a breakdown count is an integer when whole. Titles,
summaries, labels, the headline and the parts are the text as GitHub, the report core or the model
gave it (not escaped: the consumer escapes for its own medium), except that lone UTF-16 surrogates
become U+FFFD.

    {
      "schema_version": 2,
      "generated_at": "2025-04-14T21:07:02+00:00",
      "data_as_of": ISO|null,
      "period": {"start": ISO, "end": ISO, "label": "2025-04-14 to 2025-04-14", "spec": "today"},
      "previous_period": {"start": ISO, "end": ISO, "label": str, "spec": str},
      "repos": ["owner/name", ...],
      "headline": {"text": str, "tickets": [TicketRef], "written_by": "offline"|"model"},
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
      "common_issues": [{"title": str, "summary": str, "tickets": [TicketRef],
                         "written_by": "offline"|"model", "parts": Parts|null}],
      "recommendations": [{"title": str, "text": str, "tickets": [TicketRef], "kind": str,
                           "impact": float}],
      "excluded": [{"reason": str, "count": int, "tickets": [TicketRef]}],
      "written_by": {"model": str|null, "headline": "offline"|"model", "common_issues": [int]},
      "tickets": [{"repo": str, "number": int, "title": str, "url": str, "state": str,
                   "state_reason": str|null, "labels": [str], "score": float}],
      "history": [{"repo": str, "weeks": [Week]}],
      "trend": {"backlog_scope": "repository"|"active", "backlog_start": int,
                "previous_backlog_start": int, "days": [Day], "previous_days": [Day]}|null
    }

    Parts = {"problem": Cited, "affected": Cited, "status": Cited + {"kind": str},
             "tell_users": Cited, "fix_fails": Cited|null,
             "product": str|null, "version": str|null, "error": str|null,
             "fix_version": str|null, "has_workaround": bool, "people": int}
    Cited = {"text": str, "tickets": [TicketRef]}
    Week = {"start": ISO, "end": ISO, "new": int, "resolved": int, "closed_other": int,
            "open_at_end": int, "median_first_response_seconds": int|null, "waiting": int}
    Day = {"date": "2025-04-14", "opened": int, "resolved": int, "backlog": int}

TicketRef is {"repo": str, "number": int, "title": str, "url": str}. `tickets` lists every ticket
active in the period, best score first (empty when the report was built without them). The headline
text is "" when the report has none. `written_by.common_issues` holds the 0-based places in
`common_issues` of the groups whose `summary` a model wrote; `written_by.model` names the model
(null when none took part). A status `kind` is one of `bot.report.models.STATUS_KINDS`. `data_as_of`
is when the data was last known current (null: fetched live when the report was made); `history`
holds each repository's last weeks, oldest first, the last one ending at `generated_at` (empty when
the report was built without them; definitions in `bot.report.history`). `trend` holds each local
day of the period and of the previous period (null for a period over 366 days; definitions in
`bot.report.trend`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from bot.render.citations import has_text
from bot.render.escape import scrub
from bot.render.formatting import iso, model_groups
from bot.render.json_text import Encoder, Fragment, dumps_indented
from bot.report.history import RepoHistory, WeekStats
from bot.report.models import (
    Cited,
    DayCounts,
    DurationStats,
    Exclusion,
    GroupSummary,
    IssueGroup,
    Period,
    Recommendation,
    Report,
    ScoredTicket,
    TicketRef,
    Totals,
    Trend,
)

SCHEMA_VERSION = 2
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


def _cited(statement: Cited) -> dict[str, Any]:
    return {"text": statement.text, "tickets": [_ref(t) for t in statement.tickets]}


def _parts(parts: GroupSummary | None) -> dict[str, Any] | None:
    if parts is None:
        return None
    return {
        "problem": _cited(parts.problem),
        "affected": _cited(parts.affected),
        "status": {**_cited(parts.status), "kind": parts.status_kind},
        "tell_users": _cited(parts.tell_users),
        "fix_fails": None if parts.fix_fails is None else _cited(parts.fix_fails),
        "product": parts.product,
        "version": parts.version,
        "error": parts.error,
        "fix_version": parts.fix_version,
        "has_workaround": parts.has_workaround,
        "people": parts.people,
    }


def _group(group: IssueGroup) -> dict[str, Any]:
    summary = group.summary
    if not has_text(summary) and group.parts is not None:
        summary = group.parts.text()
    return {
        "title": group.title,
        "summary": summary,
        "tickets": [_ref(t) for t in group.tickets],
        "written_by": group.written_by,
        "parts": _parts(group.parts),
    }


def _recommendation(rec: Recommendation) -> dict[str, Any]:
    return {
        "title": rec.title,
        "text": rec.text,
        "tickets": _Refs(rec.tickets),
        "kind": rec.kind,
        "impact": _round(rec.impact),
    }


def _exclusion(exclusion: Exclusion) -> dict[str, Any]:
    return {
        "reason": exclusion.reason,
        "count": len(exclusion.tickets),
        "tickets": [_ref(t) for t in exclusion.tickets],
    }


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


class _Records(Fragment):
    """A long list of like records (a big report's every ticket, its ticket references) written with
    one format per record: the same text as the list of dicts `one` makes, a fraction of the time."""

    keys: tuple[str, ...] = ()

    def __init__(self, items: Sequence[Any]) -> None:
        self.items = items

    def one(self, item: Any) -> dict[str, Any]:
        raise NotImplementedError

    def fields(self, item: Any, encoder: Encoder, newline: str) -> tuple[str, ...]:
        """The JSON text of each of `keys`' values, as `one(item)` holds them."""
        raise NotImplementedError

    def plain(self) -> list[dict[str, Any]]:
        return [self.one(item) for item in self.items]

    def json_text(self, encoder: Encoder, newline: str) -> str:
        if not self.items:
            return "[]"
        item = newline + "  "
        field = item + "  "
        template = "{" + ",".join(f"{field}{json.dumps(key)}: %s" for key in self.keys) + item + "}"
        fields = self.fields
        written = [template % fields(one, encoder, field) for one in self.items]
        return "[" + item + ("," + item).join(written) + newline + "]"


def _int(value: Any, encoder: Encoder, newline: str) -> str:
    return int.__repr__(value) if type(value) is int else encoder.value(value, newline)


class _Refs(_Records):
    keys = ("repo", "number", "title", "url")

    def one(self, item: TicketRef) -> dict[str, Any]:
        return _ref(item)

    def fields(self, item: TicketRef, encoder: Encoder, newline: str) -> tuple[str, ...]:
        string = encoder.string
        return string(item.repo), _int(item.number, encoder, newline), string(item.title), string(item.url)


class _Tickets(_Records):
    keys = ("repo", "number", "title", "url", "state", "state_reason", "labels", "score")

    def one(self, item: ScoredTicket) -> dict[str, Any]:
        return _ticket(item)

    def fields(self, item: ScoredTicket, encoder: Encoder, newline: str) -> tuple[str, ...]:
        string, ticket = encoder.string, item.ticket
        reason, labels = ticket.state_reason, ticket.labels
        line = newline + "  "
        return (
            string(ticket.repo),
            _int(ticket.number, encoder, newline),
            string(ticket.title),
            string(ticket.url),
            string(ticket.state),
            "null" if reason is None else string(reason),
            "[" + line + ("," + line).join(map(string, labels)) + newline + "]" if labels else "[]",
            float.__repr__(_round(item.score)),
        )


def _week(week: WeekStats) -> dict[str, Any]:
    return {
        "start": iso(week.start),
        "end": iso(week.end),
        "new": week.new,
        "resolved": week.resolved,
        "closed_other": week.closed_other,
        "open_at_end": week.open_at_end,
        "median_first_response_seconds": _seconds(week.median_first_response),
        "waiting": week.waiting,
    }


def _history(history: RepoHistory) -> dict[str, Any]:
    return {"repo": history.repo, "weeks": [_week(week) for week in history.weeks]}


def _days(days: tuple[DayCounts, ...]) -> list[dict[str, Any]]:
    return [
        {"date": d.day.isoformat(), "opened": d.opened, "resolved": d.resolved, "backlog": d.backlog}
        for d in days
    ]


def _trend(trend: Trend | None) -> dict[str, Any] | None:
    if trend is None:
        return None
    return {
        "backlog_scope": trend.backlog_scope,
        "backlog_start": trend.backlog_start,
        "previous_backlog_start": trend.previous_backlog_start,
        "days": _days(trend.days),
        "previous_days": _days(trend.previous_days),
    }


def _scrubbed(value: Any) -> Any:
    """Every string in the tree with lone surrogates replaced, so encoding the JSON never fails."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {key: _scrubbed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrubbed(item) for item in value]
    if isinstance(value, Fragment):
        return _scrubbed(value.plain())
    return value


def report_to_dict(report: Report) -> dict[str, Any]:
    """The report as plain JSON-ready data, in the schema of the module docstring."""
    return _scrubbed(_report_dict(report))


def _report_dict(report: Report) -> dict[str, Any]:
    """The report as `report_to_dict` gives it, before scrubbing and with its long lists Fragments
    (written by `dumps_indented`, made plain by `_scrubbed`)."""
    totals = _totals(report.totals)
    previous = _totals(report.previous_totals)
    times = report.response_times
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": iso(report.generated_at),
        "data_as_of": iso(report.data_as_of),
        "period": _period(report.period),
        "previous_period": _period(report.previous_period),
        "repos": list(report.repos),
        "headline": {**_cited(report.headline), "written_by": report.headline_written_by},
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
            "awaiting_response": _Refs(times.awaiting_response),
        },
        "most_active": [
            _most_active(rank, scored) for rank, scored in enumerate(report.most_active, start=1)
        ],
        "common_issues": [_group(group) for group in report.common_issues],
        "recommendations": [_recommendation(rec) for rec in report.recommendations],
        "excluded": [_exclusion(exclusion) for exclusion in report.excluded],
        "written_by": {
            "model": report.model,
            "headline": report.headline_written_by,
            "common_issues": model_groups(report),
        },
        "tickets": _Tickets(report.tickets),
        "history": [_history(history) for history in report.history],
        "trend": _trend(report.trend),
    }


def render_json(report: Report) -> str:
    """The report as indented JSON text (UTF-8 friendly: non-ASCII is kept, not \\u-escaped)."""
    # The same text as json.dumps(report_to_dict(report), indent=2, ensure_ascii=False), without the
    # scrubbed copy of the tree: strings are scrubbed as they are written.
    return dumps_indented(_report_dict(report), strings=scrub)
