"""The mirror's reads and writes on SQLite and PostgreSQL: order-independent upserts, tombstones, the
window a report reads, the weekly history's rows, the sync lease and webhook deliveries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from bot.report import derived
from bot.store.mirror import Mirror, repo_key
from tests.db_fixtures import (  # noqa: F401
    backend_url_fixture,
    pg_target_fixture,
    sqlite_url_fixture,
    store_fixture,
)

REPO = "Acme/Support"
NOW = datetime(2025, 4, 15, 12, tzinfo=UTC)
API = "https://api.github.com/repos/acme/support"


def t(hours: float) -> str:
    return (NOW - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


def issue(
    number: int,
    *,
    created: float,
    updated: float | None = None,
    title: str = "Sync fails",
    body: str = "Sync fails with error 500 after the update.",
    state: str = "open",
    closed: float | None = None,
    **extra: object,
) -> dict:
    return {
        "number": number,
        "title": title,
        "body": body,
        "state": state,
        "state_reason": "completed" if state == "closed" else None,
        "html_url": f"https://github.com/acme/support/issues/{number}",
        "repository_url": API,
        "user": {"login": f"user{number}", "type": "User"},
        "author_association": "NONE",
        "labels": [{"name": "bug"}],
        "created_at": t(created),
        "updated_at": t(updated if updated is not None else created),
        "closed_at": t(closed) if closed is not None else None,
        "comments": 1,
        "reactions": {"total_count": 2},
        **extra,
    }


def comment(
    comment_id: int,
    number: int,
    *,
    created: float,
    updated: float | None = None,
    body: str = "Same here.",
    association: str = "NONE",
    login: str = "someone",
) -> dict:
    return {
        "id": comment_id,
        "issue_url": f"{API}/issues/{number}",
        "html_url": f"https://github.com/acme/support/issues/{number}#issuecomment-{comment_id}",
        "user": {"login": login, "type": "User"},
        "author_association": association,
        "body": body,
        "created_at": t(created),
        "updated_at": t(updated if updated is not None else created),
        "reactions": {"total_count": 0},
    }


@pytest.fixture(name="mirror")
def mirror_fixture(store) -> Mirror:
    return Mirror(store.engine)


def test_a_newer_payload_replaces_an_older_one_and_never_the_other_way(mirror: Mirror) -> None:
    assert mirror.upsert_issues(REPO, [issue(1, created=10, title="Old title")], now=NOW).written == 1
    mirror.upsert_issues(REPO, [issue(1, created=10, updated=2, title="New title")], now=NOW)
    late = mirror.upsert_issues(REPO, [issue(1, created=10, updated=5, title="Stale edit")], now=NOW)
    assert (late.written, late.skipped) == (0, 1)
    ticket, _ = mirror.ticket(REPO, 1)
    assert ticket.title == "New title"
    assert ticket.repo == REPO
    # the same payload again is still one row
    mirror.upsert_issues(REPO, [issue(1, created=10, updated=2, title="New title")] * 3, now=NOW)
    assert mirror.counts(REPO) == (1, 0)


def test_derived_text_is_stored_and_handed_to_the_core(mirror: Mirror) -> None:
    body = (
        "### Describe the bug\n\nSync fails with error 500.\n\n```\nTraceback (most recent call last):\n```"
    )
    mirror.upsert_issues(REPO, [issue(1, created=3, title="[Bug]: Sync fails", body=body)], now=NOW)
    mirror.upsert_comments(REPO, [comment(10, 1, created=2, body="Same here on Windows.")], now=NOW)
    data = mirror.window(REPO, window_start=NOW - timedelta(days=1), window_end=NOW)
    (ticket,) = data.tickets
    assert ticket.clean_title == derived.clean_title("[Bug]: Sync fails") == "Sync fails"
    assert ticket.clean_body == derived.clean_body(body)
    assert data.comments[0].clean_body == derived.clean_comment("Same here on Windows.")


def test_what_a_comment_says_is_stored_and_handed_to_the_core(mirror: Mirror) -> None:
    fixed = "Thanks for the report! This is fixed in 5.3.1, please update."
    fails = "I updated to 5.3.1 and it still crashes on start."
    mirror.upsert_issues(REPO, [issue(1, created=3)], now=NOW)
    mirror.upsert_comments(
        REPO,
        [comment(10, 1, created=2, body=fixed, association="MEMBER"), comment(11, 1, created=1, body=fails)],
        now=NOW,
    )
    data = mirror.window(REPO, window_start=NOW - timedelta(days=1), window_end=NOW)
    team, reporter = data.comments
    assert derived.decode_words(team.words) == derived.comment_words(fixed)
    assert derived.decode_words(team.words).said.kind == "fix_released"
    assert derived.decode_words(team.words).said.version == "5.3.1"
    assert derived.decode_words(reporter.words).fails == "I updated to 5.3.1 and it still crashes on start."
    _, thread = mirror.ticket(REPO, 1)
    assert [c.words for c in thread] == [team.words, reporter.words]


def _as_written_by_version_1(engine) -> None:
    """Rows as revision 0002's release wrote them: text version 1, lines as JSON, no words."""
    from bot.store.schema import mirror_comments, mirror_issues

    with engine.begin() as conn:
        conn.execute(
            mirror_issues.update().values(text_version=1, clean_title="stale", clean_body='["stale"]')
        )
        conn.execute(mirror_comments.update().values(text_version=1, clean_body='["stale"]', words=None))


