"""Alerts end to end (see conftest): commands, webhook and sync triggers, exactly once, bursts, the
downtime rule, `waiting` and its update, failures and the pause, access and managers rules, bad input."""

from __future__ import annotations

import time
from datetime import timedelta

from bot.mirror.sync import MirrorSync
from tests.alerts.conftest import REPO, WAIT, StartAlertApp
from tests.db_fixtures import BackendUrl
from tests.slack.payloads import block_action, send_interaction

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
HOSTILE = "<!channel> fix <@U123> & <script> *bold* @here"


def alert_texts(app, channel: str = "C1") -> list[str]:
    return [str(p.body["text"]) for p in app.posts(channel)]


# --- turning alerts on, and new tickets -------------------------------------------------------------


def test_a_new_ticket_delivered_by_webhook_is_alerted_once_in_the_channel(
    start_alert_app: StartAlertApp, backend_url: BackendUrl
) -> None:
    app = start_alert_app(database=backend_url)
    answer = app.say("alerts on new")
    assert answer.startswith("Alerts on *new tickets* on this channel's repositories.")
    [stored] = app.alerts.subscriptions("C1")
    assert (stored.kind, stored.repos, stored.labels, stored.created_at) == ("new", (), (), app.clock.now)

    app.clock.advance(MINUTE)
    started = time.monotonic()
    issue = app.open_ticket(
        900,
        title="Login loops forever",
        body="After 11.3.0 the login page reloads.\n\nSteps: open it",
        labels=["bug"],
    )
    assert app.slack.wait_for(lambda s: len(app.posts()) == 1, WAIT)
    assert time.monotonic() - started < 10  # the guarantee: within 10 s of the delivery
    [post] = app.posts()
    assert post.body["text"] == "New ticket #900: Login loops forever"
    blocks = str(post.blocks)
    assert "<https://github.com/acme/support/issues/900|#900 Login loops forever>" in blocks
    assert "by alice" in blocks and "`bug`" in blocks and "After 11.3.0 the login page reloads." in blocks

    # The same delivery again, an edit, and further passes: never a second post.
    app.deliver(
        "issues",
        {"action": "opened", "issue": issue, "repository": {"full_name": REPO}},
        delivery="d-00000001",
    )
    app.deliver(
        "issues", {"action": "labeled", "issue": {**issue, "labels": []}, "repository": {"full_name": REPO}}
    )
    app.run()
    app.run()
    assert len(app.posts()) == 1
    [record] = app.alerts.records("C1")
    assert (record.number, record.state, record.message_ts) == (900, "posted", post.body["ts"])


def test_the_alerts_details_button_answers_in_the_alerts_thread(start_alert_app: StartAlertApp) -> None:
    app = start_alert_app()
    app.say("alerts on")
    app.open_ticket(901, title="Crash on start", body="It crashes.")
    assert app.slack.wait_for(lambda s: len(app.posts()) == 1, WAIT)
    [post] = app.posts()
    [button] = [e for b in post.blocks if b["type"] == "actions" for e in b["elements"]]
    payload = block_action(
        user="U1",
        channel="C1",
        action={"type": "button", "action_id": button["action_id"], "value": button["value"]},
        message={"ts": post.body["ts"], "text": post.body["text"]},
    )
    from tests.slack.conftest import AppUnderTest

    under_test = AppUnderTest(url=app.url, bot=app.bot, settings=None, slack=app.slack, github=app.github)  # type: ignore[arg-type]
    assert send_interaction(under_test, payload).status_code == 200
    replies = lambda s: [p for p in s.posts() if p.body.get("thread_ts") == post.body["ts"]]  # noqa: E731
    assert app.slack.wait_for(lambda s: len(replies(s)) == 1, WAIT)
    assert "Crash on start" in str(replies(app.slack)[0].body)


def test_turning_alerts_on_never_posts_the_backlog(start_alert_app: StartAlertApp) -> None:
    app = start_alert_app()
    app.manual()
    app.open_ticket(800, ago=10 * MINUTE)  # before `alerts on`
    app.say("alerts on")
    app.open_ticket(801, ago=timedelta(0))
    result = app.run()
    assert [number for _, _, number, _ in result.posted] == [801]
    assert alert_texts(app) == ["New ticket #801: Something is broken"]


def test_hostile_ticket_text_pings_nobody(start_alert_app: StartAlertApp) -> None:
    app = start_alert_app()
    app.say("alerts on")
    app.open_ticket(902, title=HOSTILE, body=f"{HOSTILE}\n<!everyone>", user="mallory")
    assert app.slack.wait_for(lambda s: len(app.posts()) == 1, WAIT)
    sent = str(app.posts()[0].body)
    for ping in ("<!channel>", "<@U123>", "<!everyone>", "<script>"):
        assert ping not in sent
    assert "@here" not in sent.replace("@\u200bhere", "")


