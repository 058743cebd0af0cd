"""The inbox table: one row per pending interrupt, updated in place so the cursor stays."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from hitl_tui.console.render import plain
from hitl_tui.console.session import row_key
from hitl_tui.hitl.humanize import age
from hitl_tui.hitl.listing import summary_of
from hitl_tui.hitl.sla import deadline_text

COLUMNS = (
    ("age", "Age", 6),
    ("thread", "Thread", 14),
    ("kind", "Kind", 10),
    ("summary", "Summary", None),
    ("claim", "Claimed by", 10),
)
MIN_SUMMARY = 12
WIDE_ENOUGH = 20  # below this much room for the summary, show the narrow column set
NARROW_COLUMNS = ("thread", "summary")  # the open ticket's header shows its age
ROWS_PER_TURN = 100


class InboxTable(DataTable):
    """j/k move; Enter, /, h and u ask the pane (by message) to open, filter, show the
    history of, or release the highlighted ticket."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("h", "request('history')", "History"),
        Binding("u", "request('release')", "Release claim"),
        Binding("d", "request('decided')", "Decided"),
    ]

    class Requested(Message):
        """The operator asked for `what` ("history", "release", "decided") on the
        highlighted ticket `key` (None when the inbox is empty). Keys that move the focus
        (Enter opens, / filters) are bound by the pane and the view instead: they act in
        the same step as the key, so keys typed right behind them follow the focus."""

        def __init__(self, what: str, key: str | None) -> None:
            super().__init__()
            self.what = what
            self.key = key

    class Filled(Message):
        """Every row of the latest `show_items` is on screen."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.items: dict[str, Any] = {}
        self.total = 0
        self.filter_text = ""
        self._all: list[Any] = []
        self._summary_width = 0
        self._columns: tuple = COLUMNS
        self._claims: dict[str, str] = {}
        self._generation = 0
        self._cursor_to: str | None = None  # the ticket the cursor returns to (show_items)

    def on_mount(self) -> None:
        self._add_columns(COLUMNS, MIN_SUMMARY)

    def on_resize(self) -> None:
        """Give the summary whatever width the other columns leave; when narrow (80x24
        with both panes), drop the kind and claim columns rather than the summary."""
        columns = COLUMNS
        if self._summary_for(columns) < WIDE_ENOUGH:
            columns = tuple(c for c in COLUMNS if c[0] in NARROW_COLUMNS)
        summary = max(MIN_SUMMARY, self._summary_for(columns))
        if (columns, summary) != (self._columns, self._summary_width):
            self.clear(columns=True)
            self._claims.clear()
            self._add_columns(columns, summary)
            self.show_items(self._all, self.app.clock())

    def _summary_for(self, columns: tuple) -> int:
        fixed = sum(width or 0 for *_, width in columns) + 2 * self.cell_padding * len(columns)
        return self.size.width - fixed - 2

    def _add_columns(self, columns: tuple, summary_width: int) -> None:
        self._columns = columns
        self._summary_width = summary_width
        for key, label, width in columns:
            self.add_column(label, key=key, width=width or summary_width)

    def action_request(self, what: str) -> None:
        self.post_message(self.Requested(what, self.selected_key))

    @property
    def selected_key(self) -> str | None:
        if self.row_count == 0:
            return None
        try:
            return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except Exception:
            return None

    def show_items(
        self, items: list[Any], now: datetime | None = None, start_over: bool = False
    ) -> None:
        """Show `items` (filtered), touching only rows that changed: a refresh with
        thousands of tickets must not stall the screen. The cursor stays on its ticket.
        `start_over` redraws every row (rows shown from listings carry listed text)."""
        self._all = items
        now = now or datetime.now(UTC)
        wanted = [i for i in items if self._passes(i)]
        keys = [row_key(i) for i in wanted]
        wanted_set = set(keys)
        shown = [row.key.value for row in self.ordered_rows]
        kept = [k for k in shown if k in wanted_set]
        selected = self.selected_key
        if start_over or kept != keys[: len(kept)]:  # reordered or inserted in the middle
            self.clear()
            shown, kept = [], []
            self._claims.clear()
        for key in shown:
            if key not in wanted_set:
                self.remove_row(key)
                self._claims.pop(key, None)
        self.items = dict(zip(keys, wanted, strict=True))
        self.total = len(items)
        self._generation += 1
        fresh = list(zip(wanted[len(kept) :], keys[len(kept) :], strict=True))
        self._add_rows(fresh, now, self._generation)
        for item, key in zip(wanted[: len(kept)], keys[: len(kept)], strict=True):
            claim = _claim_text(item)
            if self._claims.get(key) != claim:
                if "claim" in self._column_keys:
                    self.update_cell(key, "claim", plain(claim, "yellow"))
                self._claims[key] = claim
        self._cursor_to = selected if selected in self.items else None
        self._keep_cursor()

    def _keep_cursor(self) -> None:
        """Put the cursor back on its ticket once that row is on screen again: rows come a
        chunk per turn, and the ticket may be in a later chunk."""
        key = self._cursor_to
        if key is not None and key in self.rows:
            self._cursor_to = None
            if self.selected_key != key:
                self.move_cursor(row=self.get_row_index(key))

    def _add_rows(self, rows: list[tuple[Any, str]], now: datetime, generation: int) -> None:
        """Add rows a chunk per turn of the event loop, so thousands never freeze the screen.
        A newer `show_items` call supersedes the rest of an older one."""
        if generation != self._generation:
            return
        for item, key in rows[:ROWS_PER_TURN]:
            cells = self._cells(item, now)
            self.add_row(*(cells[column] for column in self._column_keys), key=key)
            self._claims[key] = _claim_text(item)
        self._keep_cursor()
        if len(rows) > ROWS_PER_TURN:
            rest = rows[ROWS_PER_TURN:]
            self.set_timer(0.001, lambda: self._add_rows(rest, now, generation))
        else:
            self.post_message(self.Filled())

    def set_filter(self, text: str) -> None:
        self.filter_text = text.strip().lower()
        self.clear()
        self._claims.clear()
        self.show_items(self._all, self.app.clock())

    def tick(self, now: datetime | None = None) -> None:
        """Refresh the ages of the rows on screen only: cheap with thousands of tickets."""
        now = now or datetime.now(UTC)
        if "age" not in self._column_keys:
            return
        first = int(self.scroll_offset.y)
        rows = self.ordered_rows  # rebuilt after every change: take it once per tick
        for index in range(first, min(first + self.size.height + 1, len(rows))):
            key = rows[index].key.value
            item = self.items.get(key)
            if item is not None:
                self.update_cell(key, "age", _age_cell(item, now))

    def _passes(self, item: Any) -> bool:
        if not self.filter_text:
            return True
        haystack = " ".join([item.thread_id, item.kind, summary_of(item), item.claimed_by or ""])
        return self.filter_text in haystack.lower()

    @property
    def _column_keys(self) -> list[str]:
        return [key for key, *_ in self._columns]

    @staticmethod
    def _cells(item: Any, now: datetime) -> dict[str, Text]:
        return {
            "age": _age_cell(item, now),
            "thread": plain(item.thread_id, "bold"),
            "kind": plain(item.kind, "cyan"),
            "summary": plain(summary_of(item)),
            "claim": plain(_claim_text(item), "yellow"),
        }


def _age_cell(item: Any, now: datetime) -> Text:
    """The age, or under HITL_SLA the time left (`-4m10s`) and `!2m05s` once overdue."""
    deadline = deadline_text(item, now)
    if deadline is None:
        return Text(age(item.age_seconds(now)))
    return Text(deadline, style="bold red" if deadline.startswith("!") else "")


def _claim_text(item: Any) -> str:
    if item.claimed_by and item.claim_state == "resuming":
        return f"{item.claimed_by} (sending)"
    return item.claimed_by or ""
