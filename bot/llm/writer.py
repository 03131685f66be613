"""Has a language model rewrite a report's headline and common-issue summaries, within a time budget.

`ModelWriter.rewrite(report, data)` asks once per part (the headline; each common issue), all at
once, and waits at most `budget_seconds` in all: a part whose answer is late, failed, or rejected by
the guard keeps the offline text the core wrote, and one log line says which part and why. A slow or
dead model never delays a report past the budget, and nothing about the model ever raises.

Accepted answers are cached (`AnswerCache`, the store) under a hash of the model and the messages, so
a repeated report, its digest and its drill-down ask the model once.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from bot.llm.client import ModelError
from bot.report.model_prompt import Prompt, apply_answers, build_prompts
from bot.report.models import Report, TicketData

log = logging.getLogger(__name__)

MAX_WORKERS = 8  # parts asked at once per report (a report has the headline and a handful of groups)
_MIN_REQUEST_SECONDS = 0.05  # too little budget left to be worth a request


class ChatModel(Protocol):
    """What the writer needs of a model client (bot.llm.client.ChatClient)."""

    @property
    def model(self) -> str: ...

    def complete(self, messages: Sequence[dict[str, str]], *, timeout: float) -> str: ...


class AnswerCache(Protocol):
    """Accepted answers by key (bot.store.Store)."""

    def llm_answer(self, key: str) -> str | None: ...

    def save_llm_answer(self, key: str, *, model: str, answer: str, now: datetime | None = None) -> None: ...


@dataclass(frozen=True)
class _Outcome:
    text: str = ""  # the accepted answer, whitespace collapsed
    problem: str = ""  # why there is none: the model failed, or the guard rejected its answer
    cached: bool = False


def cache_key(model: str, messages: Sequence[dict[str, str]]) -> str:
    """The cache key of an answer: SHA-256 of the model name and the exact messages."""
    canonical = json.dumps({"model": model, "messages": list(messages)}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _utc_now() -> datetime:
    return datetime.now(UTC)


class ModelWriter:
    """Rewrites reports with a model; shared by every report the service builds (thread-safe)."""

    def __init__(
        self,
        *,
        client: ChatModel,
        cache: AnswerCache | None,
        budget_seconds: float,
        team_logins: frozenset[str] = frozenset(),
        clock: Callable[[], datetime] = _utc_now,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._cache = cache
        self._budget = budget_seconds
        self._team_logins = team_logins
        self._clock = clock
        self._monotonic = monotonic

    @property
    def model(self) -> str:
        return self._client.model

    def rewrite(self, report: Report, data: TicketData) -> Report:
        """`report` with the parts the model answered in time and acceptably; the rest unchanged."""
        try:
            return self._rewrite(report, data)
        except Exception:  # the model is optional: a bug here must not cost the user the report
            log.exception("model writing failed; the report keeps its offline text")
            return report

    def _rewrite(self, report: Report, data: TicketData) -> Report:
        prompts = build_prompts(report, data, team_logins=self._team_logins)
        if not prompts:
            return report
        deadline = self._monotonic() + self._budget
        executor = ThreadPoolExecutor(max_workers=min(len(prompts), MAX_WORKERS), thread_name_prefix="model")
        try:
            futures: dict[Future[_Outcome], Prompt] = {
                executor.submit(self._answer, prompt, deadline): prompt for prompt in prompts
            }
            done, _ = wait(futures, timeout=max(deadline - self._monotonic(), 0))
        finally:
            # Stragglers are not waited for: their requests time out on their own by the deadline.
            executor.shutdown(wait=False, cancel_futures=True)
        answers: dict[str, str] = {}
        for future, prompt in futures.items():
            late = _Outcome(problem=f"no answer within the {self._budget:g} s budget")
            outcome = future.result() if future in done else late
            if outcome.text:
                answers[prompt.part] = outcome.text
            else:
                log.warning("model: %s: %s; offline text used", prompt.label, outcome.problem)
        return apply_answers(report, answers, model=self.model)

    def _answer(self, prompt: Prompt, deadline: float) -> _Outcome:
        messages = prompt.message_dicts()
        key = cache_key(self.model, messages)
        cached = self._cached(key)
        if cached is not None:
            verdict = prompt.check(cached)
            if verdict.accepted:
                return _Outcome(text=verdict.text, cached=True)
        remaining = deadline - self._monotonic()
        if remaining < _MIN_REQUEST_SECONDS:
            return _Outcome(problem="no time left in the budget to ask")
        try:
            answer = self._client.complete(messages, timeout=remaining)
        except ModelError as exc:
            return _Outcome(problem=str(exc))
        verdict = prompt.check(answer)
        if not verdict.accepted:
            return _Outcome(problem=f"answer rejected: {verdict.reason}")
        self._save(key, answer)
        return _Outcome(text=verdict.text)

    def _cached(self, key: str) -> str | None:
        if self._cache is None:
            return None
        try:
            return self._cache.llm_answer(key)
        except Exception as exc:  # a cache that cannot be read is a cache miss, not a failed report
            log.warning("model: cannot read the answer cache (%s); asking the model", type(exc).__name__)
            return None

    def _save(self, key: str, answer: str) -> None:
        if self._cache is None:
            return
        try:
            self._cache.save_llm_answer(key, model=self.model, answer=answer, now=self._clock())
        except Exception as exc:
            log.warning("model: cannot save to the answer cache (%s)", type(exc).__name__)
