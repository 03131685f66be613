"""Score the report core against the labelled evaluation set (bench/labelled).

Run from the repository root (a report, not a test: it always exits 0):

    python -m bench.eval_report

Prints one line per figure, then a table per expected group of what was expected and what came out:
- group pairs: precision and recall over pairs of tickets placed in the same group, against the labels;
- summaries: the share of expected groups whose four-part summary names the expected problem, error line,
  product, version, status, fix-fails report and tell-users text (each summary is the report group that
  overlaps the expected one most; a figure counts the groups the labels say something about);
- recommendations: the expected ones made, the forbidden ones made;
- exclusions: the pinned issues the report left out, and whether they leak anywhere else.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from bench.labelled.loader import (
    LabelledCase,
    best_match,
    contains,
    load_case,
    numbers,
    pair_scores,
)
from bot.report.models import GroupSummary, IssueGroup, Recommendation, Report

_WIDTH = 110


def main(argv: Sequence[str] | None = None) -> int:
    del argv  # no options
    try:
        case = load_case()
        report = case.build()
    except Exception as exc:  # a report on the core: say what broke instead of a traceback
        print(f"could not build the labelled report: {exc.__class__.__name__}: {exc}")
        return 0
    for line in evaluate(case, report):
        print(line)
    return 0


def evaluate(case: LabelledCase, report: Report) -> list[str]:
    expected = case.expected
    out = [
        f"labelled set: {case.repo}, {case.period.label} ({len(case.data.tickets)} tickets, "
        f"{len(case.data.comments)} comments in the snapshot)",
        f"active tickets: {report.totals.total} (expected {expected['active_tickets']}), "
        f"new: {report.totals.new} (expected {expected['new_tickets']})",
        "",
    ]
    out += _figures(expected, report)
    out += ["", *_group_table(expected, report)]
    out += ["", *_recommendation_lines(expected, report)]
    out += ["", *_headline_lines(expected, report)]
    return out


# --- figures --------------------------------------------------------------------------------------


def _figures(expected: dict[str, Any], report: Report) -> list[str]:
    found_groups = [numbers(g.tickets) for g in report.common_issues]
    wanted_groups = [g["tickets"] for g in expected["groups"]]
    pairs = pair_scores(found_groups, wanted_groups)
    exact = sum(frozenset(g) in set(found_groups) for g in wanted_groups)
    lines = [
        f"group-pair precision:     {pairs.precision:6.1%}  "
        f"({pairs.correct}/{pairs.found} pairs put together are expected together)",
        f"group-pair recall:        {pairs.recall:6.1%}  "
        f"({pairs.correct}/{pairs.expected} expected pairs put together)",
        f"groups found exactly:     {_share(exact, len(wanted_groups))}  "
        f"(report formed {len(found_groups)} groups)",
    ]
    broken = [
        item["tickets"]
        for item in expected["not_together"]
        if any(set(item["tickets"]) <= g for g in found_groups)
    ] + [pair for pair in expected["related_only"] if any(set(pair) <= g for g in found_groups)]
    lines.append(f"forbidden pairs grouped:  {len(broken)}" + (f"  {broken}" if broken else ""))

    checks: dict[str, list[bool]] = {
        name: []
        for name in ("problem", "error", "product", "version", "status", "fix_fails", "tell_users", "parts")
    }
    for item in expected["groups"]:
        group = best_match(report.common_issues, item["tickets"])
        for name, ok in _summary_checks(item, group).items():
            checks[name].append(ok)
    labels = {
        "parts": "four non-empty parts, citing the group",
        "problem": "Problem names the expected problem",
        "error": "error line verbatim (URL intact)",
        "product": "product",
        "version": "version (or none where none is shared)",
        "status": "status kind",
        "fix_fails": "fix-fails report (or none)",
        "tell_users": "Tell users has the expected text",
    }
    for name, label in labels.items():
        results = checks[name]
        lines.append(f"summaries, {label + ':':42s} {_share(sum(results), len(results))}")
    leaked = _forbidden_in_summaries(expected, report)
    lines.append(
        f"summaries quoting system information:      {len(leaked)}" + (f"  {leaked}" if leaked else "")
    )
    return lines


def _summary_checks(item: dict[str, Any], group: IssueGroup | None) -> dict[str, bool]:
    """Which of the labels' statements about one group the report's closest group meets."""
    parts = group.parts if group else None
    checks: dict[str, bool] = {}
    members = numbers(group.tickets) if group else frozenset()
    checks["parts"] = parts is not None and not part_problems(parts, members)
    problem_text = parts.problem.text if parts else (group.summary if group else "")
    checks["problem"] = group is not None and contains(problem_text, item["problem"])
    if item.get("error"):
        error_text = " ".join(x for x in ((parts.error or "") if parts else "", problem_text) if x)
        checks["error"] = group is not None and contains(error_text, item["error"])
    checks["product"] = parts is not None and (parts.product or "").lower() == item["product"].lower()
    checks["version"] = parts is not None and parts.version == item["version"]
    checks["status"] = parts is not None and parts.status_kind == item["status"]
    if parts is None:
        checks["fix_fails"] = False
    elif item["fix_fails"]:
        checks["fix_fails"] = parts.fix_fails is not None and set(item["fix_fails"]) <= numbers(
            parts.fix_fails.tickets
        )
    else:
        checks["fix_fails"] = parts.fix_fails is None
    if item.get("tell_users"):
        checks["tell_users"] = parts is not None and contains(parts.tell_users.text, item["tell_users"])
    return checks


def part_problems(parts: GroupSummary, members: frozenset[int]) -> list[str]:
    """What is wrong with a summary's four parts: each must have text and cite tickets of its group only."""
    problems = []
    for name in ("problem", "affected", "status", "tell_users"):
        cited = getattr(parts, name)
        if not cited.text.strip():
            problems.append(f"{name} is empty")
        if not cited.tickets:
            problems.append(f"{name} cites no ticket")
        elif outside := sorted(numbers(cited.tickets) - members):
            problems.append(f"{name} cites tickets outside the group: {_nums(outside)}")
    return problems


