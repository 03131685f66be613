"""Entry point: `python -m bot report|snapshot|sync|db|serve|clock|manifest` (see bot/cli.py)."""

import sys

from bot.python_version import unsupported_python


def _run() -> int:
    problem = unsupported_python(sys.version_info, sys.executable)
    if problem:  # before bot.cli, whose imports need the newer Python
        print(problem, file=sys.stderr)
        return 1
    from bot.cli import main

    return main()


sys.exit(_run())
