"""Turning decoded data into renderables; every user-supplied string becomes plain Text."""

from __future__ import annotations

from typing import Any

from rich.syntax import Syntax
from rich.text import Text

from hitl_tui.hitl.jsonsafe import dumps
from hitl_tui.hitl.safe_text import visible


def plain(text: object, style: str = "") -> Text:
    """Literal text: markup is not interpreted and control characters are made visible."""
    return Text(visible(text), style=style)


def json_view(value: Any) -> Syntax:
    """Pretty, highlighted JSON. dumps escapes control characters, so the text is safe."""
    return Syntax(
        dumps(value, indent=2),
        "json",
        theme="ansi_dark",
        word_wrap=True,
        background_color="default",
    )
