"""Command line: `python -m bot report|snapshot|sync|db upgrade|audit|serve|clock|manifest`.

The same as `ticket-report ...`, the command `pip install .` installs.

Exit status: 0 on success; 2 for bad input (period, repository name, timezone, option) with one line
on stderr saying what would work; 1 for an upstream failure (GitHub) with one line, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.errors import TicketReportError, UpstreamError
from bot.gc_pause import without_gc
from bot.report.models import Period, Report
from bot.report.periods import PeriodError, parse_period, parse_timezone
from bot.settings import Settings, SettingsError, load_settings, valid_repo

if TYPE_CHECKING:
    from bot.service import ReportRequest, ReportService

FORMATS = ("markdown", "json", "blocks")  # bot.service.render_report writes each
log = logging.getLogger("bot")


class InputError(Exception):
    """Bad command-line input; the message says what would work."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line and exit 2, like every other bad input
        self.exit(2, f"{self.prog}: {message}. See --help.\n")


def build_parser(prog: str = "python -m bot") -> argparse.ArgumentParser:
    parser = _Parser(prog=prog, description="Support-ticket reports from GitHub issues.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    report = commands.add_parser("report", help="print a report")
    report.add_argument(
        "period", nargs="*", default=["today"], help="today, yesterday, week, 2025-04-01..2025-04-14, ..."
    )
    report.add_argument("--repo", action="append", default=[], help="OWNER/NAME (repeatable)")
    report.add_argument("--format", choices=FORMATS, default="markdown")
    report.add_argument("--top", type=int, default=None, help="most active tickets to list (default 5)")
    report.add_argument("--tz", default=None, help="IANA timezone (default: config, else UTC)")
    report.add_argument("--now", default=None, help="the report's 'now' as ISO 8601 (default: the clock)")
    report.add_argument("--config", default=None, help="config file (default $TICKET_REPORT_CONFIG)")
    report.add_argument("--source", default=None, help="read a snapshot file instead of the GitHub API")
    report.add_argument(
        "--chart", default=None, metavar="FILE.png", help="also write the trend chart (PNG) to this file"
    )

    snapshot = commands.add_parser("snapshot", help="save a repository's issues and comments to a file")
    snapshot.add_argument("--repo", action="append", required=True)
    snapshot.add_argument("--since", required=True, help="date, e.g. 2025-04-01")
    snapshot.add_argument("--output", required=True)
    snapshot.add_argument("--config", default=None)

    sync = commands.add_parser("sync", help="bring the ticket mirror in the database up to date with GitHub")
    sync.add_argument(
        "--repo", action="append", default=[], help="OWNER/NAME (repeatable; default: every mirrored one)"
    )
    sync.add_argument("--config", default=None)

    db = commands.add_parser("db", help="the bot's database")
    db_commands = db.add_subparsers(dest="db_command", required=True, parser_class=_Parser)
    db_upgrade = db_commands.add_parser("upgrade", help="apply schema migrations (start-up does it too)")
    db_upgrade.add_argument("--config", default=None)

    audit = commands.add_parser("audit", help="list the actions taken on tickets from Slack, newest first")
    audit.add_argument("--days", default="7", help="how many days back (default 7)")
    audit.add_argument("--config", default=None)

    serve = commands.add_parser("serve", help="run the Slack app (HTTP on $PORT, or Socket Mode)")
    serve.add_argument("--no-scheduler", action="store_true", help="leave digests to `python -m bot clock`")
    serve.add_argument("--config", default=None)

    clock = commands.add_parser("clock", help="run only the digest scheduler")
    clock.add_argument("--config", default=None)

    manifest = commands.add_parser("manifest", help="print the Slack app manifest to paste at api.slack.com")
    where = manifest.add_mutually_exclusive_group(required=True)
    where.add_argument("--url", help="https://HOST: the public address serving `serve` (HTTP)")
    where.add_argument("--socket-mode", action="store_true", help="for Socket Mode (no public URL)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # Usage lines name the command as it was typed: the installed script, or `python -m bot`.
    installed = Path(sys.argv[0]).name == "ticket-report"
    args = build_parser("ticket-report" if installed else "python -m bot").parse_args(argv)
    level = logging.INFO if args.command in ("serve", "clock") else logging.WARNING
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    _quiet_libraries(one_line=args.command in ("report", "snapshot", "sync", "db", "audit"))
    if args.command == "manifest":  # needs no settings: it is printed before any are made
        return _manifest(args)
    try:
        settings = load_settings(config_path=args.config, slack=args.command == "serve")
        if args.command == "report":
            return _report(args, settings)
        if args.command == "snapshot":
            return _snapshot(args, settings)
        if args.command == "sync":
            return _sync(args, settings)
        if args.command == "db":
            return _db_upgrade(settings)
        if args.command == "audit":
            return _audit(args, settings)
        from bot.app_runner import run_clock, run_serve  # Slack and scheduler imports only when needed

        if args.command == "serve":
            return run_serve(settings, scheduler=not args.no_scheduler)
        return run_clock(settings)
    except (SettingsError, InputError, PeriodError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except UpstreamError as exc:
        print(f"error: {exc.user_message}", file=sys.stderr)
        return 1
    except TicketReportError as exc:
        print(f"error: {exc.user_message}", file=sys.stderr)
        return 2


def _manifest(args: argparse.Namespace) -> int:
    from bot.slack.manifest import ManifestUrlError, filled_manifest, manifest_text, public_base_url

    try:
        base_url = None if args.socket_mode else public_base_url(args.url)
    except ManifestUrlError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(filled_manifest(manifest_text(), base_url=base_url, socket_mode=args.socket_mode))
    return 0


def _quiet_libraries(*, one_line: bool) -> None:
    """PyGithub and urllib3 log every retry; a failed report must end in one line on stderr."""
    import github  # its import sets its logger to INFO with a handler of its own: undo that here

    github_log = logging.getLogger("github")
    github_log.handlers.clear()  # the root handler prints it once (not twice)
    github_log.setLevel(logging.ERROR if one_line else logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # our own line says what a migration did
    if one_line:
        logging.getLogger("urllib3").setLevel(logging.ERROR)
    del github


def _now(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"--now {text!r} is not ISO 8601; use e.g. 2025-04-14T21:07:02+00:00") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _repos(given: Sequence[str], settings: Settings) -> tuple[str, ...]:
    repos = tuple(dict.fromkeys(given)) or settings.repos
    if not repos:
        raise InputError("no repository: pass --repo OWNER/NAME or set TICKET_REPORT_REPOS")
    bad = [r for r in repos if not valid_repo(r)]
    if bad:
        raise InputError(f"{', '.join(bad)} is not a repository name; use OWNER/NAME like octo-org/support")
    return repos


def _report(args: argparse.Namespace, settings: Settings) -> int:
    from bot.service import ReportRequest, ReportService

    if args.top is not None and not 1 <= args.top <= 50:
        raise InputError(f"--top {args.top} is out of range; use a number from 1 to 50")
    tz = parse_timezone(args.tz or settings.config.timezone)
    now = _now(args.now)
    # A model's answers are cached in the database, which is then created if need be; the mirror is
    # read only from a database that exists.
    store = _open_store(settings, create=True) if settings.llm_url else None
    store = store or (None if args.source else _open_store(settings, create=False))
    try:
        source = _source(args.source, settings, store)
        snapshot_repos = getattr(source, "repos", ())  # a snapshot reports on what it holds by default
        repos = _repos(args.repo or list(snapshot_repos), settings)
        max_days = settings.config.max_period_days
        # Bad or too long periods fail before any request.
        period = parse_period(" ".join(args.period), now=now, tz=tz, max_days=max_days)
        if args.chart is not None:
            _check_chart(args.chart, period)
        writer = _model_writer(settings, store)
        service = ReportService(
            source=source, options=settings.report_options(), writer=writer, max_period_days=max_days
        )
        request = ReportRequest(
            period_text=period.spec or " ".join(args.period), repos=repos, tz=tz, top=args.top
        )
        output = _built_and_rendered(service, period, request, now=now, fmt=args.format, chart=args.chart)
    finally:
        if store is not None:
            store.close()
    sys.stdout.write(output if output.endswith("\n") else output + "\n")
    return 0


@without_gc
def _built_and_rendered(
    service: ReportService,
    period: Period,
    request: ReportRequest,
    *,
    now: datetime,
    fmt: str,
    chart: str | None,
) -> str:
    """The report's text (and its chart written), under one pause of the cycle collector: the report is
    dropped before the collector runs again, so no pass walks its objects between building, rendering
    and freeing it (see bot.gc_pause)."""
    from bot.service import render_report

    report = service.build_for(period, request=request, now=now)
    output = render_report(report, fmt)
    if chart is not None:
        _write_chart(chart, report)
    return output


def _check_chart(path: str, period: Period) -> None:
    """Refuse a --chart the report could not write, before any request to GitHub."""
    from bot.render.chart_text import CHART_MIN_DAYS
    from bot.report.trend import MAX_TREND_DAYS, day_count

    target = Path(path)
    if target.suffix.lower() != ".png":
        raise InputError(f"--chart {path!r} must name a .png file, e.g. --chart trend.png")
    if not target.parent.is_dir():
        raise InputError(f"--chart {path!r}: the folder {str(target.parent)!r} does not exist")
    days = day_count(period)
    if days > MAX_TREND_DAYS:
        raise InputError(
            f"--chart: the period has {days} days; the chart covers at most {MAX_TREND_DAYS}, "
            "e.g. 'last month' or '2025-01-01..2025-03-31'"
        )
    if days < CHART_MIN_DAYS:
        print(
            f"note: the chart shows {days} day(s); Slack gets it only with reports of "
            f"{CHART_MIN_DAYS} days or more (try 'week' or 'last week')",
            file=sys.stderr,
        )


def _write_chart(path: str, report: Report) -> None:
    from bot.render.chart import chart_png

    try:
        Path(path).write_bytes(chart_png(report))
    except OSError as exc:
        raise InputError(f"--chart {path!r} could not be written: {exc.strerror or exc}") from None


def _model_writer(settings: Settings, store):
    """The model writer when a model is configured, its answers cached in `store` (the database at
    DATABASE_URL, when there is one); None without a model."""
    if not settings.llm_url:
        return None
    from bot.llm import model_writer

    if store is None:
        log.warning("model answers are not cached: no database at DATABASE_URL")
    return model_writer(settings, cache=store)


def _source(path: str | None, settings: Settings, store):
    """Where a report's tickets come from: the snapshot file; else the ticket mirror in `store` (which
    fetches live any repository it does not hold); else the GitHub API."""
    if path:
        from bot.sources.github import SnapshotSource

        return SnapshotSource(path)
    from bot.sources.github import GitHubSource

    github = GitHubSource(
        token=settings.github_token,
        base_url=settings.github_api_url,
        search_per_minute=settings.config.github_search_per_minute,
    )
    if store is None or not settings.config.mirror:
        return github
    from bot.app_runner import open_mirror

    mirror = open_mirror(settings, store, live=github)
    return mirror.source if mirror is not None else github


def _open_store(settings: Settings, *, create: bool):
    """The store at DATABASE_URL; None when it cannot be opened (the report is then made without it), or
    without `create` when it is a SQLite file that does not exist yet."""
    from bot.store import Store
    from bot.store.database import sqlite_path

    path = sqlite_path(settings.database_url)
    if not create and path is not None and not path.exists():
        return None
    try:
        return Store(settings.database_url, timeout=settings.config.database_timeout_seconds)
    except Exception as exc:  # SQLAlchemy's or the driver's: the first line names the cause, not the URL
        first = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
        log.warning("reporting without the database: cannot open it at DATABASE_URL: %s", first)
        return None


def _db_upgrade(settings: Settings) -> int:
    from bot.store.migrate import upgrade_database

    try:
        print(upgrade_database(settings.database_url))
    except Exception as exc:  # SQLAlchemy's, the driver's or Alembic's: one line, never the URL
        first = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
        print(f"error: cannot upgrade the database at DATABASE_URL: {first}", file=sys.stderr)
        return 1
    return 0


def _audit(args: argparse.Namespace, settings: Settings) -> int:
    """Every action asked for from Slack in the last --days days, newest first, one line each."""
    from datetime import timedelta

    from bot.actions.audit import audit_lines, parse_days
    from bot.store import Store
    from bot.store.database import sqlite_path

    days = parse_days(args.days)  # BadInput: exit 2 with what would work
    path = sqlite_path(settings.database_url)
    if path is not None and not path.exists():
        print(f"No actions on tickets from Slack yet: there is no database at {path}.")
        return 0
    try:
        store = Store(settings.database_url, timeout=settings.config.database_timeout_seconds)
    except Exception as exc:  # SQLAlchemy's or the driver's: the first line names the cause, not the URL
        first = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
        raise UpstreamError(f"cannot open the database at DATABASE_URL: {first}") from None
    now = datetime.now(UTC)
    try:
        records = store.actions.since(now - timedelta(days=days))
    finally:
        store.close()
    for line in audit_lines(records, days=days):
        print(line)
    return 0


def _snapshot(args: argparse.Namespace, settings: Settings) -> int:
    from bot.sources.github import GitHubSource, write_snapshot

    repos = _repos(args.repo, settings)
    tz = parse_timezone(settings.config.timezone)
    now = datetime.now(UTC)
    # A snapshot is an export of everything since a day, not a report: no bound on its length.
    since = parse_period(f"since {args.since}", now=now, tz=tz, max_days=None).start
    source = GitHubSource(
        token=settings.github_token,
        base_url=settings.github_api_url,
        search_per_minute=settings.config.github_search_per_minute,
    )
    count = write_snapshot(source, repos=repos, since=since, now=now, path=args.output)
    print(f"wrote {args.output}: {count} ({source.request_count} GitHub requests)", file=sys.stderr)
    return 0


def _sync(args: argparse.Namespace, settings: Settings) -> int:
    """Sync each repository's mirror: one line per repository on stdout, progress on stderr. An upstream
    failure ends that repository with one line on stderr (a first sync resumes where it stopped next
    time); a rate limit or a rejected token ends the run, since every repository would meet it too."""
    import os
    import socket
    from datetime import timedelta

    from bot.errors import BadCredentials, RateLimited
    from bot.mirror.sync import MirrorSync, SyncProgress
    from bot.sources.github import GitHubSource
    from bot.store import Store
    from bot.store.mirror import Mirror

    repos = _repos(args.repo or settings.mirrored_repos, settings)
    try:
        store = Store(settings.database_url, timeout=settings.config.database_timeout_seconds)
    except Exception as exc:  # SQLAlchemy's or the driver's: the first line names the cause, not the URL
        first = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
        raise UpstreamError(f"cannot open the database at DATABASE_URL: {first}") from None
    terminal = sys.stderr.isatty()

    def progress(step: SyncProgress) -> None:
        if terminal:  # one line, rewritten in place
            print(f"\r\033[K{step.describe()}", end="", file=sys.stderr, flush=True)
        else:
            print(step.describe(), file=sys.stderr)

    source = GitHubSource(
        token=settings.github_token,
        base_url=settings.github_api_url,
        search_per_minute=settings.config.github_search_per_minute,
    )
    syncer = MirrorSync(
        source,
        Mirror(store.engine),
        owner=f"cli:{socket.gethostname()}:{os.getpid()}",
        progress=progress,
        reconcile_every=timedelta(hours=settings.config.reconcile_hours),
    )
    failed = False
    try:
        for repo in repos:
            try:
                result = syncer.sync(repo)
            except UpstreamError as exc:
                _end_progress(terminal)
                print(f"error: {repo}: {exc.user_message}", file=sys.stderr)
                failed = True
                if isinstance(exc, RateLimited | BadCredentials):
                    break
                continue
            except KeyboardInterrupt:
                _end_progress(terminal)
                print(f"{repo}: interrupted; the next sync resumes where this one stopped", file=sys.stderr)
                return 130
            _end_progress(terminal)
            print(result.summary(), flush=True)
    finally:
        source.close()
        store.close()
    return 1 if failed else 0


def _end_progress(terminal: bool) -> None:
    if terminal:
        print("\r\033[K", end="", file=sys.stderr, flush=True)
