"""Settings: environment variables and the config file, loaded and validated once.

Every problem is reported at once, naming the variable or config key to fix. Nothing else in the bot
reads the environment or the config file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.report.options import ReportOptions, ScoreWeights
from bot.report.periods import DEFAULT_MAX_PERIOD_DAYS

REPO_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$")
DEFAULT_GITHUB_API_URL = "https://api.github.com"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite:///ticket-report.db"
SLACK_MEMBER_ID = re.compile(r"[UWS][A-Z0-9]{2,30}", re.ASCII)  # a user (U…, W…) or a user group (S…)


class SettingsError(Exception):
    """Configuration that cannot work; the message lists every problem and how to fix it."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        if len(problems) == 1:  # one line, like every other error the command line prints
            super().__init__(problems[0])
        else:
            super().__init__("Configuration problems:\n" + "\n".join(f"- {p}" for p in problems))


def valid_repo(name: str) -> bool:
    return bool(REPO_PATTERN.match(name)) and ".." not in name


def parse_issue_ref(value: int | str) -> tuple[str | None, int] | None:
    """12 or "12" -> (None, 12); "octo/support#12" -> ("octo/support", 12); anything else -> None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return (None, value) if value > 0 else None
    text = str(value).strip().lstrip("#")
    if text.isdigit() and int(text) > 0:
        return (None, int(text))
    repo, sep, number = text.rpartition("#")
    if sep and valid_repo(repo) and number.isdigit() and int(number) > 0:
        return (repo.lower(), int(number))
    return None


def valid_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


class WeightsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    community_comment: float = Field(2.0, ge=0)
    team_comment: float = Field(0.5, ge=0)
    participant: float = Field(1.5, ge=0)
    reaction: float = Field(0.25, ge=0)
    new_ticket: float = Field(2.0, ge=0)
    reopened: float = Field(2.0, ge=0)
    recency: float = Field(3.0, ge=0)
    recency_half_life_hours: float = Field(24.0, gt=0)


class ChannelConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    repos: list[str] = []


class SubscriptionConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: str
    cadence: Literal["daily", "weekdays", "weekly"] = "daily"
    at: str = "09:00"
    timezone: str = "UTC"
    repos: list[str] = []
    quiet: bool = False


class FileConfig(BaseModel):
    """The YAML config file (see config/ticket-report.example.yml)."""

    model_config = ConfigDict(extra="forbid")
    repos: list[str] = []
    timezone: str = "UTC"
    top: int = Field(5, ge=1, le=50)
    exclude_labels: list[str] = sorted(ReportOptions().exclude_labels)
    exclude_issues: list[int | str] = []
    exclude_pinned: bool = True
    workflow_labels: list[str] = list(ReportOptions().workflow_labels)
    label_rise_min: int = Field(3, ge=1)
    label_rise_factor: float = Field(2.0, ge=1)
    llm_timeout_seconds: float = Field(8, gt=0, le=120)
    team_logins: list[str] = []
    score_weights: WeightsConfig = WeightsConfig()
    response_target_hours: float = Field(24, gt=0)
    long_open_days: float = Field(30, gt=0)
    channels: dict[str, ChannelConfig] = {}
    cache_seconds: int = Field(300, ge=0)
    # Search requests GitHub allows the token a minute; empty: GitHub's own limit (30, 10 without a token).
    github_search_per_minute: int | None = Field(None, ge=1, le=10_000)
    subscriptions: list[SubscriptionConfig] = []
    subscription_managers: list[str] = []
    # Who may act on tickets from Slack (close, reopen, label, assign, reply): Slack user IDs (U…, W…) and
    # user group IDs (S…). Empty means nobody -- unlike subscription_managers, where it means everyone.
    triage_managers: list[str] = []
    digest_grace_hours: float = Field(6, ge=0)
    # How long any wait on the database may take, in seconds (locks, statements, answers, the pool).
    database_timeout_seconds: float = Field(5, gt=0, le=600)
    # The longest period a report may cover, in days; at least a week, which weekly digests cover.
    max_period_days: int = Field(DEFAULT_MAX_PERIOD_DAYS, ge=7, le=100 * 366)
    # The ticket mirror: incremental sync every `sync_minutes` (0: never in the scheduler; reports then
    # sync when the mirror is older than that), deletions checked every `reconcile_hours`.
    mirror: bool = True
    sync_minutes: float = Field(5, ge=0, le=24 * 60)
    reconcile_hours: float = Field(24, gt=0)
    # Real-time alerts: more than `alert_burst` new tickets a minute in one channel are bundled into one
    # message; every `alert_check_seconds` a pass posts what webhooks did not trigger (and `waiting`).
    alert_burst: int = Field(5, ge=1, le=1000)
    alert_check_seconds: float = Field(30, ge=1, le=3600)

    @field_validator("repos")
    @classmethod
    def _repos(cls, value: list[str]) -> list[str]:
        bad = [r for r in value if not valid_repo(r)]
        if bad:
            raise ValueError(f"not OWNER/NAME: {', '.join(bad)}")
        return value

    @field_validator("triage_managers")
    @classmethod
    def _triage_managers(cls, value: list[str]) -> list[str]:
        bad = [repr(v[:40]) for v in value if not SLACK_MEMBER_ID.fullmatch(v.strip())]
        if bad:
            raise ValueError(
                f"{', '.join(bad)} is not a Slack user ID (U0123ABCD) or user group ID (S0123ABCD); find "
                "them in a profile's or group's menu under 'Copy member ID'"
            )
        return [v.strip() for v in value]

    @field_validator("exclude_issues")
    @classmethod
    def _issues(cls, value: list[int | str]) -> list[int | str]:
        bad = [str(v) for v in value if parse_issue_ref(v) is None]
        if bad:
            raise ValueError(f"not an issue number or OWNER/NAME#N: {', '.join(bad)}")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        if not valid_zone(value):
            raise ValueError(f"unknown timezone {value!r}; use an IANA name like Europe/Berlin")
        return value


@dataclass(frozen=True)
class Settings:
    github_token: str | None = None
    github_api_url: str = DEFAULT_GITHUB_API_URL
    repos: tuple[str, ...] = ()
    config: FileConfig = field(default_factory=FileConfig)
    config_path: str | None = None
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    database_url: str = DEFAULT_DATABASE_URL
    port: int = 3000
    # Optional OpenAI-compatible model that writes the headline and group summaries (off when unset).
    llm_url: str | None = None
    llm_model: str | None = None
    llm_key: str | None = None
    # Secret of the GitHub webhook (POST /github/webhook); the endpoint answers 404 without one.
    github_webhook_secret: str | None = None

    @property
    def mirrored_repos(self) -> tuple[str, ...]:
        """Every repository a report may cover: the defaults, then each channel's, duplicates dropped
        (case-insensitively). These are the repositories the ticket mirror keeps."""
        seen: dict[str, str] = {}
        for repo in (*self.repos, *(r for c in self.config.channels.values() for r in c.repos)):
            seen.setdefault(repo.lower(), repo)
        for subscription in self.config.subscriptions:
            for repo in subscription.repos:
                seen.setdefault(repo.lower(), repo)
        return tuple(seen.values())

    def report_options(self, *, top: int | None = None) -> ReportOptions:
        cfg = self.config
        return ReportOptions(
            top_n=top or cfg.top,
            weights=ScoreWeights(**cfg.score_weights.model_dump()),
            team_logins=frozenset(login.lower() for login in cfg.team_logins),
            exclude_labels=frozenset(label.lower() for label in cfg.exclude_labels),
            exclude_issues=frozenset(
                ref for ref in (parse_issue_ref(v) for v in cfg.exclude_issues) if ref is not None
            ),
            exclude_pinned=cfg.exclude_pinned,
            workflow_labels=tuple(label.lower() for label in cfg.workflow_labels),
            label_rise_min=cfg.label_rise_min,
            label_rise_factor=cfg.label_rise_factor,
            response_target=timedelta(hours=cfg.response_target_hours),
            long_open=timedelta(days=cfg.long_open_days),
        )

    def require_shared_database(self, process: str) -> None:
        """Stop `process` (`python -m bot clock`, or `serve --no-scheduler`), which leaves part of the work
        to another process, when DATABASE_URL is the default SQLite file or an in-memory SQLite: each
        process would have a database of its own, and the digests subscribed through the one answering
        Slack would never be posted by the other."""
        url = self.database_url
        in_memory = url.startswith("sqlite") and url.split("://", 1)[-1] in ("", "/", "/:memory:")
        if url != DEFAULT_DATABASE_URL and not in_memory:
            return
        where = "an in-memory SQLite database" if in_memory else "the default SQLite file, ticket-report.db"
        raise SettingsError(
            [
                f"DATABASE_URL is {where}, but `{process}` shares the work with another process"
                " (`serve --no-scheduler` answers Slack, `clock` posts digests) and each would have a"
                " database of its own; set DATABASE_URL to one database both reach"
                " (postgresql://USER@HOST/DB), or run `python -m bot serve` alone: it posts digests itself"
            ]
        )

    def require_slack(self) -> None:
        """Stop start-up of the Slack app with every missing Slack variable named."""
        problems = slack_problems(self.slack_bot_token, self.slack_signing_secret, self.slack_app_token)
        if problems:
            raise SettingsError(problems)


def slack_problems(bot_token: str | None, signing_secret: str | None, app_token: str | None) -> list[str]:
    """What stops the Slack app from starting. Over Socket Mode (SLACK_APP_TOKEN set) Slack signs
    nothing: requests arrive on the app's own WebSocket, so the signing secret is not needed."""
    needed = [("SLACK_BOT_TOKEN", bot_token, "the app's Bot User OAuth Token, xoxb-...")]
    if not app_token:
        hint = "Basic Information → Signing Secret; or SLACK_APP_TOKEN=xapp-... for Socket Mode"
        needed.append(("SLACK_SIGNING_SECRET", signing_secret, hint))
    problems = [f"{name} is not set ({hint})" for name, value, hint in needed if not value]
    if bot_token and not bot_token.startswith("xoxb-"):
        problems.append("SLACK_BOT_TOKEN must be a bot token starting with xoxb-")
    if app_token and not app_token.startswith("xapp-"):
        problems.append("SLACK_APP_TOKEN must be an app-level token starting with xapp- (or unset)")
    return problems


