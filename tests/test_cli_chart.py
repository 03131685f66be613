"""`python -m bot report ... --chart FILE.png`: the trend chart written next to the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = str(ROOT / "config" / "snapshot-example.json")
CONFIG = str(ROOT / "config" / "ticket-report.example.yml")
WEEK = ["report", "2025-04-08..2025-04-14", "--source", SNAPSHOT, "--config", CONFIG]
AT = ["--now", "2025-04-14T21:00:00Z"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in (
        "TICKET_REPORT_REPOS",
        "TICKET_REPORT_CONFIG",
        "GITHUB_TOKEN",
        "GITHUB_API_URL",
        "DATABASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)


def test_the_chart_is_written_as_a_png_and_the_report_still_prints(capsys, tmp_path: Path) -> None:
    chart = tmp_path / "trend.png"
    code = main([*WEEK, *AT, "--format", "json", "--chart", str(chart)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert chart.read_bytes().startswith(PNG_MAGIC)
    trend = json.loads(out)["trend"]
    assert trend["days"][0]["date"] == "2025-04-08" and len(trend["days"]) == 7
    # the days' opened tickets are the report's new ones
    assert sum(day["opened"] for day in trend["days"]) == json.loads(out)["totals"]["new"]
    assert err == ""


def test_a_period_shorter_than_a_week_draws_with_a_note(capsys, tmp_path: Path) -> None:
    chart = tmp_path / "day.png"
    code = main(
        ["report", "2025-04-14", "--source", SNAPSHOT, "--config", CONFIG, *AT, "--chart", str(chart)]
    )
    out, err = capsys.readouterr()
    assert code == 0
    assert chart.read_bytes().startswith(PNG_MAGIC)
    assert out.startswith("# Support Ticket Report")
    assert "the chart shows 1 day(s)" in err and "7 days or more" in err


@pytest.mark.parametrize(
    ("chart", "period", "needle"),
    [
        ("{tmp}/trend.svg", "week", "must name a .png file"),
        ("{tmp}/missing/trend.png", "week", "does not exist"),
        ("{tmp}/trend.png", "since 2024-03-20", "the chart covers at most 366"),
    ],
)
def test_a_chart_that_cannot_be_written_exits_2_with_one_line(
    capsys, tmp_path: Path, chart: str, period: str, needle: str
) -> None:
    target = chart.format(tmp=tmp_path)
    code = main(["report", period, "--source", SNAPSHOT, "--config", CONFIG, *AT, "--chart", target])
    out, err = capsys.readouterr()
    assert code == 2
    assert needle in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert out == ""  # refused before the report was made
    assert not Path(target).exists()
