"""What `pip install .` installs: the `ticket-report` command, the runtime dependencies apart from the
development tools, the package's data files; and an older Python stopped with one line."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from bot.python_version import MINIMUM, unsupported_python

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
DEV_TOOLS = {"pytest", "hypothesis", "ruff", "websockets"}


def _requirements(group: list[str]) -> dict[str, Requirement]:
    parsed = [Requirement(line) for line in group]
    return {req.name.lower().replace("_", "-"): req for req in parsed}


def _bot_imports() -> set[str]:
    """Top-level modules imported anywhere in bot/, other than the standard library and bot itself."""
    found: set[str] = set()
    for path in (ROOT / "bot").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return {name for name in found if name not in sys.stdlib_module_names and name != "bot"}


def test_the_ticket_report_command_runs_the_cli_main() -> None:
    target = PROJECT["scripts"]["ticket-report"]
    module, _, name = target.partition(":")
    function = getattr(importlib.import_module(module), name)
    # a console script calls it with no arguments and exits with what it returns
    assert list(inspect.signature(function).parameters) == ["argv"]
    assert inspect.signature(function).parameters["argv"].default is None


def test_every_dependency_is_pinned_and_the_dev_tools_are_apart() -> None:
    runtime = _requirements(PROJECT["dependencies"])
    dev = _requirements(PROJECT["optional-dependencies"]["dev"])
    for req in (*runtime.values(), *dev.values()):
        (spec,) = req.specifier
        assert spec.operator == "==", req
    assert set(dev) == DEV_TOOLS
    assert not DEV_TOOLS & set(runtime)


def test_the_runtime_dependencies_cover_every_library_the_bot_imports_and_no_dev_tool() -> None:
    runtime = set(_requirements(PROJECT["dependencies"]))
    distributions = packages_distributions()
    imported = {
        dist.lower().replace("_", "-")
        for module in _bot_imports()
        for dist in distributions.get(module, [module])
    }
    assert imported <= runtime, f"add to pyproject.toml's dependencies: {sorted(imported - runtime)}"
    assert not imported & DEV_TOOLS


def test_requirements_txt_installs_the_project_with_its_dev_tools_and_pins_nothing_itself() -> None:
    lines = [
        line.strip()
        for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert lines == ["-e .[dev]"], "pins live in pyproject.toml only"


def test_the_package_ships_the_migrations_and_the_manifest() -> None:
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    data = setuptools["package-data"]
    for package, patterns in data.items():
        folder = ROOT.joinpath(*package.split("."))
        for pattern in patterns:
            assert list(folder.glob(pattern)), f"{package}: {pattern} matches nothing"
    assert "script.py.mako" in data["bot.store.migrations"]
    assert "manifest.yml" in data["bot.slack"]
    find = setuptools["packages"]["find"]
    # Alembic's folders have no __init__.py: only namespace discovery finds them
    assert find["namespaces"] is True and not (ROOT / "bot/store/migrations/__init__.py").exists()
    assert find["include"] == ["bot", "bot.*"]


def test_every_dependency_carries_the_python_version_pip_checks_too_late() -> None:
    requires = PROJECT["requires-python"]
    assert requires == ">=" + ".".join(map(str, MINIMUM))
    for line in (*PROJECT["dependencies"], *PROJECT["optional-dependencies"]["dev"]):
        marker = Requirement(line).marker
        assert marker is not None and str(marker) == f'python_version >= "{requires[2:]}"', line


def test_the_readme_names_the_python_it_needs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    needed = ".".join(map(str, MINIMUM))
    assert re.search(rf"Python {re.escape(needed)} or newer", readme)


@pytest.mark.parametrize("version", [(3, 9, 18, "final", 0), (3, 10, 13, "final", 0), (2, 7, 18)])
def test_an_older_python_gets_one_line_naming_the_python_needed(version: tuple) -> None:
    problem = unsupported_python(version, "/usr/bin/python3")
    assert problem is not None and "\n" not in problem
    found = ".".join(map(str, version[:3]))
    assert f"needs Python 3.11 or newer, and this is Python {found} (/usr/bin/python3)" in problem


@pytest.mark.parametrize("version", [(3, 11, 0, "final", 0), (3, 13, 1), (4, 0, 0)])
def test_a_new_enough_python_passes(version: tuple) -> None:
    assert unsupported_python(version) is None


def test_python_dash_m_bot_on_an_older_python_stops_before_importing_the_bot() -> None:
    # The interpreter pretends to be 3.9; bot.cli is never imported (it would fail on a real 3.9).
    program = (
        "import runpy, sys\n"
        "sys.version_info = (3, 9, 18, 'final', 0); sys.argv = ['bot', 'report', 'today']\n"
        "try:\n    runpy.run_module('bot', run_name='__main__')\n"
        "finally:\n    print('cli imported' if 'bot.cli' in sys.modules else 'cli not imported')"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert done.stdout.strip() == "cli not imported"
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("error: ticket-report needs Python 3.11 or newer, and this is Python 3.9.18")


@pytest.mark.parametrize(
    ("argv0", "prog"), [("/venv/bin/ticket-report", "ticket-report"), ("-m", "python -m bot")]
)
def test_usage_errors_name_the_command_as_it_was_typed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv0: str, prog: str
) -> None:
    from bot.cli import main

    monkeypatch.setattr(sys, "argv", [argv0])
    with pytest.raises(SystemExit) as exited:
        main(["manifest"])
    assert exited.value.code == 2
    assert capsys.readouterr().err.startswith(f"{prog} manifest: one of the arguments --url --socket-mode")