def _forbidden_in_summaries(expected: dict[str, Any], report: Report) -> list[str]:
    leaked = []
    for group in report.common_issues:
        texts = [group.summary, *(_part_texts(group.parts) if group.parts else ())]
        for word in expected["forbidden_in_summaries"]:
            if any(contains(text, word) for text in texts):
                leaked.append(f"{word!r} in “{group.title}”")
    return leaked


def _part_texts(parts: GroupSummary) -> list[str]:
    texts = [parts.problem.text, parts.affected.text, parts.status.text, parts.tell_users.text]
    if parts.fix_fails:
        texts.append(parts.fix_fails.text)
    return [*texts, parts.error or "", parts.product or "", parts.version or ""]


def _share(hits: int, total: int) -> str:
    return f"{hits / total:6.1%}  ({hits}/{total})" if total else "   n/a  (0/0)"


# --- per-group table ------------------------------------------------------------------------------


def _group_table(expected: dict[str, Any], report: Report) -> list[str]:
    lines = ["per expected group (expected -> what came out):"]
    matched: set[int] = set()
    for item in expected["groups"]:
        group = best_match(report.common_issues, item["tickets"])
        wanted = sorted(item["tickets"])
        lines.append("")
        lines.append(f"  {item['name']}")
        if group is None:
            lines.append(f"    tickets:    {_nums(wanted)} -> NOT FOUND (no group shares a ticket)")
            continue
        matched.add(id(group))
        got = sorted(numbers(group.tickets))
        verdict = "exact" if got == wanted else "PARTIAL"
        lines.append(f"    tickets:    {_nums(wanted)} -> {_nums(got)} ({verdict}); title “{group.title}”")
        checks = _summary_checks(item, group)
        parts = group.parts
        if parts is None:
            lines.append("    XX parts:      MISSING (IssueGroup.parts is None): " + _clip(group.summary, 50))
            continue
        lines.append(_row("problem", item["problem"], parts.problem.text, checks["problem"]))
        if item.get("error"):
            lines.append(_row("error", item["error"], parts.error or "(none)", checks["error"]))
        lines.append(_row("product", item["product"], parts.product or "(none)", checks["product"]))
        lines.append(
            _row("version", item["version"] or "(none shared)", parts.version or "(none)", checks["version"])
        )
        lines.append(_row("status", item["status"], parts.status_kind, checks["status"]))
        lines.append(_row("  status", "", parts.status.text, None))
        fails = f"cites {_nums(sorted(numbers(parts.fix_fails.tickets)))}" if parts.fix_fails else "(none)"
        lines.append(
            _row(
                "fix fails",
                f"cites {_nums(item['fix_fails'])}" if item["fix_fails"] else "(none)",
                fails,
                checks["fix_fails"],
            )
        )
        lines.append(
            _row("tell users", item["tell_users"] or "(any)", parts.tell_users.text, checks.get("tell_users"))
        )
        lines.append(_row("affected", "", parts.affected.text, None))
        for problem in part_problems(parts, numbers(group.tickets)):
            lines.append(f"    XX parts:      {problem}")
    extra = [g for g in report.common_issues if id(g) not in matched]
    for group in extra:
        lines.append("")
        lines.append(f"  UNEXPECTED group {_nums(sorted(numbers(group.tickets)))} “{group.title}”")
    return lines


def _row(name: str, wanted: str, got: str, ok: bool | None) -> str:
    mark = "  " if ok is None else ("ok" if ok else "XX")
    left = f"    {mark} {name + ':':11s} "
    if not wanted:
        return left + _clip(got, _WIDTH - len(left))
    return left + _clip(f"{wanted!s} -> {got}", _WIDTH - len(left))


# --- recommendations and headline -----------------------------------------------------------------


