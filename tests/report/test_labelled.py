"""The report of the labelled evaluation set (bench/labelled) says what its labels say.

One fictional week of lumen-labs/support: common issues (a crash after an update whose fix does not work
for everyone, a workaround, a request for logs, no reply yet), team words that relate tickets, pasted
system-information blocks shared by unrelated tickets, workflow labels, pinned announcements.
expected.json documents every label; `python -m bench.eval_report` prints the same checks as figures.
"""

from __future__ import annotations

from typing import Any

import pytest

from bench.eval_report import (
    forbidden_recommendation,
    matching_recommendation,
    mentioned_numbers,
    names_word,
    part_problems,
    regression_allowed,
)
from bench.labelled.loader import LabelledCase, best_match, contains, load_case, load_expected, numbers
from bot.report.models import STATUS_KINDS, IssueGroup, Report

EXPECTED = load_expected()
GROUPS = EXPECTED["groups"]
GROUP_IDS = [g["name"] for g in GROUPS]


@pytest.fixture(scope="module")
def case() -> LabelledCase:
    return load_case()


@pytest.fixture(scope="module")
def report(case: LabelledCase) -> Report:
    return case.build()


def group_for(report: Report, expected: dict[str, Any]) -> IssueGroup:
    """The report's group for an expected one: the one overlapping it most, holding most of its tickets."""
    group = best_match(report.common_issues, expected["tickets"])
    formed = [sorted(numbers(g.tickets)) for g in report.common_issues]
    if group is None or 2 * len(numbers(group.tickets) & set(expected["tickets"])) < len(expected["tickets"]):
        pytest.fail(f"no group holds most of {expected['tickets']} ({expected['name']}); groups: {formed}")
    return group


def ticket_numbers(report: Report) -> set[int]:
    return {s.ticket.number for s in report.tickets}


# --- the data itself -------------------------------------------------------------------------------


def test_labelled_snapshot_loads_with_its_pinned_issues_flagged(case: LabelledCase):
    numbers_in_data = {t.number for t in case.data.tickets}
    pinned = {t.number for t in case.data.tickets if t.pinned}
    assert pinned == set(EXPECTED["excluded"]["pinned"])
    labelled = {n for g in GROUPS for n in g["tickets"]}
    labelled |= {n for rec in EXPECTED["recommendations"] for n in rec["tickets"]}
    labelled |= {n for item in EXPECTED["not_together"] for n in item["tickets"]}
    assert labelled <= numbers_in_data
    assert {int(n) for n in EXPECTED["inventory"]} == numbers_in_data
    assert 22 <= len(case.data.tickets) <= 28 and 40 <= len(case.data.comments) <= 60
    assert {g["status"] for g in GROUPS} <= set(STATUS_KINDS)


def test_totals_count_the_active_tickets_but_not_the_pinned_ones(report: Report):
    assert report.totals.total == EXPECTED["active_tickets"]
    assert report.totals.new == EXPECTED["new_tickets"]


# --- groups ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("expected", GROUPS, ids=GROUP_IDS)
def test_every_expected_common_issue_is_found_exactly(report: Report, expected: dict[str, Any]):
    formed = [sorted(numbers(g.tickets)) for g in report.common_issues]
    assert sorted(expected["tickets"]) in formed


def test_no_group_is_formed_beyond_the_expected_ones(report: Report):
    wanted = [sorted(g["tickets"]) for g in GROUPS]
    unexpected = [
        sorted(numbers(g.tickets)) for g in report.common_issues if sorted(numbers(g.tickets)) not in wanted
    ]
    assert unexpected == []


@pytest.mark.parametrize(
    "pair",
    EXPECTED["not_together"],
    ids=[f"{a}-{b}" for a, b in (p["tickets"] for p in EXPECTED["not_together"])],
)
def test_tickets_sharing_only_diagnostics_or_a_version_are_never_grouped(
    report: Report, pair: dict[str, Any]
):
    together = [
        sorted(numbers(g.tickets)) for g in report.common_issues if set(pair["tickets"]) <= numbers(g.tickets)
    ]
    assert together == [], pair["why"]


@pytest.mark.parametrize(
    "pair", EXPECTED["related_only"], ids=[f"{a}-{b}" for a, b in EXPECTED["related_only"]]
)
def test_a_team_similar_issue_link_does_not_group_tickets_whose_text_differs(report: Report, pair: list[int]):
    assert not any(set(pair) <= numbers(g.tickets) for g in report.common_issues)


# --- group summaries -------------------------------------------------------------------------------


@pytest.mark.parametrize("expected", GROUPS, ids=GROUP_IDS)
def test_every_group_summary_has_four_non_empty_parts_citing_tickets_of_that_group(
    report: Report, expected: dict[str, Any]
):
    group = group_for(report, expected)
    assert group.parts is not None, "IssueGroup.parts is missing"
    assert part_problems(group.parts, numbers(group.tickets)) == []
    assert group.summary.strip()


@pytest.mark.parametrize("expected", GROUPS, ids=GROUP_IDS)
def test_group_summary_names_the_problem_reporters_describe(report: Report, expected: dict[str, Any]):
    parts = group_for(report, expected).parts
    assert parts is not None
    assert contains(parts.problem.text, expected["problem"]), parts.problem.text