def test_rows_of_an_older_text_version_are_read_again_and_derived_anew(mirror: Mirror, store) -> None:
    fixed = "A fix is out in 2.0.1, please upgrade to 2.0.1."
    body = "### Describe the bug\n\nExport hangs at 99%.\n"
    mirror.upsert_issues(
        REPO, [issue(1, created=3, body=body), {**issue(2, created=4), "pull_request": {"url": "x"}}], now=NOW
    )
    mirror.upsert_comments(REPO, [comment(10, 1, created=2, body=fixed, association="MEMBER")], now=NOW)
    window = {"window_start": NOW - timedelta(days=1), "window_end": NOW}
    current = mirror.window(REPO, **window)
    _as_written_by_version_1(store.engine)

    stale = mirror.window(REPO, **window)
    (ticket,), (said,) = stale.tickets, stale.comments
    # An older version's text is never handed on: the core reads the body itself.
    assert (ticket.clean_title, ticket.clean_body, said.clean_body, said.words) == (None, None, None, None)

    assert mirror.rederive(REPO, limit=1) == 2  # a batch: one issue, one comment
    assert mirror.rederive(REPO) == 1  # the pull request's row
    assert mirror.rederive(REPO) == 0
    again = mirror.window(REPO, **window)
    (ticket,), (said,) = again.tickets, again.comments
    assert ticket.clean_title == current.tickets[0].clean_title
    assert ticket.clean_body == current.tickets[0].clean_body == derived.clean_body(body)
    assert said.clean_body == current.comments[0].clean_body
    assert said.words == current.comments[0].words
    assert derived.decode_words(said.words).said.kind == "fix_released"


def test_rederiving_never_overwrites_a_row_written_meanwhile(mirror: Mirror, store) -> None:
    from bot.store.schema import mirror_comments

    mirror.upsert_issues(REPO, [issue(1, created=3)], now=NOW)
    mirror.upsert_comments(REPO, [comment(10, 1, created=2, body="Same here.")], now=NOW)
    _as_written_by_version_1(store.engine)
    # a newer release's writer (or a row already done) has a version at least the current one
    with store.engine.begin() as conn:
        conn.execute(mirror_comments.update().values(text_version=derived.TEXT_VERSION + 1, words="newer"))
    assert mirror.rederive(REPO) == 1  # the issue only
    with store.engine.connect() as conn:
        assert conn.execute(mirror_comments.select()).one().words == "newer"


def test_a_deleted_comment_stays_deleted_whatever_arrives_later(mirror: Mirror) -> None:
    mirror.upsert_issues(REPO, [issue(1, created=10)], now=NOW)
    edit = comment(10, 1, created=5, updated=4, body="edited")
    # out of order: the edit, then the delete, then the create
    mirror.upsert_comments(REPO, [edit], now=NOW)
    assert mirror.delete_comment(REPO, 10, at=NOW - timedelta(hours=1), now=NOW, payload=edit)
    mirror.upsert_comments(REPO, [comment(10, 1, created=5)], now=NOW)
    mirror.upsert_comments(REPO, [edit], now=NOW)
    assert mirror.ticket(REPO, 1)[1] == ()
    # a delete of a comment the mirror never saw leaves a tombstone that its late create cannot lift
    never = comment(11, 1, created=3)
    mirror.delete_comment(REPO, 11, at=NOW - timedelta(hours=2), now=NOW, payload=never)
    mirror.upsert_comments(REPO, [never], now=NOW)
    assert mirror.comment_ids(REPO, 1) == set()


