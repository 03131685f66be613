"""Alerts left behind by a process that died: a claim never posted is claimed afresh and posted; a post
in progress is looked for in Slack by its delivery id, never sent again."""

from __future__ import annotations

from datetime import timedelta

from bot.alerts.engine import ticket_alert
from bot.delivery.ids import Delivery
from bot.render.alert_blocks import render_new_ticket
from tests.alerts.conftest import REPO, StartAlertApp

LEASE = timedelta(minutes=5)


def claim(app, number: int, *, delivery: str, state: str) -> None:
    alerts = app.alerts
    assert alerts.claim(
        channel_id="C1", repo=REPO, number=number, kind="new", owner="dead-process",
        now=app.clock.now, lease=LEASE, delivery_id=delivery,
    )  # fmt: skip
    if state == "posting":
        record = alerts.get("C1", REPO, number, "new")
        assert record is not None and alerts.move(record, ("claimed",), state="posting")


def test_a_dead_processs_claims_are_settled_without_a_second_post(start_alert_app: StartAlertApp) -> None:
    app = start_alert_app()
    app.manual()
    app.say("alerts on new")
    for number in (3000, 3001, 3002):
        app.open_ticket(number)
    claim(app, 3000, delivery="d" * 32, state="claimed")  # died before posting
    claim(app, 3001, delivery="e" * 32, state="posting")  # died after Slack took the post
    claim(app, 3002, delivery="f" * 32, state="posting")  # died before Slack took it
    ticket, _ = app.mirror.mirror.ticket(REPO, 3001)
    taken = app.bot.slack.poster.post_report(
        "C1", [render_new_ticket(ticket_alert(ticket, home_repo=REPO))], delivery=Delivery(id="e" * 32)
    )
    assert app.run().posted == []  # the leases still hold: nothing is touched
    app.clock.advance(LEASE + timedelta(seconds=1))
    app.run()
    states = {r.number: (r.state, r.message_ts) for r in app.alerts.records("C1")}
    assert states[3001] == ("posted", taken)
    assert states[3002][0] == "unconfirmed"
    assert states[3000][0] == "posted"
    texts = [str(p.body["text"]) for p in app.posts()]
    assert sorted(texts) == ["New ticket #3000: Something is broken", "New ticket #3001: Something is broken"]
