"""Printing for the command line: user text is always plain text, never markup."""

from __future__ import annotations

import sys
from functools import cache
from typing import Any

from hitl_tui.hitl.jsonsafe import dumps
from hitl_tui.hitl.safe_text import visible


@cache
def _console(stderr: bool) -> Any:
    """Rich is loaded on the first styled line: `--json` output never needs it."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, markup=False, emoji=False, soft_wrap=True)


def _text(text: str = "", style: str = "") -> Any:
    from rich.text import Text

    return Text(text, style=style)


def error(message: str) -> None:
    _console(True).print(_text("hitl-tui: ", "bold red") + _text(visible(message)))


def note(message: str) -> None:
    """Progress for a person watching; silent when stderr is not a terminal."""
    if sys.stderr.isatty():
        _console(True).print(_text(visible(message), "dim"))


def hint(message: str) -> None:
    """Advice worth one line even in a script's log (stderr, never stdout)."""
    _console(True).print(_text("hitl-tui: ", "bold yellow") + _text(visible(message)))


def json_line(value: Any) -> None:
    sys.stdout.write(dumps(value, indent=2) + "\n")
    sys.stdout.flush()


def line(*parts: tuple[str, str] | str) -> None:
    """Print styled parts; every string is shown literally."""
    text = _text()
    for part in parts:
        if isinstance(part, tuple):
            text.append(visible(part[0]), style=part[1])
        else:
            text.append(visible(part))
    _console(False).print(text)
