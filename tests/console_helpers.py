"""Helpers for Pilot tests: wait on conditions, never on sleeps."""

from __future__ import annotations

import io
import time
from collections.abc import Callable

from rich.console import Console
from textual.widgets import Markdown, Static


async def wait_until(
    pilot, predicate: Callable[[], bool], timeout: float = 15.0, what: str = "condition"
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def visible_text(root) -> str:
    """The text of every Static and Markdown under `root`, as a person would read it."""
    parts = []
    widgets = [root] if isinstance(root, Static | Markdown) else []
    for widget in [*widgets, *root.query("Static, Markdown")]:
        if isinstance(widget, Markdown):
            parts.append(widget.source)
        elif isinstance(widget, Static):
            parts.append(_plain(widget.content))
    return "\n".join(parts)


def _plain(content: object) -> str:
    if isinstance(content, str):
        return content
    if hasattr(content, "plain"):
        return content.plain
    console = Console(width=200, record=True, file=io.StringIO(), color_system=None)
    console.print(content)
    return console.export_text()
