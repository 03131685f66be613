"""Two bot processes on one PostgreSQL database receive the same webhook deliveries and run passes at
the same time: each alert is posted once."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.alerts.store import AlertStore
from tests.alerts.conftest import REPO, repository, sign
from tests.db_fixtures import PgTarget
from tests.fakes.github_data import make_issue
from tests.fakes.slack_server import FakeSlack

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
