"""The store on SQLite and PostgreSQL: subscriptions, exactly-once claims, drill-down records."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from bot.delivery.schedule import ScheduleError
from bot.store import Store, Subscription, SubscriptionExists, normalize_database_url, subscriptions
from tests.db_fixtures import (  # noqa: F401 - fixtures
    BackendUrl,
    backend_url_fixture,
    pg_target_fixture,
    sqlite_url_fixture,
    store_fixture,
)

T0 = datetime(2025, 4, 14, 9, 0, tzinfo=UTC)


def add(store: Store, channel: str = "C1", **overrides) -> Subscription:
    values = {
        "channel_id": channel,
        "cadence": "weekdays",
        "at_time": "09:00",
        "timezone": "Europe/Berlin",
        "repos": ["octo/support"],
        "created_by": "U1",
        "now": T0,
    } | overrides
    return store.add_subscription(**values)


def rows(store: Store) -> list[tuple]:
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(subscriptions).order_by(subscriptions.c.id))]


# Subscriptions -------------------------------------------------------------------------------


def test_a_subscription_is_stored_normalised_and_listed(store):
    added = add(store, cadence="Weekdays", at_time="9:00", timezone="europe/berlin", quiet=True)
    assert added == Subscription(
        id=added.id,
        channel_id="C1",
        cadence="weekdays",
        at_time="09:00",
        timezone="Europe/Berlin",
        repos=("octo/support",),
        quiet=True,
        created_by="U1",
        created_at=T0,
        source="command",
    )
    assert added.key == f"db:{added.id}"
    assert store.list_subscriptions("C1") == [added]
    assert store.get_subscription(added.key) == added


def test_subscriptions_survive_a_new_store_on_the_same_database(backend_url: BackendUrl):
    first = backend_url.store()
    added = add(first)
    first.close()
    second = backend_url.store()
    try:
        assert second.list_subscriptions() == [added]
    finally:
        second.close()


def test_listing_is_per_channel_and_includes_config_subscriptions(store):
    mine = add(store, "C1")
    add(store, "C2")
    declared = Subscription.from_config(channel_id="C1", cadence="weekly", at_time="08:00", timezone="UTC")
    elsewhere = Subscription.from_config(channel_id="C9")
    listed = store.list_subscriptions("C1", config=[declared, elsewhere])
    assert listed == [declared, mine]
    assert declared.key == "config:C1:weekly:08:00:UTC"
    assert declared.source == "config" and declared.id is None


def test_removing_one_subscription_needs_the_right_channel(store):
    first = add(store, "C1")
    second = add(store, "C1", at_time="10:00")
    assert store.remove_subscription("C2", first.id) is False
    assert store.remove_subscription("C1", first.id) is True
    assert store.remove_subscription("C1", first.id) is False
    assert store.list_subscriptions("C1") == [second]


def test_remove_all_removes_only_that_channels_subscriptions(store):
    add(store, "C1")
    add(store, "C1", cadence="daily")
    other = add(store, "C2")
    assert store.remove_all("C1") == 2
    assert store.remove_all("C1") == 0
    assert store.list_subscriptions() == [other]


def test_a_removed_subscriptions_id_is_never_reused(store):
    """Claims are keyed by "db:<id>": a new subscription must not inherit a removed one's claims."""
    first = add(store)
    store.claim_digest(first.key, period_start=T0, by="test")
    store.remove_subscription("C1", first.id)
    second = add(store)
    assert second.id != first.id
    assert store.claim_digest(second.key, period_start=T0, by="test") is True


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"at_time": "25:00"}, "25:00 is not a time; use HH:MM like 09:00"),
        ({"timezone": "Mars/Base"}, "Unknown timezone 'Mars/Base'"),
        ({"cadence": "hourly"}, "'hourly' is not a schedule"),
        ({"repos": ["octo/support", "not a repo"]}, "'not a repo' is not a repository; use OWNER/NAME"),
        ({"channel_id": "  "}, "needs the channel"),
    ],
)
def test_invalid_input_raises_and_writes_nothing(store, overrides, message):
    existing = add(store)
    before = rows(store)
    with pytest.raises(ScheduleError) as caught:
        add(store, **overrides)
    assert message in str(caught.value)
    assert rows(store) == before
    assert store.list_subscriptions() == [existing]