def test_labels_and_repositories_narrow_what_a_channel_gets(start_alert_app: StartAlertApp) -> None:
    app = start_alert_app()
    app.manual()
    answer = app.say('alerts on new label:Bug label:"needs triage"')
    assert "labelled `bug`, `needs triage`" in answer
    app.open_ticket(910, labels=["question"])
    app.open_ticket(911, labels=["BUG"])
    app.open_ticket(912, labels=["announcement", "bug"])  # excluded as reports exclude it
    app.run()
    assert alert_texts(app) == ["New ticket #911: Something is broken"]


def test_a_pull_request_or_a_ticket_closed_before_it_is_seen_is_never_alerted(
    start_alert_app: StartAlertApp,
) -> None:
    app = start_alert_app()
    app.manual()
    app.say("alerts on")
    app.open_ticket(920, pull_request=True)
    app.open_ticket(921, state="closed", state_reason="not_planned")  # a spam ticket closed at once
    app.open_ticket(922)
    assert [n for _, _, n, _ in app.run().posted] == [922]


def test_a_ticket_that_arrives_by_sync_is_alerted_once(start_alert_app: StartAlertApp) -> None:
    app = start_alert_app()
    app.manual()
    app.say("alerts on new")
    from tests.fakes.github_data import make_issue

    app.github.add_repo(REPO, issues=[make_issue(930, title="Found by the sync", created_at=app.clock.now)])
    sync: MirrorSync = app.mirror.sync
    sync.sync(REPO)
    app.run()
    assert alert_texts(app) == ["New ticket #930: Found by the sync"]
    sync.sync(REPO)
    app.run()
    assert len(app.posts()) == 1


# --- bursts and downtime ------------------------------------------------------------------------


def test_a_burst_is_bundled_into_one_message(start_alert_app: StartAlertApp) -> None:
    app = start_alert_app()
    app.manual()
    app.say("alerts on")
    for number in range(1000, 1007):  # 7 > alert_burst (5)
        app.open_ticket(number, title=f"Spam {number}")
    result = app.run()
    assert result.bundles == 1 and len(result.posted) == 7
    [bundle] = app.posts()
    assert bundle.body["text"] == "7 new tickets arrived"
    assert all(f"#{n} Spam {n}" in str(bundle.blocks) for n in range(1000, 1007))
    # More within the minute are part of the burst: they wait for the next bundle, then come together.
    app.open_ticket(1007)
    app.open_ticket(1008)
    assert app.run().deferred == 2 and len(app.posts()) == 1
    app.clock.advance(61 * timedelta(seconds=1))
    app.run()
    assert [p.body["text"] for p in app.posts()][1:] == ["2 new tickets arrived"]
    assert "#1007" in str(app.posts()[1].blocks) and "#1008" in str(app.posts()[1].blocks)
    # Once the wave is over, a ticket is alerted on its own again.
    app.clock.advance(5 * MINUTE)
    app.open_ticket(1009)
    app.run()
    assert alert_texts(app)[2:] == ["New ticket #1009: Something is broken"]


def test_a_wave_of_webhook_deliveries_is_alerted_once_each_in_few_messages(
    start_alert_app: StartAlertApp,
) -> None:
    app = start_alert_app(config={"alert_burst": 3})
    app.manual()
    app.say("alerts on")
    numbers = list(range(1100, 1120))
    for number in numbers:  # paced as webhooks bring them: one pass after each delivery
        app.open_ticket(number)
        app.run()
        app.clock.advance(timedelta(seconds=2))
    app.clock.advance(2 * MINUTE)
    app.run()
    app.clock.advance(2 * MINUTE)
    app.run()
    records = app.alerts.records("C1")
    assert sorted(r.number for r in records) == numbers and {r.state for r in records} == {"posted"}
    texts = alert_texts(app)
    bundles = [t for t in texts if t.endswith("new tickets arrived")]
    assert texts[:3] == [f"New ticket #{n}: Something is broken" for n in numbers[:3]]
    assert bundles == ["17 new tickets arrived"]  # never a bundle of one, nor a bundle per delivery
    assert len(texts) == 4
    listed = " ".join(str(p.blocks) for p in app.posts())
    assert all(listed.count(f"#{n} ") == 1 for n in numbers)


def test_a_small_overflow_is_bundled_when_its_window_closes_not_posted_one_by_one(
    start_alert_app: StartAlertApp,
) -> None:
    app = start_alert_app(config={"alert_burst": 3})
    app.manual()
    app.say("alerts on")
    for number in range(1150, 1155):  # 3 alone, then 2 over the burst
        app.open_ticket(number)
        app.run()
        app.clock.advance(timedelta(seconds=2))
    assert len(app.posts()) == 3
    app.clock.advance(2 * MINUTE)  # the singles' claims are out of the last minute by now
    app.run()
    assert alert_texts(app)[3:] == ["2 new tickets arrived"]


