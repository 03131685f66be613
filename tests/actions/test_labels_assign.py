"""Labelling and assigning: only the repository's labels and assignable users, added to what is there;
the pickers' lists come from GitHub and are cached briefly."""

from __future__ import annotations

from bot.actions.model import TicketAction
from bot.sources.github_writes import GitHubWriter
from bot.store import Store
from tests.actions.conftest import LEAD, NOW, REPO, Bench, make_service, only_record
from tests.fakes.github_server import FakeGitHub


def test_labels_are_added_to_the_ones_the_ticket_has(bench: Bench):
    outcome = bench.run(TicketAction(kind="label", repo=REPO, number=686, labels=("IOS", "question")))

    assert outcome.status == "done", outcome.message
    assert outcome.message == f"Labelled {REPO}#686 ios, question (asked by Ada Lovelace)"
    assert [label["name"] for label in bench.github.issue(REPO, 686)["labels"]] == ["bug", "ios", "question"]
    [post] = [r for r in bench.github.requests if r.method == "POST"]
    assert post.path == f"/repos/{REPO}/issues/686/labels"
    assert post.body == ["ios", "question"]  # the repository's spelling


def test_a_label_the_repository_lacks_is_refused_before_anything_is_written(bench: Bench):
    outcome = bench.run(TicketAction(kind="label", repo=REPO, number=686, labels=("bug", "urgent")))

    assert outcome.status == "failed"
    assert outcome.message == f"{REPO} has no label urgent; its labels are bug, ios, question"
    assert not [r for r in bench.github.requests if r.method != "GET"]
    record = only_record(bench.store)
    assert record is not None and record.status == "failed"


def test_assignees_are_added(bench: Bench):
    outcome = bench.run(TicketAction(kind="assign", repo=REPO, number=691, assignees=("@Octocat",)))

    assert outcome.status == "done", outcome.message
    assert outcome.message == f"Assigned {REPO}#691 to octocat (asked by Ada Lovelace)"
    assert [a["login"] for a in bench.github.issue(REPO, 691)["assignees"]] == ["octocat"]


def test_someone_who_cannot_be_assigned_is_refused_before_anything_is_written(bench: Bench):
    outcome = bench.run(TicketAction(kind="assign", repo=REPO, number=691, assignees=("octocat", "eve")))

    assert outcome.status == "failed"
    assert outcome.message == f"eve cannot be assigned to issues in {REPO} (not a collaborator there)"
    assert bench.github.issue(REPO, 691)["assignees"] == []


def test_the_pickers_lists_come_from_github_and_are_cached(
    github: FakeGitHub, writer: GitHubWriter, store: Store
):
    clock = [0.0]
    service = make_service(writer, store, cache_seconds=60, timer=lambda: clock[0])

    assert service.cached_labels(REPO) is None and service.cached_assignable(REPO) is None
    assert github.requests == []
    assert service.labels(REPO) == ["bug", "ios", "question"]
    assert service.assignable(REPO) == ["octocat", "hubot"]
    assert service.cached_labels(REPO) == ["bug", "ios", "question"]
    assert service.cached_assignable("ACME/Support") == ["octocat", "hubot"]
    github.add_repo(REPO, labels=["wontfix"])
    assert service.labels(REPO) == ["bug", "ios", "question"]
    assert github.count("/labels") == 1 and github.count("/assignees") == 1
    clock[0] = 61
    assert service.labels(REPO) == ["bug", "ios", "question", "wontfix"]
    assert github.count("/labels") == 2


class _ReadBackFails:
    """The real writer; GitHub fails the reads of the issue right after the labels' POST (the one moment
    no request of the fake can be aimed at otherwise)."""

    def __init__(self, writer: GitHubWriter, github: FakeGitHub) -> None:
        self._writer, self._github = writer, github

    def __getattr__(self, name: str):
        return getattr(self._writer, name)

    def add_labels(self, repo: str, number: int, labels: tuple[str, ...]):
        self._github.fail_next(3, 503, method="GET", path_contains=f"/issues/{number}")
        return self._writer.add_labels(repo, number, labels)


def test_labels_added_but_not_read_back_are_done_and_keep_their_key(
    github: FakeGitHub, writer: GitHubWriter, store: Store
):
    service = make_service(_ReadBackFails(writer, github), store, mirror=True)
    action = TicketAction(kind="label", repo=REPO, number=686, labels=("ios",))

    outcome = service.run(action, LEAD, request_key="k1", channel_id="C1", now=NOW)

    assert outcome.status == "done", outcome.message
    assert [label["name"] for label in github.issue(REPO, 686)["labels"]] == ["bug", "ios"]
    again = service.run(action, LEAD, request_key="k1", channel_id="C1", now=NOW)
    assert again.status == "repeated"  # the key was kept: the labels were added
    assert [r.method for r in github.requests].count("POST") == 1
