"""Digests whose process died, failed, or lost Slack's answer: posted once, retried while safe, and what
is uncertain recorded and shown, never posted twice.

A process killed with SIGKILL (a real subprocess on the test's database) while it builds a digest, or
while it sends one; a second scheduler takes the claim over once its lease ran out. Time is the
schedulers' own clock, passed in: no test waits for a lease to run out.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.delivery.digests import DigestError, Digests
from bot.delivery.ids import Delivery, NotDelivered
from bot.delivery.scheduler import DigestScheduler
from bot.report.options import ReportOptions
from bot.service import ReportService
from bot.slack import messages
from bot.slack.access import ChannelRules
from bot.slack.poster import SlackPoster, make_web_client
from bot.sources.github import GitHubSource
from bot.store import Store, Subscription
from tests.db_fixtures import (  # noqa: F401 - fixtures
    BackendUrl,
    PgTarget,
    backend_url_fixture,
    pg_target_fixture,
    sqlite_url_fixture,
    store_fixture,
)
from tests.fakes.github_server import FakeGitHub
from tests.fakes.slack_server import FakeSlack
from tests.slack.conftest import support_issues

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "xoxb-takeover-test-token"
FIRE = datetime(2025, 4, 15, 9, 0, tzinfo=UTC)  # a daily 09:00 UTC digest, covering 14 April
LEASE = timedelta(minutes=10)
CREATED = datetime(2025, 4, 1, tzinfo=UTC)
PERIOD_START = datetime(2025, 4, 14, tzinfo=UTC)  # of the digest fired at FIRE


def at(minutes: float) -> datetime:
    return FIRE + timedelta(minutes=minutes)


class Clock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


class Poster:
    """A `post_digest` that posts (records) after passing the delivery's gate, or raises `errors` first."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.posts: list[tuple[str, datetime, str]] = []  # (key, fire time, delivery id)
        self.found: dict[str, str] = {}  # delivery id -> ts, for find_digest

    def __call__(self, subscription: Subscription, fire_time: datetime, delivery: Delivery) -> str | None:
        if self.errors:
            raise self.errors.pop(0)
        if not delivery.begin():
            return None
        self.posts.append((subscription.key, fire_time, delivery.id))
        return f"1744707600.{len(self.posts):06d}"

    def find_digest(self, subscription: Subscription, delivery_id: str, *, since: datetime) -> str | None:
        return self.found.get(delivery_id)


def run(scheduler: DigestScheduler, clock: Clock, minutes: float) -> list:
    """The scheduler's periodic check at `minutes` after the fire, its clock showing that time too."""
    clock.moment = at(minutes)
    return scheduler.run_due(clock.moment)


def subscribe(store: Store) -> Subscription:
    return store.add_subscription(
        channel_id="C1", cadence="daily", at_time="09:00", timezone="UTC", created_by="U1", now=CREATED
    )


def scheduler(store: Store, poster: Poster, clock: Clock, name: str) -> DigestScheduler:
    return DigestScheduler(
        store, poster, now=clock, instance_name=name, find_digest=poster.find_digest, lease=LEASE
    )


# Retries of failures before anything was sent ------------------------------------------------


def test_a_digest_that_failed_before_posting_is_retried_with_backoff_within_the_grace(store: Store):
    sub = subscribe(store)
    github_down = DigestError("GitHub is not answering", retry=True)
    poster = Poster(github_down, DigestError("GitHub is not answering", retry=True))
    clock = Clock(at(1))
    ours = scheduler(store, poster, clock, "a")
    assert [r.outcome for r in run(ours, clock, 1)] == ["retrying"]
    [listed] = store.list_subscriptions("C1")
    assert (listed.last_state, listed.next_attempt_at) == ("failed", at(2))

    assert run(ours, clock, 1.5) == []  # not yet due
    assert [r.outcome for r in run(ours, clock, 2)] == ["retrying"]  # failed again: two minutes on
    assert store.list_subscriptions("C1")[0].next_attempt_at == at(4)

    # Any process may retry it: another one posts it, once.
    theirs = scheduler(store, poster, clock, "b")
    assert [r.outcome for r in run(theirs, clock, 4)] == ["posted"]
    assert [(key, fire) for key, fire, _ in poster.posts] == [(sub.key, FIRE)]
    claim = store.claims.get(sub.key, PERIOD_START)
    assert (claim.state, claim.attempts, claim.owner) == ("posted", 3, "b")
    assert run(ours, clock, 30) == [] and len(poster.posts) == 1


