"""One bot process for the two-process test: it receives the given webhook deliveries and runs alert
passes against a shared database, posting to the fake Slack.

    python -m tests.alerts.alert_worker URL SCHEMA SLACK_API_URL DELIVERIES.json GO_FILE

Waits for GO_FILE to exist (so both processes start together), hands each delivery to a real
WebhookReceiver (whose trigger starts passes on the dispatcher's thread) and runs a pass after each too.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from bot.alerts.dispatch import AlertDispatcher
from bot.alerts.store import AlertStore
from bot.mirror.webhooks import WebhookReceiver
from bot.report.options import ReportOptions
from bot.slack.access import ChannelRules
from bot.slack.poster import SlackPoster, make_web_client
from bot.slack.updates import MessageUpdater
from bot.store import Store
from bot.store.mirror import Mirror
from tests.alerts.conftest import HOOK_SECRET, REPO
from tests.slack.signing import TOKEN


def main(argv: list[str]) -> int:
    url, schema, slack_url, deliveries_path, go_path = argv
    store = Store(url, schema=schema or None)
    mirror = Mirror(store.engine)
    client = make_web_client(token=TOKEN, base_url=slack_url)
    dispatcher = AlertDispatcher(
        alerts=AlertStore(store.engine),
        mirror=mirror,
        poster=SlackPoster(client),
        updater=MessageUpdater(client),
        rules=ChannelRules(default_repos=(REPO,)),
        options=ReportOptions(),
        owner=f"worker-{os.getpid()}",
        burst=1000,
    )
    receiver = WebhookReceiver(
        mirror, secret=HOOK_SECRET, repos=(REPO,), on_applied=lambda event, repo: dispatcher.trigger()
    )
    deliveries = json.loads(Path(deliveries_path).read_text(encoding="utf-8"))
    deadline = time.monotonic() + 60
    while not Path(go_path).exists() and time.monotonic() < deadline:
        time.sleep(0.005)
    answers = []
    for delivery in deliveries:
        answers.append(receiver.handle(delivery["headers"], delivery["body"].encode()).text)
        dispatcher.run()
    for _ in range(3):
        dispatcher.run()
    dispatcher.shutdown(wait=True)
    store.close()
    print(json.dumps(answers))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
