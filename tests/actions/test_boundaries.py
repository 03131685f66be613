"""The action code keeps to its side: GitHub only through bot/sources, Slack not at all."""

from __future__ import annotations

import ast
from pathlib import Path

BOT = Path(__file__).resolve().parents[2] / "bot"


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_only_the_sources_modules_import_pygithub():
    importers = {str(p.relative_to(BOT)) for p in BOT.rglob("*.py") if "github" in imported(p)}
    # cli.py imports it only to quiet the logger PyGithub sets up on import
    assert importers - {"cli.py"} == {"sources/github.py", "sources/github_writes.py"}


def test_the_actions_package_imports_neither_slack_nor_github():
    for path in (BOT / "actions").glob("*.py"):
        assert not imported(path) & {"github", "slack_sdk", "slack_bolt"}, path.name
