"""Benchmark the slash command's acknowledgement latency while reports are being built.

Run by hand from the repository root (nothing here runs in the test suite):

    python -m bench.bench_ack                      # 50 commands, GitHub answering in 200 ms
    python -m bench.bench_ack --commands 100 --delay 0.5

The real app (build_bot + waitress, as `python -m bot serve` runs it) is served on 127.0.0.1 against
the fake Slack Web API and a fake GitHub that waits `--delay` seconds before every answer. First a
background load of slow reports is started and the script waits until they are all talking to
GitHub; then `--commands` correctly signed `/ticket-report` commands (different periods and users,
so most of them are real reports that queue behind the background load) are released at once from
as many client threads. Each command's latency is the time from sending it to receiving its HTTP
response (the ephemeral "Building the ticket report..." ack). Slack's limit is 3 seconds.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import requests

from tests.fakes.slack_server import FakeSlack

NOW = datetime(2025, 4, 15, 16, 30, tzinfo=UTC)
PERIODS = (
    "today", "yesterday", "week", "last week", "this month", "14d", "2025-04-01..2025-04-07",
    "since 2025-04-08", "2025-04-09", "last 3 days",
)  # fmt: skip
BACKGROUND = ("last month", "2025-03-20..2025-03-27", "2025-03-10", "since 2025-03-25", "30d", "2025-04-02")


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (with 50 samples, p99 is the slowest one)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * share // 1))  # ceil
    return ordered[int(rank) - 1]


def reports_answered(slack: FakeSlack) -> int:
    """Reports posted (their first, top-level message) plus ephemeral answers (errors)."""
    top_level = [post for post in slack.posts() if "thread_ts" not in post.body]
    return len(top_level) + len(slack.calls_to("response_url"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commands", type=int, default=50, help="commands sent at once (default 50)")
    parser.add_argument("--delay", type=float, default=0.2, help="seconds per GitHub request (default 0.2)")
    parser.add_argument("--workers", type=int, default=8, help="report workers (default 8, as served)")
    args = parser.parse_args()
    # waitress warns "Task queue depth is N" whenever a burst outnumbers its threads: expected here.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)

    from bot.app_runner import build_bot
    from bot.settings import load_settings
    from bot.slack.serving import create_http_server, make_wsgi_app, run_in_thread
    from tests.fakes.github_data import synthetic_repo
    from tests.fakes.github_server import FakeGitHub
    from tests.slack.signing import SECRET, TOKEN, signed_headers, slash_body

    data = synthetic_repo(400, 1600, seed=11, end=NOW, days=45)
    with FakeSlack(token=TOKEN) as slack, FakeGitHub() as github:
        github.add_repo(data.repo, issues=data.issues, comments=data.comments)
        settings = load_settings(
            {
                "SLACK_BOT_TOKEN": TOKEN,
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_API_URL": slack.api_url,
                "GITHUB_API_URL": github.url,
                "TICKET_REPORT_REPOS": data.repo,
            }
        )
        bot = build_bot(settings, workers=args.workers, clock=lambda: NOW)
        wsgi = make_wsgi_app(bot.slack.app, signing_secret=SECRET)
        server = create_http_server(wsgi, host="127.0.0.1", port=0)
        stop = run_in_thread(server)
        url = f"http://127.0.0.1:{server.effective_port}/slack/events"

        def send(text: str, user: str) -> tuple[float, int, str]:
            body = slash_body(text, user=user, channel="CBENCH", response_url=slack.response_url(user))
            started = time.perf_counter()
            response = requests.post(url, data=body, headers=signed_headers(body), timeout=30)
            return time.perf_counter() - started, response.status_code, response.text

        try:
            send("help", "UWARM")  # first request: imports, connection set-up
            github.delay = args.delay
            for index, period in enumerate(BACKGROUND):
                send(period, f"UBG{index}")
            deadline = time.monotonic() + 30
            while len(github.requests) < len(BACKGROUND) and time.monotonic() < deadline:
                time.sleep(0.01)
            in_flight_before = len(BACKGROUND) - reports_answered(slack)

            barrier = threading.Barrier(args.commands)

            def one(index: int) -> tuple[float, int, str]:
                barrier.wait()
                return send(PERIODS[index % len(PERIODS)], f"U{index:03d}")

            wave_started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=args.commands) as clients:
                results = list(clients.map(one, range(args.commands)))
            wave_seconds = time.perf_counter() - wave_started
            posted_during_wave = reports_answered(slack)

            total_reports = len(BACKGROUND) + args.commands
            slack.wait_for(lambda fake: reports_answered(fake) >= total_reports, timeout=600)
            all_done = time.perf_counter() - wave_started
            failures = [str(call.body.get("text", ""))[:200] for call in slack.calls_to("response_url")]
        finally:
            stop()
            bot.close()

    latencies = [seconds * 1000 for seconds, _, _ in results]
    statuses = {status for _, status, _ in results}
    acked = sum(1 for _, status, text in results if status == 200 and "Building the ticket report" in text)
    wave_ms, requests_sent = wave_seconds * 1000, len(github.requests)
    rows = [
        ("GitHub delay per request", f"{args.delay * 1000:.0f} ms; report workers: {args.workers}"),
        ("background reports in flight", f"{in_flight_before} when the wave was released"),
        ("commands sent at once", f"{args.commands} (HTTP {sorted(statuses)}, {acked} acked)"),
        ("ack latency median", f"{statistics.median(latencies):.0f} ms"),
        ("ack latency p95", f"{percentile(latencies, 0.95):.0f} ms"),
        ("ack latency p99", f"{percentile(latencies, 0.99):.0f} ms"),
        ("ack latency max", f"{max(latencies):.0f} ms"),
        ("whole wave acknowledged in", f"{wave_ms:.0f} ms ({posted_during_wave} reports done by then)"),
        (f"all {total_reports} reports done after", f"{all_done:.1f} s ({requests_sent} GitHub requests)"),
        ("reports that failed", str(len(failures))),
    ]
    for label, value in rows:
        print(f"{label + ':':34}{value}")
    for text in failures[:5]:
        print("  " + text)

if __name__ == "__main__":
    main()
