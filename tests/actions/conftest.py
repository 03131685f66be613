"""A fake GitHub with one support repository, the real writer over HTTP, and a store on each backend."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from bot.actions.model import Actor, TicketAction
from bot.actions.service import ActionService, TriageManagers
from bot.sources.github_writes import GitHubWriter
from bot.store import Store
from bot.store.mirror import Mirror
from tests.fakes.github_data import make_comment, make_issue
from tests.fakes.github_server import FakeGitHub

REPO = "acme/support"
TOKEN = "ghp_write"
READ_ONLY = "ghp_read"
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
LEAD = Actor(user_id="ULEAD", display_name="Ada Lovelace")
STRANGER = Actor(user_id="USTRANGER", display_name="Mallory")


def issues() -> list[dict]:
    start = NOW - timedelta(days=3)
    return [
        make_issue(686, title="App crashes on start", created_at=start, labels=["bug"]),
        make_issue(688, title="Crash when starting the app", created_at=start + timedelta(hours=5)),
        make_issue(691, title="How do I export my data?", created_at=start + timedelta(hours=9)),
        make_issue(
            692, title="Old question", created_at=start, state="closed", closed_at=start + timedelta(hours=1)
        ),
    ]


@pytest.fixture(name="github")
def github_fixture() -> Iterator[FakeGitHub]:
    with FakeGitHub(token=TOKEN) as fake:
        fake.add_repo(
            REPO,
            issues=issues(),
            comments=[make_comment(686, 1, created_at=NOW - timedelta(days=2))],
            labels=["bug", "question", "ios"],
            assignable=["octocat", "hubot"],
        )
        fake.read_only_token(READ_ONLY)
        yield fake


@pytest.fixture(name="writer")
def writer_fixture(github: FakeGitHub) -> Iterator[GitHubWriter]:
    writer = GitHubWriter(token=TOKEN, base_url=github.url, timeout=5, retries=1, backoff_factor=0.01)
    yield writer
    writer.close()


@dataclass
class Bench:
    """What a test acts with: the service and the parts it is made of."""

    github: FakeGitHub
    writer: GitHubWriter
    store: Store
    service: ActionService

    def run(self, action: TicketAction, *, actor: Actor = LEAD, key: str = "k1", now: datetime = NOW):
        return self.service.run(action, actor, request_key=key, channel_id="C1", now=now)


def make_service(writer: GitHubWriter, store: Store, *, mirror: bool = False, **kwargs) -> ActionService:
    kwargs.setdefault("managers", TriageManagers(users=(LEAD.user_id,)))
    return ActionService(
        writer=writer,
        log=store.actions,
        mirror=Mirror(store.engine) if mirror else None,
        **kwargs,
    )


@pytest.fixture(name="bench")
def bench_fixture(github: FakeGitHub, writer: GitHubWriter, store: Store) -> Bench:
    return Bench(github=github, writer=writer, store=store, service=make_service(writer, store))


def only_record(store: Store):
    """The one action recorded (whatever key it is kept under)."""
    [record] = store.actions.since(NOW - timedelta(days=1))
    return record
