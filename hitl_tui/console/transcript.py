"""The chat transcript: one widget per message in a scrolling container anchored at the end."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Markdown, Static

from hitl_tui.console.render import plain
from hitl_tui.hitl.safe_text import visible
from hitl_tui.hitl.snapshot import message_as_json, message_text


class Transcript(VerticalScroll):
    """Appends new messages only; rebuilds when the thread's history changed under it."""

    DEFAULT_CSS = """
    Transcript { height: 1fr; padding: 0 1; }
    Transcript .line { margin: 1 0 0 0; }
    Transcript .user { color: $text; background: $boost; padding: 0 1; }
    Transcript .assistant { padding: 0 1; border-left: tall $success; }
    Transcript .tool { color: $text-muted; padding: 0 1; border-left: tall $accent; }
    Transcript .system { color: $warning; padding: 0 1; }
    Transcript Markdown { margin: 0; padding: 0; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._shown: list[tuple[str, str]] = []

    def on_mount(self) -> None:
        self.anchor()

    def show_messages(self, messages: list[Any]) -> None:
        rows = [self._row(m) for m in messages]
        rows = [r for r in rows if r is not None]
        self.query(".unsent").remove()
        if rows[: len(self._shown)] != self._shown:
            self.remove_children()
            self._shown = []
        for role, text in rows[len(self._shown) :]:
            self.mount(self._widget(role, text))
        self._shown = rows

    def add_line(self, role: str, text: str) -> None:
        """A line that is not (yet) in the stored thread, such as the message being sent."""
        self.mount(self._widget(role, text, pending=True))

    def clear(self) -> None:
        self.remove_children()
        self._shown = []

    @staticmethod
    def _row(message: Any) -> tuple[str, str] | None:
        data = message_as_json(message)
        text = message_text(message)
        if data["role"] == "assistant" and data["tool_calls"]:
            names = ", ".join(str(c["name"]) for c in data["tool_calls"])
            text = f"{text}\n\n(asked for: {names})" if text else f"(asked for: {names})"
        if data["role"] == "system" or not text:
            return None
        return data["role"], text

    @staticmethod
    def _widget(role: str, text: str, pending: bool = False) -> Static | Markdown:
        classes = f"line {role}" + (" unsent" if pending else "")
        if role == "assistant":
            return Markdown(visible(text), classes=classes)
        label = {"user": "you", "tool": "operator"}.get(role, role)
        return Static(Text.assemble((f"{label}: ", "bold"), plain(text)), classes=classes)