def load_settings(
    environ: Mapping[str, str] | None = None, *, config_path: str | None = None, slack: bool = False
) -> Settings:
    """Read the environment and the config file; raise SettingsError listing every problem.

    With `slack`, the Slack app's own variables (and PORT) are read and required too, and their problems
    listed alongside; without it PORT is not read.
    """
    env = os.environ if environ is None else environ
    problems: list[str] = []
    path = config_path or env.get("TICKET_REPORT_CONFIG") or None
    config = FileConfig()
    if path:
        config = _load_file(path, problems)

    repos = tuple(r.strip() for r in env.get("TICKET_REPORT_REPOS", "").split(",") if r.strip())
    bad = [r for r in repos if not valid_repo(r)]
    if bad:
        problems.append(f"TICKET_REPORT_REPOS has names that are not OWNER/NAME: {', '.join(bad)}")

    github_api_url = env.get("GITHUB_API_URL") or DEFAULT_GITHUB_API_URL
    slack_api_url = env.get("SLACK_API_URL") or DEFAULT_SLACK_API_URL
    for name, url in (("GITHUB_API_URL", github_api_url), ("SLACK_API_URL", slack_api_url)):
        if not url.startswith(("https://", "http://")):
            problems.append(f"{name} must be an http(s) URL, got {url!r}")
    database_url = env.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    if not database_url.startswith(("sqlite", "postgresql", "postgres://")):
        problems.append("DATABASE_URL must be sqlite:///PATH or postgresql://USER@HOST/DB")
    llm_url = (env.get("TICKET_REPORT_LLM_URL") or "").strip() or None
    llm_model = (env.get("TICKET_REPORT_LLM_MODEL") or "").strip() or None
    if llm_url and not llm_url.startswith(("https://", "http://")):
        problems.append(
            "TICKET_REPORT_LLM_URL must be an http(s) base URL like http://127.0.0.1:8080/v1, "
            f"got {llm_url!r}"
        )
    if llm_url and not llm_model:
        problems.append("TICKET_REPORT_LLM_MODEL is not set (the model name to ask, e.g. llama3.1:8b)")
    if llm_model and not llm_url:
        problems.append("TICKET_REPORT_LLM_URL is not set (an OpenAI-compatible base URL), but a model is")
    port = 3000
    if slack:  # only the Slack app listens; a platform may give `clock` a PORT of its own, or none
        port_text = env.get("PORT") or "3000"
        port = int(port_text) if port_text.isdigit() and 0 < int(port_text) < 65536 else 0
        if not port:
            problems.append(f"PORT must be a number from 1 to 65535, got {port_text!r}")
        problems += slack_problems(
            env.get("SLACK_BOT_TOKEN"), env.get("SLACK_SIGNING_SECRET"), env.get("SLACK_APP_TOKEN")
        )
    if problems:
        raise SettingsError(problems)
    return Settings(
        github_token=env.get("GITHUB_TOKEN") or None,
        github_api_url=github_api_url.rstrip("/"),
        repos=repos or tuple(config.repos),
        config=config,
        config_path=path,
        slack_bot_token=env.get("SLACK_BOT_TOKEN") or None,
        slack_signing_secret=env.get("SLACK_SIGNING_SECRET") or None,
        slack_app_token=env.get("SLACK_APP_TOKEN") or None,
        slack_api_url=slack_api_url if slack_api_url.endswith("/") else slack_api_url + "/",
        database_url=database_url,
        port=port,
        llm_url=llm_url.rstrip("/") if llm_url else None,
        llm_model=llm_model,
        llm_key=env.get("TICKET_REPORT_LLM_KEY") or None,
        github_webhook_secret=env.get("GITHUB_WEBHOOK_SECRET") or None,
    )


