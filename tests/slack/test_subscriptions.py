"""Digest subscriptions end to end: signed slash commands to the running app, a real database, the
scheduler's `run_due` at chosen moments, and the digests arriving in the fake Slack.

The app's clock is NOW (Monday 14 April 2025, 21:07 UTC), so subscriptions are created then; the
scheduler is driven with `run_due(now)` rather than waited for. The last tests run `python -m bot
clock` and `python -m bot serve` as real processes against the fakes.
"""

from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from bot.app_runner import RunningBot, build_bot, seen_requests, start_digests
from bot.delivery.digests import Digests, config_subscriptions, digest_grace
from bot.delivery.schedule import digest_period, previous_fire
from bot.delivery.scheduler import DigestScheduler
from bot.render import validate_message
from bot.render.picker_blocks import PICKER_ACTION, PICKER_BLOCK
from bot.settings import Settings, SettingsError, load_settings
from bot.slack import messages
from bot.slack.managers import SubscriptionManagers, parse_managers
from bot.slack.poster import make_web_client
from bot.slack.serving import create_http_server, make_wsgi_app, run_in_thread
from bot.store import Store, Subscription
from tests.db_fixtures import BackendUrl
from tests.fakes.github_data import make_comment, make_issue
from tests.fakes.github_server import FakeGitHub
from tests.fakes.slack_server import FakeSlack, SlackCall
from tests.slack.conftest import NOW, AppUnderTest
from tests.slack.payloads import block_action, send_interaction
from tests.slack.signing import SECRET, TOKEN, signed_headers, slash_body

ROOT = Path(__file__).resolve().parents[2]
PENDING = (messages.subscription_pending(), messages.unsubscribe_pending())
WAIT = 30  # seconds: an upper bound for work the app does in milliseconds, never a timing assertion


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@dataclass
class DigestApp:
    """The app serving HTTP with subscriptions on a real database, and ways to drive its digests."""

    app: AppUnderTest
    store: Store
    database: BackendUrl
    _names: Iterator[int]

    @property
    def slack(self) -> FakeSlack:
        return self.app.slack

    @property
    def bot(self) -> RunningBot:
        return self.app.bot

    @property
    def settings(self) -> Settings:
        return self.app.settings

    def ack(self, text: str, *, user: str = "U1", channel: str = "C1") -> tuple[str, str]:
        """Send a signed command; (the acknowledgement as the user reads it, its response_url's name)."""
        name = f"r{next(self._names)}"
        response = self.app.command(
            text, user=user, channel=channel, response_url=self.slack.response_url(name)
        )
        assert response.status_code == 200
        ack = response.json()
        assert ack["response_type"] == "ephemeral"
        return "\n".join(block["text"]["text"] for block in ack["blocks"]), name

    def say(self, text: str, *, user: str = "U1", channel: str = "C1") -> str:
        """The answer the requester finally sees: the acknowledgement, or the follow-up it announced."""
        ack, name = self.ack(text, user=user, channel=channel)
        return self.follow_up(name).body["text"] if ack in PENDING else ack

    def follow_up(self, name: str) -> SlackCall:
        """The one ephemeral answer sent later to the response_url `name`."""
        path = f"/response/{name}"
        assert self.slack.wait_for(lambda s: any(c.path == path for c in s.calls_to("response_url")), WAIT)
        [answer] = [c for c in self.slack.calls_to("response_url") if c.path == path]
        return answer

    def subscriptions(self, channel: str | None = None) -> list[Subscription]:
        return self.store.list_subscriptions(channel)

    def scheduler(self, store: Store | None = None) -> DigestScheduler:
        """A scheduler like the app's own, posting through the app's service and poster."""
        digests = Digests(
            service=self.bot.service,
            poster=self.bot.slack.poster,
            rules=self.bot.slack.rules,
            clock=lambda: NOW,
        )
        return DigestScheduler(
            store or self.store,
            digests.post_digest,
            config_subscriptions=config_subscriptions(self.settings),
            grace=digest_grace(self.settings),
        )


StartDigestApp = Callable[..., DigestApp]


