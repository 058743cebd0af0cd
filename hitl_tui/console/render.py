"""Turning decoded data into renderables; every user-supplied string becomes plain Text."""

from __future__ import annotations

from typing import Any

from rich.syntax import Syntax
from rich.text import Text

from hitl_tui.hitl.jsonsafe import dumps
from hitl_tui.hitl.kinds import kind_named
from hitl_tui.hitl.safe_text import visible


def plain(text: object, style: str = "") -> Text:
    """Literal text: markup is not interpreted and control characters are made visible."""
    return Text(visible(text), style=style)


def json_view(value: Any, width: int | None = None) -> Syntax:
    """Highlighted JSON, on one line when it fits in `width`, else indented. dumps
    escapes control characters, so the text is safe."""
    text = dumps(value)
    return Syntax(
        text if width is not None and len(text) <= width else dumps(value, indent=2),
        "json",
        theme="ansi_dark",
        word_wrap=True,
        background_color="default",
    )


def summary(item: Any) -> str:
    """The ticket in one line, as its kind words it; a payload the kind cannot read is
    said to be so, never a crash."""
    try:
        return kind_named(item.kind).summary(item.value)
    except Exception:
        return "(cannot summarise this payload)"
