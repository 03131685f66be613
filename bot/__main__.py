"""Entry point: `python -m bot report|snapshot|serve|clock` (see bot/cli.py)."""

import sys

from bot.cli import main

sys.exit(main())