@pytest.fixture
def start_digest_app(
    fake_slack: FakeSlack, fake_github: FakeGitHub, tmp_path: Path
) -> Iterator[StartDigestApp]:
    """Start the app; keyword arguments: config (dict for the YAML file), database (a BackendUrl)."""
    running: list[tuple[Callable[[], None], RunningBot, Store]] = []

    def start(*, config: dict[str, Any] | None = None, database: BackendUrl | None = None) -> DigestApp:
        database = database or BackendUrl(name="sqlite", url=f"sqlite:///{tmp_path / 'digests.db'}")
        environ = {
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake_slack.api_url,
            "GITHUB_API_URL": fake_github.url,
            "TICKET_REPORT_REPOS": "acme/support",
        }
        if config is not None:
            path = tmp_path / "ticket-report.yml"
            path.write_text(yaml.safe_dump(config), encoding="utf-8")
            environ["TICKET_REPORT_CONFIG"] = str(path)
        settings = load_settings(environ)
        store = database.store()
        bot = build_bot(settings, clock=lambda: NOW, store=store)
        wsgi = make_wsgi_app(bot.slack.app, signing_secret=SECRET, seen=seen_requests(store))
        server = create_http_server(wsgi, host="127.0.0.1", port=0, threads=16)
        running.append((run_in_thread(server), bot, store))
        app = AppUnderTest(
            url=f"http://127.0.0.1:{server.effective_port}",
            bot=bot,
            settings=settings,
            slack=fake_slack,
            github=fake_github,
        )
        return DigestApp(app=app, store=store, database=database, _names=itertools.count(1))

    yield start
    for stop, bot, store in running:
        stop()
        bot.executor.shutdown(wait=True, cancel_futures=True)
        bot.close()
        store.close()


def posts_to(slack: FakeSlack, channel: str) -> list[SlackCall]:
    return [post for post in slack.posts() if post.body["channel"] == channel]


# Subscribing and posting ---------------------------------------------------------------------


def test_a_subscription_made_by_command_posts_its_digest_in_the_channel_once(
    start_digest_app: StartDigestApp, backend_url: BackendUrl
) -> None:
    app = start_digest_app(database=backend_url)
    answer = app.say("subscribe weekdays 09:00 Europe/Berlin")
    assert answer.startswith(
        "Subscribed this channel to a *weekdays* ticket digest at *09:00 Europe/Berlin*, "
        "covering the previous weekday (Monday's covers Friday to Sunday), on this channel's repositories."
    )
    assert "Next digest: *Tue 15 Apr 2025 09:00 CEST*" in answer
    [stored] = app.subscriptions("C1")
    assert (stored.cadence, stored.at_time, stored.timezone, stored.repos, stored.quiet) == (
        "weekdays",
        "09:00",
        "Europe/Berlin",
        (),
        False,
    )
    assert stored.created_by == "U1" and stored.created_at == NOW
    assert f"`{stored.id}`" in answer
    assert app.slack.calls_to("users.info") == []  # the zone was typed: Slack was not asked

    scheduler = app.scheduler()
    assert scheduler.run_due(utc(2025, 4, 15, 6, 59)) == []  # 08:59 in Berlin
    runs = scheduler.run_due(utc(2025, 4, 15, 7, 0, 30))
    assert [(run.key, run.fire_time, run.outcome) for run in runs] == [
        (stored.key, utc(2025, 4, 15, 7), "posted")
    ]
    posts = app.slack.posts()
    assert posts and {post.body["channel"] for post in posts} == {"C1"}
    assert "Mon 14 Apr 2025, Europe/Berlin" in str(posts[0].blocks)  # Monday, Berlin time
    assert "#685" in str(posts[0].blocks)

    assert scheduler.run_due(utc(2025, 4, 15, 7, 5)) == []
    again = app.scheduler()  # another process, or a restart: the claim holds
    assert [run.outcome for run in again.run_due(utc(2025, 4, 15, 7, 6))] == ["claimed elsewhere"]
    assert len(app.slack.posts()) == len(posts)
    [listed] = app.subscriptions("C1")
    assert listed.last_posted_at is not None and listed.last_error is None


