"""Helpers for Pilot tests: wait on conditions, never on sleeps."""

from __future__ import annotations

import html
import io
import re
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


def screen_text(app) -> str:
    """What the terminal shows, rebuilt from the app's own SVG screenshot (Rich places each
    run of text at its column, leaving out runs of plain background)."""
    svg = app.export_screenshot()
    rows: dict[float, dict[int, str]] = {}
    pattern = r'<text[^>]* x="([\d.]+)" y="([\d.]+)" textLength="([\d.]+)"[^>]*>(.*?)</text>'
    for x, y, length, raw in re.findall(pattern, svg):
        text = html.unescape(raw).replace("\xa0", " ")
        if not text:
            continue
        column = round(float(x) / (float(length) / len(text)))
        row = rows.setdefault(float(y), {})
        for offset, char in enumerate(text):
            row[column + offset] = char
    lines = []
    for _, row in sorted(rows.items()):
        width = max(row) + 1
        lines.append("".join(row.get(i, " ") for i in range(width)))
    return "\n".join(lines)
