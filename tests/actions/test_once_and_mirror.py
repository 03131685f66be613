"""Each action writes once, however many processes receive it, and the mirror shows it at once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from bot.actions.model import TicketAction
from bot.sources.github_writes import GitHubWriter
from bot.store import Store
from bot.store.mirror import Mirror
from tests.actions.conftest import LEAD, NOW, REPO, TOKEN, issues, make_service
from tests.db_fixtures import BackendUrl
from tests.fakes.github_server import FakeGitHub


def test_two_processes_with_the_same_request_key_write_once(github: FakeGitHub, backend_url: BackendUrl):
    """Two services, each with its own engine (as two processes have), get the same interaction at once."""
    action = TicketAction(kind="reply", repo=REPO, number=691, text="Try the export in Settings.")
    stores = [backend_url.store() for _ in range(2)]
    writers = [GitHubWriter(token=TOKEN, base_url=github.url, timeout=5) for _ in range(2)]
    services = [
        make_service(w, s, owner=f"process-{i}") for i, (w, s) in enumerate(zip(writers, stores, strict=True))
    ]
    start = threading.Barrier(2)

    def receive(service):
        start.wait()
        return service.run(action, LEAD, request_key="C1:1712.0001:reply:691", channel_id="C1", now=NOW)

    try:
        with ThreadPoolExecutor(2) as pool:
            outcomes = list(pool.map(receive, services))
    finally:
        for writer in writers:
            writer.close()
        for store in stores:
            store.close()

    assert sorted(o.status for o in outcomes) == ["done", "repeated"]
    assert len(github.comments_of(REPO, 691)) == 1
    assert [r.method for r in github.requests].count("POST") == 1
    repeated = next(o for o in outcomes if o.status == "repeated")
    assert repeated.message in (
        "This is already being done (asked by Ada Lovelace); it runs once",
        f"Already done: Replied on {REPO}#691 (asked by Ada Lovelace)",
    )


def test_an_action_cut_off_midway_is_not_run_again(github: FakeGitHub, writer: GitHubWriter, store: Store):
    """A process that claimed the key and died: the next delivery after its lease writes nothing."""
    service = make_service(writer, store)
    action = TicketAction(kind="close", repo=REPO, number=691)
    store.actions.claim(
        "k1",
        owner="dead-process",
        now=NOW,
        lease=timedelta(minutes=3),
        actor_id=LEAD.user_id,
        actor_name=LEAD.display_name,
        channel_id="C1",
        kind="close",
        repo=REPO,
        number=691,
        details={},
    )
    outcome = service.run(action, LEAD, request_key="k1", channel_id="C1", now=NOW + timedelta(minutes=10))

    assert outcome.status == "repeated"
    assert outcome.message == (
        f"An earlier attempt at this stopped partway; check {REPO}#691 on GitHub before trying again"
    )
    assert github.requests == []


def mirrored(store: Store) -> Mirror:
    mirror = Mirror(store.engine)
    mirror.ensure_repo(REPO)
    mirror.upsert_issues(REPO, issues(), now=NOW)
    return mirror


def test_the_mirror_shows_a_close_and_its_comment_at_once(
    github: FakeGitHub, writer: GitHubWriter, store: Store
):
    mirror = mirrored(store)
    service = make_service(writer, store, mirror=True)
    action = TicketAction(kind="close", repo=REPO, number=688, state_reason="duplicate", duplicate_of=686)
    outcome = service.run(action, LEAD, request_key="k1", channel_id="C1", now=NOW)

    assert outcome.status == "done", outcome.message
    held = mirror.ticket(REPO, 688)
    assert held is not None
    ticket, comments = held
    assert (ticket.state, ticket.state_reason) == ("closed", "duplicate")
    assert [c.body.splitlines()[0] for c in comments] == ["Duplicate of #686"]
    listings = (f"/repos/{REPO}/issues", f"/repos/{REPO}/issues/comments")
    assert not [r for r in github.requests if r.path in listings]  # no sync was needed


def test_the_mirror_shows_labels_assignees_and_a_reply_at_once(
    github: FakeGitHub, writer: GitHubWriter, store: Store
):
    mirror = mirrored(store)
    service = make_service(writer, store, mirror=True)
    service.run(
        TicketAction(kind="label", repo=REPO, number=691, labels=("question",)),
        LEAD,
        request_key="a",
        channel_id="C1",
        now=NOW,
    )
    service.run(
        TicketAction(kind="reply", repo=REPO, number=691, text="See the docs."),
        LEAD,
        request_key="b",
        channel_id="C1",
        now=NOW,
    )

    held = mirror.ticket(REPO, 691)
    assert held is not None
    ticket, comments = held
    assert ticket.labels == ("question",)
    assert [c.body.splitlines()[0] for c in comments] == ["See the docs."]


def test_a_repository_the_mirror_does_not_keep_is_left_alone(
    github: FakeGitHub, writer: GitHubWriter, store: Store
):
    service = make_service(writer, store, mirror=True)
    outcome = service.run(
        TicketAction(kind="close", repo=REPO, number=691), LEAD, request_key="k1", channel_id="C1", now=NOW
    )

    assert outcome.status == "done"
    assert Mirror(store.engine).state(REPO) is None
    assert Mirror(store.engine).ticket(REPO, 691) is None


def test_the_service_built_from_the_settings_acts_and_keeps_the_mirror(
    github: FakeGitHub, store: Store, tmp_path
):
    from bot.actions.wiring import open_action_service
    from bot.settings import load_settings

    config = tmp_path / "config.yml"
    config.write_text(f"triage_managers: [{LEAD.user_id}]\nrepos: [{REPO}]\n", encoding="utf-8")
    settings = load_settings({"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": github.url}, config_path=str(config))
    mirror = mirrored(store)
    service = open_action_service(settings, store)

    outcome = service.run(
        TicketAction(kind="close", repo=REPO, number=691), LEAD, request_key="k1", channel_id="C1", now=NOW
    )

    assert outcome.status == "done", outcome.message
    held = mirror.ticket(REPO, 691)
    assert held is not None and held[0].state == "closed"
    assert not service.may_act("UOTHER")