def test_the_default_is_daily_at_0900_in_the_requesting_users_slack_timezone(
    start_digest_app: StartDigestApp,
) -> None:
    app = start_digest_app()
    app.slack.set_user_timezone("UNY", "America/New_York")
    ack, name = app.ack("subscribe", user="UNY")
    assert ack == messages.subscription_pending()  # the user's zone is not known yet: asked after the ack
    follow_up = app.follow_up(name)
    text = follow_up.body["text"]
    assert text.startswith("Subscribed this channel to a *daily* ticket digest at *09:00 America/New_York*")
    assert "covering the previous day" in text
    assert "Next digest: *Tue 15 Apr 2025 09:00 EDT*" in text
    assert follow_up.body["response_type"] == "ephemeral"

    # Now the zone is cached: the next subscription is answered in the acknowledgement itself.
    weekly = app.say("subscribe weekly quiet", user="UNY")
    assert weekly.startswith(
        "Subscribed this channel to a *weekly* ticket digest at *09:00 America/New_York*"
    )
    assert "on Mondays, covering last week (Monday to Sunday)" in weekly
    assert "Next digest: *Mon 21 Apr 2025 09:00 EDT*" in weekly
    assert "posts nothing (quiet)" in weekly
    assert len(app.slack.calls_to("users.info")) == 1
    assert [(s.cadence, s.timezone, s.quiet) for s in app.subscriptions("C1")] == [
        ("daily", "America/New_York", False),
        ("weekly", "America/New_York", True),
    ]


def test_a_subscription_may_name_repositories_allowed_in_the_channel(
    start_digest_app: StartDigestApp,
) -> None:
    app = start_digest_app(
        config={"repos": ["acme/support"], "channels": {"CPRIV": {"repos": ["acme/private", "acme/support"]}}}
    )
    answer = app.say("subscribe 08:00 UTC repo:ACME/private", channel="CPRIV")
    assert "on `acme/private`" in answer  # stored in the config's spelling
    [stored] = app.subscriptions("CPRIV")
    assert stored.repos == ("acme/private",)
    app.scheduler().run_due(utc(2025, 4, 15, 8, 0, 30))
    [post] = posts_to(app.slack, "CPRIV")
    report = str([b for b in post.blocks if b.get("block_id") != PICKER_BLOCK])  # the picker offers both
    assert "acme/private" in report and "acme/support" not in report


def test_the_same_digest_twice_is_stored_once(start_digest_app: StartDigestApp) -> None:
    app = start_digest_app()
    first = app.say("subscribe 09:00 UTC")
    again = app.say("subscribe daily 9:00 utc")
    [stored] = app.subscriptions("C1")
    assert f"`{stored.id}`" in first
    assert again == messages.already_subscribed(str(stored.id))


def test_a_period_without_activity_posts_one_line_or_nothing_when_quiet(
    start_digest_app: StartDigestApp,
) -> None:
    app = start_digest_app()
    app.say("subscribe 09:00 UTC", channel="CLOUD")
    app.say("subscribe 09:00 UTC quiet", channel="CQUIET")
    runs = app.scheduler().run_due(utc(2025, 4, 17, 9, 0, 30))  # covers Wednesday 16 April: nothing happened
    assert sorted(run.outcome for run in runs) == ["posted", "posted"]
    [line] = posts_to(app.slack, "CLOUD")
    assert line.body["text"] == "No ticket activity on Wed 16 Apr 2025 (UTC) in acme/support."
    assert posts_to(app.slack, "CQUIET") == []
    assert all(s.last_posted_at is not None for s in app.subscriptions())  # quiet counts as done


# Listing and failures ------------------------------------------------------------------------


def test_a_failed_digest_is_recorded_and_listed_while_other_channels_still_get_theirs(
    start_digest_app: StartDigestApp,
) -> None:
    app = start_digest_app(
        config={
            "repos": ["acme/support"],
            "subscriptions": [{"channel": "C1", "cadence": "weekly", "at": "08:00", "timezone": "UTC"}],
        }
    )
    app.say("subscribe 09:00 UTC", channel="CGONE")
    app.say("subscribe 09:00 Europe/Berlin", channel="C1")
    app.slack.fail_channel("CGONE", "not_in_channel")
    runs = app.scheduler().run_due(utc(2025, 4, 15, 9, 0, 30))
    assert sorted(run.outcome for run in runs) == ["failed", "posted"]
    assert posts_to(app.slack, "C1") and not posts_to(app.slack, "CGONE")

    gone = app.say("subscriptions", channel="CGONE", user="U2")
    assert gone.startswith("*Digest subscriptions in this channel* (1):")
    assert "next: Tue 15 Apr 2025 09:00 UTC" in gone  # seen from the app's clock, Monday evening
    assert ":warning: the last digest" in gone
    assert (
        "failed: I am not a member of this channel (not_in_channel); invite me with `/invite @ticket-report`"
        in gone
    )

    listed = app.say("subscriptions", channel="C1")
    assert listed.startswith("*Digest subscriptions in this channel* (2):")
    config_line, stored_line = [line for line in listed.splitlines() if line.startswith("• ")]
    assert (
        config_line
        == "• `c1` *weekly* at 08:00 UTC on this channel's repositories (declared in the config file)"
    )
    [stored] = app.subscriptions("C1")
    assert stored_line.startswith(f"• `{stored.id}` *daily* at 09:00 Europe/Berlin")
    assert "next: Mon 21 Apr 2025 08:00 UTC" in listed  # the config one, in its own zone
    assert "next: Tue 15 Apr 2025 09:00 CEST · last posted: " in listed
    assert "warning" not in listed
    assert "can only be changed there" in listed