def test_a_deleted_issue_and_its_comments_leave_every_read(mirror: Mirror) -> None:
    mirror.upsert_issues(REPO, [issue(1, created=10), issue(2, created=9)], now=NOW)
    mirror.upsert_comments(REPO, [comment(10, 1, created=5), comment(20, 2, created=5)], now=NOW)
    assert mirror.delete_issue(REPO, 1, at=NOW, now=NOW)
    mirror.upsert_issues(REPO, [issue(1, created=10, updated=1)], now=NOW)  # an edit sent before the delete
    data = mirror.window(REPO, window_start=NOW - timedelta(days=1), window_end=NOW)
    assert [t.number for t in data.tickets] == [2]
    assert [c.id for c in data.comments] == [20]
    assert mirror.ticket(REPO, 1) is None
    assert mirror.counts(REPO) == (1, 1)


def test_the_window_holds_what_a_live_fetch_would(mirror: Mirror) -> None:
    day = timedelta(days=1)
    mirror.upsert_issues(
        REPO,
        [
            issue(1, created=100),  # old, commented on in the window
            issue(2, created=5),  # created in the window
            issue(3, created=100, state="closed", closed=6),  # closed in it
            issue(4, created=100),  # untouched
            {**issue(5, created=4), "pull_request": {"url": "x"}},  # a pull request
        ],
        now=NOW,
    )
    mirror.upsert_comments(
        REPO, [comment(10, 1, created=3), comment(11, 4, created=50), comment(12, 2, created=1)], now=NOW
    )
    data = mirror.window(REPO, window_start=NOW - day, window_end=NOW)
    assert [t.number for t in data.tickets] == [1, 2, 3]
    assert [c.id for c in data.comments] == [10, 12]
    assert data.comments_since == NOW - day
    assert mirror.is_pull_request(REPO, 5)
    assert mirror.ticket(REPO, 5) is None


def test_the_window_gives_comments_by_time_then_id_whatever_order_they_were_written_in(
    mirror: Mirror,
) -> None:
    mirror.upsert_issues(REPO, [issue(1, created=100), issue(2, created=100)], now=NOW)
    # Written one at a time, newest id first: the same instant thrice, then an earlier one.
    for said in (
        comment(33, 1, created=2),
        comment(31, 2, created=2),
        comment(32, 1, created=2),
        comment(40, 2, created=3),
        comment(20, 1, created=1),
        comment(21, 2, created=1),
    ):
        mirror.upsert_comments(REPO, [said], now=NOW)
    data = mirror.window(REPO, window_start=NOW - timedelta(days=1), window_end=NOW)
    assert [c.id for c in data.comments] == [40, 31, 32, 33, 20, 21]
    assert [c.id for c in mirror.ticket(REPO, 1)[1]] == [32, 33, 20]


def test_issue_times_give_the_first_team_reply(mirror: Mirror) -> None:
    since = NOW - timedelta(days=30)
    mirror.upsert_issues(
        REPO,
        [
            issue(1, created=48),
            issue(2, created=24 * 60, state="closed", closed=24 * 45),
            issue(3, created=10),
        ],
        now=NOW,
    )
    mirror.upsert_comments(
        REPO,
        [
            comment(10, 1, created=40, association="MEMBER", login="maintainer"),
            comment(11, 1, created=30, association="OWNER", login="boss"),
            comment(12, 3, created=5, login="helper"),  # a team login from the config
            comment(13, 3, created=8, login="user3", association="OWNER"),  # the author: never the team
        ],
        now=NOW,
    )
    times = {row.number: row for row in mirror.issue_times(REPO, since=since, team_logins={"Helper"})}
    assert set(times) == {1, 3}  # #2 closed before `since`
    assert times[1].first_team_reply_at == NOW - timedelta(hours=40)
    assert times[3].first_team_reply_at == NOW - timedelta(hours=5)


