"""The inbox: its title and count, how far the first look at a history is, the filter and
the table. It shows what it is given; what a row means is the pane's business, asked for
by the table's `Requested` messages, which bubble through."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, ProgressBar

from hitl_tui.console.inbox_table import InboxTable

OPEN_TICKET_ROWS = 5  # while a ticket is open the inbox keeps this many rows at most


class InboxView(Vertical):
    BINDINGS = [Binding("slash", "filter", "Filter", priority=True)]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._listed = False  # the rows come from listings, not yet from a read

    def compose(self) -> ComposeResult:
        with Horizontal(id="inbox-header"):
            yield Label("Operator inbox", id="inbox-title")
            yield Label("", id="inbox-count")
        with Horizontal(id="history-progress"):
            yield ProgressBar(show_eta=False)
            yield Label("", id="history-counts")
        yield Input(placeholder="filter (thread, kind, text, operator) · Esc clears", id="filter")
        yield InboxTable(id="inbox")

    def on_mount(self) -> None:
        self.query_one("#filter").display = False
        self.query_one("#history-progress").display = False

    @property
    def table(self) -> InboxTable:
        return self.query_one(InboxTable)

    @property
    def selected_key(self) -> str | None:
        return self.table.selected_key

    def show(self, items: list[Any], now: datetime) -> None:
        self.table.show_items(items, now, start_over=self._listed)
        self._listed = False
        self._show_count()

    def show_listed(self, items: list[Any], now: datetime) -> None:
        """Tickets as their listings show them (hitl.listing), said to be so, until `show`
        replaces every row with the decoded tickets."""
        self.table.show_items(items, now)
        self._listed = True
        self._show_count()

    def show_progress(self, progress: Any) -> None:
        """While an unseen history is read, how far, in checkpoints and tickets found."""
        box = self.query_one("#history-progress")
        box.display = progress is not None
        if progress is not None:
            self.query_one(ProgressBar).update(total=progress.total, progress=progress.read)
            self.query_one("#history-counts", Label).update(
                f" reading the history: {progress.read:,} of {progress.total:,} {progress.unit}, "
                f"{progress.found:,} pending found"
            )

    def fit(self, compact: bool) -> None:
        """`compact` while a ticket is open: a few rows only, so the decision shows."""
        table = self.table
        if compact:
            table.styles.height = max(2, min(OPEN_TICKET_ROWS, table.row_count + 1))
        else:
            table.styles.height = None  # back to the stylesheet

    def tick(self, now: datetime) -> None:
        self.table.tick(now)

    @property
    def listed(self) -> bool:
        """Whether the rows come from listings (hitl.listing), not yet from a read."""
        return self._listed

    def _show_count(self) -> None:
        table = self.table
        shown, total = len(table.items), table.total
        if self._listed:
            text = f"{total} listed, reading…" if shown == total else f"{shown} of {total} listed"
        else:
            text = f"{total} pending" if shown == total else f"{shown} of {total} shown"
        self.query_one("#inbox-count", Label).update(text)

    # -- the filter -----------------------------------------------------------------------
    def show_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        self.screen.set_focus(box)  # now: what is typed right after / is the filter

    def action_filter(self) -> None:
        self.show_filter()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """/ filters from the inbox table only; elsewhere it is a character."""
        return action != "filter" or self.table.has_focus

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.table.set_filter(event.value)
        self._show_count()

    @on(Input.Submitted, "#filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        self.table.focus()

    def on_key(self, event: Any) -> None:
        """Esc in the filter box, or in the inbox while a filter is on, clears it."""
        box = self.query_one("#filter", Input)
        table = self.table
        if event.key == "escape" and (box.has_focus or (table.has_focus and box.value)):
            box.value = ""
            box.display = False
            table.set_filter("")
            self._show_count()
            table.focus()
            event.stop()