def test_a_channel_without_subscriptions_is_told_how_to_start_one(start_digest_app: StartDigestApp) -> None:
    app = start_digest_app()
    assert app.say("subscriptions") == messages.no_subscriptions()


def test_unsubscribe_removes_by_id_or_all_and_leaves_config_ones(start_digest_app: StartDigestApp) -> None:
    app = start_digest_app(
        config={"repos": ["acme/support"], "subscriptions": [{"channel": "C1", "at": "07:00"}]}
    )
    app.say("subscribe 09:00 UTC")
    app.say("subscribe weekdays 10:00 UTC")
    app.say("subscribe 11:00 UTC", channel="C2")
    first, second = app.subscriptions("C1")

    assert app.say("unsubscribe") == messages.which_subscription([str(first.id), str(second.id)])
    assert app.say("unsubscribe c1") == messages.config_subscription_fixed("c1")
    assert app.say("unsubscribe 999") == messages.no_such_subscription(
        "999", known=["c1", str(first.id), str(second.id)]
    )
    other = app.subscriptions("C2")[0]
    assert "nothing was removed" in app.say(f"unsubscribe {other.id}")  # another channel's: not from here
    assert len(app.subscriptions()) == 3

    assert app.say(f"unsubscribe #{first.id}") == messages.unsubscribed(str(first.id))
    assert app.subscriptions("C1") == [second]
    assert app.say("unsubscribe") == messages.unsubscribed(str(second.id))  # the only one left
    app.say("subscribe 12:00 UTC")
    assert app.say("unsubscribe all") == messages.unsubscribed_all(1, config_left=1)
    assert app.subscriptions("C1") == []
    assert app.say("unsubscribe all") == messages.nothing_to_unsubscribe(config_count=1)

    runs = app.scheduler().run_due(utc(2025, 4, 15, 12, 30))
    assert sorted(run.key for run in runs) == sorted(["config:C1:daily:07:00:UTC", other.key])


# Bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("subscribe 25:00", "25:00 is not a time; use HH:MM like 09:00"),
        ("subscribe 9", "9 is not a time"),
        ("subscribe daily Mars/Olympus_Mons", "Unknown timezone 'Mars/Olympus_Mons'"),
        ("subscribe repo:acme/private", "`acme/private` may not be reported in this channel"),
        ("subscribe repo:not-a-repo", "is not a repository name"),
        ("subscribe fortnightly", "I don't understand “fortnightly” in a digest subscription"),
        ("subscribe daily weekly", "That gives two schedules, “daily” and “weekly”"),
        ("subscribe 09:00 10:00", "That gives two times"),
        ("subscribe label:bug", "I don't understand “label:bug”"),
        ("subscribe &lt;!channel&gt;", "I don't understand “&lt;!channel&gt;”"),  # as Slack escapes it
        ("unsubscribe banana", "I can't tell which digest “banana” is"),
        ("unsubscribe 1 2", "I can't tell which digest"),
        ("subscriptions please", "takes no words"),
    ],
)
def test_bad_input_is_answered_with_what_to_fix_and_changes_nothing(
    start_digest_app: StartDigestApp, text: str, fragment: str
) -> None:
    app = start_digest_app()
    app.say("subscribe 08:00 UTC")
    before = app.subscriptions()
    answer = app.say(text)
    assert fragment in answer
    if "acme/private" not in text:  # a refused repository is answered with the allowed ones instead
        assert "*Digests:*" in answer  # with the usage
    assert "<!channel>" not in answer
    assert app.subscriptions() == before
    assert app.slack.calls_to("chat.postMessage") == []