def test_retries_stop_when_the_grace_window_closes_and_say_so(store: Store):
    subscribe(store)
    poster = Poster(*[DigestError("GitHub: rate limit reached", retry=True) for _ in range(20)])
    clock = Clock(at(0))
    ours = DigestScheduler(store, poster, now=clock, instance_name="a", grace=timedelta(minutes=10))
    outcomes = []
    for minute in range(0, 20):
        clock.moment = at(minute)
        outcomes += [r.outcome for r in ours.run_due(at(minute))]
    assert outcomes == ["retrying", "retrying", "retrying", "failed"]  # at 0, 1, 3 and 7 minutes
    [listed] = store.list_subscriptions("C1")
    assert (listed.last_state, listed.next_attempt_at) == ("failed", None)
    assert listed.last_error == "GitHub: rate limit reached"
    assert poster.posts == []


def test_a_refusal_that_will_not_pass_is_not_retried(store: Store):
    subscribe(store)
    poster = Poster(DigestError(messages.digest_not_in_channel("not_in_channel")))
    ours = DigestScheduler(store, poster, now=Clock(at(0)), instance_name="a")
    assert [r.outcome for r in ours.run_due(at(0))] == ["failed"]
    assert ours.run_due(at(60)) == []
    assert store.list_subscriptions("C1")[0].next_attempt_at is None


def test_an_expected_failure_is_one_log_line_without_a_traceback(store: Store, caplog):
    subscribe(store)
    poster = Poster(DigestError(messages.digest_not_in_channel("not_in_channel")))
    with caplog.at_level(logging.INFO, logger="bot"):
        DigestScheduler(store, poster, now=Clock(at(0)), instance_name="a").run_due(at(0))
    failures = [r for r in caplog.records if "not posted" in r.getMessage()]
    assert len(failures) == 1
    assert failures[0].levelno == logging.WARNING and failures[0].exc_info is None
    assert not any(r.exc_info for r in caplog.records)


# A process that died -------------------------------------------------------------------------


def test_a_claim_whose_builder_died_is_taken_over_after_its_lease_within_the_grace(store: Store):
    sub = subscribe(store)
    period_start = PERIOD_START
    # The process that claimed it at 09:00:30 died while building: a claim in state "claimed".
    store.claims.claim(
        sub.key, period_start=period_start, fire_time=FIRE, owner="dead", now=at(0.5), lease=LEASE
    )
    poster = Poster()
    clock = Clock(at(5))
    ours = scheduler(store, poster, clock, "a")
    assert [r.outcome for r in run(ours, clock, 5)] == ["claimed elsewhere"]  # the lease still holds
    assert [r.outcome for r in run(ours, clock, 11)] == ["posted"]
    assert len(poster.posts) == 1


def test_a_claim_whose_builder_died_too_late_to_post_is_shown_as_skipped(store: Store):
    sub = subscribe(store)
    store.claims.claim(
        sub.key, period_start=PERIOD_START, fire_time=FIRE, owner="dead", now=at(0), lease=LEASE
    )
    poster = Poster()
    late = at(7 * 60)  # the default grace is six hours
    runs = scheduler(store, poster, Clock(late), "a").resume_claims(late)
    assert [r.outcome for r in runs] == ["failed"]
    [listed] = store.list_subscriptions("C1")
    assert listed.last_state == "failed" and "more than 6 hours late" in listed.last_error
    assert poster.posts == []


