"""The optional language model that rewrites a report's headline and common-issue summaries.

Off unless TICKET_REPORT_LLM_URL is set. `client` talks to an OpenAI-compatible server; `writer` asks it
within the report's time budget and falls back to the offline text. What is asked and how answers
are checked is pure and lives in the core (bot.report.model_prompt, bot.report.model_guard).
"""

from __future__ import annotations

from bot.llm.client import ChatClient, ModelError
from bot.llm.writer import AnswerCache, ModelWriter
from bot.settings import Settings

__all__ = ["AnswerCache", "ChatClient", "ModelError", "ModelWriter", "describe_model", "model_writer"]


def model_writer(settings: Settings, *, cache: AnswerCache | None) -> ModelWriter | None:
    """The writer for these settings, answers cached in `cache`; None when no model is configured."""
    if not settings.llm_url or not settings.llm_model:
        return None
    client = ChatClient(base_url=settings.llm_url, model=settings.llm_model, key=settings.llm_key)
    return ModelWriter(
        client=client,
        cache=cache,
        budget_seconds=settings.config.llm_timeout_seconds,
        team_logins=settings.report_options().team_logins,
    )


def describe_model(settings: Settings) -> str:
    """One line for the start-up log: which model writes, within what budget (never the URL or key)."""
    if not settings.llm_model or not settings.llm_url:
        return "no language model configured: headlines and summaries are written offline"
    budget = settings.config.llm_timeout_seconds
    return f"model {settings.llm_model} writes headlines and group summaries (budget {budget:g} s per report)"