def test_a_channel_without_repositories_cannot_subscribe(start_digest_app: StartDigestApp) -> None:
    app = start_digest_app(config={"repos": ["acme/support"], "channels": {"CNONE": {"repos": []}}})
    assert app.say("subscribe 09:00 UTC", channel="CNONE") == messages.no_repos_configured()
    assert app.subscriptions() == []


# Who may change subscriptions ----------------------------------------------------------------


def test_only_the_configured_managers_and_group_members_may_change_subscriptions(
    start_digest_app: StartDigestApp, fake_slack: FakeSlack
) -> None:
    fake_slack.set_usergroup("SSUPPORT", ["UMEMBER"])
    app = start_digest_app(config={"repos": ["acme/support"], "subscription_managers": ["UBOSS", "SSUPPORT"]})
    denied = messages.not_a_subscription_manager(users=["UBOSS"], groups=["SSUPPORT"])
    assert denied.startswith("Only <@UBOSS>, <!subteam^SSUPPORT> may change")

    assert app.say("subscribe 09:00 UTC", user="UOTHER") == denied
    assert app.subscriptions() == []
    assert app.say("subscribe 09:00 UTC", user="UBOSS").startswith("Subscribed")
    assert app.say("subscribe 10:00 UTC", user="UMEMBER").startswith("Subscribed")
    assert len(app.subscriptions()) == 2
    assert app.say("unsubscribe all", user="UOTHER") == denied
    assert len(app.subscriptions()) == 2
    assert app.say("subscriptions", user="UOTHER").startswith("*Digest subscriptions in this channel* (2)")
    assert app.say("unsubscribe all", user="UMEMBER") == messages.unsubscribed_all(2, config_left=0)
    # The group's members were asked once (at start-up, or by the first command) and then cached.
    assert len(app.slack.calls_to("usergroups.users.list")) == 1


def test_a_command_arriving_while_the_start_up_lookup_is_under_way_waits_for_it(
    start_digest_app: StartDigestApp, fake_slack: FakeSlack
) -> None:
    fake_slack.set_usergroup("SSUPPORT", ["UMEMBER"])
    release = fake_slack.hold("usergroups.users.list")
    app = start_digest_app(config={"repos": ["acme/support"], "subscription_managers": ["SSUPPORT"]})
    assert fake_slack.wait_for(lambda s: s.held("usergroups.users.list") == 1, WAIT)  # start-up's lookup
    ack, name = app.ack("subscribe 09:00 UTC", user="UMEMBER")
    assert ack == messages.subscription_pending()  # the members are not known yet
    # A second lookup would arrive at once; give it the chance to, then let Slack answer.
    fake_slack.wait_for(lambda s: s.held("usergroups.users.list") > 1, 0.5)
    release.set()
    assert app.follow_up(name).body["text"].startswith("Subscribed")
    assert len(fake_slack.calls_to("usergroups.users.list")) == 1
    assert len(app.subscriptions()) == 1


def test_a_group_slack_cannot_list_denies_without_storing(start_digest_app: StartDigestApp) -> None:
    app = start_digest_app(config={"repos": ["acme/support"], "subscription_managers": ["SUNKNOWN"]})
    assert app.say("subscribe 09:00 UTC", user="U1").startswith("Only <!subteam^SUNKNOWN> may change")
    assert app.subscriptions() == []


def test_a_malformed_manager_entry_stops_start_up_naming_it(
    start_digest_app: StartDigestApp,
) -> None:
    with pytest.raises(SettingsError) as error:
        start_digest_app(config={"subscription_managers": ["@alice"]})
    assert "subscription_managers" in str(error.value) and "@alice" in str(error.value)


# Changes reach the running scheduler ---------------------------------------------------------


def wait_until(condition: Callable[[], bool]) -> bool:
    pause = threading.Event()
    for _ in range(WAIT * 100):
        if condition():
            return True
        pause.wait(0.01)
    return condition()


