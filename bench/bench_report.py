"""Benchmark the report: GitHub requests per report, and build-and-render time and memory by size.

Run by hand from the repository root (nothing here runs in the test suite):

    python -m bench.bench_report                 # requests + 1,000 / 10,000 / 50,000 tickets
    python -m bench.bench_report --sizes 1000    # a quick run

Part 1 serves a synthetic repository from the fake GitHub on 127.0.0.1 and counts the requests that
`GitHubSource.fetch` sends for a week's report, against the naive approach (list the issues, then one
comments request per issue) on the same data.
Part 2 builds and renders (Markdown, JSON, Block Kit) reports over synthetic tickets, each size in a
fresh subprocess so its peak memory (max RSS) is its own.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime

NOW = datetime(2025, 4, 15, tzinfo=UTC)


def bench_requests(n_issues: int, n_comments: int) -> None:
    from github import Github  # the naive approach, for comparison only

    from bot.report.periods import parse_period, parse_timezone
    from bot.sources.github import GitHubSource
    from tests.fakes.github_data import synthetic_repo
    from tests.fakes.github_server import FakeGitHub

    data = synthetic_repo(n_issues, n_comments, seed=7, end=NOW, days=30)
    period = parse_period("week", now=NOW, tz=parse_timezone("UTC"))
    window_start = period.previous().start
    with FakeGitHub() as fake:
        fake.add_repo(data.repo, issues=data.issues, comments=data.comments)
        source = GitHubSource(token=None, base_url=fake.url)
        started = time.perf_counter()
        fetched = source.fetch(data.repo, window_start=window_start, window_end=period.end, now=NOW)
        ours = time.perf_counter() - started
        ours_requests = len(fake.requests)

        fake.clear_requests()
        started = time.perf_counter()
        gh = Github(base_url=fake.url, per_page=100, seconds_between_requests=0)
        listed, page = 0, 1
        since = window_start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        while True:  # list the issues by the page, then one comments request per ticket
            _, issues = gh.requester.requestJsonAndCheck(
                "GET",
                f"/repos/{data.repo}/issues",
                parameters={"state": "all", "since": since, "per_page": 100, "page": page},
            )
            if not issues:
                break
            for issue in issues:
                listed += 1
                gh.requester.requestJsonAndCheck(
                    "GET",
                    f"/repos/{data.repo}/issues/{issue['number']}/comments",
                    parameters={"per_page": 100},
                )
            page += 1
        naive = time.perf_counter() - started
        naive_requests = len(fake.requests)
    print(f"requests for a 'week' report over {n_issues} issues / {n_comments} comments (30 days):")
    print(
        f"  ticket-report: {ours_requests:5d} requests, {ours:6.2f} s "
        f"({len(fetched.tickets)} tickets, {len(fetched.comments)} comments fetched)"
    )
    print(f"  naive per-ticket: {naive_requests:5d} requests, {naive:6.2f} s ({listed} issues listed)")


def bench_build(n_tickets: int) -> dict[str, float]:
    """Build and render one report over `n_tickets` synthetic tickets with 5 comments each."""
    from bot.render import render_json, render_markdown, render_messages
    from bot.report.builder import build_report
    from bot.report.options import ReportOptions
    from bot.report.periods import parse_period, parse_timezone
    from bot.sources.payloads import comments_from_payloads, select_window, tickets_from_issues
    from tests.fakes.github_data import synthetic_repo

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    raw = synthetic_repo(n_tickets, n_tickets * 5, seed=11, end=NOW, days=7)  # every ticket in the week
    period = parse_period("week", now=NOW, tz=parse_timezone("UTC"))
    data = select_window(
        tickets_from_issues(raw.issues),
        comments_from_payloads(raw.comments),
        window_start=period.previous().start,
        window_end=period.end,
    )
    del raw
    started = time.perf_counter()
    report = build_report(data, period=period, now=NOW, repos=("acme/support",), options=ReportOptions())
    built = time.perf_counter() - started
    render_markdown(report)
    render_json(report)
    messages = render_messages(report)
    total = time.perf_counter() - started
    return {
        "tickets_in_window": len(data.tickets),
        "comments_in_window": len(data.comments),
        "active": report.totals.total,
        "groups": len(report.common_issues),
        "messages": len(messages),
        "build_s": round(built, 2),
        "build_and_render_s": round(total, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rss_before_mb": round(rss_before / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--skip-requests", action="store_true")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # child process: one size
    args = parser.parse_args()
    if args.one:
        print(json.dumps(bench_build(args.one)))
        return
    if not args.skip_requests:
        bench_requests(2000, 8000)
        print()
    print("build + render (Markdown, JSON, Block Kit), 5 comments per ticket, each size in its own process:")
    for size in (int(s) for s in args.sizes.split(",")):
        out = subprocess.run(
            [sys.executable, "-m", "bench.bench_report", "--one", str(size)],
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"  {size:6d} tickets: {result}")


if __name__ == "__main__":
    sys.exit(main())
