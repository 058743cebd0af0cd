"""The Decided view: answered tickets from the audit, newest first, filterable, with each
decision, its answer and how it ended."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Label, Static

from hitl_tui.console.messages import DecidedLoaded
from hitl_tui.console.render import json_view, plain
from hitl_tui.console.worker_errors import PassesWorkerErrorsUp
from hitl_tui.errors import HitlError
from hitl_tui.hitl.presentation import decision_words
from hitl_tui.hitl.safe_text import one_line

LIMIT = 500
OUTCOME_STYLE = {"resumed": "green", "failed": "red", "started": "yellow"}


class DecidedScreen(PassesWorkerErrorsUp, Screen):
    """Esc goes back to the inbox; / filters; the selected decision is shown in full."""

    BINDINGS = [
        Binding("escape", "back", "Back to inbox"),
        Binding("slash", "filter", "Filter"),
        Binding("j", "cursor('down')", "Down", show=False),
        Binding("k", "cursor('up')", "Up", show=False),
    ]

    def __init__(self, desk: Any, thread_id: str | None = None) -> None:
        super().__init__()
        self.desk = desk
        self.entries: list[dict] = []
        self._shown: list[dict] = []
        self.chain_problem: str | None = None
        self.initial_filter = thread_id or ""

    def compose(self) -> ComposeResult:
        with Vertical(id="decided"):
            yield Label("Decided tickets (from the audit)", id="decided-title")
            yield Input(
                value=self.initial_filter,
                placeholder="filter (thread, operator, decision, text) · Esc back",
                id="decided-filter",
            )
            yield DataTable(id="decided-table", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="decided-detail"):
                yield Static(plain("Loading the audit…", "dim"), id="decided-body")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label in (
            ("when", "When"),
            ("thread", "Thread"),
            ("who", "Operator"),
            ("what", "Decision"),
            ("outcome", "Outcome"),
        ):
            table.add_column(label, key=key)
        table.focus()
        self._load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="decided")
    def _load(self) -> None:
        entries = list(reversed(self.desk.decided(None, limit=LIMIT)))
        try:
            problem = self.desk.verify_audit().problem
        except HitlError as error:  # a signed chain and no HITL_AUDIT_KEY here
            problem = str(error)
        self.post_message(DecidedLoaded(entries, problem))

    @on(DecidedLoaded)
    def _loaded(self, event: DecidedLoaded) -> None:
        self.entries = event.entries
        self.chain_problem = event.chain_problem
        self._show()

    @on(Input.Changed, "#decided-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._show()

    @on(Input.Submitted, "#decided-filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        self.query_one(DataTable).focus()

    def _show(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        needle = self.query_one("#decided-filter", Input).value.strip().lower()
        shown = [e for e in self.entries if not needle or needle in _haystack(e)]
        for index, entry in enumerate(shown):
            outcome = str(entry.get("outcome"))
            table.add_row(
                plain(str(entry.get("started_at"))[:19].replace("T", " ")),
                plain(entry.get("thread_id"), "bold"),
                plain(entry.get("operator")),
                plain(decision_words(entry)[:60]),
                plain(outcome, OUTCOME_STYLE.get(outcome, "")),
                key=str(index),
            )
        self._shown = shown
        title = self.query_one("#decided-title", Label)
        total = len(self.entries)
        count = f"{total}" if len(shown) == total else f"{len(shown)} of {total} shown"
        words = f"Decided tickets (from the audit) · {count}"
        if self.chain_problem:
            words += f" · ⚠ the audit chain is broken: {one_line(self.chain_problem, 120)}"
        title.update(Text(words, style="bold red" if self.chain_problem else ""))
        if not shown:
            self.query_one("#decided-body", Static).update(
                plain("No decision matches." if self.entries else "Nothing decided yet.", "dim")
            )

    @on(DataTable.RowHighlighted, "#decided-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is None or event.row_key.value is None:
            return
        entry = self._shown[int(event.row_key.value)]
        body = self.query_one("#decided-body", Static)
        error = entry.get("error")
        body.update(
            Group(
                Text.assemble(
                    plain(entry.get("thread_id"), "bold"),
                    "  ",
                    plain(entry.get("kind"), "cyan"),
                    "  by ",
                    plain(entry.get("operator")),
                    "  at ",
                    plain(str(entry.get("started_at"))[:19].replace("T", " ")),
                ),
                plain(decision_words(entry)),
                Text.assemble(
                    ("outcome ", "dim"),
                    plain(entry.get("outcome"), OUTCOME_STYLE.get(str(entry.get("outcome")), "")),
                    plain(f": {error}" if error else "", "red"),
                ),
                Text("Sent to the graph:", style="dim"),
                json_view(entry.get("payload")),
            )
        )

    def action_back(self) -> None:
        box = self.query_one("#decided-filter", Input)
        if box.has_focus and box.value:
            box.value = ""
            return
        self.dismiss()

    def action_filter(self) -> None:
        self.query_one("#decided-filter", Input).focus()

    def action_cursor(self, direction: str) -> None:
        table = self.query_one(DataTable)
        if direction == "down":
            table.action_cursor_down()
        else:
            table.action_cursor_up()


def _haystack(entry: dict) -> str:
    parts = [
        entry.get("thread_id"),
        entry.get("operator"),
        entry.get("kind"),
        entry.get("outcome"),
        decision_words(entry),
    ]
    return " ".join(str(p) for p in parts).lower()