def test_tickets_from_while_the_bot_was_down_are_alerted_if_recent_else_counted(
    start_alert_app: StartAlertApp,
) -> None:
    app = start_alert_app()
    app.manual()
    app.say("alerts on new")
    app.clock.advance(5 * HOUR)  # the bot was down; the sync or redeliveries bring what it missed
    app.open_ticket(1200, ago=3 * HOUR)
    app.open_ticket(1201, ago=2 * HOUR)
    app.open_ticket(1202, ago=20 * MINUTE)
    result = app.run()
    assert result.counted == 2 and [n for _, _, n, _ in result.posted] == [1202]
    assert sorted(alert_texts(app)) == sorted(
        ["2 tickets arrived while alerts were paused", "New ticket #1202: Something is broken"]
    )
    app.run()
    assert len(app.posts()) == 2


# --- waiting ------------------------------------------------------------------------------------


def test_a_ticket_past_the_target_is_posted_once_and_updated_when_the_team_replies(
    start_alert_app: StartAlertApp, backend_url: BackendUrl
) -> None:
    app = start_alert_app(database=backend_url, config={"response_target_hours": 4})
    app.manual()
    app.say("alerts on waiting")
    app.clock.advance(HOUR)
    issue = app.open_ticket(1300, title="No answer yet")
    app.clock.advance(3 * HOUR)
    assert app.run().posted == []  # 3 h: not yet
    app.comment(issue, 5001, user="alice")  # the reporter's own comment is no reply
    app.clock.advance(90 * MINUTE)
    app.run()
    [post] = app.posts()
    assert post.body["text"] == "#1300 has waited 4h 30m for a first reply: No answer yet"
    assert "No team reply for 4h 30m (target 4h)" in str(post.blocks)
    app.clock.advance(HOUR)
    assert app.run().posted == []

    app.receiver.on_applied = lambda event, repo: app.dispatcher.trigger()
    app.comment(issue, 5002, user="maintainer", association="MEMBER")
    assert app.slack.wait_for(lambda s: len(s.updates()) == 1, WAIT)
    [update] = app.slack.updates()
    assert (update["channel"], update["ts"]) == ("C1", post.body["ts"])
    assert "maintainer replied after 5h 30m (target 4h)" in str(update["blocks"])
    app.run()
    assert len(app.posts()) == 1 and len(app.slack.updates()) == 1


# --- failures -----------------------------------------------------------------------------------


def test_failed_posts_are_shown_and_pause_the_channels_alerts_until_turned_on_again(
    start_alert_app: StartAlertApp,
) -> None:
    app = start_alert_app()
    app.manual()
    app.say("alerts on new")
    app.slack.fail_channel("C1", "not_in_channel")
    app.open_ticket(1400)
    assert app.run().failed == 1
    assert "the last post failed (I am not in this channel" in app.say("alerts")
    app.run()
    third = app.run()
    assert third.paused == [("C1", "new")]
    [notice] = [p for p in app.slack.posts() if p.body["channel"] == "U1"]  # a DM to who turned them on
    assert notice.body["text"] == "Alerts for new tickets in <#C1> are paused after 3 failed posts"
    assert "`/ticket-report alerts on new` there resumes them" in str(notice.blocks)
    listed = app.say("alerts")
    assert "*Paused*" in listed and "invite me with `/invite @ticket-report`" in listed
    app.open_ticket(1401)
    assert app.run().failed == 0  # paused: nothing tried
    assert len([c for c in app.slack.calls_to("chat.postMessage") if c.body["channel"] == "C1"]) == 3

    app.slack.fail_channel("C1", "")
    assert app.say("alerts on new").startswith("Alerts resumed for *new tickets*")
    app.run()
    assert sorted(alert_texts(app)) == [
        "New ticket #1400: Something is broken",
        "New ticket #1401: Something is broken",
    ]


# --- commands: access, managers, bad input ------------------------------------------------------


def test_a_repository_the_channel_may_not_see_is_refused_and_nothing_stored(
    start_alert_app: StartAlertApp,
) -> None:
    app = start_alert_app(config={"channels": {"C2": {"repos": ["acme/private"]}}})
    answer = app.say("alerts on repo:acme/private")
    assert "acme/private" in answer and "Alerts on" not in answer
    assert app.alerts.subscriptions() == []
    assert app.say("alerts on repo:acme/private", channel="C2").startswith("Alerts on")
    app.manual()
    app.open_ticket(1500, repo="acme/private")
    app.open_ticket(1501)
    app.run()
    assert alert_texts(app, "C2") == ["New ticket #1500: Something is broken"]
    assert alert_texts(app, "C1") == []


