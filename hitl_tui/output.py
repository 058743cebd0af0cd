"""Printing for the command line: user text is always plain text, never markup."""

from __future__ import annotations

import sys
from typing import Any

from rich.console import Console
from rich.text import Text

from hitl_tui.hitl.jsonsafe import dumps
from hitl_tui.hitl.safe_text import visible

_out = Console(highlight=False, markup=False, emoji=False, soft_wrap=True)
_err = Console(stderr=True, highlight=False, markup=False, emoji=False, soft_wrap=True)


def error(message: str) -> None:
    _err.print(Text("hitl-tui: ", style="bold red") + Text(visible(message)))


def note(message: str) -> None:
    """Progress for a person watching; silent when stderr is not a terminal."""
    if sys.stderr.isatty():
        _err.print(Text(visible(message), style="dim"))


def json_line(value: Any) -> None:
    sys.stdout.write(dumps(value, indent=2) + "\n")
    sys.stdout.flush()


def line(*parts: tuple[str, str] | str) -> None:
    """Print styled parts; every string is shown literally."""
    text = Text()
    for part in parts:
        if isinstance(part, tuple):
            text.append(visible(part[0]), style=part[1])
        else:
            text.append(visible(part))
    _out.print(text)
