"""The App Home tab end to end: signed app_home_opened events, views.publish to the fake Slack, the
access rule (only repositories of the viewer's own channels), the once-a-minute refresh, Details."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest

from bot.render.home_blocks import BUILD_REPORT_ACTION, HOME_DETAILS_ACTION, LOADING
from bot.render.view_limits import view_problems
from bot.slack.home import HomeTab
from bot.slack.viewer import Viewers
from bot.store import Store
from tests.slack.conftest import HOSTILE_TITLE, NOW, AppUnderTest, StartApp
from tests.slack.payloads import block_action, home_opened, send_interaction

CONFIG = {
    "repos": ["acme/support"],
    "channels": {"CPRIV": {"repos": ["acme/private"]}},
}


@pytest.fixture
def store(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'home.db'}")
    yield store
    store.close()


def _published(app: AppUnderTest, user: str = "U1") -> list[dict]:
    return [c.body["view"] for c in app.slack.calls_to("views.publish") if c.body.get("user_id") == user]


def _text(view: dict) -> str:
    return json.dumps(view, ensure_ascii=False)


def _open_home(app: AppUnderTest, user: str = "U1", *, views: int = 2) -> dict:
    """Open the Home tab as `user`; the last view published once `views` have been."""
    assert home_opened(app, user=user, event_id=f"Ev{user}").status_code == 200
    assert app.slack.wait_for(lambda s: len(_published(app, user)) >= views)
    return _published(app, user)[-1]


def _repos_fetched(app: AppUnderTest) -> set[str]:
    return {"/".join(r.path.split("/")[2:4]) for r in app.github.requests if r.path.startswith("/repos/")}


def test_opening_home_publishes_a_loading_view_then_the_waiting_tickets_and_the_week(
    start_app: StartApp,
) -> None:
    app = start_app(config=CONFIG)
    app.slack.set_member_channels("U1", [("C1", "support")])
    _open_home(app)
    loading, real = _published(app)
    assert LOADING in _text(loading)
    assert view_problems(loading) == [] and view_problems(real) == []
    text = _text(real)
    # #687 waits (only a community comment); #685 has the team's answer and #686 is closed.
    assert "#687" in text and "#685 " not in text and "#686" not in text
    assert "within the 24h target" in text
    assert "This week" in text and "active" in text
    buttons = [b["accessory"] for b in real["blocks"] if b.get("accessory", {}).get("type") == "button"]
    assert [b["action_id"] for b in buttons] == [f"{HOME_DETAILS_ACTION}:0"]
    assert json.loads(buttons[0]["value"]) == {"repo": "acme/support", "number": 687}
    assert BUILD_REPORT_ACTION in text
    assert "<!channel>" not in text and "<@U123>" not in text  # the hostile title is inert
    assert HOSTILE_TITLE not in text


def test_home_shows_only_repositories_of_channels_the_viewer_is_a_member_of(start_app: StartApp) -> None:
    app = start_app(config={"channels": CONFIG["channels"]}, env={"TICKET_REPORT_REPOS": ""})
    app.slack.set_member_channels("U1", [("CGENERAL", "general")])  # default repositories: none
    app.slack.set_member_channels("U2", [("CPRIV", "private")])
    mine = _text(_open_home(app, "U1"))
    assert "acme/private" not in mine and "#687" not in mine
    assert "None of your channels may report on a repository" in mine
    assert BUILD_REPORT_ACTION not in mine
    assert app.github.requests == []
    theirs = _text(_open_home(app, "U2"))
    assert "acme/private" in theirs and "#687" in theirs
    assert _repos_fetched(app) == {"acme/private"}


def test_home_asks_slack_for_the_viewers_own_channels(start_app: StartApp) -> None:
    app = start_app(config=CONFIG)
    app.slack.set_member_channels("U1", [("C1", "support")])
    _open_home(app)
    asked = [c.body for c in app.slack.calls_to("users.conversations")]
    assert {"user": "U1"}.items() <= asked[0].items()
    assert set(asked[0]["types"].split(",")) == {"public_channel", "private_channel"}


def test_a_failed_membership_lookup_shows_no_tickets_and_says_why(start_app: StartApp) -> None:
    app = start_app(config=CONFIG)
    app.slack.fail_method("users.conversations", "missing_scope")
    text = _text(_open_home(app))
    assert "missing_scope" in text and "channels:read" in text
    assert "#687" not in text and app.github.requests == []


def test_home_lists_the_digests_of_the_viewers_channels_with_their_next_run(
    start_app: StartApp, store: Store
) -> None:
    store.add_subscription(
        channel_id="C1", cadence="weekdays", at_time="09:00", timezone="Europe/Berlin", created_by="U9"
    )
    store.add_subscription(
        channel_id="CPRIV", cadence="daily", at_time="08:00", timezone="UTC", created_by="U9"
    )
    app = start_app(config=CONFIG, store=store)
    app.slack.set_member_channels("U1", [("C1", "support")])
    text = _text(_open_home(app))
    assert "<#C1>" in text and "weekdays at 09:00" in text
    assert "next: Tue 15 Apr 09:00, Europe/Berlin" in text  # NOW is Monday 21:07 UTC
    assert "<#CPRIV>" not in text


def test_home_is_rebuilt_at_most_once_a_minute_per_user(start_app: StartApp) -> None:
    app = start_app(config=CONFIG)
    app.slack.set_member_channels("U1", [("C1", "support")])
    parts = app.bot.slack
    seconds = [0.0]
    home = HomeTab(
        client=parts.client,
        viewers=Viewers(parts.client, parts.rules, monotonic=lambda: seconds[0]),
        service=app.bot.service,
        timezones=parts.timezones,
        poster=parts.poster,
        response_target=timedelta(hours=24),
        clock=lambda: NOW,
        monotonic=lambda: seconds[0],
    )
    opened = {"event": {"type": "app_home_opened", "user": "U1", "tab": "home"}}
    home.on_opened(opened)
    assert len(_published(app)) == 2  # loading, then the view
    seconds[0] = 59.0
    home.on_opened(opened)
    assert len(_published(app)) == 2
    seconds[0] = 61.0
    home.on_opened(opened)
    assert len(_published(app)) == 3  # rebuilt, without a loading view in between
    assert LOADING not in _text(_published(app)[-1])
    home.on_opened({"event": {"type": "app_home_opened", "user": "U1", "tab": "messages"}})
    assert len(_published(app)) == 3


def _details(app: AppUnderTest, *, repo: str, number: int, user: str = "U1"):
    action = {
        "type": "button",
        "action_id": f"{HOME_DETAILS_ACTION}:0",
        "value": json.dumps({"repo": repo, "number": number}),
    }
    response = send_interaction(
        app, block_action(user=user, action=action, view={"id": "VHOME", "type": "home"})
    )
    assert response.status_code == 200


def test_details_on_home_sends_the_tickets_story_as_a_direct_message(
    start_app: StartApp, store: Store
) -> None:
    app = start_app(config=CONFIG, store=store)
    app.slack.set_member_channels("U1", [("C1", "support")])
    _open_home(app)
    _details(app, repo="acme/support", number=687)
    assert app.slack.wait_for(lambda s: any(c.body["channel"] == "DU1" for c in s.posts()))
    (post,) = [c for c in app.slack.posts() if c.body["channel"] == "DU1"]
    assert "#687" in json.dumps(post.blocks)
    assert app.slack.calls_to("conversations.open")[0].body["users"] == "U1"


def test_details_on_home_for_a_repository_of_no_channel_of_the_viewer_is_refused(
    start_app: StartApp, store: Store
) -> None:
    app = start_app(config=CONFIG, store=store)
    app.slack.set_member_channels("U1", [("C1", "support")])
    app.github.clear_requests()
    _details(app, repo="acme/private", number=687)
    assert app.slack.wait_for(lambda s: any(c.body["channel"] == "DU1" for c in s.posts()))
    (post,) = [c for c in app.slack.posts() if c.body["channel"] == "DU1"]
    assert "not reported in any channel you are in" in post.body["text"]
    assert "acme/private" not in _repos_fetched(app)


def test_a_busy_report_pool_does_not_hold_up_the_loading_view(start_app: StartApp) -> None:
    app = start_app(config=CONFIG)
    app.slack.set_member_channels("U1", [("C1", "support")])
    release = threading.Event()
    busy = [app.bot.executor.submit(release.wait, 30) for _ in range(32)]  # every worker taken, more queued
    try:
        assert home_opened(app, user="U1", event_id="EvBusy").status_code == 200
        assert app.slack.wait_for(lambda s: len(_published(app)) >= 1, 5)
        assert LOADING in _text(_published(app)[0])  # the tab shows something while reports run
        assert len(_published(app)) == 1  # the real view waits its turn on the report pool
    finally:
        release.set()
    assert all(job.result(timeout=30) for job in busy)
    assert app.slack.wait_for(lambda s: len(_published(app)) >= 2)
    assert LOADING not in _text(_published(app)[-1])


@pytest.mark.parametrize(
    "value",
    [
        {"repo": "acme/support", "number": 10**30},
        {"repo": "acme/support", "number": True},
        {"repo": "acme/support", "number": 1.5},
        {"repo": "acme/support", "number": -3},
        {"repo": "not a repo", "number": 5},
        "nonsense",
    ],
)
def test_a_home_details_value_the_bot_could_not_have_written_is_out_of_date(
    start_app: StartApp, store: Store, value: object
) -> None:
    app = start_app(config=CONFIG, store=store)
    app.slack.set_member_channels("U1", [("C1", "support")])
    app.github.clear_requests()
    action = {
        "type": "button",
        "action_id": f"{HOME_DETAILS_ACTION}:0",
        "value": value if isinstance(value, str) else json.dumps(value),
    }
    payload = block_action(user="U1", action=action, view={"id": "VH", "type": "home"})
    assert send_interaction(app, payload).status_code == 200
    assert app.slack.wait_for(lambda s: any(c.body["channel"] == "DU1" for c in s.posts()))
    (post,) = [c for c in app.slack.posts() if c.body["channel"] == "DU1"]
    assert "out of date" in post.body["text"]
    assert app.github.requests == []  # nothing fetched for it