def _load_file(path: str, problems: list[str]) -> FileConfig:
    where = f"config file {path}"
    try:
        raw: Any = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except OSError as exc:
        problems.append(f"TICKET_REPORT_CONFIG / --config: cannot read {path}: {exc.strerror}")
        return FileConfig()
    except yaml.YAMLError as exc:
        problems.append(f"{where} is not valid YAML: {str(exc).splitlines()[0]}")
        return FileConfig()
    if not isinstance(raw, dict):
        problems.append(f"{where} must be a mapping of keys (repos:, timezone:, ...)")
        return FileConfig()
    try:
        config = FileConfig.model_validate(raw)
    except ValidationError as exc:
        for error in exc.errors():
            key = ".".join(str(part) for part in error["loc"])
            problems.append(f"{where}: {key}: {error['msg']}")
        return FileConfig()
    for channel, channel_config in config.channels.items():
        bad = [r for r in channel_config.repos if not valid_repo(r)]
        if bad:
            problems.append(f"{where}: channels.{channel}.repos: not OWNER/NAME: {', '.join(bad)}")
    for index, sub in enumerate(config.subscriptions):
        if not valid_zone(sub.timezone):
            problems.append(f"{where}: subscriptions.{index}.timezone: unknown timezone {sub.timezone!r}")
        if not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", sub.at):
            problems.append(f"{where}: subscriptions.{index}.at: {sub.at!r} is not HH:MM like 09:00")
    return config
