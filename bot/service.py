"""The one path from a report request to a built report, shared by the CLI, the slash command and digests.

request -> period (parsed in the requester's timezone) -> fetch (cached briefly) -> pure core -> Report.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo
from typing import Protocol

from bot.cache import LoadingCache
from bot.gc_pause import without_gc
from bot.report.builder import build_report
from bot.report.history import RepoHistory
from bot.report.models import Comment, Period, Report, Ticket, TicketData
from bot.report.options import ReportOptions
from bot.report.periods import DEFAULT_MAX_PERIOD_DAYS, parse_period

HISTORY_MIN_PERIOD = timedelta(days=6)  # "week" is today and the six days before it, a little short of 7
MAX_CACHED_FETCHES = 512  # distinct (repository, window) fetches kept at once; the oldest used go first


class TicketSource(Protocol):
    """Where tickets come from: the GitHub API or a snapshot file."""

    def fetch(
        self, repo: str, *, window_start: datetime, window_end: datetime, now: datetime
    ) -> TicketData: ...


class ReportWriter(Protocol):
    """Rewrites parts of a built report (bot.llm.ModelWriter: the headline and group summaries)."""

    def rewrite(self, report: Report, data: TicketData) -> Report: ...


@dataclass(frozen=True)
class ReportRequest:
    period_text: str
    repos: tuple[str, ...]
    tz: tzinfo
    top: int | None = None
    include_labels: frozenset[str] = frozenset()  # lower-case; only tickets with one of these
    exclude_labels: frozenset[str] = frozenset()  # lower-case; added to the config's exclusions


class ReportService:
    """Builds reports; identical fetches within `cache_seconds` reuse the data already fetched, and
    identical fetches at the same time wait for the first one instead of repeating it.

    With a `writer`, each built report is handed to it (a model rewriting the headline and summaries).
    A period longer than `max_period_days` is refused when it is parsed, before anything is fetched.
    """

    def __init__(
        self,
        *,
        source: TicketSource,
        options: ReportOptions,
        cache_seconds: float = 300,
        monotonic: Callable[[], float] = time.monotonic,
        writer: ReportWriter | None = None,
        max_period_days: int = DEFAULT_MAX_PERIOD_DAYS,
    ) -> None:
        self._source = source
        self.max_period_days = max_period_days
        self.writer = writer
        self._options = options
        self._cache: LoadingCache[tuple[str, datetime, str], TicketData] = LoadingCache(
            ttl=cache_seconds, maxsize=MAX_CACHED_FETCHES, timer=monotonic
        )

    def period(self, request: ReportRequest, *, now: datetime) -> Period:
        return parse_period(request.period_text, now=now, tz=request.tz, max_days=self.max_period_days)

    def build(self, request: ReportRequest, *, now: datetime, rewrite: bool = True) -> Report:
        period = self.period(request, now=now)
        return self.build_for(period, request=request, now=now, rewrite=rewrite)

    @without_gc  # a big report makes no reference cycles: full collections would find nothing
    def build_for(
        self, period: Period, *, request: ReportRequest, now: datetime, rewrite: bool = True
    ) -> Report:
        """The report of `period`; `rewrite=False` skips the writer (the Home tab shows no model text)."""
        window_start = period.previous().start
        tickets: list[Ticket] = []
        comments: list[Comment] = []
        since: datetime | None = None
        as_of: list[datetime] = []
        for repo in request.repos:
            data = self.fetch(repo, window_start=window_start, window_end=period.end, now=now)
            tickets.extend(_filter_labels(data.tickets, request.include_labels))
            comments.extend(data.comments)
            since = data.comments_since if since is None else max(since, data.comments_since or since)
            if data.as_of is not None:
                as_of.append(data.as_of)
        options = replace(
            self._options,
            top_n=request.top or self._options.top_n,
            exclude_labels=self._options.exclude_labels | request.exclude_labels,
        )
        data = TicketData(tickets=tuple(tickets), comments=tuple(comments), comments_since=since)
        # Weekly figures for reports of a week or more (weekly digests draw them); a day's report skips
        # the cost of reading every issue's dates.
        history = self._history(request, now) if period.length >= HISTORY_MIN_PERIOD else ()
        report = build_report(
            data,
            period=period,
            now=now,
            repos=request.repos,
            options=options,
            # The weeks count every issue: they give the trend's backlog unless a label filter applies.
            backlog_history=() if request.include_labels else history,
        )
        # The oldest repository's data says how current the report is; a live fetch is current.
        report = replace(report, data_as_of=min(as_of) if as_of else None, history=history)
        if self.writer is not None and rewrite:
            report = self.writer.rewrite(report, data)
        return report

    def _history(self, request: ReportRequest, now: datetime) -> tuple[RepoHistory, ...]:
        """Each repository's last weeks, when the source keeps history (the ticket mirror does)."""
        history = getattr(self._source, "history", None)
        if not callable(history):
            return ()
        found = (history(repo, now=now, tz=request.tz) for repo in request.repos)
        return tuple(h for h in found if h is not None)

    def fetch(self, repo: str, *, window_start: datetime, window_end: datetime, now: datetime) -> TicketData:
        reads_mirror = getattr(self._source, "reads_mirror", None)
        if callable(reads_mirror) and reads_mirror(repo):  # cheap to read, and a copy would go stale
            return self._source.fetch(repo, window_start=window_start, window_end=window_end, now=now)
        # A period ending "now" is keyed as "now": five people asking for today share one fetch.
        end_key = "now" if window_end >= now else window_end.isoformat()
        key = (repo, window_start, end_key)
        return self._cache.get_or_load(
            key,
            lambda: self._source.fetch(repo, window_start=window_start, window_end=window_end, now=now),
        )


FORMATS = ("markdown", "json", "blocks")


@without_gc  # rendering, like building, makes no reference cycles for the collector to find
def render_report(report: Report, fmt: str) -> str:
    """The report as text: Markdown, indented JSON, or its Block Kit messages as indented JSON."""
    import json

    from bot.render import render_json, render_markdown, render_messages

    if fmt == "markdown":
        return render_markdown(report)
    if fmt == "json":
        return render_json(report)
    if fmt == "blocks":
        return json.dumps(render_messages(report), indent=2, ensure_ascii=False)
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


def _filter_labels(tickets: Sequence[Ticket], include: frozenset[str]) -> list[Ticket]:
    if not include:
        return list(tickets)
    return [t for t in tickets if any(label.lower() in include for label in t.labels)]