def test_changes_reach_the_in_process_scheduler_without_a_restart(start_digest_app: StartDigestApp) -> None:
    app = start_digest_app()
    scheduler = start_digests(app.settings, app.bot, clock=lambda: NOW)
    try:
        assert scheduler.next_runs() == {}
        app.say("subscribe 09:00 Europe/Berlin")
        [stored] = app.subscriptions()
        assert wait_until(lambda: stored.key in scheduler.next_runs())
        app.say("unsubscribe all")
        assert wait_until(lambda: stored.key not in scheduler.next_runs())
    finally:
        scheduler.shutdown()
    assert app.slack.posts() == []  # nothing was due at NOW


# Restarts ------------------------------------------------------------------------------------


def test_a_restart_posts_no_duplicate_one_catch_up_within_the_grace_and_none_beyond(
    start_digest_app: StartDigestApp, backend_url: BackendUrl
) -> None:
    app = start_digest_app(database=backend_url)
    app.say("subscribe 09:00 UTC")
    [stored] = app.subscriptions()

    first_store = backend_url.store()
    first = app.scheduler(first_store)
    assert [r.outcome for r in first.run_due(utc(2025, 4, 15, 9, 0, 30))] == ["posted"]
    first_store.close()  # the process stops; Wednesday's 09:00 passes while nothing runs

    second_store = backend_url.store()
    second = app.scheduler(second_store)
    # Back at 11:00 on Wednesday: Tuesday's is not posted again, Wednesday's is caught up once.
    assert [(r.fire_time, r.outcome) for r in second.run_due(utc(2025, 4, 16, 11))] == [
        (utc(2025, 4, 16, 9), "posted")
    ]
    assert second.run_due(utc(2025, 4, 16, 11, 5)) == []
    second_store.close()

    third_store = backend_url.store()
    try:
        # Down from Wednesday noon until Friday 15:01: Friday's 09:00 is more than 6 hours late.
        assert app.scheduler(third_store).run_due(utc(2025, 4, 18, 15, 1)) == []
    finally:
        third_store.close()

    texts = [post.body["text"] for post in posts_to(app.slack, "C1") if "thread_ts" not in post.body]
    assert len(texts) == 2
    assert texts[0].startswith("Ticket report Mon 14 Apr 2025")
    assert texts[1] == "No ticket activity on Tue 15 Apr 2025 (UTC) in acme/support."
    assert stored.key in {s.key for s in app.subscriptions()}


# Real processes ------------------------------------------------------------------------------


def _environment(
    fake_slack: FakeSlack, fake_github: FakeGitHub, tmp_path: Path, **extra: str
) -> dict[str, str]:
    return {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("SLACK_", "GITHUB_", "TICKET_REPORT_", "DATABASE_URL"))
        },
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_API_URL": fake_slack.api_url,
        "GITHUB_API_URL": fake_github.url,
        "TICKET_REPORT_REPOS": "acme/support",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'process.db'}",
        **extra,
    }


def _due_config_digest(fake_github: FakeGitHub, tmp_path: Path, channel: str) -> tuple[Subscription, Path]:
    """A config file whose daily digest fired two minutes ago (within the grace), tickets in its period."""
    now = datetime.now(UTC)
    fired = (now - timedelta(minutes=2)).replace(second=0, microsecond=0)
    subscription = Subscription.from_config(channel_id=channel, at_time=f"{fired:%H:%M}", timezone="UTC")
    assert previous_fire(subscription, now) == fired
    period = digest_period(subscription, fired)
    opened = period.start + timedelta(hours=3)
    fake_github.add_repo(
        "acme/support",
        issues=[make_issue(990, title="Digest ticket from yesterday", created_at=opened, comments=1)],
        comments=[make_comment(990, 99001, body="Same here", created_at=opened + timedelta(hours=1))],
    )
    path = tmp_path / "clock.yml"
    entry = {"channel": channel, "cadence": "daily", "at": subscription.at_time, "timezone": "UTC"}
    path.write_text(yaml.safe_dump({"repos": ["acme/support"], "subscriptions": [entry]}), encoding="utf-8")
    return subscription, path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stop(process: subprocess.Popen[bytes]) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=60)
    return process.returncode, output.decode()


