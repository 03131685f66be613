"""Benchmark the ticket mirror: GitHub requests of a sync and of reports, and reports built from the mirror,
each figure beside today's API path on the same data.

Run by hand from the repository root (nothing here runs in the test suite):

    python -m bench.bench_mirror                               # 50,000 issues / 250,000 comments
    python -m bench.bench_mirror --issues 5000 --comments 25000  # a quicker run

Part 1 serves a synthetic repository from the fake GitHub on 127.0.0.1 and counts requests: the first
sync (against ceil(issues/100) + ceil(comments/100)), an incremental sync of the unchanged repository
(304s only), and reports of today, a week and past days, from the mirror and from the API path
(`GitHubSource.fetch`, which uses the search API for past periods).

Part 2 builds and renders (Markdown, JSON, Block Kit) reports over the same synthetic repository, each
in a fresh process so its peak memory (max RSS) is its own: from the mirror (an SQLite file filled
once, with the text derived at sync time) and from the API path's data (the same tickets parsed from
the payloads, text cleaned during the report). The big report covers the whole history, so every
ticket is active in it; the daily one covers yesterday. As `python -m bot report` does, each report is
built, rendered and dropped under one pause of the cycle collector (bot.gc_pause); `build_and_render_s`
ends after the last format, `with_freeing_s` once the report is freed too.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

NOW = datetime(2025, 4, 15, 9, tzinfo=UTC)
DAYS = 180
SEED = 7
REPO = "acme/support"


def _data(n_issues: int, n_comments: int):
    from tests.fakes.github_data import synthetic_repo

    return synthetic_repo(n_issues, n_comments, seed=SEED, end=NOW, days=DAYS)


def _everything() -> str:
    return f"since {(NOW - timedelta(days=DAYS + 1)).date().isoformat()}"


# --- part 1: requests ----------------------------------------------------------------------------------


def bench_requests(n_issues: int, n_comments: int) -> None:
    from bot.mirror.source import MirrorSource
    from bot.mirror.sync import MirrorSync
    from bot.report.options import ReportOptions
    from bot.report.periods import parse_timezone
    from bot.service import ReportRequest, ReportService
    from bot.sources.github import GitHubSource
    from bot.store import Store
    from bot.store.mirror import Mirror
    from tests.fakes.github_server import FakeGitHub

    data = _data(n_issues, n_comments)
    utc = parse_timezone("UTC")
    clock = [NOW]
    with FakeGitHub() as fake, tempfile.TemporaryDirectory() as tmp:
        fake.add_repo(REPO, issues=data.issues, comments=data.comments)
        store = Store(f"sqlite:///{tmp}/mirror.db")
        mirror = Mirror(store.engine)
        github = GitHubSource(token=None, base_url=fake.url)
        sync = MirrorSync(github, mirror, owner="bench", clock=lambda: clock[0])
        started = time.perf_counter()
        first = sync.sync(REPO)
        first_s = time.perf_counter() - started
        formula = math.ceil(len(data.issues) / 100) + math.ceil(len(data.comments) / 100)
        print(
            f"first sync of {len(data.issues):,} issues (pull requests too), {len(data.comments):,} comments:"
        )
        print(
            f"  {first.requests:,} requests (formula ceil(issues/100) + ceil(comments/100) = {formula:,}), "
            f"{first_s:.1f} s, text derived for every ticket and comment included"
        )
        for attempt in (1, 2):
            clock[0] += timedelta(minutes=10)
            fake.clear_requests()
            result = sync.sync(REPO)
            print(
                f"  incremental sync #{attempt} of the unchanged repository: {len(fake.requests)} requests, "
                f"{fake.not_modified_count} answered 304"
            )

        mirrored = ReportService(
            source=MirrorSource(
                mirror=mirror, live=github, syncer=sync, sync_minutes=5, clock=lambda: clock[0]
            ),
            options=ReportOptions(),
        )
        # The fake does not limit searches; an anonymous caller's budget (10 a minute) would make the
        # API path's past reports wait for it, which is not what these figures measure.
        live = ReportService(
            source=GitHubSource(token=None, base_url=fake.url, search_per_minute=1000),
            options=ReportOptions(),
            cache_seconds=0,
        )
        print("GitHub requests per report (mirror fresh / mirror older than sync_minutes / API path):")
        for period in ("today", "week", "2025-03-20", "2025-02-01..2025-02-14"):
            request = ReportRequest(period_text=period, repos=(REPO,), tz=utc)
            fake.clear_requests()
            mirrored.build(request, now=NOW)
            fresh = len(fake.requests)
            clock[0] += timedelta(minutes=10)
            fake.clear_requests()
            mirrored.build(request, now=NOW)
            stale = len(fake.requests)
            fake.clear_requests()
            started = time.perf_counter()
            live.build(request, now=NOW)
            api_s = time.perf_counter() - started
            api = len(fake.requests)
            searches = sum(1 for r in fake.requests if r.path.startswith("/search"))
            print(
                f"  {period:24s} mirror {fresh} / {stale}    API path {api:5,} ({searches} search) "
                f"in {api_s:.2f} s"
            )
        github.close()
        store.close()
        del result


# --- part 2: build and render ------------------------------------------------------------------------


def fill_mirror(path: Path, n_issues: int, n_comments: int) -> dict[str, float]:
    """The mirror a first sync would leave, written straight from the payloads (time: the text work a sync
    does for these tickets)."""
    from bot.store import Store
    from bot.store.mirror import Mirror

    data = _data(n_issues, n_comments)
    store = Store(f"sqlite:///{path}")
    mirror = Mirror(store.engine)
    started = time.perf_counter()
    for start in range(0, len(data.issues), 5000):
        mirror.upsert_issues(REPO, data.issues[start : start + 5000], now=NOW)
    for start in range(0, len(data.comments), 5000):
        mirror.upsert_comments(REPO, data.comments[start : start + 5000], now=NOW)
    elapsed = time.perf_counter() - started
    mirror.ensure_repo(REPO)
    mirror.update_state(REPO, backfilled_at=NOW, synced_at=NOW, issues_since=NOW, comments_since=NOW)
    store.close()
    return {"write_s": round(elapsed, 1)}


def build_once(kind: str, period: str, n_issues: int, n_comments: int, db: str) -> dict[str, object]:
    """One report built and rendered in this (fresh) process: from the mirror, or from the API path's data."""
    from bot.gc_pause import without_gc
    from bot.report.options import ReportOptions
    from bot.report.periods import parse_timezone
    from bot.service import FORMATS, ReportRequest, ReportService, render_report

    utc = parse_timezone("UTC")
    request = ReportRequest(period_text=period, repos=(REPO,), tz=utc)
    if kind == "mirror":
        from bot.mirror.source import MirrorSource
        from bot.store import Store
        from bot.store.mirror import Mirror

        store = Store(f"sqlite:///{db}")
        source = MirrorSource(
            mirror=Mirror(store.engine),
            live=None,
            syncer=None,
            sync_minutes=5,
            clock=lambda: NOW,  # type: ignore[arg-type]
        )
        rss_before = _peak_mb()
    else:
        from bot.sources.payloads import comments_from_payloads, select_window, tickets_from_issues

        raw = _data(n_issues, n_comments)
        tickets, comments = tickets_from_issues(raw.issues), comments_from_payloads(raw.comments)
        del raw

        class Parsed:  # what GitHubSource.fetch hands the service, without the HTTP
            def fetch(self, repo, *, window_start, window_end, now):
                return select_window(tickets, comments, window_start=window_start, window_end=window_end)

        source = Parsed()
        rss_before = _peak_mb()
    service = ReportService(source=source, options=ReportOptions())

    # As `python -m bot report --format FMT` does (bot.cli): built, rendered and dropped under one pause
    # of the cycle collector.
    @without_gc
    def built_and_rendered() -> dict[str, object]:
        started = time.perf_counter()
        report = service.build(request, now=NOW)
        built = time.perf_counter() - started
        for fmt in FORMATS:  # as `python -m bot report --format FMT` writes it
            render_report(report, fmt)
        total = time.perf_counter() - started
        return {
            "active": report.totals.total,
            "groups": len(report.common_issues),
            "read_and_build_s": round(built, 2),
            "build_and_render_s": round(total, 2),
        }

    started = time.perf_counter()
    result = built_and_rendered()
    # The same with the report freed (at the end of built_and_rendered).
    result["with_freeing_s"] = round(time.perf_counter() - started, 2)
    return {**result, "peak_rss_mb": _peak_mb(), "rss_before_report_mb": rss_before}


