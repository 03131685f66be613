"""The model where reports are built: the service hands each report to the writer, and the CLI, the
Slack app and the digest clock build one (answers cached in the store) only when a model is set."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli import main
from bot.llm import ModelWriter, describe_model, model_writer
from bot.report.models import Report, TicketData
from bot.report.options import ReportOptions
from bot.service import ReportRequest, ReportService
from bot.settings import load_settings
from bot.store import Store
from tests.fakes.llm_server import FakeLLM, Reply
from tests.llm.sample import NOW, PERIOD, REPO, sample_data
from tests.slack.conftest import StartApp, fake_github, fake_slack, start_app  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent.parent
SNAPSHOT = str(ROOT / "config" / "snapshot-example.json")
EXAMPLE = ["report", "2025-04-14", "--source", SNAPSHOT, "--now", "2025-04-14T21:00:00Z", "--format", "json"]


@pytest.fixture
def llm() -> Iterator[FakeLLM]:
    with FakeLLM() as fake:
        yield fake


class MemorySource:
    """Tickets from memory, as a TicketSource."""

    def __init__(self, data: TicketData) -> None:
        self.data = data

    def fetch(self, repo: str, *, window_start: datetime, window_end: datetime, now: datetime) -> TicketData:
        return self.data


class RecordingWriter:
    """A writer that records what it was handed and marks the report as written."""

    def __init__(self) -> None:
        self.calls: list[tuple[Report, TicketData]] = []

    def rewrite(self, report: Report, data: TicketData) -> Report:
        self.calls.append((report, data))
        return replace(report, model="recording")


def test_the_service_hands_every_built_report_and_its_data_to_the_writer():
    writer = RecordingWriter()
    service = ReportService(source=MemorySource(sample_data()), options=ReportOptions(), writer=writer)
    request = ReportRequest(period_text=PERIOD.spec, repos=(REPO,), tz=UTC)
    report = service.build_for(PERIOD, request=request, now=NOW)
    assert report.model == "recording"
    ((built, data),) = writer.calls
    assert built.model is None and built.period == PERIOD
    assert {t.number for t in data.tickets} == {12, 13, 14, 20, 21, 30}
    assert len(data.comments) == 3


def test_without_a_writer_the_service_builds_the_offline_report():
    service = ReportService(source=MemorySource(sample_data()), options=ReportOptions())
    request = ReportRequest(period_text=PERIOD.spec, repos=(REPO,), tz=UTC)
    assert service.build_for(PERIOD, request=request, now=NOW).model is None


def settings_with(llm_url: str | None, **extra: str):
    env = {"TICKET_REPORT_LLM_URL": llm_url, "TICKET_REPORT_LLM_MODEL": "fake-model"} if llm_url else {}
    return load_settings({**env, **extra})


def test_a_writer_is_built_only_when_a_model_is_configured(llm):
    assert model_writer(settings_with(None), cache=None) is None
    assert describe_model(settings_with(None)).startswith("no language model configured")
    settings = settings_with(llm.url, TICKET_REPORT_LLM_KEY="sk-secret")
    writer = model_writer(settings, cache=None)
    assert isinstance(writer, ModelWriter) and writer.model == "fake-model"
    line = describe_model(settings)
    assert line == "model fake-model writes headlines and group summaries (budget 8 s per report)"
    assert "sk-secret" not in line and llm.url not in line


@pytest.fixture
def cli_env(monkeypatch, tmp_path) -> Path:
    for name in ("TICKET_REPORT_REPOS", "TICKET_REPORT_CONFIG", "GITHUB_TOKEN", "GITHUB_API_URL"):
        monkeypatch.delenv(name, raising=False)
    for name in ("TICKET_REPORT_LLM_URL", "TICKET_REPORT_LLM_MODEL", "TICKET_REPORT_LLM_KEY"):
        monkeypatch.delenv(name, raising=False)
    database = tmp_path / "cli.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")
    return database


def test_the_cli_report_asks_the_model_once_and_caches_its_answers_in_the_database(
    llm, cli_env, capsys, monkeypatch
):
    monkeypatch.setenv("TICKET_REPORT_LLM_URL", llm.url)
    monkeypatch.setenv("TICKET_REPORT_LLM_MODEL", "fake-model")
    assert main(EXAMPLE) == 0
    first = capsys.readouterr().out
    asked = llm.count
    assert asked >= 1  # the headline at least; one more per common issue
    assert {r.body["model"] for r in llm.requests} == {"fake-model"}
    assert cli_env.exists()
    llm.respond = lambda request: Reply.error(500)
    assert main(EXAMPLE) == 0
    assert llm.count == asked  # the second run found every answer in the database
    assert json.loads(capsys.readouterr().out) == json.loads(first)


def test_the_cli_report_without_a_model_opens_no_database(llm, cli_env, capsys):
    assert main(EXAMPLE) == 0
    assert llm.count == 0 and not cli_env.exists()


def test_the_slack_app_writes_with_the_model_and_caches_in_its_store(
    llm: FakeLLM,
    start_app: StartApp,  # noqa: F811
    sqlite_url: str,
) -> None:
    store = Store(sqlite_url)
    try:
        env = {"TICKET_REPORT_LLM_URL": llm.url, "TICKET_REPORT_LLM_MODEL": "fake-model"}
        app = start_app(env=env, store=store)
        assert isinstance(app.bot.service.writer, ModelWriter)
        app.command("today", channel="C1")
        assert app.slack.wait_for(lambda slack: len(slack.posts()) >= 1)
        asked = llm.count
        assert asked >= 1
        app.command("today", channel="C2")
        assert app.slack.wait_for(lambda slack: len({p.body["channel"] for p in slack.posts()}) >= 2)
        assert llm.count == asked  # the same report again: every answer came from the store
    finally:
        store.close()


def test_the_slack_app_without_a_model_has_no_writer(start_app: StartApp) -> None:  # noqa: F811
    assert start_app().bot.service.writer is None