def test_repositories_are_deduplicated_case_insensitively_keeping_order(store):
    added = add(store, repos=[" octo/b ", "octo/a", "OCTO/B"])
    assert added.repos == ("octo/b", "octo/a")


# Claims --------------------------------------------------------------------------------------


def test_a_digest_can_be_claimed_once(store):
    assert store.claim_digest("db:1", period_start=T0, by="a") is True
    assert store.claim_digest("db:1", period_start=T0, by="b") is False
    assert store.claim_digest("db:1", period_start=T0 + timedelta(days=1), by="b") is True
    assert store.claim_digest("db:2", period_start=T0, by="b") is True


def test_one_instant_in_another_offset_is_the_same_claim(store):
    """SQLite keeps no offset: the store compares instants, not wall-clock digits."""
    berlin_summer = timezone(timedelta(hours=2))
    assert store.claim_digest("db:1", period_start=T0, by="a") is True
    assert store.claim_digest("db:1", period_start=T0.astimezone(berlin_summer), by="b") is False


def test_naive_datetimes_are_refused(store):
    with pytest.raises(sa.exc.StatementError, match="naive"):
        store.claim_digest("db:1", period_start=datetime(2025, 4, 14), by="a")


def test_racing_claims_from_many_connections_have_one_winner(backend_url: BackendUrl):
    stores = [backend_url.store() for _ in range(8)]
    start = threading.Barrier(len(stores))
    results: list[bool] = []

    def claim(one: Store) -> None:
        start.wait()
        results.append(one.claim_digest("db:7", period_start=T0, by=str(id(one))))

    threads = [threading.Thread(target=claim, args=(one,)) for one in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for one in stores:
        one.close()
    assert sorted(results) == [False] * 7 + [True]


def test_failure_is_listed_until_a_later_digest_posts(store):
    sub = add(store)
    store.claim_digest(sub.key, period_start=T0, by="a")
    store.record_failure(sub.key, period_start=T0, error="channel_not_found", now=T0 + timedelta(minutes=1))
    [listed] = store.list_subscriptions("C1")
    assert listed.last_error == "channel_not_found"
    assert listed.last_error_at == T0 + timedelta(minutes=1)
    assert listed.last_posted_at is None

    later = T0 + timedelta(days=1)
    store.claim_digest(sub.key, period_start=later, by="a")
    store.mark_posted(sub.key, later, now=later + timedelta(seconds=5))
    [listed] = store.list_subscriptions("C1")
    assert listed.last_error is None
    assert listed.last_posted_at == later + timedelta(seconds=5)


def test_long_failure_text_is_cut(store):
    store.claim_digest("db:1", period_start=T0, by="a")
    store.record_failure("db:1", period_start=T0, error="x" * 10_000)
    status = store.digest_status(["db:1"])["db:1"]
    assert status.last_error is not None and len(status.last_error) == 500


def test_config_subscriptions_get_their_status_too(store):
    declared = Subscription.from_config(channel_id="C1")
    store.claim_digest(declared.key, period_start=T0, by="a")
    store.record_failure(declared.key, period_start=T0, error="not_in_channel")
    [listed] = store.list_subscriptions("C1", config=[declared])
    assert listed.last_error == "not_in_channel"


# Drill-downs ---------------------------------------------------------------------------------


def test_a_drilldown_is_recorded_once_per_thread_and_ticket(store):
    where = {"channel_id": "C1", "thread_ts": "1712.000100", "repo": "octo/support", "number": 686}
    assert store.find_drilldown(**where) is None
    assert store.record_drilldown(**where) is True
    assert store.record_drilldown(**where) is False  # a second click while the first posts
    assert store.find_drilldown(**where) is None
    store.complete_drilldown(**where, message_ts="1712.000200")
    assert store.find_drilldown(**where) == "1712.000200"
    assert store.record_drilldown(**(where | {"thread_ts": "1712.999"})) is True  # another report
    assert store.record_drilldown(**(where | {"number": 687})) is True  # another ticket


def test_a_failed_drilldown_post_can_be_forgotten_and_tried_again(store):
    where = {"channel_id": "C1", "thread_ts": "1712.000100", "repo": "octo/support", "number": 686}
    assert store.record_drilldown(**where) is True
    store.forget_drilldown(**where)
    assert store.record_drilldown(**where, message_ts="1712.3") is True
    assert store.find_drilldown(**where) == "1712.3"


# Set-up --------------------------------------------------------------------------------------


def test_many_processes_creating_the_tables_at_once_all_succeed(backend_url: BackendUrl):
    """Each Store runs create_all on its own connection; they start together on an empty database."""
    start = threading.Barrier(6)
    errors: list[BaseException] = []
    opened: list[Store] = []

    def open_store() -> None:
        start.wait()
        try:
            opened.append(backend_url.store())
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=open_store) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for one in opened:
        one.close()
    assert errors == []
    assert len(opened) == 6


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u:p@db:5432/app", "postgresql+psycopg://u:p@db:5432/app"),
        ("postgres://u@db/app", "postgresql+psycopg://u@db/app"),
        ("postgresql+psycopg://u@db/app", "postgresql+psycopg://u@db/app"),
        ("sqlite:///ticket-report.db", "sqlite:///ticket-report.db"),
    ],
)
def test_database_urls_use_the_installed_postgres_driver(given, expected):
    assert normalize_database_url(given) == expected


