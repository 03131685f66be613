"""Two bot processes on one PostgreSQL database receive the same webhook deliveries and run passes at
the same time: each alert is posted once, and a burst both planned at once is one message."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.alerts.dispatch import AlertDispatcher
from bot.alerts.store import AlertStore
from bot.report.options import ReportOptions
from bot.slack.access import ChannelRules
from bot.slack.poster import SlackPoster, make_web_client
from bot.slack.updates import MessageUpdater
from bot.store import Store
from bot.store.mirror import Mirror
from tests.alerts.conftest import REPO, StartAlertApp, repository, sign
from tests.db_fixtures import BackendUrl, PgTarget
from tests.fakes.github_data import make_issue
from tests.fakes.slack_server import FakeSlack
from tests.slack.signing import TOKEN

ROOT = Path(__file__).resolve().parents[2]
NUMBERS = list(range(2000, 2012))


def test_two_processes_receiving_the_same_deliveries_post_each_alert_once(
    pg_target: PgTarget, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    store = pg_target.store()  # migrated here, before the processes start
    try:
        AlertStore(store.engine).subscribe(
            channel_id="C1", kind="new", repos=(), labels=(), created_by="U1", now=now - timedelta(minutes=1)
        )
        deliveries = []
        for number in NUMBERS:
            issue = make_issue(number, title=f"Ticket {number}", created_at=now, updated_at=now)
            raw = json.dumps({"action": "opened", "issue": issue, "repository": repository(REPO)})
            headers = {
                "Content-Type": "application/json",
                "X-GitHub-Event": "issues",
                "X-GitHub-Delivery": f"delivery-{number}",
                "X-Hub-Signature-256": sign(raw.encode()),
            }
            deliveries.append({"headers": headers, "body": raw})
        path = tmp_path / "deliveries.json"
        path.write_text(json.dumps(deliveries), encoding="utf-8")
        go = tmp_path / "go"
        args = [pg_target.url, pg_target.schema, fake_slack.api_url, str(path), str(go)]
        workers = [
            subprocess.Popen(
                [sys.executable, "-m", "tests.alerts.alert_worker", *args],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        go.write_text("go", encoding="utf-8")
        outputs = [worker.communicate(timeout=120) for worker in workers]
        assert [worker.returncode for worker in workers] == [0, 0], outputs
        answers = [json.loads(out) for out, _ in outputs]
        # Each delivery was applied by one process; the other was told it was applied before.
        for index in range(len(NUMBERS)):
            assert sorted(a[index] for a in answers) == ["already applied", "applied"]

        posts = [p for p in fake_slack.posts() if p.body["channel"] == "C1"]
        assert sorted(str(p.body["text"]) for p in posts) == sorted(
            f"New ticket #{n}: Ticket {n}" for n in NUMBERS
        )
        records = AlertStore(store.engine).records("C1")
        assert sorted(r.number for r in records) == NUMBERS
        assert {r.state for r in records} == {"posted"}
        assert len({r.owner for r in records}) >= 1
    finally:
        store.close()


class _Racing(AlertStore):
    """An AlertStore of one of two racing dispatchers: both plan before either claims (a barrier in
    `recent`), then they take turns over the tickets of a bundle or count line (ticket i is this one's
    to claim first when i % 2 == me), as two processes at the same moment might."""

    def __init__(self, engine, me: int, barrier: threading.Barrier, claimed: dict) -> None:
        super().__init__(engine)
        self._me, self._barrier, self._claimed = me, barrier, claimed
        self._index = 0

    def recent(self, *args, **kwargs):
        found = super().recent(*args, **kwargs)
        self._barrier.wait()
        return found

    def claim(self, **kwargs) -> bool:
        if not (kwargs.get("bundled") or kwargs.get("state") == "counted"):
            return super().claim(**kwargs)
        index, self._index = self._index, self._index + 1
        turn = self._claimed.setdefault(index, threading.Event())
        if index % 2 != self._me:
            turn.wait(0.5)  # the other one's ticket: it claims first (unless it never comes)
        try:
            return super().claim(**kwargs)
        finally:
            turn.set()


@pytest.mark.parametrize("what", ["bundle", "count"])
def test_a_burst_planned_by_two_processes_at_once_is_one_message(
    start_alert_app: StartAlertApp, pg_target: PgTarget, what: str
) -> None:
    database = BackendUrl(name="postgresql", url=pg_target.url, schema=pg_target.schema)
    app = start_alert_app(database=database)
    app.manual()
    app.say("alerts on new")
    ago = timedelta(0)
    if what == "count":  # the bot was down: tickets over an hour old are counted in one line
        app.clock.advance(timedelta(hours=3))
        ago = timedelta(hours=2)
    numbers = list(range(2100, 2106))
    for number in numbers:
        app.open_ticket(number, ago=ago)
    barrier, claimed = threading.Barrier(2, timeout=20), {}
    stores = [Store(pg_target.url, schema=pg_target.schema) for _ in range(2)]
    try:
        dispatchers = []
        for me, store in enumerate(stores):
            client = make_web_client(token=TOKEN, base_url=app.slack.api_url)
            dispatchers.append(
                AlertDispatcher(
                    alerts=_Racing(store.engine, me, barrier, claimed),
                    mirror=Mirror(store.engine),
                    poster=SlackPoster(client),
                    updater=MessageUpdater(client),
                    rules=ChannelRules(default_repos=(REPO,)),
                    options=ReportOptions(),
                    owner=f"process-{me}",
                    clock=app.clock,
                    burst=2,
                )
            )
        threads = [threading.Thread(target=d.run) for d in dispatchers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        for d in dispatchers:
            d.shutdown(wait=True)
    finally:
        for store in stores:
            store.close()
    texts = [str(p.body["text"]) for p in app.posts()]
    if what == "bundle":
        assert texts == ["6 new tickets arrived"]
    else:
        assert texts == ["6 tickets arrived while alerts were paused"]
    records = app.alerts.records("C1")
    assert sorted(r.number for r in records) == numbers
    assert {r.state for r in records} == {"posted" if what == "bundle" else "counted"}