def _recommendation_lines(expected: dict[str, Any], report: Report) -> list[str]:
    recs = report.recommendations
    made = [rec for rec in expected["recommendations"] if matching_recommendation(rec, recs) is not None]
    forbidden = [rule for rule in expected["no_recommendation"] if forbidden_recommendation(rule, recs)]
    bad_regressions = [r for r in recs if r.kind == "regression" and not regression_allowed(r, expected)]
    impacts = [r.impact for r in recs]
    ordered = impacts == sorted(impacts, reverse=True)
    lines = [
        f"recommendations expected and made:        {_share(len(made), len(expected['recommendations']))}",
        f"recommendations that must not be made:    {len(forbidden) + len(bad_regressions)} made"
        + "".join(f"  [{_rule(rule)}]" for rule in forbidden)
        + "".join(f"  [regression: “{r.title}”]" for r in bad_regressions),
        f"recommendations: {len(recs)} (at most 5), ordered by impact: {'yes' if ordered else 'NO'}",
    ]
    for rec in expected["recommendations"]:
        hit = matching_recommendation(rec, recs)
        want = f"{rec['kind']} {_nums(rec['tickets'])}" + (" exactly" if rec.get("exact") else "")
        got = f"“{hit.title}” {_nums(sorted(numbers(hit.tickets)))}" if hit else "MISSING"
        lines.append(f"    {'ok' if hit else 'XX'} {want} -> {got}")
    for rec in recs:
        lines.append(
            f"       made: {rec.kind or '(no kind)'} impact {rec.impact:g}: “{rec.title}” "
            f"{_nums(sorted(numbers(rec.tickets)))}"
        )
    excluded = {n for e in report.excluded for n in numbers(e.tickets)}
    want_excluded = {n for nums in expected["excluded"].values() for n in nums}
    leaks = sorted(want_excluded & mentioned_numbers(report))
    listed = "; ".join(f"{e.reason}: {_nums(sorted(numbers(e.tickets)))}" for e in report.excluded)
    share = _share(len(want_excluded & excluded), len(want_excluded))
    lines.append(
        f"pinned/announcements excluded:            {share}  (Report.excluded: {listed or 'nothing'}); "
        f"shown elsewhere anyway: {_nums(leaks) if leaks else 'none'}"
    )
    return lines


def matching_recommendation(rule: dict[str, Any], recs: Sequence[Recommendation]) -> Recommendation | None:
    """The recommendation the labels' `rule` asks for, if the report made it."""
    for rec in recs:
        if rec.kind != rule["kind"]:
            continue
        if rule.get("label") and not names_word(rec, rule["label"]):
            continue
        cited = numbers(rec.tickets)
        wanted = set(rule["tickets"])
        if (cited == wanted) if rule.get("exact") else (wanted <= cited):
            return rec
    return None


def forbidden_recommendation(rule: dict[str, Any], recs: Sequence[Recommendation]) -> list[Recommendation]:
    """The recommendations a `no_recommendation` rule forbids that the report made anyway."""
    word = rule.get("label") or rule.get("version")
    return [rec for rec in recs if rec.kind == rule["kind"] and (word is None or names_word(rec, word))]


def regression_allowed(rec: Recommendation, expected: dict[str, Any]) -> bool:
    return any(
        names_word(rec, allowed["version"]) and numbers(rec.tickets) <= set(allowed["tickets"])
        for allowed in expected["regression_allowed"]
    )


def names_word(rec: Recommendation, word: str) -> bool:
    """The recommendation's title or text names `word` as a whole label or version (not inside another)."""
    pattern = re.compile(rf"(?<![\w.:-]){re.escape(word.lower())}(?![\w:-]|\.\d)")
    return bool(pattern.search(f"{rec.title}\n{rec.text}".lower()))


def mentioned_numbers(report: Report) -> set[int]:
    """Every ticket number the report shows outside Report.excluded."""
    refs: list[Iterable[Any]] = [
        [s.ticket for s in report.tickets],
        [s.ticket for s in report.most_active],
        report.headline.tickets,
        report.response_times.awaiting_response,
    ]
    for group in report.common_issues:
        refs.append(group.tickets)
        if group.parts:
            cited = [group.parts.problem, group.parts.affected, group.parts.status, group.parts.tell_users]
            refs += [c.tickets for c in cited]
            if group.parts.fix_fails:
                refs.append(group.parts.fix_fails.tickets)
    refs += [rec.tickets for rec in report.recommendations]
    return {r.number for items in refs for r in items}


def _headline_lines(expected: dict[str, Any], report: Report) -> list[str]:
    cited = numbers(report.headline.tickets)
    ok = bool(cited & set(expected["headline_cites_any"]))
    return [
        f"headline cites the main problem:          {'yes' if ok else 'NO'} "
        f"(cites {_nums(sorted(cited)) if cited else 'nothing'})",
        f"    “{_clip(report.headline.text or '(empty)', _WIDTH - 6)}”",
    ]


def _rule(rule: dict[str, Any]) -> str:
    return " ".join(str(rule[k]) for k in ("kind", "label", "version") if rule.get(k))


def _nums(items: Iterable[int]) -> str:
    return ", ".join(f"#{n}" for n in items) or "-"


def _clip(text: str, limit: int = _WIDTH) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: max(limit - 1, 1)] + "…"


if __name__ == "__main__":
    sys.exit(main())