def test_pinned_issues_are_marked(mirror: Mirror) -> None:
    mirror.upsert_issues(REPO, [issue(1, created=3), issue(2, created=3)], now=NOW)
    mirror.set_pinned(REPO, {2})
    data = mirror.window(REPO, window_start=NOW - timedelta(days=1), window_end=NOW)
    assert [t.pinned for t in data.tickets] == [False, True]
    mirror.set_pinned(REPO, set())
    assert not mirror.ticket(REPO, 2)[0].pinned


def test_one_lease_holder_at_a_time(mirror: Mirror) -> None:
    assert mirror.acquire_lease(REPO, owner="a", now=NOW, seconds=60)
    assert not mirror.acquire_lease(REPO, owner="b", now=NOW, seconds=60)
    assert mirror.acquire_lease(REPO, owner="a", now=NOW, seconds=60)  # extended by its holder
    assert mirror.acquire_lease(REPO, owner="b", now=NOW + timedelta(seconds=61), seconds=60)  # expired
    mirror.release_lease(REPO, owner="b")
    assert mirror.state(REPO).lease_owner is None
    assert mirror.state(REPO).name == REPO and mirror.state(REPO).repo == repo_key(REPO)


def test_a_delivery_is_recorded_once_and_rolled_back_with_its_transaction(mirror: Mirror) -> None:
    assert mirror.record_delivery("d-1", event="issues", repo=REPO, now=NOW)
    assert not mirror.record_delivery("d-1", event="issues", repo=REPO, now=NOW)
    with pytest.raises(RuntimeError), mirror.transaction() as tx:
        assert tx.record_delivery("d-2", event="issues", repo=REPO, now=NOW)
        tx.upsert_issues(REPO, [issue(1, created=1)], now=NOW)
        raise RuntimeError("applying failed")
    assert mirror.ticket(REPO, 1) is None
    assert mirror.record_delivery("d-2", event="issues", repo=REPO, now=NOW)


def test_etags_are_kept_per_request(mirror: Mirror) -> None:
    assert mirror.etag(REPO, "/issues?page=1") is None
    mirror.save_etag(REPO, "/issues?page=1", 'W/"a"', now=NOW, items=[1, 2])
    mirror.save_etag(REPO, "/issues?page=1", 'W/"b"', now=NOW, items=[1, 3])
    assert mirror.etag(REPO, "/issues?page=1") == ('W/"b"', [1, 3])


def test_an_edit_keeps_the_pin_and_odd_text_is_stored(mirror: Mirror) -> None:
    mirror.upsert_issues(REPO, [issue(1, created=3)], now=NOW)
    mirror.set_issue_pinned(REPO, 1, pinned=True)
    mirror.upsert_issues(
        REPO, [issue(1, created=3, updated=1, title="nul\x00 and \ud800 surrogate")], now=NOW
    )
    ticket, _ = mirror.ticket(REPO, 1)
    assert ticket.pinned
    assert ticket.title == "nul and ? surrogate"


def test_rederiving_leaves_a_row_an_older_release_rewrote_meanwhile_for_the_next_batch(
    mirror: Mirror, store, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.store.mirror as mirror_module
    from bot.store.schema import mirror_comments

    mirror.upsert_issues(REPO, [issue(1, created=3)], now=NOW)
    mirror.upsert_comments(REPO, [comment(10, 1, created=2, body="Same here.")], now=NOW)
    _as_written_by_version_1(store.engine)
    derive = mirror_module._comment_text

    def rewritten_while_deriving(body: str) -> dict:
        # Between rederive's read and its update, a process of the previous release stores an edit.
        with store.engine.begin() as conn:
            conn.execute(
                mirror_comments.update().values(
                    body="Fixed in 3.1.4, please update.", synced_at=NOW + timedelta(minutes=1)
                )
            )
        return derive(body)

    monkeypatch.setattr(mirror_module, "_comment_text", rewritten_while_deriving)
    assert mirror.rederive(REPO) == 1  # the issue; the comment's derived text would be the old body's
    monkeypatch.setattr(mirror_module, "_comment_text", derive)
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(mirror_comments.c.text_version)).scalar_one() == 1
    assert mirror.rederive(REPO) == 1  # the next batch derives it from the body now stored
    (said,) = mirror.window(REPO, window_start=NOW - timedelta(days=1), window_end=NOW).comments
    assert derived.decode_words(said.words).said.kind == "fix_released"
