"""Turning decoded data into renderables; every user-supplied string becomes plain Text."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text

from hitl_tui.hitl.jsonsafe import dumps
from hitl_tui.hitl.safe_text import visible

if TYPE_CHECKING:
    from rich.syntax import Syntax


def plain(text: object, style: str = "") -> Text:
    """Literal text: markup is not interpreted and control characters are made visible."""
    return Text(visible(text), style=style)


def load_highlighter() -> None:
    """Import Pygments ahead of the first ticket, from a worker: the console paints its
    first inbox without it, and importing it on the UI thread would stall the screen."""
    import rich.syntax  # noqa: F401


def json_view(value: Any, width: int | None = None) -> Syntax:
    """Highlighted JSON, on one line when it fits in `width`, else indented. dumps
    escapes control characters, so the text is safe."""
    from rich.syntax import Syntax  # Pygments: imported ahead by load_highlighter

    text = dumps(value)
    return Syntax(
        text if width is not None and len(text) <= width else dumps(value, indent=2),
        "json",
        theme="ansi_dark",
        word_wrap=True,
        background_color="default",
    )
