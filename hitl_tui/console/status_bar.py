"""The status line: database, model, operator and connection state at a glance."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from hitl_tui.hitl.safe_text import visible


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; color: $text-muted; padding: 0 1; }
    """

    database: reactive[str] = reactive("connecting…")
    model: reactive[str] = reactive("")
    operator: reactive[str] = reactive("")
    connection: reactive[str] = reactive("connecting")

    def render(self) -> Text:
        state_style = {"connected": "bold green", "connecting": "bold yellow"}.get(
            self.connection, "bold red"
        )
        mark = "●" if self.connection == "connected" else "○"
        return Text.assemble(
            (f"{mark} {visible(self.connection)}", state_style),
            ("  db ", "dim"),
            visible(self.database),
            ("  model ", "dim"),
            visible(self.model),
            ("  operator ", "dim"),
            visible(self.operator),
        )