@pytest.mark.parametrize("in_channel", [True, False])
def test_a_claim_whose_sender_died_is_looked_for_and_never_sent_again(store: Store, in_channel: bool):
    sub = subscribe(store)
    period_start = PERIOD_START
    claim = store.claims.claim(
        sub.key,
        period_start=period_start,
        fire_time=FIRE,
        owner="dead",
        now=at(0),
        lease=LEASE,
        delivery_id="d1",
    )
    assert store.claims.begin_posting(claim, now=at(1), lease=LEASE)
    poster = Poster()
    if in_channel:
        poster.found["d1"] = "1744707600.000042"
    runs = scheduler(store, poster, Clock(at(12)), "a").resume_claims(at(12))
    assert [r.outcome for r in runs] == (["posted"] if in_channel else ["unconfirmed"])
    assert poster.posts == []  # never sent again
    settled = store.claims.get(sub.key, period_start)
    [listed] = store.list_subscriptions("C1")
    if in_channel:
        assert (settled.state, settled.message_ts) == ("posted", "1744707600.000042")
    else:
        assert settled.state == listed.last_state == "unconfirmed"
        assert "look in the channel" in listed.last_error
        entry = messages.subscription_entry(
            ident="1", cadence="daily", at_time="09:00", timezone="UTC", repos=(), quiet=False,
            from_config=False, next_fire=at(24 * 60), error=listed.last_error, error_at=listed.last_error_at,
            state=listed.last_state,
        )  # fmt: skip
        assert "could not be confirmed" in entry
    later = scheduler(store, poster, Clock(at(60)), "b").run_due(at(60))
    assert [r.outcome for r in later] == ["claimed elsewhere"] and poster.posts == []


def test_a_builder_whose_claim_was_taken_over_does_not_post(store: Store):
    """A slow builder outlived its lease and another process took over: only one of them sends."""
    sub = subscribe(store)
    clock = Clock(at(0))
    taken: list[str] = []

    def slow(subscription: Subscription, fire_time: datetime, delivery: Delivery) -> str | None:
        # While this one builds, its lease runs out and process b takes the digest over and posts it.
        clock.moment = at(11)
        runs = scheduler(store, other, Clock(at(11)), "b").resume_claims(at(11))
        taken.extend(r.outcome for r in runs)
        return "9.9" if delivery.begin() else None

    other = Poster()
    ours = DigestScheduler(store, slow, now=clock, instance_name="a", lease=LEASE)
    assert [r.outcome for r in ours.run_due(at(0))] == ["claimed elsewhere"]
    assert taken == ["posted"] and len(other.posts) == 1
    assert store.claims.get(sub.key, PERIOD_START).owner == "b"


# Killed with SIGKILL, on the test's database ---------------------------------------------------

CHILD = """
import os, sys, time
from datetime import datetime
from bot.delivery.scheduler import DigestScheduler
from bot.store import Store

url, schema, stage, flag = sys.argv[1], sys.argv[2] or None, sys.argv[3], sys.argv[4]
now = datetime.fromisoformat(sys.argv[5])
store = Store(url, schema=schema)

def post(subscription, fire_time, delivery):
    if stage == "posting":
        assert delivery.begin()
    with open(flag, "w") as handle:
        handle.write(delivery.id)
    time.sleep(600)  # building (or sending) until killed

DigestScheduler(store, post, now=lambda: now, instance_name="doomed").run_due(now)
"""


def _kill_while(stage: str, target: BackendUrl, tmp_path: Path) -> str:
    """Run a scheduler process until it is `stage` ("building" or "posting") a digest, kill -9 it;
    the delivery id it was using."""
    flag = tmp_path / "flag"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, target.url, target.schema or "", stage, str(flag), at(0.5).isoformat()],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(600):
            if flag.exists() and flag.read_text():
                break
            if child.poll() is not None:
                raise AssertionError(child.stdout.read().decode() if child.stdout else "child exited")
            subprocess.run(["sleep", "0.05"], check=True)
        else:
            raise AssertionError("the child never reached the digest")
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    return flag.read_text()


@pytest.fixture
def pg_backend(pg_target: PgTarget) -> BackendUrl:
    return BackendUrl(name="postgresql", url=pg_target.url, schema=pg_target.schema)


def test_a_digest_whose_process_was_killed_while_building_is_posted_by_another_process(
    pg_backend: BackendUrl, tmp_path: Path
):
    setup = pg_backend.store()
    sub = subscribe(setup)
    setup.close()
    _kill_while("building", pg_backend, tmp_path)

    store = pg_backend.store()
    try:
        claim = store.claims.get(sub.key, PERIOD_START)
        assert (claim.state, claim.owner) == ("claimed", "doomed")
        poster = Poster()
        assert [r.outcome for r in scheduler(store, poster, Clock(at(5)), "b").run_due(at(5))] == [
            "claimed elsewhere"
        ]
        # Another process once the lease ran out; a restart of the first would do the same.
        assert [r.outcome for r in scheduler(store, poster, Clock(at(11)), "c").run_due(at(11))] == ["posted"]
        assert [r.outcome for r in scheduler(store, poster, Clock(at(12)), "d").run_due(at(12))] == [
            "claimed elsewhere"
        ]
        assert len(poster.posts) == 1
        assert store.list_subscriptions("C1")[0].last_state == "posted"
    finally:
        store.close()


