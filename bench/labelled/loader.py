"""Load the labelled evaluation set and build its report; small helpers to compare a report with the labels.

Paths are relative to this file, so the set loads from any working directory:

    from bench.labelled.loader import load_case
    case = load_case()
    report = case.build()          # build_report(...) for the labelled period, ReportOptions() defaults
    case.expected["groups"]        # the labels (see expected.json "_about")
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import combinations
from pathlib import Path
from typing import Any

from bot.report.builder import build_report
from bot.report.models import IssueGroup, Period, Report, TicketData, TicketRef
from bot.report.options import ReportOptions
from bot.report.periods import parse_period, parse_timezone
from bot.sources.github import read_snapshot
from bot.sources.payloads import parse_datetime

HERE = Path(__file__).resolve().parent
SNAPSHOT_PATH = HERE / "support-snapshot.json"
EXPECTED_PATH = HERE / "expected.json"

_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class LabelledCase:
    """The labelled set, ready to report on: the labels, the tickets and the period they are about."""

    expected: dict[str, Any]
    repo: str
    data: TicketData
    period: Period
    now: datetime
    options: ReportOptions

    def build(self) -> Report:
        return build_report(
            self.data, period=self.period, now=self.now, repos=(self.repo,), options=self.options
        )


def load_expected(path: str | Path = EXPECTED_PATH) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def load_data(repo: str, path: str | Path = SNAPSHOT_PATH) -> TicketData:
    """The snapshot's tickets and comments of `repo`, pinned issues flagged."""
    data = read_snapshot(path)[repo]
    # Fallback while read_snapshot does not read the snapshot's "pinned" key yet: flag them here.
    pinned = set(json.loads(Path(path).read_text(encoding="utf-8")).get("pinned", {}).get(repo, ()))
    if any(t.number in pinned and not t.pinned for t in data.tickets):
        tickets = tuple(replace(t, pinned=True) if t.number in pinned else t for t in data.tickets)
        data = replace(data, tickets=tickets)
    return data


def load_case(
    snapshot: str | Path = SNAPSHOT_PATH,
    expected: str | Path = EXPECTED_PATH,
    options: ReportOptions | None = None,
) -> LabelledCase:
    labels = load_expected(expected)
    now = parse_datetime(labels["now"])
    if now is None:
        raise ValueError(f"expected.json: 'now' is not a date-time: {labels['now']!r}")
    period = parse_period(labels["period"], now=now, tz=parse_timezone(labels["tz"]))
    return LabelledCase(
        expected=labels,
        repo=labels["repo"],
        data=load_data(labels["repo"], snapshot),
        period=period,
        now=now,
        options=options or ReportOptions(),
    )


# --- comparing a report with the labels -----------------------------------------------------------


def numbers(refs: Iterable[TicketRef]) -> frozenset[int]:
    return frozenset(r.number for r in refs)


def same_group_pairs(groups: Iterable[Iterable[int]]) -> set[frozenset[int]]:
    """Every unordered pair of tickets placed in the same group."""
    return {frozenset(pair) for group in groups for pair in combinations(sorted(set(group)), 2)}


@dataclass(frozen=True)
class PairScores:
    found: int  # pairs the report put together
    expected: int  # pairs the labels put together
    correct: int  # pairs in both

    @property
    def precision(self) -> float:
        return self.correct / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.expected if self.expected else 1.0


def pair_scores(found: Iterable[Iterable[int]], expected: Iterable[Iterable[int]]) -> PairScores:
    got, want = same_group_pairs(found), same_group_pairs(expected)
    return PairScores(found=len(got), expected=len(want), correct=len(got & want))


def best_match(groups: Sequence[IssueGroup], tickets: Iterable[int]) -> IssueGroup | None:
    """The report's group that overlaps `tickets` most (Jaccard), or None when none shares a ticket."""
    wanted = frozenset(tickets)
    best: tuple[float, IssueGroup] | None = None
    for group in groups:
        members = numbers(group.tickets)
        overlap = len(members & wanted) / len(members | wanted)
        if overlap > 0 and (best is None or overlap > best[0]):
            best = (overlap, group)
    return best[1] if best else None


def norm(text: str | None) -> str:
    """Lower case, whitespace collapsed: how the labels' substrings are compared with report text."""
    return _SPACES.sub(" ", text or "").strip().lower()


def contains(text: str | None, wanted: str) -> bool:
    return norm(wanted) in norm(text)
