"""The inbox table: one row per pending interrupt, updated in place so the cursor stays."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

from hitl_tui.console.render import age, plain
from hitl_tui.hitl.kinds import kind_named

COLUMNS = (
    ("age", "Age", 6),
    ("thread", "Thread", 14),
    ("kind", "Kind", 10),
    ("summary", "Summary", None),
    ("claim", "Claimed by", 10),
)
MIN_SUMMARY = 12


def row_key(item: Any) -> str:
    return f"{item.thread_id}\x1f{item.interrupt_id}"


class InboxTable(DataTable):
    """j/k move, Enter opens (handled by the pane), h shows the ticket's history."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("enter", "open_ticket", "Open"),
        Binding("slash", "filter", "Filter"),
        Binding("h", "history", "History"),
        Binding("u", "release", "Release claim"),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.items: dict[str, Any] = {}
        self.filter_text = ""
        self._all: list[Any] = []
        self._summary_width = 0

    def on_mount(self) -> None:
        self._add_columns(MIN_SUMMARY)

    def on_resize(self) -> None:
        """Give the summary whatever width the other columns leave."""
        fixed = sum(width or 0 for *_, width in COLUMNS) + 2 * self.cell_padding * len(COLUMNS)
        summary = max(MIN_SUMMARY, self.size.width - fixed - 2)
        if summary != self._summary_width:
            self.clear(columns=True)
            self._add_columns(summary)
            self.show_items(self._all, self.app.clock())

    def _add_columns(self, summary_width: int) -> None:
        self._summary_width = summary_width
        for key, label, width in COLUMNS:
            self.add_column(label, key=key, width=width or summary_width)

    def action_open_ticket(self) -> None:
        self.screen.query_one("OperatorPane").open_selected()

    def action_filter(self) -> None:
        self.screen.query_one("OperatorPane").show_filter()

    def action_history(self) -> None:
        self.screen.query_one("OperatorPane").show_history()

    def action_release(self) -> None:
        self.screen.query_one("OperatorPane").release_selected()

    @property
    def selected_key(self) -> str | None:
        if self.row_count == 0:
            return None
        try:
            return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except Exception:
            return None

    def show_items(self, items: list[Any], now: datetime | None = None) -> None:
        """Replace the rows with `items` (filtered), keeping the cursor on the same ticket."""
        self._all = items
        now = now or datetime.now(UTC)
        wanted = [i for i in items if self._passes(i)]
        keys = [row_key(i) for i in wanted]
        selected = self.selected_key
        existing = {k.value for k in self.rows}
        if [k for k in keys if k in existing] != [
            k.value for k in self.rows if k.value in keys
        ] or any(k not in keys for k in existing):
            self.clear()
            existing = set()
        self.items = {row_key(i): i for i in wanted}
        for item, key in zip(wanted, keys, strict=True):
            cells = self._cells(item, now)
            if key in existing:
                for (column, *_), cell in zip(COLUMNS, cells, strict=True):
                    self.update_cell(key, column, cell)
            else:
                self.add_row(*cells, key=key)
        if selected in self.items:
            self.move_cursor(row=self.get_row_index(selected))

    def set_filter(self, text: str) -> None:
        self.filter_text = text.strip().lower()
        self.show_items(self._all, self.app.clock())

    def tick(self, now: datetime | None = None) -> None:
        """Refresh the ages of the rows on screen only: cheap with thousands of tickets."""
        now = now or datetime.now(UTC)
        first = int(self.scroll_offset.y)
        for index in range(first, min(first + self.size.height + 1, self.row_count)):
            key = self.ordered_rows[index].key.value
            item = self.items.get(key)
            if item is not None:
                self.update_cell(key, "age", Text(age(item.age_seconds(now))))

    def _passes(self, item: Any) -> bool:
        if not self.filter_text:
            return True
        haystack = " ".join([item.thread_id, item.kind, _summary(item), item.claimed_by or ""])
        return self.filter_text in haystack.lower()

    @staticmethod
    def _cells(item: Any, now: datetime) -> list[Text]:
        claimed = item.claimed_by or ""
        if item.claim_state == "resuming":
            claimed = f"{claimed} (sending)"
        return [
            Text(age(item.age_seconds(now))),
            plain(item.thread_id, "bold"),
            plain(item.kind, "cyan"),
            plain(_summary(item)),
            plain(claimed, "yellow"),
        ]


def _summary(item: Any) -> str:
    try:
        return kind_named(item.kind).summary(item.value)
    except Exception:
        return "(cannot summarise this payload)"