def test_the_clock_process_posts_a_due_digest_and_stops_cleanly_on_sigterm(
    fake_slack: FakeSlack, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    subscription, config = _due_config_digest(fake_github, tmp_path, "CCLOCK")
    env = _environment(fake_slack, fake_github, tmp_path, TICKET_REPORT_CONFIG=str(config))
    assert "SLACK_SIGNING_SECRET" not in env  # the clock serves no requests
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "clock"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        posted = fake_slack.wait_for(lambda s: bool(posts_to(s, "CCLOCK")), timeout=120)
    finally:
        code, log = _stop(process)
    assert posted, log
    assert code == 0, log
    assert "Digest ticket from yesterday" in str(posts_to(fake_slack, "CCLOCK")[0].blocks)
    assert "stopped" in log and "Traceback" not in log
    assert TOKEN not in log
    store = Store(env["DATABASE_URL"])
    try:
        [listed] = store.list_subscriptions(config=[subscription])
        assert listed.last_posted_at is not None and listed.last_error is None
    finally:
        store.close()


def test_the_clock_needs_the_bot_token_but_not_the_signing_secret(
    fake_slack: FakeSlack, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    env = _environment(fake_slack, fake_github, tmp_path)
    del env["SLACK_BOT_TOKEN"]
    result = subprocess.run(
        [sys.executable, "-m", "bot", "clock"], cwd=ROOT, env=env, capture_output=True, timeout=120
    )
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN" in result.stderr.decode() and "SIGNING" not in result.stderr.decode()


def test_serve_runs_the_scheduler_in_process_and_stops_it_on_sigterm(
    fake_slack: FakeSlack, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    _, config = _due_config_digest(fake_github, tmp_path, "CSERVE")
    env = _environment(
        fake_slack,
        fake_github,
        tmp_path,
        TICKET_REPORT_CONFIG=str(config),
        SLACK_SIGNING_SECRET=SECRET,
        PORT=str(_free_port()),
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        posted = fake_slack.wait_for(lambda s: bool(posts_to(s, "CSERVE")), timeout=120)
    finally:
        code, log = _stop(process)
    assert posted, log
    assert code == 0, log
    assert "Scheduler has been shut down" in log and log.rstrip().endswith("stopped")
    assert "Traceback" not in log and TOKEN not in log and SECRET not in log


# The manager check on its own ----------------------------------------------------------------


class Ticks:
    """A settable monotonic clock for the membership cache."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _managers(fake_slack: FakeSlack, ticks: Ticks, **kwargs: Any) -> SubscriptionManagers:
    client = make_web_client(token=TOKEN, base_url=fake_slack.api_url)
    return SubscriptionManagers(client, ttl_seconds=600, failure_ttl_seconds=60, monotonic=ticks, **kwargs)


def test_without_managers_everyone_may_and_slack_is_never_asked(fake_slack: FakeSlack) -> None:
    managers = _managers(fake_slack, Ticks())
    assert not managers.restricted
    assert managers.cached_decision("UANY") is True and managers.allows("UANY") is True
    assert fake_slack.calls == []


def test_group_members_are_fetched_only_off_the_ack_path_and_cached(fake_slack: FakeSlack) -> None:
    fake_slack.set_usergroup("SSUP", ["UA"])
    ticks = Ticks()
    managers = _managers(fake_slack, ticks, users=["UBOSS"], groups=["SSUP"])
    assert managers.cached_decision("UBOSS") is True
    assert managers.cached_decision("UA") is None  # unknown yet, and the check did not call Slack
    assert fake_slack.calls_to("usergroups.users.list") == []
    assert managers.allows("UA") is True
    assert managers.cached_decision("UA") is True and managers.cached_decision("UB") is False
    assert [call.body["usergroup"] for call in fake_slack.calls_to("usergroups.users.list")] == ["SSUP"]

    fake_slack.set_usergroup("SSUP", ["UB"])  # membership changes; the cache holds for its TTL
    ticks.now = 599
    assert managers.cached_decision("UB") is False
    ticks.now = 601
    assert managers.cached_decision("UB") is None
    assert managers.allows("UB") is True and managers.allows("UA") is False
    assert len(fake_slack.calls_to("usergroups.users.list")) == 2


def test_a_failed_group_lookup_denies_for_a_minute_then_asks_again(fake_slack: FakeSlack) -> None:
    ticks = Ticks()
    managers = _managers(fake_slack, ticks, groups=["SGONE"])
    assert managers.allows("UA") is False  # no_such_subteam
    assert managers.cached_decision("UA") is False
    ticks.now = 61
    assert managers.cached_decision("UA") is None
    fake_slack.set_usergroup("SGONE", ["UA"])
    assert managers.allows("UA") is True


def test_manager_entries_are_user_and_group_ids() -> None:
    assert parse_managers([" U01ABC ", "W02DEF", "S03GHI", "U01ABC"]) == (("U01ABC", "W02DEF"), ("S03GHI",))
    with pytest.raises(SettingsError) as error:
        parse_managers(["U01ABC", "@alice", "#support"])
    assert "'@alice', '#support'" in str(error.value) and "subscription_managers" in str(error.value)


def test_serve_without_the_scheduler_stores_subscriptions_but_posts_nothing(
    fake_slack: FakeSlack, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    _, config = _due_config_digest(fake_github, tmp_path, "CWEB")
    port = _free_port()
    env = _environment(
        fake_slack,
        fake_github,
        tmp_path,
        TICKET_REPORT_CONFIG=str(config),
        SLACK_SIGNING_SECRET=SECRET,
        PORT=str(port),
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--no-scheduler"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        assert wait_until(lambda: _healthy(url) or process.poll() is not None) and process.poll() is None
        body = slash_body(
            "subscribe weekly 08:00 UTC", channel="CWEB", response_url=fake_slack.response_url()
        )
        ack = requests.post(url + "/slack/events", data=body, headers=signed_headers(body), timeout=10)
        assert ack.json()["text"].startswith("Subscribed this channel to a *weekly* ticket digest")
    finally:
        code, log = _stop(process)
    assert code == 0, log
    # `serve` starts its scheduler before it listens: had it started one, the log would say so by now.
    assert "Scheduler started" not in log and "not started here (--no-scheduler)" in log
    assert posts_to(fake_slack, "CWEB") == []  # the due config digest is left to `clock`
    store = Store(env["DATABASE_URL"])
    try:
        [stored] = store.list_subscriptions("CWEB")
        assert (stored.cadence, stored.at_time, stored.last_posted_at) == ("weekly", "08:00", None)
    finally:
        store.close()


def _healthy(url: str) -> bool:
    try:
        return requests.get(url + "/healthz", timeout=5).status_code == 200
    except requests.ConnectionError:
        return False


def test_a_locked_database_does_not_make_the_acknowledgement_miss_slacks_deadline(
    start_digest_app: StartDigestApp, tmp_path: Path
) -> None:
    import sqlite3

    app = start_digest_app()
    app.ack("subscriptions")  # the user's timezone and the tables are warm
    blocker = sqlite3.connect(tmp_path / "digests.db", timeout=0)
    blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        ack, name = app.ack("subscribe daily 10:00 UTC")
        assert ack in PENDING  # answered at once, not after the lock is gone
        assert app.subscriptions("C1") == []
    finally:
        blocker.rollback()
        blocker.close()
    assert "10:00" in app.follow_up(name).body["text"]
    assert len(app.subscriptions("C1")) == 1


def test_a_digest_carries_the_period_picker_and_a_choice_reruns_in_its_thread(
    start_digest_app: StartDigestApp,
) -> None:
    app = start_digest_app()
    app.say("subscribe 09:00 UTC")
    runs = app.scheduler().run_due(utc(2025, 4, 15, 9, 0, 30))  # Monday 14 April's digest
    assert [run.outcome for run in runs] == ["posted"]
    digest = app.slack.posts()
    first_ts = digest[0].body["ts"]
    carriers = [p for p in digest if any(b.get("block_id") == PICKER_BLOCK for b in p.blocks)]
    assert carriers == [digest[-1]]  # one picker, at the digest's end
    validate_message({"text": carriers[0].body["text"], "blocks": carriers[0].blocks})
    (block,) = [b for b in carriers[0].blocks if b.get("block_id") == PICKER_BLOCK]
    options = {o["text"]["text"]: o["value"] for o in block["elements"][0]["options"]}

    chosen = {"value": options["Today"]}
    action = {"type": "static_select", "action_id": PICKER_ACTION, "selected_option": chosen}
    payload = block_action(user="U7", action=action, channel="C1", message={"ts": first_ts})
    payload["response_url"] = app.slack.response_url("pick")
    assert send_interaction(app.app, payload).status_code == 200
    assert app.slack.wait_for(lambda s: len(s.posts()) > len(digest), WAIT)
    rerun = app.slack.posts()[len(digest) :]
    assert {p.body.get("thread_ts") for p in rerun} == {first_ts}  # in the digest's thread, not the channel
