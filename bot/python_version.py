"""The oldest Python the bot runs on, checked before anything else is imported.

Kept free of newer syntax and of the bot's other modules so that an older interpreter reaches this
check (one line on stderr) rather than an ImportError from deep inside the bot. pyproject.toml's
`requires-python` says the same to pip.
"""

MINIMUM = (3, 11)


def unsupported_python(version, executable=""):
    """One line saying why `version` (a sys.version_info) cannot run the bot; None when it can."""
    if tuple(version[:2]) >= MINIMUM:
        return None
    found = ".".join(str(part) for part in version[:3])
    where = f" ({executable})" if executable else ""
    needed = ".".join(str(part) for part in MINIMUM)
    return (
        f"error: ticket-report needs Python {needed} or newer, and this is Python {found}{where}; "
        f"create the virtual environment with a newer one, e.g. python{needed} -m venv .venv"
    )