def _peak_mb() -> float:
    """This process's peak resident memory. VmHWM, not getrusage's ru_maxrss: a child started after part 1
    would report its parent's peak (Linux keeps ru_maxrss across fork and exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _child(*args: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.bench_mirror", "--child", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_build(n_issues: int, n_comments: int, db: Path) -> None:
    if not db.exists():
        print(f"filling the mirror {db} ({n_issues:,} issues, {n_comments:,} comments; once)...", flush=True)
        print(f"  {_child('fill', str(n_issues), str(n_comments), str(db))}", flush=True)
    print("build + render (Markdown, JSON, Block Kit), each in its own process:")
    for label, period in (("every ticket active", _everything()), ("daily (yesterday)", "yesterday")):
        for kind in ("mirror", "api"):
            result = _child("build", kind, period, str(n_issues), str(n_comments), str(db))
            print(f"  {label:20s} {kind:6s} {result}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=50_000)
    parser.add_argument("--comments", type=int, default=250_000)
    parser.add_argument("--sync-issues", type=int, default=None, help="size for part 1 (default: --issues)")
    parser.add_argument("--sync-comments", type=int, default=None)
    parser.add_argument("--db", default=None, help="mirror file for part 2 (kept between runs)")
    parser.add_argument("--skip-requests", action="store_true")
    parser.add_argument("--skip-build", action="store_true")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        what, *rest = args.child
        if what == "fill":
            print(json.dumps(fill_mirror(Path(rest[2]), int(rest[0]), int(rest[1]))))
        else:
            kind, period, n_issues, n_comments, db = rest
            print(json.dumps(build_once(kind, period, int(n_issues), int(n_comments), db)))
        return
    if not args.skip_requests:
        bench_requests(args.sync_issues or args.issues, args.sync_comments or args.comments)
        print()
    if not args.skip_build:
        db = Path(
            args.db or Path(tempfile.gettempdir()) / f"ticket-report-bench-{args.issues}-{args.comments}.db"
        )
        bench_build(args.issues, args.comments, db)


if __name__ == "__main__":
    sys.exit(main())