def test_only_managers_may_turn_alerts_on_or_off_but_anyone_may_list(
    start_alert_app: StartAlertApp, fake_slack
) -> None:
    fake_slack.set_usergroup("SHELPERS", ["UHELPER"])
    app = start_alert_app(config={"subscription_managers": ["UBOSS", "SHELPERS"]})
    # The subscriptions' managers (whose members are fetched at start) decide for alerts too.
    assert app.bot.managers is not None
    assert app.slack.wait_for(lambda s: app.bot.managers.cached_decision("UHELPER") is True, WAIT)
    refused = app.say("alerts on", user="U1")
    assert refused.startswith("Only <@UBOSS>, <!subteam^SHELPERS> may turn this channel's alerts on or off")
    assert app.alerts.subscriptions() == []
    assert app.say("alerts on new", user="UHELPER").startswith("Alerts on")
    assert app.say("alerts off", user="U1").startswith("Only")
    assert [s.kind for s in app.alerts.subscriptions()] == ["new"]
    assert "*new tickets* on `acme/support`" in app.say("alerts", user="U1")
    assert app.say("alerts off all", user="UBOSS") == "Alerts off for *new tickets*."
    assert app.alerts.subscriptions() == []
    assert len(app.slack.calls_to("usergroups.users.list")) == 1  # one cache of the group's members


def test_bad_input_is_answered_with_the_usage_and_nothing_is_stored(start_alert_app: StartAlertApp) -> None:
    app = start_alert_app()
    for text, problem in (
        ("alerts sometimes", "“sometimes” is not `on` or `off`."),
        ("alerts on loud", "“loud” is not `new`, `waiting`, `repo:OWNER/NAME` or `label:NAME`."),
        ("alerts on repo:not-a-repo", "“not-a-repo” is not a repository name"),
        ("alerts on label:", "`label:` needs a label"),
        ("alerts off later", "“later” is not `new`, `waiting` or `all`."),
        ("alerts on <!channel>", "“!channel” is not"),  # a Slack link is undone; nothing pings
    ):
        answer = app.say(text)
        assert answer.startswith(problem), (text, answer)
        assert "*Usage:* `/ticket-report alerts on" in answer
    assert app.alerts.subscriptions() == []


def test_alerts_lists_what_the_channel_gets(start_alert_app: StartAlertApp) -> None:
    app = start_alert_app()
    assert app.say("alerts").startswith("This channel gets no alerts.")
    app.say("alerts on waiting label:bug")
    listed = app.say("alerts")
    assert "*tickets waiting past the response target* on `acme/support`, labelled `bug`" in listed
    assert "since 2025-04-14 09:00 UTC" in listed
    assert app.say("alerts off new") == "This channel had no alerts for new tickets; nothing changed."


def test_a_ticket_labelled_soon_after_opening_is_alerted_to_a_label_filter(
    start_alert_app: StartAlertApp,
) -> None:
    app = start_alert_app()
    app.manual()
    app.say("alerts on new label:bug")
    issue = app.open_ticket(1600)
    assert app.run().posted == []
    app.clock.advance(10 * MINUTE)
    labelled = {
        **issue,
        "labels": [{"name": "bug"}],
        "updated_at": app.clock.now.isoformat().replace("+00:00", "Z"),
    }
    app.deliver("issues", {"action": "labeled", "issue": labelled, "repository": {"full_name": REPO}})
    assert [n for _, _, n, _ in app.run().posted] == [1600]
    # One left unlabelled is never alerted (nor even read: the label filter is applied in SQL).
    app.open_ticket(1601)
    app.clock.advance(2 * HOUR)
    assert app.run().posted == []
    assert [r.number for r in app.alerts.records("C1")] == [1600]


def test_a_new_ticket_shows_the_common_issue_and_the_open_tickets_it_looks_like(
    start_alert_app: StartAlertApp,
) -> None:
    app = start_alert_app()
    app.manual()
    body = "After updating to 11.3.0 the desktop app crashes on startup with LateInitializationError database"
    for number in (1700, 1701, 1702):
        app.open_ticket(
            number, ago=HOUR * 5, title=f"App crashes on startup LateInitializationError {number}", body=body
        )
    app.open_ticket(1703, ago=HOUR * 5, title="Dark mode colours are wrong", body="Colours.")
    app.say("alerts on new")
    app.open_ticket(1704, title="Crashes on startup: LateInitializationError after 11.3.0", body=body)
    app.run()
    [post] = app.posts()
    shown = str(post.blocks)
    assert "Seems part of *" in shown and "(3 other open tickets)" in shown
    assert "Looks like <https://github.com/acme/support/issues/170" in shown and "#1703" not in shown
