"""The chat transcript: one widget per message in a scrolling container anchored at the end."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from hitl_tui.console.render import plain
from hitl_tui.hitl.decision_text import tool_title
from hitl_tui.hitl.safe_text import visible
from hitl_tui.hitl.snapshot import message_as_json, message_text

if TYPE_CHECKING:
    from textual.widgets import Markdown


class Transcript(VerticalScroll):
    """Appends new messages only; rebuilds when the thread's history changed under it."""

    DEFAULT_CSS = """
    Transcript { height: 1fr; padding: 0 1; }
    Transcript .line { margin: 1 0 0 0; }
    Transcript .user { color: $text; background: $boost; padding: 0 1; }
    Transcript .assistant { padding: 0 1; border-left: tall $success; }
    Transcript .tool { color: $text-muted; padding: 0 1; border-left: tall $accent; }
    Transcript .system { color: $warning; padding: 0 1; }
    Transcript .decision { color: $warning; padding: 0 1; border-left: tall $warning; }
    Transcript Markdown { margin: 0; padding: 0; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._shown: list[tuple[str, str]] = []

    def on_mount(self) -> None:
        self.anchor()

    def show_messages(self, messages: list[Any], notes: list[tuple[int, str]] = ()) -> None:
        """`notes` are operator decisions, each after the first `n` messages."""
        rows: list[tuple[str, str]] = []
        answers = set()
        for index, message in enumerate([*messages, None]):
            for position, sentence in notes:
                if position == index:
                    rows.append(("decision", sentence))
                    answers.add(sentence.partition(": ")[2])
            row = self._row(message) if message is not None else None
            if row is not None and not (row[0].startswith("tool") and row[1] in answers):
                rows.append(row)  # an operator's answer already shown is not repeated
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
        role = data["role"]
        if role == "assistant" and data["tool_calls"]:
            titles = ", ".join(tool_title(c["name"]) for c in data["tool_calls"])
            text = f"{text}\n\n*(using: {titles})*" if text else f"*(using: {titles})*"
        if role == "tool":
            role = f"tool:{tool_title(getattr(message, 'name', None) or 'a tool')}"
        if role == "system" or not text:
            return None
        return role, text

    @staticmethod
    def _widget(role: str, text: str, pending: bool = False) -> Static | Markdown:
        kind, _, title = role.partition(":")
        classes = f"line {kind}" + (" unsent" if pending else "")
        if kind == "assistant":
            # Imported with the first answer: the Markdown parser is a tenth of the modules
            # a console loads, and an operator's console may never show one.
            from textual.widgets import Markdown

            return Markdown(visible(text), classes=classes)
        label = {"user": "you", "tool": f"result of {title}", "decision": "decision"}.get(
            kind, kind
        )
        return Static(Text.assemble((f"{label}: ", "bold"), plain(text)), classes=classes)