@pytest.mark.parametrize(
    "expected", [g for g in GROUPS if g["error"]], ids=[g["name"] for g in GROUPS if g["error"]]
)
def test_error_line_is_quoted_verbatim_with_its_url_intact(report: Report, expected: dict[str, Any]):
    parts = group_for(report, expected).parts
    assert parts is not None and parts.error is not None
    assert contains(parts.error, expected["error"]), parts.error
    # Wherever the summary quotes the URL, it quotes it whole.
    url = expected["error"].rsplit(" ", 1)[-1]
    host = url.split("//", 1)[1].split(":", 1)[0]
    for text in (parts.problem.text, parts.error, group_for(report, expected).summary):
        if host in text:
            assert url in text, text


@pytest.mark.parametrize("expected", GROUPS, ids=GROUP_IDS)
def test_group_summary_names_the_product_and_only_a_version_the_reports_share(
    report: Report, expected: dict[str, Any]
):
    parts = group_for(report, expected).parts
    assert parts is not None
    assert (parts.product or "").lower() == expected["product"].lower()
    assert parts.version == expected["version"]
    assert contains(parts.affected.text, expected["product"])
    if expected["version"]:
        assert contains(parts.affected.text, expected["version"])


@pytest.mark.parametrize("expected", GROUPS, ids=GROUP_IDS)
def test_group_status_is_the_teams_latest_word(report: Report, expected: dict[str, Any]):
    parts = group_for(report, expected).parts
    assert parts is not None
    assert parts.status_kind == expected["status"], parts.status.text


@pytest.mark.parametrize("expected", GROUPS, ids=GROUP_IDS)
def test_a_reporter_saying_the_fix_fails_is_reported_and_cited_and_nothing_else_is(
    report: Report, expected: dict[str, Any]
):
    parts = group_for(report, expected).parts
    assert parts is not None
    if expected["fix_fails"]:
        assert parts.fix_fails is not None
        assert set(expected["fix_fails"]) <= numbers(parts.fix_fails.tickets)
        assert parts.fix_fails.text.strip()
    else:
        assert parts.fix_fails is None


@pytest.mark.parametrize("expected", GROUPS, ids=GROUP_IDS)
def test_tell_users_gives_the_teams_fix_or_workaround(report: Report, expected: dict[str, Any]):
    parts = group_for(report, expected).parts
    assert parts is not None
    assert parts.tell_users.text.strip()
    if expected["tell_users"]:
        assert contains(parts.tell_users.text, expected["tell_users"]), parts.tell_users.text


def test_no_summary_repeats_a_pasted_system_information_block(report: Report):
    for group in report.common_issues:
        parts = group.parts
        texts = [group.title, group.summary]
        if parts is not None:
            texts += [parts.problem.text, parts.affected.text, parts.status.text, parts.tell_users.text]
            texts += [parts.error or "", parts.version or ""]
        for word in EXPECTED["forbidden_in_summaries"]:
            assert not any(contains(text, word) for text in texts), (word, group.title)


# --- recommendations -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rule", EXPECTED["recommendations"], ids=[r["kind"] for r in EXPECTED["recommendations"]]
)
def test_expected_recommendation_is_made_citing_its_tickets(report: Report, rule: dict[str, Any]):
    made = [(r.kind, sorted(numbers(r.tickets)), r.title) for r in report.recommendations]
    assert matching_recommendation(rule, report.recommendations) is not None, (rule["why"], made)


def test_at_most_five_recommendations_ordered_by_impact(report: Report):
    recs = report.recommendations
    assert len(recs) <= 5
    assert all(r.kind for r in recs)
    impacts = [r.impact for r in recs]
    assert impacts == sorted(impacts, reverse=True)


@pytest.mark.parametrize(
    "rule",
    EXPECTED["no_recommendation"],
    ids=[
        " ".join(str(r[k]) for k in ("kind", "label", "version") if r.get(k))
        for r in EXPECTED["no_recommendation"]
    ],
)
def test_recommendation_without_evidence_is_not_made(report: Report, rule: dict[str, Any]):
    assert forbidden_recommendation(rule, report.recommendations) == [], rule["why"]


def test_regression_recommendation_only_for_a_version_a_group_of_reports_shares(report: Report):
    for rec in report.recommendations:
        if rec.kind == "regression":
            assert regression_allowed(rec, EXPECTED), (rec.title, sorted(numbers(rec.tickets)))


def test_a_workflow_label_never_makes_a_label_rise(report: Report):
    for rec in report.recommendations:
        if rec.kind == "label_rise":
            assert not names_word(rec, "status:triaged"), rec.title


# --- exclusions and headline -----------------------------------------------------------------------


def test_pinned_announcements_are_excluded_and_counted(report: Report):
    excluded = [n for e in report.excluded for n in numbers(e.tickets)]
    assert sorted(excluded) == sorted(EXPECTED["excluded"]["pinned"])
    assert all(e.reason for e in report.excluded)


def test_excluded_tickets_appear_nowhere_else_in_the_report(report: Report):
    pinned = set(EXPECTED["excluded"]["pinned"])
    assert not pinned & ticket_numbers(report)
    assert not pinned & mentioned_numbers(report)


def test_headline_cites_the_weeks_main_problem_and_only_active_tickets(report: Report):
    cited = numbers(report.headline.tickets)
    assert report.headline.text.strip()
    assert cited & set(EXPECTED["headline_cites_any"])
    assert cited <= ticket_numbers(report)