# The same digest twice -----------------------------------------------------------------------


def test_two_identical_subscribes_at_the_same_instant_store_one_subscription(backend_url: BackendUrl):
    stores = [backend_url.store() for _ in range(6)]
    start = threading.Barrier(len(stores))
    stored: list[Subscription] = []
    refused: list[SubscriptionExists] = []

    def subscribe(one: Store, repos: list[str]) -> None:
        start.wait()
        try:
            stored.append(add(one, repos=repos))
        except SubscriptionExists as exc:
            refused.append(exc)

    spellings = [["octo/support", "octo/app"], ["Octo/App", "octo/support"]] * 3
    threads = [threading.Thread(target=subscribe, args=pair) for pair in zip(stores, spellings, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        [kept] = stored
        assert len(refused) == 5
        assert {exc.existing.id for exc in refused} == {kept.id}
        assert [s.id for s in stores[0].list_subscriptions("C1")] == [kept.id]
    finally:
        for one in stores:
            one.close()


def test_subscriptions_differing_in_schedule_or_repositories_are_different_digests(store):
    first = add(store)
    assert add(store, repos=["octo/app"]).id != first.id
    assert add(store, repos=[]).id != first.id
    assert add(store, at_time="10:00").id != first.id
    with pytest.raises(SubscriptionExists):
        add(store, quiet=True)  # quietness is not what makes a digest another one
    assert len(store.list_subscriptions("C1")) == 4


def test_config_digests_differing_only_in_repositories_are_two_digests():
    plain = Subscription.from_config(channel_id="C1")
    support = Subscription.from_config(channel_id="C1", repos=["octo/support"])
    app = Subscription.from_config(channel_id="C1", repos=["octo/app"])
    assert len({plain.key, support.key, app.key}) == 3
    assert plain.key == "config:C1:daily:09:00:UTC"  # the key claims were made under before
    same = Subscription.from_config(channel_id="C1", repos=["OCTO/support"])
    assert same.key == support.key


# Signed requests seen ------------------------------------------------------------------------


def test_a_request_signature_is_seen_once_by_every_process_and_forgotten_after_the_window(
    backend_url: BackendUrl,
):
    ours, theirs = backend_url.store(), backend_url.store()
    try:
        assert ours.first_sight("v0=abc", timestamp=1_744_621_200, now=T0) is True
        assert theirs.first_sight("v0=abc", timestamp=1_744_621_200, now=T0 + timedelta(seconds=1)) is False
        assert ours.first_sight("v0=abd", timestamp=1_744_621_200, now=T0) is True
        # Eleven minutes on, the record is pruned: no request signed then is accepted any more anyway.
        later = T0 + timedelta(minutes=12)
        assert theirs.first_sight("v0=new", timestamp=1_744_621_920, now=later) is True
        assert ours.first_sight("v0=abc", timestamp=1_744_621_200, now=later) is True
    finally:
        ours.close()
        theirs.close()
