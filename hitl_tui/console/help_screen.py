"""The `?` screen: every key of the console, grouped by where it works."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from hitl_tui.console.answer_box import APPROVE_KEY, EDIT_KEY, JSON_KEY, REJECT_KEY, SEND_KEY
from hitl_tui.console.confirm import CONFIRM_KEY

KEYS: list[tuple[str, list[tuple[str, str]]]] = [
    (
        "Anywhere",
        [
            ("?  or  F1", "this help"),
            ("ctrl+p", "command palette (refresh, filter, screenshot, bell…)"),
            ("tab / shift+tab", "next / previous pane"),
            ("ctrl+q", "quit (gives back your claims)"),
        ],
    ),
    (
        "Inbox",
        [
            ("j / k  or  ↓ / ↑", "move"),
            ("Enter", "open the ticket and claim it"),
            ("/", "filter; Esc clears the filter"),
            ("h", "history of the highlighted ticket"),
            ("d", "Decided view: every answered ticket"),
            ("u", "release the highlighted ticket's claim (anyone's)"),
        ],
    ),
    (
        "Open ticket (keys act on the opened ticket only, from its answer box)",
        [
            (SEND_KEY, "send the answer / the edit / the JSON"),
            (APPROVE_KEY, "approve (a confirmation follows)"),
            (REJECT_KEY, "reject; the text in the box is the reason"),
            (EDIT_KEY, "edit the arguments or steps as JSON"),
            (JSON_KEY, "write the exact resume value as JSON"),
            ("Esc", "cancel the edit; otherwise back to the inbox"),
            ("ctrl+f", "maximize the ticket (again to restore)"),
        ],
    ),
    (
        "Confirmation",
        [
            (CONFIRM_KEY, "confirm: the graph acts and this cannot be undone"),
            ("Esc  or  n", "cancel: nothing is sent"),
        ],
    ),
    (
        "Decided view",
        [("/", "filter"), ("j / k", "move"), ("Esc", "back to the inbox")],
    ),
    (
        "Chat",
        [
            ("Enter", "send"),
            ("shift+enter  or  ctrl+j", "new line"),
            ("ctrl+n", "new ticket"),
        ],
    ),
]


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 90%; max-width: 90; height: 90%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    """

    BINDINGS = [Binding("escape,question_mark,f1,q", "close", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(keys_table())

    def action_close(self) -> None:
        self.dismiss()


def keys_table() -> Group:
    """One titled table per context; the key column is as wide as its longest key."""
    width = max(len(key) for _, rows in KEYS for key, _ in rows)
    parts: list = [Text.assemble(("Keys", "bold underline"), ("   Esc closes", "dim"))]
    for context, rows in KEYS:
        table = Table.grid(padding=(0, 2), expand=True)
        table.add_column(style="bold", no_wrap=True, min_width=width)
        table.add_column(ratio=1)
        for key, what in rows:
            table.add_row(key, what)
        parts += [Text(""), Text(context, style="bold cyan"), table]
    return Group(*parts)