def test_a_digest_whose_process_was_killed_while_sending_is_found_in_the_channel_not_sent_again(
    pg_backend: BackendUrl, tmp_path: Path
):
    setup = pg_backend.store()
    sub = subscribe(setup)
    setup.close()
    delivery_id = _kill_while("posting", pg_backend, tmp_path)

    store = pg_backend.store()
    try:
        assert store.claims.get(sub.key, PERIOD_START).state == "posting"
        poster = Poster()
        poster.found[delivery_id] = "1744707600.000777"  # Slack had it when the process died
        assert [r.outcome for r in scheduler(store, poster, Clock(at(12)), "b").run_due(at(12))] == ["posted"]
        assert poster.posts == []
        assert store.claims.get(sub.key, PERIOD_START).message_ts == "1744707600.000777"
    finally:
        store.close()


# Through the real poster and the fake Slack --------------------------------------------------


@pytest.fixture
def wired(tmp_path: Path) -> Iterator[tuple[Store, FakeSlack, Digests]]:
    with FakeGitHub() as github, FakeSlack(token=TOKEN) as slack:
        issues, comments = support_issues()
        github.add_repo("acme/support", issues=issues, comments=comments)
        source = GitHubSource(token=None, base_url=github.url)
        store = Store(f"sqlite:///{tmp_path / 'digests.db'}")
        poster = SlackPoster(make_web_client(token=TOKEN, base_url=slack.api_url), settle_seconds=0)
        digests = Digests(
            service=ReportService(source=source, options=ReportOptions()),
            poster=poster,
            rules=ChannelRules(default_repos=("acme/support",), channel_repos={}),
            clock=lambda: FIRE,
        )
        try:
            yield store, slack, digests
        finally:
            source.close()
            store.close()


def _scheduler(store: Store, digests: Digests, moment: datetime) -> DigestScheduler:
    return DigestScheduler(
        store, digests.post_digest, now=lambda: moment, instance_name="a", find_digest=digests.find_digest
    )


def test_a_digest_whose_answer_slack_lost_is_posted_once_and_recorded_as_posted(wired):
    store, slack, digests = wired
    sub = subscribe(store)
    slack.lose_answers(1, status=500)
    assert [r.outcome for r in _scheduler(store, digests, at(1)).run_due(at(1))] == ["posted"]
    [message] = [m for m in slack.messages("C1") if "thread_ts" not in m]
    claim = store.claims.get(sub.key, PERIOD_START)
    assert (claim.state, claim.message_ts) == ("posted", message["ts"])
    assert message["metadata"]["event_payload"]["delivery_id"] == claim.delivery_id
    assert len([c for c in slack.calls_to("chat.postMessage") if "thread_ts" not in c.body]) == 1


def test_a_digest_that_cannot_be_confirmed_is_shown_unconfirmed_and_not_posted_again(wired):
    store, slack, digests = wired
    subscribe(store)
    slack.fail_history("missing_scope")
    slack.lose_answers(1, status=500)
    assert [r.outcome for r in _scheduler(store, digests, at(1)).run_due(at(1))] == ["unconfirmed"]
    assert [r.outcome for r in _scheduler(store, digests, at(30)).run_due(at(30))] == ["claimed elsewhere"]
    assert len([m for m in slack.messages("C1") if "thread_ts" not in m]) == 1
    [listed] = store.list_subscriptions("C1")
    assert listed.last_state == "unconfirmed"
    assert "Slack did not confirm it (Slack answered HTTP 500" in listed.last_error
    assert "missing_scope" in listed.last_error and "<html>" not in listed.last_error
    json.dumps(listed.last_error)  # plain text


def test_a_not_delivered_error_keeps_retry_off_when_something_may_be_in_slack():
    error = NotDelivered("x", retry=True, unconfirmed=True)
    assert (error.retry, error.unconfirmed) == (False, True)
