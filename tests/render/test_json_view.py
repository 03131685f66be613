"""The JSON schema: documented keys, ISO datetimes, text as-is, always encodable."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.render import render_json, report_to_dict
from bot.render.json_view import SCHEMA_VERSION
from bot.report.models import ScoredTicket, ref

from .fixtures import empty_report, fixture_report, make_ticket, report_with_text


def test_top_level_keys_are_the_documented_schema() -> None:
    data = report_to_dict(fixture_report())
    assert list(data) == [
        "schema_version",
        "generated_at",
        "data_as_of",
        "period",
        "previous_period",
        "repos",
        "headline",
        "totals",
        "previous_totals",
        "changes",
        "labels",
        "response_times",
        "most_active",
        "common_issues",
        "recommendations",
        "excluded",
        "written_by",
        "tickets",
        "history",
        "trend",
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
    assert data["changes"] == {"total": 3, "resolved": 0, "not_planned": 1, "open": 2, "new": 2}


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
    group = data["common_issues"][0]
    nested = [
        *data,
        *data["totals"],
        *data["labels"][0],
        *data["most_active"][0],
        *data["tickets"][0],
        *data["headline"],
        *group,
        *group["parts"],
        *group["parts"]["status"],
        *data["recommendations"][0],
        *data["excluded"][0],
        *data["written_by"],
    ]
    for key in nested:
        assert f"`{key}`" in docs, key


def test_the_headline_carries_its_text_cited_tickets_and_author() -> None:
    headline = report_to_dict(fixture_report())["headline"]
    assert headline["text"].startswith("5 tickets this period")
    assert [ticket["number"] for ticket in headline["tickets"]] == [686, 685, 687, 690]
    assert headline["written_by"] == "offline"
    assert report_to_dict(empty_report())["headline"] == {"text": "", "tickets": [], "written_by": "offline"}


def test_a_common_issue_carries_its_parts_or_null_and_who_wrote_it() -> None:
    first, second = report_to_dict(fixture_report())["common_issues"]
    parts = first["parts"]
    assert first["written_by"] == "offline"
    assert parts["status"]["kind"] == "fix_released"
    assert parts["status"]["text"] == "Fixed in 11.3.1, released on 14 Apr (team on #686)."
    assert [ticket["number"] for ticket in parts["affected"]["tickets"]] == [686, 685]
    assert parts["fix_fails"]["text"] == "One reporter says 11.3.1 still hangs at sign-in."
    assert (parts["product"], parts["version"]) == ("Pieces OS", "11.3.0")
    assert first["summary"].startswith("Problem: LateInitializationError")
    assert (second["written_by"], second["parts"]) == ("model", None)


def test_a_group_with_parts_and_no_summary_gives_the_parts_as_its_summary() -> None:
    report = fixture_report()
    group = replace(
        report.common_issues[0], summary="", parts=replace(report.common_issues[0].parts, fix_fails=None)
    )
    data = report_to_dict(replace(report, common_issues=(group,)))["common_issues"][0]
    assert data["summary"] == group.parts.text()
    assert data["parts"]["fix_fails"] is None


def test_recommendations_carry_kind_and_impact_in_the_given_order() -> None:
    recommendations = report_to_dict(fixture_report())["recommendations"]
    assert [(rec["kind"], rec["impact"]) for rec in recommendations] == [
        ("waiting", 2.5),
        ("fix_fails", 1.75),
    ]


def test_exclusions_and_the_model_are_listed() -> None:
    data = report_to_dict(fixture_report())
    assert [(item["reason"], item["count"]) for item in data["excluded"]] == [
        ("pinned", 1),
        ("label announcement", 1),
    ]
    assert data["excluded"][0]["tickets"][0]["number"] == 12
    assert data["written_by"] == {"model": "llama3.1:8b", "headline": "offline", "common_issues": [1]}
    empty = report_to_dict(empty_report())
    assert empty["excluded"] == []
    assert empty["written_by"] == {"model": None, "headline": "offline", "common_issues": []}


def test_the_schema_version_is_2_in_the_output_and_the_docs() -> None:
    assert report_to_dict(fixture_report())["schema_version"] == SCHEMA_VERSION == 2
    docs = (Path(__file__).resolve().parents[2] / "docs" / "json-schema.md").read_text(encoding="utf-8")
    assert docs.startswith("# Report JSON schema (version 2)")


_ANY_TEXT = st.text(max_size=30) | st.sampled_from(
    ['"quoted"', "back\\slash", "line\nbreak", "bad \ud800", "é ✓"]
)


@settings(max_examples=80, deadline=None)
@given(
    title=_ANY_TEXT,
    repo=_ANY_TEXT,
    state_reason=st.none() | _ANY_TEXT,
    labels=st.lists(_ANY_TEXT, max_size=3),
    score=st.floats(min_value=0, max_value=1e6, allow_nan=False) | st.integers(0, 10**6),
    number=st.integers(0, 10**9),
)
def test_the_ticket_list_is_written_as_json_dumps_writes_the_plain_report(
    title: str, repo: str, state_reason: str | None, labels: list[str], score: float, number: int
) -> None:
    # Ticket lists and references have a writer of their own (tens of thousands in a big report): the
    # same text regardless.
    ticket = replace(
        make_ticket(number, title, repo=repo, state_reason=state_reason, labels=tuple(labels)), url=title
    )
    base = fixture_report()
    report = replace(
        base,
        tickets=(ScoredTicket(ticket=ticket, score=score, breakdown=()),),
        response_times=replace(base.response_times, awaiting_response=(ref(ticket),)),
        recommendations=(replace(base.recommendations[0], tickets=(ref(ticket), ref(ticket))),),
    )
    plain = json.dumps(report_to_dict(report), indent=2, ensure_ascii=False)
    assert render_json(report) == plain
    assert json.loads(plain)["tickets"][0]["labels"] == [
        label.replace("\ud800", "\ufffd") for label in labels
    ]
    many = replace(report, tickets=report.tickets * 3, recommendations=report.recommendations * 2)
    assert render_json(many) == json.dumps(report_to_dict(many), indent=2, ensure_ascii=False)
    empty = replace(report, tickets=(), recommendations=(replace(report.recommendations[0], tickets=()),))
    assert render_json(empty) == json.dumps(report_to_dict(empty), indent=2, ensure_ascii=False)
