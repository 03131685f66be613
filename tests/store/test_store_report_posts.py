"""The store remembers a posted report's context (for Details in its thread), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.report.drilldown import ContextTicket, ReportContext
from bot.report.models import ScoreItem
from bot.store import Store
from tests.db_fixtures import (  # noqa: F401 - fixtures
    backend_url_fixture,
    pg_target_fixture,
    sqlite_url_fixture,
    store_fixture,
)

T0 = datetime(2025, 4, 14, 21, 7, tzinfo=UTC)


def _context(title: str = "Stuck at login <!channel> “quoted” 😀") -> ReportContext:
    return ReportContext(
        period_start=datetime(2025, 4, 14, tzinfo=UTC),
        period_end=datetime(2025, 4, 15, tzinfo=UTC),
        period_label="2025-04-14 to 2025-04-14",
        repos=("octo/support",),
        groups=((("octo/support", 685), ("octo/support", 686)),),
        group_titles=("Login",),
        tickets=(
            ContextTicket(
                "octo/support", 685, title, 15.94, (ScoreItem("comments from the community", 3, 6.0),)
            ),
        ),
        ticket_count=1,
    )


def test_a_reports_context_is_found_again_by_channel_and_ts(store: Store) -> None:
    context = _context()
    text = json.dumps(context.to_dict(), ensure_ascii=False)
    store.save_report_context(channel_id="C1", message_ts="1712.000100", context=text, now=T0)
    loaded = store.load_report_context(channel_id="C1", message_ts="1712.000100")
    assert loaded is not None and ReportContext.from_dict(json.loads(loaded)) == context
    assert store.load_report_context(channel_id="C2", message_ts="1712.000100") is None
    assert store.load_report_context(channel_id="C1", message_ts="1712.000101") is None


def test_the_first_context_saved_for_a_message_wins(store: Store) -> None:
    first = json.dumps(_context("first").to_dict())
    store.save_report_context(channel_id="C1", message_ts="1712.1", context=first)
    store.save_report_context(
        channel_id="C1", message_ts="1712.1", context=json.dumps(_context("second").to_dict())
    )
    assert store.load_report_context(channel_id="C1", message_ts="1712.1") == first


def test_a_large_context_is_kept_whole(store: Store) -> None:
    tickets = tuple(
        ContextTicket("octo/support", n, "x" * 300, float(n), (ScoreItem("reason " * 10, 1, 1.0),) * 12)
        for n in range(500)
    )
    text = json.dumps(
        ReportContext(**{**vars(_context()), "tickets": tickets, "ticket_count": 500}).to_dict()
    )
    assert len(text) > 500_000
    store.save_report_context(channel_id="C1", message_ts="1712.2", context=text)
    assert store.load_report_context(channel_id="C1", message_ts="1712.2") == text
