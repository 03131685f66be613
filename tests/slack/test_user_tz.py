"""Each user's timezone from users.info: cached, and the configured zone whenever Slack cannot say."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from zoneinfo import ZoneInfo

import pytest

from bot.slack.poster import make_web_client
from bot.slack.user_tz import UserTimezones
from tests.fakes.slack_server import FakeSlack
from tests.slack.signing import TOKEN

DEFAULT = ZoneInfo("America/Chicago")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack(token=TOKEN) as fake:
        yield fake


def _zones(slack: FakeSlack, clock: Clock, *, token: str = TOKEN) -> UserTimezones:
    client = make_web_client(token=token, base_url=slack.api_url)
    return UserTimezones(client, default=DEFAULT, ttl_seconds=600, failure_ttl_seconds=60, monotonic=clock)


def test_the_users_zone_is_looked_up_once_and_cached(slack: FakeSlack) -> None:
    clock = Clock()
    zones = _zones(slack, clock)
    slack.set_user_timezone("U1", "Asia/Tokyo")
    assert zones.cached("U1") is None
    assert zones.get("U1") == ZoneInfo("Asia/Tokyo")
    assert zones.cached("U1") == ZoneInfo("Asia/Tokyo")
    assert zones.get("U1") == ZoneInfo("Asia/Tokyo")
    assert len(slack.calls_to("users.info")) == 1
    assert slack.calls_to("users.info")[0].body["user"] == "U1"


def test_the_cache_expires(slack: FakeSlack) -> None:
    clock = Clock()
    zones = _zones(slack, clock)
    slack.set_user_timezone("U1", "Asia/Tokyo")
    zones.get("U1")
    slack.set_user_timezone("U1", "Europe/Lisbon")
    clock.now += 601
    assert zones.cached("U1") is None
    assert zones.get("U1") == ZoneInfo("Europe/Lisbon")


def test_cached_never_calls_slack(slack: FakeSlack) -> None:
    zones = _zones(slack, Clock())
    assert zones.cached("U1") is None
    assert slack.calls == []


@pytest.mark.parametrize("zone", [None, "", "Not/AZone", "localtime"])
def test_a_missing_or_unknown_zone_falls_back_to_the_default(slack: FakeSlack, zone: str | None) -> None:
    slack.set_user_timezone("U1", zone)
    assert _zones(slack, Clock()).get("U1") == DEFAULT


def test_a_failed_lookup_falls_back_and_is_retried_after_a_short_while(slack: FakeSlack) -> None:
    clock = Clock()
    zones = _zones(slack, clock)
    assert zones.get("BOGUS") == DEFAULT  # the fake answers user_not_found
    assert zones.get("BOGUS") == DEFAULT
    assert len(slack.calls_to("users.info")) == 1
    clock.now += 61
    zones.get("BOGUS")
    assert len(slack.calls_to("users.info")) == 2


def test_a_rejected_token_falls_back_without_raising(slack: FakeSlack) -> None:
    assert _zones(slack, Clock(), token="xoxb-wrong").get("U1") == DEFAULT


def test_slack_unreachable_falls_back_without_raising() -> None:
    client = make_web_client(token=TOKEN, base_url="http://127.0.0.1:9/api/")  # nothing listens on port 9
    assert UserTimezones(client, default=DEFAULT).get("U1") == DEFAULT


def test_the_cache_is_bounded(slack: FakeSlack) -> None:
    client = make_web_client(token=TOKEN, base_url=slack.api_url)
    zones = UserTimezones(client, default=DEFAULT, max_entries=2, monotonic=Clock())
    for user in ("U1", "U2", "U3"):
        zones.get(user)
    assert zones.cached("U1") is None
    assert zones.cached("U3") is not None


def test_two_commands_of_one_user_at_once_share_one_lookup(slack: FakeSlack) -> None:
    zones = _zones(slack, Clock())
    slack.set_user_timezone("U1", "Asia/Tokyo")
    release = slack.hold("users.info")
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(zones.get, "U1")
        assert slack.wait_for(lambda s: s.held("users.info") == 1, 30)
        second = pool.submit(zones.get, "U1")
        slack.wait_for(lambda s: s.held("users.info") > 1, 0.5)  # a second lookup would arrive at once
        release.set()
        assert first.result(30) == second.result(30) == ZoneInfo("Asia/Tokyo")
    assert len(slack.calls_to("users.info")) == 1
