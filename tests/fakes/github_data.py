"""REST-shaped GitHub issue and comment payloads for tests and benchmarks.

`make_issue` / `make_comment` build one payload with the fields the real API returns in lists;
`synthetic_repo` builds a whole support repository (deterministic for a seed) with the text real support
tickets have: issue-form boilerplate, pasted logs, version numbers, "+1"s, team workarounds, duplicates,
bots, and a few pull requests mixed into the issue list as the real API does.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

API = "https://api.github.com"
WEB = "https://github.com"

_REACTION_KEYS = ("+1", "-1", "laugh", "hooray", "confused", "heart", "rocket", "eyes")


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def make_user(login: str, *, user_type: str | None = None, user_id: int | None = None) -> dict[str, Any]:
    user_type = user_type or ("Bot" if login.endswith("[bot]") else "User")
    user_id = user_id if user_id is not None else (sum(map(ord, login)) * 7919) % 10_000_000
    return {
        "login": login,
        "id": user_id,
        "node_id": f"U_{user_id}",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{user_id}?v=4",
        "url": f"{API}/users/{login}",
        "html_url": f"{WEB}/{login}",
        "type": user_type,
        "site_admin": False,
    }


def _reactions(url: str, total: int) -> dict[str, Any]:
    counts = dict.fromkeys(_REACTION_KEYS, 0)
    counts["+1"] = total
    return {"url": f"{url}/reactions", "total_count": total, **counts}


def make_issue(
    number: int,
    *,
    repo: str = "acme/support",
    title: str = "Something is broken",
    body: str | None = "",
    user: str | None = "alice",
    user_type: str | None = None,
    association: str = "NONE",
    state: str = "open",
    state_reason: str | None = None,
    labels: Sequence[str] = (),
    created_at: datetime,
    updated_at: datetime | None = None,
    closed_at: datetime | None = None,
    comments: int = 0,
    reactions: int = 0,
    pull_request: bool = False,
    api: str = API,
) -> dict[str, Any]:
    """One issue (or, with pull_request=True, a pull request) as GET /repos/{o}/{r}/issues lists it."""
    url = f"{api}/repos/{repo}/issues/{number}"
    kind = "pull" if pull_request else "issues"
    if state == "closed" and closed_at is None:
        closed_at = updated_at or created_at
    issue: dict[str, Any] = {
        "url": url,
        "repository_url": f"{api}/repos/{repo}",
        "labels_url": f"{url}/labels{{/name}}",
        "comments_url": f"{url}/comments",
        "events_url": f"{url}/events",
        "html_url": f"{WEB}/{repo}/{kind}/{number}",
        "id": 1_000_000 + number,
        "node_id": f"I_{number}",
        "number": number,
        "title": title,
        "user": make_user(user, user_type=user_type) if user is not None else None,
        "labels": [
            {
                "id": 500 + i,
                "node_id": f"LA_{i}",
                "url": f"{api}/repos/{repo}/labels/{name}",
                "name": name,
                "color": "ededed",
                "default": False,
                "description": None,
            }
            for i, name in enumerate(labels)
        ],
        "state": state,
        "locked": False,
        "assignee": None,
        "assignees": [],
        "milestone": None,
        "comments": comments,
        "created_at": iso(created_at),
        "updated_at": iso(updated_at or closed_at or created_at),
        "closed_at": iso(closed_at) if closed_at else None,
        "author_association": association,
        "type": None,
        "active_lock_reason": None,
        "sub_issues_summary": {"total": 0, "completed": 0, "percent_completed": 0},
        "body": body,
        "closed_by": None,
        "reactions": _reactions(url, reactions),
        "timeline_url": f"{url}/timeline",
        "performed_via_github_app": None,
        "state_reason": state_reason if state == "closed" or state_reason == "reopened" else None,
    }
    if pull_request:
        issue["draft"] = False
        issue["pull_request"] = {
            "url": f"{api}/repos/{repo}/pulls/{number}",
            "html_url": f"{WEB}/{repo}/pull/{number}",
            "diff_url": f"{WEB}/{repo}/pull/{number}.diff",
            "patch_url": f"{WEB}/{repo}/pull/{number}.patch",
            "merged_at": None,
        }
    return issue


def make_comment(
    issue_number: int,
    comment_id: int,
    *,
    repo: str = "acme/support",
    body: str | None = "Same here.",
    user: str | None = "bob",
    user_type: str | None = None,
    association: str = "NONE",
    created_at: datetime,
    updated_at: datetime | None = None,
    reactions: int = 0,
    pull_request: bool = False,
    api: str = API,
) -> dict[str, Any]:
    """One comment as GET /repos/{o}/{r}/issues/comments lists it (pull_request=True: on a pull request)."""
    url = f"{api}/repos/{repo}/issues/comments/{comment_id}"
    kind = "pull" if pull_request else "issues"
    return {
        "url": url,
        "html_url": f"{WEB}/{repo}/{kind}/{issue_number}#issuecomment-{comment_id}",
        "issue_url": f"{api}/repos/{repo}/issues/{issue_number}",
        "id": comment_id,
        "node_id": f"IC_{comment_id}",
        "user": make_user(user, user_type=user_type) if user is not None else None,
        "created_at": iso(created_at),
        "updated_at": iso(updated_at or created_at),
        "author_association": association,
        "body": body,
        "reactions": _reactions(url, reactions),
        "performed_via_github_app": None,
    }


# --- synthetic support repository -------------------------------------------------------------------

_TOPICS: tuple[dict[str, Any], ...] = (
    {
        "titles": (
            "Stuck at https://authentication.{domain}/ after update",
            "Login loops forever on {os}",
            "Cannot sign in: authentication page never finishes loading",
        ),
        "symptom": "After updating to {version} the sign-in page keeps loading and never returns to the app.",
        "log": "ERROR AuthService: token exchange failed: HandshakeException: Connection terminated",
        "fix": "This is a known issue in {version}; signing out from the web dashboard and restarting "
        "fixes it until the {next_version} release.",
    },
    {
        "titles": (
            "App doesn't start: unable to open database due to corruption",
            "LateInitializationError: Field 'database' has not been initialized",
            "Crash on launch after upgrading to {version}",
        ),
        "symptom": "The app crashes on launch since {version}; the log says the database cannot be opened.",
        "log": "FATAL LateInitializationError: Field 'database' has not been initialized.\n"
        "    at DatabaseService.open (database_service.dart:118)",
        "fix": "Please delete the database folder (back it up first) and restart; {next_version} repairs it "
        "automatically.",
    },
    {
        "titles": (
            "Sync stopped working on {os}",
            "Snippets are not syncing between devices",
            "Cloud sync fails with 502",
        ),
        "symptom": "Nothing syncs between my devices any more; the status icon stays red.",
        "log": "WARN SyncWorker: upload failed status=502 retry_in=30s\nWARN SyncWorker: upload failed",
        "fix": "We had a sync outage; it is resolved now, please toggle sync off and on.",
    },
    {
        "titles": (
            "High CPU usage when idle",
            "Fan spins up, process uses 100% CPU on {os}",
            "Memory leak: process grows to 8 GB",
        ),
        "symptom": "The background process uses a full core while idle and memory keeps growing.",
        "log": "INFO Indexer: reindexing 41234 files\nINFO Indexer: reindexing 41234 files",
        "fix": "Excluding large folders from indexing in Settings > Storage brings CPU back down.",
    },
    {
        "titles": (
            "VS Code extension cannot connect to the desktop app",
            "Extension says 'server not running'",
            "JetBrains plugin: connection refused on port 1000",
        ),
        "symptom": "The editor extension reports the desktop app is not running although it is open.",
        "log": "ERROR ExtensionClient: connect ECONNREFUSED 127.0.0.1:1000",
        "fix": "Make sure both are on {version} or newer; older extensions use the old port.",
    },
    {
        "titles": (
            "Copilot answers are empty",
            "AI chat returns 'something went wrong'",
            "Chat hangs after sending a message",
        ),
        "symptom": "Every chat message comes back empty or with a generic error.",
        "log": "ERROR LLMClient: stream closed before first token (model=default, status=499)",
        "fix": "Switching the model in settings works around it while we fix the default model.",
    },
    {
        "titles": (
            "Installer fails on {os}",
            "Update download stuck at 99%",
            "Cannot install: 'the package is damaged'",
        ),
        "symptom": "The installer stops with an error before finishing.",
        "log": "Installer: verification failed: signature mismatch for package {version}",
        "fix": "Download the installer again from the website; the auto-updater had a bad mirror.",
    },
    {
        "titles": (
            "Feature request: export snippets to Markdown",
            "Please add dark mode to the web app",
            "Support for Linux ARM64",
        ),
        "symptom": "It would help a lot to have this; today I have to copy everything by hand.",
        "log": "",
        "fix": "Thanks, we've added this to the roadmap.",
    },
)
_OSES = ("macOS 14.4", "macOS 15.1", "Windows 11", "Windows 10", "Ubuntu 22.04", "Fedora 40")
_VERSIONS = ("10.1.2", "11.0.4", "11.2.0", "11.3.0", "11.3.1", "12.0.0")
_LABELS = ("bug", "bug", "bug", "enhancement", "question", "os: macOS", "os: windows", "os: linux")
_TEAM = ("tsavo-at-pieces", "mark-at-pieces", "sam-support")
_COMMUNITY_REPLIES = (
    "Same here on {os} with {version}.",
    "+1, happens to me too.",
    "Any update on this? It's blocking my work.",
    "I tried restarting, didn't help.",
    "Here's my log:\n\n```\n{log}\n{log}\n```",
    "Confirmed, rolling back to the previous version fixed it for me.",
    "Thanks, that worked!",
)
_TEAM_REPLIES = (
    "Thanks for the report! Could you send us the logs from Settings > Support?",
    "{fix}",
    "We can reproduce this and are working on a fix.",
    "Can you try {next_version}? It should be fixed there.",
    "Closing as fixed in {next_version}; please reopen if it comes back.",
)


@dataclass
class SyntheticRepo:
    repo: str
    issues: list[dict[str, Any]] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)


def issue_form_body(*, rng: random.Random, topic: dict[str, Any], os_name: str, version: str) -> str:
    """An issue-form body: template headings and checkboxes around a short description and a pasted log."""
    symptom = topic["symptom"].format(version=version, next_version=_next(version), os=os_name)
    log = topic["log"].format(version=version)
    lines = [
        "### Software",
        "",
        rng.choice(("Desktop Application", "VS Code Extension", "Web App")),
        "",
        "### Operating System / Platform",
        "",
        os_name,
        "",
        "### Your Version",
        "",
        version,
        "",
        "### Kindly describe the bug and include as much detail as possible on what you were doing so we "
        "can reproduce the bug.",
        "",
        symptom,
        "",
    ]
    if log:
        pasted = "\n".join(
            f"2025-04-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:00:00Z {log}"
            for _ in range(rng.randint(1, 12))
        )
        lines += ["### Relevant log output", "", "```", pasted, "```", ""]
    lines += ["### Checked for Existing Issues?", "", "- [x] Yes"]
    return "\n".join(lines)


def synthetic_repo(
    n_issues: int,
    n_comments: int,
    seed: int,
    *,
    repo: str = "acme/support",
    end: datetime = datetime(2025, 4, 15, tzinfo=UTC),
    days: float = 90,
    pr_share: float = 0.03,
) -> SyntheticRepo:
    """A support repository whose issues were opened over `days` before `end` (numbers grow with time),
    with `n_comments` comments spread over them (a few hot tickets get many). Deterministic for a seed."""
    rng = random.Random(seed)
    start = end - timedelta(days=days)
    span = (end - start).total_seconds()
    created = sorted(start + timedelta(seconds=rng.random() * span * 0.98) for _ in range(n_issues))
    data = SyntheticRepo(repo=repo)
    meta: list[dict[str, Any]] = []
    for number, created_at in enumerate(created, start=1):
        topic = rng.choice(_TOPICS)
        os_name, version = rng.choice(_OSES), rng.choice(_VERSIONS)
        title = rng.choice(topic["titles"]).format(domain="pieces.services", os=os_name, version=version)
        meta.append(
            {
                "number": number,
                "topic": topic,
                "os": os_name,
                "version": version,
                "title": title,
                "created_at": created_at,
                "user": f"user{rng.randint(1, max(3, n_issues // 2))}",
                "pull_request": rng.random() < pr_share,
                "comments": [],
            }
        )
    # Comments: a Pareto-ish spread so that a few tickets are hot, as in real support repositories.
    weights = [rng.paretovariate(1.2) for _ in meta]
    targets = rng.choices(range(len(meta)), weights=weights, k=n_comments) if meta else []
    raw_comments = []
    for index in targets:
        issue = meta[index]
        room = (end - issue["created_at"]).total_seconds()
        at = issue["created_at"] + timedelta(seconds=min(rng.expovariate(1 / 86_400), room * 0.999))
        raw_comments.append((at, issue))
    raw_comments.sort(key=lambda pair: pair[0])
    for comment_id, (at, issue) in enumerate(raw_comments, start=2_000_000_000):
        topic, fmt = (
            issue["topic"],
            {
                "os": issue["os"],
                "version": issue["version"],
                "next_version": _next(issue["version"]),
                "log": topic["log"].format(version=issue["version"]) or "no log",
                "fix": topic["fix"].format(version=issue["version"], next_version=_next(issue["version"])),
            },
        )
        roll = rng.random()
        if roll < 0.3:
            user, association, body = rng.choice(_TEAM), "MEMBER", rng.choice(_TEAM_REPLIES).format(**fmt)
        elif roll < 0.33:
            user, association, body = "github-actions[bot]", "NONE", "This issue is stale and will be closed."
        elif roll < 0.35 and (earlier := _earlier_same_topic(meta, issue)):
            user, association = rng.choice(_TEAM), "MEMBER"
            body = f"Duplicate of #{rng.choice(earlier)}"
        else:
            user, association = (
                issue["user"] if rng.random() < 0.3 else f"user{rng.randint(1, 10_000)}",
                "NONE",
            )
            body = rng.choice(_COMMUNITY_REPLIES).format(**fmt)
        issue["comments"].append(at)
        data.comments.append(
            make_comment(
                issue["number"],
                comment_id,
                repo=repo,
                body=body,
                user=user,
                association=association,
                created_at=at,
                reactions=rng.choice((0, 0, 0, 1, 2)),
                pull_request=issue["pull_request"],
            )
        )
    for issue in meta:
        closed_at = None
        if rng.random() < 0.6:
            room = (end - issue["created_at"]).total_seconds()
            closed_at = issue["created_at"] + timedelta(
                seconds=min(rng.expovariate(1 / 259_200), room * 0.999)
            )
        last = max([issue["created_at"], *issue["comments"], *([closed_at] if closed_at else [])])
        reason = (
            rng.choices(("completed", "not_planned", "duplicate"), weights=(8, 2, 1))[0]
            if closed_at
            else None
        )
        body = issue_form_body(rng=rng, topic=issue["topic"], os_name=issue["os"], version=issue["version"])
        data.issues.append(
            make_issue(
                issue["number"],
                repo=repo,
                title=issue["title"],
                body="Adds a retry to the sync worker." if issue["pull_request"] else body,
                user=issue["user"],
                association="NONE",
                state="closed" if closed_at else "open",
                state_reason=reason,
                labels=list(dict.fromkeys(rng.sample(_LABELS, k=rng.randint(0, 2)))),
                created_at=issue["created_at"],
                updated_at=last,
                closed_at=closed_at,
                comments=len(issue["comments"]),
                reactions=rng.choice((0, 0, 0, 1, 3, 8)),
                pull_request=issue["pull_request"],
            )
        )
    return data


def _earlier_same_topic(meta: list[dict[str, Any]], issue: dict[str, Any]) -> list[int]:
    """Up to five earlier issues about the same thing (what a "Duplicate of #N" comment points at)."""
    found = []
    for other in reversed(meta[: issue["number"] - 1]):
        if other["topic"] is issue["topic"] and not other["pull_request"]:
            found.append(other["number"])
            if len(found) == 5:
                break
    return found


def _next(version: str) -> str:
    major, minor, patch = (int(p) for p in version.split("."))
    return f"{major}.{minor}.{patch + 1}"
