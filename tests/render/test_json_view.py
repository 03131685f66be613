"""The JSON schema: documented keys, ISO datetimes, text as-is, always encodable."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from bot.render import render_json, report_to_dict

from .fixtures import empty_report, fixture_report, report_with_text


def test_top_level_keys_are_the_documented_schema() -> None:
    data = report_to_dict(fixture_report())
    assert list(data) == [
        "schema_version",
        "generated_at",
        "period",
        "previous_period",
        "repos",
        "totals",
        "previous_totals",
        "changes",
        "labels",
        "response_times",
        "most_active",
        "common_issues",
        "recommendations",
        "tickets",
    ]


def test_datetimes_are_iso_8601_with_offset() -> None:
    data = report_to_dict(fixture_report())
    for value in (data["generated_at"], data["period"]["start"], data["most_active"][0]["created_at"]):
        assert datetime.fromisoformat(value).utcoffset() is not None
    assert data["period"] == {
        "start": "2025-04-14T00:00:00+00:00",
        "end": "2025-04-15T00:00:00+00:00",
        "label": "2025-04-14 to 2025-04-14",
        "spec": "2025-04-14",
    }


def test_changes_are_totals_minus_previous_totals() -> None:
    data = report_to_dict(fixture_report())
    assert data["changes"] == {"total": 2, "resolved": 0, "not_planned": 1, "open": 1, "new": 1}


def test_most_active_carries_score_and_breakdown() -> None:
    first = report_to_dict(fixture_report())["most_active"][0]
    assert (first["rank"], first["repo"], first["number"]) == (1, "pieces-app/support", 685)
    assert first["score"] == 15.94
    assert first["url"] == "https://github.com/pieces-app/support/issues/685"
    assert first["score_breakdown"][0] == {"reason": "comments from the community", "count": 3, "points": 6.0}


def test_durations_are_seconds_or_null() -> None:
    times = report_to_dict(fixture_report())["response_times"]
    assert times["first_response"] == {"count": 2, "median_seconds": 12000, "p90_seconds": 35100}
    empty = report_to_dict(empty_report())["response_times"]
    assert empty["close"] == {"count": 0, "median_seconds": None, "p90_seconds": None}


def test_text_is_kept_as_github_wrote_it() -> None:
    title = "<!channel> fix <@U123> & <script> | *x*\nline two"
    data = json.loads(render_json(report_with_text(title=title, summary=title)))
    assert data["most_active"][0]["title"] == title
    assert data["common_issues"][0]["summary"] == title
    assert data["common_issues"][0]["tickets"][0] == {
        "repo": "pieces-app/support",
        "number": 1,
        "title": title,
        "url": "https://github.com/pieces-app/support/issues/1",
    }


def test_lone_surrogates_do_not_break_encoding() -> None:
    text = render_json(report_with_text(title="bad \ud800 title"))
    text.encode("utf-8")
    assert "bad \ufffd title" in text


def test_every_top_level_key_is_documented() -> None:
    """docs/json-schema.md names every key the renderer emits (the docs cannot silently fall behind)."""
    docs = (Path(__file__).resolve().parents[2] / "docs" / "json-schema.md").read_text(encoding="utf-8")
    data = report_to_dict(fixture_report())
    nested = [*data, *data["totals"], *data["labels"][0], *data["most_active"][0], *data["tickets"][0]]
    for key in nested:
        assert f"`{key}`" in docs, key
